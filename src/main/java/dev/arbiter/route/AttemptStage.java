package dev.arbiter.route;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.ErrorKind;
import dev.arbiter.auth.Priority;
import dev.arbiter.limit.AdmitStage;
import dev.arbiter.limit.Admission;
import dev.arbiter.limit.StreamUsage;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.wire.Json;
import dev.arbiter.wire.TokenCounter;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.Tool;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import dev.arbiter.pipeline.Trace;
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.reasoning.ReasoningSeal;
import dev.arbiter.provider.Deployment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The attempt step, innermost: works through the request's {@link Plan}, one attempt at a time, as its
 * {@link AttemptPolicy} decides. Each attempt holds its deployment's in-flight slot for the whole call (a stream's
 * until it is closed), calls the deployment's provider, and is recorded in the request's trace: which deployment,
 * when it started, its first byte, how it ended (a stream's end is recorded when it closes or fails). Every answer
 * says how many attempts it took ({@code x-arbiter-attempts}, on errors too) and, when a fallback model answered,
 * which ({@code x-arbiter-fallback}); an attempt on a fallback sends that model's own name.
 */
public final class AttemptStage implements Stage {
    private final AttemptPolicy policy;
    private final ReasoningEnvelope reasoning;
    private final CircuitGate breakers;
    private final UpstreamState upstreams;
    private final DeploymentLoad load;
    private final Hedger hedger;
    private final DeploymentQuotas quotas;

    /** @param reasoning the gateway's envelope, which seals reasoning out of a backend and opens it on the way back */
    public AttemptStage(AttemptPolicy policy, ReasoningEnvelope reasoning) {
        this(policy, reasoning, CircuitGate.NONE);
    }

    public AttemptStage(AttemptPolicy policy, ReasoningEnvelope reasoning, CircuitGate breakers) {
        this(policy, reasoning, breakers, UpstreamState.NONE, new DeploymentLoad(System::nanoTime), Hedger.NONE);
    }

    /**
     * @param breakers asked before each call: an open circuit fails the attempt at once ({@code circuit_open}, no
     *     upstream call), and the policy moves on; each permitted call reports its outcome (a stream's at its end)
     */
    /**
     * @param upstreams told of every 429 with a retry hint: the endpoint cools down for that long, for every request
     * @param load counts each deployment's attempts in flight and averages its latency, for the load balancers
     * @param hedger races a second attempt against a slow first one, for the models that hedge
     */
    public AttemptStage(AttemptPolicy policy, ReasoningEnvelope reasoning, CircuitGate breakers, UpstreamState upstreams,
                        DeploymentLoad load, Hedger hedger) {
        this(policy, reasoning, breakers, upstreams, load, hedger, DeploymentQuotas.NONE);
    }

    /**
     * @param quotas each deployment's own rate limits, taken before it is called: a deployment at its limit is passed
     *     over (no attempt is made or counted) for the plan's next one not yet tried; with none left, the 429 goes to
     *     the caller
     */
    public AttemptStage(AttemptPolicy policy, ReasoningEnvelope reasoning, CircuitGate breakers, UpstreamState upstreams,
                        DeploymentLoad load, Hedger hedger, DeploymentQuotas quotas) {
        this.quotas = quotas;
        this.policy = policy;
        this.reasoning = reasoning;
        this.breakers = breakers;
        this.upstreams = upstreams;
        this.load = load;
        this.hedger = hedger;
    }

    @Override
    public String name() {
        return "attempt";
    }

    /**
     * The request as this backend may see it: reasoning from other backends dropped, Arbiter's envelopes
     * opened into this backend's own tokens (in the typed request, or in a copy of the pass-through body).
     */
    static List<String> hostedTools(LlmRequest req, Deployment d) {
        if (req.tools().isEmpty() || req.format() == d.nativeFormat()) return List.of();
        var hosted = new ArrayList<String>();
        for (int i = 0; i < req.tools().size(); i++) {
            Tool t = req.tools().get(i);
            if (t.isFunction() || t.isCustom()) continue;
            if ("reject".equals(d.config().hostedTools())) {
                throw new ArbiterException.BadRequest("Tool type '" + t.type() + "' is not supported by the backend of model '"
                        + d.model() + "' (deployment " + d.name() + ")", "tools[" + i + "].type", "unsupported_tool");
            }
            hosted.add(t.type());
        }
        return hosted;
    }

    /**
     * A Responses request whose {@code previous_response_id} Arbiter resolved into the full history: its body
     * still names the id (for the client's echo) but only the typed, expanded request may go upstream.
     */
    private static boolean expandedByArbiter(LlmRequest req) {
        return req.format() == WireFormat.OPENAI_RESPONSES && req.raw().hasNonNull("previous_response_id")
                && !req.extra().hasNonNull("previous_response_id");
    }

    static LlmRequest forBackend(LlmRequest req, Deployment d, ReasoningSeal seal) {
        if (req.format() == WireFormat.OPENAI_RESPONSES && d.nativeFormat() != WireFormat.OPENAI_RESPONSES) {
            var prev = req.extra().get("previous_response_id");
            if (prev != null && prev.isTextual()) {
                throw new ArbiterException.NotFound("Response with id '" + prev.asText() + "' not found.",
                        "previous_response_id", "not_found");
            }
        }
        if (req.raw() != null && req.format() == d.nativeFormat() && !expandedByArbiter(req)) {
            if (!ReasoningSeal.mayHoldEnvelopes(req)) return req;
            ObjectNode copy = req.raw().deepCopy();
            seal.unwrap(copy);
            return req.toBuilder().raw(copy).build();
        }
        checkTranslatable(req);
        LlmRequest typed = req.raw() != null && req.format() == d.nativeFormat() ? req.toBuilder().raw(null).build() : req;
        return seal.resolve(typed);
    }

    /**
     * Item and block types of one format that have no counterpart in another and are left out when translating:
     * records of hosted or client-run tools (an agent that ran its own tool search, say, keeps them in its history).
     * A type not listed here is one Arbiter does not know at all, and is refused rather than silently lost.
     */
    private static final Set<String> DROPPABLE = Set.of(
            "web_search_call", "file_search_call", "computer_call", "computer_call_output", "code_interpreter_call",
            "image_generation_call", "local_shell_call", "local_shell_call_output", "shell_call", "shell_call_output",
            "mcp_call", "mcp_list_tools", "mcp_approval_request", "mcp_approval_response", "tool_search_call",
            "tool_search_output", "item_reference", "compaction", "apply_patch_call", "apply_patch_call_output",
            "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
            "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "mcp_tool_use", "mcp_tool_result",
            "container_upload", "search_result", "tool_search_tool_result", "tool_reference",
            "input_audio", "refusal", "audio");

    /** A translated request must not carry parts that cannot cross, nor tool results without their call. */
    static void checkTranslatable(LlmRequest req) {
        var calls = new java.util.HashSet<String>();
        var messages = req.messages();
        for (int i = 0; i < messages.size(); i++) {
            for (Part p : messages.get(i).parts()) {
                switch (p) {
                    case Part.ToolCall c -> calls.add(c.id());
                    case Part.CustomToolCall c -> calls.add(c.id());
                    case Part.ToolResult r when !calls.contains(r.callId()) -> throw new ArbiterException.BadRequest(
                            "No tool call found for the tool result with call id '" + r.callId() + "' (turn " + i + ")",
                            null, "tool_result_without_call");
                    case Part.Opaque o when !DROPPABLE.contains(o.type()) -> throw new ArbiterException.BadRequest(
                            "Unknown " + (req.format() == WireFormat.ANTHROPIC_MESSAGES ? "content block" : "item or part")
                                    + " type '" + o.type() + "' (turn " + i + ") cannot be translated for this model's backend",
                            null, "unknown_type");
                    default -> { }
                }
            }
        }
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Plan plan = exchange.attribute(Plan.KEY)
                .orElseThrow(() -> new ArbiterException.Internal("no plan made before the attempt step"));
        Deployment d = plan.candidates().getFirst();
        boolean first = true;
        List<Deployment> overQuota = null;
        while (true) {
            int before = exchange.trace().attempts().size();
            try {
                Reply reply;
                String hedge = null;
                if (first && hedger.hedges(d.model()) && exchange.request().operation() != Operation.COUNT_TOKENS) {
                    first = false;
                    Hedger.Outcome o = hedger.first(plan, d, exchange, (dep, lost) -> attempt(forDeployment(exchange, plan, dep),
                            dep, true, lost));
                    d = o.deployment();
                    reply = o.reply();
                    hedge = o.hedge();
                } else {
                    first = false;
                    reply = attempt(forDeployment(exchange, plan, d), d, policy.holdStreams(plan), NOT_LOST);
                }
                reply = reply.withHeader("x-arbiter-attempts", Integer.toString(exchange.trace().attempts().size()));
                if (hedge != null) reply = reply.withHeader("x-arbiter-hedge", hedge);
                return plan.isFallback(d) ? reply.withHeader("x-arbiter-fallback", d.model()) : reply;
            } catch (ArbiterException failure) {
                var attempts = exchange.trace().attempts();
                if (attempts.size() == before && failure instanceof ArbiterException.Overloaded o && o.rateLimited()) {
                    // d's own rate limit refused before any call was made: pass it over, count no attempt
                    if (overQuota == null) overQuota = new ArrayList<>(2);
                    overQuota.add(d);
                    exchange.trace().note("over-quota", d.name());
                    d = nextUntried(plan, d, overQuota, attempts);
                    if (d == null) throw answered(failure, attempts.size());
                    continue;
                }
                Duration remaining = exchange.deadline().remaining();
                switch (policy.afterFailure(plan, attempts, failure, remaining)) {
                    case AttemptPolicy.GiveUp g -> throw answered(failure, attempts.size());
                    case AttemptPolicy.Retry r -> {
                        if (r.delay().compareTo(exchange.deadline().remaining()) >= 0) throw answered(failure, attempts.size());
                        pause(r.delay());
                        d = r.deployment();
                    }
                }
            }
        }
    }

    private static final BooleanSupplier NOT_LOST = () -> false;

    /** The plan's next candidate after {@code d} (wrapping round) neither tried nor over its quota; null when none. */
    private static Deployment nextUntried(Plan plan, Deployment d, List<Deployment> overQuota, List<Trace.AttemptRecord> attempts) {
        var cs = plan.candidates();
        int at = cs.indexOf(d);
        for (int step = 1; step <= cs.size(); step++) {
            Deployment c = cs.get(Math.floorMod(at + step, cs.size()));
            if (overQuota.contains(c)) continue;
            boolean tried = false;
            for (Trace.AttemptRecord a : attempts) tried |= a.model().equals(c.model()) && a.deployment().equals(c.name());
            if (!tried) return c;
        }
        return null;
    }

    /** The exchange as {@code d} is sent it: a fallback model's deployment gets that model's own name. */
    private static Exchange forDeployment(Exchange exchange, Plan plan, Deployment d) {
        return plan.isFallback(d) ? exchange.withRequest(exchange.request().withModel(
                plan.requestNames().getOrDefault(d.model(), d.model()))) : exchange;
    }

    /** The failure as the caller gets it, saying how many attempts were made. */
    private static ArbiterException answered(ArbiterException failure, int attempts) {
        return attempts == 0 ? failure : failure.withHeader("x-arbiter-attempts", Integer.toString(attempts));
    }

    private static void pause(Duration d) {
        if (d.isZero() || d.isNegative()) return;
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArbiterException.DeadlineExceeded("interrupted while waiting to try again");
        }
    }

    /**
     * One attempt at {@code d}, recorded in the trace. {@code lost} turns true when a hedge race cancelled it: its
     * failure then says nothing of the upstream's health.
     */
    private Reply attempt(Exchange exchange, Deployment d, boolean hold, BooleanSupplier lost) {
        // before the attempt is begun: a refusal here is no attempt, and the step passes d over
        Admission quota = exchange.request().operation() == Operation.COUNT_TOKENS ? null : quotas.take(d, exchange).orElse(null);
        try {
            Reply reply = call(exchange, d, hold, lost);
            if (quota == null) return reply;
            return switch (reply) {
                case Reply.Complete c -> {
                    quota.settle(c.response().usage() != null ? c.response().usage() : Usage.NONE);
                    yield c;
                }
                case Reply.Streaming s -> {
                    var watch = new StreamUsage(exchange.request());
                    yield s.withStream(Streams.observe(s.stream(), watch::frame, () -> quota.settle(watch.usage())));
                }
            };
        } catch (RuntimeException e) {
            if (quota != null) quota.giveBack();
            throw e;
        }
    }

    /** The attempt itself, recorded in the trace. */
    private Reply call(Exchange exchange, Deployment d, boolean hold, BooleanSupplier lost) {
        Trace.Attempt attempt = exchange.trace().begin(d.model(), d.name(), d.providerName());
        CircuitGate.Call call = CircuitGate.Call.NONE;
        try {
            exchange.deadline().check("before calling " + d.name());
            call = breakers.enter(d);
            ConcurrencyLimiter.Permit permit;
            try {
                permit = d.limiter() == null ? null : d.limiter().acquire(exchange.deadline().remaining(),
                        exchange.attribute(AdmitStage.PRIORITY).orElse(Priority.NORMAL));
            } catch (RuntimeException e) {
                call.released();   // this deployment's own queue is full: nothing was asked of the upstream
                throw e;
            }
            DeploymentLoad.Tracker tracker = load.start(d);
            try {
                LlmRequest req = exchange.request();
                if (req.operation() == Operation.COUNT_TOKENS) {
                    Reply counted = countTokens(attempt.propagate(exchange), d);
                    if (permit != null) permit.close();
                    call.released();
                    tracker.end(false);
                    attempt.end(200, null);
                    return counted;
                }
                var seal = new ReasoningSeal(reasoning, d.nativeFormat(), d.upstreamModel(req.model()));
                List<String> dropped = hostedTools(req, d);
                Reply reply = d.provider().call(attempt.propagate(exchange.withRequest(forBackend(req, d, seal))), d);
                if (!dropped.isEmpty()) reply = reply.withHeader("x-arbiter-dropped-tools", String.join(",", dropped));
                reply = switch (reply) {
                    case Reply.Complete c -> c.withResponse(seal.seal(c.response()));
                    case Reply.Streaming s -> s.withStream(traced(permit == null ? seal.seal(s.stream())
                            : Streams.onClose(seal.seal(s.stream()), permit::close), attempt, call, tracker, permit));
                };
                if (reply instanceof Reply.Complete c) {
                    attempt.responseModel(c.response().model());
                    if (permit != null) {
                        permit.answered();
                        permit.close();
                    }
                    call.firstByte();
                    call.succeeded();
                    tracker.firstByte();
                    tracker.end(false);
                    attempt.end(200, null);
                } else if (hold) {
                    reply = ((Reply.Streaming) reply).withStream(HeldStream.hold(((Reply.Streaming) reply).stream()));
                }
                return reply;
            } catch (ArbiterException e) {
                if (permit != null) {
                    if (refusedForLoad(e)) permit.dropped();
                    permit.close();
                }
                if (lost.getAsBoolean()) {
                    call.released();
                    tracker.firstByte();   // at least this slow: the percentile a hedge delay may follow sees it
                    tracker.end(false);
                    throw new ArbiterException.Upstream(0, "attempt at " + d.name() + " cancelled: the other attempt answered first",
                            "hedge_lost", null);
                }
                call.failed(e);
                tracker.end(upstreamsFault(e));
                coolDown(d, e);
                throw e;
            } catch (RuntimeException e) {
                if (permit != null) permit.close();
                call.released();
                tracker.end(false);
                throw e;
            }
        } catch (ArbiterException e) {
            attempt.end(ErrorKind.of(e).status(), e.code() == null ? ErrorKind.of(e).openAiType() : e.code());
            throw e;
        }
    }

    /**
     * A token count: the upstream's own where its provider can count (Anthropic's {@code count_tokens}), else Arbiter's
     * tokenizer estimate; {@code x-arbiter-token-count} says which. The answer is {@code {"input_tokens": n}}.
     */
    private static Reply countTokens(Exchange exchange, Deployment d) {
        OptionalLong upstream = d.provider().countInputTokens(exchange, d);
        long n = upstream.orElseGet(() -> TokenCounter.countInput(exchange.request()));
        var response = new LlmResponse(null, d.model(), 0, List.of(), new Usage(n, 0, 0, 0, 0, upstream.isEmpty()),
                WireFormat.ANTHROPIC_MESSAGES, Json.object().put("input_tokens", n));
        return new Reply.Complete(response, new ServedBy(d.model(), d.name(), d.providerName()))
                .withHeader("x-arbiter-token-count", upstream.isPresent() ? d.providerName() : "estimate");
    }

    /**
     * A stream that marks its attempt's first byte at the first frame and its end at a failure or at close, and tells
     * the breaker the same.
     */
    private static FrameStream traced(FrameStream inner, Trace.Attempt attempt, CircuitGate.Call call,
                                      DeploymentLoad.Tracker tracker, ConcurrencyLimiter.Permit permit) {
        return Streams.observe(inner, f -> {
                    attempt.firstByte();
                    if (attempt.wantsResponseModel()) {
                        for (var e : f.events()) if (e instanceof StreamEvent.Started s) attempt.responseModel(s.model());
                    }
                    call.firstByte();
                    tracker.firstByte();
                    if (permit != null) permit.answered();
                },
                e -> {
                    if (permit != null && refusedForLoad(e)) permit.dropped();
                    call.failed(e);
                    tracker.end(upstreamsFault(e));
                    attempt.end(ErrorKind.of(e).status(), e.code() == null ? ErrorKind.of(e).openAiType() : e.code());
                },
                () -> {
                    call.succeeded();
                    tracker.end(false);
                    attempt.end(200, null);
                });
    }

    /** Whether a failure tells against the upstream's speed (its own error or silence, not a 429 or the caller's). */
    private static boolean upstreamsFault(ArbiterException e) {
        return e instanceof ArbiterException.Upstream u && u.status() != 429 && (u.status() == 0 || u.status() >= 500)
                && !"cancelled".equals(u.code());
    }

    /**
     * Whether the upstream refused for its load (429, 503, Anthropic's 529) or did not answer within the deployment's
     * {@code timeout} ({@code upstream_timeout}): the adaptive limit backs off.
     */
    private static boolean refusedForLoad(ArbiterException e) {
        return e instanceof ArbiterException.Upstream u && (u.status() == 429 || u.status() == 503 || u.status() == 529
                || "upstream_timeout".equals(u.code()));
    }

    /** A 429 with a retry hint cools its endpoint down for every request and every model that uses it. */
    private void coolDown(Deployment d, ArbiterException e) {
        if (e instanceof ArbiterException.Upstream u && u.status() == 429 && u.retryAfter() != null) {
            upstreams.coolDown(d, u.retryAfter());
        }
    }
}
