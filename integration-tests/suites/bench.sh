#!/bin/bash
# it-order: 90
# it-budget: 330
# it-default: no
# it-build: bench/bench.c m64
# it-build: bench/cuse-floor.c m64 -I/usr/include/fuse3 -lfuse3
# Benchmark (bench/README.md): ashmemd against the C CUSE floor (bench/cuse-floor, libfuse3, same
# exchanges, same number of reader threads) and a plain memfd, every figure from this boot. Each
# target ratio is a test; the table, the request counts and the system calls per operation go to
# bench.report, which `run` prints. Only run when named: 4-6 minutes of VM time under TCG.
. "$IT_REPO/integration-tests/lib/suite.sh"

BENCH=$IT_BUILD/m64/bench/bench
FLOOR=$IT_BUILD/m64/bench/cuse-floor
TALLY=$IT_REPO/integration-tests/bench/strace-tally.awk
PRELOAD=${BENCH_PRELOAD:-$IT_REPO/target/dist/lib/native/x86_64/libashmemd-preload.so}
PRELOAD_B=${BENCH_PRELOAD_B:-} # another build of the library to compare with (bench measure --preload-b)
FLOOR_NAME=bench-floor
REF_NAME=bench-reference # cuse-floor --broker: the C reference of the whole protocol
READERS=4 # ashmemd's default --workers
SCALE=${BENCH_SCALE:-1}
COUNT_OPS=${BENCH_COUNT_OPS:-50}
# seconds; warm-up rounds stop earlier once the JIT is done
WARM_MAX=${BENCH_WARM_MAX:-$((180 * ${IT_TIME_SCALE:-1}))}
REPORT=$IT_RESULTS/$IT_SUITE.report
WORK=/tmp/bench
mkdir -p "$WORK"
REF_BROKER=$WORK/reference-broker.sock

if [ ! -r "$PRELOAD" ]; then
	fail preload_library "$PRELOAD is missing (build the distribution first)"
	it_finish
fi

# ---- the servers ----
"$FLOOR" "$FLOOR_NAME" --readers=$READERS -f >"$IT_RESULTS/$IT_SUITE.floor.log" 2>&1 </dev/null &
floor_pid=$!
echo "$floor_pid" >"$IT_STATE/floor.pid"
if ! wait_for $((20 * ${IT_TIME_SCALE:-1})) test -c "/dev/$FLOOR_NAME"; then
	fail floor_ready "/dev/$FLOOR_NAME did not appear: $(tail -n 3 "$IT_RESULTS/$IT_SUITE.floor.log" | tr '\n' ' ')"
	it_finish
fi
pass floor_ready
"$FLOOR" "$REF_NAME" --readers=$READERS --broker="$REF_BROKER" -f >"$IT_RESULTS/$IT_SUITE.reference.log" 2>&1 </dev/null &
ref_pid=$!
echo "$ref_pid" >"$IT_STATE/reference.pid"
if ! wait_for $((20 * ${IT_TIME_SCALE:-1})) test -c "/dev/$REF_NAME" -a -S "$REF_BROKER"; then
	fail reference_ready "/dev/$REF_NAME or $REF_BROKER did not appear: $(tail -n 3 "$IT_RESULTS/$IT_SUITE.reference.log" | tr '\n' ' ')"
	it_finish
fi
pass reference_ready
# The JIT users run (C2 included), not the VM's C1-only setting (lib/vm-main.sh): it is what is
# measured. Steady state of a long-running daemon within this suite's time: HotSpot compiles fully after
# about 1,000 calls of a method instead of 5,000-15,000, and logs each compilation, so the warm-up
# can go on until nothing is left to compile. The compilation log (XML) has the uncommon traps:
# where compiled code met a branch or type it was not compiled for and its method went back to
# the interpreter until compiled again.
JIT_LOG=$WORK/jit.log
COMPILATION_XML=$WORK/compilation.xml
export ASHMEMD_JAVA_OPTS="-XX:Tier3InvocationThreshold=100 -XX:Tier3MinInvocationThreshold=50
 -XX:Tier3CompileThreshold=1000 -XX:Tier4InvocationThreshold=1000 -XX:Tier4MinInvocationThreshold=300
 -XX:Tier4CompileThreshold=1500 -Xlog:jit+compilation=debug:file=$JIT_LOG
 -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$COMPILATION_XML"
