#!/usr/bin/env bash
# Runs every test of ashmemd: the unit tests (Maven), then the real-kernel suites in a QEMU VM
# (integration-tests/run; its options pass through). As root on Debian/Ubuntu it first installs
# every package the build and the suites need (scripts/packages.sh); anyone else is told the
# exact apt-get line.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/packages.sh

if ! packages_ensure test; then
	echo "test.sh: cannot run the tests without these packages" >&2
	exit 1
fi

mvn -B -ntp verify

set +e
integration-tests/run "$@"
rc=$?
set -e
if [[ $rc -eq 77 ]]; then
	# the VM suites could not run here: loud, and a failure where proof is required
	echo "test.sh: the real-kernel suites were SKIPPED (see above)" >&2
	[[ "${CI:-}" == "true" ]] && exit 1
	exit 0
fi
exit $rc
