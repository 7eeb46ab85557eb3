package dev.arbiter.route;

import dev.arbiter.provider.Deployment;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.provider.UpstreamModelList;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The model names clients see ({@code GET /v1/models}). A configured model is listed by its name. A catch-all
 * pass-through model (alias {@code *}, deployments with {@code model: "*"}, which is what {@code serve --upstream}
 * builds) has no name of its own worth listing: it lists its upstreams' own models instead (their
 * {@code /v1/models}, cached by {@link UpstreamModels}), and falls back to its configured name when they list none.
 * Its configured name then stands for the upstream's first model (see {@link #upstreamModel}).
 */
public final class ModelCatalog implements AutoCloseable {
    private final ModelRegistry registry;
    private final Map<String, List<UpstreamModels>> upstreams = new LinkedHashMap<>();
    private final HttpClient client;
    /** Names that are not models but are served as if they were (the decision engine's routes), listed after the models. */
    private volatile List<String> virtual = List.of();

    ModelCatalog(ModelRegistry registry, LongSupplier nanos) {
        this.registry = registry;
        HttpClient built = null;
        for (ModelRegistry.Model m : registry.models()) {
            if (!m.catchAll()) continue;
            var lists = new ArrayList<UpstreamModels>();
            for (Deployment d : m.deployments()) {
                if (!DeploymentConfig.ANY_MODEL.equals(d.upstreamModel()) || !UpstreamModelList.listable(d.config())) continue;
                if (built == null) built = HttpClient.newBuilder().connectTimeout(UpstreamModels.TIMEOUT).build();
                lists.add(new UpstreamModels(d.config(), built, nanos));
            }
            if (!lists.isEmpty()) upstreams.put(m.name(), List.copyOf(lists));
        }
        this.client = built;
    }

    /** Every model id to list, in config order, each once. */
    public List<String> ids() {
        var out = new LinkedHashSet<String>();
        for (ModelRegistry.Model m : registry.models()) {
            List<String> listed = upstreamIds(m);
            if (listed.isEmpty()) out.add(m.name());
            else out.addAll(listed);
        }
        out.addAll(virtual);
        return List.copyOf(out);
    }

    /** Lists {@code names} too (routes that choose a model per request), and lets them be retrieved. */
    public void listAlso(List<String> names) {
        this.virtual = List.copyOf(names);
    }

    /** Whether {@code id} is one of the names {@link #listAlso} added. */
    public boolean listsVirtual(String id) {
        return virtual.contains(id);
    }

    /**
     * The model name to send upstream for a request that asked for {@code requested} of model {@code m}: the name
     * asked for, except that a catch-all model's own name (e.g. the quick start's {@code upstream}), which no upstream
     * knows, is the upstream's first listed model, when it lists any.
     */
    public String upstreamModel(ModelRegistry.Model m, String requested) {
        if (!requested.equals(m.name()) || !upstreams.containsKey(m.name())) return requested;
        List<String> listed = upstreamIds(m);
        return listed.contains(requested) || listed.isEmpty() ? requested : listed.getFirst();
    }

    /** The upstream's models that resolve to {@code m} (a more specific model or alias keeps its own names). */
    private List<String> upstreamIds(ModelRegistry.Model m) {
        List<UpstreamModels> lists = upstreams.get(m.name());
        if (lists == null) return List.of();
        var out = new LinkedHashSet<String>();
        for (UpstreamModels u : lists) {
            for (String id : u.ids()) if (registry.find(id).map(ModelRegistry.Model::name).filter(m.name()::equals).isPresent()) out.add(id);
        }
        return List.copyOf(out);
    }

    /** Starts reading every upstream's list in the background, so that the first client does not wait for it. */
    public void warm() {
        upstreams.values().forEach(lists -> lists.forEach(UpstreamModels::warm));
    }

    @Override
    public void close() {
        if (client != null) client.close();
    }
}
