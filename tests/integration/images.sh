#!/usr/bin/env bash
# Image import: the demo image, a Debian round trip against umoci unpack
# (oci-archive and docker-archive), a multi-layer image with whiteouts,
# opaque directories and hard links, the erofs cache, rm and prune.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-images.sh"

need "build/zone (make build/zone)" test -x "$ZONE"
need "build/demo-image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
for tool in umoci skopeo mkfs.erofs debootstrap python3 zstd jq; do
	need "$tool (make setup)" command -v "$tool"
done
need "erofs support in the host kernel" grep -qw erofs /proc/filesystems
need "root (loop mounts, file owners)" test "$(id -u)" = 0

# --- demo image (OCI layout directory)
out=$(zi image import "$BUILD/demo-image" --name demo 2>"$T_TMP/err")
check "demo: import" test $? = 0 -a ! -s "$T_TMP/err"
expect_eq "demo: silent when stdout is not a terminal" "" "$out"
expect_eq "demo: inspect name" "demo:latest" "$(inspect_field demo .name)"
expect_eq "demo: one layer" "1" "$(inspect_field demo '.layers|length')"
expect_eq "demo: Cmd" '["/bin/sh"]' "$(inspect_field demo '.config.Cmd|tojson')"
expect_eq "demo: manifest and config digests, sizes" "true" \
	"$(zi image inspect demo | jq '(.manifest_digest|test("^sha256:[0-9a-f]{64}$")) and (.config_digest|test("^sha256:[0-9a-f]{64}$")) and .size > 0 and .layers[0].size > 0 and .disk_size > 0')"
disk=$(inspect_field demo .disk)
check "demo: disk is named by the config digest" \
	test "$disk" = "$T_TMP/store/images/disks/$(inspect_field demo .config_digest | cut -c8-).erofs"
if mount_disk "$disk" "$T_TMP/demo"; then
	pass "demo: erofs disk mounts"
	expect_eq "demo: /bin/sh -> busybox" "busybox" "$(readlink "$T_TMP/demo/bin/sh")"
	check "demo: nobody is uid 1000" grep -q '^nobody:x:1000:1000:' "$T_TMP/demo/etc/passwd"
	check "demo: os-release" grep -q '^ID=zone-demo' "$T_TMP/demo/etc/os-release"
	expect_eq "demo: busybox runs from the disk" "hello" \
		"$(chroot "$T_TMP/demo" /bin/sh -c 'echo hello' 2>&1)"
else
	fail "demo: erofs disk mounts"
fi
script -qec "'$ZONE' --root '$T_TMP/store-tty' image import '$BUILD/demo-image' --name demo" /dev/null \
	>"$T_TMP/tty.out" 2>&1
check "demo: progress bar when stdout is a terminal" \
	grep -q 'layer 1/1 sha256:.*\[#*\] .*MiB' "$T_TMP/tty.out"
ZONE_UNPACK_TMPFS=1M "$ZONE" --root "$T_TMP/store-small" image import "$BUILD/demo-image" --name demo \
	>/dev/null 2>&1
if mount_disk "$("$ZONE" --root "$T_TMP/store-small" image inspect demo | jq -r .disk)" "$T_TMP/demo-small"; then
	same_tree "demo: tree too big for the tmpfs is retried on disk" "$T_TMP/demo-small" "$T_TMP/demo"
else
	fail "demo: tree too big for the tmpfs is retried on disk"
fi
mtime=$(stat -c %Y "$disk")
sleep 1
zi image import "$BUILD/demo-image" --name demo:again >/dev/null 2>&1
expect_eq "demo: second name shares the disk" "$disk" "$(inspect_field demo:again .disk)"
expect_eq "demo: disk built once" "$mtime" "$(stat -c %Y "$disk")"

# --- what podman save and buildah push write (each into a fresh store,
# so the cached disk is not reused), against the layout import above
P=$T_TMP/podman
pm() { podman --root "$P/root" --runroot "$P/run" --storage-driver vfs "$@"; }
skopeo copy -q "oci:$BUILD/demo-image:latest" "oci-archive:$T_TMP/demo-oci.tar:demo"
if pm load -q -i "$T_TMP/demo-oci.tar" >/dev/null 2>&1 &&
	pm save -q -o "$T_TMP/podman-docker.tar" localhost/demo:latest &&
	pm save -q --format oci-archive -o "$T_TMP/podman-oci.tar" localhost/demo:latest &&
	buildah --root "$P/root" --runroot "$P/run" --storage-driver vfs push -q localhost/demo:latest \
		"oci-archive:$T_TMP/buildah-oci.tar:demo" >/dev/null; then
	for f in podman-docker podman-oci buildah-oci; do
		if "$ZONE" --root "$T_TMP/store-$f" image import "$T_TMP/$f.tar" --name demo 2>"$T_TMP/err" &&
			mount_disk "$("$ZONE" --root "$T_TMP/store-$f" image inspect demo | jq -r .disk)" "$T_TMP/m-$f"; then
			same_tree "$f: import == layout import" "$T_TMP/m-$f" "$T_TMP/demo"
		else
			fail "$f: import" "$(cat "$T_TMP/err")"
		fi
	done
	expect_eq "podman save: default name from RepoTags" "localhost/demo:latest" \
		"$("$ZONE" --root "$T_TMP/store-podman-docker" image import "$T_TMP/podman-docker.tar" >/dev/null 2>&1
		   "$ZONE" --root "$T_TMP/store-podman-docker" image ls --json | jq -r '.[].name' | grep localhost)"
else
	fail "podman save / buildah push of the demo image" "podman or buildah failed"
