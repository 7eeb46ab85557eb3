package dev.arbiter.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The key cache in front of a store that can be slow: a lookup past the ttl never makes requests wait for the store. */
class KeysTest {
    /** A store whose lookups after the first wait until the test lets them go, as a database under load would. */
    private static final class SlowStore implements KeyStore {
        final MemoryKeyStore inner = new MemoryKeyStore();
        final AtomicInteger lookups = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void add(ApiKey key) {
            inner.add(key);
        }

        @Override
        public Optional<ApiKey> byHash(String hash) {
            if (lookups.incrementAndGet() > 1) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return inner.byHash(hash);
        }

        @Override
        public Optional<ApiKey> byId(String id) {
            return inner.byId(id);
        }

        @Override
        public List<ApiKey> list() {
            return inner.list();
        }

        @Override
        public Optional<ApiKey> revoke(String id, Instant at) {
            return inner.revoke(id, at);
        }
    }

    @Test
    void lookupPastTheTtl_answeredFromTheCacheWhileTheStoreIsSlow_thenRefreshed() throws Exception {
        var store = new SlowStore();
        var keys = new Keys(StaticKeys.NONE, store, Duration.ofMillis(50), InstantSource.system());
        var created = keys.create(new KeySpec("k", null, null, List.of(), null, null, null, null, null, Map.of()));
        String unknown = "sk-not-a-key-of-this-gateway";
        assertThat(keys.authenticate(unknown)).isInstanceOf(Keys.Lookup.Unknown.class);   // first lookup: loaded at once
        Thread.sleep(120);   // both entries are now past the ttl, and every further store lookup blocks
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 50; i++) {
                assertThat(keys.authenticate(unknown)).isInstanceOf(Keys.Lookup.Unknown.class);
                assertThat(keys.authenticate(created.secret())).isInstanceOf(Keys.Lookup.Valid.class);
            }
        });
        assertThat(store.lookups.get()).as("reloads started in the background").isGreaterThan(1);
        store.release.countDown();
    }

    @Test
    void zeroTtl_everyLookupAsksTheStore() {
        var store = new SlowStore();
        store.release.countDown();
        var keys = new Keys(StaticKeys.NONE, store, Duration.ZERO, InstantSource.system());
        for (int i = 0; i < 3; i++) keys.authenticate("sk-not-a-key-" + 0);
        assertThat(store.lookups.get()).isEqualTo(3);
    }
}
