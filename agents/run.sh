#!/usr/bin/env bash
# End-to-end check with real coding agents as Arbiter's clients (opt-in: the agents are large npm installs).
#
#   agents/run.sh
#
# Claude Code (Anthropic Messages) and Codex CLI (OpenAI Responses, custom provider) each answer a plain prompt and
# run a task that needs a tool (reading a file) through `arbiter serve` in front of `arbiter mock-upstream` speaking
# chat completions, so every request crosses a format on its way. The mock is steered by directives in the prompt:
# [[mock-say TEXT]] answers TEXT; [[mock-tool NAME ARGS]] calls tool NAME with ARGS, then quotes the tool's result,
# so a random token written to a file only comes back if the agent ran its tool and sent the result on.
#
# Offline and loopback only: both servers listen on 127.0.0.1 (ports chosen by the OS), the agents' background
# traffic is switched off, and where strace works each agent runs under it and a check fails if the agent reached
# for any address outside loopback (DNS included). Prints PASS, FAIL or SKIP (with the reason) per check, then
# "N passed, N failed[, N skipped]"; exits 1 when a check failed.
#
# Environment:
#   ARBITER_AGENTS_DIR      where the pinned agents are installed (default ~/.cache/arbiter-agents); never the repo
#   ARBITER_AGENTS_TIMEOUT  seconds each agent run may take (default 180)
#   ARBITER_AGENTS_TRACE    0 to skip the strace offline check (default: on when strace works)
#   ARBITER_AGENTS_KEEP     1 to keep the work folder (logs, homes, configs) even when every check passed
#   ARBITER_AGENTS_MOCK_OPTS  extra mock-upstream flags, e.g. "--drop-rate 1" to see the checks catch a cut stream
set -uo pipefail

CLAUDE_CODE_VERSION=2.1.332   # @anthropic-ai/claude-code
CODEX_VERSION=0.171.0         # @openai/codex

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
agents="${ARBITER_AGENTS_DIR:-$HOME/.cache/arbiter-agents}"
limit="${ARBITER_AGENTS_TIMEOUT:-180}"
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
abort() { # the servers could not be had: every check fails with the reason and the log that tells it
  echo "FAIL  all checks: $1"
  tail -n 30 "$2" | sed 's/^/      /'
  failed=4
  echo "0 passed, 4 failed"
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

claude="$agents/node_modules/.bin/claude"
codex="$agents/node_modules/.bin/codex"
claude_skip="" codex_skip=""
if ! why=$(install_agents); then
  claude_skip="$why" codex_skip="$why"
else
  # A native binary comes from a platform package; a missing one leaves a stub that fails here, not mid-check.
  v=$(HOME="$work" timeout 60 "$claude" --version 2>&1 | head -n 1)
  [[ "$v" == "$CLAUDE_CODE_VERSION"* ]] || claude_skip="claude --version printed '$v' (expected $CLAUDE_CODE_VERSION): no native binary for $(uname -sm), or npm skipped the package's postinstall (node_modules/@anthropic-ai/claude-code/install.cjs)"
  v=$(HOME="$work" CODEX_HOME="$work" timeout 60 "$codex" --version 2>/dev/null | head -n 1)
  [[ "$v" == *" $CODEX_VERSION" ]] || codex_skip="codex --version printed '$v' (expected $CODEX_VERSION): native binary missing for $(uname -sm)?"
fi

if [ -n "$claude_skip" ] && [ -n "$codex_skip" ]; then
  for check in "claude-code plain prompt" "claude-code tool task (Read)"; do skip "$check" "$claude_skip"; done
  for check in "codex plain prompt" "codex tool task (exec_command)"; do skip "$check" "$codex_skip"; done
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

# The quick start (--upstream URL --upstream-api openai) with the host pinned to loopback, which it cannot set.
cat > "$work/arbiter.yaml" <<EOF
server:
  host: 127.0.0.1
  port: 0
models:
  - name: upstream
    aliases: ["*"]
    deployments:
      - {name: mock, provider: openai, api: chat, model: "*", base-url: "http://127.0.0.1:$mock_port/v1"}
EOF
"$JAVA_HOME/bin/java" -jar "$root/target/arbiter.jar" serve --config "$work/arbiter.yaml" > "$work/arbiter.log" 2>&1 &
pids+=($!)
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
mkdir -p "$task" "$work/claude-home" "$work/codex-home"
printf '%s is the first word of this file.\nThe second line says nothing.\n' "$token" > "$task/hello.txt"

# --- Claude Code --------------------------------------------------------------------------------------------------
claude_env=(PATH="$base_path" HOME="$work/claude-home" ANTHROPIC_BASE_URL="http://127.0.0.1:$gw_port"
  ANTHROPIC_API_KEY=dummy-arbiter-key CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
  CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK=1 DISABLE_AUTOUPDATER=1)
if [ -n "$claude_skip" ]; then
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
if [ -n "$codex_skip" ]; then
  skip "codex plain prompt" "$codex_skip"
  skip "codex tool task (exec_command)" "$codex_skip"
else
  run "codex plain prompt" ARBITER-OK-2 "$task" "${codex_env[@]}" -- \
    "$codex" exec --skip-git-repo-check "[[mock-say ARBITER-OK-2]]"
  run "codex tool task (exec_command)" "$token" "$task" "${codex_env[@]}" -- \
    "$codex" exec --skip-git-repo-check --sandbox read-only '[[mock-tool exec_command {"cmd":"cat hello.txt"}]]'
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
