# The Debian/Ubuntu packages ashmemd needs, in one place. Sourced (bash) by start.sh, test.sh
# and integration-tests/run.
#
#   packages_missing build|test   prints the missing packages of that set, one per line
#   packages_ensure  build|test   installs them as root (apt-get), or prints the exact
#                                 apt-get line and returns 1 for anyone else
#
# "build" is what `mvn package` needs (the JDK, Maven, gcc for the preload library, 64- and
# 32-bit); "test" is build plus what the real-kernel suites need (QEMU, Debian 12's kernel 6.1
# and Debian's 6.12 kernel, both with cuse.ko, busybox for the VM's initramfs, libfuse3 for the
# C reference servers, LXC, Podman, systemd, D-Bus and udev for the container and init suites,
# man-db because systemd-analyze verify looks up the man pages a unit names, lintian for the
# Debian package). Each package is
# probed by what it provides, so a machine that has the tools from elsewhere is not asked to
# install anything.
#
# A name with a "*" (standing for anything without a "-") is a pattern for a package whose name
# carries its version (the 6.12 kernel's ABI name changes with each update): packages_ensure
# installs the newest package of the archive that matches it.

# package|probe: a probe is "cmd:NAME" (on PATH), "file:PATH" (exists) or "fn:FUNCTION".
_PACKAGES_BUILD=(
	"openjdk-17-jdk-headless|fn:_pkg_has_jdk"
	"maven|cmd:mvn"
	"gcc|cmd:gcc"
	"make|cmd:make"
	"libc6-dev|file:/usr/include/stdio.h"
	"gcc-multilib|fn:_pkg_has_m32"
)
_PACKAGES_TEST=(
	"qemu-system-x86|cmd:qemu-system-x86_64"
	"linux-image-amd64|fn:_pkg_has_cuse_kernel_6_1"
	"linux-image-6.12.*-amd64-unsigned|fn:_pkg_has_cuse_kernel_6_12"
	"busybox-static|fn:_pkg_has_static_busybox"
	"kmod|cmd:modinfo"
	"libfuse3-dev|file:/usr/include/fuse3/cuse_lowlevel.h"
	"zstd|cmd:zstd"
	"xz-utils|cmd:xz"
	"procps|cmd:ps"
	"python3|cmd:python3"
	"lintian|cmd:lintian"
	"systemd|file:/lib/systemd/systemd"
	"dbus|cmd:dbus-daemon"
	"udev|cmd:udevadm"
	"man-db|cmd:man"
	"lxc|cmd:lxc-start"
	"podman|cmd:podman"
)

_pkg_has_jdk() {
	local j
	if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then j=$JAVA_HOME/bin/java; else j=$(command -v java) || return 1; fi
	j=$(readlink -f "$j")
	[ -x "$(dirname "$j")/javac" ] && [ -x "$(dirname "$j")/jcmd" ] || return 1
	# 17 or newer
	local v
	v=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
	[ -n "$v" ] && [ "${v%%.*}" -ge 17 ] 2>/dev/null
}

_pkg_has_m32() {
	command -v gcc >/dev/null || return 1
	local t r
	t=$(mktemp -d) || return 1
	printf '#include <errno.h>\n#include <sys/ioctl.h>\n#include <asm/unistd.h>\nint main(void){return errno;}\n' >"$t/p.c"
	gcc -m32 "$t/p.c" -o "$t/p" >/dev/null 2>&1
	r=$?
	rm -rf "$t"
	return $r
}

# _pkg_has_cuse_kernel SERIES: a readable /boot/vmlinuz-SERIES.* whose modules include cuse.
_pkg_has_cuse_kernel() {
	local f v
	command -v modinfo >/dev/null || return 1
	for f in /boot/vmlinuz-"$1".* /boot/vmlinuz-"$1"-*; do
		[ -r "$f" ] || continue
		v=${f#/boot/vmlinuz-}
		[ -n "$(modinfo -k "$v" -n cuse 2>/dev/null)" ] && return 0
	done
	return 1
}
_pkg_has_cuse_kernel_6_1() { _pkg_has_cuse_kernel 6.1; }
_pkg_has_cuse_kernel_6_12() { _pkg_has_cuse_kernel 6.12; }

# _pkg_resolve NAME: NAME itself, or for a pattern with "*" the newest package of the archive
# that matches it (after apt-get update).
_pkg_resolve() {
	case "$1" in
	*'*'*)
		local re
		re="^$(printf '%s' "$1" | sed 's/[.+]/\\&/g; s/\*/[^-]*/g')\$"
		apt-cache pkgnames "${1%%\**}" 2>/dev/null | grep -E "$re" | sort -V | tail -n 1
		;;
	*) echo "$1" ;;
	esac
}

_pkg_has_static_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1 && return 0
	done
	return 1
}

_pkg_probe() {
	case "$1" in
	cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 ;;
	file:*) [ -e "${1#file:}" ] ;;
	fn:*) "${1#fn:}" ;;
	esac
}

packages_missing() {
	local entry
	local -a set=("${_PACKAGES_BUILD[@]}")
	[ "$1" = test ] && set+=("${_PACKAGES_TEST[@]}")
	for entry in "${set[@]}"; do
		_pkg_probe "${entry#*|}" || echo "${entry%%|*}"
	done
}

packages_ensure() {
	local -a missing
	mapfile -t missing < <(packages_missing "$1")
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages; install them with:" >&2
		echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		echo "  (a name with * stands for the newest package of the archive that matches it)" >&2
		return 1
	fi
	if ! command -v apt-get >/dev/null; then
		echo "missing packages (${missing[*]}) and no apt-get to install them: install them by hand" >&2
		return 1
	fi
	echo "installing: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || return 1
	local -a names=()
	local m n
	for m in "${missing[@]}"; do
		n=$(_pkg_resolve "$m")
		[ -n "$n" ] || { echo "no package in the archive matches $m" >&2; return 1; }
		names+=("$n")
	done
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${names[@]}" >&2 || return 1
	mapfile -t missing < <(packages_missing "$1")
	if [ ${#missing[@]} -ne 0 ]; then
		echo "still missing after apt-get install: ${missing[*]}" >&2
		return 1
	fi
}
