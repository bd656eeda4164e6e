#!/bin/bash
# it-order: 26
# it-budget: 230
# The mmap broker against clients that speak its wire format directly (security/, no preload
# library): forged, replayed, expired and stolen tokens, guessing without the device fd, what a
# received memfd allows (write seals, read-only fds), malformed requests and floods. The daemon
# must refuse each, log it once (a flood as a summary), keep serving a good client and stay up.
. "$IT_REPO/integration-tests/lib/suite.sh"

ORDER=(tokens memfd malformed) # the rest follow alphabetically
# Floods exercise only the daemon's side, the same for both ABIs: the 64-bit programs run them.
M64_ONLY=(guessing_without_device_fd_gets_nothing refusal_burst_summary_logged garbage_flood_good_client_served
	unread_replies_flood_good_client_served connection_flood_good_client_served)

daemon_start || it_finish
unset LD_PRELOAD
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock
export ASHMEMD_LOG=$DAEMON_LOG
ASHMEMD_PID=$(daemon_jvm_pid)
export ASHMEMD_PID

programs() {
	local abi=$1 p n
	for n in "${ORDER[@]}"; do
		[ -x "$IT_BUILD/$abi/security/$n" ] && echo "$IT_BUILD/$abi/security/$n"
	done
	for p in "$IT_BUILD/$abi/security/"*; do
		n=$(basename "$p")
		[ -x "$p" ] && [[ " ${ORDER[*]} " != *" $n "* ]] && echo "$p"
	done
}

# The tests of a program this ABI runs (every one for m64).
tests_for() {
	local abi=$1 prog=$2 t
	[ "$abi" = m64 ] && return 0
	for t in $("$prog" --list); do
		[[ " ${M64_ONLY[*]} " == *" $t "* ]] || echo "$t"
	done
}

log_lines() { grep -c -- "$1" "$DAEMON_LOG" 2>/dev/null; }

crashed=0
for abi in m64 m32; do
	for prog in $(programs "$abi"); do
		t0=$EPOCHREALTIME
		selected=$(tests_for "$abi" "$prog")
		# shellcheck disable=SC2086 # test names are single words
		run_checks "$abi/" "$prog" $selected
		note "$abi/$(basename "$prog") took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
		if ! proc_running "$DAEMON_PID"; then
			wait "$DAEMON_PID"
			fail daemon_survives "ashmemd exited (status $?) while $abi/$(basename "$prog") ran; the remaining programs were not run"
			DAEMON_PID=
			crashed=1
			break 2
		fi
	done
done
info log_refusals "$(log_lines 'refused a token') token refusals, $(log_lines 'malformed request') malformed requests, $(log_lines 'incomplete request') timeouts and $(log_lines 'more refusals not logged\|warnings suppressed') summaries logged; $(wc -l <"$DAEMON_LOG") log lines in all"
if [ "$crashed" -eq 0 ]; then
	pass daemon_survives
	daemon_stop
fi
it_finish
