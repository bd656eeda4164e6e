#!/bin/bash
# it-order: 90
# it-boot: systemd
# it-budget: 240
# it-default: no
# it-build: demo m64
# What integration-tests/try (./start.sh --vm) runs in the VM: the package installed under real
# systemd, ashmemd.service running, the Android-like demo (create, name, size, map, share with a
# second process, unpin, purge, pin -> ASHMEM_WAS_PURGED) through the installed preload library,
# `ashmemctl status` and `ashmemctl regions` with the demo's region still held; each step
# checked. The default run covers the same steps inside the systemd suite (lib/try-demo.sh).
. "$IT_REPO/integration-tests/lib/suite.sh"
. "$IT_REPO/integration-tests/lib/try-demo.sh"

if dpkg-query -W -f '${Status}' ashmemd 2>/dev/null | grep -q 'ok installed'; then
	pass package_installed
else
	try_install package_installed || it_finish
fi
wait_for "$ASHMEMD_READY_TIMEOUT" try_unit_settled
if try_unit_running; then
	pass daemon_running
else
	fail daemon_running "$TRY_UNIT is $(try_prop ActiveState)/$(try_prop SubState)"
	systemctl status "$TRY_UNIT" --no-pager -n 20 2>&1 | show
	it_finish
fi
try_demo
it_finish
