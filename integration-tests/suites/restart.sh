#!/bin/bash
# it-order: 85
# it-boot: systemd
# it-budget: 900
# it-kernels: 6.1 6.12
# it-build: restart m64 m32
# Restart without loss under real systemd: the installed unit parks /dev/cuse, every region's
# memfd and the state in systemd's fd store (--fd-store, FileDescriptorStoreMax=). While 8
# clients (4 64-bit, 4 32-bit, restart/client.c, mmap through the preload library) loop over
# create/name/size/map/write/unpin/pin/verify/close, `systemctl restart ashmemd` hands the device
# over: afterwards every client's regions are all there with their data (old mappings and fresh
# mappings of old fds), names and sizes, st_rdev never changed, 0 client errors, no client hung.
# The same with `kill -9` of the daemon (systemd's Restart= starts it again; requests it held are
# re-sent by the kernel on 6.9+, answered with EINTR or their recorded reply on 6.1, and the
# clients retry EINTR as libcutils does). A device whose connection is aborted (sysfs abort)
# makes the daemon fail; systemd starts it again with a new device and nothing of the old one
# left in the store. A unit that fails (its next daemon cannot start, Restart=
# gives up) has its store released: the device goes and a call waiting for a daemon ends with an
# error. Then `systemctl stop` removes the device (the store is released when the unit goes
# inactive).
. "$IT_REPO/integration-tests/lib/suite.sh"
. "$IT_REPO/integration-tests/lib/try-demo.sh"

UNIT=ashmemd.service
APP_HOME=/usr/lib/ashmemd
WORK=/run/it-restart
PRELOAD_DIR=$APP_HOME/lib/native
. "$IT_REPO/integration-tests/lib/restart-clients.sh"
prop() { systemctl show -p "$1" --value "$UNIT" 2>/dev/null; }
unit_running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
rdev_of() { stat -L -c '%t:%T' "$1" 2>/dev/null; }
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

if dpkg-query -W -f '${Status}' ashmemd 2>/dev/null | grep -q 'ok installed'; then
	fail clean_start "ashmemd is already installed in this machine's root; the suite installs it itself"
	it_finish
fi
try_install dpkg_install || it_finish
# A planned stop drains the readers and waits for tokens just handed out (up to 5 s), and the JVM
# exits slowly under TCG on a shared machine: the stop gets the same scaling as the start.
if [ "$IT_TIME_SCALE" -gt 1 ]; then
	mkdir -p "/run/systemd/system/$UNIT.d"
	printf '[Service]\nTimeoutStopSec=%s\n' $((20 * IT_TIME_SCALE)) >"/run/systemd/system/$UNIT.d/it-stop-timing.conf"
	systemctl daemon-reload
fi
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
jvm_run_once_more planned/status "$WORK/status.out" timeout $((120 * IT_TIME_SCALE)) ashmemctl status
status_out=$(cat "$WORK/status.out")
info planned/status "$(grep -A1 '^restart' <<<"$status_out" | tr '\n' ' ')"
check planned/status_says_so grep -qE '^restart  kept: .*started by a planned restart: [0-9]+ regions resumed, 0 lost$' <<<"$status_out"
handed_line=$(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -m1 'handed over /dev/ashmem')
info planned/handed_over "$handed_line"
# the clients go on with the new daemon for a while
sleep $((15 * IT_TIME_SCALE))
finish_clients planned
check planned/daemon_still_running unit_running

# ---- a crash: kill -9 of the daemon, systemd starts it again ----
start_clients crash
sleep $((10 * IT_TIME_SCALE))
old_pid=$(prop MainPID)
restarts=$(prop NRestarts)
since=$(date '+%Y-%m-%d %H:%M:%S')
t0=$EPOCHREALTIME
kill -9 "$old_pid"
restarted() { [ "$(prop NRestarts)" -gt "$restarts" ] && [ "$(prop MainPID)" != "$old_pid" ] && unit_running; }
if wait_for $((ASHMEMD_READY_TIMEOUT + 60 * IT_TIME_SCALE)) restarted; then
	pass crash/restarted
	info crash/restart_time "kill -9 to running again: $(elapsed_since "$t0") s"
	info crash/systemd_under_load "$(systemd_report "$UNIT")"
else
	fail crash/restarted "$(prop ActiveState)/$(prop SubState), NRestarts $(prop NRestarts); $(systemd_report "$UNIT")"
fi
check crash/same_rdev test "$(rdev_of /dev/ashmem)" = "$rdev0"
resumed_line=$(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -m1 'resumed /dev/ashmem')
info crash/resumed "$resumed_line"
check crash/resumed_from_store grep -q 'did not stop cleanly' <<<"$resumed_line"
jvm_run_once_more crash/status "$WORK/status.out" timeout $((120 * IT_TIME_SCALE)) ashmemctl status
status_out=$(cat "$WORK/status.out")
info crash/status "$(grep -A1 '^restart' <<<"$status_out" | tr '\n' ' ')"
check crash/status_says_so grep -qE '^restart  kept: .*started after the previous daemon died: [0-9]+ regions resumed, 0 lost$' <<<"$status_out"
info crash/in_flight "$(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -m1 -E 're-sent by the kernel|released the callers' || echo 'no request was in flight')"
sleep $((15 * IT_TIME_SCALE))
finish_clients crash
check crash/daemon_still_running unit_running

