#!/usr/bin/env bash
# End-to-end check with real coding agents and agent SDKs as Arbiter's clients (opt-in: they are npm installs).
#
#   agents/run.sh [all|agents|sdks]      (default all)
#
# agents: Claude Code (Anthropic Messages) and Codex CLI (OpenAI Responses, custom provider) each answer a plain
# prompt and run a task that needs a tool (reading a file) through `arbiter serve` in front of `arbiter
# mock-upstream` speaking chat completions, so every request crosses a format on its way. The mock is steered by
# directives in the prompt: [[mock-say TEXT]] answers TEXT; [[mock-tool NAME ARGS]] calls tool NAME with ARGS, then
# quotes the tool's result, so a random token written to a file only comes back if the agent ran its tool and sent
# the result on.
#
# sdks: agents/sdks/check.mjs drives the Vercel AI SDK (Responses, chat completions, Messages) and the OpenAI
# Agents SDK for JavaScript (Responses, chat completions) the same way: plain, streamed, a second turn, a tool
# round trip, and a tool round trip with reasoning where the SDK sends reasoning back, each against three backends
# behind Arbiter (the mock speaking chat completions, Responses and Anthropic Messages; model names via-chat,
# via-responses, via-anthropic), checking what reached the backend where that is the point. Pinned in
# agents/sdks/package-lock.json; needs Node 20+.
#
# Offline and loopback only: both servers listen on 127.0.0.1 (ports chosen by the OS), the agents' background
# traffic and the Agents SDK's trace export are switched off, and where strace works each client runs under it and
# a check fails if it reached for any address outside loopback (DNS included). Prints PASS, FAIL or SKIP (with the
# reason) per check, then "N passed, N failed[, N skipped]"; exits 1 when a check failed.
#
# Environment:
#   ARBITER_AGENTS_DIR      where the pinned agents and SDKs are installed (default ~/.cache/arbiter-agents; the
#                           SDKs in its sdks/ folder); never the repo
#   ARBITER_AGENTS_TIMEOUT  seconds each agent run may take (default 180)
#   ARBITER_SDKS_TIMEOUT    seconds each SDK check may take (default 60; all of them together, ten times that)
#   ARBITER_SDKS_ONLY       run only the SDK checks whose name contains this text
#   ARBITER_AGENTS_TRACE    0 to skip the strace offline check (default: on when strace works)
#   ARBITER_AGENTS_KEEP     1 to keep the work folder (logs, homes, configs) even when every check passed
#   ARBITER_AGENTS_MOCK_OPTS  extra mock-upstream flags, e.g. "--drop-rate 1" to see the checks catch a cut stream
set -uo pipefail

CLAUDE_CODE_VERSION=2.1.332   # @anthropic-ai/claude-code
CODEX_VERSION=0.171.0         # @openai/codex

mode="${1:-all}"
case "$mode" in
  all|agents|sdks) ;;
  *) echo "usage: agents/run.sh [all|agents|sdks]" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
agents="${ARBITER_AGENTS_DIR:-$HOME/.cache/arbiter-agents}"
limit="${ARBITER_AGENTS_TIMEOUT:-180}"
sdk_limit="${ARBITER_SDKS_TIMEOUT:-60}"
work="$(mktemp -d "${TMPDIR:-/tmp}/arbiter-agents.XXXXXX")"
pids=()
mock_port=""
passed=0 failed=0 skipped=0

cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  if [ "$failed" -eq 0 ] && [ "${ARBITER_AGENTS_KEEP:-0}" != 1 ]; then rm -rf "$work"; else echo "logs: $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS  $1"; passed=$((passed + 1)); }
abort() { # the servers could not be had: the run fails with the reason and the log that tells it
  echo "FAIL  all checks: $1"
  tail -n 30 "$2" | sed 's/^/      /'
  failed=1
  echo "0 passed, 1 failed"
  exit 1
}
skip() { echo "SKIP  $1: $2"; skipped=$((skipped + 1)); }
fail() {
  echo "FAIL  $1: $2"
  failed=$((failed + 1))
  local f
  for f in "${@:3}"; do [ -s "$f" ] && { echo "      --- tail of $f"; tail -n 15 "$f" | sed 's/^/      /'; }; done
  local stats
  stats=$(curl -s --max-time 5 "http://127.0.0.1:$mock_port/mock/stats" 2>/dev/null | head -c 600)
  [ -n "$stats" ] && echo "      --- mock stats: $stats"
}

# --- the agents, pinned -------------------------------------------------------------------------------------------
installed_version() { # package -> its installed version, or nothing
  node -p "require(process.argv[1]).version" "$agents/node_modules/$1/package.json" 2>/dev/null
}

