package dev.arbiter.cli;

import dev.arbiter.admin.AdminRoute;
import dev.arbiter.admin.AdminRoutes;
import dev.arbiter.analyze.Analyzer;
import dev.arbiter.analyze.AnalyzerConfig;
import dev.arbiter.api.GuardedConnections;
import dev.arbiter.api.HttpApi;
import dev.arbiter.api.TransportErrors;
import dev.arbiter.auth.AdminKeyAccess;
import dev.arbiter.auth.AuthConfig;
import dev.arbiter.auth.ModelAccess;
import dev.arbiter.auth.AuthenticateStage;
import dev.arbiter.cache.CacheConfig;
import dev.arbiter.cache.CacheStage;
import dev.arbiter.cache.ExactCache;
import dev.arbiter.cache.ModelCacheConfig;
import dev.arbiter.cache.SemanticLookup;
import dev.arbiter.cache.SemanticCacheLookup;
import dev.arbiter.observe.Cost;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.dedup.SingleFlightStage;
import dev.arbiter.auth.Keys;
import dev.arbiter.auth.MemoryKeyStore;
import dev.arbiter.auth.PostgresKeyStore;
import dev.arbiter.auth.StaticKeys;
import dev.arbiter.budget.BudgetConfig;
import dev.arbiter.budget.BudgetStage;
import dev.arbiter.config.PriceConfig;
import dev.arbiter.limit.AdmitStage;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.limit.LimitSpec;
import dev.arbiter.limit.RateLimitConfig;
import dev.arbiter.limit.RateLimitStage;
import dev.arbiter.limit.RateLimits;
import dev.arbiter.mock.MockProvider;
import dev.arbiter.observe.AccessLog;
import dev.arbiter.observe.Metrics;
import dev.arbiter.observe.ObserveConfig;
import dev.arbiter.observe.RequestLog;
import dev.arbiter.observe.Tracing;
import dev.arbiter.observe.UsageReport;
import dev.arbiter.db.Postgres;
import dev.arbiter.db.PostgresConfig;
import dev.arbiter.db.Redis;
import dev.arbiter.db.RedisConfig;
import dev.arbiter.decide.DecideStage;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import dev.arbiter.observe.ObserveStage;
import dev.arbiter.observe.OutcomeSink;
import dev.arbiter.pipeline.Pipeline;
import dev.arbiter.pipeline.Stage;
import dev.arbiter.pipeline.Watchdog;
import dev.arbiter.provider.AnthropicProvider;
import dev.arbiter.provider.OpenAiProvider;
import dev.arbiter.provider.ProviderKind;
import dev.arbiter.provider.Providers;
import dev.arbiter.provider.SecretMask;
import dev.arbiter.provider.Upstreams;
import dev.arbiter.reasoning.ReasoningConfig;
import dev.arbiter.reasoning.ReasoningEnvelope;
import dev.arbiter.resilience.Breakers;
import dev.arbiter.resilience.SharedStateConfig;
import dev.arbiter.resilience.Fallbacks;
import dev.arbiter.resilience.RetryPolicy;
import dev.arbiter.route.AttemptStage;
import dev.arbiter.route.Balancers;
import dev.arbiter.route.DeploymentConcurrency;
import dev.arbiter.route.DeploymentHealth;
import dev.arbiter.route.DeploymentQuotas;
import dev.arbiter.route.DeploymentLoad;
import dev.arbiter.route.Hedger;
import dev.arbiter.route.UpstreamState;
import dev.arbiter.route.ModelRegistry;
import dev.arbiter.route.RouteStage;
import dev.arbiter.store.ResponsesStage;
import dev.arbiter.store.StoreConfig;
import io.helidon.webserver.WebServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Arbiter assembled: the model registry, the pipeline and the HTTP server. The order of stages is written
 * here, once, outer to inner.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);
    /** How long streams cut at the drain timeout get to write their end. */
    private static final Duration CUT_GRACE = Duration.ofSeconds(2);

    /** The providers deployments may name: a new provider is its package plus one entry here. */
    public static final Providers PROVIDERS = Providers.of(
            OpenAiProvider.OPENAI,
            OpenAiProvider.AZURE,
            AnthropicProvider.KIND,
            MockProvider.KIND);

    private final ArbiterConfig config;
    private final Watchdog watchdog;
    private final Upstreams upstreams;
    private final ModelRegistry registry;
    private final Breakers breakers;
    /** Cooldowns and breaker openings, in memory or shared through Redis ({@code resilience.shared-state}). */
    private final UpstreamState upstreamState;
    private final Metrics metrics;
    private final Postgres postgres;
    /** The one Redis client, when {@code redis:} is configured. */
    private final Redis redis;
    private final RequestLog requestLog;
    /** The drift and anomaly watch over deployments, unless {@code analyzer.enabled: false}. */
    private final Analyzer analyzer;
    /** The response cache's tiers, when {@code cache:} is configured. */
    private final ExactCache cache;
    /** The semantic cache, when {@code cache.semantic} (or a model's) turns it on; {@link SemanticLookup#NONE} else. */
    private final SemanticLookup semantic;
    /** The stored Responses: in memory, and on the cache's Redis and PostgreSQL tiers when {@code cache.tiers} names them. */
    private final dev.arbiter.store.ResponseStore responseStore;
    private final DecideStage decide;
    /** OpenTelemetry tracing, when {@code observe.otlp} is configured. */
    private final Tracing tracing;
    private final HttpApi api;
    private final WebServer server;

    /**
     * What start-up checks beyond the config's own records, without starting: every deployment's provider can be
     * made (TLS files, URLs) every fallback chain resolves and the semantic cache's upstream embeddings model exists ({@code arbiter validate}). A {@code ConfigException}
     * names each problem; nothing is left running.
     */
    static void check(ArbiterConfig config) {
        try (var watchdog = new Watchdog("arbiter-validate", System::nanoTime); var upstreams = new Upstreams(watchdog)) {
            var providers = new ProviderKind.Context(SecretMask.of(config), upstreams);
            try (var registry = new ModelRegistry(config, d -> PROVIDERS.create(d, providers), PROVIDERS::nativeFormat)) {
                Fallbacks.chains(config, registry);
                SemanticCacheLookup.check(config.section(CacheConfig.SECTION), new ModelEmbeddings(registry));
            }
        }
    }

    private Gateway(ArbiterConfig config, List<OutcomeSink> extraSinks) {
        this.config = config;
        LongSupplier nanos = System::nanoTime;
        ReasoningEnvelope reasoning = config.section(ReasoningConfig.SECTION).envelope();
        this.watchdog = new Watchdog("arbiter-watchdog", nanos);
        this.upstreams = new Upstreams(watchdog);
        var providers = new ProviderKind.Context(SecretMask.of(config), upstreams);
        try {
            this.registry = new ModelRegistry(config, d -> PROVIDERS.create(d, providers), PROVIDERS::nativeFormat);
        } catch (RuntimeException e) {
            upstreams.close();   // a provider that could not be made leaves no client threads behind
            watchdog.close();
            throw e;
        }
        Map<String, List<ModelRegistry.Model>> fallbacks;
        try {
            fallbacks = Fallbacks.chains(config, registry);
            SemanticCacheLookup.check(config.section(CacheConfig.SECTION), new ModelEmbeddings(registry));
        } catch (RuntimeException e) {
            registry.close();
            upstreams.close();
            watchdog.close();
            throw e;
        }
        var sinks = new ArrayList<OutcomeSink>();
        this.metrics = new Metrics(registry.models().stream().map(ModelRegistry.Model::name).collect(java.util.stream.Collectors.toSet()));
        ObserveConfig observeConfig = config.section(ObserveConfig.SECTION);
        sinks.add(new AccessLog(observeConfig.jsonLogs()));
        sinks.add(metrics);
        PostgresConfig pg = config.section(PostgresConfig.SECTION);
        this.postgres = pg.configured() ? new Postgres(pg) : null;
        RedisConfig rc = config.section(RedisConfig.SECTION);
        this.redis = rc.configured() ? new Redis(rc) : null;
        ObserveConfig observe = observeConfig;
        if (observe.requestLog() && postgres == null) {
            log.warn("observe.request-log is on but no postgres: is configured; requests are not logged to a database");
        }
        this.requestLog = observe.requestLog() && postgres != null ? new RequestLog(postgres, observe, InstantSource.system()) : null;
        if (requestLog != null) {
            sinks.add(requestLog);
            FunctionCounter.builder("arbiter.request.log.dropped", requestLog, RequestLog::dropped)
                    .description("Request log records dropped: the buffer was full while PostgreSQL was slow or down")
                    .register(metrics.registry());
        }
        AnalyzerConfig analyzerConfig = config.section(AnalyzerConfig.SECTION);
        this.analyzer = analyzerConfig.enabled() ? new Analyzer(analyzerConfig, metrics.registry(), InstantSource.system()).start() : null;
        if (analyzer != null) sinks.add(analyzer);
        sinks.addAll(extraSinks);
        var limits = config.limits();
        var admission = new ConcurrencyLimiter("Arbiter", limits.maxInFlight(), limits.maxQueued(), limits.queueTimeoutsByClass(), nanos);
        metrics.queueDepth(admission::waiting);
        this.upstreamState = config.section(SharedStateConfig.SECTION).create(redis, registry, upstreams, nanos);
        this.breakers = Breakers.of(registry, nanos, upstreamState);
        breakers.bindTo(metrics.registry());
        var load = new DeploymentLoad(nanos);
        var health = new DeploymentHealth(upstreamState, breakers);
        CacheConfig cacheConfig = config.section(CacheConfig.SECTION);
        // on when the top-level block turns it on, or a model's own block does
        boolean cacheOn = cacheConfig.configured() || config.models().stream()
                .anyMatch(m -> Boolean.TRUE.equals(m.section(ModelCacheConfig.SECTION).enabled()));
        this.cache = cacheOn ? ExactCache.create(cacheConfig, redis, postgres, InstantSource.system()) : null;
        this.semantic = SemanticCacheLookup.create(cacheConfig, config.models().stream().map(m -> m.section(ModelCacheConfig.SECTION)).toList(),
                modelCache(config), cache, redis, postgres, new ModelEmbeddings(registry), InstantSource.system());
        var cacheStage = cacheStage(config, cacheConfig);
        this.responseStore = responseStore(config.section(StoreConfig.SECTION), cacheConfig);
        try {
            this.decide = DecideStage.of(config, nanos, new java.util.SplittableRandom(), java.util.Optional.ofNullable(postgres),
                    metrics.registry(), model -> registry.find(model).map(m -> m.deployments().stream().anyMatch(d -> breakers
                            .state(m.name() + "/" + d.name()).map(s -> s != CircuitBreaker.State.OPEN && s != CircuitBreaker.State.FORCED_OPEN)
                            .orElse(true))).orElse(true));
        } catch (RuntimeException e) {
            release();   // a route that names no model leaves no threads or pools behind
            throw e;
        }
        registry.catalog().listAlso(decide.routeNames());
        AuthConfig auth = config.section(AuthConfig.SECTION);
        Keys keys = new Keys(config.section(StaticKeys.SECTION), postgres != null ? new PostgresKeyStore(postgres) : new MemoryKeyStore(),
                auth.keyCacheTtl(), InstantSource.system());
        var budgets = new BudgetStage(config.section(BudgetConfig.SECTION), postgres, redis,
                name -> registry.find(name).map(m -> m.deployments().stream().map(d -> d.config().price())
                        .reduce(PriceConfig.FREE, (a, b) -> new PriceConfig(Math.max(a.input(), b.input()), Math.max(a.output(), b.output()), null, null))),
                (model, deployment) -> registry.deployment(model, deployment).map(d -> d.config().price()),
                metrics.registry(), InstantSource.system());
        var deploymentConcurrency = new DeploymentConcurrency(registry);
        deploymentConcurrency.bindTo(metrics.registry());
        var admit = new AdmitStage(admission);
        var modelLimits = new java.util.HashMap<String, LimitSpec>();
        for (var m : config.models()) if (!m.section(LimitSpec.MODEL).none()) modelLimits.put(m.name(), m.section(LimitSpec.MODEL));
        var rateLimits = new RateLimits(config.section(RateLimitConfig.SECTION).withModels(modelLimits), redis,
                name -> registry.find(name).map(ModelRegistry.Model::name), metrics.registry(), nanos);
        admit.registerMetrics(metrics.registry());
        this.tracing = observeConfig.otlp().configured() ? Tracing.start(observeConfig.otlp(), registry::deployment, InstantSource.system()) : null;
        var stages = new ArrayList<Stage>();
        if (tracing != null) {
            tracing.register(metrics.registry());
            stages.add(tracing.stage());   // outermost: the request's span holds every stage's
        }
        stages.addAll(List.of(
                new ObserveStage(registry, sinks, nanos, observeConfig.jsonLogs()),
                new AuthenticateStage(auth.mode(), keys, auth.callerResolver())));
        if (observeConfig.logContent().enabled()) stages.add(new dev.arbiter.observe.ContentLogStage(observeConfig.logContent()));
        stages.addAll(List.of(
                decide,
                new RateLimitStage(rateLimits),
                budgets,
                admit,
                new ResponsesStage(responseStore, InstantSource.system()),
                cacheStage,
                SingleFlightStage.of(config, name -> registry.find(name).map(ModelRegistry.Model::name), metrics.registry()),
                new RouteStage(registry, Balancers.perModel(config, load, analyzer == null ? null : analyzer::weightFactor), fallbacks, health),
                new AttemptStage(RetryPolicy.of(config, health::unavailableFor), reasoning, breakers, health.upstreams(), load,
                        Hedger.of(config, health, load, metrics.registry()), DeploymentQuotas.of(registry, rateLimits))));
        var admin = new AdminRoutes.Builder()
                .add(AdminRoute.get("latency", call -> metrics.latency()))
                .addAll(breakers.adminRoutes())
                .addAll(deploymentConcurrency.adminRoutes())
                .addAll(analyzer == null ? List.of() : analyzer.adminRoutes())
                .addAll(requestLog == null ? List.of() : new UsageReport(postgres.dataSource()).adminRoutes(InstantSource.system()))
                .addAll(cacheStage.adminRoutes())
                .addAll(decide.adminRoutes())
                .addAll(keys.adminRoutes())
                .addAll(budgets.spend().adminRoutes())
                .build();
        this.api = new HttpApi(config.server(), new Pipeline(stages), registry, nanos, reasoning, watchdog, metrics::scrape,
                admin, AdminKeyAccess.of(auth));
        api.modelAccess(new ModelAccess(auth.mode(), keys));
        // requests the edge refuses before the pipeline (a bad body, shutting down) are counted, and get a span when tracing
        api.refusals(tracing == null ? (rid, headers, method, path, status, error, took) -> metrics.refused(path, status, error)
                : (rid, headers, method, path, status, error, took) -> {
                    metrics.refused(path, status, error);
                    tracing.refused(rid, headers, method, path, status, error, took);
                });
        metrics.inFlight(api::inFlight);
        this.server = WebServer.builder()
                .host(config.server().host())
                .port(config.server().port())
                .shutdownHook(false)
                // Streams are many small writes: without TCP_NODELAY, Nagle's algorithm holds each one until the
                // client's delayed ACK (about 40 ms) arrives.
                .connectionOptions(o -> o.tcpNoDelay(true))
                .maxTcpConnections(config.server().effectiveMaxConnections())
                // Helidon's own HTTP/1 selector is replaced by one that frames requests and times their reads
                // (request smuggling, HTTP/1.0, slow clients: see GuardedConnections and RequestFramer)
                .protocolsDiscoverServices(false)
                .addConnectionSelector(new GuardedConnections(config.server(), watchdog))
                // requests Helidon refuses before routing are answered in the API's error format; its messages for
                // them (e.g. which header is malformed) are passed on where Helidon marks them safe to show
                .directHandlers(TransportErrors.all())
                .errorHandling(e -> e.includeEntity(true))
                .routing(api::routing)
                .build();
    }

    /** The cache stage: off (passing every request on) unless {@code cache:} is configured. */
    private CacheStage cacheStage(ArbiterConfig config, CacheConfig cacheConfig) {
        return new CacheStage(cacheConfig,
                name -> registry.find(name).map(ModelRegistry.Model::name).orElse(name),
                modelCache(config),
                cache, semantic,
                (by, usage) -> registry.deployment(by.model(), by.deployment()).map(d -> Cost.usd(usage, d.config().price())).orElse(0.0),
                metrics.registry(), InstantSource.system(), System::nanoTime);
    }

    /** Each logical model's own {@code cache:} block ({@link ModelCacheConfig#INHERIT} when none). */
    private static java.util.function.Function<String, ModelCacheConfig> modelCache(ArbiterConfig config) {
        Map<String, ModelCacheConfig> perModel = new java.util.HashMap<>();
        for (var m : config.models()) perModel.put(m.name(), m.section(ModelCacheConfig.SECTION));
        return name -> perModel.getOrDefault(name, ModelCacheConfig.INHERIT);
    }

    /** The semantic cache (for tests): empty unless configured. */
    public java.util.Optional<SemanticCacheLookup> semanticCache() {
        return semantic instanceof SemanticCacheLookup s ? java.util.Optional.of(s) : java.util.Optional.empty();
    }

    /** The stored Responses, on the cache's slower tiers when {@code cache.tiers} names them and they are configured. */
    private dev.arbiter.store.ResponseStore responseStore(StoreConfig store, CacheConfig cacheConfig) {
        Redis r = cacheConfig.tiers().contains(CacheConfig.TierKind.REDIS) ? redis : null;
        Postgres p = cacheConfig.tiers().contains(CacheConfig.TierKind.POSTGRES) ? postgres : null;
        if (r == null && p == null) return store.create();
        return new dev.arbiter.cache.TieredResponseStore(store.create(), r, p, cacheConfig, store.ttl(), InstantSource.system());
    }

    /** The response cache's tiers, when configured (for tests and the admin API). */
    public java.util.Optional<ExactCache> cache() {
        return java.util.Optional.ofNullable(cache);
    }

    /** Starts a gateway; {@code extraSinks} receive every request's outcome (tests and later features). */
    public static Gateway start(ArbiterConfig config, List<OutcomeSink> extraSinks) {
        Gateway g = new Gateway(config, extraSinks);
        g.server.start();
        // Helidon logs a listener that could not bind and carries on without it; a gateway that listens nowhere
        // must not look started
        if (!g.server.isRunning() || g.server.port() <= 0) {
            g.server.stop();
            g.release();
            throw new IllegalStateException("could not listen on " + config.server().host() + ":" + config.server().port()
                    + " (is another process using that port?)");
        }
        g.api.ready();
        g.registry.catalog().warm();
        return g;
    }

    public static Gateway start(ArbiterConfig config) {
        return start(config, List.of());
    }

    public int port() {
        return server.port();
    }

    public ModelRegistry registry() {
        return registry;
    }

    /** The circuit breaker of every deployment. */
    public Breakers breakers() {
        return breakers;
    }

    /** The analyzer, unless it is disabled. */
    public java.util.Optional<Analyzer> analyzer() {
        return java.util.Optional.ofNullable(analyzer);
    }

    /** OpenTelemetry tracing, when {@code observe.otlp} is configured (tests flush it). */
    public java.util.Optional<Tracing> tracing() {
        return java.util.Optional.ofNullable(tracing);
    }

    /** The gateway's upstream endpoints (for tests and the admin API to come). */
    public Upstreams upstreams() {
        return upstreams;
    }

    /**
     * Graceful stop: new requests get 503, those in flight run on until done or the drain timeout, then the
     * server stops, upstream connections are closed and the gateway's threads end.
     */
    @Override
    public void close() {
        api.drain();
        Duration drain = config.server().drainTimeout();
        long until = System.nanoTime() + drain.toNanos();
        while (api.inFlight() > 0 && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (api.inFlight() > 0) {
            log.warn("drain timeout {} passed with {} requests in flight: ending their streams", drain, api.inFlight());
            api.cutStreams();
            // the cut streams write their error event, end and access line on their own threads
            until = System.nanoTime() + CUT_GRACE.toNanos();
            while (api.inFlight() > 0 && System.nanoTime() < until) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        server.stop();
        release();
    }

    private void release() {
        breakers.close();   // its health checks stop before the providers they call are closed
        if (upstreamState instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing the shared upstream state failed: {}", e.toString());
            }
        }
        registry.close();
        upstreams.close();
        watchdog.close();
        if (analyzer != null) analyzer.close();
        if (requestLog != null) requestLog.close();   // writes what it still holds, while the pool is open
        if (semantic instanceof SemanticCacheLookup s) s.close();   // its queued entries go out while Redis and the pool are open
        if (cache != null) cache.close();   // its queued writes go out while Redis and the pool are open
        if (responseStore instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("closing the response store failed: {}", e.toString());
            }
        }
        if (decide != null) decide.close();   // writes the policies' state, while the pool is open
        if (tracing != null) tracing.close();   // exports the spans still queued, bounded
        if (postgres != null) postgres.close();
        if (redis != null) redis.close();
    }
}
