#!/bin/sh
# Lays out the Debian package's files under OUT/root and archives them as OUT/data.tar for
# jdeb, with root ownership and normalised modes (jdeb keeps an archive's modes; from a plain
# directory it would drop the executable bits of the launchers and the LXC hooks).
#
#   stage-tree.sh BASEDIR DIST OUT VERSION
#
# BASEDIR is the repository (systemd/, src/deb/), DIST the built target/dist tree, VERSION the
# Maven version. Every file of systemd/ needs a place below; an unknown one stops the build
# rather than being left out of the package.
set -eu

base=$1 dist=$2 out=$3
# the rule jdeb applies to the package version: 0.1.0-SNAPSHOT sorts before 0.1.0
version=$(printf '%s\n' "$4" | sed 's/-/~/')

root=$out/root
rm -rf "$root" "$out/data.tar"
mkdir -p "$root"

# /usr/lib/ashmemd: the same layout as target/dist, so the launchers find their tree
app=$root/usr/lib/ashmemd
mkdir -p "$app/share"
cp -R "$dist/bin" "$dist/lib" "$app/"
for part in android lxc; do
    if [ -d "$dist/share/$part" ]; then
        cp -R "$dist/share/$part" "$app/share/"
    fi
done
rmdir "$app/share" 2>/dev/null || true
# the class-data-sharing archives of ashmemctl and the daemon hold only for the JVM and the paths
# they were made with: the package's are made by postinst in /var/cache (bin/ashmemctl-cds,
# bin/ashmemd-cds), and linked from here
for jsa in ashmemctl.jsa ashmemd.jsa; do
    rm -f "$app/lib/$jsa"
    ln -s "/var/cache/ashmemd/$jsa" "$app/lib/$jsa"
done
# jars and the preload libraries are read or mapped, never executed
find "$app/lib" -type f -exec chmod 0644 {} +
# the preload libraries without their symbols, each with its own architecture's strip
for lib in "$app"/lib/native/*/libashmemd-preload.so; do
    [ -e "$lib" ] || continue
    arch=${lib%/*}
    arch=${arch##*/}
    case $arch in
        arm64) strip=aarch64-linux-gnu-strip ;;
        armhf) strip=arm-linux-gnueabihf-strip ;;
        *) strip=strip ;;
    esac
    "$strip" --strip-unneeded --remove-section=.comment --remove-section=.note "$lib"
done
mkdir -p "$root/usr/bin"
ln -s ../lib/ashmemd/bin/ashmemd "$root/usr/bin/ashmemd"
ln -s ../lib/ashmemd/bin/ashmemctl "$root/usr/bin/ashmemctl"

# systemd/: unit, drop-ins, udev rule, modules-load.d entry
units=$root/lib/systemd/system
for f in "$base"/systemd/*; do
    name=${f##*/}
    case $name in
        *.service|*.socket|*.path|*.timer)
            install -D -m 0644 "$f" "$units/$name" ;;
        *.service.d)
            mkdir -p "$units/$name"
            for g in "$f"/*; do
                install -m 0644 "$g" "$units/$name/"
            done ;;
        *.rules)
            install -D -m 0644 "$f" "$root/lib/udev/rules.d/$name" ;;
        ashmemd-modules.conf)
            install -D -m 0644 "$f" "$root/usr/lib/modules-load.d/ashmemd.conf" ;;
        modules-load.d)
            mkdir -p "$root/usr/lib/modules-load.d"
            for g in "$f"/*; do
                install -m 0644 "$g" "$root/usr/lib/modules-load.d/"
            done ;;
        *)
            echo "stage-tree.sh: systemd/$name has no place in the package; add it to $0" >&2
            exit 1 ;;
    esac
done

# man pages and completion, generated into target/dist/share by the build
mkdir -p "$root/usr/share/man/man8"
for page in "$dist"/share/man/man8/*.8; do
    gzip -9 -n -c "$page" >"$root/usr/share/man/man8/${page##*/}.gz"
done
# bash sources completions; the generated file's #! line would only mislead
mkdir -p "$root/usr/share/bash-completion/completions"
sed '1{/^#!/d}' "$dist/share/bash-completion/completions/ashmemctl" \
    >"$root/usr/share/bash-completion/completions/ashmemctl"

doc=$root/usr/share/doc/ashmemd
install -D -m 0644 "$base/src/deb/copyright" "$doc/copyright"
# the LXC snippets' documentation (the dist tree leaves it out of share/lxc)
if [ -f "$base/lxc-hooks/README.md" ]; then
    install -m 0644 "$base/lxc-hooks/README.md" "$doc/README.lxc.md"
fi
sed "s/@VERSION@/$version/" "$base/src/deb/changelog" | gzip -9 -n >"$doc/changelog.gz"
overrides=$root/usr/share/lintian/overrides/ashmemd
install -D -m 0644 "$base/src/deb/lintian-overrides" "$overrides"
# only with hooks in the package: lintian warns about an override that matches nothing
if [ -n "$(find "$app/share" -path '*/lxc/*' -type f -perm -u+x 2>/dev/null | head -n 1)" ]; then
    printf '%s\n' \
        "# LXC runs the hooks by the path a container's config names; they are not commands for users." \
        'ashmemd: executable-in-usr-lib [usr/lib/ashmemd/share/lxc/*]' >>"$overrides"
fi

# u=rwX,go=rX: directories and executables 0755, everything else 0644, whatever the umask
tar -C "$root" --owner=root:0 --group=root:0 --mode=u=rwX,go=rX --sort=name \
    -cf "$out/data.tar" lib usr
