#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start a relay on embedded SQLite storage and open the editor on a document; the relay stops when the editor's
# window is closed. Assumes the binaries are built (scripts/run.sh builds them with the `release` preset first).
#
# Usage: scripts/start.sh [document] [--name NAME] [other coscribe options]
#   document   default "welcome"
# Environment:
#   COSCRIBE_BUILD_DIR   where the binaries are (default: build/release)
#   COSCRIBE_PORT        relay port on 127.0.0.1 (default: 7300)
#   COSCRIBE_STATE_DIR   relay data and logs (default: $XDG_STATE_HOME/coscribe, i.e. ~/.local/state/coscribe)
#
# To co-edit, open a second window on the same document while this one runs, e.g. from another terminal:
#   build/release/app/coscribe ws://127.0.0.1:7300/welcome --name Bob
# (or File > Open from Server... in the running editor). Each window is its own participant, with its own
# cursor colour; edits, carets and selections show up in the other window as you type.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build="${COSCRIBE_BUILD_DIR:-build/release}"
port="${COSCRIBE_PORT:-7300}"
state="${COSCRIBE_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/coscribe}"
document="welcome"
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  document="$1"
  shift
fi

relay_bin="$build/server/coscribe-relay"
editor_bin="$build/app/coscribe"
for bin in "$relay_bin" "$editor_bin"; do
  if [ ! -x "$bin" ]; then
    echo "start.sh: $bin is missing; build first (scripts/run.sh does)" >&2
    exit 1
  fi
done

mkdir -p "$state/relay"
relay_pid=""
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "start.sh: a server already listens on 127.0.0.1:$port; using it"
else
  "$relay_bin" --listen 127.0.0.1 --port "$port" --data-dir "$state/relay" >>"$state/relay.log" 2>&1 &
  relay_pid=$!
  trap '[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
  # Wait (up to 10 s) until it accepts connections.
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    if ! kill -0 "$relay_pid" 2>/dev/null; then
      echo "start.sh: the relay did not start; see $state/relay.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "start.sh: relay on ws://127.0.0.1:$port (data in $state/relay, log in $state/relay.log)"
fi

url="ws://127.0.0.1:$port/$document"
echo "start.sh: opening $url — for a second window: $editor_bin $url --name Bob"
"$editor_bin" "$url" --create "$@"
