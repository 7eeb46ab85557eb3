package dev.arbiter.cache;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbiter.pipeline.Exchange;

/**
 * The seam where the semantic cache ({@code dev.arbiter.cache.semantic}, built apart) plugs into {@link CacheStage}:
 * asked after an exact miss, told of every answer stored, purged with the exact cache. The stage has already decided
 * that the request may use the cache (enabled, not excluded, deterministic enough, no {@code Cache-Control:
 * no-cache}); the lookup decides the rest (its context signature, threshold and precision guards). {@code key.scope()}
 * is the scope the answer belongs to: a semantic hit must never cross it. The implementation must not throw for a
 * failure of its own (a failed or late lookup is a {@link Miss}) and must bound its own time.
 *
 * <p>The lookup's {@link Outcome} tells the stage what to count: a {@link Hit}, a {@link Miss} (the request was one the
 * semantic cache looks up, and the lookup ran and found nothing, failed or was late), or {@link Skipped} (not one it
 * looks up: off for the model, no final user turn of text, a prompt too long, the embedder still loading), which is
 * neither a semantic hit nor a semantic miss.
 */
public interface SemanticLookup {
    /** No semantic cache: every exact miss is a miss. */
    SemanticLookup NONE = new SemanticLookup() {
        @Override
        public Outcome lookup(Exchange exchange, CacheKey key) {
            return Skipped.INSTANCE;
        }

        @Override
        public void stored(Exchange exchange, CacheKey key, CachedAnswer answer) {
        }
    };

    /** What one lookup found: {@link Hit}, {@link Miss} or {@link Skipped}. */
    sealed interface Outcome permits Hit, Miss, Skipped {}

    /** A stored answer close enough to the request, and how close (0..1; shown as {@code similarity=0.97}). */
    record Hit(CachedAnswer answer, double similarity) implements Outcome {}

    /** The lookup ran and found nothing close enough (or failed, or was late): a semantic miss. */
    enum Miss implements Outcome { INSTANCE }

    /** The request is not one the semantic cache looks up: counted neither as a semantic hit nor as a miss. */
    enum Skipped implements Outcome { INSTANCE }

    Outcome lookup(Exchange exchange, CacheKey key);

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
