package dev.arbiter.cache.semantic;

/**
 * An entry a search found: its id (the stored response's key), its prompt, and its cosine similarity to the query.
 */
public record Match(String id, String prompt, float similarity) {
}