# ---- the device's connection is aborted: the daemon exits, systemd starts it with a new device ----
# Writing to /sys/class/cuse/ashmem/abort ends the connection as a kernel-side failure would. The
# daemon must fail (Restart=on-failure), and what it had in the store must not outlive the device:
# the next daemon creates a new device (same number) and the store holds only what that one
# parked: cuse, inflight, state-1, memory-1. Taking over the dead channel instead would fail at
# every restart until systemd gave up.
old_pid=$(prop MainPID)
restarts=$(prop NRestarts)
since=$(date '+%Y-%m-%d %H:%M:%S')
t0=$EPOCHREALTIME
if echo 1 >/sys/class/cuse/ashmem/abort 2>/dev/null; then
	if wait_for $((ASHMEMD_READY_TIMEOUT + 60 * IT_TIME_SCALE)) restarted; then
		pass lost/restarted
		info lost/restart_time "abort to running again: $(elapsed_since "$t0") s"
	else
		fail lost/restarted "$(prop ActiveState)/$(prop SubState), NRestarts $(prop NRestarts); $(journalctl -u "$UNIT" --no-pager --since "$since" 2>&1 | tail -n 6 | tr '\n' ' ')"
	fi
	info lost/exit "$(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -m1 -E 'connection ended|no longer served')"
	check lost/new_device sh -c "! journalctl -u $UNIT --no-pager --since '$since' | grep -q 'resumed /dev/ashmem'"
	check lost/same_rdev test "$(rdev_of /dev/ashmem)" = "$rdev0"
	check lost/store_holds_only_the_new_device test "$(prop NFileDescriptorStore)" = 4
else
	fail lost/abort "cannot write /sys/class/cuse/ashmem/abort"
fi

# ---- a unit that fails: systemd releases the store, the device goes, a waiting caller gets an error ----
# The next daemon cannot start (ExecStart=/bin/false in a drop-in): Restart= tries 5 times and the
# unit ends up failed. A call made while no daemon serves waits in the kernel; it must end with an
# error once the unit has failed, not hang for good.
LD_PRELOAD= "$IT_BUILD/m64/restart/held-call" "$WORK/held.go" >"$WORK/held.out" 2>&1 &
held_pid=$!
held_open() { grep -q '^open' "$WORK/held.out"; }
wait_for $((30 * IT_TIME_SCALE)) held_open
old_pid=$(prop MainPID)
mkdir -p "/run/systemd/system/$UNIT.d"
printf '[Service]\nExecStart=\nExecStart=/bin/false\n' >"/run/systemd/system/$UNIT.d/it-fail.conf"
systemctl daemon-reload
systemctl restart --no-block "$UNIT"
old_gone() { ! kill -0 "$old_pid" 2>/dev/null; }
wait_for $((120 * IT_TIME_SCALE)) old_gone
touch "$WORK/held.go"
unit_failed() { [ "$(prop ActiveState)" = failed ]; }
if wait_for $((120 * IT_TIME_SCALE)) unit_failed; then
	pass failed/unit_failed
	info failed/restarts "NRestarts $(prop NRestarts), result $(prop Result)"
else
	fail failed/unit_failed "$(prop ActiveState)/$(prop SubState) after $((120 * IT_TIME_SCALE)) s"
fi
held_done() { ! kill -0 "$held_pid" 2>/dev/null; }
if wait_for $((30 * IT_TIME_SCALE)) held_done; then
	info failed/waiting_call "$(tail -n 1 "$WORK/held.out")"
	check failed/waiting_call_errors grep -q '^errno=' "$WORK/held.out"
else
	fail failed/waiting_call_errors "the call made while no daemon served still waits $((30 * IT_TIME_SCALE)) s after the unit failed (fd store: $(prop NFileDescriptorStore) fds)"
	kill -9 "$held_pid" 2>/dev/null
fi
wait "$held_pid" 2>/dev/null
check failed/store_released test "$(prop NFileDescriptorStore)" = 0
check failed/device_gone test ! -e /dev/ashmem
rm -f "/run/systemd/system/$UNIT.d/it-fail.conf"
systemctl daemon-reload
systemctl reset-failed "$UNIT"
since=$(date '+%Y-%m-%d %H:%M:%S')
started=0
if out=$(timeout $((300 * IT_TIME_SCALE)) systemctl start "$UNIT" 2>&1) && unit_running; then
	started=1
elif wait_for $((ASHMEMD_READY_TIMEOUT + 60 * IT_TIME_SCALE)) unit_running; then
	# The first daemon died and Restart= started the next, as the unit intends. Under TCG that
	# happens now and then to a starting JVM (SIGILL or SIGSEGV in code its JIT just patched).
	started=1
	info failed/start_needed_restart "systemctl start: $out; running after Restart=; the JVM's report: $(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -E -m1 '#  SIG[A-Z]+ ' | sed 's/.*#  //') in $(journalctl -u "$UNIT" --no-pager --since "$since" 2>/dev/null | grep -A1 -m1 'Problematic frame' | tail -n 1 | sed 's/.*# //')"
fi
if [ $started = 1 ]; then
	pass failed/starts_again
	check failed/same_rdev_new_device test "$(rdev_of /dev/ashmem)" = "$rdev0"
else
	fail failed/starts_again "systemctl start: $out; $(prop ActiveState)/$(prop SubState)"
fi

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
