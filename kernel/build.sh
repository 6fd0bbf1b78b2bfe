#!/usr/bin/env bash
# Builds the zone guest kernel: Debian's linux-source-6.12 + the patches in
# kernel/series + kernel/config -> an uncompressed ELF vmlinux (PVH entry,
# debug info stripped), cached per recipe in $ZONE_KERNEL_CACHE/<hash>/ and
# linked as build/vmlinux.  Each machine builds each recipe once.
#
#   kernel/build.sh            build when the cache entry is missing, link build/vmlinux
#   kernel/build.sh --hash     print the recipe hash
#   kernel/build.sh --entry    print the cache entry directory of this recipe
#
# Environment: ZONE_KERNEL_CACHE (default /var/cache/zone/kernel);
# ZONE_KERNEL_PREBUILT=DIR takes DIR/vmlinux instead of building, only when
# DIR/recipe names this recipe's hash and the vmlinux's sha256.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SRC_PKG=linux-source-6.12
SRC_VERSION=6.12.117-1~deb12u1
SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
BUILD_DEPS=(build-essential flex bison bc libelf-dev libssl-dev cpio zstd)
CACHE=${ZONE_KERNEL_CACHE:-/var/cache/zone/kernel}
# Compile steps ("CC", "AS", ... lines) of a full build of this config, for
# the progress figure; a wrong guess only skews the percentage.
EXPECTED_STEPS=3300

die() { echo "kernel: $*" >&2; exit 1; }
phase() { echo "kernel: $*"; }

# The inputs, in hashing order: this script, the config, the series and
# every patch it lists.
recipe_inputs() {
	local p
	echo "build.sh"
	echo "config"
	echo "series"
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		[ -f "$HERE/$p" ] || die "series names $p, which does not exist"
		echo "$p"
	done < "$HERE/series"
}

# The manifest the hash is taken over: the source package and version, then
# "sha256  name" for every input.
recipe_manifest() {
	local f
	echo "source $SRC_PKG $SRC_VERSION"
	recipe_inputs | while read -r f; do
		(cd "$HERE" && sha256sum "$f")
	done
}

recipe_hash() { recipe_manifest | sha256sum | cut -d" " -f1; }

installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

# Installs the pinned source package and the build dependencies when missing.
ensure_sources() {
	local missing=() p
	[ "$(installed_version "$SRC_PKG")" = "$SRC_VERSION" ] || missing+=("$SRC_PKG=$SRC_VERSION")
	for p in "${BUILD_DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "need root to install ${missing[*]}"
	phase "installing ${missing[*]}"
	local apt=(apt-get -y -qq -o DPkg::Lock::Timeout=300)
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine may not have package lists yet: update once and retry.
	"${apt[@]}" install --allow-downgrades "${missing[@]}" >/dev/null 2>&1 ||
		{ "${apt[@]}" update >/dev/null && "${apt[@]}" install --allow-downgrades "${missing[@]}" >/dev/null; } ||
		die "apt-get install ${missing[*]} failed"
	[ -f "$SRC_TARBALL" ] || die "$SRC_TARBALL missing after installing $SRC_PKG"
}

# An entry is valid when its recipe names this hash and the vmlinux it holds.
entry_valid() {
	local dir=$1 hash=$2 sum
	[ -f "$dir/vmlinux" ] && [ -f "$dir/recipe" ] || return 1
	grep -qx "hash $hash" "$dir/recipe" || return 1
	sum=$(sha256sum "$dir/vmlinux" | cut -d' ' -f1)
	grep -qx "vmlinux-sha256 $sum" "$dir/recipe"
}

# build/vmlinux -> the cache entry, replaced atomically.
link_build() {
	local target=$1/vmlinux
	mkdir -p "$ROOT/build"
	ln -sfn "$target" "$ROOT/build/.vmlinux.tmp"
	mv -T "$ROOT/build/.vmlinux.tmp" "$ROOT/build/vmlinux"
	phase "build/vmlinux -> $target"
}

