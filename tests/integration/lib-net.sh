# Helpers for the networking tests and bench/net (sourced after tests/lib.sh
# and lib-images.sh): a Debian image with network servers and clients.

NET_IMAGE_PKGS=redis-server,redis-tools,nginx-light,iperf3,iproute2,iputils-ping,netcat-openbsd,curl,procps

# debian_net_oci_archive: prints the path of a cached oci-archive of
# "debootstrap --variant=minbase --include=$NET_IMAGE_PKGS bookworm",
# building it (a few minutes) when today's copy is missing.
debian_net_oci_archive() {
	local day out mirror work
	day=$(date +%Y%m%d)
	out=$ZONE_TEST_CACHE/debian-bookworm-net-$day.oci.tar
	if [ -s "$out" ]; then echo "$out"; return 0; fi
	mirror=$(apt_mirror) || { echo "no Debian mirror in /etc/apt/sources.list*" >&2; return 1; }
	mkdir -p "$ZONE_TEST_CACHE"
	work=$(mktemp -d "$ZONE_TEST_CACHE/net-image.XXXXXX")
	(
		set -e
		cd "$work"
		umoci init --layout L
		umoci new --image L:net
		umoci unpack --image L:net B >/dev/null
		debootstrap --variant=minbase --include="$NET_IMAGE_PKGS" bookworm B/rootfs "$mirror"
		rm -rf B/rootfs/var/cache/apt/archives/*.deb B/rootfs/var/lib/apt/lists/*
		umoci repack --image L:net B >/dev/null
		umoci config --image L:net --no-history --os linux --architecture amd64 \
			--config.cmd /bin/bash \
			--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		umoci gc --layout L
		skopeo copy -q oci:L:net "oci-archive:$out.tmp:net"
		mv "$out.tmp" "$out"
	) >"$work.log" 2>&1 || { echo "building $out failed: $(tail -3 "$work.log")" >&2; rm -rf "$work"; return 1; }
	rm -rf "$work" "$work.log"
	find "$ZONE_TEST_CACHE" -maxdepth 1 -name 'debian-bookworm-net-*.oci.tar' ! -name "$(basename "$out")" -delete
	echo "$out"
}

# free_port: a TCP and UDP port nothing listens on in the current namespace.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$(shuf -i 20000-60000 -n 1)
		ss -Htuln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}
