package dev.arbiter.auth;

import dev.arbiter.admin.AdminAccess;
import java.security.MessageDigest;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's key check ({@code auth.admin-key}), sent like any API key. Both sides are hashed before a
 * {@link MessageDigest#isEqual} comparison, so the time taken says nothing about the key, not even its length.
 */
public final class AdminKeyAccess implements AdminAccess {
    private static final Logger log = LoggerFactory.getLogger(AdminKeyAccess.class);
    private final byte[] digest;

    private AdminKeyAccess(String adminKey) {
        this.digest = KeyHash.digest(adminKey);
    }

    /**
     * The admin access for this config: the admin key when one is set; with none, the admin API stays open only while
     * authentication is off (as before keys existed), and is closed otherwise.
     */
    public static AdminAccess of(AuthConfig config) {
        if (config.adminKey() != null) return new AdminKeyAccess(config.adminKey().reveal());
        if (config.mode() == AuthConfig.Mode.OFF) return AdminAccess.OPEN;
        log.warn("auth.mode is {} but auth.admin-key is not set: the admin API refuses every request", config.mode().label());
        return (authorization, apiKey) -> Decision.DENIED;
    }

    @Override
    public Decision check(Optional<String> authorization, Optional<String> apiKey) {
        Optional<String> sent = CallerResolver.credential(authorization, apiKey);
        if (sent.isEmpty()) return Decision.MISSING;
        return MessageDigest.isEqual(KeyHash.digest(sent.get()), digest) ? Decision.ALLOWED : Decision.DENIED;
    }
}
