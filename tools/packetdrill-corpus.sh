#!/usr/bin/env bash
# Run the interpreter over a packetdrill corpus the user supplies (for example
# packetdrill's gtests/net/tcp) and print a table per folder: pass, fail, bad script
# and out of scope. Nothing in the corpus is executed or copied: each script is run by
# the interpreter, from its own folder (as packetdrill's run_all.py does), with
# packetdrill's default definitions.
#
#   tools/packetdrill-corpus.sh DIR [-v] [-- INTERPRETER-OPTIONS...]
#
# -v lists every script's line. INTERPRETER defaults to the release build in
# $CARGO_TARGET_DIR (or target/). Options after `--` go to `interpreter run`
# (default: --syn-options linux --wscale 8, the SYN options of Linux as packetdrill's
# defaults.sh sets it up: tcp_rmem's maximum of 15 MB gives tcp_select_initial_window
# a shift of 8).
set -u
usage() { echo "usage: $0 DIR [-v] [-- INTERPRETER-OPTIONS...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
dir=$1; shift
[ -d "$dir" ] || { echo "$0: $dir is not a directory" >&2; exit 2; }
verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
extra=(--syn-options linux --wscale 8)
if [ "${1:-}" = -- ]; then shift; extra=("$@"); elif [ $# -gt 0 ]; then usage; fi
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${INTERPRETER:-${CARGO_TARGET_DIR:-$root/target}/release/interpreter}
[ -x "$bin" ] || { echo "$0: no interpreter at $bin (cargo build --release -p interpreter)" >&2; exit 2; }

# Out of scope (issue 12): congestion control, fast open, SACK loss recovery, zero-copy.
out_of_scope='^(cubic|cwnd_moderation|slow_start|fast_recovery|fast_retransmit|limited_transmit|sack|fastopen|zerocopy)$'

# packetdrill's run_all.py passes these definitions (IPv4 variant).
defines=(--define TFO_COOKIE=3021b9d889017eeb --define CODE=host_unreachable
         --define CMSG_LEVEL_IP=SOL_IP --define CMSG_TYPE_RECVERR=IP_RECVERR)

printf '%-20s %5s %5s %5s %5s %5s\n' folder total pass fail bad oos
tp=0; tf=0; tb=0; to=0; tt=0
while IFS= read -r folder; do
  rel=${folder#"$dir"}; rel=${rel#/}; [ -n "$rel" ] || rel=.
  top=${rel%%/*}
  mapfile -t files < <(find "$folder" -maxdepth 1 -name '*.pkt' | sort)
  [ ${#files[@]} -gt 0 ] || continue
  p=0; f=0; b=0; o=0
  if [[ $top =~ $out_of_scope ]]; then
    o=${#files[@]}
    [ $verbose = 1 ] && for s in "${files[@]}"; do echo "OUT OF SCOPE $s"; done
  else
    for s in "${files[@]}"; do
      line=$(cd "$folder" && "$bin" run --format summary "${defines[@]}" "${extra[@]}" \
              "$(basename "$s")" 2>/dev/null | head -1)
      case $line in
        PASS*) p=$((p+1)) ;;
        FAIL*) f=$((f+1)) ;;
        *) b=$((b+1)); [ -n "$line" ] || line="BAD SCRIPT (no summary)" ;;
      esac
      [ $verbose = 1 ] && echo "${line%% *} $rel/$(basename "$s") ${line#* }"
    done
  fi
  n=${#files[@]}
  printf '%-20s %5d %5d %5d %5d %5d\n' "$rel" "$n" "$p" "$f" "$b" "$o"
  tp=$((tp+p)); tf=$((tf+f)); tb=$((tb+b)); to=$((to+o)); tt=$((tt+n))
done < <(find "$dir" -type d | sort)
printf '%-20s %5d %5d %5d %5d %5d\n' total "$tt" "$tp" "$tf" "$tb" "$to"
