#!/bin/bash
# it-order: 45
# it-budget: 420
# it-build: pressure m64
# Real memory pressure (pressure/): a client in a cgroup v2 group holds 8 regions of 8 MiB, 2
# pinned and 6 unpinned; a memory hog in the same group pushes it over memory.high. The daemon's
# default PSI trigger must purge unpinned regions, least recently unpinned first, while the
# pinned ones keep their data; PIN then says WAS_PURGED exactly for the purged ones, which read
# back as zeros.
. "$IT_REPO/integration-tests/lib/suite.sh"

N=8    # regions
MIB=8  # MiB each
KEEP=2 # regions 0 and 1 stay pinned; 2..7 are unpinned in that order
HOG_MIB=48
HEADROOM_MIB=16 # memory.high above what the client holds: the hog needs 32 MiB more than that
TRIGGER="some 200ms 2s"
CG=/sys/fs/cgroup
GROUP=$CG/ashmem-test
PRELOAD=$IT_REPO/target/dist/lib/native/x86_64/libashmemd-preload.so
W=$IT_STATE/pressure
mkdir -p "$W"

[ -r "$PRELOAD" ] || { fail preload_library "$PRELOAD is missing (build the distribution first)"; it_finish; }
if [ ! -r /proc/pressure/memory ]; then
	skip pressure_purges "this kernel reports no memory pressure (/proc/pressure/memory is missing)"
	it_finish
fi
if ! grep -q "^cgroup2 $CG " /proc/mounts; then
	mount -t cgroup2 cgroup2 "$CG" || { fail cgroup2 "cannot mount cgroup2 on $CG"; it_finish; }
fi
if ! grep -qw memory "$CG/cgroup.controllers" 2>/dev/null; then
	skip pressure_purges "cgroup2 has no memory controller here ($(cat "$CG/cgroup.controllers" 2>&1))"
	it_finish
fi
echo +memory >"$CG/cgroup.subtree_control" || { fail cgroup_memory "cannot enable +memory in $CG"; it_finish; }
mkdir -p "$GROUP" || { fail cgroup_memory "cannot create $GROUP"; it_finish; }
echo max >"$GROUP/memory.high"

