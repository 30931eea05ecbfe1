#!/usr/bin/env bash
# Run the interpreter over a packetdrill corpus the user supplies (for example
# packetdrill's gtests/net/tcp) and print a table per folder: pass, fail, bad script
# and out of scope. Nothing in the corpus is executed or copied: each script is run by
# the interpreter, from its own folder (as packetdrill's run_all.py does), with
# packetdrill's default definitions.
#
#   tools/packetdrill-corpus.sh DIR [-v] [-- INTERPRETER-OPTIONS...]
#
# -v lists every script: its path, then the interpreter's summary line (PASS, FAIL
# line:column cause, BAD SCRIPT line:column cause) or OUT OF SCOPE (why) and its
# verdict. The interpreter is $INTERPRETER, else the release build in $CARGO_TARGET_DIR
# (or target/). Options after `--` go to `interpreter run`; unless they set them, the
# script adds --wscale 8 (as packetdrill's defaults.sh sets Linux up: tcp_rmem's maximum
# of 15 MB gives tcp_select_initial_window a shift of 8) and, without a --profile or
# --syn-options, --syn-options linux.
set -u
usage() { echo "usage: $0 DIR [-v] [-- INTERPRETER-OPTIONS...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
dir=$1; shift
[ -d "$dir" ] || { echo "$0: $dir is not a directory" >&2; exit 2; }
verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
extra=()
if [ "${1:-}" = -- ]; then shift; extra=("$@"); elif [ $# -gt 0 ]; then usage; fi
# packetdrill's set-up is a fact about the kernel the scripts were written for, not a
# profile: unless the options say otherwise, window scale 8 (defaults.sh's tcp_rmem), and
# Linux's SYN options when no profile chooses them.
# (Not under FreeBSD's profile: its SYN options carry FreeBSD's own shift, 6.)
case " ${extra[*]-} " in *" --wscale"*|*freebsd*) ;; *) extra+=(--wscale 8) ;; esac
case " ${extra[*]-} " in
  *" --syn-options"*|*" --profile"*) ;;
  *) extra+=(--syn-options linux) ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${INTERPRETER:-${CARGO_TARGET_DIR:-$root/target}/release/interpreter}
[ -x "$bin" ] || { echo "$0: no interpreter at $bin (cargo build --release -p interpreter)" >&2; exit 2; }

# Out of scope (issue 12): congestion control, fast open, SACK loss recovery, zero-copy:
# these folders, and elsewhere a script that uses Fast Open. They are run all the same,
# and a parser rejection counts as a bad script.
# In FreeBSD's suite (freebsd-net/tcp-testsuite): fast-open, and tcp-over-udp
# (FreeBSD's UDP encapsulation of TCP, net.inet.tcp.udp_tunneling_port: a layer of its own).
out_of_scope='^(cubic|cwnd_moderation|slow_start|fast_recovery|fast_retransmit|limited_transmit|sack|fastopen|fast-open|zerocopy|tcp-over-udp)$'

# Issue 12's connection-management folders, summed on the last line.
connection_management='^(close|shutdown|blocking|validate|ioctl|mss|syscall_bad_arg|user_timeout|inq)$'

# packetdrill's run_all.py passes these definitions (IPv4 variant).
defines=(--define TFO_COOKIE=3021b9d889017eeb --define CODE=host_unreachable
         --define CMSG_LEVEL_IP=SOL_IP --define CMSG_TYPE_RECVERR=IP_RECVERR)

printf '%-20s %5s %5s %5s %5s %5s\n' folder total pass fail bad oos
tp=0; tf=0; tb=0; to=0; tt=0; cp=0; cf=0; cb=0; co=0; ct=0
while IFS= read -r folder; do
  rel=${folder#"$dir"}; rel=${rel#/}; [ -n "$rel" ] || rel=.
  top=${rel%%/*}
  mapfile -t files < <(find "$folder" -maxdepth 1 -name '*.pkt' | sort)
  [ ${#files[@]} -gt 0 ] || continue
  p=0; f=0; b=0; o=0
  for s in "${files[@]}"; do
    line=$(cd "$folder" && "$bin" run --format summary "${defines[@]}" "${extra[@]}" \
            "$(basename "$s")" 2>/dev/null | head -1)
    [ -n "$line" ] || line="BAD SCRIPT (no summary) x"
    line=${line% *}   # the summary ends with the file's name, printed first below
    # Out of scope scripts are run too: the parser must take every one.
    scope=
    if [[ $top =~ $out_of_scope ]]; then scope=$top
    elif grep -qE 'TCP_FASTOPEN|MSG_FASTOPEN' "$s"; then scope=fastopen
    # FreeBSD's suite: TCP over UDP outside its folder (socket-api/setsockopt).
    elif grep -q -- '--udp_encapsulation' "$s"; then scope=tcp-over-udp
    fi
    case $line in
      BAD*) b=$((b+1)) ;;
      *) if [ -n "$scope" ]; then o=$((o+1)); line="OUT OF SCOPE ($scope) ${line%% *}"
         else case $line in PASS*) p=$((p+1)) ;; *) f=$((f+1)) ;; esac
         fi ;;
    esac
    [ $verbose = 1 ] && echo "$rel/$(basename "$s") $line"
  done
  n=${#files[@]}
  printf '%-20s %5d %5d %5d %5d %5d\n' "$rel" "$n" "$p" "$f" "$b" "$o"
  tp=$((tp+p)); tf=$((tf+f)); tb=$((tb+b)); to=$((to+o)); tt=$((tt+n))
  if [[ $rel =~ $connection_management ]]; then
    cp=$((cp+p)); cf=$((cf+f)); cb=$((cb+b)); co=$((co+o)); ct=$((ct+n))
  fi
done < <(find "$dir" -type d | sort)
printf '%-20s %5d %5d %5d %5d %5d\n' total "$tt" "$tp" "$tf" "$tb" "$to"
printf '%-20s %5d %5d %5d %5d %5d\n' "connection mgmt" "$ct" "$cp" "$cf" "$cb" "$co"
