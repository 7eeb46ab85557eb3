package dev.arbiter.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.provider.Deployment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeploymentHealthTest {
    private static Deployment deployment(String name, ConcurrencyLimiter limiter) {
        var config = new DeploymentConfig(name, "mock", "m", null, null, 1, null, null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 0, null, Map.of(), null);
        return new Deployment("model", config, null, limiter, WireFormat.OPENAI_CHAT);
    }

    @Test
    void freeFirst_saturatedAfterFree_coolingLast() {
        var full = new ConcurrencyLimiter("full", 1, 1, Duration.ZERO);
        var held = full.acquire(Duration.ZERO);
        Deployment a = deployment("a", full);
        Deployment b = deployment("b", new ConcurrencyLimiter("b", 1, 1, Duration.ZERO));
        Deployment c = deployment("c", null);
        Deployment d = deployment("d", null);
        var state = new MemoryUpstreamState(null, System::nanoTime);
        state.coolDown(c, Duration.ofSeconds(30));
        var health = new DeploymentHealth(state, CircuitGate.NONE);

        assertThat(health.freeFirst(List.of(a, c, b, d))).containsExactly(b, d, a, c);
        held.close();
        assertThat(health.freeFirst(List.of(a, b, d))).containsExactly(a, b, d);
    }
}
