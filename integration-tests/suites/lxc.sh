#!/bin/bash
# it-order: 60
# it-budget: 600
# it-build: lxc m64 m32
# Real LXC containers (Debian's lxc, a busybox root) with the shipped snippets of
# target/dist/share/lxc included: a Waydroid-shaped one (lxc.autodev = 0, tmpfs on dev, own
# network namespace, no device filter, ashmemd-android.conf) and one with lxc.autodev = 1 and a
# device filter (deny all, ashmemd-devices.conf, ashmemd.conf). In each, processes open
# /dev/ashmem and its /dev/ashmem<boot_id> alias (root and non-root), map a region through the
# preload library and share it over SCM_RIGHTS with a process on the host, 64- and 32-bit. Also:
# mode and rdev equal to the host's, the broker directory read-only, no device without the
# snippet, a device filter without the allow line refuses it, and the hook's behaviour while
# ashmemd is not running (one clear line in the log; --optional starts anyway). Then the same
# exchange in a Podman container given the device, the alias and the broker directory by
# --device and -v, the flags the README gives for redroid.
. "$IT_REPO/integration-tests/lib/suite.sh"
. "$IT_REPO/integration-tests/lib/busybox-root.sh"

DIST=$IT_REPO/target/dist
SHIPPED=$DIST/share/lxc
LXCPATH=/tmp/lxc
ROOTFS=$LXCPATH/rootfs
XCHG=$LXCPATH/xchg
SNIPPETS=$LXCPATH/snippets
NATIVE=$DIST/lib/native
declare -A LIBDIR=([m64]=x86_64 [m32]=i386)
PEER_TIMEOUT=$((60 * IT_TIME_SCALE))

for tool in lxc-start lxc-wait lxc-stop; do
	if ! command -v "$tool" >/dev/null; then
		fail lxc_installed "$tool is missing: install Debian's lxc on the host (scripts/packages.sh lists it)"
		it_finish
	fi
done
for f in ashmemd.conf ashmemd-android.conf ashmemd-devices.conf ashmemd-mount-hook; do
	if [ ! -r "$SHIPPED/$f" ]; then
		fail shipped_files "$SHIPPED/$f is missing (build the distribution first)"
		it_finish
	fi
done
for abi in m64 m32; do
	if [ ! -x "$IT_BUILD/$abi/lxc/peer" ] || [ ! -r "$NATIVE/${LIBDIR[$abi]}/libashmemd-preload.so" ]; then
		fail "$abi/programs" "$IT_BUILD/$abi/lxc/peer or the $abi preload library is missing"
		it_finish
	fi
done
if ! grep -qw cgroup2 /proc/mounts; then
	fail cgroup2_mounted "no cgroup2 file system is mounted: LXC cannot apply device rules"
	it_finish
fi

# ---- the busybox root, shared by every container here (they run one after another) ----

