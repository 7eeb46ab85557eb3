package dev.arbiter.decide;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.cache.semantic.Embedder;
import dev.arbiter.cache.semantic.LocalEmbedder;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.ModelConfig;
import dev.arbiter.config.PriceConfig;
import dev.arbiter.db.Postgres;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.llm.LlmResponse;
import dev.arbiter.llm.Operation;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Streams;
import dev.arbiter.wire.Json;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Chooses the model for a request that names a route ({@code routes:}), then lets the rest of the pipeline serve it
 * as if the client had named that model (its deployments, fallbacks and limits apply). Placed after identification
 * (feedback is checked against the caller) and before admission and routing. Learns from every answer (implicit
 * signals: an error is quality 0, a success 1, with its latency and estimated cost) and from
 * {@code POST /v1/feedback}, which it also answers. Names the route, the policy and the chosen model on the answer.
 */
public final class DecideStage implements Stage, AutoCloseable {
    static final int REMEMBERED = 100_000;
    static final int EMBEDDED_CHARS = 2_000;

    private final Map<String, Router> routers;
    private final Decisions decisions = new Decisions(REMEMBERED);
    private final LongSupplier nanos;
    /** Where policy state and decisions persist; null without {@code postgres:}. */
    private final PostgresDecideStore store;

    private final DecideMetrics metrics;
    /**
     * Embeds prompts for the routes with {@code features: text+embedding}; null when no route has them (the model is
     * then never loaded).
     */
    private final Embedder embedder;

    DecideStage(Map<String, Router> routers, LongSupplier nanos, Postgres postgres, MeterRegistry registry) {
        this(routers, nanos, postgres, registry, null);
    }

    DecideStage(Map<String, Router> routers, LongSupplier nanos, Postgres postgres, MeterRegistry registry, Embedder embedder) {
        this.routers = Map.copyOf(routers);
        this.embedder = embedder;
        this.metrics = new DecideMetrics(registry, routers.values());
        this.nanos = nanos;
        this.store = postgres == null ? null : new PostgresDecideStore(postgres, InstantSource.system(), List.copyOf(routers.values()));
    }

    /**
     * The stage for a configuration: every route's candidates must be configured models; each candidate's catalog
     * entry is the shipped one, overridden by {@code catalog:}, with prices from its first priced deployment.
     */
    public static DecideStage of(ArbiterConfig config, LongSupplier nanos, RandomGenerator random, Optional<Postgres> postgres,
                                 MeterRegistry metrics) {
        return of(config, nanos, random, postgres, metrics, model -> true);
    }

    /** @param available whether a configured model can be served now (some deployment's circuit breaker not open) */
    public static DecideStage of(ArbiterConfig config, LongSupplier nanos, RandomGenerator random, Optional<Postgres> postgres,
                                 MeterRegistry metrics, java.util.function.Predicate<String> available) {
        Catalog catalog = Catalog.defaults().with(config.section(CatalogConfig.SECTION).entries());
        var models = new LinkedHashMap<String, ModelConfig>();
        for (ModelConfig m : config.models()) {
            models.put(m.name(), m);
            for (String a : m.aliases()) models.putIfAbsent(a, m);
        }
        var routers = new LinkedHashMap<String, Router>();
        var problems = new ArrayList<String>();
        List<RoutesConfig.Route> routes = config.section(RoutesConfig.SECTION).routes();
        for (int i = 0; i < routes.size(); i++) {
            RoutesConfig.Route r = routes.get(i);
            if (models.containsKey(r.name())) problems.add(ConfigException.problem("routes[" + i + "].name", r.name(), "a name no model uses"));
            var entries = new ArrayList<Catalog.Entry>();
            for (int j = 0; j < r.candidates().size(); j++) {
                ModelConfig m = models.get(r.candidates().get(j));
                if (m == null || m.embeddings()) {
                    problems.add(ConfigException.problem("routes[" + i + "].candidates[" + j + "]", r.candidates().get(j), "a configured chat model"));
                    continue;
                }
                entries.add(entry(catalog, r.candidates().get(j), m));
            }
            routers.put(r.name(), new Router(r, entries, random, available));
        }
        if (!problems.isEmpty()) throw new ConfigException(problems);
        boolean embeds = routers.values().stream().anyMatch(Router::embeds);
        // the shipped in-process model (int8 all-MiniLM-L6-v2), as the semantic cache's default
        Embedder embedder = embeds ? new LocalEmbedder(LocalEmbedder.Model.ALL_MINILM_L6_V2_Q) : null;
        return new DecideStage(routers, nanos, postgres.orElse(null), metrics, embedder);
    }

