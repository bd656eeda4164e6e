#!/bin/bash
# it-order: 20
# it-budget: 240
# it-kernels: 6.1 6.12
# The C conformance programs of conformance/ against ashmemd's /dev/ashmem: every 64-bit program,
# then every 32-bit one, with a check after each that the daemon is still alive.
. "$IT_REPO/integration-tests/lib/suite.sh"

ORDER=(open name size prot pin purge rw share concurrent) # the rest follow alphabetically

daemon_start || it_finish
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE

programs() {
	local abi=$1 p n
	for n in "${ORDER[@]}"; do
		[ -x "$IT_BUILD/$abi/conformance/$n" ] && echo "$IT_BUILD/$abi/conformance/$n"
	done
	for p in "$IT_BUILD/$abi/conformance/"*; do
		n=$(basename "$p")
		[[ " ${ORDER[*]} " == *" $n "* ]] || echo "$p"
	done
}

crashed=0
for abi in m64 m32; do
	for prog in $(programs "$abi"); do
		t0=$EPOCHREALTIME
		run_checks "$abi/" "$prog"
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
if [ "$crashed" -eq 0 ]; then
	pass daemon_survives
	daemon_stop
fi
it_finish
