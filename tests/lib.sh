# Shared helpers for integration tests.  Each test prints "PASS: group: name"
# or "FAIL: group: name: why"; tests/run.sh counts those lines.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
VMM=${ZONE_VMM:-$BUILD/zone-vmm}
T_GROUP=${T_GROUP:-$(basename "$0" .sh)}
T_TMP=$(mktemp -d /tmp/zone-test.XXXXXX)
trap 'rm -rf "$T_TMP"' EXIT

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

# A test that needs something the machine lacks fails and says what.
need() {
	local what=$1; shift
	if ! "$@" >/dev/null 2>&1; then
		fail "prerequisite" "missing: $what"
		exit 0
	fi
}
