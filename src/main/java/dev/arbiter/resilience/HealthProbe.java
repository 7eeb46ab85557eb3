package dev.arbiter.resilience;

import dev.arbiter.provider.Deployment;

/**
 * One question to a deployment's upstream while its breaker is open: is it answering again? Blocking; the caller
 * bounds it by the health check's {@code timeout} and interrupts it when that passes.
 */
@FunctionalInterface
interface HealthProbe {
    /**
     * Asks {@code d}'s upstream as {@code config} says. Never throws for the upstream's failures: they are a result.
     *
     * @param embeddings whether {@code d} serves an embeddings model (a completion probe then asks for an embedding)
     */
    Result probe(Deployment d, boolean embeddings, HealthCheckConfig config) throws InterruptedException;

    /**
     * What a probe found: whether the upstream answered as a healthy one does, and a short description for the admin
     * API and the log (a status or the kind of failure; never a credential, never a body).
     */
    record Result(boolean ok, String detail) {
    }
}
