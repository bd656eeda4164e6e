#!/bin/bash
# it-order: 25
# it-budget: 240
# it-build: mapping m64 m32
# Regions after their first mmap (mapping/), through the preload library of the caller's ABI:
# the mmap, mprotect, read, lseek, pin and purge rules of docs/ashmem-semantics.md, GET_FILE_ID and
# /proc/PID/maps, sharing between processes, and map/unmap cycles without fd leaks in the daemon
# or the client; that the library holds no fd of its own after any call returns (fds); and that
# it finds the broker without ASHMEMD_BROKER where Android containers see it. 64-bit programs,
# then 32-bit ones. MAPPING_PRELOAD_DIR=DIR (DIR/<arch>/libashmemd-preload.so) tests another
# build of the library, e.g. an older one, to see which tests it fails.
. "$IT_REPO/integration-tests/lib/suite.sh"

ORDER=(mmap fds mprotect seek pin ident share cycles) # the rest follow alphabetically
# The 32-bit cycles reach the same daemon code as the 64-bit ones; fewer keep the budget.
declare -A CYCLES=([m64]=${MAPPING_CYCLES:-10000} [m32]=${MAPPING_CYCLES_M32:-1000})

preload_libraries "${MAPPING_PRELOAD_DIR:-}"

daemon_start || it_finish
export ASHMEM_DEV=/dev/$ASHMEMD_DEVICE
export ASHMEMD_BROKER=$ASHMEMD_RUNTIME_DIR/broker.sock
ASHMEMD_PID=$(daemon_jvm_pid)
export ASHMEMD_PID
info daemon_fds_at_start "$(probe_fds "$ASHMEMD_PID") fds (JVM pid $ASHMEMD_PID)"

[ -z "${MAPPING_PRELOAD_DIR:-}" ] || note "testing the preload libraries in $MAPPING_PRELOAD_DIR"

# Without ASHMEMD_BROKER the library tries /run/ashmemd/broker.sock, then, when that does not
# exist, /dev/ashmemd/broker.sock (where an Android container sees the directory): in a mount
# namespace the runtime directory is bind-mounted there and hidden under an empty tmpfs.
default_path() {
	local abi=$1
	run_checks "$abi/broker_default_path/" unshare --mount --propagation private sh -c \
		'mount --bind "$1" /dev/ashmemd && mount -t tmpfs -o mode=0755 hidden "$1" || exit 3
		 if [ -e /run/ashmemd/broker.sock ] || [ ! -S /dev/ashmemd/broker.sock ]; then
			echo "default_path: the broker is still at /run/ashmemd or not at /dev/ashmemd" >&2
			exit 3
		 fi
		 exec env -u ASHMEMD_BROKER LD_PRELOAD="$2" "$3" shared_mapping fork_in_between' \
		sh "$ASHMEMD_RUNTIME_DIR" "${PRELOAD[$abi]}" "$IT_BUILD/$abi/mapping/fds"
}

made_dev_dir=0
if [ ! -e /dev/ashmemd ]; then
	mkdir /dev/ashmemd && made_dev_dir=1
fi
before_abi() { default_path "$1"; }
run_program() { MAPPING_CYCLES=${CYCLES[$1]} LD_PRELOAD=${PRELOAD[$1]} run_checks "$1/" "$2"; }
run_programs mapping "${ORDER[@]}"
survived=$?
[ "$made_dev_dir" -eq 0 ] || rmdir /dev/ashmemd
if [ "$survived" -eq 0 ]; then
	info daemon_fds_at_end "$(probe_fds "$ASHMEMD_PID") fds"
	daemon_stop
fi
it_finish
