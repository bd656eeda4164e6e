#!/bin/bash
# it-order: 80
# it-boot: systemd
# it-budget: 420
# it-build: demo m64 m32
# The Debian package under real systemd as PID 1: dpkg -i enables and starts ashmemd.service,
# which reports READY itself once /dev/ashmem (121:0, 0666), its alias and both sockets exist; a
# client maps a region through the installed preload library; the journal files the daemon's
# lines under their priorities without timestamps of its own; the watchdog restarts a daemon
# stopped with SIGSTOP and the node keeps its number; systemd-analyze verify accepts the unit;
# dpkg -r and -P leave nothing behind. The steps integration-tests/try shows run here too
# (lib/try-demo.sh); their output is saved as systemd.readme-demo.txt.
. "$IT_REPO/integration-tests/lib/suite.sh"
. "$IT_REPO/integration-tests/lib/try-demo.sh"

UNIT=ashmemd.service
APP_HOME=/usr/lib/ashmemd
RDEV="79:0" # 121:0 as stat's hex %t:%T
ALIAS=/dev/ashmem$(boot_id)

prop() { systemctl show -p "$1" --value "$UNIT" 2>/dev/null; }
unit_running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
# "TYPE MODE MAJOR:MINOR" of a node (following the alias if it is a link), in hex as stat gives it.
node_of() { stat -L -c '%F %a %t:%T' "$1" 2>&1; }
node_ok() { [ "$(node_of "$1")" = "character special file 666 $RDEV" ]; }
journal_json() { journalctl -u "$UNIT" -o json --no-pager "$@" 2>/dev/null; }

check pid1_is_systemd test "$(cat /proc/1/comm)" = systemd
state=$(systemctl is-system-running 2>&1)
if [ "$state" = running ]; then
	pass system_running
else
	fail system_running "systemctl is-system-running: $state; failed units: $(systemctl --failed --no-legend --plain 2>&1 | awk '{print $1}' | tr '\n' ' ')"
fi
if dpkg-query -W -f '${Status}' ashmemd 2>/dev/null | grep -q 'ok installed'; then
	fail clean_start "ashmemd is already installed in this machine's root; the suite installs it itself"
	it_finish
fi

# ---- install ----
t0=$EPOCHREALTIME
try_install dpkg_install || it_finish
info dpkg_install_time "dpkg -i took $(seconds_since "$t0") s (the postinst starts the unit and waits for READY)"
check unit_enabled test "$(systemctl is-enabled "$UNIT" 2>&1)" = enabled
# postinst made ashmemctl's class-data-sharing archive for this JVM, and ashmemctl maps it
check ctl_cds_archive sh -c "[ -s /var/cache/ashmemd/ashmemctl.jsa ] && [ \"\$(readlink /usr/lib/ashmemd/lib/ashmemctl.jsa)\" = /var/cache/ashmemd/ashmemctl.jsa ]"
check ctl_cds_archive_used sh -c "[ \"\$(ASHMEMCTL_JAVA_OPTS=-Xlog:class+load=info ashmemctl --version | grep -c 'shared objects file (top)')\" -gt 100 ]"
# made again by hand, as after a JVM upgrade (README): into the cache, the package's link kept
check ctl_cds_remade sh -c "/usr/lib/ashmemd/bin/ashmemctl-cds && [ \"\$(readlink /usr/lib/ashmemd/lib/ashmemctl.jsa)\" = /var/cache/ashmemd/ashmemctl.jsa ] && [ -s /var/cache/ashmemd/ashmemctl.jsa ]"
# LogsDirectory=: where the JVM's crash report goes (-XX:ErrorFile in the unit), kept after a crash
check crash_report_dir sh -c "[ \"\$(stat -c '%U %a' /var/log/ashmemd 2>&1)\" = 'root 700' ] && systemctl show -p Environment --value $UNIT | grep -q 'ErrorFile=/var/log/ashmemd/hs_err_pid%p.log'"
check exec_start_fixed_number sh -c "systemctl show -p ExecStart --value $UNIT | grep -q 'path=/usr/bin/ashmemd .*argv\[\]=/usr/bin/ashmemd .*--major 121 --minor 0'"
check type_notify test "$(prop Type)" = notify

# Running, or settled in a state that will not change by itself.
unit_settled() { unit_running || [[ "$(prop ActiveState)" =~ ^(inactive|failed)$ ]]; }
wait_for "$ASHMEMD_READY_TIMEOUT" unit_settled
if unit_running; then
	pass unit_active_running
