#!/usr/bin/env bash
# Runs a fuzz target over its seed corpus (and, in normal builds, bounded mutations of it).
set -euo pipefail
bin="$1"; shift
exec "$bin" "$@"
