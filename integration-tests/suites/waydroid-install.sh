#!/bin/bash
# it-order: 85
# it-boot: systemd
# it-budget: 720
# it-build: lxc m64 m32
# it-build: admin m64
# README's install section, the commands a Waydroid user types, in order, with systemd as PID 1,
# up to a process in the Waydroid container mapping a region:
#   apt install ./target/ashmemd_*_amd64.deb, systemctl status ashmemd, ashmemctl waydroid
#   enable, systemctl restart waydroid-container, ashmemctl waydroid status.
# Waydroid itself is not in Debian 12, so what it would own stands in, shaped as Waydroid lays
# it out: its files under /var/lib/waydroid (the test fixture), a waydroid-container.service
# that mounts the overlay over the image and starts LXC with Waydroid's own config (the package's
# drop-in runs 'ashmemctl waydroid reapply' before it), the files 'waydroid upgrade -o' rewrites,
# and an /init that does what Android's init does with the .rc files: apply their 'export' lines.
# The processes it starts load the library by bare soname from /system/lib64 or /system/lib
# (what the enable step put in the overlay), open /dev/ashmem, map through
# /dev/ashmemd/broker.sock, and share a region with a process on the host, 64- and 32-bit.
. "$IT_REPO/integration-tests/lib/suite.sh"
. "$IT_REPO/integration-tests/lib/busybox-root.sh"

WD=/var/lib/waydroid
FIXTURE=$IT_REPO/src/test/resources/waydroid-fixture
IMAGE=/tmp/waydroid-image # the system image, unpacked (Waydroid mounts system.img there)
SESSION=/tmp/waydroid-session # a directory the container shares with the host, as Waydroid's session sockets are
CONTAINER_UNIT=waydroid-container.service
HOST_PRELOAD=/usr/lib/ashmemd/lib/native/x86_64/libashmemd-preload.so
OUT=$IT_STATE/waydroid-install
WAIT=$((90 * IT_TIME_SCALE))
declare -A HOST_PID=()

for tool in lxc-start lxc-stop apt-get; do
	command -v "$tool" >/dev/null || { fail tools_installed "$tool is missing (scripts/packages.sh lists it)"; it_finish; }
done
for prog in m64/lxc/peer m32/lxc/peer m64/admin/holder; do
	[ -x "$IT_BUILD/$prog" ] || { fail programs "$IT_BUILD/$prog is missing"; it_finish; }
done
if dpkg-query -W -f '${Status}' ashmemd 2>/dev/null | grep -q 'ok installed'; then
	fail clean_start "ashmemd is already installed in this machine's root; the suite installs it itself"
	it_finish
fi
mkdir -p "$OUT"

# step NAME COMMAND...: one of the README's commands, as typed; output in $OUT/NAME.out, shown
# in the suite's log, exit status in $OUT/NAME.status.
step() {
	local name=$1
	shift
	"$@" >"$OUT/$name.out" 2>&1
	echo $? >"$OUT/$name.status"
	note "---- \$ $* (exit $(cat "$OUT/$name.status"))"
	cat "$OUT/$name.out" >&2
}
exit_is() { [ "$(cat "$OUT/$1.status")" = "$2" ] || { echo "exit status $(cat "$OUT/$1.status"), expected $2: $(tail -n 3 "$OUT/$1.out" | tr '\n' ' ')"; return 1; }; }
says() { grep -qF -- "$2" "$OUT/$1.out" || { echo "'$2' not in: $(tail -n 4 "$OUT/$1.out" | tr '\n' ' ')"; return 1; }; }

cleanup() {
	systemctl stop "$CONTAINER_UNIT" >/dev/null 2>&1
	local abi
	for abi in "${!HOST_PID[@]}"; do kill -KILL "${HOST_PID[$abi]}" 2>/dev/null; done
	rm -f /etc/systemd/system/$CONTAINER_UNIT
	systemctl daemon-reload >/dev/null 2>&1
	ip link del waydroid0 >/dev/null 2>&1
}
trap cleanup EXIT