# in_group COMMAND... &: runs COMMAND as a member of the test group, in the background with the
# pid $! (the subshell of "&" becomes the shell that joins the group, which becomes COMMAND).
in_group() { exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$GROUP" "$@"; }

cleanup() { # not a bare wait: the daemon is a child of this shell too
	local p
	for p in ${CLIENT:-} ${HOG:-}; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	CLIENT= HOG=
	echo max >"$GROUP/memory.high" 2>/dev/null
	rmdir "$GROUP" 2>/dev/null
}

daemon_start || { cleanup; it_finish; }
check pressure_trigger_registered grep -q "memory pressure: trigger '$TRIGGER' on /proc/pressure/memory" "$DAEMON_LOG"
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock

# ---- the client fills its regions, then unpins 2..7 ----
rm -f "$W/ready"
in_group env LD_PRELOAD="$PRELOAD" "$IT_BUILD/m64/pressure/client" $N $MIB $KEEP "$W/ready" >"$W/client.out" 2>&1 &
CLIENT=$!
if ! wait_for $((120 * IT_TIME_SCALE)) test -s "$W/ready"; then
	fail client_ready "the client did not fill its regions: $(tail -n 3 "$W/client.out" | tr '\n' ' ')"
	cleanup
	daemon_stop
	it_finish
fi
pass client_ready
current=$(cat "$GROUP/memory.current")
info client_charged "memory.current $current bytes, memory.stat shmem $(awk '$1 == "shmem" { print $2 }' "$GROUP/memory.stat") after $((N * MIB)) MiB written to the daemon's memfds"
# The daemon creates the memfds; their pages belong to the group of the process that wrote them.
if [ "$current" -ge $(((N * MIB - 4) << 20)) ]; then
	pass memfd_pages_charged_to_writer_group
else
	fail memfd_pages_charged_to_writer_group "memory.current is $current bytes, less than the $((N * MIB)) MiB the client wrote"
	cleanup
	daemon_stop
	it_finish
fi

# ---- the hog pushes the group over memory.high ----
high=$((current + (HEADROOM_MIB << 20)))
echo "$high" >"$GROUP/memory.high"
log_lines=$(wc -l <"$DAEMON_LOG")
t0=$EPOCHREALTIME
in_group "$IT_BUILD/m64/pressure/hog" $HOG_MIB 3 >"$W/hog.out" 2>&1 &
HOG=$!
if wait_for $((240 * IT_TIME_SCALE)) eval '! proc_running $HOG'; then
	wait "$HOG"
	st=$?
	HOG=
	if [ "$st" = 0 ]; then pass hog_finished; else fail hog_finished "the hog exited with status $st: $(cat "$W/hog.out")"; fi
else
	fail hog_finished "the hog still ran after $((240 * IT_TIME_SCALE)) s"
	kill -KILL "$HOG"
	wait "$HOG" 2>/dev/null
	HOG=
fi
info hog "$(tr '\n' ' ' <"$W/hog.out")in $(seconds_since "$t0") s with memory.high $high"
info group_events "$(tr '\n' ' ' <"$GROUP/memory.events"); memory.current now $(cat "$GROUP/memory.current")"
info psi "$(head -n 1 /proc/pressure/memory)"
echo max >"$GROUP/memory.high"

purge_lines=$(tail -n +"$((log_lines + 1))" "$DAEMON_LOG" | grep 'purged .* under memory pressure')
info purge_log "$(printf '%s' "$purge_lines" | sed 's/.*purged/purged/' | tr '\n' ';')"
if [ -n "$purge_lines" ]; then
	pass purged_under_pressure_logged
else
	fail purged_under_pressure_logged "no 'purged ... under memory pressure' line in the daemon's log while the hog ran"
fi

# ---- what the daemon says ----
if timeout $((90 * IT_TIME_SCALE)) "$IT_REPO/target/dist/bin/ashmemctl" status --json >"$W/status.json" 2>"$W/status.err"; then
	json_index "$W/status.json"
	sv() { json_get "$W/status.json" "$1"; }
	events=$(sv pressure.events) bursts=$(sv pressure.bursts) pages_purged=$(sv pressure.pagesPurged)
	summary="enabled $(sv pressure.enabled), trigger '$(sv pressure.trigger)', $events events, $bursts bursts, $pages_purged pages purged"
	info status_pressure "$summary"
	if [ "$(sv pressure.enabled)" = true ] && [ "${events:-0}" -ge 1 ] && [ "${bursts:-0}" -ge 1 ] &&
		[ "${pages_purged:-0}" -ge $(((MIB << 20) / 4096)) ]; then
		pass status_counts_pressure_purges
	else
		fail status_counts_pressure_purges "ashmemctl status --json: $summary (expected >= 1 event, >= 1 burst, >= one region's pages)"
	fi
else
	fail status_counts_pressure_purges "ashmemctl status --json failed: $(head -c 300 "$W/status.err")"
fi

# ---- the client pins everything again and reads its data ----
kill -USR1 "$CLIENT"
if wait_for $((120 * IT_TIME_SCALE)) eval '! proc_running $CLIENT'; then
	wait "$CLIENT"
	st=$?
else
	kill -KILL "$CLIENT"
	wait "$CLIENT" 2>/dev/null
	st=timeout
fi
CLIENT=
info client "exit $st: $(tr '\n' ';' <"$W/client.out")"
pages=$(((MIB << 20) / 4096))
line() { grep "^region $1: " "$W/client.out"; }
for i in $(seq 0 $((KEEP - 1))); do
	if line "$i" | grep -qx "region $i: pin=- data=$pages zero=0 other=0"; then
		pass "pinned_region_${i}_keeps_data"
	else
		fail "pinned_region_${i}_keeps_data" "$(line "$i" || echo "no line for region $i")"
	fi
done
# The purged regions: WAS_PURGED and zeros; the others NOT_PURGED with their data. Least
# recently unpinned goes first, so the purged ones are the first of the unpin order.
purged=0
prefix=1
bad=""
for i in $(seq $KEEP $((N - 1))); do
	l=$(line "$i")
	if [ "$l" = "region $i: pin=WAS_PURGED data=0 zero=$pages other=0" ]; then
		purged=$((purged + 1))
		[ "$prefix" = 1 ] || bad="$bad region $i purged after a kept one;"
	elif [ "$l" = "region $i: pin=NOT_PURGED data=$pages zero=0 other=0" ]; then
		prefix=0
	else
		bad="$bad ${l:-no line for region $i};"
	fi
done
info purged_regions "$purged of $((N - KEEP)) unpinned regions purged"
if [ "$st" != 0 ]; then
	fail unpinned_purged_oldest_first "the client exited with status $st: $(tail -n 3 "$W/client.out" | tr '\n' ' ')"
elif [ -n "$bad" ]; then
	fail unpinned_purged_oldest_first "$bad"
else
	pass unpinned_purged_oldest_first
fi
if [ "$purged" -ge 4 ]; then
	pass at_least_4_regions_purged
else
	fail at_least_4_regions_purged "$purged regions purged; the hog needed $((HOG_MIB - HEADROOM_MIB)) MiB ($(((HOG_MIB - HEADROOM_MIB) / MIB)) regions) freed"
fi

cleanup
daemon_check_alive daemon_survives
daemon_stop
it_finish
