#!/bin/bash
# it-order: 20
# it-budget: 240
# it-build: conformance m64 m32
# The C conformance programs of conformance/ against ashmemd's /dev/ashmem: every 64-bit program,
# then every 32-bit one, with a check after each that the daemon is still alive.
. "$IT_REPO/integration-tests/lib/suite.sh"

ORDER=(open name size prot pin purge rw share concurrent) # the rest follow alphabetically

daemon_start || it_finish
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE

if run_programs conformance "${ORDER[@]}"; then
	daemon_stop
fi
it_finish
