#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Idempotent dependency installer for a Debian bookworm machine: installs only what is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-websockets-dev qt6-tools-dev qt6-tools-dev-tools
  qt6-l10n-tools qt6-translations-l10n libqt6sql6-sqlite libqt6sql6-psql libgl1-mesa-dev
  librapidcheck-dev rapidjson-dev libsimdjson-dev libdtl-dev
  clang libclang-rt-14-dev

  openssl nginx-light
  xvfb xauth imagemagick
  postgresql
  fonts-dejavu-core
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js: any installed node >= 18 with npm will do (it may come from outside Debian and ship its own npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# npm packages for the interop and browser tests and the benchmarks, pinned by package-lock.json (the web
# editor's own packages are installed by the build: web/CMakeLists.txt).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -f "$here/tests/interop/package-lock.json" ]; then
  if [ ! -d "$here/tests/interop/node_modules/ot" ]; then
    (cd "$here/tests/interop" && npm ci --no-audit --no-fund --silent)
  fi
fi
if [ -f "$here/tests/web/package-lock.json" ]; then
  if [ ! -d "$here/tests/web/node_modules/playwright-core" ]; then
    (cd "$here/tests/web" && npm ci --no-audit --no-fund --silent)
  fi
fi
if [ -f "$here/bench/node/package-lock.json" ]; then
  if [ ! -d "$here/bench/node/node_modules/sharedb" ]; then
    (cd "$here/bench/node" && npm ci --no-audit --no-fund --silent)
  fi
fi