install_agents() {
  if [ "$(installed_version @anthropic-ai/claude-code)" = "$CLAUDE_CODE_VERSION" ] \
      && [ "$(installed_version @openai/codex)" = "$CODEX_VERSION" ]; then
    return 0
  fi
  command -v npm >/dev/null || { echo "npm is not installed"; return 1; }
  mkdir -p "$agents" 2>/dev/null || { echo "cannot create $agents"; return 1; }
  echo "installing @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION and @openai/codex@$CODEX_VERSION into $agents ..." >&2
  npm install --prefix "$agents" --save-exact --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION" > "$work/npm.log" 2>&1 \
    || { echo "npm install failed (see $work/npm.log): $(tail -n 3 "$work/npm.log" | tr '\n' ' ')"; return 1; }
}

# The SDKs install from agents/sdks/package-lock.json into their own folder, again only when it changed.
sdks="$agents/sdks"
install_sdks() {
  command -v node >/dev/null || { echo "node is not installed"; return 1; }
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || { echo "node $(node --version) is too old (the pinned SDKs want 20 or newer)"; return 1; }
  if [ -d "$sdks/node_modules" ] && cmp -s "$root/agents/sdks/package-lock.json" "$sdks/package-lock.json"; then
    return 0
  fi
  command -v npm >/dev/null || { echo "npm is not installed"; return 1; }
  mkdir -p "$sdks" 2>/dev/null || { echo "cannot create $sdks"; return 1; }
  echo "installing the agent SDKs pinned in agents/sdks/package-lock.json into $sdks ..." >&2
  cp "$root/agents/sdks/package.json" "$root/agents/sdks/package-lock.json" "$sdks/"
  (cd "$sdks" && npm ci --no-audit --no-fund --loglevel=error) > "$work/npm-sdks.log" 2>&1 \
    || { rm -f "$sdks/package-lock.json"; echo "npm ci failed (see $work/npm-sdks.log): $(tail -n 3 "$work/npm-sdks.log" | tr '\n' ' ')"; return 1; }
}

claude="$agents/node_modules/.bin/claude"
codex="$agents/node_modules/.bin/codex"
claude_skip="" codex_skip="" sdks_skip=""
if [ "$mode" = sdks ]; then
  claude_skip="not run (agents/run.sh sdks)" codex_skip="$claude_skip"
elif ! why=$(install_agents); then
  claude_skip="$why" codex_skip="$why"
else
  # A native binary comes from a platform package; a missing one leaves a stub that fails here, not mid-check.
  v=$(HOME="$work" timeout 60 "$claude" --version 2>&1 | head -n 1)
  [[ "$v" == "$CLAUDE_CODE_VERSION"* ]] || claude_skip="claude --version printed '$v' (expected $CLAUDE_CODE_VERSION): no native binary for $(uname -sm), or npm skipped the package's postinstall (node_modules/@anthropic-ai/claude-code/install.cjs)"
  v=$(HOME="$work" CODEX_HOME="$work" timeout 60 "$codex" --version 2>/dev/null | head -n 1)
  [[ "$v" == *" $CODEX_VERSION" ]] || codex_skip="codex --version printed '$v' (expected $CODEX_VERSION): native binary missing for $(uname -sm)?"
fi

if [ "$mode" = agents ]; then
  sdks_skip="not run (agents/run.sh agents)"
elif why=$(install_sdks); then
  cp "$root/agents/sdks/check.mjs" "$sdks/check.mjs"
else
  sdks_skip="$why"
fi

if [ -n "$claude_skip" ] && [ -n "$codex_skip" ] && [ -n "$sdks_skip" ]; then
  [ "$mode" = sdks ] || for check in "claude-code plain prompt" "claude-code tool task (Read)"; do skip "$check" "$claude_skip"; done
  [ "$mode" = sdks ] || for check in "codex plain prompt" "codex tool task (exec_command)"; do skip "$check" "$codex_skip"; done
  [ "$mode" = agents ] || skip "agent SDKs" "$sdks_skip"
  echo "0 passed, 0 failed, $skipped skipped"
  exit 0
fi

# --- Arbiter and the mock -----------------------------------------------------------------------------------------
# shellcheck source=bin/java-env.sh
. "$root/bin/java-env.sh"
echo "building Arbiter ..." >&2
(cd "$root" && mvn -B -q -DskipTests package) > "$work/build.log" 2>&1 || abort "mvn package failed" "$work/build.log"

