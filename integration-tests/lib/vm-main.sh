#!/bin/bash
# Runs inside the test VM, chrooted into the host root or (systemd mode) from it-suites.service
# under systemd (see vm-init). Runs every requested suite
# in its own process group under a time budget and writes, in the results share /run/it:
#   SUITE.results  one line per test (written by the suite through lib/suite.sh)
#   SUITE.out      the suite script's own output
#   SUITE.status   "SUITE EXIT_STATUS SECONDS" once the suite ended
#   vm.info, vm.done
set -u
{ # parsed whole before it runs: edits on the host during a run cannot derail it
. /run/it/config.sh

IT_TIME_SCALE=${IT_TIME_SCALE:-1}
IT_BOOT=${IT_BOOT:-chroot} IT_CONSOLE=${IT_CONSOLE:-0} IT_SHELL=${IT_SHELL:-0} IT_TCG_THREAD=${IT_TCG_THREAD:-multi}
export IT_REPO IT_BUILD IT_RUN_ID IT_VERBOSE IT_TIME_SCALE IT_BOOT IT_CONSOLE IT_SHELL IT_TCG_THREAD
export CHECK_TIMEOUT_SCALE=$IT_TIME_SCALE # per-test timeouts of the check.h programs
export IT_RESULTS=/run/it
export IT_STATE=/run/it-state # per-suite scratch, e.g. the daemon's pid (tmpfs, not shared)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8
unset JAVA_TOOL_OPTIONS
cd /tmp || exit 1

{
	echo "kernel=$(uname -r)"
	echo "boot=$IT_BOOT init=$(cat /proc/1/comm)"
	echo "time_scale=$IT_TIME_SCALE"
	echo "cpus=$(nproc) tcg_thread=$IT_TCG_THREAD"
	echo "mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
	echo "boot_s=$(cut -d' ' -f1 /proc/uptime)"
} >"$IT_RESULTS/vm.info"

state() { awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null; }

# Ends a suite that ran over its budget. A client blocked on an unanswered CUSE request cannot be
# killed, so the daemon (whose exit aborts the device and frees such callers) goes first.
stop_overrun() {
	local pgid=$1 p
	for p in "$IT_STATE"/*.pid; do
		[ -e "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	kill -KILL -- "-$pgid" 2>/dev/null
	for _ in $(seq 1 40); do
		[ "$(state "$pgid")" = "" ] || [ "$(state "$pgid")" = Z ] && break
		sleep 0.5
	done
}

# The JIT setting every ashmemd in this VM runs with (see "TCG caveats" in integration-tests/README):
# QEMU's TCG now and then runs a half-patched method entry and the JVM dies with SIGSEGV (the jit
# suite shows it without ashmemd). With C1 alone no method entry is patched when a method moves
# up a tier. Suites started by daemon_start get it from lib/suite.sh; the unit gets it from a
# drop-in that adds it to the unit's own JVM options (for the suites that install the package).
# --env DAEMON_JIT_OPTS= runs the JIT users run, as the bench suite does.
export DAEMON_JIT_OPTS=${DAEMON_JIT_OPTS--XX:TieredStopAtLevel=1}
if [ "$IT_BOOT" = systemd ] && [ -n "$DAEMON_JIT_OPTS" ]; then
	unit_opts=$(sed -n 's/^Environment="ASHMEMD_JAVA_OPTS=\(.*\)"$/\1/p' "$IT_REPO/systemd/ashmemd.service")
	mkdir -p /run/systemd/system/ashmemd.service.d # a runtime drop-in, as unit_start_timeout_scaled's
	printf '[Service]\nEnvironment="ASHMEMD_JAVA_OPTS=%s %s"\n' "$unit_opts" "$DAEMON_JIT_OPTS" \
		>/run/systemd/system/ashmemd.service.d/it-jit.conf
	systemctl daemon-reload
fi

for suite in "${IT_SUITES[@]}"; do
	budget=${IT_BUDGETS[$suite]:-120}
	rm -rf "$IT_STATE"
	mkdir -p "$IT_STATE"
	: >"$IT_RESULTS/$suite.results"
	[ "$IT_CONSOLE" = 1 ] || echo "it: suite $suite (budget $budget s)" >/dev/console
	start=$EPOCHREALTIME
	IT_SUITE=$suite setsid bash "$IT_REPO/integration-tests/suites/$suite.sh" \
		</dev/null >"$IT_RESULTS/$suite.out" 2>&1 &
	pid=$!
	deadline=$((${start%.*} + budget))
	while [ "$(state "$pid")" != "" ] && [ "$(state "$pid")" != Z ]; do
		if [ "${EPOCHREALTIME%.*}" -ge "$deadline" ]; then
			echo "fail (suite) ran over its budget of $budget s and was stopped" >>"$IT_RESULTS/$suite.results"
			stop_overrun "$pid"
			break
		fi
		sleep 0.2
	done
	wait "$pid"
	status=$?
	# Whatever the suite left behind (it shares the suite's process group) goes now.
	kill -KILL -- "-$pid" 2>/dev/null
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	echo "$suite $status $secs" >"$IT_RESULTS/$suite.status"
	[ "$IT_CONSOLE" = 1 ] || echo "it: suite $suite ended with status $status after $secs s" >/dev/console
done
sync
echo done >"$IT_RESULTS/vm.done"
# integration-tests/try: a shell on the serial console; the VM powers off when it exits.
[ "$IT_SHELL" = 1 ] && bash "$IT_REPO/integration-tests/lib/vm-shell.sh"
exit 0
}
