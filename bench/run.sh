#!/usr/bin/env bash
# Measures the latency Arbiter adds: starts a mock-upstream (port 19090), a slow mock-upstream that waits 50 ms
# before each answer (port 19091, the *-chat-slow scenarios) and a gateway (port 18080) as their own JVMs on
# 127.0.0.1, waits until they are ready, runs `arbiter bench` against them, and stops them on exit.
#   bench/run.sh                                   # defaults: 1000 req/s, 15 s warm-up + 20 s per scenario
#   bench/run.sh --rate 500 --duration 10s --json /tmp/bench.json --scenarios gateway-chat
#   bench/run.sh --threads --scenarios gateway-chat@200,gateway-chat@1000,gateway-chat-slow@200   # low load, see LOW-LOAD.md
# Every argument goes to `arbiter bench` (see `./arbiter bench --help`). Environment:
#   SERVER_JAVA_OPTS  JVM flags of the gateway and the mocks. Unset: Serial GC and a fixed 256 MiB heap, the
#                     harness's long-standing setting (a 1 GiB heap's larger young generation cost every process ~20%
#                     more CPU per request on this virtualised machine, measured; the gateway's live set under this
#                     load is under 30 MiB). `default`: the `arbiter` launcher's own defaults, what users get
#                     (ARBITER_JAVA_OPTS unset). `none`: no flags at all, the JVM's ergonomics. The flags each
#                     server ran with are printed from its command line.
#   BENCH_JAVA_OPTS   JVM flags of the load generator
#   GATEWAY_JAVA_OPTS extra flags for the gateway only, e.g. -XX:StartFlightRecording=filename=/tmp/gw.jfr
#   ARBITER_LOG_LEVEL the gateway's log level (default INFO: one access-log line per request, as in production)
#   BENCH_LOG_DIR     where the servers' logs go (default: a fresh temporary directory)
#   BENCH_PORT_OFFSET added to every port above (default 0), so that two runs can share a machine (their figures
#                     then disturb each other: only for profiles and counts, not for published latencies)
#   BENCH_PIN=1       pin gateway, mock and generator to cores with taskset (off by default: see README)
#   BENCH_LOGGED=1    also start a gateway (port 18083) with the PostgreSQL request log on (BENCH_PG_URL, default the
#                     local database test), for the gateway-chat-logged scenario beside gateway-chat
#   BENCH_REDIS=1     also start a gateway (port 18084) with redis: (BENCH_REDIS_URL, default redis://127.0.0.1:6379), where
#                     the bench key's limits are counted, for the gateway-chat-keyed-redis scenario beside gateway-chat-keyed
#   BENCH_TRACED=1    also start a second gateway (port 18082) with OpenTelemetry tracing on, exporting every request's
#                     spans over OTLP/HTTP to the slow mock-upstream's /v1/traces sink, for the gateway-chat-traced
#                     scenario: bench/run.sh --scenarios gateway-chat,gateway-chat-traced compares tracing off and on
#   BENCH_REFERENCE   nginx (the default when nginx is installed: apt-get install nginx-light) or none. nginx runs
#                     as a reference reverse proxy on port 18081 in front of the same mock, so each pass-through
#                     gateway scenario has a reference-* twin: what one more hop through a lean native proxy costs on
#                     this machine, measured in the same run
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
off=${BENCH_PORT_OFFSET:-0}
MOCK_PORT=$((19090 + off))
SLOW_PORT=$((19091 + off))
SLOW_LATENCY=50ms   # the latency bench/bench.yaml's comment and the catalog's *-chat-slow scenarios assume
GATEWAY_PORT=$((18080 + off))
TRACED_PORT=$((18082 + off))
traced=${BENCH_TRACED:-0}
LOGGED_PORT=$((18083 + off))
logged=${BENCH_LOGGED:-0}
REDIS_GW_PORT=$((18084 + off))
redis=${BENCH_REDIS:-0}
REFERENCE_PORT=$((18081 + off))
reference=${BENCH_REFERENCE:-$(command -v nginx >/dev/null 2>&1 && echo nginx || echo none)}
case "$reference" in
  nginx) command -v nginx >/dev/null 2>&1 || { echo "bench: BENCH_REFERENCE=nginx but nginx is not installed (apt-get install nginx-light)" >&2; exit 1; } ;;
  none) ;;
  *) echo "bench: BENCH_REFERENCE=$reference (expected: nginx or none)" >&2; exit 1 ;;
