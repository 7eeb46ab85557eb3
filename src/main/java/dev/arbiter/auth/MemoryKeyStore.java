package dev.arbiter.auth;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Virtual keys of one gateway, lost when it stops: for setups without {@code postgres:}. */
public final class MemoryKeyStore implements KeyStore {
    private final ConcurrentHashMap<String, ApiKey> byHash = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ApiKey> byId = new ConcurrentHashMap<>();

    @Override
    public synchronized void add(ApiKey key) {
        byHash.put(key.hash(), key);
        byId.put(key.id(), key);
    }

    @Override
    public Optional<ApiKey> byHash(String hash) {
        return Optional.ofNullable(byHash.get(hash));
    }

    @Override
    public Optional<ApiKey> byId(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    @Override
    public List<ApiKey> list() {
        return byId.values().stream().sorted(Comparator.comparing(ApiKey::createdAt).reversed()).toList();
    }

    @Override
    public synchronized Optional<ApiKey> revoke(String id, Instant at) {
        ApiKey k = byId.get(id);
        if (k == null) return Optional.empty();
        if (!k.revoked()) {
            k = new ApiKey(k.id(), k.prefix(), k.hash(), k.spec(), k.source(), k.createdAt(), at);
            add(k);
        }
        return Optional.of(k);
    }
}