wait_port() { # log file, pid -> the port its "listening on" line names; fails after 90 s or when the process exits
  local i port
  for ((i = 0; i < 900; i++)); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -n 1)
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Paced, so each event is flushed on its own and the readers meet a stream as it arrives, not in one chunk.
# shellcheck disable=SC2086 # the extra flags are words
"$JAVA_HOME/bin/java" -jar "$root/target/arbiter.jar" mock-upstream --host 127.0.0.1 --port 0 \
  --ttft 20ms --tokens-per-second 200 ${ARBITER_AGENTS_MOCK_OPTS:-} > "$work/mock.log" 2>&1 &
pids+=($!)
mock_port=$(wait_port "$work/mock.log" "$!") || abort "mock-upstream did not start" "$work/mock.log"

# The quick start (--upstream URL --upstream-api openai) with the host pinned to loopback, which it cannot set,
# and the same mock again as a Responses and as an Anthropic backend, for the SDK checks.
cat > "$work/arbiter.yaml" <<EOF
server:
  host: 127.0.0.1
  port: 0
models:
  - name: upstream
    aliases: ["*"]
    deployments:
      - {name: mock, provider: openai, api: chat, model: "*", base-url: "http://127.0.0.1:$mock_port/v1"}
  - name: via-responses
    deployments:
      - {name: mock-responses, provider: openai, api: responses, model: "*", base-url: "http://127.0.0.1:$mock_port/v1"}
  - name: via-anthropic
    deployments:
      - {name: mock-anthropic, provider: anthropic, model: "*", base-url: "http://127.0.0.1:$mock_port"}
EOF
"$JAVA_HOME/bin/java" -jar "$root/target/arbiter.jar" serve --config "$work/arbiter.yaml" > "$work/arbiter.log" 2>&1 &
pids+=($!)
servers=("${pids[@]}")
servers_gone() { # a line naming the servers that are no longer running (something else ended them mid-run)
  local p gone=""
  for p in "${servers[@]}"; do kill -0 "$p" 2>/dev/null || gone="$gone $p"; done
  [ -n "$gone" ] && echo "server process(es)$gone ended during the run: see mock.log and arbiter.log in $work"
}
gw_port=$(wait_port "$work/arbiter.log" "$!") || abort "arbiter serve did not start" "$work/arbiter.log"
echo "mock-upstream on 127.0.0.1:$mock_port (chat completions), arbiter on 127.0.0.1:$gw_port" >&2

# --- offline check ------------------------------------------------------------------------------------------------
trace=()
if [ "${ARBITER_AGENTS_TRACE:-1}" != 0 ] && command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
  trace=(strace -f -qq -e "trace=connect,sendto,sendmsg" -o)
else
  echo "note: not checking that the agents stay offline (strace unavailable or ARBITER_AGENTS_TRACE=0)" >&2
fi

outside_loopback() { # strace log -> the non-loopback addresses the agent reached for, one line
  [ -f "$1" ] || return 0
  grep -oE 'inet_addr\("[0-9.]+"\)|inet_pton\(AF_INET6, "[^"]+"' "$1" | sed -E 's/.*"([^"]+)".*/\1/' \
    | grep -vE '^(127\.|::1$|::ffff:127\.)' | sort -u | tr '\n' ' '
}