else
	fail unit_active_running "$(prop ActiveState)/$(prop SubState) after $ASHMEMD_READY_TIMEOUT s; $(systemctl status "$UNIT" --no-pager -n 5 2>&1 | tail -n 5 | tr '\n' ' ')"
	journalctl -u "$UNIT" --no-pager -n 40 >&2
	it_finish
fi
# The status text is the daemon's own (sd_notify STATUS= with READY=1): systemd cannot have
# made it up, and a Type=notify unit is only "running" after READY=1.
status_text=$(prop StatusText)
info status_text "$status_text"
status_from_daemon() { [[ "$status_text" == "serving /dev/ashmem (char 121:0)"* ]]; }
check ready_from_daemon status_from_daemon
main_pid=$(prop MainPID)
check main_pid_is_the_jvm test "$(cat /proc/"$main_pid"/comm 2>&1)" = java
check no_restarts_yet test "$(prop NRestarts)" = 0
# postinst made the daemon's class-data-sharing archive before it started the unit, and the
# unit's JVM maps it (through the launcher; the VM's drop-in adds -XX:TieredStopAtLevel=1, which
# the archive allows)
daemon_cds_archive() { [ -s /var/cache/ashmemd/ashmemd.jsa ] && [ "$(readlink /usr/lib/ashmemd/lib/ashmemd.jsa)" = /var/cache/ashmemd/ashmemd.jsa ]; }
if daemon_cds_archive; then
	pass daemon_cds_archive
else
	fail daemon_cds_archive "no archive; ashmemd-cds printed: $(tail -c 600 /var/cache/ashmemd/ashmemd-cds.log 2>/dev/null || echo '(no log)')"
fi
check daemon_cds_archive_used grep -q ' /var/cache/ashmemd/ashmemd\.jsa$' "/proc/$main_pid/maps"
monotonic() { systemctl show -p "$1" --value "$UNIT" 2>/dev/null; }
info unit_ready_time "exec of the daemon to READY=1: $(awk -v a="$(monotonic ExecMainStartTimestampMonotonic)" -v b="$(monotonic ActiveEnterTimestampMonotonic)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }') s"
wd_usec=$(prop WatchdogUSec)
info watchdog "WatchdogUSec=$wd_usec"
watchdog_set() { [ -n "$wd_usec" ] && [ "$wd_usec" != 0 ] && [ "$wd_usec" != infinity ]; }
check watchdog_configured watchdog_set

# ---- what READY promised ----
# udev applies the package's rule (mode 0666) once the node appears: allow it a moment.
wait_for 10 node_ok /dev/ashmem
check node_0666_121_0 test "$(node_of /dev/ashmem)" = "character special file 666 $RDEV"
wait_for 10 node_ok "$ALIAS"
check alias_0666_121_0 test "$(node_of "$ALIAS")" = "character special file 666 $RDEV"
check broker_socket_0666 test "$(stat -c '%F %a' /run/ashmemd/broker.sock 2>&1)" = "socket 666"
check admin_socket_root_only sh -c "[ \"\$(stat -c '%F %U' /run/ashmemd/admin.sock 2>&1)\" = 'socket root' ] && [ \$((0\$(stat -c %a /run/ashmemd/admin.sock) & 7)) -eq 0 ]"

# ---- clients through the installed tree ----
# 64-bit: what integration-tests/try shows (the demo, ashmemctl status and regions); 32-bit: the
# same demo through the i386 preload library.
try_demo
lib=$APP_HOME/lib/native/i386/libashmemd-preload.so
if [ ! -r "$lib" ]; then
	fail m32/preload_installed "$lib is not in the package"
# env sets LD_PRELOAD for the demo only: timeout is a 64-bit program.
elif out=$(timeout $((120 * IT_TIME_SCALE)) env ASHMEMCTL=/usr/bin/ashmemctl LD_PRELOAD="$lib" "$IT_BUILD/m32/demo/ashmem-demo" 2>&1); then
	pass m32/demo
else
	fail m32/demo "ashmem-demo: $(grep -m1 FAILED <<<"$out" || tail -n 1 <<<"$out")"
fi
note "$out"

# ---- the journal ----
# A malformed broker request is logged as a warning: a line of known priority.
python3 - <<'EOF' 2>&1 || true
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/ashmemd/broker.sock")
s.sendall(b"\xff" * 64)
try:
    s.recv(16)
except OSError:
    pass
