package dev.arbiter.pipeline;

/** Which logical model, deployment and provider answered: returned as x-arbiter-* headers. */
public record ServedBy(String model, String deployment, String provider) {}
