#!/usr/bin/env bash
# zone run's volume flags with bad input: each fails before a zone boots
# (so this runs without /dev/kvm) with one line on stderr and exit 125,
# and leaves no container, zone-vmm or virtiofsd behind.  The case that
# needs the image's contents (a file onto a directory) is in volumes.sh.
source "$(dirname "$0")/../lib.sh"
ZONE=$BUILD/zone

need "zone CLI (make build/zone)" test -x "$ZONE"
need "timeout (coreutils)" command -v timeout

export ZONE_ROOT=$T_TMP/root
export ZONE_RUNTIME_DIR=$T_TMP/run
mkdir -p "$T_TMP/dir"
echo data >"$T_TMP/file"

# bad_run NAME EXPECTED-TEXT ARGS...: exit 125, one line naming the problem
bad_run() {
	local name=$1 text=$2 rc lines
	shift 2
	timeout 20 "$ZONE" run --rm "$@" demo true >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
	lines=$(wc -l <"$T_TMP/err")
	if [ "$rc" -eq 125 ] && [ "$lines" -eq 1 ] && grep -q -- "$text" "$T_TMP/err" &&
		[ ! -s "$T_TMP/out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, stderr: $(head -c 300 "$T_TMP/err")"
	fi
}

cd "$T_TMP"
bad_run "-v missing host path" "No such file or directory" -v "$T_TMP/missing:/data"
bad_run "-v relative host path" "is relative" -v "sub/dir:/data"
bad_run "-v ./relative host path" "is relative" -v "./dir:/data"
bad_run "-v named volume" "named volumes are not supported" -v "myvol:/data"
bad_run "-v relative container path" "not absolute" -v "$T_TMP/dir:data"
bad_run "-v over /proc" "/proc and /sys" -v "$T_TMP/dir:/proc"
bad_run "-v under /proc through .." "/proc and /sys" -v "$T_TMP/dir:/x/../proc/self"
bad_run "-v over /sys" "/proc and /sys" -v "$T_TMP/dir:/sys/kernel"
bad_run "-v over /" "root '/'" -v "$T_TMP/dir:/"
bad_run "-v unknown option" "unknown option" -v "$T_TMP/dir:/data:rx"
bad_run "-v a device as host path" "neither a directory nor a regular file" -v "/dev/null:/data"
bad_run "the same target twice" "already a mount target" -v "$T_TMP/dir:/data" -v "$T_TMP/file:/data"
bad_run "--mount without dst" "no dst=" --mount "type=bind,src=$T_TMP/dir"
bad_run "--mount relative src" "is relative" --mount "type=bind,src=sub/dir,dst=/data"
bad_run "--mount type=volume" "not supported" --mount "type=volume,src=v,dst=/data"
bad_run "--mount tmpfs over /proc" "/proc and /sys" --mount "type=tmpfs,dst=/proc"
bad_run "--tmpfs relative" "not absolute" --tmpfs "scratch"
bad_run "--tmpfs bad size" "not a size" --tmpfs "/scratch:size=lots"

# nothing was created or started
n=$(find "$ZONE_ROOT/containers" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
expect_eq "no container state left behind" 0 "$n"
left=$(pgrep -f -- "$T_TMP" | grep -v "^$$\$" | tr '\n' ' ')
expect_eq "no zone-vmm or virtiofsd left running" "" "$left"

# zone-vmm --fs refuses bad shares before it opens /dev/kvm (exit 2, one line)
bad_vmm() { # NAME TEXT ARG
	local rc
	timeout 20 "$VMM" --fs "$3" -- true >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T_TMP/err")" -eq 1 ] && grep -q -- "$2" "$T_TMP/err"; then
		pass "$1"
	else
		fail "$1" "exit $rc, stderr: $(head -c 300 "$T_TMP/err")"
	fi
}
if [ -x "$VMM" ]; then
	bad_vmm "zone-vmm --fs missing path" "No such file or directory" "a=$T_TMP/missing"
	bad_vmm "zone-vmm --fs relative path" "not absolute" "a=dir"
	bad_vmm "zone-vmm --fs without a tag" "expected TAG=HOSTPATH" "=$T_TMP/dir"
	bad_vmm "zone-vmm --fs tag over 36 bytes" "longer than 36" "$(printf 't%.0s' $(seq 40))=$T_TMP/dir"
else
	fail "zone-vmm --fs bad input" "missing: zone-vmm (make build/zone-vmm)"
fi
