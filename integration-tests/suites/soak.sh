#!/bin/bash
# it-order: 30
# it-budget: 300
# it-build: soak m64
# Many short-lived regions (soak/soak.c): the daemon must answer every one correctly and must not
# leak. Its fd count, thread count and Java heap in use after a full GC are measured after a
# warm-up and again at the end: fds and threads may not grow at all, the heap by at most
# SOAK_HEAP_TOLERANCE bytes.
. "$IT_REPO/integration-tests/lib/suite.sh"

WARMUP=${SOAK_WARMUP:-1000}
TOTAL=${SOAK_TOTAL:-10000}
HEAP_TOLERANCE=${SOAK_HEAP_TOLERANCE:-$((8 * 1024 * 1024))}

daemon_start || it_finish
jvm=$(daemon_jvm_pid)
note "daemon pid $DAEMON_PID, JVM pid $jvm"
# The first attach starts the JVM's attach listener (a thread and a socket) for good: do it
# before the baseline so it is in both counts.
probe_jvm_attach "$jvm" || note "jcmd cannot attach to the daemon; the heap will be reported as unavailable"

coproc SOAK { ASHMEM_DEV=/dev/$ASHMEMD_DEVICE exec "$IT_BUILD/m64/soak/soak" "$WARMUP" "$TOTAL"; }
soak_pid=$SOAK_PID
if ! read -r -t $((120 * IT_TIME_SCALE)) kind n errs secs <&"${SOAK[0]}" || [ "$kind" != warm ]; then
	kill -KILL "$soak_pid" 2>/dev/null
	fail soak_warmup "the soak program did not finish its $WARMUP warm-up cycles within $((120 * IT_TIME_SCALE)) s"
	it_finish
fi
info warmup "$n cycles, $errs errors, $secs s"
probe_all "$jvm"
fds0=$P_FDS threads0=$P_THREADS heap0=$HEAP_USED_BYTES rss0=$P_RSS_KB
info baseline "after $WARMUP cycles: fds=$fds0 threads=$threads0 heap_used=${heap0:-n/a} rss_kb=$rss0 (heap: $HEAP_METHOD)"

echo go >&"${SOAK[1]}"
if ! read -r -t $((180 * IT_TIME_SCALE)) kind n errs secs first <&"${SOAK[0]}" || [ "$kind" != done ]; then
	kill -KILL "$soak_pid" 2>/dev/null
	fail soak_cycles "the soak program did not finish $TOTAL cycles within $((180 * IT_TIME_SCALE)) s"
	it_finish
fi
wait "$soak_pid"
st=$?
measured=$((n - WARMUP))
if [ "$errs" = 0 ] && [ "$n" = "$TOTAL" ] && [ "$st" = 0 ]; then
	pass soak_cycles
else
	fail soak_cycles "$errs wrong answers in $n of $TOTAL cycles (exit status $st); first: ${first:-none}"
fi
info rate "$measured cycles after the warm-up in $secs s ($(awk -v n="$measured" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }') cycles/s under TCG)"

probe_all "$jvm"
fds1=$P_FDS threads1=$P_THREADS heap1=$HEAP_USED_BYTES rss1=$P_RSS_KB
info end "after $n cycles: fds=$fds1 threads=$threads1 heap_used=${heap1:-n/a} rss_kb=$rss1"

if [ -n "$fds0" ] && [ -n "$fds1" ] && [ "$fds1" -le "$fds0" ]; then
	pass fds_do_not_grow
else
	fail fds_do_not_grow "daemon fds grew from $fds0 to $fds1 between cycle $WARMUP and cycle $n"
fi
if [ -n "$threads0" ] && [ -n "$threads1" ] && [ "$threads1" -le "$threads0" ]; then
	pass threads_do_not_grow
else
	fail threads_do_not_grow "daemon threads grew from $threads0 to $threads1 between cycle $WARMUP and cycle $n"
fi
if [ -n "$heap0" ] && [ -n "$heap1" ]; then
	growth=$((heap1 - heap0))
	if [ "$growth" -le "$HEAP_TOLERANCE" ]; then
		pass heap_bounded
		info heap "used after full GC: $heap0 -> $heap1 bytes (growth $growth, tolerance $HEAP_TOLERANCE)"
	else
		fail heap_bounded "heap used after full GC grew by $growth bytes ($heap0 -> $heap1), more than $HEAP_TOLERANCE"
	fi
else
	skip heap_bounded "no heap figure: $HEAP_METHOD; RSS went from $rss0 to $rss1 kB (RSS is not a leak measure)"
fi
daemon_check_alive daemon_survives
daemon_stop
it_finish
