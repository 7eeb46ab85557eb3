-- The request log partitioned by day (UTC), so retention drops whole days instead of deleting rows.
-- Same columns and meaning as V1; the rows already there move into partitions of their own days. Partitions are
-- named arbiter_request_log_YYYYMMDD; observe/RequestLog creates each day's before writing rows of that day.
ALTER TABLE arbiter_request_log RENAME TO arbiter_request_log_v1;

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
) PARTITION BY RANGE (ts);

DO $$
DECLARE
    d date;
BEGIN
    FOR d IN SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM arbiter_request_log_v1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF arbiter_request_log FOR VALUES FROM (%L) TO (%L)',
                       'arbiter_request_log_' || to_char(d, 'YYYYMMDD'),
                       (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
    END LOOP;
END $$;

INSERT INTO arbiter_request_log SELECT * FROM arbiter_request_log_v1;
DROP TABLE arbiter_request_log_v1;

CREATE INDEX arbiter_request_log_ts ON arbiter_request_log (ts);
CREATE INDEX arbiter_request_log_request_id ON arbiter_request_log (request_id);
CREATE INDEX arbiter_request_log_caller_ts ON arbiter_request_log (caller, ts);
