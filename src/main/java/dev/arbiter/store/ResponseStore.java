package dev.arbiter.store;

import dev.arbiter.pipeline.Caller;
import java.util.Optional;

/**
 * Where stored responses live. Every lookup is scoped by caller: another caller's id is answered exactly as
 * an unknown one. The in-memory store is the default; a PostgreSQL one can follow behind this interface.
 */
public interface ResponseStore {
    void put(StoredResponse response);

    Optional<StoredResponse> get(String id, Caller caller);

    /** Deletes the caller's response; false when there was none (or it is another caller's). */
    boolean delete(String id, Caller caller);
}
