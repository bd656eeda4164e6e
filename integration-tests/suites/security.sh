#!/bin/bash
# it-order: 26
# it-budget: 230
# it-build: security m64 m32
# The mmap broker against clients that speak its wire format directly (security/, no preload
# library): forged, replayed, expired and stolen tokens, guessing without the device fd, what a
# received memfd allows (write seals, read-only fds), malformed requests and floods. The daemon
# must refuse each, log it once (a flood as a summary), keep serving a good client and stay up.
. "$IT_REPO/integration-tests/lib/suite.sh"

ORDER=(tokens memfd malformed) # the rest follow alphabetically
# Floods exercise only the daemon's side, the same for both ABIs: the 64-bit programs run them.
M64_ONLY=(guessing_without_device_fd_gets_nothing refusal_burst_summary_logged garbage_flood_good_client_served
	unread_replies_flood_good_client_served connection_flood_good_client_served)

# A short token lifetime, which expired_token_eacces waits out; long enough for the first
# exchanges of a JVM that is not warm yet.
export SECURITY_TOKEN_LIFETIME=10
daemon_start --token-lifetime "${SECURITY_TOKEN_LIFETIME}s" || it_finish
unset LD_PRELOAD
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock
export ASHMEMD_LOG=$DAEMON_LOG
ASHMEMD_PID=$(daemon_jvm_pid)
export ASHMEMD_PID

# The tests of a program this ABI runs (every one for m64).
tests_for() {
	local abi=$1 prog=$2 t
	[ "$abi" = m64 ] && return 0
	for t in $("$prog" --list); do
		[[ " ${M64_ONLY[*]} " == *" $t "* ]] || echo "$t"
	done
}

log_lines() { grep -c -- "$1" "$DAEMON_LOG" 2>/dev/null; }

# shellcheck disable=SC2046 # test names are single words
run_program() { run_checks "$1/" "$2" $(tests_for "$1" "$2"); }
run_programs security "${ORDER[@]}"
survived=$?
info log_refusals "$(log_lines 'refused a token') token refusals, $(log_lines 'malformed request') malformed requests, $(log_lines 'incomplete request') timeouts and $(log_lines 'more refusals not logged\|warnings suppressed') summaries logged; $(wc -l <"$DAEMON_LOG") log lines in all"
[ "$survived" -ne 0 ] || daemon_stop
it_finish