make_rootfs() {
	rm -rf "$LXCPATH"
	busybox_root "$ROOTFS"
	mkdir -p "$ROOTFS"/{xchg,test} "$XCHG" "$SNIPPETS"
	chmod 755 "$XCHG"
	for abi in m64 m32; do
		copy_elf "$ROOTFS" "$IT_BUILD/$abi/lxc/peer" "/test/$abi/peer"
		mkdir -p "$ROOTFS/usr/lib/ashmemd/${LIBDIR[$abi]}"
		cp "$NATIVE/${LIBDIR[$abi]}/libashmemd-preload.so" "$ROOTFS/usr/lib/ashmemd/${LIBDIR[$abi]}/"
	done
	cat >"$ROOTFS/test/run.sh" <<'SCRIPT'
#!/bin/sh
# In the container: NAME SOCKET_DIR BROKER [ABI DEVICE UID]... Writes /xchg/NAME.facts (what
# the container sees), then runs one peer per ABI DEVICE UID triple (DEVICE: dev or alias).
name=$1 sockdir=$2 broker=$3
shift 3
out=/xchg/$name
exec 2>"$out.trace"
set -x
cat /proc/self/mountinfo >"$out.mounts"
boot_id=$(cat /proc/sys/kernel/random/boot_id)
alias=/dev/ashmem$boot_id
: >"$out.facts"
fact() { echo "$1=$2" >>"$out.facts"; }
fact boot_id "$boot_id"
for key in dev alias; do
	p=/dev/ashmem
	[ "$key" = alias ] && p=$alias
	if [ -c "$p" ]; then
		fact "${key}_rdev" "$(stat -c %t:%T "$p")"
		fact "${key}_mode" "$(stat -c %a "$p")"
	elif [ -e "$p" ]; then
		fact "${key}_rdev" "not-a-device"
	else
		fact "${key}_rdev" absent
	fi
done
if [ -S "$sockdir/broker.sock" ]; then fact broker present; else fact broker absent; fi
if [ ! -d "$sockdir" ]; then
	fact broker_dir absent
elif touch "$sockdir/.write-probe" 2>/dev/null; then
	rm -f "$sockdir/.write-probe"
	fact broker_dir writable
else
	fact broker_dir read-only
fi
while [ $# -ge 3 ]; do
	abi=$1 dev=$2 uid=$3
	shift 3
	case $abi in m64) lib=x86_64 ;; m32) lib=i386 ;; esac
	[ "$dev" = alias ] && dev=$alias || dev=/dev/ashmem
	[ "$uid" = 0 ] && uid=
	if [ "$broker" = default ]; then
		LD_PRELOAD=/usr/lib/ashmemd/$lib/libashmemd-preload.so \
			/test/$abi/peer container "/xchg/peer-$abi.sock" "$dev" $uid >"$out.$abi" 2>&1
	else
		LD_PRELOAD=/usr/lib/ashmemd/$lib/libashmemd-preload.so ASHMEMD_BROKER=$broker \
			/test/$abi/peer container "/xchg/peer-$abi.sock" "$dev" $uid >"$out.$abi" 2>&1
	fi
	echo $? >"$out.$abi.status"
done
echo done >"$out.done"
SCRIPT
	# The snippets as shipped, with the installed tree's path replaced by this checkout's.
	for a in ashmemd.conf ashmemd-android.conf ashmemd-devices.conf; do
		sed "s|/usr/lib/ashmemd/|$DIST/|g" "$SHIPPED/$a" >"$SNIPPETS/$a"
	done
}

# write_config NAME SHAPE [EXTRA LINE]...: SHAPE waydroid (autodev 0, tmpfs on dev, no device
# filter) or filtered (autodev 1, deny all, the usual character devices allowed).
write_config() {
	local name=$1 shape=$2 line
	shift 2
	mkdir -p "$LXCPATH/$name"
	{
		echo "lxc.uts.name = $name"
		echo "lxc.rootfs.path = dir:$ROOTFS"
		echo "lxc.apparmor.profile = unconfined" # the VM has no securityfs
		echo "lxc.net.0.type = empty"
		echo "lxc.mount.auto = proc:mixed sys:ro"
		echo "lxc.console.path = none"
		echo "lxc.tty.max = 0"
		echo "lxc.mount.entry = $XCHG xchg none bind 0 0"
		case "$shape" in
		waydroid)
			echo "lxc.autodev = 0"
			echo "lxc.mount.entry = tmpfs dev tmpfs nosuid 0 0"
			# Waydroid's config_nodes binds the host's basic nodes; init's stdio needs /dev/null
			echo "lxc.mount.entry = /dev/null dev/null none bind,create=file 0 0"
			;;
		filtered)
			echo "lxc.autodev = 1"
			echo "lxc.cgroup2.devices.deny = a"
			for line in "c 1:3" "c 1:5" "c 1:7" "c 1:8" "c 1:9" "c 5:0" "c 5:1" "c 5:2" "c 136:*"; do
				echo "lxc.cgroup2.devices.allow = $line rwm"
			done
			;;
		esac
		for line in "$@"; do echo "$line"; done
	} >"$LXCPATH/$name/config"
}

