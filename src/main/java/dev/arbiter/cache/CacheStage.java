package dev.arbiter.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.wire.Json;
import dev.arbiter.error.Untrusted;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.LlmRequest;
import dev.arbiter.llm.Message;
import dev.arbiter.llm.Part;
import dev.arbiter.llm.RequestKey;
import dev.arbiter.llm.StreamEvent;
import dev.arbiter.llm.Usage;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.ServedBy;
import dev.arbiter.pipeline.Stage;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The response cache in the pipeline: after admission and the Responses state, before routing, so that a hit spends
 * no retry, no upstream limit and no upstream money. It works on the internal model, so chat completions, legacy
 * completions, embeddings, Messages and Responses share it: an answer filled through one format is served to any
 * other in that client's own format, streamed or not, whichever way it was filled.
 *
 * <p>For each request it may use (the cache is on for its model, no exclusion pattern matches its text, and it is
 * not a sample the policy bypasses), the stage computes the request's {@link RequestKey} within its scope (the
 * caller, or the configured shared namespace; {@code x-arbiter-cache-namespace} narrows either, never widens), looks
 * it up in the {@link ExactCache}, then asks the {@link SemanticLookup}, and on a miss lets the request through and
 * stores its answer: a complete one at once, a stream once it completed (never a cut or failed one; errors are never
 * answers). {@code Cache-Control: no-cache} skips the lookup, {@code no-store} the storing, {@code
 * x-arbiter-cache-ttl} shortens the time an answer is kept. Every answer it handles says {@code x-arbiter-cache: hit |
 * miss | semantic-hit; similarity=0.97 | bypass}, and the request's trace says the same word (the cost of a hit is 0).
 */
public final class CacheStage implements Stage {
    public static final String HEADER = "x-arbiter-cache";
    /** Request headers the stage reads (the edge forwards them). */
    public static final List<String> REQUEST_HEADERS = List.of("cache-control", "x-arbiter-cache-ttl", "x-arbiter-cache-namespace");
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final Pattern TTL = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

    /** What an answer cost, from who made it and its usage (the deployment's prices). */
    @FunctionalInterface
    public interface Pricing {
        double usd(ServedBy servedBy, Usage usage);
    }

    private final CacheConfig config;
    private final Function<String, String> logicalModel;
    private final Function<String, ModelCacheConfig> models;
    private final ExactCache cache;
    private final SemanticLookup semantic;
    private final Pricing pricing;
    private final CacheStats stats;
    private final InstantSource clock;
    private final LongSupplier nanos;
    private final RequestKey.Options keyOptions;

    /**
     * @param logicalModel the logical model a requested name resolves to (the name itself when unknown)
     * @param models       a logical model's own {@code cache:} block ({@link ModelCacheConfig#INHERIT} when none)
     * @param cache        the exact cache; null when the cache is off (the stage then passes every request on)
     */
    public CacheStage(CacheConfig config, Function<String, String> logicalModel, Function<String, ModelCacheConfig> models,
                      ExactCache cache, SemanticLookup semantic, Pricing pricing, io.micrometer.core.instrument.MeterRegistry registry,
                      InstantSource clock, LongSupplier nanos) {
        this.config = config;
        this.logicalModel = logicalModel;
        this.models = models;
        this.cache = cache;
        this.semantic = semantic;
        this.pricing = pricing;
        this.stats = cache == null ? null : new CacheStats(registry, cache);
        this.clock = clock;
        this.nanos = nanos;
        this.keyOptions = new RequestKey.Options(config.normalizeWhitespace(), config.caseFold());
    }

    @Override
    public String name() {
        return "cache";
    }

    /** {@code GET /admin/cache} (statistics and tier health) and {@code DELETE /admin/cache} (purge); none when off. */
    public List<AdminRoute> adminRoutes() {
        if (cache == null) return List.of();
        return List.of(
                AdminRoute.get("cache", call -> {
                    ObjectNode out = stats.json();
                    out.put("bytes", cache.bytes()).put("entries", cache.entries()).put("evictions", cache.evictions())
                            .put("writes_dropped", cache.droppedWrites());
                    out.set("tiers", cache.tiers());
                    out.set("semantic_index", semantic.stats());
                    return out;
                }),
                AdminRoute.post("cache/warm", call -> {
                    JsonNode file = call.body().path("file");
                    if (!file.isTextual() || file.asText().isBlank()) {
                        throw new ArbiterException.BadRequest("file: (expected: the path of a JSONL file on the gateway's machine)", "file");
                    }
                    String scope = config.namespace() != null ? "shared:" + config.namespace() : "anonymous";
                    return CacheWarmup.load(java.nio.file.Path.of(file.asText()), scope, this::warm);
                }),
                AdminRoute.delete("cache", call -> {
                    var q = call.query();
                    String key = q.get("key");
                    if (key != null && !key.matches("[0-9a-fA-F]{64}")) {
                        throw new ArbiterException.BadRequest("key: '" + Untrusted.text(key, 80) + "' (expected: a cache key, 64 hex digits)", "key");
                    }
                    String ns = q.get("namespace");
                    if (ns != null && (ns.isBlank() || ns.length() > 200 || ns.contains("*") || ns.contains("?") || ns.contains("["))) {
                        throw new ArbiterException.BadRequest("namespace: '" + Untrusted.text(ns, 80) + "' (expected: a caller id or namespace)", "namespace");
                    }
                    var purge = new Purge(ns, q.get("model"), key);
                    ObjectNode out = Json.object();
                    ObjectNode removed = cache.purge(purge);
                    removed.put("semantic", semantic.purge(purge));
                    out.set("purged", removed);
                    return out;
                }));
    }

