package dev.arbiter.route;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.admin.AdminRoute;
import dev.arbiter.auth.Priority;
import dev.arbiter.limit.ConcurrencyLimiter;
import dev.arbiter.provider.Deployment;
import dev.arbiter.wire.Json;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * What the deployments' own in-flight limits (fixed {@code max-in-flight} or adaptive {@code concurrency}) show:
 * Micrometer gauges {@code arbiter_concurrency_limit}, {@code arbiter_concurrency_in_flight} and
 * {@code arbiter_concurrency_queue_depth} (by {@code model}, {@code deployment}; the queue also by {@code class}), and
 * {@code GET /admin/concurrency}.
 */
public final class DeploymentConcurrency {
    private final List<Deployment> limited;

    public DeploymentConcurrency(ModelRegistry registry) {
        this.limited = registry.models().stream().flatMap(m -> m.deployments().stream()).filter(d -> d.limiter() != null).toList();
    }

    /** Registers the gauges of every limited deployment. */
    public void bindTo(MeterRegistry registry) {
        for (Deployment d : limited) {
            ConcurrencyLimiter l = d.limiter();
            Gauge.builder("arbiter.concurrency.limit", l, ConcurrencyLimiter::limit).tag("model", d.model()).tag("deployment", d.name())
                    .description("A deployment's in-flight limit now (adaptive or fixed)").register(registry);
            Gauge.builder("arbiter.concurrency.in.flight", l, ConcurrencyLimiter::inFlight).tag("model", d.model()).tag("deployment", d.name())
                    .description("Attempts in flight to a deployment, under its own limit").register(registry);
            for (Priority p : Priority.values()) {
                Gauge.builder("arbiter.concurrency.queue.depth", l, x -> x.waiting(p)).tag("model", d.model()).tag("deployment", d.name())
                        .tag("class", p.label()).description("Attempts waiting for a deployment's slot, by priority class").register(registry);
            }
        }
    }

    public List<AdminRoute> adminRoutes() {
        return List.of(AdminRoute.get("concurrency", call -> view()));
    }

    /** {@code GET /admin/concurrency}: each limited deployment's limit, in flight and waiting. */
    public ObjectNode view() {
        ObjectNode root = Json.object();
        ArrayNode list = root.putArray("deployments");
        for (Deployment d : limited) {
            ConcurrencyLimiter l = d.limiter();
            ObjectNode n = list.addObject();
            n.put("model", d.model());
            n.put("deployment", d.name());
            n.put("adaptive", l.adaptive().isPresent());
            n.put("limit", l.limit());
            n.put("in_flight", l.inFlight());
            ObjectNode waiting = n.putObject("waiting");
            for (Priority p : Priority.values()) waiting.put(p.label(), l.waiting(p));
            l.adaptive().ifPresent(a -> {
                n.put("latency_limit", a.latencyLimit());
                n.put("refusal_limit", a.refusalLimit());
                n.put("min", a.config().min());
                n.put("max", a.config().max());
            });
        }
        return root;
    }
}
