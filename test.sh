#!/usr/bin/env bash
# Runs every test of ashmemd: the unit tests (Maven), then the real-kernel suites in a QEMU VM
# (integration-tests/run). Installs what it needs on Debian/Ubuntu when run as root.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v make >/dev/null 2>&1 || need+=(make)
if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "test.sh: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
        exit 1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
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
