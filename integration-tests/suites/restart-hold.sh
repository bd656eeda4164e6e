#!/bin/bash
# it-order: 55
# it-budget: 900
# it-kernels: 6.1 6.12
# it-build: restart m64 m32
# it-default: no
# Restart without loss without systemd: `ashmemd --hold` keeps what the daemon parks
# (--fd-store) and starts it again. While 8 clients (4 64-bit, 4 32-bit, restart/client.c, mmap
# through the preload library) loop over create/name/size/map/write/unpin/pin/verify/close: a
# planned restart (SIGHUP to the holder) and a crash (kill -9 of the daemon) keep every region
# with its data, names, sizes and st_rdev, no client errors (EINTR retried) and no hung client;
# SIGTERM to the holder removes the device.
. "$IT_REPO/integration-tests/lib/suite.sh"
PRELOAD_DIR=$IT_REPO/target/dist/lib/native
WORK=/tmp/it-restart-hold
. "$IT_REPO/integration-tests/lib/restart-clients.sh"
mkdir -p "$WORK"
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock
rdev_of() { stat -L -c '%t:%T' "$1" 2>/dev/null; }
log_count() { grep -c "$1" "$DAEMON_LOG" 2>/dev/null; }
# The daemon's JVM: the holder's child.
daemon_child() { cat /proc/"$DAEMON_PID"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -m1 .; }

daemon_start --hold --major 121 --minor 0 || it_finish
check holder_is_parent test -n "$(daemon_child)"
rdev0=$(rdev_of /dev/$ASHMEMD_DEVICE)
info rdev "$rdev0"

# ---- a planned restart: SIGHUP to the holder ----
start_clients planned
sleep $((10 * IT_TIME_SCALE))
resumed0=$(log_count 'resumed /dev/')
old_child=$(daemon_child)
kill -HUP "$DAEMON_PID"
resumed() { [ "$(log_count 'resumed /dev/')" -gt "$1" ]; }
if wait_for $((ASHMEMD_READY_TIMEOUT + 60 * IT_TIME_SCALE)) resumed "$resumed0"; then
	pass planned/resumed
	info planned/resumed_line "$(grep 'resumed /dev/' "$DAEMON_LOG" | tail -n 1)"
	check planned/clean_hand_over sh -c "grep 'resumed /dev/' '$DAEMON_LOG' | tail -n 1 | grep -q 'planned restart'"
	check planned/new_child test "$(daemon_child)" != "$old_child"
else
	fail planned/resumed "no new 'resumed' line after SIGHUP; $(tail -n 3 "$DAEMON_LOG" | tr '\n' ' ')"
fi
check planned/same_rdev test "$(rdev_of /dev/$ASHMEMD_DEVICE)" = "$rdev0"
sleep $((15 * IT_TIME_SCALE))
finish_clients planned

# ---- a crash: kill -9 of the daemon ----
start_clients crash
sleep $((10 * IT_TIME_SCALE))
resumed0=$(log_count 'resumed /dev/')
old_child=$(daemon_child)
kill -9 "$old_child"
if wait_for $((ASHMEMD_READY_TIMEOUT + 60 * IT_TIME_SCALE)) resumed "$resumed0"; then
	pass crash/resumed
	info crash/resumed_line "$(grep 'resumed /dev/' "$DAEMON_LOG" | tail -n 1)"
	check crash/unclean_noticed sh -c "grep 'resumed /dev/' '$DAEMON_LOG' | tail -n 1 | grep -q 'did not stop cleanly'"
	info crash/in_flight "$(grep -E 're-sent by the kernel|released the callers' "$DAEMON_LOG" | tail -n 1)"
else
	fail crash/resumed "no new 'resumed' line after kill -9; $(tail -n 3 "$DAEMON_LOG" | tr '\n' ' ')"
fi
check crash/same_rdev test "$(rdev_of /dev/$ASHMEMD_DEVICE)" = "$rdev0"
sleep $((15 * IT_TIME_SCALE))
finish_clients crash

# ---- SIGTERM to the holder: the device goes ----
daemon_stop
it_finish