s.close()
EOF
sleep 2
journal_check() { # PID: judges the daemon's journal lines, prints a verdict per check
	journal_json _PID="$1" | python3 -c '
import json, re, sys
entries = [json.loads(l) for l in sys.stdin if l.strip()]
msgs = [(int(e.get("PRIORITY", "-1")), e.get("MESSAGE", "")) for e in entries]
msgs = [(p, m if isinstance(m, str) else bytes(m).decode("utf-8", "replace")) for p, m in msgs]
print("count", len(msgs))
info = [m for p, m in msgs if p == 6]
warn = [m for p, m in msgs if p == 4 and "malformed request" in m]
ready = [m for p, m in msgs if p == 6 and re.search(r"\bready\b", m)]
stamped = [m for p, m in msgs if re.match(r"\s*(\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d|\[?\d{4}-)", m)]
prefixed = [m for p, m in msgs if re.match(r"<\d>", m)]
print("info", len(info), (ready or info or [""])[0][:120])
print("warn", len(warn), (warn or [""])[0][:120])
print("stamped", len(stamped), (stamped or [""])[0][:120])
print("prefixed", len(prefixed), (prefixed or [""])[0][:120])
'
}
jc=$(journal_check "$main_pid")
note "$jc"
n=$(awk '$1 == "count" { print $2 }' <<<"$jc")
if [ "${n:-0}" -gt 0 ]; then pass journal_has_daemon_lines; else fail journal_has_daemon_lines "no journal entry from pid $main_pid of $UNIT"; fi
line_of() { awk -v k="$1" '$1 == k { $1 = ""; print substr($0, 2) }' <<<"$jc"; }
read -r c rest <<<"$(line_of info)"
if [ "${c:-0}" -gt 0 ]; then pass journal_info_priority_6; else fail journal_info_priority_6 "no line of the daemon at PRIORITY 6"; fi
read -r c rest <<<"$(line_of warn)"
if [ "${c:-0}" -gt 0 ]; then pass journal_warning_priority_4; else fail journal_warning_priority_4 "the malformed broker request was not logged at PRIORITY 4"; fi
read -r c rest <<<"$(line_of stamped)"
if [ "${c:-1}" -eq 0 ]; then pass journal_no_own_timestamps; else fail journal_no_own_timestamps "$c lines carry a timestamp of their own, e.g. $rest"; fi
read -r c rest <<<"$(line_of prefixed)"
if [ "${c:-1}" -eq 0 ]; then pass journal_no_raw_priority_prefix; else fail journal_no_raw_priority_prefix "$c lines show the <N> prefix as text, e.g. $rest"; fi
journalctl -u "$UNIT" --no-pager -o short-monotonic >&2

# ---- systemctl restart keeps the device number ----
old_pid=$main_pid
t0=$EPOCHREALTIME
if out=$(timeout $((180 * IT_TIME_SCALE)) systemctl restart "$UNIT" 2>&1) && unit_running; then
	main_pid=$(prop MainPID)
	info restart_time "systemctl restart took $(seconds_since "$t0") s"
	check restart_new_main_pid test "$main_pid" != "$old_pid"
	wait_for 10 node_ok /dev/ashmem
	check restart_same_rdev test "$(node_of /dev/ashmem)" = "character special file 666 $RDEV"
else
	fail restart_ready "systemctl restart: $out; $(prop ActiveState)/$(prop SubState)"
fi

# ---- the watchdog: a stopped JVM sends no WATCHDOG=1 ----
old_pid=$(prop MainPID)
restarts=$(prop NRestarts)
if ! watchdog_set; then
	fail watchdog_restarts_stopped_daemon "the unit sets no WatchdogSec= (WatchdogUSec=$wd_usec): nothing would catch a hung daemon"
elif ! unit_running; then
	fail watchdog_restarts_stopped_daemon "$UNIT is not running: $(prop ActiveState)/$(prop SubState)"
