#!/usr/bin/env bash
# Formats every C++ and proto source of the repository with clang-format (.clang-format).
#   tools/format.sh           rewrite files in place
#   tools/format.sh --check   list files that need formatting; exit 1 if any
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
command -v "$CLANG_FORMAT" >/dev/null || { echo "clang-format not found (run tools/setup.sh)" >&2; exit 1; }
mapfile -t files < <(git ls-files -- '*.cc' '*.h' '*.proto')
[ "${#files[@]}" -gt 0 ] || exit 0
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then echo "needs formatting: $f"; bad=1; fi
  done
  exit "$bad"
fi
"$CLANG_FORMAT" -i "${files[@]}"
echo "formatted ${#files[@]} files"
