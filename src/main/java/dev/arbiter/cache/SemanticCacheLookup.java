package dev.arbiter.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.arbiter.cache.semantic.Embedder;
import dev.arbiter.cache.semantic.EmbeddingModels;
import dev.arbiter.cache.semantic.Guard;
import dev.arbiter.cache.semantic.IndexEntry;
import dev.arbiter.cache.semantic.LocalEmbedder;
import dev.arbiter.cache.semantic.LuceneHnswIndex;
import dev.arbiter.cache.semantic.SemanticCache;
import dev.arbiter.cache.semantic.SemanticConfig;
import dev.arbiter.cache.semantic.UpstreamEmbedder;
import dev.arbiter.cache.semantic.VectorIndex;
import dev.arbiter.config.ConfigException;
import dev.arbiter.db.Postgres;
import dev.arbiter.db.Redis;
import dev.arbiter.llm.RequestKey;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The semantic cache in the request path: the {@link SemanticLookup} the cache stage asks after an exact miss.
 *
 * <p>Design. The embedder takes seconds to load, so it loads on a thread of its own at start, then the index is
 * rebuilt from the entries persisted in the shared tiers (the newest {@code max-entries}, expired ones skipped); until
 * then every lookup is a plain miss, and no request waits. A lookup embeds the request's final user turn and searches
 * its {@link SemanticContext partition} within {@code lookup-timeout}; a hit names the exact cache key of a stored
 * answer, read from the exact cache's tiers and served only if it belongs to the same scope and model. Anything that
 * fails or is late is a miss, never an error. When an answer is stored after a miss, its prompt is indexed by one
 * writer thread (reusing the lookup's vector when there was one) and persisted to the shared tiers, all off the
 * request's path; a full write queue drops the entry (counted). One embedder and one index serve every model; a
 * model's own {@code semantic:} block changes only how its lookups judge candidates ({@link SemanticConfig.Override}).
 *
 * <p>The embedder is the in-process model, or with {@code model: {upstream: NAME}} an {@link UpstreamEmbedder} that
 * asks the configured embeddings model through the gateway's providers ({@link EmbeddingModels}); one that does not
 * answer at start is tried again until it does (lookups are not-ready misses meanwhile), one that fails later makes
 * each failed lookup a miss. A lookup that ran (found nothing, failed, or was late) is a {@link Miss}; one for a
 * request the cache does not look up by meaning (off for the model, no text final turn, a prompt too long, not
 * ready) is {@link Skipped}, so that the stage counts semantic misses only where a semantic hit was possible.
 */
public final class SemanticCacheLookup implements SemanticLookup, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SemanticCacheLookup.class);

    private record Loaded(Embedder embedder, VectorIndex index, long loadMillis) {}

    /** A lookup's outcome, kept until the answer is stored so that its prompt is not embedded twice. */
    private record Pending(SemanticContext context, SemanticCache.Probe probe) {}

    private final SemanticConfig shared;
    private final boolean onByDefault;
    private final Duration timeout;
    private final Function<String, ModelCacheConfig> models;
    private final ExactCache exact;
    private final RequestKey.Options keyOptions;
    private final PersistedEntries persisted;
    private final InstantSource clock;
    private final CompletableFuture<Loaded> ready = new CompletableFuture<>();
    private final Map<SemanticConfig, SemanticCache> caches = new ConcurrentHashMap<>();
    private final Cache<Exchange, Pending> pending = Caffeine.newBuilder().weakKeys().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(10)).executor(Runnable::run).build();
    /** The exact cache key of each indexed id, for purges by namespace or model. */
    private final Cache<String, CacheKey> keys;
    private final WriteQueue writer;
    private final ExecutorService lookups = Executors.newVirtualThreadPerTaskExecutor();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder notReady = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder stale = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final Thread loader;
    private final boolean upstream;
    private volatile long rebuilt;
    private volatile boolean closed;

    SemanticCacheLookup(CacheConfig config, Function<String, ModelCacheConfig> models, ExactCache exact, PersistedEntries persisted,
                        Supplier<Embedder> embedder, boolean upstream, InstantSource clock) {
        var top = config.semantic();
        this.shared = top != null ? top.config() : SemanticConfig.DEFAULT;
        this.onByDefault = top != null && top.enabled();
        this.timeout = top != null ? top.lookupTimeout() : CacheConfig.SemanticSettings.DEFAULT_LOOKUP_TIMEOUT;
        this.models = models;
        this.exact = exact;
        this.keyOptions = new RequestKey.Options(config.normalizeWhitespace(), config.caseFold());
        this.persisted = persisted;
        this.clock = clock;
        this.keys = Caffeine.newBuilder().maximumSize(shared.maxEntries()).executor(Runnable::run).build();
        // one thread: indexing runs the embedder, which has threads of its own, and keeps the order of writes
        this.writer = new WriteQueue("arbiter-semantic-writer", config.writeQueue());
        this.upstream = upstream;
        this.loader = Thread.ofPlatform().daemon().name("arbiter-semantic-load").start(() -> load(embedder, upstream));
    }

    /**
     * The semantic cache {@code config} asks for, on the exact cache {@code exact}, its entries persisted in the shared
     * tiers {@code cache.tiers} names (when their clients are configured: {@code redis} and {@code postgres} may be
     * null), embedding with the in-process model or, with {@code model: {upstream: NAME}}, through {@code embeddings};
     * {@link SemanticLookup#NONE} when neither the top-level block nor a model's turns it on.
     */
    public static SemanticLookup create(CacheConfig config, List<ModelCacheConfig> modelBlocks, Function<String, ModelCacheConfig> models,
                                        ExactCache exact, Redis redis, Postgres postgres, EmbeddingModels embeddings, InstantSource clock) {
        boolean anyModel = modelBlocks.stream().anyMatch(m -> m.semantic() != null && !Boolean.FALSE.equals(m.semantic().enabled()));
        boolean top = config.semantic() != null && config.semantic().enabled();
        if (exact == null || (!top && !anyModel)) return SemanticLookup.NONE;
        SemanticConfig shared = config.semantic() != null ? config.semantic().config() : SemanticConfig.DEFAULT;
        SemanticConfig.Upstream up = config.semantic() != null ? config.semantic().upstream() : null;
        Supplier<Embedder> embedder = up == null ? () -> new LocalEmbedder(LocalEmbedder.Model.named(shared.model()))
                : () -> new UpstreamEmbedder(shared.model() + (up.dimensions() > 0 ? "/" + up.dimensions() : ""), up.model(),
                        (body, t) -> embeddings.send(up.model(), body, t), up.dimensions(), up.timeout());
        return new SemanticCacheLookup(config, models, exact, PersistedEntries.of(config, redis, postgres, shared.maxEntries()),
                embedder, up != null, clock);
    }

    /**
     * Checks, when the gateway starts, that {@code cache.semantic.model: {upstream: NAME}} names a configured model
     * that serves embeddings; throws {@link ConfigException} naming the key otherwise.
     */
    public static void check(CacheConfig config, EmbeddingModels embeddings) {
        SemanticConfig.Upstream up = config.semantic() != null ? config.semantic().upstream() : null;
        if (up == null) return;
        Optional<String> problem = embeddings.problem(up.model());
        ConfigException.require(problem.isEmpty(), "cache.semantic.model.upstream", up.model(),
                "the name of a configured model with embeddings: true" + problem.map(p -> "; this is " + p).orElse(""));
    }

    /**
     * Loads the embedder and rebuilds the index, on a thread of its own. An upstream embeddings model that does not
     * answer yet (down, or the gateway's network not up) is tried again, 1 s later and then twice as late each time
     * up to a minute, until it answers or the gateway closes; lookups are plain misses meanwhile. A local model that
     * fails to load fails for good (its files or native libraries are missing): the semantic cache is then off.
     */
    private void load(Supplier<Embedder> factory, boolean retry) {
        long start = System.nanoTime();
        long backoff = 1000;
        while (!closed) {
            Embedder embedder = null;
            try {
                embedder = factory.get();
                var index = new LuceneHnswIndex(embedder.dimension(), shared.maxEntries(), shared.refreshInterval(), clock);
                // the first inferences and searches load and compile their code (most of a second): not on a request
                for (int i = 0; i < (retry ? 1 : 3); i++) index.search("warm-up", embedder.embed("warm up the embedder " + i), 1, 1f);
                rebuilt = rebuild(index, embedder);
                var loaded = new Loaded(embedder, index, (System.nanoTime() - start) / 1_000_000);
                if (closed) {
                    index.close();
                    embedder.close();
                    return;
                }
                ready.complete(loaded);
                log.info("semantic cache ready: embedder {} loaded in {} ms, {} entries rebuilt", embedder.name(), loaded.loadMillis(), rebuilt);
                return;
            } catch (RuntimeException | LinkageError e) {
                if (embedder != null) embedder.close();
                if (!retry || closed) {
                    ready.completeExceptionally(e);
                    log.warn("semantic cache off: the embedder {} could not be loaded ({}); exact caching goes on", shared.model(), e.toString());
                    return;
                }
                loadFailures.increment();
                log.warn("semantic cache not ready: the embeddings model {} did not answer ({}); trying again in {} s", shared.model(),
                        e.getMessage(), backoff / 1000);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException stop) {
                    return;
                }
                backoff = Math.min(backoff * 2, 60_000);
            }
        }
    }

    /** Puts the newest entries of the shared tiers in {@code index}. */
    private long rebuild(VectorIndex index, Embedder embedder) {
        // an upstream model may answer with vectors of another length than when an entry was made: those are left out
        List<PersistedEntry> entries = persisted.newest(embedder.name(), clock.millis(), shared.maxEntries()).stream()
                .filter(e -> e.entry().vector().length == embedder.dimension()).toList();
        entries.forEach(e -> keys.put(e.entry().id(), e.key()));
        return index.rebuild(entries.stream().map(PersistedEntry::entry));
    }

    /** The settings a lookup for {@code model} runs with; null when the semantic cache is off for it. */
    private SemanticConfig configFor(String model) {
        SemanticConfig.Override own = models.apply(model).semantic();
        if (own != null) return Boolean.FALSE.equals(own.enabled()) ? null : own.applyTo(shared);
        return onByDefault ? shared : null;
    }

    private SemanticCache cache(SemanticConfig config, Loaded l) {
        return caches.computeIfAbsent(config, c -> new SemanticCache(c, l.embedder(), l.index()));
    }

    @Override
    public Outcome lookup(Exchange exchange, CacheKey key) {
        try {
            return find(exchange, key);
        } catch (RuntimeException e) {
            // a failure of the semantic cache is a miss: the exact cache and the upstream still answer
            failures.increment();
            misses.increment();
            log.debug("semantic lookup failed: {}", e.toString());
            return Miss.INSTANCE;
        }
    }

    private Outcome find(Exchange exchange, CacheKey key) {
        SemanticConfig config = configFor(key.model());
        if (config == null) return Skipped.INSTANCE;
        Loaded l = loaded();
        if (l == null) {
            notReady.increment();
            return Skipped.INSTANCE;
        }
        Optional<SemanticContext> context = SemanticContext.of(exchange.request(), key, keyOptions, l.embedder().name());
        if (context.isEmpty()) return Skipped.INSTANCE;
        SemanticCache cache = cache(config, l);
        if (context.get().prompt().length() > config.maxPromptChars()) {
            cache.probe(context.get().partition(), context.get().prompt());   // counted there as skipped; embeds nothing
            return Skipped.INSTANCE;
        }
        Future<SemanticCache.Probe> f = lookups.submit(() -> cache.probe(context.get().partition(), context.get().prompt()));
        SemanticCache.Probe probe;
        try {
            probe = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            timeouts.increment();
            misses.increment();
            return Miss.INSTANCE;
        } catch (ExecutionException e) {
            failures.increment();
            misses.increment();
            return Miss.INSTANCE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Skipped.INSTANCE;
        }
        pending.put(exchange, new Pending(context.get(), probe));
        if (!probe.searched()) failures.increment();   // the embedder was busy or failed (an upstream one: down or late)
        Optional<SemanticCache.SemanticHit> near = probe.hit();
        if (near.isEmpty()) {
            misses.increment();
            return Miss.INSTANCE;
        }
        String id = near.get().id();
        Optional<CachedAnswer> answer = exact.get(new CacheKey(key.scope(), key.model(), RequestKey.ofHex(id)))
                .filter(a -> key.scope().equals(a.scope()) && key.model().equals(a.model()));
        if (answer.isEmpty()) {
            // the answer expired, was evicted or purged: its prompt answers nothing any more
            cache.forget(id);
            keys.invalidate(id);
            stale.increment();
            misses.increment();
            return Miss.INSTANCE;
        }
        hits.increment();
        return new Hit(answer.get(), Math.floor(near.get().similarity() * 100) / 100);
    }

    @Override
    public void stored(Exchange exchange, CacheKey key, CachedAnswer answer) {
        Pending p = pending.asMap().remove(exchange);
        SemanticConfig config = configFor(key.model());
        if (config == null || ready.isCompletedExceptionally() || closed) return;
        writer.offer(() -> index(p, exchange, key, answer, config));
    }

    /** On the writer thread: indexes the stored answer's prompt and persists the entry. */
    private void index(Pending p, Exchange exchange, CacheKey key, CachedAnswer answer, SemanticConfig config) {
        Loaded l;
        try {
            l = ready.get(10, TimeUnit.MINUTES);
        } catch (ExecutionException | TimeoutException e) {
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            Instant expires = Instant.ofEpochMilli(answer.expiresMillis());
            Optional<IndexEntry> entry = p != null ? p.probe().remember(key.id(), expires) : Optional.empty();
            if (entry.isEmpty()) {
                // no vector from the lookup (it was late, skipped, or there was none): embed here, off the request's path
                var context = p != null ? Optional.of(p.context()) : SemanticContext.of(exchange.request(), key, keyOptions, l.embedder().name());
                if (context.isEmpty() || context.get().prompt().length() > config.maxPromptChars()) return;
                var e = new IndexEntry(key.id(), context.get().partition(), context.get().prompt(), l.embedder().embed(context.get().prompt()), expires);
                l.index().add(e);
                entry = Optional.of(e);
            }
            if (entry.isEmpty()) return;
            keys.put(key.id(), key);
            persisted.save(new PersistedEntry(entry.get(), key.scope(), key.model(), l.embedder().name(), answer.createdMillis()));
        } catch (RuntimeException e) {
            failures.increment();
            log.debug("semantic indexing failed: {}", e.toString());
        }
    }

    @Override
    public long purge(Purge purge) {
        long removed = 0;
        Loaded l = loaded();
        if (l != null) {
            if (purge.equals(Purge.ALL)) {
                removed = l.index().size();
                l.index().rebuild(java.util.stream.Stream.empty());
                keys.invalidateAll();
            } else {
                for (var e : List.copyOf(keys.asMap().entrySet())) {
                    if (!purge.matches(e.getValue())) continue;
                    l.index().remove(e.getKey());
                    keys.invalidate(e.getKey());
                    removed++;
                }
            }
        }
        persisted.purge(purge);
        return removed;
    }

    /** The embedder and index once loaded; null while loading or when loading failed. */
    private Loaded loaded() {
        return ready.isDone() && !ready.isCompletedExceptionally() ? ready.join() : null;
    }

    /** Whether the embedder is loaded and the index rebuilt (lookups before that are misses). */
    public boolean ready() {
        return loaded() != null;
    }

    @Override
    public ObjectNode stats() {
        Loaded l = loaded();
        ObjectNode out = Json.object();
        out.putObject("embedder").put("model", shared.model())
                .put("state", l != null ? "ready" : ready.isCompletedExceptionally() ? "failed" : "loading")
                .put("ready", l != null).put("load_ms", l != null ? l.loadMillis() : 0).put("load_failures", loadFailures.sum());
        long skipped = 0;
        Map<Guard, Long> vetoes = new java.util.EnumMap<>(Guard.class);
        for (SemanticCache c : caches.values()) {
            var s = c.stats();
            skipped += s.skipped();
            s.vetoes().forEach((g, n) -> vetoes.merge(g, n, Long::sum));
        }
        out.put("entries", l != null ? l.index().size() : 0).put("threshold", shared.threshold())
                .put("hits", hits.sum()).put("misses", misses.sum()).put("not_ready", notReady.sum())
                .put("timeouts", timeouts.sum()).put("skipped", skipped).put("stale", stale.sum())
                .put("failures", failures.sum()).put("writes_dropped", writer.dropped()).put("rebuilt", rebuilt);
        ObjectNode v = out.putObject("vetoes");
        vetoes.forEach((g, n) -> v.put(g.configName(), n));
        out.set("persisted", persisted.stats());
        return out;
    }

    /** Waits (at most {@code timeout}) until the entries queued for indexing so far are indexed and persisted: for tests. */
    public boolean flush(Duration timeout) {
        return writer.flush(timeout);
    }

    @Override
    public void close() {
        closed = true;
        if (upstream) loader.interrupt();   // a load waiting to try the embeddings model again (a local load is left be)
        writer.close();
        lookups.shutdownNow();
        Loaded l = loaded();
        if (l != null) {
            l.index().close();
            l.embedder().close();
        }
    }
}
