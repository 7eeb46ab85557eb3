-- Virtual API keys (auth/PostgresKeyStore): only the SHA-256 of each secret, never the secret.
CREATE TABLE arbiter_api_key (
    id          text        PRIMARY KEY,
    key_hash    text        NOT NULL UNIQUE,
    prefix      text        NOT NULL,
    name        text        NOT NULL,
    spec        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
