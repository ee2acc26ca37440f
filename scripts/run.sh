#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build, start the relay on embedded SQLite storage and open the editor on a document.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
exec bash scripts/start.sh "$@"