    private static Catalog.Entry entry(Catalog catalog, String name, ModelConfig m) {
        Catalog.Entry e = catalog.find(name).or(() -> catalog.find(m.name()))
                .or(() -> m.deployments().stream().map(DeploymentConfig::model).filter(n -> n != null).map(catalog::find)
                        .flatMap(java.util.Optional::stream).findFirst())
                // a model the catalog does not know: nothing is filtered on what is not known, quality is neutral
                .orElse(new Catalog.Entry(name, "unknown", 0, Set.copyOf(Catalog.CAPABILITIES), 0, 0, 0, Map.of()));
        e = new Catalog.Entry(name, e.provider(), e.contextWindow(), e.capabilities(), e.input(), e.output(), e.cachedInput(), e.quality());
        for (DeploymentConfig d : m.deployments()) {
            PriceConfig p = d.price();
            if (!p.equals(PriceConfig.FREE)) return e.withPrices(p.input(), p.output(), p.cacheReadPrice());
        }
        return e;
    }

    /** The route names, for the model list. */
    public List<String> routeNames() {
        return List.copyOf(routers.keySet());
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        var req = exchange.request();
        if (Feedback.is(req)) return feedback(exchange);
        Router router = req.model() == null ? null : routers.get(req.model());
        // embeddings are not routed (the route's name then reads as an unknown model)
        if (router == null || req.operation() == Operation.EMBEDDING) return next.proceed(exchange);
        RequestContext ctx = RequestContext.of(req).limitedBy(limit(exchange, "x-arbiter-max-cost", Double.MAX_VALUE),
                limit(exchange, "x-arbiter-min-quality", 1));
        if (router.embeds()) ctx = ctx.withFeatures(Features.withEmbedding(ctx.features(), embed(RequestContext.prompt(req))));
        Router.Decision d;
        try {
            d = router.decide(ctx);
        } catch (Router.NoCandidate e) {
            throw new ArbiterException.BadRequest(e.getMessage(), "model", "no_candidate");
        }
        if (req.operation() == Operation.COUNT_TOKENS) {
            // counting tokens asks the chosen model nothing: nothing to learn or remember
            return next.proceed(exchange.withRequest(req.withModel(d.model())));
        }
        decisions.put(exchange.requestId(), exchange.caller().id(), router, d);
        if (store != null) store.decided(exchange.requestId(), exchange.caller().id(), router, d);
        metrics.decided(router, d.chosen());
        exchange.trace().note("route", router.name());
        exchange.trace().note("route_model", d.model());
        long start = nanos.getAsLong();
        Reply reply;
        try {
            reply = next.proceed(exchange.withRequest(req.withModel(d.model())));
        } catch (ArbiterException e) {
            learn(router, d, 0, 0, millisSince(start));
            throw e;
        }
        reply = reply.withHeader("x-arbiter-route", router.name())
                .withHeader("x-arbiter-policy", router.policyName())
                .withHeader("x-arbiter-model", d.model());
        double cost = d.candidates().get(d.chosen()).cost();
        return switch (reply) {
            case Reply.Complete c -> {
                learn(router, d, 1, cost, millisSince(start));
                yield c;
            }
            case Reply.Streaming s -> {
                var failed = new AtomicBoolean();
                yield s.withStream(Streams.observe(s.stream(), f -> { }, e -> failed.set(true),
                        () -> learn(router, d, failed.get() ? 0 : 1, cost, millisSince(start))));
            }
        };
    }

