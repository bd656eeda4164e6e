#!/usr/bin/env bash
# Starts ashmemd in the foreground from a source checkout, building it first when needed.
# Arguments go to ashmemd (see ./start.sh --help). Needs root and a kernel with CUSE.
#   ./start.sh --vm   tries ashmemd in a VM instead, on any machine (no CUSE needed)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/packages.sh

if [[ "${1:-}" == --vm ]]; then
	shift
	exec integration-tests/try "$@"
fi

if [[ ! -x target/dist/bin/ashmemd || -n "$(find src pom.xml -newer target/dist/lib/ashmemd.jar -print -quit 2>/dev/null)" ]]; then
	if ! packages_ensure build; then
		echo "start.sh: cannot build ashmemd without these packages" >&2
		exit 1
	fi
	mvn -B -q -ntp package -DskipTests
fi

case " $* " in
*" -h "* | *" --help "* | *" -V "* | *" --version "*) exec target/dist/bin/ashmemd "$@" ;;
esac
if [[ ! -e /dev/cuse ]]; then
	# not fatal: no modprobe (a minimal container), or no cuse module, both mean the line below
	if [[ $(id -u) -eq 0 ]]; then modprobe cuse 2>/dev/null || true; fi
	if [[ ! -e /dev/cuse ]]; then
		echo "start.sh: this kernel has no CUSE (no cuse.ko for $(uname -r)); try ashmemd in a VM instead: ./start.sh --vm" >&2
		exit 69
	fi
fi
exec target/dist/bin/ashmemd "$@"
