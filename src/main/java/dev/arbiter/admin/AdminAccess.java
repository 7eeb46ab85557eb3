package dev.arbiter.admin;

import java.util.Optional;

/**
 * Who may call the admin API. Checked by the edge before any admin handler runs, from the credential the request
 * carries ({@code Authorization: Bearer ...} or {@code x-api-key}). Until an admin key is configured the API is
 * {@link #OPEN}; the admission feature supplies one that compares against {@code auth.admin-key} in constant time.
 */
@FunctionalInterface
public interface AdminAccess {
    /** Every request may use the admin API (no admin key configured). */
    AdminAccess OPEN = (authorization, apiKey) -> Decision.ALLOWED;

    Decision check(Optional<String> authorization, Optional<String> apiKey);

    enum Decision {
        ALLOWED,
        /** No credential was sent: 401. */
        MISSING,
        /** A credential was sent and is not the admin key: 403. */
        DENIED
    }
}