DAEMON_JIT_OPTS= daemon_start || it_finish
jvm=$(daemon_jvm_pid)
info threads "cuse-floor: $(($(ls /proc/$floor_pid/task | wc -l) - 1)) readers; ashmemd JVM: $(probe_threads "$jvm") threads"

# ---- the measurements ----
# A wakeup across vCPUs costs a host scheduling decision under TCG, which on a busy host takes
# milliseconds and varies tenfold; on one vCPU a round trip is the guest's own work. So the client,
# the floor and the daemon's request threads (CUSE readers and broker) share vCPU 0; the JIT
# compiler, GC and the rest of the JVM stay free (and compile on vCPU 1 during the warm-up).
pinned="unpinned (no taskset)"
PIN=()
# pin_servers MASK: the servers' request threads onto the vCPUs of MASK
pin_servers() {
	local t
	taskset -a -p "$1" "$floor_pid" >/dev/null
	taskset -a -p "$1" "$ref_pid" >/dev/null
	for t in /proc/"$jvm"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		cuse-reader-* | broker) taskset -p "$1" "${t##*/}" >/dev/null ;;
		esac
	done
}
if command -v taskset >/dev/null; then
	pin_servers 1
	PIN=(taskset 1)
	pinned="pinned to vCPU 0: the client, cuse-floor (both instances), ashmemd's CUSE readers and broker thread"
fi
info pinning "$pinned"

args=(--ashmem "/dev/$ASHMEMD_DEVICE" --floor "/dev/$FLOOR_NAME" --preload "$PRELOAD" --scale "$SCALE")
ref_args=(--reference "/dev/$REF_NAME" --reference-broker "$REF_BROKER")
# compilations of the daemon's own code and of jnr so far
jit_ours() { grep '\[jit,compilation' "$JIT_LOG" 2>/dev/null | grep -v 'made not entrant' | grep -c 'org\.ashmemd\|jnr\.'; }
t0=$EPOCHREALTIME
warm_rounds=()
while :; do
	before=$(jit_ours)
	if ! "${PIN[@]}" "$BENCH" warm "${args[@]}" 2>>"$WORK/warm.err"; then
		fail bench_warmup "bench warm exited with status $?: $(tail -n 2 "$WORK/warm.err" | tr '\n' ' ')"
		break
	fi
	warm_rounds+=($(($(jit_ours) - before)))
	spent=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
	# steady: two rounds in a row compiled (almost) nothing new. One quiet round is not enough:
	# C2's queue can still hold the UNPIN/PIN paths, which then compile during the measurements.
	[ ${#warm_rounds[@]} -ge 3 ] && [ "${warm_rounds[-1]}" -le 5 ] && [ "${warm_rounds[-2]}" -le 5 ] && break
	[ "$spent" -ge "$WARM_MAX" ] && break
done
cat "$WORK/warm.err" >&2
info warmup "${#warm_rounds[@]} rounds in ${spent} s; compilations of org.ashmemd/jnr code per round: ${warm_rounds[*]}"

cmd=("$BENCH" measure "${args[@]}" "${ref_args[@]}" --tsv "$WORK/results.tsv" ${PRELOAD_B:+--preload-b "$PRELOAD_B"})
{
	echo "### ashmemd benchmark"
	echo
	echo "Command: \`integration-tests/run --suite bench\` (in the VM: \`${PIN[*]}${PIN:+ }${cmd[*]#$IT_BUILD/}\`, after \`bench warm\`)."
	echo "VM: kernel $(uname -r), $(nproc) vCPUs under QEMU TCG, clock source $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null);"
	echo "ashmemd with its default $READERS CUSE reader"
	echo "threads, cuse-floor with --readers=$READERS; clients with LD_PRELOAD=${PRELOAD#$IT_REPO/}; $pinned."
	echo
} >"$REPORT"
# jvm_uptime: seconds since the daemon's JVM started, the clock of the compilation log's stamps
jvm_uptime() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { up = $1; next } { sub(/.*\) /, ""); print up - $20 / hz }' \
		/proc/uptime "/proc/$jvm/stat"
}
measure_from=$(jvm_uptime)
t0=$EPOCHREALTIME
jit_before=$(jit_ours)
jit_lines_before=$(wc -l <"$JIT_LOG" 2>/dev/null || echo 0)
if "${PIN[@]}" "${cmd[@]}" >"$WORK/table.md" 2>"$WORK/bench.err"; then
	pass bench_completed
