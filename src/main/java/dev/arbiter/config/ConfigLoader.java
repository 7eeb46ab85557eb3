package dev.arbiter.config;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads the YAML configuration: binds the core (server, limits, models) and every registered {@link Section} to its
 * record, and reports every problem at once, each as {@code path: value (expected: ...)}; a key no binder read is
 * one of them. {@code ${ENV_VAR}} (and {@code ${ENV_VAR:-default}}) is replaced from the environment. With no file,
 * builds the embedded default: the mock models, plus OpenAI and Anthropic models for whichever of their API keys
 * are set.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build());
    /** The top-level sections every configuration has, kept in {@link ArbiterConfig}'s own fields. */
    private static final List<Section<?>> CORE = List.of(ServerConfig.SECTION, LimitsConfig.SECTION);

    private final Function<String, String> env;
    private final List<Section<?>> sections;
    /** The providers deployments may name, by name; empty: any name, with no provider's own checks. */
    private final Map<String, ProviderRule> providers;

    /** A loader of the core alone: a file with any other section is invalid. */
    public ConfigLoader(Function<String, String> env) {
        this(env, List.of());
    }

    /** A loader of the core and these sections; two sections on one key are a programming error, rejected here. */
    public ConfigLoader(Function<String, String> env, List<Section<?>> sections) {
        this(env, sections, Map.of());
    }

    private ConfigLoader(Function<String, String> env, List<Section<?>> sections, Map<String, ProviderRule> providers) {
        this.env = env;
        this.providers = providers;
        this.sections = List.copyOf(sections);
        var keys = new HashSet<String>();
        for (Section<?> s : CORE) keys.add(s.toString());
        for (Section<?> s : this.sections) {
            if (!keys.add(s.toString())) throw new IllegalArgumentException("two config sections on one key: " + s);
        }
    }

    /**
     * This loader, with the providers deployments may name: an unknown name, an {@code api} the provider does not
     * take, or a key it needs and lacks is a problem of the file, reported with the rest.
     */
    public ConfigLoader withProviders(List<ProviderRule> rules) {
        var byName = new LinkedHashMap<String, ProviderRule>();
        for (ProviderRule r : rules) {
            if (byName.putIfAbsent(r.name(), r) != null) throw new IllegalArgumentException("two providers named " + r.name());
        }
        return new ConfigLoader(env, sections, Map.copyOf(byName));
    }

    public static ConfigLoader fromSystemEnv(List<Section<?>> sections) {
        return new ConfigLoader(System::getenv, sections);
    }

    public ArbiterConfig load(Path file) {
        if (!Files.isRegularFile(file)) throw new ConfigException(ConfigException.problem("config", file, "a readable YAML file"));
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new ConfigException(ConfigException.problem("config", file, "a readable YAML file: " + e.getMessage()));
        }
    }

    /** The configuration used when no file is given. */
    public ArbiterConfig loadDefault() {
        JsonNode root = resource("default.yaml");
        ArrayNode models = (ArrayNode) root.get("models");
        if (present("OPENAI_API_KEY")) models.addAll((ArrayNode) resource("default-openai.yaml").get("models"));
        if (present("ANTHROPIC_API_KEY")) models.addAll((ArrayNode) resource("default-anthropic.yaml").get("models"));
        return bind(root);
    }

    private boolean present(String var) {
        String v = env.apply(var);
        return v != null && !v.isBlank();
    }

    private static JsonNode resource(String name) {
        try (InputStream in = ConfigLoader.class.getResourceAsStream("/" + name)) {
            return YAML.readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("missing built-in resource " + name, e);
        }
    }

    public ArbiterConfig parse(InputStream in, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(in);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw new ConfigException(ConfigException.problem(source, "not valid YAML", "a YAML document; " + msg));
        }
        if (root == null || root.isMissingNode() || root.isNull()) root = YAML.createObjectNode();
        if (!root.isObject()) throw new ConfigException(ConfigException.problem(source, root.getNodeType(), "a YAML mapping at the top"));
        return bind(root);
    }

    ArbiterConfig bind(JsonNode root) {
        var problems = new ArrayList<String>();
        var top = ConfigNode.root(root, env, problems);
        ServerConfig server = bound(top, ServerConfig.SECTION);
        LimitsConfig limits = bound(top, LimitsConfig.SECTION);
        List<ModelConfig> models = models(top);
        SectionValues sections = sections(top, Section.Scope.TOP);
        top.rejectUnknownKeys();
        if (models.isEmpty() && problems.isEmpty()) {
            problems.add(ConfigException.problem("models", "none", "at least one model"));
        }
        if (!problems.isEmpty()) throw new ConfigException(problems);
        ArbiterConfig config = top.build(() -> new ArbiterConfig(server, limits, models, sections));
        if (!problems.isEmpty()) throw new ConfigException(problems);
        return config;
    }

    /** The registered sections of one scope, bound from a mapping (the top, a model, a deployment). */
    private SectionValues sections(ConfigNode n, Section.Scope scope) {
        var values = SectionValues.NONE;
        for (Section<?> s : sections) {
            if (s.scope() == scope) values = with(values, n, s);
        }
        return values;
    }

    private static <T> SectionValues with(SectionValues values, ConfigNode n, Section<T> s) {
        if (n.asked(s.key())) throw new IllegalStateException("config section " + s + " claims a key Arbiter reads itself");
        ConfigNode block = n.entry(s.key());
        if (!block.present()) return values;
        T v = block.build(() -> s.bind(block));
        return v == null ? values : values.with(s, v);
    }

    /** A core section's record: its default when absent, null when it has problems. */
    private static <T> T bound(ConfigNode top, Section<T> s) {
        ConfigNode block = top.entry(s.key());
        return block.present() ? block.build(() -> s.bind(block)) : s.defaults();
    }

    /** {@code models} is a list of entries, each with a {@code name}. */
    private List<ModelConfig> models(ConfigNode top) {
        var out = new ArrayList<ModelConfig>();
        for (ConfigNode m : top.list("models")) {
            if (!m.raw().isObject()) {
                m.problem(m.path(), m.raw(), "a model with name and deployments");
                continue;
            }
            String name = m.string("name", null);
            var aliases = m.strings("aliases");
            boolean embeddings = m.bool("embeddings", false);
            var deployments = new ArrayList<DeploymentConfig>();
            var seen = new LinkedHashMap<String, Integer>();
            int before = m.problemCount();
            for (ConfigNode d : m.list("deployments")) {
                DeploymentConfig dc = deployment(d, name, seen);
                if (dc != null) deployments.add(dc);
            }
            SectionValues sections = sections(m, Section.Scope.MODEL);
            if (m.problemCount() > before) continue;
            ModelConfig mc = m.build(() -> new ModelConfig(name, aliases, embeddings, deployments, sections));
            if (mc != null && m.problemCount() == before) out.add(mc);
        }
        return out;
    }

    private DeploymentConfig deployment(ConfigNode d, String modelName, Map<String, Integer> seen) {
        if (!d.raw().isObject()) {
            d.problem(d.path(), d.raw(), "a deployment mapping");
            return null;
        }
        // read in the order the keys are documented: an unknown key's problem lists them so
        String name = d.string("name", null);
        String provider = d.string("provider", null);
        // unnamed deployments are named after their provider: openai, openai-2, ... (named ones count too)
        String byProvider = provider + (seen.merge(String.valueOf(provider), 1, Integer::sum) > 1 ? "-" + seen.get(provider) : "");
        String model = d.string("model", modelName);
        URI baseUrl = d.uri("base-url");
        Secret key = d.secret("api-key");
        int weight = d.integer("weight", 1);
        PriceConfig price = price(d.child("price"));
        Integer contextWindow = d.optionalInteger("context-window");
        Duration connectTimeout = d.duration("connect-timeout", Duration.ofSeconds(10));
        Duration timeout = d.duration("timeout", Duration.ofMinutes(10));
        int maxInFlight = d.integer("max-in-flight", 0);
        String apiVersion = d.string("api-version", null);
        var headers = new LinkedHashMap<String, String>();
        ConfigNode h = d.child("headers");
        for (String k : h.fieldNames()) headers.put(k, h.string(k, ""));
        String api = d.string("api", null);
        String hostedTools = d.string("hosted-tools", null);
        List<String> anthropicBeta = d.has("anthropic-beta") ? d.strings("anthropic-beta") : null;
        int maxResponseBytes = d.integer("max-response-bytes", DeploymentConfig.DEFAULT_MAX_RESPONSE_BYTES);
        int maxEventBytes = d.integer("max-event-bytes", DeploymentConfig.DEFAULT_MAX_EVENT_BYTES);
        TlsConfig tls = tls(d.child("tls"));
        SectionValues sections = sections(d, Section.Scope.DEPLOYMENT);
        String named = name != null ? name : byProvider;
        ProviderRule rule = provider == null ? null : providers.get(provider);
        if (!providers.isEmpty() && provider != null && rule == null) {
            d.problem(d.path().isEmpty() ? "provider" : d.path() + ".provider", provider,
                    "one of " + String.join(", ", new java.util.TreeSet<>(providers.keySet())));
        }
        String chosenApi = api == null && rule != null ? rule.defaultApi() : api;
        return d.build(() -> {
            var dc = new DeploymentConfig(named, provider, model, baseUrl, key, weight, price, contextWindow,
                    connectTimeout, timeout, maxInFlight, apiVersion, headers, sections, chosenApi, hostedTools, anthropicBeta,
                    maxResponseBytes, maxEventBytes, tls);
            if (rule != null) {
                var checks = new ConfigException.Checks();
                rule.check(dc, checks);
                checks.throwIfAny();
            }
            return dc;
        });
    }

    private static TlsConfig tls(ConfigNode t) {
        if (!t.present()) return null;
        String caFile = t.string("ca-file", null);
        return t.build(() -> new TlsConfig(caFile == null ? null : Path.of(caFile)));
    }

    private static PriceConfig price(ConfigNode p) {
        if (!p.present()) return PriceConfig.FREE;
        p.hint("US dollars per million tokens");
        return p.build(() -> new PriceConfig(p.number("input", 0), p.number("output", 0),
                p.optionalNumber("cache-read"), p.optionalNumber("cache-write")));
    }
}
