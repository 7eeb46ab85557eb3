package dev.arbiter.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SemanticCacheTest {
    private final TestClock clock = new TestClock();
    private SemanticCache cache;

    private SemanticCache cache(SemanticConfig config) {
        cache = SemanticCache.inProcess(config, clock);
        return cache;
    }

    @AfterEach
    void close() {
        if (cache != null) cache.close();
    }

    private Instant inAnHour() {
        return clock.instant().plus(Duration.ofHours(1));
    }

    @Test
    void probe_paraphraseInSamePartition_hitsWithTheStoredId() {
        var c = cache(SemanticConfig.DEFAULT.withThreshold(0.8));
        String p = SemanticCache.partition(List.of("gpt-4o", "caller-a"));
        var miss = c.probe(p, "How do I reset my password?");
        assertThat(miss.hit()).isEmpty();
        var entry = miss.remember("resp-1", inAnHour()).orElseThrow();
        assertThat(entry.partition()).isEqualTo(p);
        assertThat(entry.vector()).hasSize(384);

        var hit = c.probe(p, "How can I reset my password?").hit().orElseThrow();
        assertThat(hit.id()).isEqualTo("resp-1");
        assertThat(hit.prompt()).isEqualTo("How do I reset my password?");
        assertThat(hit.similarity()).isGreaterThan(0.8f);
        assertThat(hit.header()).matches("semantic-hit; similarity=0\\.\\d\\d");
        assertThat(c.probe(p, "Write a haiku about autumn leaves").hit()).isEmpty();
    }

    @Test
    void probe_otherCallerOrModel_neverHits() {
        var c = cache(SemanticConfig.DEFAULT.withThreshold(0.8));
        c.probe(SemanticCache.partition(List.of("gpt-4o", "caller-a")), "How do I reset my password?").remember("a", inAnHour());
        assertThat(c.probe(SemanticCache.partition(List.of("gpt-4o", "caller-b")), "How do I reset my password?").hit()).isEmpty();
        assertThat(c.probe(SemanticCache.partition(List.of("gpt-4o-mini", "caller-a")), "How do I reset my password?").hit()).isEmpty();
        assertThat(c.probe(SemanticCache.partition(List.of("gpt-4o", "caller-a")), "How do I reset my password?").hit()).isPresent();
    }

    @Test
    void partition_partsAreDelimited() {
        assertThat(SemanticCache.partition(List.of("ab", "c"))).isNotEqualTo(SemanticCache.partition(List.of("a", "bc")));
        assertThat(SemanticCache.partition(List.of("a"))).hasSize(64).isEqualTo(SemanticCache.partition(List.of("a")));
    }

    @Test
    void probe_guardVetoes_missAndCountsTheVeto() {
        var c = cache(SemanticConfig.DEFAULT.withThreshold(0.8).withGuards(EnumSet.of(Guard.NUMBERS)));
        c.probe("p", "Convert 5 kilometres to miles").remember("five", inAnHour());
        assertThat(c.probe("p", "Convert 8 kilometres to miles").hit()).isEmpty();
        assertThat(c.stats().vetoes()).containsEntry(Guard.NUMBERS, 1L);

        var unguarded = SemanticCache.inProcess(SemanticConfig.DEFAULT.withThreshold(0.8).withGuards(Set.of()), clock);
        try (unguarded) {
            unguarded.probe("p", "Convert 5 kilometres to miles").remember("five", inAnHour());
            assertThat(unguarded.probe("p", "Convert 8 kilometres to miles").hit()).map(SemanticCache.SemanticHit::id).contains("five");
        }
    }

    @Test
    void probe_promptTooLong_neitherHitsNorRemembers() {
        var config = new SemanticConfig(0.8, "all-minilm-l6-v2-q", 1000, Set.of(), 4, 20, Duration.ZERO);
        var c = cache(config);
        var probe = c.probe("p", "a prompt longer than twenty characters");
        assertThat(probe.remember("x", inAnHour())).isEmpty();
        assertThat(c.stats().skipped()).isEqualTo(1);
        assertThat(c.stats().entries()).isZero();
    }

    @Test
    void probe_afterExpiry_misses() {
        var c = cache(SemanticConfig.DEFAULT.withThreshold(0.8));
        c.probe("p", "What is a monad?").remember("m", clock.instant().plusSeconds(60));
        assertThat(c.probe("p", "What's a monad?").hit()).isPresent();
        clock.advance(Duration.ofSeconds(61));
        assertThat(c.probe("p", "What's a monad?").hit()).isEmpty();
        assertThat(c.removeExpired()).isEqualTo(1);
    }

    @Test
    void rebuild_fromPersistedEntries_servesAsBefore() {
        var first = cache(SemanticConfig.DEFAULT.withThreshold(0.8));
        var entry = first.probe("p", "How do I reverse a list in Python?").remember("r", inAnHour()).orElseThrow();
        // what a tier would store, and what a second node reads back
        var stored = new IndexEntry(entry.id(), entry.partition(), entry.prompt(), IndexEntry.vector(IndexEntry.bytes(entry.vector())),
                entry.expiresAt());
        try (var second = SemanticCache.inProcess(SemanticConfig.DEFAULT.withThreshold(0.8), clock)) {
            assertThat(second.probe("p", "How can I reverse a Python list?").hit()).isEmpty();
            assertThat(second.rebuild(java.util.stream.Stream.of(stored))).isEqualTo(1);
            assertThat(second.probe("p", "How can I reverse a list in Python?").hit()).map(SemanticCache.SemanticHit::id).contains("r");
        }
    }

    @Test
    void probe_busyEmbedder_isSkippedNotFailed() {
        var calls = new AtomicInteger();
        Embedder busy = new Embedder() {
            @Override
            public float[] embed(String text) {
                calls.incrementAndGet();
                throw new java.util.concurrent.RejectedExecutionException("queue full");
            }

            @Override
            public int dimension() {
                return 4;
            }

            @Override
            public String name() {
                return "busy";
            }
        };
        try (var c = new SemanticCache(SemanticConfig.DEFAULT, busy, new LuceneHnswIndex(4, 10, Duration.ZERO, clock))) {
            var probe = c.probe("p", "hello");
            assertThat(probe.hit()).isEmpty();
            assertThat(probe.remember("x", inAnHour())).isEmpty();
            assertThat(c.stats().skipped()).isEqualTo(1);
            assertThat(calls).hasValue(1);
        }
    }
}
