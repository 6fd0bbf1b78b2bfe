#!/usr/bin/env bash
# Installs the Debian packages that the build, tests and benchmarks need.
# Idempotent and quiet when everything is already there.
set -euo pipefail

PKGS=(
	build-essential clang pkg-config libclang-rt-14-dev
	libseccomp-dev libarchive-dev libjansson-dev libcap-dev libzstd-dev libssl-dev
	busybox-static cpio erofs-utils squashfs-tools e2fsprogs zstd
	util-linux strace jq python3
	# virtio-fs back end (virtiofsd) and bench/fs
	qemu-system-common fio
	qemu-system-x86 ccache
	libcurl4-openssl-dev docker-registry apache2-utils openssl python3-jwt python3-cryptography
	runc crun podman skopeo umoci buildah debootstrap hyperfine containerd
	nftables iproute2 curl wrk iperf3 redis-tools netcat-openbsd
)
# Without a usable /dev/kvm, the tests that boot zones run in the KVM box
# (tests/kvm-box): a Debian kernel with kvm_amd under QEMU's emulated SVM.
if [ ! -w /dev/kvm ]; then
	PKGS+=(linux-image-amd64 kmod)
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "setup: need root to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
