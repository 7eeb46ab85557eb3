-- The exact cache's PostgreSQL tier (cache/PostgresTier): one row per stored answer, serialised by cache/AnswerCodec.
-- key is the request key's hex (it covers the scope); scope and model are kept beside it for purges.
CREATE TABLE arbiter_cache_entry (
    key         text   PRIMARY KEY,
    scope       text   NOT NULL,
    model       text   NOT NULL,
    value       bytea  NOT NULL,
    created_ms  bigint NOT NULL,
    expires_ms  bigint NOT NULL
);
CREATE INDEX arbiter_cache_entry_expires ON arbiter_cache_entry (expires_ms);
CREATE INDEX arbiter_cache_entry_scope ON arbiter_cache_entry (scope);
CREATE INDEX arbiter_cache_entry_model ON arbiter_cache_entry (model);
