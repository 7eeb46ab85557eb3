package dev.arbiter.cache.semantic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Runs across refresh intervals: 0 (the reader refreshed at every search after a write) and 1 h (recent writes only). */
class LuceneHnswIndexTest {
    private static final int DIM = 16;
    private final TestClock clock = new TestClock();
    private final List<LuceneHnswIndex> open = new ArrayList<>();

    private LuceneHnswIndex index(long refreshSeconds) {
        return index(refreshSeconds, 1_000_000);
    }

    private LuceneHnswIndex index(long refreshSeconds, long maxEntries) {
        var index = new LuceneHnswIndex(DIM, maxEntries, Duration.ofSeconds(refreshSeconds), clock);
        open.add(index);
        return index;
    }

    @AfterEach
    void close() {
        open.forEach(LuceneHnswIndex::close);
    }

    private static float[] axis(int i) {
        float[] v = new float[DIM];
        v[i] = 1;
        return v;
    }

    /** A unit vector at cosine {@code c} from axis 0, in the plane of axes 0 and 1. */
    private static float[] near0(double c) {
        float[] v = new float[DIM];
        v[0] = (float) c;
        v[1] = (float) Math.sqrt(1 - c * c);
        return v;
    }

    private IndexEntry entry(String id, String partition, float[] v) {
        return new IndexEntry(id, partition, "prompt " + id, v, clock.instant().plusSeconds(3600));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3600})
    void search_afterAdd_findsNearestAboveThresholdMostSimilarFirst(long refresh) {
        var index = index(refresh);
        index.add(entry("a", "p", near0(0.99)));
        index.add(entry("b", "p", near0(0.95)));
        index.add(entry("c", "p", near0(0.50)));
        index.add(entry("d", "p", axis(2)));
        var found = index.search("p", axis(0), 4, 0.9f);
        assertThat(found).extracting(Match::id).containsExactly("a", "b");
        assertThat(found.getFirst().similarity()).isCloseTo(0.99f, org.assertj.core.data.Offset.offset(1e-4f));
        assertThat(found.getFirst().prompt()).isEqualTo("prompt a");
        assertThat(index.search("p", axis(0), 1, 0.9f)).extracting(Match::id).containsExactly("a");
        assertThat(index.search("p", axis(0), 4, 0.995f)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3600})
    void search_otherPartition_neverMatches(long refresh) {
        var index = index(refresh);
        index.add(entry("alice-1", "alice", axis(0)));
        index.add(entry("bob-1", "bob", axis(0)));
        assertThat(index.search("alice", axis(0), 4, 0.5f)).extracting(Match::id).containsExactly("alice-1");
        assertThat(index.search("bob", axis(0), 4, 0.5f)).extracting(Match::id).containsExactly("bob-1");
        assertThat(index.search("carol", axis(0), 4, 0.0f)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3600})
    void remove_entry_isNotFoundAgain(long refresh) {
        var index = index(refresh);
        index.add(entry("a", "p", axis(0)));
        index.add(entry("b", "p", near0(0.97)));
        index.search("p", axis(0), 4, 0.9f); // with refresh 0: the reader now holds both
        index.remove("a");
        assertThat(index.search("p", axis(0), 4, 0.9f)).extracting(Match::id).containsExactly("b");
        index.add(entry("a", "p", axis(0)));
        assertThat(index.search("p", axis(0), 4, 0.9f)).extracting(Match::id).containsExactly("a", "b");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3600})
    void add_sameId_replacesTheEntry(long refresh) {
        var index = index(refresh);
        index.add(entry("a", "p", axis(0)));
        index.search("p", axis(0), 4, 0.9f);
        index.add(entry("a", "p", axis(3)));
        assertThat(index.search("p", axis(0), 4, 0.9f)).isEmpty();
        assertThat(index.search("p", axis(3), 4, 0.9f)).extracting(Match::id).containsExactly("a");
        assertThat(index.size()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3600})
    void search_expiredEntry_isSkippedThenRemoved(long refresh) {
        var index = index(refresh);
        index.add(new IndexEntry("short", "p", "x", axis(0), clock.instant().plusSeconds(10)));
        index.add(new IndexEntry("long", "p", "y", near0(0.98), clock.instant().plusSeconds(100)));
        assertThat(index.search("p", axis(0), 4, 0.9f)).extracting(Match::id).containsExactly("short", "long");
        clock.advance(Duration.ofSeconds(10));
        assertThat(index.search("p", axis(0), 4, 0.9f)).extracting(Match::id).containsExactly("long");
        assertThat(index.removeExpired()).isEqualTo(1);
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void rebuild_fromEntries_replacesContentsAndSkipsExpired() {
        var index = index(3600);
        index.add(entry("old", "p", axis(0)));
        long n = index.rebuild(java.util.stream.Stream.of(entry("x", "p", axis(0)), entry("y", "q", axis(1)),
                new IndexEntry("gone", "p", "z", axis(0), clock.instant())));
        assertThat(n).isEqualTo(2);
        assertThat(index.search("p", axis(0), 4, 0.9f)).extracting(Match::id).containsExactly("x");
        assertThat(index.search("q", axis(1), 4, 0.9f)).extracting(Match::id).containsExactly("y");
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void add_beyondMaxEntries_dropsTheOldest() {
        var index = index(0, 1000);
        for (int i = 0; i < 2048; i++) index.add(entry("e" + i, "p", near0(0.5 + i / 10_000.0)));
        // eviction runs every 1,024 inserts: at 2,048 everything up to 1,048 goes
        assertThat(index.size()).isEqualTo(1000);
        var all = index.search("p", axis(0), 2000, -1f);
        assertThat(all).hasSize(1000).extracting(Match::id).contains("e1048", "e2047").doesNotContain("e0", "e1047");
    }

    @Test
    void add_wrongDimension_isRejected() {
        var index = index(0);
        assertThatThrownBy(() -> index.add(entry("a", "p", new float[3]))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vector length: 3 (expected: 16)");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3600})
    @org.junit.jupiter.api.Timeout(120)
    void addAndSearch_concurrently_everyEntryFoundAndOnlyInItsPartition(long refresh) throws Exception {
        var index = index(refresh);
        int writers = 4, perWriter = 300;
        var errors = new ConcurrentLinkedQueue<Throwable>();
        var done = new CountDownLatch(writers);
        // platform threads: spinning readers on virtual threads would hold both carriers of a two-core machine
        try (var pool = Executors.newFixedThreadPool(writers + 2)) {
            for (int w = 0; w < writers; w++) {
                int writer = w;
                pool.submit(() -> {
                    var random = new SplittableRandom(writer);
                    try {
                        for (int i = 0; i < perWriter; i++) {
                            float[] v = LatencyEval.unit(random, DIM);
                            index.add(new IndexEntry("w" + writer + "-" + i, "p" + writer, "t", v, clock.instant().plusSeconds(60)));
                            // each writer finds what it just wrote, and only in its own partition
                            var found = index.search("p" + writer, v, 1, 0.99f);
                            if (found.isEmpty() || !found.getFirst().id().equals("w" + writer + "-" + i)) {
                                throw new AssertionError("lost w" + writer + "-" + i + ": " + found);
                            }
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    } finally {
                        done.countDown();
                    }
                });
            }
            // readers in other partitions meanwhile: never see a writer's entries
            for (int r = 0; r < 2; r++) {
                pool.submit(() -> {
                    var random = new SplittableRandom(99);
                    while (done.getCount() > 0) {
                        if (!index.search("reader", LatencyEval.unit(random, DIM), 4, -1f).isEmpty()) errors.add(new AssertionError("crossed"));
                    }
                });
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(errors).isEmpty();
        assertThat(index.size()).isEqualTo(writers * perWriter);
        var random = new SplittableRandom(2);
        for (int i = 0; i < perWriter; i++) {
            float[] v = LatencyEval.unit(random, DIM);
            assertThat(index.search("p2", v, 1, 0.99f)).extracting(Match::id).containsExactly("w2-" + i);
        }
        assertThat(IntStream.range(0, writers).mapToLong(w -> index.search("p" + w, axis(0), 1000, -1f).size()).sum())
                .isEqualTo(writers * perWriter);
    }

    @Test
    void entryBytes_roundTrip() {
        float[] v = {0.25f, -1.5f, 3e-7f};
        assertThat(IndexEntry.vector(IndexEntry.bytes(v))).containsExactly(v);
        assertThat(IndexEntry.bytes(v)).hasSize(12);
    }
}
