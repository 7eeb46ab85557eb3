package dev.arbiter.auth;

import dev.arbiter.error.ArbiterException;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which models a request's credential may see in {@code GET /v1/models} and {@code /v1/models/{id}}: with
 * {@code auth} on and a valid key, the models the key may call ({@link KeySpec#allows}, wildcards included); by
 * {@code auth.mode} otherwise, as {@link AuthenticateStage} treats a model request: {@code off} and {@code optional}
 * list every model to a request without a key (or, under {@code optional}, with an unknown one); {@code required}
 * refuses it, and any mode but {@code off} refuses a revoked or expired key, with 401.
 */
public final class ModelAccess {
    /** Every model to everyone: what a gateway without {@code auth} lists. */
    public static final ModelAccess OPEN = new ModelAccess(AuthConfig.Mode.OFF, null);

    private final AuthConfig.Mode mode;
    private final Keys keys;

    public ModelAccess(AuthConfig.Mode mode, Keys keys) {
        this.mode = mode;
        this.keys = keys;
    }

    /** The models this credential may see; throws {@link ArbiterException.Unauthorized} when it may see none. */
    public Predicate<String> visible(Optional<String> authorization, Optional<String> apiKey) {
        if (mode == AuthConfig.Mode.OFF) return m -> true;
        Optional<String> secret = CallerResolver.credential(authorization, apiKey);
        if (secret.isEmpty()) {
            if (mode == AuthConfig.Mode.OPTIONAL) return m -> true;
            throw new ArbiterException.Unauthorized("Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'");
        }
        return switch (keys.authenticate(secret.get())) {
            case Keys.Lookup.Valid v -> v.key().spec()::allows;
            case Keys.Lookup.Unknown u -> {
                if (mode == AuthConfig.Mode.OPTIONAL) yield m -> true;
                throw new ArbiterException.Unauthorized("Invalid API key");
            }
            case Keys.Lookup.Revoked r -> throw new ArbiterException.Unauthorized("API key " + r.key().prefix() + "... has been revoked");
            case Keys.Lookup.Expired e -> throw new ArbiterException.Unauthorized("API key " + e.key().prefix() + "... has expired");
        };
    }
}
