# Shared helpers for integration tests.  Each test prints "PASS: group: name"
# or "FAIL: group: name: why"; tests/run.sh counts those lines.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
VMM=${ZONE_VMM:-$BUILD/zone-vmm}
T_GROUP=${T_GROUP:-$(basename "$0" .sh)}
T_TMP=$(mktemp -d /tmp/zone-test.XXXXXX)

# Background processes (zones, clients) a test starts: killed and reaped on exit.
pids=()
t_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT

# guest_disk IMG DIR SRC.c...: build each guest program statically into DIR
# (which may already hold other files) and pack DIR as an ext4 image.
guest_disk() {
	local img=$1 dir=$2 src
	shift 2
	mkdir -p "$dir"
	for src in "$@"; do
		gcc -static -O2 -Wall -o "$dir/$(basename "$src" .c)" "$src" || return 1
	done
	mkfs.ext4 -q -d "$dir" "$img" 8M >/dev/null 2>&1
}

pass() { echo "PASS: $T_GROUP: $1"; }
fail() { echo "FAIL: $T_GROUP: $1${2:+: $2}"; }

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# check NAME CMD...: passes when CMD succeeds
check() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

# wait_for SECS CMD...: poll CMD every 50 ms until it succeeds (0) or SECS
# pass (1).  For readiness (a socket appearing, a process gone): fixed
# sleeps fail on a loaded machine.
wait_for() {
	local deadline=$((SECONDS + $1 * T_SLOW)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# In the KVM box (tests/kvm-box) everything is emulated: a zone boots in
# seconds, not a third of one.  Waits there guard against hangs, so they
# stretch by T_SLOW (the box also puts a timeout(1) on PATH that does the
# same); nothing asserts a duration.
T_SLOW=${ZONE_TEST_SLOW:-1}

# A test that needs something the machine lacks fails and says what.
need() {
	local what=$1; shift
	if ! "$@" >/dev/null 2>&1; then
		fail "prerequisite" "missing: $what"
		exit 0
	fi
}

# need_kvm: /dev/kvm, and when it is missing, why (a kvm_pvm module that did
# not bind says so in the kernel log).
need_kvm() {
	[ -w /dev/kvm ] && return 0
	local why="/dev/kvm (KVM or KVM-PVM)" said
	if [ -d /sys/module/kvm_pvm ] && [ ! -e /dev/kvm ]; then
		said=$(dmesg 2>/dev/null | grep -m1 -o 'kvm-pvm: .*not binding')
		why="$why: the kvm_pvm module is loaded but registered no device${said:+ ('$said')}"
	fi
	need "$why" false
}
