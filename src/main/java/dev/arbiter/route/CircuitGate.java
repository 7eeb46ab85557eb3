package dev.arbiter.route;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.provider.Deployment;

/**
 * What the attempt step asks before it calls a deployment: whether its circuit lets the call through. A closed (or
 * half-open, with a probe free) circuit gives a {@link Call}, told once how the call ended; an open one throws at once
 * an {@link ArbiterException.Overloaded} with the code {@code circuit_open} and the time until it may let calls
 * through again, without touching the network. The breakers themselves live in {@code resilience}.
 */
public interface CircuitGate {
    /** Lets every call through and remembers nothing. */
    CircuitGate NONE = d -> Call.NONE;

    /**
     * How long {@code d}'s circuit stays open (its time left; a forced-open one: its configured open time); zero while
     * it lets calls through. Routing ranks a deployment with an open circuit after the others.
     */
    default java.time.Duration openFor(Deployment d) {
        return java.time.Duration.ZERO;
    }

    /** @throws ArbiterException.Overloaded with code {@code circuit_open} when {@code d}'s circuit is open */
    Call enter(Deployment d);

    /** One permitted call. Only the first report counts; later ones are ignored. */
    interface Call {
        Call NONE = new Call() {
            @Override
            public void succeeded() {
            }

            @Override
            public void failed(ArbiterException failure) {
            }

            @Override
            public void released() {
            }
        };

        /** The answer's head (a stream: its first event) arrived: the call's time, as slow-call rates judge it. */
        default void firstByte() {
        }

        /** The deployment answered (a stream: it ended cleanly). */
        void succeeded();

        /** The call failed; the gate decides whether that failure is the upstream's fault. */
        void failed(ArbiterException failure);

        /** The call ended saying nothing about the upstream's health (not made, or cancelled). */
        void released();
    }
}