    /** A caller's limit from a header: a number in [0, max], 0 when absent. */
    private static double limit(Exchange exchange, String header, double max) {
        var v = exchange.header(header);
        if (v.isEmpty()) return 0;
        try {
            double d = Double.parseDouble(v.get().trim());
            if (d >= 0 && d <= max) return d;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ArbiterException.BadRequest(header + ": '" + Untrusted.text(v.get(), 40) + "' (expected: a number"
                + (max == 1 ? " in [0, 1]" : " of US dollars >= 0") + ")", header);
    }

    private void learn(Router router, Router.Decision d, double quality, double cost, long millis) {
        router.learn(d, quality, cost, millis);
        if (store != null) store.learned(router);
    }

    private Optional<Decisions.Entry> find(String requestId) {
        var e = decisions.find(requestId);
        return e.isPresent() || store == null ? e : store.find(requestId, routers::get);
    }

    private long millisSince(long start) {
        return (nanos.getAsLong() - start) / 1_000_000;
    }

    private Reply feedback(Exchange exchange) {
        var req = exchange.request();
        String id = Feedback.requestId(req);
        var signals = Feedback.signals(req);
        var entry = find(id).filter(e -> e.callerId().equals(exchange.caller().id()))
                // another caller's request reads as unknown: whether an id exists is not told to other callers
                .orElseThrow(() -> new ArbiterException.NotFound("No request '" + Untrusted.text(id) + "' to give feedback on.",
                        "request_id", "request_not_found"));
        var accepted = Json.array();
        String comment = req.extra().path("comment").isTextual() ? req.extra().get("comment").asText() : null;
        for (Feedback.Signal s : signals) {
            boolean fresh = decisions.take(entry, s.kind());
            // the database's once-per-kind rule holds across restarts; memory's while it is away
            if (store != null) fresh = store.feedback(id, s.kind(), s.quality(), comment).orElse(fresh);
            if (fresh) {
                entry.router().feedback(entry.decision(), s.quality());
                if (store != null) store.learned(entry.router());
                metrics.feedback(entry.router(), s.kind());
                accepted.add(s.kind());
            }
        }
        ObjectNode body = Json.object().put("object", "feedback").put("request_id", id)
                .put("route", entry.decision().route()).put("model", entry.decision().model());
        body.set("accepted", accepted);
        return new Reply.Complete(new LlmResponse(id, null, 0, List.of(), null, WireFormat.OPENAI_RESPONSES, body), null);
    }

    @Override
    public void close() {
        if (store != null) store.close();
        if (embedder != null) embedder.close();
    }

    /**
     * The prompt's embedding, or none when the embedder is busy or fails: the route then decides on the text alone.
     * Only the first {@link #EMBEDDED_CHARS} characters are embedded (about the model's one window of 510 word pieces),
     * so a long prompt costs one window, not many.
     */
    private float[] embed(String prompt) {
        if (prompt.isBlank()) return new float[0];
        try {
            return embedder.embed(prompt.length() > EMBEDDED_CHARS ? prompt.substring(0, EMBEDDED_CHARS) : prompt);
        } catch (RuntimeException e) {
            return new float[0];
        }
    }

    /** {@code GET /admin/decisions/{id}} (a request's decision) and {@code GET /admin/routes} (each route's statistics). */
    public List<AdminRoute> adminRoutes() {
        return List.of(
                AdminRoute.get("routes", call -> {
                    ArrayNode out = Json.array();
                    routers.values().forEach(r -> out.add(Json.MAPPER.valueToTree(r.stats())));
                    return Json.object().set("routes", out);
                }),
                AdminRoute.get("decisions/{id}", call -> {
                    String id = call.params().get("id");
                    var e = find(id).orElseThrow(() -> new ArbiterException.NotFound(
                            "No decision for request '" + Untrusted.text(id) + "'.", "id", "not_found"));
                    ObjectNode out = Json.object().put("request_id", id);
                    out.setAll(DecisionJson.write(e.decision()));
                    out.set("feedback", Json.MAPPER.valueToTree(e.feedbackKinds()));
                    return out;
                }));
    }
}
