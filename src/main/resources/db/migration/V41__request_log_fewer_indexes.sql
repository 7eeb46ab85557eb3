-- The request log's indexes cost PostgreSQL more per row than the row itself (measured: 200,000 rows inserted take
-- about 3 µs each into the bare table, about 20 µs each with V40's three btrees), and PostgreSQL shares the machine
-- with the gateway. Kept: only what a reader uses.
--   request_id: no feature looks a row up by request id (a random UUID, the costliest of the three to maintain, about
--     8 µs a row); an operator's lookup scans the day's partition instead (WHERE request_id = ... AND ts >= day).
--   ts: the usage report reads whole UTC days, which partition pruning selects without an index; retention's DELETE
--     of the older rows of the cutoff day needs a range on ts, which a BRIN index gives at almost no cost per row,
--     since rows arrive in ts order.
--   (caller, ts): kept for the usage report's caller filter (GET /admin/usage?caller=, arbiter usage --caller).
DROP INDEX IF EXISTS arbiter_request_log_request_id;
DROP INDEX IF EXISTS arbiter_request_log_ts;
CREATE INDEX arbiter_request_log_ts_brin ON arbiter_request_log USING brin (ts);
