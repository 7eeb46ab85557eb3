package dev.arbiter.decide;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The recent decisions, by request id, for feedback and the admin API: who made the request, which route decided
 * what, and which kinds of feedback were already taken (feedback is idempotent per request and kind). Bounded: the
 * oldest decision is forgotten past {@code capacity}, and feedback for it then reads as for an unknown request.
 * In memory only (see the README's known gaps).
 */
final class Decisions {
    record Entry(String callerId, Router router, Router.Decision decision, Set<String> feedbackKinds) {
    }

    private final int capacity;
    private final LinkedHashMap<String, Entry> entries;

    Decisions(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Decisions.Entry> eldest) {
                return size() > Decisions.this.capacity;
            }
        };
    }

    synchronized void put(String requestId, String callerId, Router router, Router.Decision decision) {
        entries.put(requestId, new Entry(callerId, router, decision, new HashSet<>()));
    }

    synchronized Optional<Entry> find(String requestId) {
        return Optional.ofNullable(entries.get(requestId));
    }

    /** Marks feedback of {@code kind} as taken for the request; false when it already was. */
    boolean take(Entry e, String kind) {
        synchronized (e.feedbackKinds()) {
            return e.feedbackKinds().add(kind);
        }
    }
}