else
	since=$(date '+%Y-%m-%d %H:%M:%S')
	t0=$EPOCHREALTIME
	kill -STOP "$old_pid"
	restarted() { [ "$(prop NRestarts)" -gt "$restarts" ] && [ "$(prop MainPID)" != "$old_pid" ] && unit_running; }
	if wait_for $((ASHMEMD_READY_TIMEOUT + 120 * IT_TIME_SCALE)) restarted; then
		pass watchdog_restarts_stopped_daemon
		info watchdog_time "SIGSTOP to running again: $(seconds_since "$t0") s (NRestarts $restarts -> $(prop NRestarts))"
		# systemd says why it killed the daemon; journald may still be catching up under load.
		# the whole boot's journal (PID 1 logs to it: systemd.log_target=journal-or-kmsg)
		watchdog_logged() { journalctl --sync 2>/dev/null; journalctl --no-pager -b | grep -q "$UNIT: Watchdog timeout"; }
		if wait_for $((30 * IT_TIME_SCALE)) watchdog_logged; then
			pass watchdog_timeout_logged
		else
			fail watchdog_timeout_logged "no '$UNIT: Watchdog timeout' in this boot's journal; the unit's last lines: $(journalctl -u "$UNIT" --no-pager -b -n 4 2>&1 | tr '\n' ' ' | cut -c1-300)"
		fi
		check watchdog_old_jvm_gone sh -c "! kill -0 $old_pid 2>/dev/null"
		wait_for 10 node_ok /dev/ashmem
		check watchdog_same_rdev test "$(node_of /dev/ashmem)" = "character special file 666 $RDEV"
		check watchdog_alias_same_rdev test "$(node_of "$ALIAS")" = "character special file 666 $RDEV"
	else
		kill -CONT "$old_pid" 2>/dev/null
		fail watchdog_restarts_stopped_daemon "NRestarts $restarts -> $(prop NRestarts), MainPID $old_pid -> $(prop MainPID), $(prop ActiveState)/$(prop SubState); $(journalctl -u $UNIT --no-pager --since "$since" | tail -n 4 | tr '\n' ' ')"
	fi
fi

# ---- the unit as installed ----
fragment=$(prop FragmentPath)
info unit_file "$fragment"
verify_err=$(systemd-analyze verify "$fragment" 2>&1 >/dev/null)
verify_st=$?
if [ $verify_st -eq 0 ] && [ -z "$verify_err" ]; then
	pass analyze_verify_clean
else
	fail analyze_verify_clean "systemd-analyze verify $fragment: status $verify_st: $(tr '\n' ' ' <<<"$verify_err" | cut -c1-300)"
fi

# ---- removal ----
# What the package put on disk, to look for after the purge.
mapfile -t pkg_files < <(dpkg -L ashmemd 2>/dev/null | while read -r f; do [ -d "$f" ] || echo "$f"; done)
info package_files "${#pkg_files[@]} files"
if out=$(dpkg -r ashmemd 2>&1); then pass dpkg_remove; else fail dpkg_remove "$(tail -n 3 <<<"$out" | tr '\n' ' ')"; fi
note "$out"
check remove_unit_gone test "$(prop LoadState)" = not-found
# [o]rg: the pattern must not match this check's own command line.
check remove_no_daemon_process sh -c "! pgrep -f '[o]rg[.]ashmemd' >/dev/null"
nodes_gone() { [ ! -e /dev/ashmem ] && [ ! -e "$ALIAS" ]; }
check remove_nodes_gone nodes_gone
# The unit keeps /run/ashmemd over restarts (RuntimeDirectoryPreserve=: containers bind-mount
# it), so after a remove it may stay; the purge must take it.
[ -e /run/ashmemd ] && info remove_run_dir "/run/ashmemd stays until the purge"
check remove_cds_archive_gone test ! -e /var/cache/ashmemd
check remove_binaries_gone sh -c "[ ! -e /usr/bin/ashmemd ] && [ ! -e /usr/bin/ashmemctl ]"
app_home_empty() { [ -z "$(find "$APP_HOME" ! -type d 2>/dev/null)" ]; }
check remove_app_home_empty app_home_empty
if out=$(dpkg -P ashmemd 2>&1); then pass dpkg_purge; else fail dpkg_purge "$(tail -n 3 <<<"$out" | tr '\n' ' ')"; fi
note "$out"
not_known() { ! dpkg-query -W -f '${Status}' ashmemd 2>/dev/null | grep -q installed; }
check purge_not_known_to_dpkg not_known
no_links() { [ -z "$(find /etc/systemd/system -name 'ashmemd*' 2>&1)" ]; }
check purge_no_enable_link no_links
check purge_run_dir_gone test ! -e /run/ashmemd
check purge_log_dir_gone test ! -e /var/log/ashmemd # LogsDirectory=, for JVM crash reports
left_over() {
	local f left=()
	for f in "${pkg_files[@]}"; do [ -e "$f" ] || [ -L "$f" ] && left+=("$f"); done
	[ -e "$APP_HOME" ] && left+=("$APP_HOME")
	[ ${#left[@]} -eq 0 ] || { echo "left: ${left[*]}"; return 1; }
}
if [ ${#pkg_files[@]} -gt 0 ]; then
	check purge_nothing_left left_over
else
	fail purge_nothing_left "dpkg -L ashmemd listed no file before the removal"
fi
it_finish
