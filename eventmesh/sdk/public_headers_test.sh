#!/usr/bin/env bash
# Checks that the SDK's public headers (tcp_client.h, http/http_client.h, http/http_subscriber.h)
# expose no protocol type: follows their "eventmesh/sdk/..." includes transitively and fails on
# any include of eventmesh/protocol/tcp/ or eventmesh/protocol/http/.
# Args: the public headers; every SDK header they may reach is in the runfiles.
set -euo pipefail
declare -A seen=()
queue=("$@")
failed=0
while [ "${#queue[@]}" -gt 0 ]; do
  header="${queue[0]}"
  queue=("${queue[@]:1}")
  [ -n "${seen[$header]:-}" ] && continue
  seen[$header]=1
  if [ ! -f "$header" ]; then
    echo "public_headers_test: $header not in the runfiles" >&2
    failed=1
    continue
  fi
  while IFS= read -r include; do
    case "$include" in
      eventmesh/protocol/tcp/* | eventmesh/protocol/http/*)
        echo "public_headers_test: $header includes $include (a protocol header)" >&2
        failed=1
        ;;
      eventmesh/sdk/*) queue+=("$include") ;;
    esac
  done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$header")
done
[ "$failed" -eq 0 ] && echo "public_headers_test: ${#seen[@]} headers checked, no protocol types"
exit "$failed"
