# Helpers for the image tests (sourced after tests/lib.sh).
ZONE=${ZONE:-$BUILD/zone}
ZONE_TEST_CACHE=${ZONE_TEST_CACHE:-/var/cache/zone-tests}

# apt_mirror: the first Debian mirror URL configured in apt's sources
# (deb822 "URIs:" or one-line "deb URL ..." form), never hard-coded.
apt_mirror() {
	local f url
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		url=$(awk '
			/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /debian\/?$/) { print $i; exit } }
			/^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*debian\/?$/) { print $i; exit } }
		' "$f")
		if [ -n "$url" ]; then echo "$url"; return 0; fi
	done
	return 1
}

# debian_rootfs_tar: prints the path of a cached tarball of a
# "debootstrap --variant=minbase bookworm" tree, building it (a few
# minutes) when today's copy is missing.
debian_rootfs_tar() {
	local day out mirror tree
	day=$(date +%Y%m%d)
	out=$ZONE_TEST_CACHE/debian-bookworm-minbase-$day.tar
	if [ -s "$out" ]; then echo "$out"; return 0; fi
	mirror=$(apt_mirror) || { echo "no Debian mirror in /etc/apt/sources.list*" >&2; return 1; }
	mkdir -p "$ZONE_TEST_CACHE"
	tree=$(mktemp -d "$ZONE_TEST_CACHE/debootstrap.XXXXXX")
	if ! debootstrap --variant=minbase bookworm "$tree" "$mirror" >"$tree.log" 2>&1; then
		echo "debootstrap failed (log: $tree.log)" >&2
		rm -rf "$tree"
		return 1
	fi
	rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/* "$tree.log"
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$tree" -cf "$out.tmp" . &&
		mv "$out.tmp" "$out"
	rm -rf "$tree"
	# Keep only the newest copy.
	find "$ZONE_TEST_CACHE" -maxdepth 1 -name 'debian-bookworm-minbase-*.tar' ! -name "$(basename "$out")" -delete
	[ -s "$out" ] && echo "$out"
}

# debian_oci_archive: prints the path of a cached oci-archive (one gzip
# layer, built with umoci from debian_rootfs_tar), building it if needed.
debian_oci_archive() {
	local src out work
	src=$(debian_rootfs_tar) || return 1
	out=${src%.tar}.oci.tar
	if [ -s "$out" ]; then echo "$out"; return 0; fi
	work=$(mktemp -d "$ZONE_TEST_CACHE/oci.XXXXXX")
	(
		set -e
		cd "$work"
		umoci init --layout L
		umoci new --image L:bookworm
		umoci unpack --image L:bookworm B >/dev/null
		tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$src" -C B/rootfs
		umoci repack --image L:bookworm B >/dev/null
		umoci config --image L:bookworm --no-history --os linux --architecture amd64 \
			--config.cmd /bin/bash \
			--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		umoci gc --layout L
		skopeo copy -q oci:L:bookworm "oci-archive:$out.tmp:bookworm"
		mv "$out.tmp" "$out"
	) >"$work.log" 2>&1 || { echo "building $out failed: $(tail -3 "$work.log")" >&2; rm -rf "$work"; return 1; }
	rm -rf "$work" "$work.log"
	find "$ZONE_TEST_CACHE" -maxdepth 1 -name 'debian-bookworm-minbase-*.oci.tar' ! -name "$(basename "$out")" -delete
	echo "$out"
}

# Mounts made by mount_disk are undone by images_cleanup (the EXIT trap).
IMG_MOUNTS=()
images_cleanup() {
	local m
	for m in "${IMG_MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap images_cleanup EXIT

# mount_disk DISK DIR: loop-mounts an erofs image read-only.
mount_disk() {
	mkdir -p "$2"
	mount -t erofs -o ro,loop "$1" "$2" || return 1
	IMG_MOUNTS+=("$2")
}

# tree_listing DIR: the sorted description of every file (lib-images-tree.py).
tree_listing() {
	python3 "$ROOT/tests/integration/lib-images-tree.py" --mtime "$1"
}

# same_tree NAME DIR_A DIR_B: passes when the listings are identical,
# else fails showing the first differences.
same_tree() {
	local a=$T_TMP/listing.$$.a b=$T_TMP/listing.$$.b n
	tree_listing "$2" >"$a"
	tree_listing "$3" >"$b"
	if cmp -s "$a" "$b"; then
		pass "$1 ($(wc -l <"$a") files)"
	else
		n=$(diff "$a" "$b" | grep -c '^[<>]')
		fail "$1" "$n lines differ: $(diff "$a" "$b" | grep '^[<>]' | head -4 | tr '\n' '|')"
	fi
}

# zi ARGS...: the zone CLI on the test's store.
zi() { "$ZONE" --root "$T_TMP/store" "$@"; }

# inspect_field NAME JQ: one field of zone image inspect.
inspect_field() { zi image inspect "$1" | jq -r "$2"; }

# quiet CMD...: runs CMD with its output discarded (for check).
quiet() { "$@" >/dev/null 2>&1; }