# A build in progress: its temporary directory and its make, removed and
# stopped if this script ends early.
BUILD_TMP=
MAKE_PID=
cleanup() {
	set +e
	# make runs in a process group of its own: stop it and its compilers.
	if [ -n "$MAKE_PID" ]; then
		kill -- "-$MAKE_PID" 2>/dev/null
		wait "$MAKE_PID" 2>/dev/null
	fi
	[ -n "$BUILD_TMP" ] && rm -rf "$BUILD_TMP"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# make with a progress line every 30 s; the full log stays in $1.
make_with_progress() {
	local log=$1; shift
	local start=$SECONDS steps pct rc=0
	setsid "$@" > "$log" 2>&1 9>&- &
	MAKE_PID=$!
	while kill -0 "$MAKE_PID" 2>/dev/null; do
		sleep 30 &
		wait $! || true
		kill -0 "$MAKE_PID" 2>/dev/null || break
		steps=$(grep -c '^  [A-Z]' "$log" || true)
		pct=$((steps * 100 / EXPECTED_STEPS))
		[ "$pct" -gt 99 ] && pct=99
		phase "compiling: ~$pct% ($steps steps, $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s)"
	done
	wait "$MAKE_PID" || rc=$?
	MAKE_PID=
	return $rc
}

# Builds into a temporary directory next to the cache entry and renames it
# into place: an interrupted build leaves no half entry.
build_entry() {
	local hash=$1 entry=$2 src p cc=gcc
	BUILD_TMP=$(mktemp -d "$CACHE/.build-$hash.XXXXXX")
	phase "unpacking $SRC_TARBALL"
	tar -C "$BUILD_TMP" -xf "$SRC_TARBALL"
	src=$BUILD_TMP/linux-source-6.12
	phase "applying $(recipe_inputs | grep -c '^patches/') patches"
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		patch -d "$src" -p1 -F0 -N --batch -s < "$HERE/$p" || die "$p does not apply"
	done < "$HERE/series"
	cp "$HERE/config" "$src/.config"
	# ccache, when installed, makes a rebuild after a small recipe change
	# take minutes instead of a quarter of an hour.
	if command -v ccache >/dev/null; then
		cc="ccache gcc"
		export CCACHE_DIR=${CCACHE_DIR:-/var/cache/zone/ccache} CCACHE_BASEDIR=$src \
			CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
	fi
	make -C "$src" -s CC="$cc" olddefconfig >/dev/null
	phase "building vmlinux with $(nproc) jobs (10-15 min on 2 idle cores)"
	if ! make_with_progress "$BUILD_TMP/make.log" make -C "$src" CC="$cc" -j"$(nproc)" vmlinux; then
		cp "$BUILD_TMP/make.log" "$CACHE/last-failed-build.log"
		tail -n 30 "$BUILD_TMP/make.log" >&2
		die "build failed; full log in $CACHE/last-failed-build.log"
	fi
	mkdir "$BUILD_TMP/entry"
	strip --strip-debug -o "$BUILD_TMP/entry/vmlinux" "$src/vmlinux"
	{
		echo "hash $hash"
		echo "source $SRC_PKG $SRC_VERSION"
		echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
		echo "release $(cat "$src/include/config/kernel.release")"
		echo "vmlinux-sha256 $(sha256sum "$BUILD_TMP/entry/vmlinux" | cut -d' ' -f1)"
		echo "inputs:"
		recipe_manifest
	} > "$BUILD_TMP/entry/recipe"
	sync -f "$BUILD_TMP/entry/vmlinux" "$BUILD_TMP/entry/recipe"
	mv -T "$BUILD_TMP/entry" "$entry"
	phase "built $entry"
}

take_prebuilt() {
	local dir=$1 hash=$2 entry=$3
	entry_valid "$dir" "$hash" || die "ZONE_KERNEL_PREBUILT=$dir was not built from recipe $hash"
	BUILD_TMP=$(mktemp -d "$CACHE/.build-$hash.XXXXXX")
	cp "$dir/vmlinux" "$dir/recipe" "$BUILD_TMP/"
	sync -f "$BUILD_TMP/vmlinux"
	mv -T "$BUILD_TMP" "$entry"
	phase "took the prebuilt kernel from $dir"
}

case ${1:-} in
--hash) recipe_hash; exit 0 ;;
--entry) echo "$CACHE/$(recipe_hash)"; exit 0 ;;
'') ;;
*) die "usage: kernel/build.sh [--hash|--entry]" ;;
esac

hash=$(recipe_hash)
entry=$CACHE/$hash
if entry_valid "$entry" "$hash"; then
	link_build "$entry"
	exit 0
fi
mkdir -p "$CACHE" 2>/dev/null || die "cannot create $CACHE (run as root or set ZONE_KERNEL_CACHE)"
exec 9> "$CACHE/.lock"
if ! flock -n 9; then
	phase "another kernel build holds $CACHE/.lock: waiting"
	flock 9
fi
# Holding the lock: leftovers of builds that were killed can go.
rm -rf "$CACHE"/.build-*
# The build that held the lock may have produced this very entry.
if entry_valid "$entry" "$hash"; then
	link_build "$entry"
	exit 0
fi
[ -e "$entry" ] && die "$entry exists but does not match its recipe: remove it"
if [ -n "${ZONE_KERNEL_PREBUILT:-}" ]; then
	take_prebuilt "$ZONE_KERNEL_PREBUILT" "$hash" "$entry"
else
	phase "building the guest kernel (10-15 min, once per recipe)... recipe $hash"
	ensure_sources
	build_entry "$hash" "$entry"
fi
link_build "$entry"
