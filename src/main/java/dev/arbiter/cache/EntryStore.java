package dev.arbiter.cache;

import java.util.List;

/**
 * Where the semantic cache's entries are persisted beside the exact cache's answers (PostgreSQL, Redis). Called
 * only off the requests' path (the writer thread, the start-up rebuild, the admin purge); its methods may block
 * (each bounds its own time) and throw: the semantic cache then goes on in memory.
 */
interface EntryStore {
    String name();

    void save(PersistedEntry e) throws Exception;

    /** The newest {@code limit} entries made by {@code embedder} and not expired at {@code nowMillis}, newest first. */
    List<PersistedEntry> newest(String embedder, long nowMillis, int limit) throws Exception;

    /** Removes what {@code purge} selects; the number removed. */
    long purge(Purge purge) throws Exception;
}
