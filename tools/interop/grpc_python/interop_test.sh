#!/usr/bin/env bash
# Runs interop_test.py with Debian's Python, which has python3-grpcio and python3-grpc-tools
# (a python3 earlier on PATH may not).
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$(readlink -f "$0")")/interop_test.py" "$@"
