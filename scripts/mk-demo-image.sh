#!/usr/bin/env bash
# Builds the demo image from local files only, as an OCI image layout:
# static busybox with its applets as symlinks in /bin, /etc/passwd with
# root and nobody (uid 1000), /etc/group, /etc/os-release; Cmd ["/bin/sh"].
# usage: mk-demo-image.sh OUT_DIR [BUSYBOX]
set -euo pipefail
out=${1:?usage: mk-demo-image.sh OUT_DIR [BUSYBOX]}
bb=${2:-/bin/busybox}
command -v umoci >/dev/null || { echo "mk-demo-image: umoci is missing (apt-get install umoci)" >&2; exit 1; }
[ -x "$bb" ] || { echo "mk-demo-image: $bb is missing (apt-get install busybox-static)" >&2; exit 1; }
if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked' && ldd "$bb" >/dev/null 2>&1; then
	echo "mk-demo-image: $bb is not static (install busybox-static)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zone-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
r=$work/rootfs
mkdir -p "$r"/{bin,sbin,etc,root,tmp,home/nobody,dev,proc,sys,run,var/tmp,usr/bin,usr/sbin}
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 700 "$r/root"
install -m 0755 "$bb" "$r/bin/busybox"
for applet in $("$bb" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$r/bin/$applet"
done
cat >"$r/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:1000:1000:nobody:/home/nobody:/bin/sh
PW
cat >"$r/etc/group" <<'GR'
root:x:0:
nobody:x:1000:
GR
cat >"$r/etc/os-release" <<'OS'
NAME="zone demo"
ID=zone-demo
VERSION_ID=1
PRETTY_NAME="zone demo (static busybox)"
OS
echo zone-demo >"$r/etc/hostname"
chmod 644 "$r"/etc/*

uid=$(id -u)
if [ "$uid" = 0 ]; then
	chown -R 0:0 "$r"
	chown 1000:1000 "$r/home/nobody"
	rootless=()
else
	rootless=(--rootless) # umoci records the files as owned by root
fi

lay=$work/layout
umoci init --layout "$lay"
umoci new --image "$lay:latest"
umoci insert "${rootless[@]}" --image "$lay:latest" --history.created_by "zone mk-demo-image.sh" "$r" /
umoci config --image "$lay:latest" --os linux --architecture amd64 \
	--config.cmd /bin/sh --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	--config.workingdir / --author zone --no-history
umoci gc --layout "$lay"

rm -rf "$out.tmp"
mv "$lay" "$out.tmp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "demo image: $out"