esac
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:--XX:+UseSerialGC -Xms256m -Xmx256m -XX:+AlwaysPreTouch}
# runs "$@" in place of the calling (background) shell, with ARBITER_JAVA_OPTS as SERVER_JAVA_OPTS asks plus extra
# flags ($1), so that $! is the server's own pid
server() {
  local extra=$1; shift
  case "$SERVER_JAVA_OPTS" in
    default) if [ -n "$extra" ]; then echo "bench: GATEWAY_JAVA_OPTS needs explicit SERVER_JAVA_OPTS (default means the launcher's own)" >&2; exit 1; fi
             exec env -u ARBITER_JAVA_OPTS "$@" ;;
    none) exec env ARBITER_JAVA_OPTS="$extra" "$@" ;;
    *) exec env ARBITER_JAVA_OPTS="$SERVER_JAVA_OPTS $extra" "$@" ;;
  esac
}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:--XX:+UseSerialGC -Xms256m -Xmx256m -XX:+AlwaysPreTouch}
# The gateway's C2 compiler needs about 14 s of CPU before it settles; on two shared cores that takes longer
# than the command's 5 s default, so the script warms up for 15 s per scenario unless told otherwise.
defaults=()
case " $* " in *" --warmup"*) ;; *) defaults+=(--warmup 15s) ;; esac
logs=${BENCH_LOG_DIR:-$(mktemp -d /tmp/arbiter-bench.XXXXXX)}
mkdir -p "$logs"

ports="$MOCK_PORT $SLOW_PORT $GATEWAY_PORT"
[ "$reference" = nginx ] && ports="$ports $REFERENCE_PORT"
[ "$traced" = 1 ] && ports="$ports $TRACED_PORT"
[ "$logged" = 1 ] && ports="$ports $LOGGED_PORT"
[ "$redis" = 1 ] && ports="$ports $REDIS_GW_PORT"
for port in $ports; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench: port $port on 127.0.0.1 is already in use; stop what holds it first" >&2
    exit 1
  fi
done

./arbiter --version >/dev/null   # builds once, before three JVMs would race to
# bench.yaml names the mocks' default ports; the servers read a copy with the ports of this run
sed "s|127.0.0.1:19090|127.0.0.1:$MOCK_PORT|g; s|127.0.0.1:19091|127.0.0.1:$SLOW_PORT|g" bench/bench.yaml >"$logs/bench.yaml"

pin() { if [ "${BENCH_PIN:-0}" = 1 ]; then echo "taskset -c $1"; fi; }
pids=()
stop() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'exit 130' INT TERM

server "" $(pin 0) ./arbiter mock-upstream --host 127.0.0.1 --port $MOCK_PORT \
  >"$logs/mock-upstream.log" 2>&1 &
pids+=($!)
server "${GATEWAY_JAVA_OPTS:-}" $(pin 1) ./arbiter serve --config "$logs/bench.yaml" --port $GATEWAY_PORT \
  >"$logs/gateway.log" 2>&1 &
pids+=($!)
server "" $(pin 0) ./arbiter mock-upstream --host 127.0.0.1 --port $SLOW_PORT --latency $SLOW_LATENCY \
  >"$logs/mock-upstream-slow.log" 2>&1 &
pids+=($!)

# Gateways beside the main one, each bench.yaml plus a block of YAML ($3), on port $2, watched as gateway-$1, its URL
# passed to `arbiter bench` with option $4
extra_args=()
watch_extra=""
extra_gateway() {
  { cat "$logs/bench.yaml"; printf '\n%s\n' "$3"; } >"$logs/bench-$1.yaml"
  server "${GATEWAY_JAVA_OPTS:-}" $(pin 1) ./arbiter serve --config "$logs/bench-$1.yaml" --port "$2" \
    >"$logs/gateway-$1.log" 2>&1 &
  pids+=($!)
  extra_args+=("$4" "http://127.0.0.1:$2")
  watch_extra="$watch_extra,gateway-$1=$!"
}
# the traced gateway: an observe.otlp block; the slow mock is idle in gateway-chat phases, so it sinks spans
if [ "$traced" = 1 ]; then
  extra_gateway traced $TRACED_PORT "$(printf 'observe:\n  otlp: {endpoint: "http://127.0.0.1:%s", export-interval: 1s}' "$SLOW_PORT")" \
    --traced-gateway