else
	fail bench_completed "bench exited with status $?: $(tail -n 2 "$WORK/bench.err" | tr '\n' ' ')"
fi
cat "$WORK/bench.err" >&2
info bench_time "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s of measurements"
measure_to=$(jvm_uptime)
cat "$WORK/table.md" >>"$REPORT"
compiled=$(($(jit_ours) - jit_before))
# what the JIT still did while the figures were taken (compilations, code made not entrant), for the reader
tail -n +$((jit_lines_before + 1)) "$JIT_LOG" >"$IT_RESULTS/$IT_SUITE.jit-during-measurements.log" 2>/dev/null
echo >>"$REPORT"
echo "Warm-up: ${#warm_rounds[@]} rounds (${spent} s), compilations of org.ashmemd/jnr code per round: ${warm_rounds[*]}; during the measurements: $compiled." >>"$REPORT"
info jit_during_measurements "$compiled compilations of org.ashmemd/jnr code"

# check_targets TSV: every row with a target is a test
check_targets() {
	[ -s "$1" ] || return 0
	while IFS=$'\t' read -r id a b ratio op target met; do
		what="ashmemd $a, baseline $b: ratio $ratio"
		case "$met" in
		met) pass "target_$id"; info "$id" "$what (target $op $target)" ;;
		missed) fail "target_$id" "$what, target $op $target" ;;
		*) info "$id" "$what" ;;
		esac
	done <"$1"
}
check_targets "$WORK/results.tsv"