    /** Stores one warm-up answer under the key its request has in {@code scope}, for the model's TTL. */
    private boolean warm(String scope, LlmRequest req, dev.arbiter.llm.LlmResponse response) {
        String model = logicalModel.apply(req.model());
        ModelCacheConfig own = models.apply(model);
        long now = clock.millis();
        Duration ttl = own.ttl() != null ? own.ttl() : config.ttl();
        var key = new CacheKey(scope, model, RequestKey.of(req, scope, keyOptions));
        var answer = new CachedAnswer(new CachedAnswer.Whole(response), new ServedBy(model, "warm-up", "arbiter"), scope, model,
                0, 0, now, now + ttl.toMillis());
        return cache.put(key, answer);
    }

    /** The exact cache (null when off). */
    public ExactCache exact() {
        return cache;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        if (cache == null) return next.proceed(exchange);
        LlmRequest req = exchange.request();
        switch (req.operation()) {
            case CHAT, COMPLETION, EMBEDDING -> { }
            default -> {
                return next.proceed(exchange);
            }
        }
        String model = logicalModel.apply(req.model());
        ModelCacheConfig own = models.apply(model);
        if (own.enabled() == null && !config.enabled()) return next.proceed(exchange);   // off for this model: not ours
        if (!usable(req, own)) {
            exchange.trace().cache("bypass");
            stats.count(CacheStats.Kind.EXACT, CacheStats.Result.BYPASS);
            return next.proceed(exchange).withHeader(HEADER, "bypass");
        }
        String control = exchange.header("cache-control").orElse("").toLowerCase(Locale.ROOT);
        boolean noCache = control.contains("no-cache");
        boolean noStore = control.contains("no-store");
        Duration ttl = ttl(own, exchange.header("x-arbiter-cache-ttl"));
        CacheKey key = new CacheKey(scope(exchange), model, RequestKey.of(req, scope(exchange), keyOptions));
        long start = nanos.getAsLong();
        if (!noCache) {
            Optional<CachedAnswer> hit = cache.get(key);
            if (hit.isPresent()) return serve(exchange, hit.get(), CacheStats.Kind.EXACT, "hit");
            switch (semantic.lookup(exchange, key)) {
                case SemanticLookup.Hit near -> {
                    stats.count(CacheStats.Kind.EXACT, CacheStats.Result.MISS);
                    return serve(exchange, near.answer(), CacheStats.Kind.SEMANTIC,
                            String.format(Locale.ROOT, "semantic-hit; similarity=%.2f", near.similarity()));
                }
                case SemanticLookup.Miss m -> stats.count(CacheStats.Kind.SEMANTIC, CacheStats.Result.MISS);
                case SemanticLookup.Skipped s -> { }
            }
        }
        stats.count(CacheStats.Kind.EXACT, CacheStats.Result.MISS);
        exchange.trace().cache("miss");
        Reply reply = next.proceed(exchange).withHeader(HEADER, "miss");
        if (noStore || ttl.isZero()) return reply;
        return switch (reply) {
            case Reply.Complete c -> {
                store(exchange, key, new CachedAnswer.Whole(c.response()), c.servedBy(), c.response().usage(), start, ttl);
                yield c;
            }
            case Reply.Streaming s -> s.withStream(new Recording(s.stream(), config.maxEntryBytes() * 10L, frames ->
                    store(exchange, key, new CachedAnswer.Recorded(s.stream().format(), frames), s.servedBy(), usage(frames), start, ttl)));
        };
    }

