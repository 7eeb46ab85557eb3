package dev.arbiter.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.wire.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The API keys a gateway knows: the static ones of its config file and the virtual ones of its {@link KeyStore}.
 *
 * <p>Authentication hashes the presented secret (SHA-256) and looks the hash up: static keys in a map, virtual keys
 * through a Caffeine cache in front of the store, so a repeat caller costs a hash and a map lookup, never a query.
 * The cache keeps what it found (misses too) for {@code ttl}: a key created or revoked on this gateway takes effect at
 * once (the entry is replaced), one created or revoked on another gateway sharing the database within {@code ttl} plus
 * one lookup (the first request after {@code ttl} is still answered from the cache while the lookup runs in the
 * background; while the database cannot answer, the entry is kept until {@code 4 * ttl}). Expiry is checked against
 * the clock on every request, not cached.
 */
public final class Keys {
    /** What a presented secret turned out to be. */
    public sealed interface Lookup {
        record Valid(ApiKey key) implements Lookup {}

        record Unknown() implements Lookup {}

        record Revoked(ApiKey key) implements Lookup {}

        record Expired(ApiKey key) implements Lookup {}
    }

    /** A key just made: its secret, shown this once. */
    public record Created(ApiKey key, String secret) {
        @Override
        public String toString() {
            return "Created[" + key + "]";
        }
    }

    private static final Lookup UNKNOWN = new Lookup.Unknown();
    private static final int MAX_SECRET_CHARS = 256;
    /** How many ttls an entry that is not read again may live (see the constructor). */
    private static final int STALE_FACTOR = 4;

    private final Map<String, ApiKey> statics;
    private final KeyStore store;
    private final InstantSource clock;
    private final LoadingCache<String, Optional<ApiKey>> cache;

    public Keys(StaticKeys declared, KeyStore store, Duration ttl, InstantSource clock) {
        this.store = store;
        this.clock = clock;
        var m = new HashMap<String, ApiKey>();
        Instant now = clock.instant();
        for (StaticKeys.Entry e : declared.keys()) {
            String secret = e.secret().reveal();
            m.put(KeyHash.of(secret), new ApiKey("static:" + e.spec().name(), KeyHash.prefix(secret), KeyHash.of(secret), e.spec(),
                    "config", now, KeySpec.NEVER));
        }
        this.statics = Map.copyOf(m);
        // Past ttl an entry is reloaded in the background while the stale one still answers: with expireAfterWrite
        // alone, every request presenting that credential waited for the reload (Caffeine loads a key once and makes
        // its other readers wait), and a slow database stalled a busy credential's traffic every ttl (seen in
        // bench/run.sh with the request log sharing the pool: thousands of requests blocked in authenticate). An
        // entry nobody reads is still dropped at STALE_FACTOR * ttl; a zero ttl keeps every lookup a query.
        var builder = Caffeine.newBuilder().maximumSize(100_000);
        if (ttl.isZero()) {
            builder.expireAfterWrite(ttl);
        } else {
            builder.refreshAfterWrite(ttl).expireAfterWrite(ttl.multipliedBy(STALE_FACTOR));
        }
        this.cache = builder.build(store::byHash);
    }

    /** What this secret is. Costs a SHA-256 and a map lookup when the key is cached or static. */
    public Lookup authenticate(String secret) {
        if (secret.length() > MAX_SECRET_CHARS) return UNKNOWN;   // no key is this long; never hashed nor cached
        String hash = KeyHash.of(secret);
        ApiKey k = statics.get(hash);
        if (k == null) k = cache.get(hash).orElse(null);
        if (k == null || !KeyHash.same(k.hash(), hash)) return UNKNOWN;
        if (k.revoked()) return new Lookup.Revoked(k);
        if (k.expired(clock.instant())) return new Lookup.Expired(k);
        return new Lookup.Valid(k);
    }

    /** Makes a virtual key; its secret is returned here and never again. */
    public Created create(KeySpec spec) {
        if (Stream.concat(statics.values().stream(), store.list().stream()).anyMatch(k -> k.spec().name().equals(spec.name()) && !k.revoked())) {
            throw new ArbiterException.BadRequest("A key named '" + Untrusted.text(spec.name()) + "' exists already", "name");
        }
        String secret = KeyHash.newSecret();
        var key = new ApiKey(KeyHash.newId(), KeyHash.prefix(secret), KeyHash.of(secret), spec, "admin", clock.instant(), KeySpec.NEVER);
        store.add(key);
        cache.put(key.hash(), Optional.of(key));
        return new Created(key, secret);
    }

    /** Every key: static ones first, then virtual ones, newest first. */
    public List<ApiKey> list() {
        return Stream.concat(statics.values().stream().sorted(java.util.Comparator.comparing(k -> k.spec().name())), store.list().stream()).toList();
    }

    public Optional<ApiKey> find(String id) {
        return statics.values().stream().filter(k -> k.id().equals(id)).findFirst().or(() -> store.byId(id));
    }

    /** Revokes a virtual key, at once on this gateway. */
    public Optional<ApiKey> revoke(String id) {
        if (statics.values().stream().anyMatch(k -> k.id().equals(id))) {
            throw new ArbiterException.BadRequest("Key '" + Untrusted.text(id) + "' is declared in the config file; remove it there", "id");
        }
        Optional<ApiKey> k = store.revoke(id, clock.instant());
        k.ifPresent(key -> cache.put(key.hash(), Optional.of(key)));
        return k;
    }

    /** {@code POST /admin/keys}, {@code GET /admin/keys}, {@code GET /admin/keys/{id}}, {@code DELETE /admin/keys/{id}}. */
    public List<AdminRoute> adminRoutes() {
        return List.of(
                AdminRoute.post("keys", call -> {
                    Created c = create(KeyJson.parse(call.body(), clock.instant()));
                    call.status().set(201);
                    ObjectNode n = KeyJson.listed(c.key(), clock.instant());
                    n.put("key", c.secret());
                    return n;
                }),
                AdminRoute.get("keys", call -> {
                    var arr = Json.array();
                    Instant now = clock.instant();
                    list().forEach(k -> arr.add(KeyJson.listed(k, now)));
                    ObjectNode n = Json.object();
                    n.put("object", "list");
                    n.set("data", arr);
                    return n;
                }),
                AdminRoute.get("keys/{id}", call -> KeyJson.listed(find(call.param("id")).orElseThrow(() -> notFound(call.param("id"))),
                        clock.instant())),
                AdminRoute.delete("keys/{id}", call -> KeyJson.listed(revoke(call.param("id")).orElseThrow(() -> notFound(call.param("id"))),
                        clock.instant())));
    }

    private static ArbiterException notFound(String id) {
        return new ArbiterException.NotFound("No API key with id '" + Untrusted.text(id) + "'", "id", "key_not_found");
    }
}
