#!/usr/bin/env bash
# Regenerates the fixture trees beside this folder from this machine's /proc. Needs root, gcc,
# unshare(1) and a writable cgroup hierarchy (v2, or v1 with a v2 "unified" mount).
#   generate.sh            writes ../host and ../cgroup
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$here")
work=$(mktemp -d)
cleanup() { # the cgroups made here, deepest first
    [[ -f $work/made ]] && tac "$work/made" | while read -r dir; do rmdir "$dir" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -Wall -o "$work/memfd-fixture" "$here/memfd-fixture.c"

# mount point of a hierarchy ("unified" or a v1 controller name)
mountpoint_of() {
    if [[ $1 == unified ]]; then
        if [[ -f /sys/fs/cgroup/cgroup.procs ]]; then echo /sys/fs/cgroup; else echo /sys/fs/cgroup/unified; fi
    else
        echo "/sys/fs/cgroup/$1"
    fi
}

# this shell's own cgroup in a hierarchy: new cgroup namespaces are rooted there
base_of() {
    local key=$1
    [[ $key == unified ]] && key=""
    [[ $key == systemd ]] && key="name=systemd"
    awk -F: -v k="$key" '$2 == k { print $3 }' /proc/self/cgroup
}

# procs_files REL HIERARCHY...: creates REL under each and prints their cgroup.procs, comma separated
procs_files() {
    local rel=$1 h dir list="" part
    shift
    for h in "$@"; do
        dir=$(mountpoint_of "$h")$(base_of "$h")
        dir=${dir%/}
        for part in ${rel//\// }; do
            dir="$dir/$part"
            if [[ ! -d $dir ]]; then mkdir "$dir" && echo "$dir" >>"$work/made"; fi
        done
        list+="${list:+,}$dir/cgroup.procs"
    done
    echo "$list"
}

v1=(systemd memory pids)
have_v1=0
[[ -d /sys/fs/cgroup/memory ]] && have_v1=1
hier() { # the v2 hierarchy, plus the listed v1 ones when v1 is mounted
    local h
    echo unified
    if ((have_v1)); then for h in "$@"; do echo "$h"; done; fi
}

rm -rf "$out/host" "$out/cgroup"
mkdir -p "$out/host/proc" "$out/host/sys/class/cuse/ashmem" "$out/cgroup"

# 1. a process mapping every kind of region, and a forked one holding only fds
mapper=$(procs_files lxc.payload.waydroid2/uid_10061/pid_2417 unified)
if ((have_v1)); then mapper+=",$(procs_files lxc.payload.waydroid2 systemd)"; fi
holder=$(procs_files system.slice/ashmemd.service $(hier systemd))
"$work/memfd-fixture" "$work" "$mapper" "$holder" </dev/null >/dev/null 2>&1
mapper_pid=$(awk '$1 == "mapper" { print $2 }' "$work/pids")
holder_pid=$(awk '$1 == "holder" { print $2 }' "$work/pids")
mv "$work/mapper" "$out/host/proc/$mapper_pid"
mv "$work/holder" "$out/host/proc/$holder_pid"

# 2. a host process without ashmem (smaps left out: a scan must not need it)
(
    for fd in /proc/$BASHPID/fd/*; do n=${fd##*/}; ((n > 2)) && eval "exec $n>&-"; done
    exec unshare --cgroup sleep 30
) </dev/null >/dev/null 2>&1 &
sleeper=$!
sleep 0.2
d="$out/host/proc/$sleeper"
mkdir -p "$d/fdinfo"
cp /proc/$sleeper/{maps,status,comm} "$d/"
# cgroup paths print relative to the reader's cgroup namespace: read it from the sleeper's own
nsenter --cgroup --target "$sleeper" cat "/proc/$sleeper/cgroup" >"$d/cgroup"
for fd in /proc/$sleeper/fd/*; do
    echo "$(basename "$fd") -> $(readlink "$fd")" >>"$d/fd.links"
    cp "/proc/$sleeper/fdinfo/$(basename "$fd")" "$d/fdinfo/"
done
kill "$sleeper"
wait "$sleeper" 2>/dev/null || true

# 3. /proc/PID/cgroup of processes placed in the cgroups container managers create
id=3f9c2b7d41e8a05c6b2d9e7f1a3c5b8d0e2f4a6c8b1d3e5f7a9c0b2d4e6f8a1b
shape() { # NAME REL HIERARCHY...
    local name=$1 rel=$2 procs
    shift 2
    procs=$(procs_files "$rel" "$@")
    unshare --cgroup sh -c 'IFS=,; for f in $1; do echo $$ >"$f"; done; cat /proc/self/cgroup' sh "$procs" \
        >"$out/cgroup/$name.cgroup"
}
shape host-root "" 
shape lxc-waydroid lxc.payload.waydroid2/uid_10061/pid_2417 $(hier systemd)
shape docker-systemd "system.slice/docker-$id.scope" $(hier systemd pids memory)
((have_v1)) && shape docker-cgroupfs "docker/$id" "${v1[@]}"
((have_v1)) && shape lxc-legacy lxc/android "${v1[@]}"
shape kubepods-containerd \
    "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1c2e34_9a5b_4c1d_8e7f_0a1b2c3d4e5f.slice/cri-containerd-$id.scope" \
    $(hier systemd)
shape podman "machine.slice/libpod-$id.scope/container" $(hier systemd)
shape systemd-service system.slice/waydroid-container.service $(hier systemd)
shape user-session user.slice/user-1000.slice/session-3.scope $(hier systemd)

# this kernel has no CUSE: a dev attribute naming the numbers of the mapper's /dev/ashmem node
printf '1:3\n' >"$out/host/sys/class/cuse/ashmem/dev"
printf '%s\n' "$mapper_pid" >"$out/host/mapper.pid"
printf '%s\n' "$holder_pid" >"$out/host/holder.pid"
printf '%s\n' "$sleeper" >"$out/host/sleeper.pid"
echo "fixtures written: mapper $mapper_pid, holder $holder_pid, sleeper $sleeper"