# ---- what an initialized Waydroid leaves on the host ----
waydroid_files() {
	rm -rf "$WD" # this machine's own, if it has one: the VM's root is an overlay
	cp -r "$FIXTURE/var" / || return 1
	find "$WD" -name .keep -delete
	# the seccomp profile and post-stop script its LXC config names
	cat >"$WD/lxc/waydroid/waydroid.seccomp" <<-'SECCOMP'
		2
		denylist
		[all]
		kexec_load errno 1
		open_by_handle_at errno 1
		init_module errno 1
		finit_module errno 1
		delete_module errno 1
	SECCOMP
	mkdir -p /usr/lib/waydroid/data/scripts
	printf '#!/bin/sh\nexit 0\n' >/usr/lib/waydroid/data/scripts/waydroid-post-stop.sh
	chmod 755 /usr/lib/waydroid/data/scripts/waydroid-post-stop.sh
	mkdir -p "$WD/rootfs" "$SESSION"
	chmod 755 "$SESSION"
	echo "lxc.mount.entry = $SESSION xchg none bind 0 0" >"$WD/lxc/waydroid/config_session"

	# The image: busybox, the test programs and the C libraries they need, and the directories
	# Waydroid's config mounts on (a read-only image has no room to create them).
	busybox_root "$IMAGE"
	mkdir -p "$IMAGE"/{system/bin,system/lib,system/lib64,system/etc/init,vendor/lib,vendor/lib64,vendor/etc/host-permissions,mnt_extra,var,xchg}
	copy_elf "$IMAGE" "$IT_BUILD/m64/lxc/peer" /system/bin/peer64
	copy_elf "$IMAGE" "$IT_BUILD/m32/lxc/peer" /system/bin/peer32
	copy_elf "$IMAGE" "$IT_BUILD/m64/admin/holder" /system/bin/holder64
	cat >"$IMAGE/init" <<-'INIT'
		#!/bin/sh
		# Stands in for Android's init: applies the 'export NAME VALUE' lines of the .rc files in
		# /system/etc/init and /vendor/etc/init, as init does at their trigger, then starts the
		# services. The library path is bionic's default for system processes of each ABI.
		exec >/xchg/init.log 2>&1
		for rc in /system/etc/init/*.rc /vendor/etc/init/*.rc; do
			[ -r "$rc" ] || continue
			while read -r word name value rest; do
				[ "$word" = export ] || continue
				export "$name=$value"
				echo "init: export $name $value ($rc)"
			done <"$rc"
		done
		export LD_LIBRARY_PATH=/system/lib64:/system/lib
		/system/bin/peer64 container /xchg/peer-m64.sock /dev/ashmem 10061 >/xchg/peer-m64.out 2>&1
		echo $? >/xchg/peer-m64.status
		/system/bin/peer32 container /xchg/peer-m32.sock /dev/ashmem 10062 >/xchg/peer-m32.out 2>&1
		echo $? >/xchg/peer-m32.status
		/system/bin/holder64 hold 2 waydroid-gralloc 1048576 >/xchg/holder.out 2>&1 &
		echo started >/xchg/init.done
		exec sleep 100000
	INIT
	chmod 755 "$IMAGE/init"

	# Waydroid's container service, as far as ashmemd meets it: the overlay over the image, the
	# bridge its LXC config links to, lxc-start with its config and init.
	systemctl unmask "$CONTAINER_UNIT" # vm-init masks it
	cat >/etc/systemd/system/$CONTAINER_UNIT <<-UNIT
		[Unit]
		Description=Waydroid Container (stand-in for the suite waydroid-install)

		[Service]
		Type=oneshot
		RemainAfterExit=yes
		ExecStart=/bin/sh -c 'mountpoint -q $WD/rootfs || mount -t overlay overlay -o lowerdir=$WD/overlay:$IMAGE $WD/rootfs'
		ExecStart=/bin/sh -c 'ip link show waydroid0 >/dev/null 2>&1 || { ip link add waydroid0 type bridge && ip link set waydroid0 up; }'
		ExecStart=/usr/bin/lxc-start -P $WD/lxc -n waydroid -d -o $OUT/lxc.log -l INFO -- /init
		ExecStop=/usr/bin/lxc-stop -P $WD/lxc -n waydroid -k
		ExecStopPost=-/bin/umount $WD/rootfs
	UNIT
	systemctl daemon-reload
}
if waydroid_files >"$OUT/waydroid-files.out" 2>&1; then
	pass waydroid_files_in_place
else
	fail waydroid_files_in_place "$(tail -n 3 "$OUT/waydroid-files.out" | tr '\n' ' ')"
	it_finish
fi

# ---- $ sudo apt install ./target/ashmemd_*_amd64.deb ----
deb=$(ls -1 "$IT_REPO"/target/ashmemd_*_amd64.deb 2>/dev/null | sort -V | tail -n 1)
[ -n "$deb" ] || { fail apt_install "no $IT_REPO/target/ashmemd_*_amd64.deb (mvn package builds it)"; it_finish; }
unit_start_timeout_scaled ashmemd.service
# offline: the package's dependencies are installed, so there is nothing to download
step apt_install env DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb"
check apt_install exit_is apt_install 0
[ "$(cat "$OUT/apt_install.status")" = 0 ] || it_finish
wait_for "$ASHMEMD_READY_TIMEOUT" sh -c '[ "$(systemctl show -p SubState --value ashmemd)" = running ]'

# ---- $ systemctl status ashmemd ----
step systemctl_status env SYSTEMD_COLORS=0 systemctl status ashmemd --no-pager -n 0
check status_active says systemctl_status "Active: active (running)"
check status_serving_121_0 says systemctl_status "serving /dev/ashmem (char 121:0)"

# ---- $ sudo ashmemctl waydroid enable ----
step enable ashmemctl waydroid enable
check enable_exit_0 exit_is enable 0
check enable_sees_the_daemon says enable "ashmemd is up: /dev/ashmem (char 121:0), /run/ashmemd/broker.sock"
check enable_placed_library_64 cmp "$HOST_PRELOAD" "$WD/overlay/system/lib64/libashmemd-preload.so"
check enable_placed_library_32 cmp /usr/lib/ashmemd/lib/native/i386/libashmemd-preload.so "$WD/overlay/system/lib/libashmemd-preload.so"
check enable_placed_init_script cmp /usr/lib/ashmemd/share/android/ashmemd.rc "$WD/overlay/system/etc/init/ashmemd.rc"
check enable_asks_for_upgrade says enable "sudo waydroid upgrade -o"

# What 'waydroid upgrade -o' writes once /dev/ashmem exists: config_nodes regenerated (with its
# own /dev/ashmem line, without ashmemd's entries) and waydroid.cfg's properties applied.
cp "$FIXTURE/config_nodes.with-ashmem" "$WD/lxc/waydroid/config_nodes"
sed -i '/^sys.use_memfd=/d' "$WD/waydroid_base.prop" && echo 'sys.use_memfd=false' >>"$WD/waydroid_base.prop"

# ---- $ sudo systemctl restart waydroid-container ----
for abi in m64 m32; do
	rm -f "$SESSION/peer-$abi.sock"
	lib=x86_64
	[ "$abi" = m32 ] && lib=i386
	timeout -k 5 "$WAIT" env LD_PRELOAD=/usr/lib/ashmemd/lib/native/$lib/libashmemd-preload.so \
		"$IT_BUILD/$abi/lxc/peer" host "$SESSION/peer-$abi.sock" >"$OUT/host-$abi.out" 2>&1 &
	HOST_PID[$abi]=$!
	wait_for 30 grep -q listening "$OUT/host-$abi.out" || note "the $abi host side is not listening: $(cat "$OUT/host-$abi.out")"
done
step restart_container systemctl restart "$CONTAINER_UNIT"
check container_started exit_is restart_container 0
if [ "$(cat "$OUT/restart_container.status")" != 0 ]; then
	journalctl -u "$CONTAINER_UNIT" --no-pager -n 30 >&2
	cat "$OUT/lxc.log" >&2 2>/dev/null
fi
check drop_in_reapplied_entries grep -qxF "lxc.mount.entry = /run/ashmemd dev/ashmemd none bind,create=dir,optional 0 0" "$WD/lxc/waydroid/config_nodes"
wait_for "$WAIT" test -f "$SESSION/init.done"
note "---- the container's init ----"
cat "$SESSION/init.log" >&2 2>/dev/null
check init_exported_the_library grep -qx "init: export LD_PRELOAD libashmemd-preload.so (/system/etc/init/ashmemd.rc)" "$SESSION/init.log"

# judge TEST ABI: both sides of the exchange exited 0 (not through check: it waits for the host
# side, a child of this shell)
judge() {
	local t=$1 abi=$2 hst cst
	wait "${HOST_PID[$abi]}"
	hst=$?
	unset "HOST_PID[$abi]"
	cst=$(cat "$SESSION/peer-$abi.status" 2>/dev/null)
	note "---- $abi: container side (status ${cst:-none}) ----"
	cat "$SESSION/peer-$abi.out" >&2 2>/dev/null
	note "---- $abi: host side (status $hst) ----"
	cat "$OUT/host-$abi.out" >&2
	if [ "$cst" = 0 ] && [ "$hst" = 0 ]; then
		pass "$t"
	else
		fail "$t" "container side status ${cst:-none} ($(grep -m1 '^error' "$SESSION/peer-$abi.out" 2>/dev/null)), host side status $hst ($(grep -m1 '^error' "$OUT/host-$abi.out"))"
	fi
}
judge m64/app_in_container_maps_and_shares_with_host m64
judge m32/app_in_container_maps_and_shares_with_host m32
wait_for "$WAIT" grep -q '^ready' "$SESSION/holder.out"
check holder_in_container_ready grep -q '^ready' "$SESSION/holder.out"

# ---- $ sudo ashmemctl waydroid status ----
step waydroid_status ashmemctl waydroid status
check waydroid_status_exit_0 exit_is waydroid_status 0
check waydroid_status_container_uses_ashmemd says waydroid_status "1 use ashmemd"
check waydroid_status_nothing_to_do says waydroid_status "Waydroid uses ashmemd; nothing to do."
step regions ashmemctl regions
check regions_show_the_containers_region says regions "waydroid-gralloc-0"

# ---- and back: stop the container, switch back, remove the package ----
step stop_container systemctl stop "$CONTAINER_UNIT"
check container_stopped exit_is stop_container 0
step disable ashmemctl waydroid disable
check disable_exit_0 exit_is disable 0
check disable_restores_the_init_script test ! -e "$WD/overlay/system/etc/init/ashmemd.rc"
step purge env DEBIAN_FRONTEND=noninteractive apt-get purge -y ashmemd
check purge_exit_0 exit_is purge 0
check purge_no_device test ! -e /dev/ashmem
it_finish
