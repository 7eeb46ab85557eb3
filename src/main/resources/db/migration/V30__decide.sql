-- The decision engine's learned state and its decisions (decide/PostgresDecideStore).
-- One row per route: its policy's state vector, valid for the policy kind and shape (candidates, feature dimension) named.
CREATE TABLE arbiter_decide_policy (
    route      text             NOT NULL PRIMARY KEY,
    policy     text             NOT NULL,
    shape      text             NOT NULL,
    state      double precision[] NOT NULL,
    updated_at timestamptz      NOT NULL
);

-- One row per routed request: who made it and what was decided (JSON: candidates, scores, Pareto set, features).
CREATE TABLE arbiter_decide_decision (
    request_id text        NOT NULL PRIMARY KEY,
    caller     text        NOT NULL,
    route      text        NOT NULL,
    decision   jsonb       NOT NULL,
    ts         timestamptz NOT NULL
);
CREATE INDEX arbiter_decide_decision_ts ON arbiter_decide_decision (ts);

-- Feedback, once per request and kind.
CREATE TABLE arbiter_decide_feedback (
    request_id text             NOT NULL,
    kind       text             NOT NULL,
    quality    double precision NOT NULL,
    comment    text,
    ts         timestamptz      NOT NULL,
    PRIMARY KEY (request_id, kind)
);
