#!/bin/bash
# it-order: 50
# it-budget: 600
# it-build: service m64
# The daemon's side of running as a systemd service, with a datagram socket standing in for
# systemd's: the fixed device number (121:0 on node and alias, the same after a restart, a taken
# number refused in one line), READY=1 only once node, alias and both sockets exist, WATCHDOG=1 at
# half of $WATCHDOG_USEC while readers idle, no pings while a CUSE reader hangs inside a request
# (held there with ptrace, the rest of the JVM running), pings again once it returns.
. "$IT_REPO/integration-tests/lib/suite.sh"

MAJOR=121
HEX_NUMBERS=79:0 # stat's %t:%T of 121:0
NODE=/dev/$ASHMEMD_DEVICE
ALIAS=$NODE$(boot_id)
NOTIFY=/run/it-notify.sock
NLOG=$IT_RESULTS/$IT_SUITE.notify.log
WD=$((6 * IT_TIME_SCALE)) # WatchdogSec in seconds: pings every WD/2
SVC=$IT_BUILD/m64/service

uptime_now() { cut -d' ' -f1 /proc/uptime; }
rdev() { stat -c %t:%T "$1" 2>&1; }
rdev_followed() { stat -L -c %t:%T "$1" 2>&1; }
# ping times (listener clock) in [FROM, TO)
pings_between() { awk -v a="$1" -v b="$2" '$2 == "WATCHDOG=1" && $1 >= a && $1 < b { print $1 }' "$NLOG"; }
largest_gap() { awk -v p="$1" 'NR == 1 { prev = $1; next } { if ($1 - prev > g) g = $1 - prev; prev = $1 } END { printf "%.1f", (g == "" ? 0 : g) + 0 }'; }

# ---- a stand-in for systemd's notify socket ----
rm -f "$NLOG"
"$SVC/notify-listen" "$NOTIFY" "$NLOG" "$NODE" "$ALIAS" "$ASHMEMD_RUNTIME_DIR/broker.sock" \
	"$ASHMEMD_RUNTIME_DIR/admin.sock" </dev/null 2>>"$IT_RESULTS/$IT_SUITE.out" &
listener=$!
echo "$listener" >"$IT_STATE/notify-listen.pid"
wait_for 10 test -S "$NOTIFY" || fail notify_listener "the notify socket $NOTIFY did not appear"

# ---- first start: fixed number, as the unit runs it, with one reader so a hang is total ----
export NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=$((WD * 1000000))
daemon_start --major "$MAJOR" --minor 0 --workers 1 || { kill "$listener"; it_finish; }
unset NOTIFY_SOCKET WATCHDOG_USEC
jvm=$(daemon_jvm_pid)

check node_is_121_0 test "$(rdev "$NODE")" = "$HEX_NUMBERS"
check sysfs_says_121_0 test "$(cat /sys/class/cuse/$ASHMEMD_DEVICE/dev 2>&1)" = "$MAJOR:0"
check proc_devices_lists_121_ashmem grep -qx "$MAJOR $ASHMEMD_DEVICE" /proc/devices
check alias_is_a_link_to_the_node test "$(readlink "$ALIAS" 2>&1)" = "$ASHMEMD_DEVICE"
check alias_has_the_same_rdev test "$(rdev_followed "$ALIAS")" = "$HEX_NUMBERS"
check node_mode_0666 test "$(stat -c %a "$NODE")" = 666

wait_for 10 grep -q 'READY=1' "$NLOG"
check ready_sent grep -q ' READY=1 ' "$NLOG"
check ready_came_once test "$(grep -c ' READY=1 ' "$NLOG")" = 1
check ready_after_node_alias_and_sockets sh -c "test \$(grep -c 'ready-check ok' '$NLOG') = 4 && ! grep 'ready-check missing' '$NLOG'"
check ready_status_names_the_number grep -q "STATUS=serving $NODE (char $MAJOR:0)" "$NLOG"
check ready_mainpid_is_the_jvm grep -q "MAINPID=$jvm\\b" "$NLOG"

# ---- watchdog pings while every reader idles in read(2) ----
t0=$(uptime_now)
sleep $((WD * 2))
t1=$(uptime_now)
idle_pings=$(pings_between "$t0" "$t1")
n=$(printf '%s\n' "$idle_pings" | grep -c .)
gap=$(printf '%s\n' "$idle_pings" | largest_gap)
info watchdog_idle "$n pings in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (WATCHDOG_USEC ${WD}s), largest gap ${gap} s"
check watchdog_pings_while_idle test "$n" -ge 3
check watchdog_ping_gap_below_interval awk -v g="$gap" -v w="$WD" 'BEGIN { exit !(g < w) }'