fi
# the logged gateway: the PostgreSQL request log (BENCH_PG_URL, default the local test database)
if [ "$logged" = 1 ]; then
  extra_gateway logged $LOGGED_PORT "$(printf 'postgres: {url: "%s", user: postgres, max-pool-size: 4}\nobserve: {request-log: true}' \
    "${BENCH_PG_URL:-jdbc:postgresql://127.0.0.1:5432/test}")" --logged-gateway
fi
# the Redis gateway: redis:, so the bench key's limits (rate-limits' default store) are counted in Redis, under a key
# prefix of this run's own so that no earlier run's counters are read
if [ "$redis" = 1 ]; then
  extra_gateway redis $REDIS_GW_PORT "$(printf 'redis: {url: "%s"}\nrate-limits: {key-prefix: "arbiter:bench:%s:"}' \
    "${BENCH_REDIS_URL:-redis://127.0.0.1:6379}" "$$")" --redis-gateway
fi

# nginx as a plain reverse proxy, configured as one would for an LLM API: keep-alive connections to the upstream,
# no buffering (streams pass through as they arrive), an access-log line per request, buffered like Arbiter's.
# Two workers, one per core here, as worker_processes auto picks.
reference_args=()
watch_reference=""
if [ "$reference" = nginx ]; then
  mkdir -p "$logs/nginx"
  cat >"$logs/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $logs/nginx/nginx.pid;
error_log $logs/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log $logs/nginx/access.log combined buffer=64k flush=1s;
  client_body_temp_path $logs/nginx/body;
  proxy_temp_path $logs/nginx/proxy;
  fastcgi_temp_path $logs/nginx/fastcgi;
  uwsgi_temp_path $logs/nginx/uwsgi;
  scgi_temp_path $logs/nginx/scgi;
  keepalive_requests 1000000;
  upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 512; keepalive_requests 1000000; }
  upstream mock_slow { server 127.0.0.1:$SLOW_PORT; keepalive 512; keepalive_requests 1000000; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_buffering off;
  proxy_request_buffering off;
  server {
    listen 127.0.0.1:$REFERENCE_PORT backlog=4096;
    location / { proxy_pass http://mock; }
    location /slow/ { proxy_pass http://mock_slow/; }
  }
}
CONF
  $(pin 0) nginx -p "$logs/nginx" -c "$logs/nginx/nginx.conf" >"$logs/nginx/stdout.log" 2>&1 &
  pids+=($!)
  reference_args=(--reference "http://127.0.0.1:$REFERENCE_PORT" --reference-name nginx)
  watch_reference=",nginx=$!"
fi

ready() { curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; }
for _ in $(seq 300); do
  if ready "http://127.0.0.1:$MOCK_PORT/v1/models" && ready "http://127.0.0.1:$SLOW_PORT/v1/models" \
      && ready "http://127.0.0.1:$GATEWAY_PORT/readyz" \
      && { [ "$reference" = none ] || ready "http://127.0.0.1:$REFERENCE_PORT/v1/models"; } \
      && { [ "$traced" = 0 ] || ready "http://127.0.0.1:$TRACED_PORT/readyz"; } \
      && { [ "$logged" = 0 ] || ready "http://127.0.0.1:$LOGGED_PORT/readyz"; } \
      && { [ "$redis" = 0 ] || ready "http://127.0.0.1:$REDIS_GW_PORT/readyz"; }; then break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "bench: a server exited early; logs in $logs" >&2; tail -20 "$logs"/*.log "$logs"/nginx/*.log >&2 2>/dev/null; exit 1; }
  done
  sleep 0.1
done
ready "http://127.0.0.1:$GATEWAY_PORT/readyz" || { echo "bench: servers not ready after 30 s; logs in $logs" >&2; exit 1; }
jvm_flags() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's|^[^ ]*/java ||; s| -jar .*||; s|^-jar .*||'; }
echo "bench: mock-upstream pid ${pids[0]}, slow mock-upstream pid ${pids[2]} (--latency $SLOW_LATENCY), gateway pid ${pids[1]}," \
  "reference proxy: $reference; logs in $logs" >&2
echo "bench: SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS}; JVM flags: gateway [$(jvm_flags "${pids[1]}")], mocks [$(jvm_flags "${pids[0]}")]" >&2

set +e
ARBITER_JAVA_OPTS="$BENCH_JAVA_OPTS" timeout --signal=TERM --kill-after=10s 1800 $(pin 0) ./arbiter bench \
  --watch "gateway=${pids[1]},upstream=${pids[0]},upstream-slow=${pids[2]}$watch_reference$watch_extra" \
  --direct "http://127.0.0.1:$MOCK_PORT" --slow-direct "http://127.0.0.1:$SLOW_PORT" --gateway "http://127.0.0.1:$GATEWAY_PORT" \
  ${reference_args[@]+"${reference_args[@]}"} ${extra_args[@]+"${extra_args[@]}"} ${defaults[@]+"${defaults[@]}"} "$@"
status=$?
if [ "$traced" = 1 ]; then
  echo "bench: OTLP sink (slow mock-upstream): $(curl -fsS --max-time 2 "http://127.0.0.1:$SLOW_PORT/mock/stats" | tr -d '\n' \
    | sed -n 's/.*"otlp":\({[^}]*}\).*/\1/p')" >&2
fi
set -e
exit $status
