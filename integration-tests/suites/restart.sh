#!/bin/bash
# it-order: 85
# it-boot: systemd
# it-budget: 900
# Restart without loss under real systemd: the installed unit parks /dev/cuse, every region's
# memfd and the state in systemd's fd store (--fd-store, FileDescriptorStoreMax=). While 8
# clients (4 64-bit, 4 32-bit, restart/client.c, mmap through the preload library) loop over
# create/name/size/map/write/unpin/pin/verify/close, `systemctl restart ashmemd` hands the device
# over: afterwards every client's regions are all there with their data (old mappings and fresh
# mappings of old fds), names and sizes, st_rdev never changed, 0 client errors, no client hung.
# Then `systemctl stop` removes the device (the store is released when the unit goes inactive).
. "$IT_REPO/integration-tests/lib/suite.sh"
. "$IT_REPO/integration-tests/lib/try-demo.sh"

UNIT=ashmemd.service
APP_HOME=/usr/lib/ashmemd
CLIENTS_PER_ABI=4
WORK=/run/it-restart
prop() { systemctl show -p "$1" --value "$UNIT" 2>/dev/null; }
unit_running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
rdev_of() { stat -L -c '%t:%T' "$1" 2>/dev/null; }
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

if dpkg-query -W -f '${Status}' ashmemd 2>/dev/null | grep -q 'ok installed'; then
	fail clean_start "ashmemd is already installed in this machine's root; the suite installs it itself"
	it_finish
fi
try_install dpkg_install || it_finish
unit_settled() { unit_running || [[ "$(prop ActiveState)" =~ ^(inactive|failed)$ ]]; }
wait_for "$ASHMEMD_READY_TIMEOUT" unit_settled
if ! unit_running; then
	fail unit_active_running "$(prop ActiveState)/$(prop SubState); $(journalctl -u "$UNIT" --no-pager -n 8 2>&1 | tr '\n' ' ')"
	it_finish
fi
pass unit_active_running
check fd_store_configured test "$(prop FileDescriptorStoreMax)" = 131072
info systemd_version "$(systemctl --version | head -n 1)"
mkdir -p "$WORK"

# Starts the 8 clients; sets CLIENT_PIDS and CLIENT_NAMES; STOP is the file that ends them.
start_clients() {
	local phase=$1 abi i lib
	STOP=$WORK/$phase.stop
	rm -f "$STOP"
	CLIENT_PIDS=() CLIENT_NAMES=()
	for abi in m64 m32; do
		lib=$APP_HOME/lib/native/x86_64/libashmemd-preload.so
		[ "$abi" = m32 ] && lib=$APP_HOME/lib/native/i386/libashmemd-preload.so
		for i in $(seq 1 $CLIENTS_PER_ABI); do
			LD_PRELOAD=$lib "$IT_BUILD/$abi/restart/client" "$STOP" >"$WORK/$phase.$abi.$i.out" 2>"$WORK/$phase.$abi.$i.err" &
			CLIENT_PIDS+=($!)
			CLIENT_NAMES+=("$abi.$i")
		done
	done
	all_started() {
		local n
		for n in "${CLIENT_NAMES[@]}"; do grep -q started "$WORK/$phase.$n.out" 2>/dev/null || return 1; done
	}
	if wait_for $((60 * IT_TIME_SCALE)) all_started; then
		pass "$phase/clients_started"
	else
		fail "$phase/clients_started" "not every client printed 'started' within $((60 * IT_TIME_SCALE)) s"
	fi
}

# Stops the clients and judges each one's report. A client still running after the bound hung.
finish_clients() {
	local phase=$1 i pid name line deadline hung=0
	touch "$STOP"
	deadline=$((SECONDS + 120 * IT_TIME_SCALE))
	for i in "${!CLIENT_PIDS[@]}"; do
		pid=${CLIENT_PIDS[$i]} name=${CLIENT_NAMES[$i]}
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
		if kill -0 "$pid" 2>/dev/null; then
			hung=$((hung + 1))
			fail "$phase/${name%%.*}/client_${name#*.}" "still running $((120 * IT_TIME_SCALE)) s after it was told to stop (hung: $(cat /proc/$pid/wchan 2>/dev/null), state $(proc_state "$pid"))"
			kill -9 "$pid" 2>/dev/null
			continue
		fi
		wait "$pid"
		local st=$?
		line=$(grep '^cycles=' "$WORK/$phase.$name.out")
		info "$phase/${name%%.*}/client_${name#*.}_report" "$line"
		if [ $st -eq 0 ] && [ -n "$line" ]; then
			pass "$phase/${name%%.*}/client_${name#*.}"
		else
			fail "$phase/${name%%.*}/client_${name#*.}" "exit $st: ${line:-no report}; $(head -c 300 "$WORK/$phase.$name.err")"
		fi
	done
	[ $hung -eq 0 ] && pass "$phase/no_client_hung"
}

wait_for 10 test -e /dev/ashmem
rdev0=$(rdev_of /dev/ashmem)
info rdev "$rdev0"

# ---- a planned restart ----
start_clients planned
sleep $((10 * IT_TIME_SCALE))
old_pid=$(prop MainPID)
since=$(date '+%Y-%m-%d %H:%M:%S')
t0=$EPOCHREALTIME
if out=$(timeout $((300 * IT_TIME_SCALE)) systemctl restart "$UNIT" 2>&1) && unit_running; then
	info planned/restart_time "systemctl restart took $(elapsed_since "$t0") s"
	check planned/new_main_pid test "$(prop MainPID)" != "$old_pid"
else
	fail planned/restart "systemctl restart: $out; $(prop ActiveState)/$(prop SubState)"
fi
check planned/same_rdev test "$(rdev_of /dev/ashmem)" = "$rdev0"
resumed_line=$(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -m1 'resumed /dev/ashmem')
info planned/resumed "$resumed_line"
check planned/resumed_from_store grep -q 'planned restart' <<<"$resumed_line"
handed_line=$(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -m1 'handed over /dev/ashmem')
info planned/handed_over "$handed_line"
# the clients go on with the new daemon for a while
sleep $((15 * IT_TIME_SCALE))
finish_clients planned
check planned/daemon_still_running unit_running

# ---- a full stop removes the device ----
if out=$(timeout $((120 * IT_TIME_SCALE)) systemctl stop "$UNIT" 2>&1); then pass stop; else fail stop "$out"; fi
node_gone() { [ ! -e /dev/ashmem ]; }
if wait_for $((20 * IT_TIME_SCALE)) node_gone; then
	pass stop_removes_device
else
	fail stop_removes_device "/dev/ashmem still exists after systemctl stop; fd store: $(prop NFileDescriptorStore) fds"
fi
check stop_no_cuse_device test ! -e /sys/class/cuse/ashmem
journalctl -u "$UNIT" --no-pager -n 60 >&2
dpkg -P ashmemd >/dev/null 2>&1
it_finish
