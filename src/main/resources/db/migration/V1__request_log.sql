-- One row per answered request, written in batches by observe/RequestLog; read by usage and spend reports.
CREATE TABLE arbiter_request_log (
    request_id     text             NOT NULL,
    ts             timestamptz      NOT NULL,
    caller         text             NOT NULL,
    api            text             NOT NULL,
    operation      text             NOT NULL,
    requested_model text,
    model          text,
    deployment     text,
    provider       text,
    stream         boolean          NOT NULL,
    status         integer          NOT NULL,
    error          text,
    input_tokens   bigint           NOT NULL,
    output_tokens  bigint           NOT NULL,
    estimated      boolean          NOT NULL,
    cost_usd       double precision NOT NULL,
    latency_ms     double precision NOT NULL,
    ttft_ms        double precision,
    attempts       integer          NOT NULL,
    cache          text
);
CREATE INDEX arbiter_request_log_ts ON arbiter_request_log (ts);
CREATE INDEX arbiter_request_log_request_id ON arbiter_request_log (request_id);
