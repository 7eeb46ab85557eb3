package dev.arbiter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.wire.Json;
import dev.arbiter.pipeline.Caller;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryResponseStoreTest {
    static StoredResponse response(String id, String caller, long bytes) {
        return new StoredResponse(id, caller, Json.object().put("id", id), Json.array(), List.of(), bytes);
    }

    @Test
    void get_anotherCallersId_notFoundExactlyLikeAnUnknownOne() {
        var store = new MemoryResponseStore(10, 1 << 20, Duration.ofMinutes(1));
        store.put(response("resp_1", "alice", 100));
        assertThat(store.get("resp_1", new Caller("alice"))).isPresent();
        assertThat(store.get("resp_1", new Caller("bob"))).isEmpty();
        assertThat(store.delete("resp_1", new Caller("bob"))).isFalse();
        assertThat(store.delete("resp_1", new Caller("alice"))).isTrue();
        assertThat(store.get("resp_1", new Caller("alice"))).isEmpty();
    }

    @Test
    void put_beyondCountBound_evicts() {
        var store = new MemoryResponseStore(5, 1 << 20, Duration.ofMinutes(1));
        for (int i = 0; i < 50; i++) store.put(response("r" + i, "a", 10));
        store.cleanUp();
        assertThat(store.size()).isLessThanOrEqualTo(5);
    }

    @Test
    void put_beyondByteBound_evicts() {
        var store = new MemoryResponseStore(1000, 10_000, Duration.ofMinutes(1));
        for (int i = 0; i < 20; i++) store.put(response("r" + i, "a", 2_000));
        store.cleanUp();
        assertThat(store.size()).isLessThanOrEqualTo(5);
    }
}