# start_container NAME ARGS...: runs /test/run.sh ARGS... in container NAME (ARGS start with the
# name of the results in /xchg) and waits for it to stop. Returns lxc-start's status; the log is $LXCPATH/NAME.log.
start_container() {
	local name=$1 st
	shift
	rm -f "$XCHG/$name".*
	timeout -k 5 "$PEER_TIMEOUT" lxc-start -P "$LXCPATH" -n "$name" -d -o "$LXCPATH/$name.log" -l "${LOG_LEVEL:-ERROR}" \
		-- /bin/sh /test/run.sh "$@" >>"$LXCPATH/$name.log" 2>&1
	st=$?
	if [ "$st" -eq 0 ]; then
		if ! timeout -k 5 "$PEER_TIMEOUT" lxc-wait -P "$LXCPATH" -n "$name" -s STOPPED -t "$PEER_TIMEOUT"; then
			note "$name did not stop within $PEER_TIMEOUT s; stopping it"
			lxc-stop -P "$LXCPATH" -n "$name" -k >/dev/null 2>&1
			st=124
		fi
	fi
	note "---- $name: log ----"
	cat "$LXCPATH/$name.log" >&2 2>/dev/null
	note "---- $name: facts ----"
	cat "$XCHG/$name.facts" >&2 2>/dev/null
	note "---- $name: trace of /test/run.sh ----"
	cat "$XCHG/$name.trace" >&2 2>/dev/null
	note "---- $name: mounts ----"
	cat "$XCHG/$name.mounts" >&2 2>/dev/null
	return "$st"
}

fact() { sed -n "s/^$2=//p" "$XCHG/$1.facts" 2>/dev/null | head -n1; }

