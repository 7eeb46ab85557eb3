package dev.arbiter.auth;

import dev.arbiter.pipeline.Exchange;
import dev.arbiter.pipeline.Reply;
import dev.arbiter.pipeline.Stage;

/**
 * Resolves who sent the request from the credential the edge read, and puts the caller on the exchange for every
 * stage after it (stored responses, and later limits, budgets and caches, are scoped by it). Until API keys exist
 * the caller is a keyed hash of the credential ({@link CallerResolver}); the admission issue replaces this stage
 * with one that authenticates.
 */
public final class IdentifyStage implements Stage {
    private final CallerResolver callers;

    public IdentifyStage(CallerResolver callers) {
        this.callers = callers;
    }

    @Override
    public Reply apply(Exchange exchange, Chain next) {
        Credential c = exchange.attribute(Credential.KEY).orElse(Credential.NONE);
        var caller = callers.resolve(c.authorization(), c.apiKey());
        exchange.trace().identified(caller);
        return next.proceed(exchange.withCaller(caller));
    }
}
