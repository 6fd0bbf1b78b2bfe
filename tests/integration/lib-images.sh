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