# ---- scaling: 1, 2, 4, 8 client processes, nothing pinned ----
[ ${#PIN[@]} -eq 0 ] || pin_servers "$(printf '%x' $(((1 << $(nproc)) - 1)))"
t0=$EPOCHREALTIME
scale_cmd=("$BENCH" scale --ashmem "/dev/$ASHMEMD_DEVICE" "${ref_args[@]}" --preload "$PRELOAD" --scale "$SCALE" --tsv "$WORK/scale.tsv")
{
	echo
	echo "#### throughput with client processes (\`${scale_cmd[*]#$IT_BUILD/}\`; nothing pinned, $(nproc) vCPUs)"
	echo
} >>"$REPORT"
if "${scale_cmd[@]}" >>"$REPORT" 2>"$WORK/scale.err"; then
	pass scale_completed
else
	fail scale_completed "bench scale exited with status $?: $(tail -n 2 "$WORK/scale.err" | tr '\n' ' ')"
fi
cat "$WORK/scale.err" >&2
info scale_time "$(seconds_since "$t0") s of scaling"
check_targets "$WORK/scale.tsv"
[ ${#PIN[@]} -eq 0 ] || pin_servers 1

# ---- round trips: expected from the protocol, then counted by tracing ----
cat >>"$REPORT" <<'EOF'

#### CUSE requests per operation, from the protocol

| step | CUSE requests | besides |
|---|---:|---|
| open | 1 (OPEN) | |
| SET_NAME | 2 (IOCTL; IOCTL again with the name the daemon asked the kernel to fetch) | |
| SET_SIZE | 1 (IOCTL, the size is the argument) | |
| mmap | 1 (GET_TOKEN; the kernel's own mmap fails with ENODEV without asking) | 1 broker exchange (request; reply + memfd by SCM_RIGHTS) |
| touch, munmap | 0 | |
| close | 1 (RELEASE; close waits for it) | |
| **full cycle** | **6** | **+ 1 socket round trip** |
| GET_SIZE | 1 | |
| UNPIN+PIN | 4 (each: IOCTL, then IOCTL with the 8-byte struct) | |

EOF

java_tool_dir() { dirname "$(readlink -f "$(command -v java)")"; }

all_traced() {
	local s
	for s in /proc/"$1"/task/*/status; do
		grep -q '^TracerPid:[[:space:]]*0$' "$s" 2>/dev/null && return 1
	done
	return 0
}

# trace_server PID SHOW TITLES OPS MARKDEV SPEC...: what the server does while bench --count runs
# the specs (TITLES and OPS: one "|"-separated entry per spec)
trace_server() {
	local pid=$1 show=$2 titles=$3 ops=$4 fd f st t t0=$EPOCHREALTIME
	shift 4
	fd=$(for f in /proc/"$pid"/fd/*; do [ "$(readlink "$f")" = /dev/cuse ] && echo "${f##*/}"; done | head -n1)
	strace -f -qq -xx -s 80 -o "$WORK/trace" -p "$pid" 2>"$WORK/strace.err" &
	st=$!
	if ! wait_for $((60 * ${IT_TIME_SCALE:-1})) all_traced "$pid"; then
		kill -INT "$st" 2>/dev/null
		wait "$st"
		note "strace could not attach to $pid: $(head -c 300 "$WORK/strace.err")"
		return 1
	fi
	for t in /proc/"$pid"/task/*; do echo "${t##*/} $(tr ' ' '_' <"$t/comm")"; done >"$WORK/comms"
	LD_PRELOAD=$PRELOAD "${PIN[@]}" "$BENCH" --count "$@"
	kill -INT "$st"
	wait "$st"
	awk -v fd="$fd" -v comms="$WORK/comms" -v titles="$titles" -v ops="$ops" -v show="$show" \
		-f "$TALLY" "$WORK/trace" >>"$REPORT"
	note "traced $titles in $(seconds_since "$t0") s"
}

# client_strace LIB OUT SPEC: strace -c of one client run (-E: the library goes into the client only)
client_strace() {
	strace -f -c -E "LD_PRELOAD=$1" -o "$2" "$BENCH" --count "$A" "$3" >/dev/null 2>&1
}

# client_calls N: the client's system calls per full cycle, at 1 and at 8 threads (runs of N cycles
# minus runs of one cycle per thread, so that process start and thread creation drop out)
client_calls() {
	local n=$1 libs=("$PRELOAD") heads="1 thread | 8 threads" i
	[ -z "$PRELOAD_B" ] || { libs+=("$PRELOAD_B"); heads="$heads | 8 threads, library B"; }
	client_strace "$PRELOAD" "$WORK/c1.n" "cycle-n,$A,$n" && client_strace "$PRELOAD" "$WORK/c1.1" "cycle-n,$A,1" || return 1
	for i in "${!libs[@]}"; do
		client_strace "${libs[$i]}" "$WORK/c8.$i.n" "cycle8-n,$A,$n" &&
			client_strace "${libs[$i]}" "$WORK/c8.$i.1" "cycle8-n,$A,8" || return 1
	done
	echo "#### the client's system calls per full cycle (strace -c; runs of $n cycles minus runs of one per thread)"
	echo
	echo "| system call | $heads |"
	[ -n "$PRELOAD_B" ] && echo "|---|---:|---:|---:|" || echo "|---|---:|---:|"
	awk -v n="$n" -v cols=$((1 + ${#libs[@]})) '
		function take(f, col, sign, base,   l, x, k) {
			while ((getline l < f) > 0) {
				k = split(l, x, " ")
				if (x[1] ~ /^[0-9.]+$/ && k >= 5 && x[k] != "total") {
					c[col, x[k]] += sign * x[4]
					names[x[k]] = 1
				}
			}
			close(f)
			per[col] = n - base
		}
		BEGIN {
			take(ARGV[1], 1, 1, 1); take(ARGV[2], 1, -1, 1)
			for (i = 2; i <= cols; i++) { take(ARGV[2 * i - 1], i, 1, 8); take(ARGV[2 * i], i, -1, 8) }
			for (s in names) {
				line = "| " s; show = 0
				for (i = 1; i <= cols; i++) {
					v = c[i, s] / per[i]; t[i] += c[i, s]
					if (v >= 0.05) show = 1
					line = line sprintf(" | %.2f", v)
				}
				if (show) print line " |"
			}
			line = "| **all**"
			for (i = 1; i <= cols; i++) line = line sprintf(" | **%.2f**", t[i] / per[i])
			print line " |"
			print ""
		}' "$WORK/c1.n" "$WORK/c1.1" $(for i in "${!libs[@]}"; do echo "$WORK/c8.$i.n" "$WORK/c8.$i.1"; done)
}

A=/dev/$ASHMEMD_DEVICE
F=/dev/$FLOOR_NAME
N=$COUNT_OPS
if command -v strace >/dev/null; then
	t0=$EPOCHREALTIME
	{
		echo "#### counted: strace -f of each server while the client ran exact operation counts"
		echo "(tracing slows everything down: these are counts, not timings)"
		echo
	} >>"$REPORT"
	if trace_server "$jvm" '^(cuse-reader|broker)$' \
		"ashmemd: $N full cycles|ashmemd: $((N / 8 * 8)) full cycles on 8 threads|ashmemd: $((N * 5)) GET_SIZE|ashmemd: $N UNPIN+PIN pairs" \
		"$N|$((N / 8 * 8))|$((N * 5))|$N" \
		"$A" "cycle-n,$A,$N" "cycle8-n,$A,$((N / 8 * 8))" "getsize-n,$A,$((N * 5))" "pin-n,$A,$N" &&
		trace_server "$floor_pid" '^cuse-floor$' \
			"cuse-floor: $N CUSE parts of the cycle|cuse-floor: $((N * 5)) GET_SIZE|cuse-floor: $N UNPIN+PIN pairs" \
			"$N|$((N * 5))|$N" "$F" "ioc-n,$F,$N" "getsize-n,$F,$((N * 5))" "pin-n,$F,$N"; then
		pass requests_counted
	else
		skip requests_counted "strace could not trace the servers"
	fi
	client_calls $((N / 8 * 8)) >>"$REPORT" || note "strace -c of the client failed"
	info trace_time "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s of tracing"
else
	skip requests_counted "no strace on this machine: only the expected counts are reported"
fi

# ---- where the CPU goes: perf on vCPU 0 ----
threads() { for t in /proc/"$jvm"/task/*; do cat "$t/comm"; done | grep "$1" | sort -u | paste -sd,; }
# profile TITLE DEV SPEC [THREAD...]: perf record of vCPU 0 while the client runs SPEC on DEV; the
# share of each process and library, then the top symbols of each named group of ashmemd's threads
profile() {
	local title=$1 dev=$2 spec=$3 who
	shift 3
	perf record -C 0 -F 999 -g -o "$WORK/perf.data" -- "${PIN[@]}" env LD_PRELOAD="$PRELOAD" \
		"$BENCH" --count "$dev" "$spec" >/dev/null 2>"$WORK/perf.err" ||
		note "perf record failed: $(tail -n 3 "$WORK/perf.err")"
	# names for the JIT-compiled code (written to /tmp/perf-PID.map, where perf report looks)
	[ $# -eq 0 ] || "$(java_tool_dir)/jcmd" "$jvm" Compiler.perfmap >/dev/null 2>&1 || note "no perf map of the JVM's code"
	{
		echo "#### where vCPU 0's time goes during $title (perf record -C 0 -g, sampled; the client is \`bench\`)"
		echo
		echo '```'
		perf report -i "$WORK/perf.data" --stdio --no-children -g none --sort comm,dso 2>/dev/null |
			grep '%' | grep -v '^#' | head -n 14
		echo '```'
		echo
		for who in "$@"; do
			echo "$who thread(s), top symbols (% of all samples):"
			echo
			echo '```'
			perf report -i "$WORK/perf.data" --stdio --no-children -g none --sort dso,sym --comms "$(threads "^$who")" \
				2>/dev/null | grep '%' | grep -v '^#' | head -n 40
			echo '```'
			echo
		done
	} >>"$REPORT"
}
if command -v perf >/dev/null && perf version >/dev/null 2>&1; then
	t0=$EPOCHREALTIME
	# Tracing interrupts the readers' waits (EINTR) and sends them the marker ioctl, which the
	# compiled code had never seen: both send methods back to the interpreter. One warm-up round
	# compiles them again, so that the profiles show the daemon as it was measured.
	"${PIN[@]}" "$BENCH" warm "${args[@]}" 2>>"$WORK/warm.err" || note "the warm-up before profiling failed"
	profile "$((N * 10)) ashmemd cycles" "$A" "cycle-n,$A,$((N * 10))" cuse-reader broker
	# GET_SIZE alone, ashmemd then the C floor: what a round trip costs besides the kernel's part
	profile "$((N * 100)) GET_SIZE on ashmemd" "$A" "getsize-n,$A,$((N * 100))" cuse-reader
	profile "$((N * 100)) GET_SIZE on the C floor" "$F" "getsize-n,$F,$((N * 100))"
	# UNPIN+PIN: four requests through the range code each
	profile "$((N * 20)) UNPIN+PIN pairs on ashmemd" "$A" "pin-n,$A,$((N * 20))" cuse-reader
	profile "$((N * 20)) UNPIN+PIN pairs on the C floor" "$F" "pin-n,$F,$((N * 20))"
	info profile_time "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s of profiling"
fi

# the report outlives the run (run keeps SUITE.readme-*.txt under target/it/readme-output)
cp "$REPORT" "$IT_RESULTS/$IT_SUITE.readme-report.txt"

# ---- stop ----
daemon_check_alive daemon_survives
daemon_stop
# The uncommon traps of the daemon's own code, after the JVM wrote its whole log: when (warm-up,
# measurements, after them), why, where; one line each, into SUITE.uncommon-traps.log.
if [ -s "$COMPILATION_XML" ]; then
	awk -v from="$measure_from" -v to="$measure_to" '
		function attr(line, name) {
			return match(line, name "=\x27[^\x27]*\x27") ? substr(line, RSTART + length(name) + 2, RLENGTH - length(name) - 3) : ""
		}
		/^<uncommon_trap thread=/ { trap = $0; next }
		trap != "" && /^<jvms / {
			stamp = attr(trap, "stamp") + 0
			when = stamp < from + 0 ? "warm-up" : stamp <= to + 0 ? "measurements" : "after"
			method = attr($0, "method")
			if (method ~ /^org\.ashmemd\.|^jnr\./) {
				printf "%8.3f s %-12s %-22s %-14s level %s %s bci %s\n", stamp, when, attr(trap, "reason"),
					attr(trap, "action"), attr(trap, "level"), method, attr($0, "bci")
				n[when]++
			}
			trap = ""
			next
		}
		{ trap = "" }
		END { printf "uncommon traps in org.ashmemd/jnr code: %d in the warm-up, %d during the measurements, %d after them\n",
			n["warm-up"], n["measurements"], n["after"] > "/dev/stderr" }
	' "$COMPILATION_XML" >"$IT_RESULTS/$IT_SUITE.uncommon-traps.log" 2>"$WORK/traps.summary"
	info uncommon_traps "$(cat "$WORK/traps.summary") (measurements from $measure_from s to $measure_to s of the JVM's time)"
fi
# stop_server PID TEST WHAT: SIGTERM, then exit status 0 within 20 s
stop_server() {
	kill -TERM "$1"
	if wait_for $((20 * ${IT_TIME_SCALE:-1})) eval "! proc_running $1"; then
		wait "$1"
		check "$2" test "$?" = 0
	else
		kill -KILL "$1"
		fail "$2" "$3 did not exit within 20 s of SIGTERM"
	fi
}
stop_server "$floor_pid" floor_stops_cleanly cuse-floor
rm -f "$IT_STATE/floor.pid"
stop_server "$ref_pid" reference_stops_cleanly "cuse-floor --broker"
check reference_broker_removed test ! -e "$REF_BROKER"
rm -f "$IT_STATE/reference.pid"
it_finish