fi
pm rmi -a -f >/dev/null 2>&1

# --- Debian: oci-archive and docker-archive vs umoci unpack
archive=$(debian_oci_archive)
if [ -z "$archive" ]; then
	fail "debian: build the bookworm oci-archive" "debootstrap/umoci failed"
else
	pass "debian: bookworm oci-archive ($(du -h "$archive" | cut -f1))"
	skopeo copy -q "oci-archive:$archive:bookworm" "oci:$T_TMP/deb-layout:bookworm"
	umoci unpack --image "$T_TMP/deb-layout:bookworm" "$T_TMP/deb-ref" >/dev/null 2>&1
	check "debian: umoci unpack reference" test -d "$T_TMP/deb-ref/rootfs/usr/bin"
	start=$SECONDS
	check "debian: import oci-archive" zi image import "$archive" --name debian:oci
	echo "    (oci-archive import: $((SECONDS - start)) s)"
	if mount_disk "$(inspect_field debian:oci .disk)" "$T_TMP/deb-oci"; then
		same_tree "debian: oci-archive erofs == umoci unpack" "$T_TMP/deb-oci" "$T_TMP/deb-ref/rootfs"
	else
		fail "debian: mount oci-archive disk"
	fi
	skopeo copy -q "oci-archive:$archive:bookworm" "docker-archive:$T_TMP/deb-docker.tar:debian:docker"
	# (unpacked on disk, not on tmpfs, to cover that path with a real tree)
	check "debian: import docker-archive (name from RepoTags)" \
		env ZONE_UNPACK_TMPFS=0 "$ZONE" --root "$T_TMP/store" image import "$T_TMP/deb-docker.tar"
	expect_eq "debian: docker-archive name" "debian:docker" "$(inspect_field debian:docker .name)"
	if mount_disk "$(inspect_field debian:docker .disk)" "$T_TMP/deb-docker"; then
		same_tree "debian: docker-archive erofs == umoci unpack" "$T_TMP/deb-docker" "$T_TMP/deb-ref/rootfs"
	else
		fail "debian: mount docker-archive disk"
	fi
	expect_eq "debian: OCI layout import (default name from ref)" "deb-layout:bookworm" \
		"$(zi image import "$T_TMP/deb-layout" >/dev/null 2>&1; zi image ls --json | jq -r '.[].name' | grep '^deb-layout')"
fi

# --- multi-layer: whiteouts, opaque dirs, hard links, tar / gzip / zstd
python3 "$ROOT/tests/integration/lib-images-mk.py" multilayer "$T_TMP/ml"
python3 "$ROOT/tests/integration/lib-images-mk.py" multilayer "$T_TMP/ml-gzip" gzip
umoci unpack --image "$T_TMP/ml-gzip:latest" "$T_TMP/ml-ref" >/dev/null 2>&1
check "multilayer: umoci unpack reference" test -d "$T_TMP/ml-ref/rootfs/hl"
check "multilayer: import (tar, tar+gzip, tar+zstd layers)" zi image import "$T_TMP/ml" --name ml
if mount_disk "$(inspect_field ml .disk)" "$T_TMP/ml-mnt"; then
	same_tree "multilayer: erofs == umoci unpack" "$T_TMP/ml-mnt" "$T_TMP/ml-ref/rootfs"
	expect_eq "multilayer: hard link to whited-out file keeps data" "whited out but linked" \
		"$(cat "$T_TMP/ml-mnt/w/link")"
	expect_eq "multilayer: cross-layer hard link shares the inode" \
		"$(stat -c %i "$T_TMP/ml-mnt/a/keep")" "$(stat -c %i "$T_TMP/ml-mnt/x/crosslink")"
	check "multilayer: file capability kept" \
		bash -c "getfattr -h --absolute-names -n security.capability '$T_TMP/ml-mnt/bin/ping' 2>/dev/null | grep -q capability || python3 -c 'import os,sys; os.getxattr(sys.argv[1], \"security.capability\")' '$T_TMP/ml-mnt/bin/ping'"
	expect_eq "multilayer: setuid kept" "4755" "$(stat -c %a "$T_TMP/ml-mnt/bin/su")"
	expect_eq "multilayer: sparse file size" "1048576" "$(stat -c %s "$T_TMP/ml-mnt/sparse.img")"
else
	fail "multilayer: mount disk"
fi
zi image import "$T_TMP/ml-gzip" --name ml:gzip >/dev/null
expect_eq "multilayer: same config, same cached disk" "$(inspect_field ml .disk)" "$(inspect_field ml:gzip .disk)"

# --- rm, prune, fsck
check "fsck: store OK" quiet zi image fsck
ml_disk=$(inspect_field ml .disk)
zi image rm ml
check "rm: disk kept while ml:gzip uses it" test -f "$ml_disk"
zi image rm ml:gzip
check "rm: disk freed with the last name" test ! -e "$ml_disk"
check "rm: unknown name fails" bash -c "! '$ZONE' --root '$T_TMP/store' image rm nosuch 2>/dev/null"
touch "$T_TMP/store/images/blobs/sha256/$(printf '%064d' 0)"
check "fsck: notices a stray blob" bash -c "! '$ZONE' --root '$T_TMP/store' image fsck >/dev/null 2>&1"
expect_eq "prune: removes it" "removed 1 files, 0.0 MB" "$(zi image prune)"
check "fsck: OK after prune" quiet zi image fsck
expect_eq "ls: remaining images" "deb-layout:bookworm debian:docker debian:oci demo:again demo:latest" \
	"$(zi image ls --json | jq -r '.[].name' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
