-- Stored Responses API answers (store/ResponseStore) on the cache's PostgreSQL tier (cache/TieredResponseStore), so
-- that previous_response_id works after a restart and on another node. value is serialised by cache/AnswerCodec.
CREATE TABLE arbiter_stored_response (
    caller      text   NOT NULL,
    id          text   NOT NULL,
    value       bytea  NOT NULL,
    expires_ms  bigint NOT NULL,
    PRIMARY KEY (caller, id)
);
CREATE INDEX arbiter_stored_response_expires ON arbiter_stored_response (expires_ms);
