#!/bin/bash
# it-order: 90
# it-budget: 330
# it-default: no
# Benchmark (bench/README.md): ashmemd against the C CUSE floor (bench/cuse-floor, libfuse3, same
# exchanges, same number of reader threads) and a plain memfd, every figure from this boot. Each
# target ratio is a test; the table, the request counts and the system calls per operation go to
# bench.report, which `run` prints. Only run when named: it takes about four minutes under TCG.
. "$IT_REPO/integration-tests/lib/suite.sh"

BENCH=$IT_BUILD/m64/bench
FLOOR=$IT_BUILD/m64/cuse-floor
TALLY=$IT_REPO/integration-tests/bench/strace-tally.awk
PRELOAD=${BENCH_PRELOAD:-$IT_REPO/target/dist/lib/native/x86_64/libashmemd-preload.so}
PRELOAD_B=${BENCH_PRELOAD_B:-} # another build of the library to compare with (bench measure --preload-b)
FLOOR_NAME=bench-floor
READERS=4 # ashmemd's default --workers
SCALE=${BENCH_SCALE:-1}
COUNT_OPS=${BENCH_COUNT_OPS:-50}
# seconds; warm-up rounds stop earlier once the JIT is done
WARM_MAX=${BENCH_WARM_MAX:-$((180 * ${IT_TIME_SCALE:-1}))}
REPORT=$IT_RESULTS/$IT_SUITE.report
WORK=/tmp/bench
mkdir -p "$WORK"

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
# Steady state of a long-running daemon within this suite's time: HotSpot compiles fully after
# about 1,000 calls of a method instead of 5,000-15,000, and logs each compilation, so the warm-up
# can go on until nothing is left to compile.
JIT_LOG=$WORK/jit.log
export ASHMEMD_JAVA_OPTS="-XX:Tier3InvocationThreshold=100 -XX:Tier3MinInvocationThreshold=50
 -XX:Tier3CompileThreshold=1000 -XX:Tier4InvocationThreshold=1000 -XX:Tier4MinInvocationThreshold=300
 -XX:Tier4CompileThreshold=1500 -Xlog:jit+compilation=debug:file=$JIT_LOG"
daemon_start || it_finish
jvm=$(daemon_jvm_pid)
info threads "cuse-floor: $(($(ls /proc/$floor_pid/task | wc -l) - 1)) readers; ashmemd JVM: $(probe_threads "$jvm") threads"

# ---- the measurements ----
# A wakeup across vCPUs costs a host scheduling decision under TCG, which on a busy host takes
# milliseconds and varies tenfold; on one vCPU a round trip is the guest's own work. So the client,
# the floor and the daemon's request threads (CUSE readers and broker) share vCPU 0; the JIT
# compiler, GC and the rest of the JVM stay free (and compile on vCPU 1 during the warm-up).
pinned="unpinned (no taskset)"
PIN=()
if command -v taskset >/dev/null; then
	taskset -a -p 1 "$floor_pid" >/dev/null
	for t in /proc/"$jvm"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		cuse-reader-* | broker) taskset -p 1 "${t##*/}" >/dev/null ;;
		esac
	done
	PIN=(taskset 1)
	pinned="pinned to vCPU 0: the client, cuse-floor, ashmemd's CUSE readers and broker thread"
fi
info pinning "$pinned"

args=(--ashmem "/dev/$ASHMEMD_DEVICE" --floor "/dev/$FLOOR_NAME" --preload "$PRELOAD" --scale "$SCALE")
# compilations of the daemon's own code and of jnr so far
jit_ours() { grep -v 'made not entrant' "$JIT_LOG" 2>/dev/null | grep -c 'org\.ashmemd\|jnr\.'; }
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
	# steady: a whole round compiled (almost) nothing new
	[ "${warm_rounds[-1]}" -le 5 ] && [ ${#warm_rounds[@]} -ge 2 ] && break
	[ "$spent" -ge "$WARM_MAX" ] && break
done
cat "$WORK/warm.err" >&2
info warmup "${#warm_rounds[@]} rounds in ${spent} s; compilations of org.ashmemd/jnr code per round: ${warm_rounds[*]}"


{
echo "### DEV A/B: new library (A) vs old (B), process against process, ABBA"
for th in 8 2 1; do
	: >"$WORK/ab.$th"
	for k in $(seq 1 14); do
		for lib in $( [ $((k % 2)) = 1 ] && echo "new old" || echo "old new"); do
			so=/work/scratch/preload-new.so; [ $lib = old ] && so=/work/scratch/preload-a/libashmemd-preload.so
			v=$(LD_PRELOAD=$so "${PIN[@]}" "$BENCH" --child "rate,/dev/$ASHMEMD_DEVICE,$th,1.5" | awk '/^S /{print $4}')
			echo "$k $lib $v" >>"$WORK/ab.$th"
		done
	done
	awk -v th=$th '{ v[$1, $2] = $3; n = $1 > n ? $1 : n }
		END { for (k = 1; k <= n; k++) { r[k] = v[k, "new"] / v[k, "old"]; a[k] = v[k, "new"]; b[k] = v[k, "old"] }
			# sort
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) { if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t } if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t } }
			m = int((n + 1) / 2)
			printf "| %d threads | new %.1f cycles/s | old %.1f | median ratio new/old %.3f (q1 %.3f q3 %.3f, %d pairs) |\n", th, a[m], b[m], r[m], r[int(n/4)+1], r[int(3*n/4)], n }' "$WORK/ab.$th"
done
} >"$REPORT"
info ab "$(cat "$REPORT" | tr '\n' ' ')"

# ---- stop ----
daemon_check_alive daemon_survives
daemon_stop
kill -TERM "$floor_pid"
if wait_for $((20 * ${IT_TIME_SCALE:-1})) eval "! proc_running $floor_pid"; then
	wait "$floor_pid"
	check floor_stops_cleanly test "$?" = 0
else
	kill -KILL "$floor_pid"
	fail floor_stops_cleanly "cuse-floor did not exit within 20 s of SIGTERM"
fi
rm -f "$IT_STATE/floor.pid"
it_finish
