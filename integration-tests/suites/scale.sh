#!/bin/bash
# it-order: 92
# it-budget: 4500
# it-build: scale m64
# it-default: no
# Scale (scale/scale.c): SCALE_PROCS processes hold up to 100,000 live mapped regions (fd open,
# mapping in place). Per level: the create cost per 1,000 regions and the cost per 1,000 full
# create/map/close cycles of one more process. At the top: the daemon's RSS, heap, fds and
# threads, and how long `ashmemctl status`, `regions`, `scan` and `leaks` take and what they do
# to the RSS. After the release: the daemon's fds, threads and heap are back where they were.
# The daemon runs with the unit's limits (LimitNOFILE=1048576, -Xmx256m) and region caps raised
# above the top level. A Markdown table goes to scale.report. Only run when named: about an hour
# of VM time under TCG for 100,000 regions.
#
# Knobs (--env): SCALE_LEVELS (default "1000 2000 5000 10000 20000 50000 100000"), SCALE_PROCS
# (default 4), SCALE_ADMIN_TIMEOUT (seconds per ashmemctl command, default 900).
. "$IT_REPO/integration-tests/lib/suite.sh"

NATIVE=$IT_REPO/target/dist/lib/native
PRELOAD=$NATIVE/x86_64/libashmemd-preload.so
CTL=$IT_REPO/target/dist/bin/ashmemctl
SCALE_LEVELS=${SCALE_LEVELS:-1000 2000 5000 10000 20000 50000 100000}
SCALE_PROCS=${SCALE_PROCS:-4}
SCALE_ADMIN_TIMEOUT=${SCALE_ADMIN_TIMEOUT:-900}
RSS_LIMIT_KB=$((256 * 1024))
HEAP_TOLERANCE=$((8 * 1024 * 1024))
REPORT=$IT_RESULTS/$IT_SUITE.report
W=$IT_STATE/scale
mkdir -p "$W"

for l in $SCALE_LEVELS; do
	[[ "$l" =~ ^[1-9][0-9]*$ ]] || { fail knobs "SCALE_LEVELS holds '$l', not a positive number"; it_finish; }
