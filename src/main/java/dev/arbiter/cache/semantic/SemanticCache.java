package dev.arbiter.cache.semantic;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Finds a stored answer by meaning: the final user turn of a request is embedded and looked up among the prompts
 * answered before in the same context (the partition: model, system prompt, earlier turns, tools, parameters,
 * caller, hashed by the caller of this class). A stored prompt answers a new one when their cosine similarity is at
 * least the threshold and no {@link Guard} vetoes it. This class holds ids only: the cache's tiers hold responses and
 * the {@link IndexEntry entries} to rebuild the index from.
 *
 * <p>Use: {@code var probe = cache.probe(partition, prompt);} then on {@code probe.hit()} serve the response stored
 * under the hit's id; on a miss, once the upstream answer is complete and stored under {@code id},
 * {@code probe.remember(id, expiresAt)} indexes the prompt and returns the entry for the tiers to persist.
 * Thread-safe.
 */
public final class SemanticCache implements AutoCloseable {
    private final SemanticConfig config;
    private final Embedder embedder;
    private final VectorIndex index;
    private final LongAdder lookups = new LongAdder();
    private final LongAdder hits = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final Map<Guard, LongAdder> vetoes = new EnumMap<>(Guard.class);

    public SemanticCache(SemanticConfig config, Embedder embedder, VectorIndex index) {
        this.config = config;
        this.embedder = embedder;
        this.index = index;
        for (Guard g : Guard.values()) vetoes.put(g, new LongAdder());
    }

    /** The in-process cache {@code config} describes: its local model and a Lucene HNSW index in the heap. */
    public static SemanticCache inProcess(SemanticConfig config, InstantSource clock) {
        var embedder = new LocalEmbedder(LocalEmbedder.Model.named(config.model()));
        var index = new LuceneHnswIndex(embedder.dimension(), config.maxEntries(), config.refreshInterval(), clock);
        return new SemanticCache(config, embedder, index);
    }

    /**
     * The partition of a context: a SHA-256 over {@code parts} (each length-prefixed, so no two lists of parts
     * collide). Give it everything but the final user turn that must match exactly: logical model, system prompt,
     * earlier turns, tools, parameters, caller or namespace, in canonical form.
     */
    public static String partition(List<String> parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                byte[] b = p.getBytes(StandardCharsets.UTF_8);
                sha.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
                sha.update(b);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Embeds {@code prompt} and looks it up in {@code partition}. A prompt too long, or an embedder too busy, gives a
     * probe that neither hits nor remembers (the exact cache still serves it).
     */
    public Probe probe(String partition, String prompt) {
        lookups.increment();
        if (prompt.length() > config.maxPromptChars()) {
            skipped.increment();
            return new Probe(this, partition, prompt, null, null);
        }
        float[] vector;
        try {
            vector = embedder.embed(prompt);
        } catch (RejectedExecutionException | IllegalStateException | java.io.UncheckedIOException unavailable) {
            // a busy local embedder or a failing upstream one: the exact cache still serves this request
            skipped.increment();
            return new Probe(this, partition, prompt, null, null);
        }
        SemanticHit hit = null;
        for (Match m : index.search(partition, vector, config.candidates(), (float) config.threshold())) {
            List<Guard> veto = Guard.vetoes(config.guards(), prompt, m.prompt());
            if (veto.isEmpty()) {
                hit = new SemanticHit(m.id(), m.similarity(), m.prompt());
                hits.increment();
                break;
            }
            veto.forEach(g -> vetoes.get(g).increment());
        }
        return new Probe(this, partition, prompt, vector, hit);
    }

    /** Removes the prompt stored under {@code id} (its response was evicted, purged or expired). */
    public void forget(String id) {
        index.remove(id);
    }

    /** Replaces the index's contents with {@code entries} (as the tiers persisted them); returns how many it kept. */
    public long rebuild(Stream<IndexEntry> entries) {
        return index.rebuild(entries);
    }

    /** Removes expired prompts from the index; the cache calls it now and then (each search skips them anyway). */
    public long removeExpired() {
        return index.removeExpired();
    }

    /** Counters since start, for the cache's statistics. */
    public Stats stats() {
        Map<Guard, Long> v = new EnumMap<>(Guard.class);
        vetoes.forEach((g, n) -> v.put(g, n.sum()));
        return new Stats(lookups.sum(), hits.sum(), skipped.sum(), Map.copyOf(v), index.size());
    }

    /** The settings this cache runs with. */
    public SemanticConfig config() {
        return config;
    }

    @Override
    public void close() {
        index.close();
        embedder.close();
    }

    /** A semantic hit: the id the matching prompt's response is stored under, its similarity, and that prompt. */
    public record SemanticHit(String id, float similarity, String prompt) {
        /** The {@code x-arbiter-cache} header's value for this hit, e.g. {@code semantic-hit; similarity=0.97}. */
        public String header() {
            return String.format(java.util.Locale.ROOT, "semantic-hit; similarity=%.2f", Math.floor(similarity * 100) / 100);
        }
    }

    /**
     * Semantic lookups since start: {@code skipped} were too long or met a busy embedder; {@code vetoes} counts
     * candidates each guard turned down; {@code entries} is the index's size.
     */
    public record Stats(long lookups, long hits, long skipped, Map<Guard, Long> vetoes, long entries) {
    }

    /** One lookup's outcome, kept to index the prompt after a miss without embedding it again. */
    public static final class Probe {
        private final SemanticCache cache;
        private final String partition;
        private final String prompt;
        private final float[] vector;
        private final SemanticHit hit;

        private Probe(SemanticCache cache, String partition, String prompt, float[] vector, SemanticHit hit) {
            this.cache = cache;
            this.partition = partition;
            this.prompt = prompt;
            this.vector = vector;
            this.hit = hit;
        }

        /** Whether the prompt was embedded and searched for (false: too long, or the embedder was busy or failed). */
        public boolean searched() {
            return vector != null;
        }

        /** The stored prompt that answers this one, if any. */
        public Optional<SemanticHit> hit() {
            return Optional.ofNullable(hit);
        }

        /**
         * Indexes this probe's prompt as answered by the response stored under {@code id} until {@code expiresAt};
         * returns the entry for the tiers to persist, or empty when the prompt is not cacheable by meaning.
         */
        public Optional<IndexEntry> remember(String id, Instant expiresAt) {
            if (vector == null) return Optional.empty();
            var entry = new IndexEntry(id, partition, prompt, vector, expiresAt);
            cache.index.add(entry);
            return Optional.of(entry);
        }
    }
}
