#!/bin/bash
# it-order: 10
# it-budget: 120
# it-build: bench/cuse-floor.c m64 -I/usr/include/fuse3 -lfuse3
# it-build: bench/floor-check.c m64 m32
# it-build: jvm java
# it-kernels: 6.1 6.12
# Proves the VM machinery without the daemon: the modules and mounts are there, CUSE works
# end to end with the project's minimal libfuse3 server (cuse-floor), for 64-bit and 32-bit
# clients, and the JVM resource probes work on a plain JVM.
. "$IT_REPO/integration-tests/lib/suite.sh"

# ---- the VM itself ----
check cuse_module_loaded test -d /sys/module/cuse
check dev_cuse_is_10_203 test "$(stat -c '%F %t:%T' /dev/cuse 2>&1)" = "character special file a:cb"
check overlay_available grep -qw overlay /proc/filesystems
check host_root_read_only sh -c "! touch '$IT_BUILD/.it-write-probe' 2>/dev/null"
check results_share_writable sh -c "echo x >'$IT_RESULTS/.probe' && rm '$IT_RESULTS/.probe'"
check tmp_writable_tmpfs sh -c 'test "$(stat -f -c %T /tmp)" = tmpfs && touch /tmp/.probe && rm /tmp/.probe'
check dev_shm_tmpfs test "$(stat -f -c %T /dev/shm 2>&1)" = tmpfs
check boot_id_present grep -Eq '^[0-9a-f-]{36}$' /proc/sys/kernel/random/boot_id

# ---- CUSE through the floor server ----
FLOOR_NAME=it-floor
FLOOR_LOG=$IT_RESULTS/$IT_SUITE.floor.log
"$IT_BUILD/m64/bench/cuse-floor" "$FLOOR_NAME" -f >"$FLOOR_LOG" 2>&1 </dev/null &
floor_pid=$!
echo "$floor_pid" >"$IT_STATE/floor.pid"
if wait_for $((20 * IT_TIME_SCALE)) test -c "/dev/$FLOOR_NAME"; then
	pass floor_device_created
	check floor_sysfs_matches_node test "$(cat /sys/class/cuse/$FLOOR_NAME/dev)" = \
		"$(printf '%d:%d' "0x$(stat -c %t /dev/$FLOOR_NAME)" "0x$(stat -c %T /dev/$FLOOR_NAME)")"
	check floor_node_mode_0600 test "$(stat -c %a "/dev/$FLOOR_NAME")" = 600
	for abi in m64 m32; do
		ASHMEM_DEV=/dev/$FLOOR_NAME run_checks "$abi/floor." "$IT_BUILD/$abi/bench/floor-check"
	done
	kill -TERM "$floor_pid"
	if wait_for 20 eval "! proc_running $floor_pid"; then
		wait "$floor_pid"
		st=$?
		check floor_stops_cleanly test "$st" = 0
		check floor_device_removed wait_for 5 test ! -e "/dev/$FLOOR_NAME"
	else
		kill -KILL "$floor_pid"
		fail floor_stops_cleanly "cuse-floor did not exit within 20 s of SIGTERM"
	fi
else
	fail floor_device_created "/dev/$FLOOR_NAME did not appear within $((20 * IT_TIME_SCALE)) s: $(tail -n 3 "$FLOOR_LOG" | tr '\n' ' ')"
	kill -KILL "$floor_pid" 2>/dev/null
fi
rm -f "$IT_STATE/floor.pid"

# ---- the resource probes, on a plain JVM ----
JVM_OUT=/tmp/idle.out
t0=$EPOCHREALTIME
java -XX:+UseSerialGC -cp "$IT_BUILD/jvm" Idle >"$JVM_OUT" 2>&1 </dev/null &
jvm_pid=$!
echo "$jvm_pid" >"$IT_STATE/idle-jvm.pid"
if wait_for $((90 * IT_TIME_SCALE)) grep -q '^ready' "$JVM_OUT"; then
	info jvm_start_time "a plain JVM printed its first line after $(seconds_since "$t0") s"
	t0=$EPOCHREALTIME
	if probe_jvm_attach "$jvm_pid"; then
		pass jcmd_attach
	else
		fail jcmd_attach "jcmd could not attach to a plain JVM"
	fi
	probe_all "$jvm_pid"
	info jvm_probe_time "full GC + heap + fd + thread probe took $(seconds_since "$t0") s"
	if [ -n "$HEAP_USED_BYTES" ]; then
		# 64 x 64 KiB are still referenced after the GC: the heap in use is at least 4 MiB.
		check jvm_heap_probe test "$HEAP_USED_BYTES" -ge 4194304
	else
		fail jvm_heap_probe "$HEAP_METHOD"
	fi
	check jvm_fd_probe test "${P_FDS:-0}" -ge 3
	check jvm_thread_probe test "${P_THREADS:-0}" -ge 5
	info jvm_probe_values "fds=$P_FDS threads=$P_THREADS heap_used=$HEAP_USED_BYTES rss_kb=$P_RSS_KB ($HEAP_METHOD)"
else
	fail jvm_start "a plain JVM did not start within $((90 * IT_TIME_SCALE)) s: $(tail -n 3 "$JVM_OUT" | tr '\n' ' ')"
fi
kill -KILL "$jvm_pid" 2>/dev/null
wait "$jvm_pid" 2>/dev/null
rm -f "$IT_STATE/idle-jvm.pid"
it_finish
