-- The semantic cache's index entries (cache/semantic/PostgresEntryStore), so that a restarted or another gateway
-- rebuilds its index: id is the exact cache key (hex) of the answer the prompt was answered with, which is read from
-- arbiter_cache_entry (or another tier) under scope and model; partition hashes the context that must match exactly.
CREATE TABLE arbiter_semantic_entry (
    id          text   PRIMARY KEY,
    scope       text   NOT NULL,
    model       text   NOT NULL,
    embedder    text   NOT NULL,
    partition   text   NOT NULL,
    prompt      text   NOT NULL,
    vector      bytea  NOT NULL,
    created_ms  bigint NOT NULL,
    expires_ms  bigint NOT NULL
);
CREATE INDEX arbiter_semantic_entry_newest ON arbiter_semantic_entry (embedder, created_ms DESC);
CREATE INDEX arbiter_semantic_entry_expires ON arbiter_semantic_entry (expires_ms);
CREATE INDEX arbiter_semantic_entry_scope ON arbiter_semantic_entry (scope);
CREATE INDEX arbiter_semantic_entry_model ON arbiter_semantic_entry (model);