    private Reply serve(Exchange exchange, CachedAnswer a, CacheStats.Kind kind, String header) {
        stats.count(kind, CacheStats.Result.HIT);
        stats.saved(a.costUsd(), a.latencyNanos());
        exchange.trace().cache(kind == CacheStats.Kind.EXACT ? "hit" : "semantic-hit");
        Reply r = exchange.request().stream()
                ? new Reply.Streaming(Replay.stream(a.body()), a.servedBy())
                : new Reply.Complete(Replay.whole(a.body(), a.createdMillis() / 1000), a.servedBy());
        return r.withHeader(HEADER, header);
    }

    private void store(Exchange exchange, CacheKey key, CachedAnswer.Body body, ServedBy by, Usage usage, long start, Duration ttl) {
        // a request that joined an identical one's upstream call (single-flight, the stage after this one) has the
        // leader's answer, which the leader's own cache stage stores: storing it again per joiner would be N writes
        if ("joined".equals(exchange.trace().notes().get("dedup"))) return;
        long now = clock.millis();
        double cost = by == null ? 0 : pricing.usd(by, usage);
        var answer = new CachedAnswer(body, by, key.scope(), key.model(), cost, nanos.getAsLong() - start, now, now + ttl.toMillis());
        try {
            if (cache.put(key, answer)) semantic.stored(exchange, key, answer);
        } catch (RuntimeException e) {
            // storing is a side effect: the answer has been (or is being) served whatever happens here
            org.slf4j.LoggerFactory.getLogger(CacheStage.class).warn("cache store failed: {}", e.toString());
        }
    }

    private static Usage usage(List<Frame> frames) {
        Usage u = Usage.NONE;
        for (Frame f : frames) for (StreamEvent e : f.events()) if (e instanceof StreamEvent.UsageReported r) u = r.usage();
        return u;
    }

    /** Whether the cache may serve and store this request at all. */
    private boolean usable(LlmRequest req, ModelCacheConfig own) {
        if (own.enabled() != null && !own.enabled()) return false;
        var policy = own.nonDeterministic() != null ? own.nonDeterministic() : config.nonDeterministic();
        if (policy == CacheConfig.NonDeterministic.BYPASS && sampled(req)) return false;
        return !excluded(req, config.exclude()) && !excluded(req, own.exclude());
    }

    /** A request for a sample: {@code temperature > 0} or more than one choice, as sent. */
    static boolean sampled(LlmRequest req) {
        if (req.temperature() != null && req.temperature() > 0) return true;
        JsonNode n = req.extra().get("n");
        return n != null && n.isNumber() && n.asInt() > 1;
    }

    static boolean excluded(LlmRequest req, List<Pattern> patterns) {
        if (patterns.isEmpty()) return false;
        for (Message m : req.messages()) {
            for (Part p : m.parts()) {
                String text = switch (p) {
                    case Part.Text t -> t.text();
                    case Part.ToolResult r -> r.text();
                    case Part.File f -> f.text();
                    case Part.ToolCall c -> c.arguments();
                    default -> null;
                };
                if (text != null && matches(patterns, text)) return true;
            }
        }
        return req.input() != null && matches(patterns, req.input().toString());
    }

    private static boolean matches(List<Pattern> patterns, String text) {
        for (Pattern p : patterns) {
            Matcher m = p.matcher(text);
            if (m.find()) return true;
        }
        return false;
    }

    /** The caller's own scope, or the shared namespace; narrowed by {@code x-arbiter-cache-namespace}. */
    private String scope(Exchange exchange) {
        String base = config.namespace() != null ? "shared:" + config.namespace() : exchange.caller().id();
        Optional<String> narrow = exchange.header("x-arbiter-cache-namespace");
        if (narrow.isEmpty() || narrow.get().isBlank()) return base;
        String ns = narrow.get().strip();
        if (!NAMESPACE.matcher(ns).matches()) {
            throw new ArbiterException.BadRequest("Invalid header x-arbiter-cache-namespace: '" + Untrusted.text(ns, 80)
                    + "' (expected: 1-64 of A-Z a-z 0-9 . _ : -)", "x-arbiter-cache-namespace");
        }
        return base + "/" + ns;
    }

    /** The model's TTL, shortened by {@code x-arbiter-cache-ttl} (never lengthened); zero stores nothing. */
    private Duration ttl(ModelCacheConfig own, Optional<String> header) {
        Duration ttl = own.ttl() != null ? own.ttl() : config.ttl();
        if (header.isEmpty()) return ttl;
        Matcher m = TTL.matcher(header.get().strip());
        if (!m.matches()) {
            throw new ArbiterException.BadRequest("Invalid header x-arbiter-cache-ttl: '" + Untrusted.text(header.get(), 80)
                    + "' (expected: a duration such as 300s, 5m, 1h or 1500ms; 0 stores nothing)", "x-arbiter-cache-ttl");
        }
        long n = Long.parseLong(m.group(1));
        Duration asked = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
        return asked.compareTo(ttl) < 0 ? asked : ttl;
    }
}