# expect_fact TEST NAME KEY VALUE
expect_fact() {
	local got
	got=$(fact "$2" "$3")
	if [ "$got" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "in container $2, $3 is '${got:-(not recorded)}', expected '$4'"
	fi
}

# Host sides of the exchanges, one per ABI, listening before the container starts.
declare -A HOST_PID=()
start_hosts() {
	local abi
	for abi in "$@"; do
		rm -f "$XCHG/peer-$abi.sock" "$LXCPATH/host-$abi.out"
		timeout -k 5 "$PEER_TIMEOUT" env LD_PRELOAD="$NATIVE/${LIBDIR[$abi]}/libashmemd-preload.so" \
			"$IT_BUILD/$abi/lxc/peer" host "$XCHG/peer-$abi.sock" >"$LXCPATH/host-$abi.out" 2>&1 &
		HOST_PID[$abi]=$!
		wait_for 30 grep -q listening "$LXCPATH/host-$abi.out" ||
			note "the $abi host side is not listening: $(cat "$LXCPATH/host-$abi.out")"
	done
}

# judge_exchange TEST CONTAINER ABI: both sides exited 0.
judge_exchange() {
	local t=$1 name=$2 abi=$3 hst cst
	wait "${HOST_PID[$abi]}"
	hst=$?
	cst=$(cat "$XCHG/$name.$abi.status" 2>/dev/null)
	note "---- $name $abi: container side (status ${cst:-none}) ----"
	cat "$XCHG/$name.$abi" >&2 2>/dev/null
	note "---- $name $abi: host side (status $hst) ----"
	cat "$LXCPATH/host-$abi.out" >&2
	if [ "$cst" = 0 ] && [ "$hst" = 0 ]; then
		pass "$t"
	elif [ "$cst" != 0 ]; then
		fail "$t" "container side (status ${cst:-none}): $(grep -m1 '^error' "$XCHG/$name.$abi" 2>/dev/null || tail -n1 "$XCHG/$name.$abi" 2>/dev/null)"
	else
		fail "$t" "host side (status $hst): $(grep -m1 '^error' "$LXCPATH/host-$abi.out" || tail -n1 "$LXCPATH/host-$abi.out")"
	fi
}

make_rootfs
info lxc_version "$(lxc-start --version 2>&1)"
# A region from the preload library's point of view needs the daemon; the device rules only
# need the numbers, so the daemon's major is read once it runs.

# ---- ashmemd not running: the hook refuses the start with one line, or, --optional, lets it start
write_config norun waydroid "lxc.include = $SNIPPETS/ashmemd-android.conf"
# LXC 5 logs a hook's output at DEBUG and its failure at ERROR (the default level).
if LOG_LEVEL=DEBUG start_container norun norun /dev/ashmemd /dev/ashmemd/broker.sock; then
	fail hook_refuses_without_daemon "the container started although ashmemd is not running"
else
	line=$(grep -m1 'ashmemd-mount-hook: ' "$LXCPATH/norun.log")
	if [[ "$line" != *"ashmemd-mount-hook: ashmemd is not running: no /dev/ashmem on the host"* ]]; then
		fail hook_refuses_without_daemon "the start failed, but the log has no line of the hook saying why (got: ${line:-nothing})"
	elif ! grep -q 'ERROR.*Failed to run mount hooks' "$LXCPATH/norun.log"; then
		fail hook_refuses_without_daemon "the hook's line is there, but LXC logged no 'Failed to run mount hooks' error"
	else
		pass hook_refuses_without_daemon
		info hook_log_line "ashmemd-mount-hook: ${line#*ashmemd-mount-hook: }"
	fi
fi
write_config optional waydroid \
	"lxc.hook.mount = $SHIPPED/ashmemd-mount-hook --optional --socket-dir /dev/ashmemd"
if start_container optional optional /dev/ashmemd /dev/ashmemd/broker.sock &&
	[ -f "$XCHG/optional.done" ]; then
	expect_fact optional_hook_starts_without_device optional dev_rdev absent
else
	fail optional_hook_starts_without_device "the container with --optional did not start (see $IT_SUITE.out)"
fi

# ---- with the daemon ----
# as the unit starts it: ashmemd-devices.conf names 121
daemon_start --major 121 --minor 0 || it_finish
IFS=: read -r MAJOR MINOR </sys/class/cuse/$ASHMEMD_DEVICE/dev
HOST_RDEV=$(stat -c %t:%T "/dev/$ASHMEMD_DEVICE")
HOST_MODE=$(stat -c %a "/dev/$ASHMEMD_DEVICE")
info host_device "/dev/$ASHMEMD_DEVICE is $MAJOR:$MINOR (hex $HOST_RDEV), mode $HOST_MODE"
if [ "$MAJOR" = 121 ]; then
	pass devices_snippet_major_121
else
	fail devices_snippet_major_121 "started with --major 121, the device is $MAJOR:$MINOR"
fi
ALLOW_LINE="lxc.include = $SNIPPETS/ashmemd-devices.conf"

# (a) Waydroid's shape, the Android snippet: m64 opens the alias as an app uid, m32 the node as root.
write_config waydroid waydroid "lxc.include = $SNIPPETS/ashmemd-android.conf"
start_hosts m64 m32
if start_container waydroid waydroid /dev/ashmemd /dev/ashmemd/broker.sock m64 alias 10061 m32 dev 0; then
	pass waydroid/started
else
	fail waydroid/started "lxc-start or the container failed (status $?); see $IT_SUITE.out"
fi
expect_fact waydroid/node_rdev_is_hosts waydroid dev_rdev "$HOST_RDEV"
expect_fact waydroid/node_mode_0666 waydroid dev_mode 666
expect_fact waydroid/sees_hosts_boot_id waydroid boot_id "$(boot_id)" # lxc.autodev = 0
expect_fact waydroid/alias_rdev_is_hosts waydroid alias_rdev "$HOST_RDEV"
expect_fact waydroid/alias_mode_0666 waydroid alias_mode 666
expect_fact waydroid/broker_socket_at_dev_ashmemd waydroid broker present
expect_fact waydroid/broker_dir_read_only waydroid broker_dir read-only
judge_exchange m64/waydroid/alias_uid10061_shared_with_host waydroid m64
judge_exchange m32/waydroid/node_root_shared_with_host waydroid m32

# (b) autodev and a device filter, the generic snippet: the broker at its default path. With
# lxc.autodev = 1, LXC gives the container a random boot id of its own after pivot_root, so
# after the mount hook: no alias can be named for it there (lxc-hooks/README.md says so).
write_config filtered filtered "$ALLOW_LINE" "lxc.include = $SNIPPETS/ashmemd.conf"
start_hosts m64 m32
if start_container filtered filtered /run/ashmemd default m64 dev 0 m32 dev 1000; then
	pass filtered/started
else
	fail filtered/started "lxc-start or the container failed (status $?); see $IT_SUITE.out"
fi
expect_fact filtered/node_rdev_is_hosts filtered dev_rdev "$HOST_RDEV"
expect_fact filtered/node_mode_0666 filtered dev_mode 666
expect_fact filtered/broker_socket_at_run_ashmemd filtered broker present
expect_fact filtered/broker_dir_read_only filtered broker_dir read-only
if [ "$(fact filtered boot_id)" != "$(boot_id)" ]; then
	info filtered/own_boot_id "LXC gave the autodev container its own boot id $(fact filtered boot_id) (host: $(boot_id))"
fi
judge_exchange m64/filtered/node_root_shared_with_host filtered m64
judge_exchange m32/filtered/node_uid1000_shared_with_host filtered m32

# Without the snippet there is no device (so the checks above can fail).
write_config bare waydroid
if start_container bare bare /run/ashmemd default; then
	expect_fact no_snippet/no_node bare dev_rdev absent
	expect_fact no_snippet/no_alias bare alias_rdev absent
	expect_fact no_snippet/no_broker bare broker absent
else
	fail no_snippet/started "the container without the snippet did not start; see $IT_SUITE.out"
fi

# A device filter without the allow line refuses the device: the line is what makes (b) work.
write_config denied filtered "lxc.include = $SNIPPETS/ashmemd.conf"
start_hosts m64
if start_container denied denied /run/ashmemd default m64 dev 0; then
	if [ "$(cat "$XCHG/denied.m64.status" 2>/dev/null)" = 1 ] &&
		grep -q "open(/dev/ashmem, O_RDWR): Operation not permitted" "$XCHG/denied.m64"; then
		pass filter_without_allow_line_refuses_open
	else
		fail filter_without_allow_line_refuses_open "expected open to fail with EPERM, got: $(head -n1 "$XCHG/denied.m64" 2>/dev/null)"
	fi
else
	fail filter_without_allow_line_refuses_open "the container did not start; see $IT_SUITE.out"
fi
kill "${HOST_PID[m64]}" 2>/dev/null
wait "${HOST_PID[m64]}" 2>/dev/null

# ---- Podman (the Docker-style flags for redroid): the same root as an image, no registry ----
if command -v podman >/dev/null; then
	# The VM's root is read-only: storage, run and temporary directories on its tmpfs.
	PODMAN=(podman --root "$LXCPATH/podman/root" --runroot /run/it-podman --tmpdir /run/it-podman/tmp
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
	mkdir -p "$LXCPATH/podman/tmp" /run/it-podman/tmp
	if tar -C "$ROOTFS" -c . | TMPDIR=$LXCPATH/podman/tmp timeout -k 5 "$PEER_TIMEOUT" \
		"${PODMAN[@]}" import - localhost/ashmemd-it >&2; then
		HOST_ALIAS=/dev/$ASHMEMD_DEVICE$(boot_id)
		rm -f "$XCHG"/podman.*
		start_hosts m64 m32
		TMPDIR=$LXCPATH/podman/tmp timeout -k 5 "$PEER_TIMEOUT" "${PODMAN[@]}" run --rm --network none \
			--device "/dev/$ASHMEMD_DEVICE" --device "$HOST_ALIAS:$HOST_ALIAS" \
			-v "$ASHMEMD_RUNTIME_DIR:/dev/ashmemd:ro" -v "$XCHG:/xchg" localhost/ashmemd-it \
			/bin/sh /test/run.sh podman /dev/ashmemd /dev/ashmemd/broker.sock m64 alias 10061 m32 dev 0 >&2
		st=$?
		note "---- podman: facts ----"
		cat "$XCHG/podman.facts" >&2 2>/dev/null
		if [ "$st" -eq 0 ] && [ -f "$XCHG/podman.done" ]; then
			pass podman/started
		else
			fail podman/started "podman run exited with status $st; see $IT_SUITE.out"
		fi
		expect_fact podman/node_rdev_is_hosts podman dev_rdev "$HOST_RDEV"
		expect_fact podman/node_mode_0666 podman dev_mode 666
		expect_fact podman/alias_rdev_is_hosts podman alias_rdev "$HOST_RDEV"
		expect_fact podman/broker_socket_at_dev_ashmemd podman broker present
		expect_fact podman/broker_dir_read_only podman broker_dir read-only
		judge_exchange m64/podman/alias_uid10061_shared_with_host podman m64
		judge_exchange m32/podman/node_root_shared_with_host podman m32
	else
		fail podman/image "podman import of the busybox root failed; see $IT_SUITE.out"
	fi
else
	skip podman "podman is not installed (scripts/packages.sh lists it)"
fi

daemon_check_alive daemon_survives
daemon_stop
it_finish