# ---- a taken number is refused in one clear line ----
SECOND_LOG=$IT_RESULTS/$IT_SUITE.second.log
# with the VM's JIT setting, as daemon_start gives every daemon (the README's TCG caveats)
jvm_run_once_more taken_number "$SECOND_LOG" env ASHMEMD_JAVA_OPTS="${DAEMON_JIT_OPTS:-}" \
	timeout $((150 * IT_TIME_SCALE)) "$ASHMEMD" --device "$ASHMEMD_DEVICE-b" --runtime-dir /run/ashmemd-b \
	--major "$MAJOR" --minor 0
st=$?
check taken_number_exit_69 test "$st" = 69
check taken_number_says_so grep -q "device number $MAJOR:0 for /dev/$ASHMEMD_DEVICE-b is taken or invalid (/proc/devices lists major $MAJOR for $ASHMEMD_DEVICE)" "$SECOND_LOG"
check taken_number_leaves_no_node test ! -e "/dev/$ASHMEMD_DEVICE-b"
check first_daemon_unharmed test "$(rdev "$NODE")" = "$HEX_NUMBERS"
note "second daemon said: $(grep -v '^$' "$SECOND_LOG" | tail -n 2)"

# ---- a reader hung inside a request stops the pings ----
# A first open warms the OPEN path up: a reader held while it loads a class would hold the lock
# of the jar too, and the whole JVM with it, which is a frozen JVM, not one hung request.
check warm_up_open sh -c "exec 3<'$NODE'"
HANG_OUT=/tmp/hang-reader.out
"$SVC/hang-reader" "$jvm" cuse-reader-1 >"$HANG_OUT" 2>&1 </dev/null &
hanger=$!
echo "$hanger" >"$IT_STATE/hang-reader.pid"
sleep 1
CLIENT_OUT=/tmp/hang-client.out
sh -c "exec 3<'$NODE' && echo opened" >"$CLIENT_OUT" 2>&1 </dev/null &
client=$!
if wait_for $((20 * IT_TIME_SCALE)) grep -q '^hung' "$HANG_OUT"; then
	t_hang=$(awk '/^hung/ { print $4 }' "$HANG_OUT")
	pass reader_held_inside_a_request
	info reader_held "$(head -n 1 "$HANG_OUT") (thread id, the system call it is stopped at, when)"
	sleep $((WD * 5 / 2))
	check client_blocked_meanwhile sh -c "kill -0 $client && ! grep -q opened '$CLIENT_OUT'"
	check hang_reported grep -q "cuse-reader-1 has been inside one OPEN request for .* longer than the watchdog interval" "$DAEMON_LOG"
	t_release=$(uptime_now)
	last=$(pings_between 0 "$t_release" | tail -n 1)
	silence=$(awk -v a="${last:-0}" -v b="$t_release" 'BEGIN { printf "%.1f", b - a }')
	info watchdog_hung "held at ${t_hang}, released at ${t_release}, last ping at ${last:-none}: ${silence} s without a ping"
	# systemd fires once WD passes without a ping
	check watchdog_silent_longer_than_interval awk -v s="$silence" -v w="$WD" 'BEGIN { exit !(s > w) }'
	check watchdog_pinged_until_the_hang_was_due awk -v l="${last:-0}" -v h="$t_hang" 'BEGIN { exit !(l > h) }'
	kill -TERM "$hanger"
	wait "$hanger"
	check client_answered_after_release wait_for 20 grep -q opened "$CLIENT_OUT"
	check watchdog_pings_resume wait_for $((WD * 2)) sh -c "awk -v r='$t_release' '\$2 == \"WATCHDOG=1\" && \$1 > r { f = 1 } END { exit !f }' '$NLOG'"
	check resume_reported grep -q "watchdog pings resume" "$DAEMON_LOG"
else
	fail reader_held_inside_a_request "hang-reader did not catch cuse-reader-1 in a request: $(tr '\n' ' ' <"$HANG_OUT")"
	kill -TERM "$hanger" 2>/dev/null
fi
wait "$client" 2>/dev/null
rm -f "$IT_STATE/hang-reader.pid"
daemon_check_alive daemon_survives_the_hang

daemon_stop
check stopping_sent grep -q ' STOPPING=1' "$NLOG"

# ---- a second start gets the same number ----
if daemon_start --major "$MAJOR" --minor 0; then
	check restart_node_is_121_0 test "$(rdev "$NODE")" = "$HEX_NUMBERS"
	check restart_alias_same_rdev test "$(rdev_followed "$ALIAS")" = "$HEX_NUMBERS"
	daemon_stop
fi
check no_watchdog_without_notify_socket test "$(grep -c 'Watchdog: WATCHDOG=1 every' "$DAEMON_LOG")" = 1

kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
rm -f "$IT_STATE/notify-listen.pid" "$NOTIFY"
it_finish
