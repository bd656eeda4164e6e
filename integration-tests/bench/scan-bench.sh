#!/usr/bin/env bash
# Times `ashmemctl scan` on a host with many processes: starts TOTAL processes (MAPPERS of them
# mapping a memfd named like ashmemd's regions, the rest sleep(1)), runs the scan RUNS times and
# prints the wall and CPU time of each run and their medians. All the processes are killed at the end.
#   integration-tests/bench/scan-bench.sh [TOTAL=1000] [MAPPERS=100] [RUNS=9]
# Needs gcc and a built distribution (mvn package: target/dist/bin/ashmemctl).
set -euo pipefail
cd "$(dirname "$0")/../.."
total=${1:-1000}
mappers=${2:-100}
runs=${3:-9}
ctl=target/dist/bin/ashmemctl
[[ -x $ctl ]] || { echo "scan-bench: build first (mvn package)" >&2; exit 1; }

work=$(mktemp -d)
holder=""
cleanup() {
    exec 3>&- 2>/dev/null || true
    if [[ -n $holder ]]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -Wall -o "$work/scan-procs" integration-tests/bench/scan-procs.c

mkfifo "$work/in" "$work/out"
"$work/scan-procs" "$total" "$mappers" <"$work/in" >"$work/out" &
holder=$!
exec 3>"$work/in" # scan-procs runs until this closes
read -r word started <"$work/out"
[[ $word == ready ]] || { echo "scan-bench: processes did not start" >&2; exit 1; }
echo "processes on the host: $(ls -d /proc/[0-9]* | wc -l) ($started started here, $mappers mapping a memfd)"

"$ctl" scan --top 3 2>/dev/null # warms the page cache, shows what is found
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
wall=() cpu=() inner=()
TIMEFORMAT='%R %U %S'
for ((i = 1; i <= runs; i++)); do
    read -r real user sys < <({ time "$ctl" scan >/dev/null 2>&1; } 2>&1)
    wall+=($(awk -v r="$real" 'BEGIN {printf "%d", r * 1000}'))
    # CPU time: what the run costs whatever else the machine is doing
    cpu+=($(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%d", (u + s) * 1000}'))
    # the scan alone (in its own cold JVM), as the JSON reports it
    inner+=($("$ctl" scan --json 2>/dev/null | sed -n 's/.*"elapsedMillis" : \([0-9]*\).*/\1/p'))
    echo "run $i: ashmemctl scan ${wall[-1]} ms wall, ${cpu[-1]} ms CPU; scanning /proc (scan --json's elapsedMillis) ${inner[-1]} ms"
done
echo "median over $runs runs: '$ctl scan' $(median "${wall[@]}") ms wall time, $(median "${cpu[@]}") ms CPU time;" \
    "scanning /proc $(median "${inner[@]}") ms (load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs)"

exec 3>&-
wait "$holder" || true
holder=""
echo "processes on the host afterwards: $(ls -d /proc/[0-9]* | wc -l)"