done
TOP=${SCALE_LEVELS##* }
[ -r "$PRELOAD" ] || { fail preload_library "$PRELOAD is missing (build the distribution first)"; it_finish; }

# The unit's limits: LimitNOFILE=1048576 (one memfd per region in the daemon) and its JVM options.
ulimit -Hn 1048576 && ulimit -Sn 1048576 || { fail nofile_limit "cannot raise RLIMIT_NOFILE to 1048576"; it_finish; }
export ASHMEMD_JAVA_OPTS="-Xmx256m -XX:+ExitOnOutOfMemoryError"
CAP=$((TOP * 2))
daemon_start --max-regions-per-uid "$CAP" --max-regions-per-container "$CAP" || it_finish
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock
JVM=$(daemon_jvm_pid)

probe_jvm_attach "$JVM"
baseline_take "$JVM"

mkfifo "$W/ctl"
LD_PRELOAD=$PRELOAD "$IT_BUILD/m64/scale/scale" "$SCALE_PROCS" $SCALE_LEVELS <"$W/ctl" >"$W/out" 2>"$W/err" &
scale_pid=$!
exec 7>"$W/ctl"

{
	echo "### ashmemd with $TOP live mapped regions ($SCALE_PROCS holder processes, QEMU TCG, kernel $(uname -r))"
	echo
	echo "| live regions | create, ms per 1,000 | create/map/close cycle, ms per 1,000 | daemon RSS (MiB) |"
	echo "|---:|---:|---:|---:|"
} >"$REPORT"
# The chroot has no /dev/fd, so no process substitution: new level lines are read from a file.
seen=0
first_create=""
new_levels() {
	grep '^level' "$W/out" | tail -n +"$((seen + 1))" >"$W/levels.new"
	while read -r _ level _ create _ cycle; do
		rss=$(probe_rss_kb "$JVM")
		echo "| $level | $create | $cycle | $((rss / 1024)) |" >>"$REPORT"
		info "level_$level" "create ${create} ms/1000, cycle ${cycle} ms/1000, daemon rss_kb=$rss"
		[ -n "$first_create" ] || first_create=$create
		last_create=$create
		seen=$((seen + 1))
	done <"$W/levels.new"
}
until grep -q '^holding' "$W/out" 2>/dev/null; do
	if ! proc_running "$scale_pid"; then
		fail "levels" "scale ended early: $(tail -n 3 "$W/err" | tr '\n' ' ')"
		exec 7>&-
		it_finish
	fi
	new_levels
	sleep 1
done
new_levels
pass "holds_$TOP"
check create_cost_flat awk -v a="$first_create" -v b="$last_create" 'BEGIN { exit !(b <= 3 * a) }'

probe_all "$JVM"
info at_top "fds=$P_FDS threads=$P_THREADS heap_used=${HEAP_USED_BYTES:-n/a} rss_kb=$P_RSS_KB"
{
	echo
	echo "At $TOP regions: daemon RSS $((P_RSS_KB / 1024)) MiB, heap in use after GC $((${HEAP_USED_BYTES:-0} / 1048576)) MiB, $P_FDS fds, $P_THREADS threads."
	echo
	echo "| command | time (s) | output lines | daemon RSS after (MiB) |"
	echo "|---|---:|---:|---:|"
} >>"$REPORT"
rss_max=$P_RSS_KB
for cmd in status regions scan leaks; do
	t0=$EPOCHREALTIME
	timeout "$((SCALE_ADMIN_TIMEOUT * IT_TIME_SCALE))" "$CTL" "$cmd" >"$W/$cmd.out" 2>"$W/$cmd.err"
	st=$?
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	rss=$(probe_rss_kb "$JVM")
	[ "$rss" -le "$rss_max" ] || rss_max=$rss
	lines=$(wc -l <"$W/$cmd.out")
	info "ashmemctl_$cmd" "exit $st after $secs s, $lines lines, daemon rss_kb=$rss"
	if [ "$st" -eq 124 ]; then
		echo "| \`ashmemctl $cmd\` | > $((SCALE_ADMIN_TIMEOUT * IT_TIME_SCALE)) (stopped) | $lines | $((rss / 1024)) |" >>"$REPORT"
		fail "ashmemctl_$cmd" "did not finish within $((SCALE_ADMIN_TIMEOUT * IT_TIME_SCALE)) s"
	else
		echo "| \`ashmemctl $cmd\` | $secs | $lines | $((rss / 1024)) |" >>"$REPORT"
		check "ashmemctl_$cmd" test "$st" -eq 0
	fi
done
probe_all "$JVM"
info after_listings "fds=$P_FDS threads=$P_THREADS heap_used=${HEAP_USED_BYTES:-n/a} rss_kb=$P_RSS_KB"
check rss_within_256MiB test "$rss_max" -le "$RSS_LIMIT_KB"

echo go >&7
exec 7>&-
wait "$scale_pid"
st=$?
release=$(sed -n 's/^release_ms //p' "$W/out")
check released test "$st" -eq 0
baseline_check "$JVM" "$HEAP_TOLERANCE" 60
{
	echo
	echo "Release (munmap and close of every region): ${release:-?} ms per 1,000. After it: daemon RSS $((P_RSS_KB / 1024)) MiB (before the regions: $((BASE_RSS_KB / 1024)) MiB), heap after GC $((${HEAP_USED_BYTES:-0} / 1048576)) MiB (before: $((${BASE_HEAP:-0} / 1048576)) MiB), $P_FDS fds ($BASE_FDS before), $P_THREADS threads ($BASE_THREADS before)."
} >>"$REPORT"
daemon_stop
it_finish
