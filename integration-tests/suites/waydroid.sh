#!/bin/bash
# it-order: 45
# it-budget: 600
# it-build: admin m64
# ashmemctl waydroid against the live daemon: a Waydroid tree (the test fixture) under --root,
# whose dev/ashmem, run/ashmemd, proc and sys are the VM's own, bind-mounted. enable finds the
# real character device and broker socket, places the files, a second enable and a dry run
# change nothing, disable restores the tree byte for byte; a client mapping regions in the cgroup
# LXC gives Waydroid's container is seen by status as using ashmemd; after a simulated
# 'waydroid upgrade' reapply puts the entries back; with the daemon stopped enable refuses (69).
. "$IT_REPO/integration-tests/lib/suite.sh"

CTL=$IT_REPO/target/dist/bin/ashmemctl
NATIVE=$IT_REPO/target/dist/lib/native
FIXTURE=$IT_REPO/src/test/resources/waydroid-fixture
R=/tmp/waydroid-root
W=$IT_STATE/waydroid
CG=/sys/fs/cgroup/lxc.payload.waydroid
WD=$R/var/lib/waydroid
HOLDER=

[ -x "$CTL" ] || { fail ashmemctl "$CTL is missing (build the distribution first)"; it_finish; }

cleanup() {
	[ -n "$HOLDER" ] && { kill -KILL "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null; }
	rmdir "$CG" 2>/dev/null
	for m in "$R/dev/ashmem" "$R/run/ashmemd" "$R/proc" "$R/sys"; do
		umount "$m" 2>/dev/null
	done
}
trap cleanup EXIT

daemon_start || it_finish

# ---- the tree ----
rm -rf "$R" "$W"
mkdir -p "$R" "$W" "$R/dev" "$R/run/ashmemd" "$R/proc" "$R/sys"
cp -r "$FIXTURE/var" "$R/"
find "$R" -name .keep -delete
touch "$R/dev/ashmem"
mount --bind "/dev/$ASHMEMD_DEVICE" "$R/dev/ashmem" &&
	mount --bind "$ASHMEMD_RUNTIME_DIR" "$R/run/ashmemd" &&
	mount --bind /proc "$R/proc" &&
	mount --bind /sys "$R/sys" || { fail bind_mounts "cannot bind the VM's device, sockets, /proc and /sys under $R"; it_finish; }
cp -a "$R/var" "$W/var.before"

ctl() { # ctl NAME ARGS...: runs ashmemctl waydroid ARGS --root R, output in $W/NAME.out, status in $W/NAME.status
	local name=$1
	shift
	"$CTL" waydroid "$@" --root "$R" >"$W/$name.out" 2>&1
	echo $? >"$W/$name.status"
	note "---- ashmemctl waydroid $* (status $(cat "$W/$name.status"))"
	cat "$W/$name.out" >&2
}
status_is() { [ "$(cat "$W/$1.status")" = "$2" ] || { echo "exit status $(cat "$W/$1.status"), expected $2: $(tail -n 2 "$W/$1.out")"; return 1; }; }
says() { grep -qF -- "$2" "$W/$1.out" || { echo "'$2' not in: $(tail -n 3 "$W/$1.out")"; return 1; }; }
same_tree() { diff -r "$1" "$R/var" >"$W/diff.out" 2>&1 || { head -n 5 "$W/diff.out"; return 1; }; }

hex=$(stat -L -c '%t:%T' "/dev/$ASHMEMD_DEVICE") # no process substitution: the VM has no /dev/fd
major_minor=$((16#${hex%:*})):$((16#${hex#*:}))
BOOT=$(boot_id)

# ---- enable ----
ctl dry_run enable --dry-run
check dry_run_exit_0 status_is dry_run 0
check dry_run_lists_changes says dry_run "would edit $WD/lxc/waydroid/config_nodes"
check dry_run_changes_nothing same_tree "$W/var.before"

ctl enable enable
check enable_exit_0 status_is enable 0
check enable_sees_the_char_device says enable "ashmemd is up: $R/dev/ashmem (char $major_minor), $R/run/ashmemd/broker.sock"
check library_64_system cmp "$NATIVE/x86_64/libashmemd-preload.so" "$WD/overlay/system/lib64/libashmemd-preload.so"
check library_64_vendor cmp "$NATIVE/x86_64/libashmemd-preload.so" "$WD/overlay/vendor/lib64/libashmemd-preload.so"
if [ -r "$NATIVE/i386/libashmemd-preload.so" ]; then
	check library_32_vendor cmp "$NATIVE/i386/libashmemd-preload.so" "$WD/overlay/vendor/lib/libashmemd-preload.so"
fi
check init_script cmp "$IT_REPO/target/dist/share/android/ashmemd.rc" "$WD/overlay/system/etc/init/ashmemd.rc"
check alias_entry_of_this_boot grep -qxF "lxc.mount.entry = /dev/ashmem$BOOT dev/ashmem$BOOT none bind,create=file,optional 0 0" "$WD/lxc/waydroid/config_nodes"
check broker_entry grep -qxF "lxc.mount.entry = /run/ashmemd dev/ashmemd none bind,create=dir,optional 0 0" "$WD/lxc/waydroid/config_nodes"
check property_set grep -qxF "sys.use_memfd = false" "$WD/waydroid.cfg"

cp -a "$R/var" "$W/var.enabled"
ctl again enable
check second_enable_exit_0 status_is again 0
check second_enable_changes_nothing same_tree "$W/var.enabled"

# ---- status: a client of the device in Waydroid's container cgroup ----
mkdir -p "$CG"
sh -c "echo \$\$ > '$CG/cgroup.procs' && exec env LD_PRELOAD='$NATIVE/x86_64/libashmemd-preload.so' \
	ASHMEM_DEV=/dev/$ASHMEMD_DEVICE ASHMEMD_BROKER='$ASHMEMD_RUNTIME_DIR/broker.sock' \
	'$IT_BUILD/m64/admin/holder' hold 2 waydroid-gralloc 1048576" >"$W/holder.out" 2>&1 &
HOLDER=$!
if wait_for $((60 * IT_TIME_SCALE)) grep -q '^ready' "$W/holder.out"; then
	pass holder_in_waydroid_cgroup
	ctl status status
	check status_exit_1_upgrade_pending status_is status 1
	check status_counts_the_client says status "container  running, 1 processes: 1 use ashmemd, 0 use memfds"
	check status_asks_for_upgrade says status "Regenerate Waydroid's configuration: sudo waydroid upgrade -o"
else
	fail holder_in_waydroid_cgroup "holder did not get ready: $(tail -n 3 "$W/holder.out" | tr '\n' ' ')"
fi

# ---- disable ----
ctl disable disable
check disable_exit_0 status_is disable 0
check disable_restores_byte_for_byte same_tree "$W/var.before"
check disable_says_stop_ashmemd_first says disable "sudo systemctl stop ashmemd && sudo waydroid upgrade -o"

# ---- Waydroid regenerates its configuration, reapply puts the entries back ----
ctl enable2 enable
cp "$FIXTURE/config_nodes.with-ashmem" "$WD/lxc/waydroid/config_nodes"
sed -i '/^sys.use_memfd=/d' "$WD/waydroid_base.prop" && echo 'sys.use_memfd=false' >>"$WD/waydroid_base.prop"
ctl reapply reapply
check reapply_exit_0 status_is reapply 0
check reapply_restores_broker_entry grep -qxF "lxc.mount.entry = /run/ashmemd dev/ashmemd none bind,create=dir,optional 0 0" "$WD/lxc/waydroid/config_nodes"
check reapply_keeps_one_device_entry test "$(grep -cxF 'lxc.mount.entry = /dev/ashmem dev/ashmem none bind,create=file,optional 0 0' "$WD/lxc/waydroid/config_nodes")" = 1
if [ -n "$HOLDER" ] && proc_running "$HOLDER"; then
	ctl status2 status
	check status_all_done status_is status2 0
	check status_says_in_use says status2 "Waydroid uses ashmemd; nothing to do."
fi
kill -KILL "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
HOLDER=

# ---- ashmemd down ----
ctl disable2 disable
umount "$R/dev/ashmem" && rm -f "$R/dev/ashmem" # the bind must not outlive the node
daemon_stop
ctl down enable
check enable_refuses_without_daemon status_is down 69
check enable_says_why says down "ashmemd is not running"
it_finish
