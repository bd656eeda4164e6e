# What integration-tests/try shows in the VM, as checks: sourced by suites/try.sh and
# suites/systemd.sh (systemd boot, after lib/suite.sh). Everything shown also goes to
# $IT_RESULTS/$IT_SUITE.readme-demo.txt (kept for the README) and, under `try`, to the console.

TRY_UNIT=ashmemd.service
TRY_PRELOAD=/usr/lib/ashmemd/lib/native/x86_64/libashmemd-preload.so
TRY_DEMO=$IT_BUILD/m64/demo/ashmem-demo
TRY_OUT=$IT_RESULTS/$IT_SUITE.readme-demo.txt
: >"$TRY_OUT"

# show: stdin (or the arguments) to the suite's output, the README capture and, under `try`,
# the VM's console, where the user watches.
show() {
	if [ $# -gt 0 ]; then printf '%s\n' "$*"; else cat; fi |
		if [ "${IT_CONSOLE:-0}" = 1 ]; then tee -a "$TRY_OUT" /dev/console; else tee -a "$TRY_OUT"; fi
}
try_prop() { systemctl show -p "$1" --value "$TRY_UNIT" 2>/dev/null; }
try_unit_running() { [ "$(try_prop ActiveState)/$(try_prop SubState)" = active/running ]; }
# Running, or settled in a state that will not change by itself.
try_unit_settled() { try_unit_running || [[ "$(try_prop ActiveState)" =~ ^(inactive|failed)$ ]]; }

# try_install CHECK_NAME: dpkg -i of the newest target/ashmemd_*_amd64.deb, shown; records
# CHECK_NAME; returns non-zero when there is no package or dpkg failed.
try_install() {
	local name=$1 deb out t0
	deb=$(ls -1 "$IT_REPO"/target/ashmemd_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$deb" ]; then
		fail "$name" "no $IT_REPO/target/ashmemd_*_amd64.deb (mvn package builds it)"
		show "no ashmemd package to install: build it with mvn package"
		return 1
	fi
	info deb "$(basename "$deb") ($(stat -c %s "$deb") bytes)"
	unit_start_timeout_scaled "$TRY_UNIT"
	show "== ashmemd in a VM: Linux $(uname -r) with CUSE, systemd $(systemctl --version | awk 'NR == 1 { print $2 }') as PID 1"
	show "\$ dpkg -i $(basename "$deb")    # its postinst enables and starts ashmemd.service"
	t0=$EPOCHREALTIME
	if out=$(dpkg -i "$deb" 2>&1); then
		show "$out"
		TRY_INSTALL_SECONDS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
		show "(installed and started in $TRY_INSTALL_SECONDS s: the JVM starts slowly under emulation)"
		pass "$name"
		return 0
	fi
	show "$out"
	fail "$name" "dpkg -i $(basename "$deb") failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
	return 1
}

# try_demo: systemctl status, the demo (keeping its region), ashmemctl status and regions.
# Records demo, ashmemctl_status and regions_lists_demo_region. Under `try --shell` the demo's
# region stays held for the user; otherwise it is released at the end.
try_demo() {
	local out st holder
	show ""
	show "\$ systemctl status ashmemd"
	SYSTEMD_COLORS=0 systemctl status "$TRY_UNIT" --no-pager -n 0 2>&1 | sed -n '1,/^ *CGroup:/p' | grep -v '^ *CGroup:' | show
	show ""
	show "== the demo: what an Android process does with /dev/ashmem, through the installed preload library"
	show "\$ LD_PRELOAD=$TRY_PRELOAD ashmem-demo --hold"
	out=$(timeout $((120 * IT_TIME_SCALE)) env ASHMEMCTL=/usr/bin/ashmemctl LD_PRELOAD="$TRY_PRELOAD" "$TRY_DEMO" --hold 2>&1)
	st=$?
	show "$out"
	if [ $st -eq 0 ]; then
		pass demo
	else
		fail demo "ashmem-demo exited with status $st: $(grep -m1 FAILED <<<"$out" || tail -n 1 <<<"$out")"
	fi
	holder=$(sed -n 's/^pid \([0-9]*\) keeps.*/\1/p' <<<"$out")
	show ""
	show "\$ ashmemctl status"
	out=$(/usr/bin/ashmemctl status 2>&1)
	st=$?
	show "$out"
	if [ $st -eq 0 ]; then pass ashmemctl_status; else fail ashmemctl_status "exit status $st: $(tail -n 1 <<<"$out")"; fi
	show ""
	show "\$ ashmemctl regions"
	out=$(/usr/bin/ashmemctl regions 2>&1)
	st=$?
	show "$out"
	if [ $st -eq 0 ] && grep -q demo-surface <<<"$out"; then
		pass regions_lists_demo_region
	else
		fail regions_lists_demo_region "exit status $st; no demo-surface in: $(head -n 3 <<<"$out" | tr '\n' ' ')"
	fi
	if [ -n "$holder" ] && [ "${IT_SHELL:-0}" != 1 ]; then
		kill "$holder" 2>/dev/null
	fi
}
