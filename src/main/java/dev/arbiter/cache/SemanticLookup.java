package dev.arbiter.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.pipeline.Exchange;
import java.util.Optional;

/**
 * The seam where the semantic cache ({@code dev.arbiter.cache.semantic}, built apart) plugs into {@link CacheStage}:
 * asked after an exact miss, told of every answer stored, purged with the exact cache. The stage has already decided
 * that the request may use the cache (enabled, not excluded, deterministic enough, no {@code Cache-Control:
 * no-cache}); the lookup decides the rest (its context signature, threshold and precision guards). {@code key.scope()}
 * is the scope the answer belongs to: a semantic hit must never cross it. The implementation must not throw for a
 * failure of its own (return empty) and must bound its own time.
 */
public interface SemanticLookup {
    /** No semantic cache: every exact miss is a miss. */
    SemanticLookup NONE = new SemanticLookup() {
        @Override
        public Optional<Hit> lookup(Exchange exchange, CacheKey key) {
            return Optional.empty();
        }

        @Override
        public void stored(Exchange exchange, CacheKey key, CachedAnswer answer) {
        }
    };

    /** A stored answer close enough to the request, and how close (0..1; shown as {@code similarity=0.97}). */
    record Hit(CachedAnswer answer, double similarity) {}

    Optional<Hit> lookup(Exchange exchange, CacheKey key);

    /** An answer was stored under {@code key} for {@code exchange}'s request (called off the request's path is fine). */
    void stored(Exchange exchange, CacheKey key, CachedAnswer answer);

    /** Removes what {@code purge} selects; the number removed. */
    default long purge(Purge purge) {
        return 0;
    }

    /** Statistics for {@code GET /admin/cache} ({@code semantic} there); none by default. */
    default ObjectNode stats() {
        return dev.arbiter.wire.Json.object();
    }
}
