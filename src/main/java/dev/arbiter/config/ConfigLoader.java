package dev.arbiter.config;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.reasoning.ReasoningConfig;
import dev.arbiter.store.StoreConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the YAML configuration: substitutes {@code ${ENV_VAR}} (and {@code ${ENV_VAR:-default}}), binds every
 * section to its record, and reports every problem at once. With no file, builds the embedded default: the
 * mock models, plus OpenAI and Anthropic models for whichever of their API keys are set.
 */
public final class ConfigLoader {
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build());

    private final Function<String, String> env;

    public ConfigLoader(Function<String, String> env) {
        this.env = env;
    }

    public static ConfigLoader fromSystemEnv() {
        return new ConfigLoader(System::getenv);
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
        JsonNode substituted = substitute(root, "", problems);
        var top = new ConfigNode(substituted, "", problems);
        ServerConfig server = server(top.child("server"));
        LimitsConfig limits = limits(top.child("limits"));
        List<ModelConfig> models = models(top, problems);
        ReasoningConfig reasoning = reasoning(top.child("reasoning"));
        StoreConfig responses = responses(top.child("responses"));
        top.rejectUnknown("one of server, limits, models, reasoning, responses");
        if (models.isEmpty() && problems.isEmpty()) {
            problems.add(ConfigException.problem("models", "none", "at least one model"));
        }
        if (!problems.isEmpty()) throw new ConfigException(problems);
        ArbiterConfig config = top.build(() -> new ArbiterConfig(server, limits, models, reasoning, responses));
        if (!problems.isEmpty()) throw new ConfigException(problems);
        return config;
    }

    private JsonNode substitute(JsonNode n, String path, List<String> problems) {
        if (n.isTextual()) {
            String s = n.asText();
            if (!s.contains("${")) return n;
            Matcher m = ENV.matcher(s);
            var sb = new StringBuilder();
            while (m.find()) {
                String v = env.apply(m.group(1));
                if (v == null || v.isEmpty()) v = m.group(2);
                if (v == null) {
                    problems.add(ConfigException.problem(path, m.group(), "environment variable " + m.group(1) + " to be set"));
                    v = "";
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(v));
            }
            m.appendTail(sb);
            return TextNode.valueOf(sb.toString());
        }
        if (n.isObject()) {
            ObjectNode copy = YAML.createObjectNode();
            n.fields().forEachRemaining(e -> copy.set(e.getKey(),
                    e.getKey().equals("api-key") || e.getKey().equals("key") ? e.getValue() : substitute(e.getValue(), join(path, e.getKey()), problems)));
            return copy;
        }
        if (n.isArray()) {
            ArrayNode copy = YAML.createArrayNode();
            for (int i = 0; i < n.size(); i++) copy.add(substitute(n.get(i), path + "[" + i + "]", problems));
            return copy;
        }
        return n;
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static ServerConfig server(ConfigNode n) {
        var d = ServerConfig.DEFAULT;
        var c = n.build(() -> new ServerConfig(
                n.string("host", d.host()),
                n.integer("port", d.port()),
                n.longValue("max-body-bytes", d.maxBodyBytes()),
                n.integer("max-json-depth", d.maxJsonDepth()),
                n.integer("max-string-bytes", d.maxStringBytes()),
                n.duration("request-timeout", d.requestTimeout()),
                n.duration("drain-timeout", d.drainTimeout()),
                n.duration("keep-alive-interval", d.keepAliveInterval()),
                n.integer("max-connections", d.maxConnections()),
                n.duration("header-timeout", d.headerTimeout()),
                n.duration("body-idle-timeout", d.bodyIdleTimeout()),
                n.duration("idle-timeout", d.idleTimeout())));
        n.rejectUnknown("one of host, port, max-body-bytes, max-json-depth, max-string-bytes, request-timeout, drain-timeout, keep-alive-interval, max-connections, header-timeout, body-idle-timeout, idle-timeout");
        return c;
    }

    private static LimitsConfig limits(ConfigNode n) {
        var d = LimitsConfig.DEFAULT;
        var c = n.build(() -> new LimitsConfig(
                n.integer("max-in-flight", d.maxInFlight()),
                n.integer("max-queued", d.maxQueued()),
                n.duration("queue-timeout", d.queueTimeout())));
        n.rejectUnknown("one of max-in-flight, max-queued, queue-timeout");
        return c;
    }

    /** {@code models} is a list of entries, each with a {@code name}. */
    private List<ModelConfig> models(ConfigNode top, List<String> problems) {
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
            int before = problems.size();
            for (ConfigNode d : m.list("deployments")) {
                DeploymentConfig dc = deployment(d, name, seen);
                if (dc != null) deployments.add(dc);
            }
            m.rejectUnknown("one of name, aliases, embeddings, deployments");
            if (problems.size() > before) continue;
            ModelConfig mc = m.build(() -> new ModelConfig(name, aliases, embeddings, deployments));
            if (mc != null && problems.size() == before) out.add(mc);
        }
        return out;
    }

    private DeploymentConfig deployment(ConfigNode d, String modelName, Map<String, Integer> seen) {
        if (!d.raw().isObject()) {
            d.problem(d.path(), d.raw(), "a deployment mapping");
            return null;
        }
        String provider = d.string("provider", null);
        String model = d.string("model", modelName);
        String name = d.string("name", provider + (seen.merge(String.valueOf(provider), 1, Integer::sum) > 1 ? "-" + seen.get(provider) : ""));
        Secret key = apiKey(d);
        var price = price(d.child("price"));
        var headers = new LinkedHashMap<String, String>();
        ConfigNode h = d.child("headers");
        for (String k : h.fieldNames()) headers.put(k, h.string(k, ""));
        MockConfig mock = mock(d.child("mock"));
        Duration timeout = d.duration("timeout", Duration.ofMinutes(10));
        TlsConfig tls = tls(d.child("tls"));
        var dc = d.build(() -> new DeploymentConfig(name, provider, model, d.uri("base-url"), key,
                d.integer("weight", 1), price, d.optionalInteger("context-window"),
                d.duration("connect-timeout", Duration.ofSeconds(10)), timeout, d.integer("max-in-flight", 0),
                d.string("api-version", null), headers, mock == null ? MockConfig.DEFAULT : mock, d.string("api", null),
                d.string("hosted-tools", null), d.has("anthropic-beta") ? d.strings("anthropic-beta") : d.markUnset("anthropic-beta"),
                d.integer("max-response-bytes", DeploymentConfig.DEFAULT_MAX_RESPONSE_BYTES),
                d.integer("max-event-bytes", DeploymentConfig.DEFAULT_MAX_EVENT_BYTES), tls));
        d.rejectUnknown("one of name, provider, model, base-url, api-key, weight, price, context-window, connect-timeout, "
                + "timeout, max-in-flight, api-version, headers, mock, api, hosted-tools, anthropic-beta, max-response-bytes, "
                + "max-event-bytes, tls");
        return dc;
    }

    private static TlsConfig tls(ConfigNode t) {
        if (!t.present()) return null;
        String caFile = t.string("ca-file", null);
        var c = t.build(() -> new TlsConfig(caFile == null ? null : Path.of(caFile)));
        t.rejectUnknown("ca-file");
        return c;
    }

    private Secret apiKey(ConfigNode d) {
        return secret(d, "api-key");
    }

    private Secret secret(ConfigNode d, String field) {
        String raw = d.string(field, null);
        if (raw == null) return null;
        Matcher m = ENV.matcher(raw);
        if (m.matches()) {
            String v = env.apply(m.group(1));
            if ((v == null || v.isEmpty()) && m.group(2) != null) v = m.group(2);
            if ((v == null || v.isEmpty()) && m.group(2) != null) return null;
            if (v == null || v.isEmpty()) {
                d.problem(d.path() + "." + field, raw, "environment variable " + m.group(1) + " to be set");
                return null;
            }
            return new Secret(v, raw);
        }
        // A literal key in the file works, but is never echoed back: its source reads as "(literal)".
        return new Secret(raw, "(literal)");
    }

    private static StoreConfig responses(ConfigNode r) {
        var d = StoreConfig.DEFAULT;
        var c = r.build(() -> new StoreConfig(r.integer("max-entries", d.maxEntries()), r.longValue("max-bytes", d.maxBytes()),
                r.duration("ttl", d.ttl())));
        r.rejectUnknown("one of max-entries, max-bytes, ttl");
        return c;
    }

    private ReasoningConfig reasoning(ConfigNode r) {
        if (!r.present()) return ReasoningConfig.GENERATED;
        Secret key = secret(r, "key");
        r.rejectUnknown("key (the reasoning envelope's HMAC key)");
        return new ReasoningConfig(key);
    }

    private static PriceConfig price(ConfigNode p) {
        if (!p.present()) return PriceConfig.FREE;
        var c = p.build(() -> new PriceConfig(p.number("input", 0), p.number("output", 0),
                p.optionalNumber("cache-read"), p.optionalNumber("cache-write")));
        p.rejectUnknown("one of input, output, cache-read, cache-write (US dollars per million tokens)");
        return c;
    }

    static MockConfig mock(ConfigNode m) {
        if (!m.present()) return null;
        var d = MockConfig.DEFAULT;
        MockConfig.Latency latency = MockConfig.Latency.NONE;
        JsonNode rawLatency = m.raw().get("latency");
        ConfigNode l = rawLatency != null && rawLatency.isObject() ? m.child("latency") : null;
        if (l != null) {
            latency = l.build(() -> new MockConfig.Latency(l.string("distribution", "fixed"),
                    l.duration("mean", Duration.ZERO), l.duration("spread", Duration.ZERO)));
            l.rejectUnknown("one of distribution, mean, spread");
        } else if (m.has("latency")) {
            latency = new MockConfig.Latency("fixed", m.duration("latency", Duration.ZERO), Duration.ZERO);
        }
        ConfigNode f = m.child("faults");
        MockConfig.Faults faults = MockConfig.Faults.NONE;
        if (f.present()) {
            var fd = MockConfig.Faults.NONE;
            var statuses = new ArrayList<Integer>();
            for (ConfigNode s : f.list("error-statuses")) {
                if (s.raw().canConvertToInt()) statuses.add(s.raw().asInt());
                else s.problem(s.path(), s.raw(), "an HTTP status");
            }
            faults = f.build(() -> new MockConfig.Faults(f.number("error-rate", 0), statuses,
                    f.number("rate-limit-rate", 0), f.duration("retry-after", fd.retryAfter()),
                    f.number("hang-rate", 0), f.number("reset-rate", 0), f.number("malformed-rate", 0),
                    f.number("drop-rate", 0), f.integer("drop-after-tokens", fd.dropAfterTokens())));
            f.rejectUnknown("one of error-rate, error-statuses, rate-limit-rate, retry-after, hang-rate, reset-rate, "
                    + "malformed-rate, drop-rate, drop-after-tokens");
        }
        MockConfig.Latency lat = latency;
        MockConfig.Faults flt = faults;
        var c = m.build(() -> new MockConfig(lat, m.duration("ttft", d.ttft()), m.number("tokens-per-second", d.tokensPerSecond()),
                m.integer("output-tokens", d.outputTokens()), m.integer("embedding-dimensions", d.embeddingDimensions()),
                flt, m.longValue("seed", d.seed())));
        m.rejectUnknown("one of latency, ttft, tokens-per-second, output-tokens, embedding-dimensions, faults, seed");
        return c;
    }
}
