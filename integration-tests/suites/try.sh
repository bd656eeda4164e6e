#!/bin/bash
# it-order: 90
# it-boot: systemd
# it-budget: 240
# What integration-tests/try (./start.sh --vm) shows, checked: the package installed under real
# systemd, ashmemd.service running, the Android-like demo (create, name, size, map, share with a
# second process, unpin, purge, pin -> ASHMEM_WAS_PURGED) through the installed preload library,
# then `ashmemctl status` and `ashmemctl regions` with the demo's region still held. What it
# prints is saved as try.readme-demo.txt for the README and, under `try`, shown on the console.
. "$IT_REPO/integration-tests/lib/suite.sh"

UNIT=ashmemd.service
PRELOAD=/usr/lib/ashmemd/lib/native/x86_64/libashmemd-preload.so
DEMO=$IT_BUILD/m64/demo/ashmem-demo
README_OUT=$IT_RESULTS/$IT_SUITE.readme-demo.txt
: >"$README_OUT"

# show: stdin (or the arguments) to the suite's output, the README capture and, under `try`,
# the VM's console, where the user watches.
show() {
	if [ $# -gt 0 ]; then printf '%s\n' "$*"; else cat; fi |
		if [ "$IT_CONSOLE" = 1 ]; then tee -a "$README_OUT" /dev/console; else tee -a "$README_OUT"; fi
}
prop() { systemctl show -p "$1" --value "$UNIT" 2>/dev/null; }
unit_running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }

show "== ashmemd in a VM: Linux $(uname -r) with CUSE, systemd $(systemctl --version | awk 'NR == 1 { print $2 }') as PID 1"
if ! dpkg-query -W -f '${Status}' ashmemd 2>/dev/null | grep -q 'ok installed'; then
	DEB=$(ls -1 "$IT_REPO"/target/ashmemd_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$DEB" ]; then
		fail package_installed "no $IT_REPO/target/ashmemd_*_amd64.deb (mvn package builds it)"
		show "no ashmemd package to install: build it with mvn package"
		it_finish
	fi
	show "\$ dpkg -i $(basename "$DEB")    # its postinst enables and starts ashmemd.service"
	unit_start_timeout_scaled ashmemd.service
	t0=$EPOCHREALTIME
	if out=$(dpkg -i "$DEB" 2>&1); then
		pass package_installed
		show "$out"
		show "(installed and started in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s; the JVM starts slowly under emulation)"
	else
		fail package_installed "dpkg -i: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
		show "$out"
		it_finish
	fi
else
	pass package_installed
fi
unit_settled() { unit_running || [[ "$(prop ActiveState)" =~ ^(inactive|failed)$ ]]; }
wait_for "$ASHMEMD_READY_TIMEOUT" unit_settled
if unit_running; then
	pass daemon_running
else
	fail daemon_running "$UNIT is $(prop ActiveState)/$(prop SubState)"
	systemctl status "$UNIT" --no-pager -n 20 2>&1 | show
	it_finish
fi
show ""
show "\$ systemctl status ashmemd"
SYSTEMD_COLORS=0 systemctl status "$UNIT" --no-pager -n 0 2>&1 | sed -n '1,/^ *CGroup:/p' | grep -v '^ *CGroup:' | show
show ""
show "== the demo: what an Android process does with /dev/ashmem (through $PRELOAD)"
show "\$ ashmem-demo --hold"
demo_out=$(ASHMEMCTL=/usr/bin/ashmemctl LD_PRELOAD=$PRELOAD timeout $((120 * IT_TIME_SCALE)) "$DEMO" --hold 2>&1)
demo_st=$?
show "$demo_out"
if [ $demo_st -eq 0 ]; then
	pass demo
else
	fail demo "ashmem-demo exited with status $demo_st: $(grep -m1 FAILED <<<"$demo_out" || tail -n 1 <<<"$demo_out")"
fi
holder=$(sed -n 's/^pid \([0-9]*\) keeps.*/\1/p' <<<"$demo_out")
show ""
show "\$ ashmemctl status"
out=$(/usr/bin/ashmemctl status 2>&1)
st=$?
show "$out"
[ $st -eq 0 ] && pass ashmemctl_status || fail ashmemctl_status "exit status $st: $(tail -n 1 <<<"$out")"
show ""
show "\$ ashmemctl regions"
out=$(COLUMNS=100 /usr/bin/ashmemctl regions 2>&1)
st=$?
show "$out"
if [ $st -eq 0 ] && grep -q demo-surface <<<"$out"; then
	pass regions_lists_demo_region
else
	fail regions_lists_demo_region "exit status $st; no demo-surface in: $(head -n 3 <<<"$out" | tr '\n' ' ')"
fi
# Under `try` the region stays for the user to look at; in a test run it goes now.
if [ -n "$holder" ] && [ "$IT_SHELL" != 1 ]; then
	kill "$holder" 2>/dev/null
fi
it_finish
