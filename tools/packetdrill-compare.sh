#!/usr/bin/env bash
# Compare `interpreter live` with packetdrill itself on this machine's kernel: run each
# script of a packetdrill corpus the user supplies (packetdrill's gtests/net/tcp) once
# with a packetdrill binary the user built, once with `interpreter live`, and print, per
# folder, how many each passes and how often the two verdicts agree. Nothing of
# packetdrill is in this repository: the binary and the corpus are arguments.
#
#   tools/packetdrill-compare.sh PACKETDRILL DIR [-v] [--runs N] [--folders A,B,...] [-- LIVE-OPTIONS...]
#
# Root is needed (both run in private network namespaces). Each packetdrill run is
# `unshare -n` with `lo` up, from the script's own folder, with run_all.py's IPv4 flags;
# the script's own shell commands (defaults.sh's sysctls, tc) then run inside that
# namespace only, as packetdrill runs them. Each live run is `interpreter live --format
# summary --packetdrill-defaults` from the script's folder with the same definitions
# (live makes its own namespace); options after `--` are added to it. Time is real for
# both, so a script whose timing is at the edge of its tolerance can pass one run and
# fail the next: --runs N (default 3) runs each script N times with each tool, and a
# tool's verdict is the one most of its runs give (pass on a tie); the two agree when
# those verdicts are equal. -v prints a line per script: each tool's verdict, how many of
# its runs passed, and the line where its first failing run stopped (packetdrill's
# error, live's summary). --folders chooses the folders (default: the
# connection-management ones of issue 13). The interpreter is $INTERPRETER, else the
# release build in $CARGO_TARGET_DIR (or target/).
set -u
usage() {
  echo "usage: $0 PACKETDRILL DIR [-v] [--runs N] [--folders A,B,...] [-- LIVE-OPTIONS...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
pd=$1; dir=$2; shift 2
[ -x "$pd" ] || { echo "$0: $pd is not an executable" >&2; exit 2; }
[ -d "$dir" ] || { echo "$0: $dir is not a directory" >&2; exit 2; }
pd=$(cd "$(dirname "$pd")" && pwd)/$(basename "$pd")
dir=$(cd "$dir" && pwd)
verbose=0
runs=3
folders=close,shutdown,blocking,validate,ioctl,mss,syscall_bad_arg,user_timeout,inq
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    -v) verbose=1; shift ;;
    --runs) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage; runs=$2; shift 2 ;;
    --folders) [ $# -ge 2 ] || usage; folders=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) usage ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${INTERPRETER:-${CARGO_TARGET_DIR:-$root/target}/release/interpreter}
[ -x "$bin" ] || { echo "$0: no interpreter at $bin (cargo build --release -p interpreter)" >&2; exit 2; }
command -v unshare >/dev/null || { echo "$0: unshare (util-linux) not found" >&2; exit 2; }

# run_all.py's IPv4 variant: packetdrill's flags and definitions.
pd_flags=(--send_omit_free --ip_version=ipv4 --local_ip=192.168.0.1
          --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 --remote_ip=192.0.2.1
          -D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable
          -D CMSG_LEVEL_IP=SOL_IP -D CMSG_TYPE_RECVERR=IP_RECVERR)
live_flags=(--define TFO_COOKIE=3021b9d889017eeb --define CODE=host_unreachable
            --define CMSG_LEVEL_IP=SOL_IP --define CMSG_TYPE_RECVERR=IP_RECVERR
            --packetdrill-defaults)

printf '%-18s %7s %9s %9s %6s %6s\n' folder scripts pd-pass live-pass agree '%'
ts=0; tpp=0; tlp=0; ta=0
IFS=, read -r -a names <<< "$folders"
for name in "${names[@]}"; do
  folder=$dir/$name
  [ -d "$folder" ] || { echo "$0: no folder $folder" >&2; continue; }
  mapfile -t files < <(find "$folder" -maxdepth 1 -name '*.pkt' | sort)
  n=0; pp=0; lp=0; a=0
  for s in "${files[@]}"; do
    base=$(basename "$s")
    pruns=0; lruns=0; pwhy=; lwhy=
    for _ in $(seq "$runs"); do
      # packetdrill in a namespace of its own, lo up, from the script's folder
      # (run_all.py gives a script 180 s).
      out=$(cd "$folder" && timeout 180 unshare -n sh -c 'ip link set lo up && exec "$@"' \
              sh "$pd" "${pd_flags[@]}" "$base" 2>&1)
      if [ $? = 0 ]; then pruns=$((pruns+1))
      elif [ -z "$pwhy" ]; then
        pwhy=$(grep -m1 -E "^$base:[0-9]+: " <<< "$out" | cut -c1-110)
        [ -n "$pwhy" ] || pwhy="(no error line)"
      fi
      line=$(cd "$folder" && "$bin" live --format summary "${live_flags[@]}" "${extra[@]}" \
              "$base" 2>&1 | head -1)
      case $line in
        PASS*) lruns=$((lruns+1)) ;;
        *) [ -n "$lwhy" ] || lwhy=$(cut -c1-110 <<< "$line") ;;
      esac
    done
    # Most runs decide (a tie passes).
    [ $((2*pruns)) -ge "$runs" ] && pv=pass || pv=fail
    [ $((2*lruns)) -ge "$runs" ] && lv=pass || lv=fail
    n=$((n+1))
    [ $pv = pass ] && pp=$((pp+1))
    [ $lv = pass ] && lp=$((lp+1))
    if [ $pv = $lv ]; then a=$((a+1)); mark=agree; else mark=DIFFER; fi
    if [ $verbose = 1 ]; then
      echo "$name/$base: $mark: packetdrill $pv ($pruns/$runs), live $lv ($lruns/$runs)"
      [ -z "$pwhy" ] || echo "    packetdrill: $pwhy"
      [ -z "$lwhy" ] || echo "    live: $lwhy"
    fi
  done
  [ $n -gt 0 ] || continue
  printf '%-18s %7d %9d %9d %6d %5d%%\n' "$name" $n $pp $lp $a $((100*a/n))
  ts=$((ts+n)); tpp=$((tpp+pp)); tlp=$((tlp+lp)); ta=$((ta+a))
done
[ $ts -gt 0 ] || exit 2
printf '%-18s %7d %9d %9d %6d %5d%%\n' total $ts $tpp $tlp $ta $((100*ta/ts))
