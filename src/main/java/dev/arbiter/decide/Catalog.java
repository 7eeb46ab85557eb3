package dev.arbiter.decide;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the decision engine knows about models before any request: provider, context window, capabilities, list
 * prices and quality priors per task type. The default catalog ships as {@code catalog.json} beside this class (its
 * date and the pages it came from are in the file); the {@code catalog:} config section overrides entries by name
 * and adds new ones ({@link CatalogConfig}), and a configured deployment's own {@code price:} wins over both.
 */
public final class Catalog {
    /** The capabilities a model may have and a route or request may require. */
    public static final List<String> CAPABILITIES = List.of("tools", "vision", "json", "reasoning", "streaming");
    /** The task types quality priors are given for; {@link TaskType} assigns one to each request. */
    public static final List<String> TASK_TYPES = List.of("chat", "code", "math", "reasoning", "extraction");

    /**
     * One model. Prices in US dollars per million tokens; {@code quality} per task type in [0, 1] (a missing type
     * reads as the mean of the others).
     */
    public record Entry(String name, String provider, int contextWindow, Set<String> capabilities, double input, double output,
                        double cachedInput, Map<String, Double> quality) {
        public Entry {
            capabilities = Set.copyOf(capabilities);
            quality = Map.copyOf(quality);
        }

        public double quality(String taskType) {
            Double q = quality.get(taskType);
            if (q != null) return q;
            return quality.values().stream().mapToDouble(Double::doubleValue).average().orElse(0.5);
        }

        /** The list price of a request of {@code in} input and {@code out} output tokens, in US dollars. */
        public double cost(long in, long out) {
            return (in * input + out * output) / 1e6;
        }

        public Entry withPrices(double in, double out, double cached) {
            return new Entry(name, provider, contextWindow, capabilities, in, out, cached, quality);
        }
    }

    private final String date;
    private final Map<String, Entry> entries;

    private Catalog(String date, Map<String, Entry> entries) {
        this.date = date;
        this.entries = Map.copyOf(entries);
    }

    /** The catalog that ships with Arbiter. */
    public static Catalog defaults() {
        try (InputStream in = Catalog.class.getResourceAsStream("catalog.json")) {
            if (in == null) throw new IllegalStateException("catalog.json missing from the build");
            JsonNode root = new ObjectMapper().readTree(in);
            var map = new LinkedHashMap<String, Entry>();
            for (JsonNode m : root.get("models")) {
                var caps = new ArrayList<String>();
                m.get("capabilities").forEach(c -> caps.add(c.asText()));
                var quality = new LinkedHashMap<String, Double>();
                m.get("quality").properties().forEach(e -> quality.put(e.getKey(), e.getValue().asDouble()));
                JsonNode price = m.get("price");
                double input = price.get("input").asDouble();
                map.put(m.get("name").asText(), new Entry(m.get("name").asText(), m.get("provider").asText(),
                        m.get("context-window").asInt(), Set.copyOf(caps), input, price.get("output").asDouble(),
                        price.has("cached-input") ? price.get("cached-input").asDouble() : input, quality));
            }
            return new Catalog(root.get("date").asText(), map);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This catalog with {@code overrides} replacing entries of the same name and adding the others. */
    public Catalog with(List<Entry> overrides) {
        var map = new LinkedHashMap<>(entries);
        for (Entry e : overrides) map.put(e.name(), e);
        return new Catalog(date, map);
    }

    public Optional<Entry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    /** The date the shipped prices were taken. */
    public String date() {
        return date;
    }
}
