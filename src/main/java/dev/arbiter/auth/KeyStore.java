package dev.arbiter.auth;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where virtual keys are kept: in memory ({@link MemoryKeyStore}) or in PostgreSQL ({@link PostgresKeyStore}), so
 * every gateway sharing the database knows every key. Only hashes are stored.
 */
public interface KeyStore {
    void add(ApiKey key);

    /** The key with this hash, revoked or expired ones included (so they can be told apart from unknown ones). */
    Optional<ApiKey> byHash(String hash);

    Optional<ApiKey> byId(String id);

    /** Every key, newest first. */
    List<ApiKey> list();

    /** Marks a key revoked; the key as it is now, empty when there is no such key. */
    Optional<ApiKey> revoke(String id, Instant at);
}
