package dev.arbiter.cache.semantic;

import java.util.List;
import java.util.stream.Stream;

/**
 * Nearest-neighbour search over prompt vectors, partitioned by context signature: a search sees only the entries
 * of its own partition, so a prompt never matches across callers, models or conversations. Entries expire at their
 * own instant and are then never returned, whether or not they were removed yet. The index holds no responses:
 * the cache's tiers store entries and responses, and an index is rebuilt from the tiers' entries on start.
 *
 * <p>Implementations are thread-safe: inserts, removals and searches may run concurrently. An entry added is
 * visible to every search that starts after {@link #add} returns.
 */
public interface VectorIndex extends AutoCloseable {
    /** Adds {@code entry}, replacing an entry with the same id. */
    void add(IndexEntry entry);

    /** Removes the entry with {@code id}, if any. */
    void remove(String id);

    /**
     * Up to {@code k} entries of {@code partition}, not expired, whose cosine similarity to {@code vector} is at least
     * {@code threshold}, most similar first.
     */
    List<Match> search(String partition, float[] vector, int k, float threshold);

    /** Removes every entry and adds {@code entries} (those already expired are skipped). Returns how many it added. */
    long rebuild(Stream<IndexEntry> entries);

    /** Removes the entries expired by now; returns how many there were. */
    long removeExpired();

    /** The number of entries, expired ones not yet removed included. */
    long size();

    @Override
    void close();
}
