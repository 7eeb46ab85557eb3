package dev.arbiter.auth;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.ConfigNode;
import dev.arbiter.config.Secret;
import dev.arbiter.config.Section;
import java.time.Duration;
import java.util.Locale;

/**
 * The top-level {@code auth:} block: whether callers must present an API key ({@code required}), may
 * ({@code optional}: a valid key is used, a request without one or with an unknown one is served unauthenticated) or
 * need not ({@code off}, the default: credentials only scope stored responses, as before keys existed); the admin
 * API's own key; and how long a key lookup is cached, which bounds how long a key revoked on another node still
 * works here.
 */
public record AuthConfig(Mode mode, Secret adminKey, Duration keyCacheTtl, Secret callerKey) {
    public enum Mode {
        OFF, OPTIONAL, REQUIRED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final AuthConfig DEFAULT = new AuthConfig(Mode.OFF, null, Duration.ofSeconds(10), null);

    public static final Section<AuthConfig> SECTION = Section.top("auth", DEFAULT, AuthConfig::bind);

    public AuthConfig {
        ConfigException.require(mode != null, "auth.mode", mode, "required, optional or off");
        ConfigException.require(adminKey == null || adminKey.reveal().length() >= 16, "auth.admin-key", adminKey,
                "at least 16 characters");
        ConfigException.require(keyCacheTtl != null && !keyCacheTtl.isNegative() && keyCacheTtl.compareTo(Duration.ofMinutes(10)) <= 0,
                "auth.key-cache-ttl", keyCacheTtl, "0s..10m");
        ConfigException.require(callerKey == null || callerKey.reveal().length() >= 16, "auth.caller-key", callerKey,
                "at least 16 characters");
    }

    /**
     * What turns a credential that is not an API key into a caller id (stored responses and caches are scoped by
     * it): {@code auth.caller-key} when set, so the same credential is the same caller on every node and after a
     * restart; else a key generated at start, so ids hold for this process only.
     */
    public CallerResolver callerResolver() {
        if (callerKey == null) return CallerResolver.random();
        try {
            return new CallerResolver(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(("arbiter caller id\n" + callerKey.reveal()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static AuthConfig bind(ConfigNode n) {
        String m = n.string("mode", "off");
        Mode mode = null;
        for (Mode x : Mode.values()) if (x.label().equals(m)) mode = x;
        if (mode == null) {
            n.problem(n.path() + ".mode", m, "required, optional or off");
            mode = Mode.OFF;
        }
        Mode chosen = mode;
        Secret admin = n.has("admin-key") ? n.secret("admin-key") : null;
        Duration ttl = n.duration("key-cache-ttl", DEFAULT.keyCacheTtl());
        Secret callerKey = n.has("caller-key") ? n.secret("caller-key") : null;
        return n.build(() -> new AuthConfig(chosen, admin, ttl, callerKey));
    }
}