# run NAME MARKER DIR ENV... -- COMMAND...: runs an agent in DIR with only ENV, then checks its stdout has MARKER.
run() {
  local name="$1" marker="$2" dir="$3" env=() slug rc far
  shift 3
  while [ "$1" != -- ]; do env+=("$1"); shift; done
  shift
  slug=$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-')
  local out="$work/$slug.out" err="$work/$slug.err" st="$work/$slug.strace"
  local tracer=()
  [ ${#trace[@]} -gt 0 ] && tracer=("${trace[@]}" "$st")
  (cd "$dir" && env -i "${env[@]}" "${tracer[@]}" timeout -k 10 "$limit" "$@" > "$out" 2> "$err" < /dev/null)
  rc=$?
  far=$(outside_loopback "$st")
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then fail "$name" "timed out after ${limit}s" "$out" "$err"
  elif [ -n "$far" ]; then fail "$name" "reached outside loopback: $far" "$out" "$err"
  elif ! grep -qF -- "$marker" "$out"; then fail "$name" "exit $rc, output lacks '$marker'" "$out" "$err"
  else pass "$name"
  fi
}

base_path="$(dirname "$(command -v node 2>/dev/null || echo /usr/bin/node)"):/usr/local/bin:/usr/bin:/bin"
token="ARBITER-TOKEN-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
task="$work/task"
mkdir -p "$task" "$work/claude-home" "$work/codex-home" "$work/sdk-home"
printf '%s is the first word of this file.\nThe second line says nothing.\n' "$token" > "$task/hello.txt"

# --- Claude Code --------------------------------------------------------------------------------------------------
claude_env=(PATH="$base_path" HOME="$work/claude-home" ANTHROPIC_BASE_URL="http://127.0.0.1:$gw_port"
  ANTHROPIC_API_KEY=dummy-arbiter-key CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
  CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK=1 DISABLE_AUTOUPDATER=1)
if [ "$mode" = sdks ]; then
  :
elif [ -n "$claude_skip" ]; then
  skip "claude-code plain prompt" "$claude_skip"
  skip "claude-code tool task (Read)" "$claude_skip"
else
  run "claude-code plain prompt" ARBITER-OK-1 "$task" "${claude_env[@]}" -- \
    "$claude" -p "[[mock-say ARBITER-OK-1]]"
  run "claude-code tool task (Read)" "$token" "$task" "${claude_env[@]}" -- \
    "$claude" -p "[[mock-tool Read {\"file_path\":\"$task/hello.txt\"}]]" --allowedTools Read
fi

# --- Codex CLI ----------------------------------------------------------------------------------------------------
cat > "$work/codex-home/config.toml" <<EOF
model = "arbiter-mock"
model_provider = "arbiter"
model_reasoning_effort = "medium"
model_reasoning_summary = "auto"
approval_policy = "never"
check_for_update_on_startup = false

[model_providers.arbiter]
name = "Arbiter"
base_url = "http://127.0.0.1:$gw_port/v1"
wire_api = "responses"
env_key = "ARBITER_AGENTS_KEY"

# Without these Codex looks up ab.chatgpt.com (analytics), chatgpt.com and api.github.com (plugins) at startup.
[analytics]
enabled = false

[features]
plugins = false
EOF
codex_env=(PATH="$base_path" HOME="$work/codex-home" CODEX_HOME="$work/codex-home" ARBITER_AGENTS_KEY=dummy-arbiter-key)
if [ "$mode" = sdks ]; then
  :
elif [ -n "$codex_skip" ]; then
  skip "codex plain prompt" "$codex_skip"
  skip "codex tool task (exec_command)" "$codex_skip"
else
  run "codex plain prompt" ARBITER-OK-2 "$task" "${codex_env[@]}" -- \
    "$codex" exec --skip-git-repo-check "[[mock-say ARBITER-OK-2]]"
  run "codex tool task (exec_command)" "$token" "$task" "${codex_env[@]}" -- \
    "$codex" exec --skip-git-repo-check --sandbox read-only '[[mock-tool exec_command {"cmd":"cat hello.txt"}]]'
fi

# --- agent SDKs ---------------------------------------------------------------------------------------------------
# check.mjs prints its own PASS / FAIL lines, one check at a time, each bounded by ARBITER_SDKS_TIMEOUT; they are
# counted here. The whole run is bounded too, and fails as a whole when it breaks off without a verdict.
if [ "$mode" != agents ]; then
  if [ -n "$sdks_skip" ]; then
    skip "agent SDKs" "$sdks_skip"
  else
    out="$work/sdks.out" err="$work/sdks.err" st="$work/sdks.strace"
    tracer=()
    [ ${#trace[@]} -gt 0 ] && tracer=("${trace[@]}" "$st")
    (cd "$sdks" && env -i PATH="$base_path" HOME="$work/sdk-home" ARBITER_URL="http://127.0.0.1:$gw_port" \
      ARBITER_MOCK_URL="http://127.0.0.1:$mock_port" ARBITER_SDK_TIMEOUT="$sdk_limit" \
      ARBITER_SDK_ONLY="${ARBITER_SDKS_ONLY:-}" ARBITER_SDK_BACKENDS="chat=via-chat,responses=via-responses,anthropic=via-anthropic" \
      "${tracer[@]}" timeout -k 10 "$((sdk_limit * 10))" node check.mjs > "$out" 2> "$err" < /dev/null)
    rc=$?
    cat "$out"
    n=$(grep -c '^PASS  ' "$out")
    passed=$((passed + n))
    n=$(grep -c '^FAIL  ' "$out")
    failed=$((failed + n))
    far=$(outside_loopback "$st")
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then fail "agent SDKs" "timed out after $((sdk_limit * 10))s" "$err"
    elif [ -n "$far" ]; then fail "agent SDKs offline" "reached outside loopback: $far" "$err"
    elif [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then fail "agent SDKs" "check.mjs exited $rc without a failed check" "$err"
    elif ! grep -q '^PASS  ' "$out" && [ "$n" -eq 0 ]; then fail "agent SDKs" "no check ran" "$err"
    elif [ -s "$err" ]; then echo "      --- check.mjs stderr:"; tail -n 15 "$err" | sed 's/^/      /'
    fi
  fi
fi

if gone=$(servers_gone); then fail "servers stayed up" "$gone"; fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
