#!/usr/bin/env bash
# Runs the sample mini-program's tests: builds ./cmd/server, starts it in sandbox mode on a free
# loopback port (SQLite, then a throwaway MariaDB database), creates the test accounts with
# `server user add`, runs `npm ci` in miniprogram/test when node_modules is missing or stale, and
# runs `node --test` on miniprogram/test/*.test.js against it (MINIPROGRAM_TESTS="flow.test.js" picks files).
# Needs Go, Node.js 18+ and npm; MariaDB as modelstest finds it (skipped without one unless CI=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec go test -count=1 -v -run '^TestMiniProgram$' ./miniprogram/test/ "$@"
