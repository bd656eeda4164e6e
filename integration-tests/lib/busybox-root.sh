# A minimal root file system for containers in the VM, built from this machine's busybox and
# test programs: sourced by suites/lxc.sh and suites/waydroid-install.sh.

# busybox_root ROOT: a fresh ROOT with busybox, its applets as relative links ("busybox --install
# -s" on a merged-/usr host writes absolute ones, to paths this small root does not have; and the
# list names busybox itself), /etc/passwd and the usual mount points.
busybox_root() {
	local root=$1 a
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,etc}
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	printf 'root:x:0:0:root:/:/bin/sh\n' >"$root/etc/passwd"
}

# copy_elf ROOT FILE PATH: FILE at PATH in ROOT, with the shared libraries and loader it needs at
# the paths they have here.
copy_elf() {
	local root=$1 file=$2 path=$3 lib
	mkdir -p "$root$(dirname "$path")"
	cp "$file" "$root$path"
	for lib in $(ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
}
