package dev.arbiter.provider;

import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.ModelConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The gateway's configured secrets, for hiding them in upstream text before it reaches a caller or a log line: an
 * upstream that rejects a key often quotes it ({@code Incorrect API key provided: ...}), whatever its shape (an
 * Azure hex key, {@code gsk_...}, {@code hunter2}). Every deployment's {@code api-key} and the values of its
 * credential-like headers ({@code authorization}, or a name with key, token, secret, auth, password, credential or
 * cookie in it) are replaced wherever they appear, as written or JSON-escaped; and anything shaped like a key
 * ({@code sk-...}, {@code Bearer ...}) is replaced too, for keys the gateway does not hold. Values shorter than
 * {@value #MIN_LENGTH} characters are no secret worth the name and would garble ordinary words, so they are left.
 *
 * <p>Immutable; built once per gateway from its config and handed to each provider.
 */
public final class SecretMask {
    static final int MIN_LENGTH = 6;
    static final String MASK = "****";
    private static final Pattern KEYLIKE = Pattern.compile("(sk-|sk-ant-|key-|Bearer\\s+)[A-Za-z0-9_\\-*.]{6,}");
    private static final Pattern SECRET_HEADER = Pattern.compile(
            "(?i)(proxy-)?authorization|.*(key|token|secret|auth|password|credential|cookie).*");
    private static final Pattern AUTH_SCHEME = Pattern.compile("(?i)(Bearer|Basic|Token)\\s+(.+)");

    /** Masks only key-shaped text. */
    public static final SecretMask NONE = new SecretMask(List.of());

    /** Longest first, so a secret that contains another is masked whole. */
    private final List<String> values;

    private SecretMask(Collection<String> values) {
        this.values = values.stream().filter(v -> v.length() >= MIN_LENGTH).distinct()
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    /** The secrets of every deployment of every model. */
    public static SecretMask of(ArbiterConfig config) {
        var deployments = new ArrayList<DeploymentConfig>();
        for (ModelConfig m : config.models()) deployments.addAll(m.deployments());
        return of(deployments);
    }

    /** The api keys and credential-like header values of {@code deployments}. */
    public static SecretMask of(Collection<DeploymentConfig> deployments) {
        Set<String> values = new LinkedHashSet<>();
        for (DeploymentConfig d : deployments) {
            if (d.apiKey() != null && !d.apiKey().isEmpty()) values.add(d.apiKey().reveal());
            for (Map.Entry<String, String> h : d.headers().entrySet()) {
                if (!SECRET_HEADER.matcher(h.getKey()).matches()) continue;
                String v = h.getValue().strip();
                values.add(v);
                var scheme = AUTH_SCHEME.matcher(v);
                if (scheme.matches()) values.add(scheme.group(2).strip());
            }
        }
        var all = new ArrayList<>(values);
        for (String v : values) {
            all.add(jsonEscaped(v, false));
            all.add(jsonEscaped(v, true));
        }
        return new SecretMask(all);
    }

    /** {@code text} with every configured secret and anything key-like replaced by {@value #MASK}. */
    public String mask(String text) {
        if (text == null) return null;
        String s = text;
        for (String v : values) {
            if (s.contains(v)) s = s.replace(v, MASK);
        }
        return KEYLIKE.matcher(s).replaceAll(MASK);
    }

    /** How the value reads inside a JSON string, as an upstream's error body would quote it (some escape '/'). */
    private static String jsonEscaped(String v, boolean slash) {
        var sb = new StringBuilder(v.length() + 8);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '/' -> sb.append(slash ? "\\/" : "/");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }
}
