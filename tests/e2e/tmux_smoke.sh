#!/usr/bin/env bash
# The console as a dispatcher meets it: `ops-console --demo` in a detached tmux session on a fresh
# demo database in a temporary directory; sign in, press keys, read the screen, quit cleanly.
# Run by `make test` when tmux is present. The tmux session is always killed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="$ROOT/.venv/bin/ops-console"
if ! command -v tmux >/dev/null 2>&1; then echo "tmux smoke skipped: no tmux"; exit 0; fi
if [ ! -x "$BIN" ]; then echo "tmux smoke skipped: $BIN not installed"; exit 0; fi

WORK="$(mktemp -d)"
SESSION="ops-smoke-$$"
cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$WORK"  # --demo uses data/demo.db under the working directory: a temporary one here
export OPS_CONFIG="$WORK/no-config.toml"
if ! "$BIN" --demo demo --help >/dev/null 2>&1; then
    echo "tmux smoke skipped: this build has no \`ops-console demo init\`"
    exit 0
fi
if [ -f "$ROOT/data/demo.db" ] && [ "${SMOKE_FRESH:-0}" != "1" ]; then
    mkdir -p data && cp "$ROOT/data/demo.db" data/demo.db   # a copy: the smoke never touches yours
else
    "$BIN" --demo demo init >init.log 2>&1 || { echo "demo init failed:"; cat init.log; exit 1; }
fi

screen() { tmux capture-pane -p -t "$SESSION" 2>/dev/null || true; }
fail() {
    echo "tmux smoke FAILED: $1"
    echo "---- screen ----"
    screen
    exit 1
}
wait_for() {  # wait_for TEXT [SECONDS]
    local deadline=$((SECONDS + ${2:-15}))
    while [ $SECONDS -lt $deadline ]; do
        if screen | grep -qF -- "$1"; then return 0; fi
        sleep 0.2
    done
    fail "did not see \"$1\""
}
keys() { tmux send-keys -t "$SESSION" "$@"; sleep 0.4; }

tmux new-session -d -s "$SESSION" -x 200 -y 50 \
    "OPS_CONFIG='$OPS_CONFIG' '$BIN' --demo --operator U01; echo \$? > '$WORK/exit'; sleep 2"

wait_for "PIN"
keys "1111" Enter
wait_for "待分配订单" 20
wait_for "积压"
wait_for "王丽 (调度)"
wait_for "门店拣货计时"
wait_for "配送升级看板"
wait_for "提醒与异常"

keys "2"
wait_for "开始拣货"          # the key bar offers the picking pane's keys
keys "?"
wait_for "快捷键"
wait_for "新建电话订单"
keys Escape
keys "L"
wait_for "Unassigned orders"
wait_for "backlog"
keys "1" "/"
keys "MT" Enter
wait_for "filter: MT"
keys Escape
keys "z"
wait_for "PAUSED"
keys "z"
keys "q"
wait_for "Quit the console?"
keys "y"

deadline=$((SECONDS + 10))
while [ ! -f "$WORK/exit" ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
[ -f "$WORK/exit" ] || fail "the console did not quit"
status="$(cat "$WORK/exit")"
[ "$status" = "0" ] || fail "the console exited with status $status"
echo "tmux smoke ok: signed in, four panes, keys, help, language, filter, pause, quit"
