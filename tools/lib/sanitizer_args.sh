# Sourced by tools/asan.sh and tools/tsan.sh: the arguments both take.
#
# sanitizer_parse_args NAME DEFAULT_MAX_SECONDS ARG...
#   --max_seconds=N   sets max_seconds (a positive integer; DEFAULT_MAX_SECONDS when absent)
#   -h, --help        prints the calling script's header comment and exits 0
#   //LABEL...        appended to the array `patterns` (empty when none is given)
# Anything else: a message naming NAME on stderr and exit status 2.
sanitizer_parse_args() {
  local name=$1 arg
  max_seconds=$2
  shift 2
  patterns=()
  for arg in "$@"; do
    case "$arg" in
      --max_seconds=*) max_seconds="${arg#*=}" ;;
      -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
      //*) patterns+=("$arg") ;;
      *)
        echo "${name}: unknown argument '$arg' (see --help)" >&2
        exit 2
        ;;
    esac
  done
  if ! [[ "$max_seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "${name}: '$max_seconds' is not a positive integer" >&2
    exit 2
  fi
}
