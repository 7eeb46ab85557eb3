package dev.arbiter.auth;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.error.Untrusted;
import dev.arbiter.llm.Operation;
import dev.arbiter.pipeline.Caller;
import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;
import java.util.Optional;

/**
 * Authenticates the request's API key and puts the caller, and the key ({@link ApiKey#KEY}), on the exchange for
 * every stage after it. By {@code auth.mode}:
 * <ul>
 * <li>{@code off}: no key is checked; the caller is a keyed hash of whatever credential was sent
 *     ({@link CallerResolver}), which only scopes stored responses (Arbiter's behaviour before keys).
 * <li>{@code optional}: a valid key authenticates; no credential or an unknown one is served unauthenticated, as
 *     with {@code off}; a revoked or expired key is refused (401).
 * <li>{@code required}: no credential, an unknown, revoked or expired key: 401.
 * </ul>
 * A key that may not call the model asked for is answered as OpenAI answers a model the caller has no access to:
 * 404 {@code model_not_found}, so a key cannot learn which models exist beyond its own. Messages name the key's
 * prefix at most, never the secret.
 */
public final class AuthenticateStage implements Stage {
    private final AuthConfig.Mode mode;
    private final Keys keys;
    private final CallerResolver anonymous;

    public AuthenticateStage(AuthConfig.Mode mode, Keys keys, CallerResolver anonymous) {
        this.mode = mode;
        this.keys = keys;
        this.anonymous = anonymous;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Credential c = exchange.attribute(Credential.KEY).orElse(Credential.NONE);
        if (mode == AuthConfig.Mode.OFF) return proceed(exchange, anonymous.resolve(c.authorization(), c.apiKey()), next);
        Optional<String> secret = CallerResolver.credential(c.authorization(), c.apiKey());
        if (secret.isEmpty()) {
            if (mode == AuthConfig.Mode.OPTIONAL) return proceed(exchange, Caller.ANONYMOUS, next);
            throw new ArbiterException.Unauthorized("Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'");
        }
        return switch (keys.authenticate(secret.get())) {
            case Keys.Lookup.Valid v -> {
                String model = exchange.request().model();
                if (model != null && exchange.request().operation() != Operation.STORED_RESPONSE && !v.key().spec().allows(model)) {
                    throw new ArbiterException.NotFound("The model '" + Untrusted.text(model)
                            + "' does not exist or you do not have access to it.", "model", "model_not_found");
                }
                yield proceed(exchange.with(ApiKey.KEY, v.key()), v.key().caller(), next);
            }
            case Keys.Lookup.Unknown u -> {
                if (mode == AuthConfig.Mode.OPTIONAL) yield proceed(exchange, anonymous.resolve(c.authorization(), c.apiKey()), next);
                throw new ArbiterException.Unauthorized("Invalid API key");
            }
            case Keys.Lookup.Revoked r -> throw new ArbiterException.Unauthorized("API key " + r.key().prefix() + "... has been revoked");
            case Keys.Lookup.Expired e -> throw new ArbiterException.Unauthorized("API key " + e.key().prefix() + "... has expired");
        };
    }

    private static Reply proceed(Exchange exchange, Caller caller, Chain next) {
        exchange.trace().identified(caller);
        return next.proceed(exchange.withCaller(caller));
    }
}
