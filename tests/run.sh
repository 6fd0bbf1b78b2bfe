#!/usr/bin/env bash
# Runs every test (unit tests under ASan/UBSan, fuzz smoke runs, integration
# tests against real zones) and ends with the line "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOG=$(mktemp /tmp/zone-tests.XXXXXX)
only=${1:-}
# Tests that boot zones say so with a top-level need_kvm line.  Without a
# usable /dev/kvm here each runs in its own KVM box (tests/kvm-box/box.sh:
# a software-emulated VM with a real /dev/kvm), so a box that dies takes
# one test with it, not the rest.
needs_kvm() { grep -q '^need_kvm' "$1"; }
in_box=0
[ -w /dev/kvm ] || in_box=1
# In the box (emulated, a zone boots in seconds) these take 10-30 minutes
# each: make test reports them NOT RUN there, make check-all runs them.
BOX_LONG=" network runc runc-containerd torture "
boxed=
FUZZ_SECONDS=${FUZZ_SECONDS:-30} # make fuzz runs each for 10 minutes
crashed=0

run_one() { # NAME CMD...: run a test program, record a crash as a failure
	local name=$1; shift
	local start=$SECONDS
	echo "=== $name"
	# (no "|| true" here: it would replace PIPESTATUS, and a test that dies
	# before printing a line would count as passed)
	"$@" 2>&1 | tee -a "$LOG" | grep --line-buffered -E '^(PASS|FAIL|NOT RUN):'
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q "^FAIL: " <(sed -n "/^=== $name\$/,\$p" "$LOG"); then
		echo "FAIL: $name: exited with status $rc" | tee -a "$LOG"
	fi
	echo "    ($((SECONDS - start)) s)"
}

# run_boxed NAME TEST: TEST in a KVM box.  When the box itself crashed or
# hung (box.sh exits 123: the emulator, not the test), what that attempt
# printed is dropped, and the test runs once more in a new box.
run_boxed() {
	local name=$1 t=$2 out rc try
	out=$(mktemp /tmp/zone-box.XXXXXX)
	for try in 1 2; do
		KVM_BOX_LOG=$ROOT/build/kvm-box/console-$name.log \
			bash tests/kvm-box/box.sh --timeout "${KVM_BOX_TEST_TIMEOUT:-1200}" -- bash "$t" \
			>"$out" 2>&1
		rc=$?
		[ $rc = 123 ] && [ $try = 1 ] || break
		echo "($name: $(grep -a '^kvm-box: ' "$out" | tail -1); running it again in a new box)"
	done
	cat "$out"
	rm -f "$out"
	return $rc
}

for t in build/asan/tests/test_*; do
	[ -x "$t" ] || continue
	echo "=== $(basename "$t")" >>"$LOG"
	run_one "$(basename "$t")" "$t"
done

if [ "$only" != "--unit-only" ]; then
	if [ -x tests/fuzz/run.sh ] && ls build/fuzz/fuzz_* >/dev/null 2>&1; then
		echo "=== fuzz" >>"$LOG"
		run_one fuzz bash tests/fuzz/run.sh "$FUZZ_SECONDS"
	fi
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		case "$(basename "$t")" in lib-*) continue ;; esac # sourced helpers
		name=$(basename "$t" .sh)
		echo "=== $name" >>"$LOG"
		if needs_kvm "$t" && [ $in_box = 1 ] && [ -z "${ZONE_TEST_ALL:-}" ] &&
			[[ $BOX_LONG == *" $name "* ]]; then
			echo "=== $name"
			echo "NOT RUN: $name: too long for make test in the KVM box (no /dev/kvm here): make check-all runs it" |
				tee -a "$LOG"
		elif needs_kvm "$t" && [ $in_box = 1 ]; then
			[ -n "$boxed" ] || echo "(no usable /dev/kvm here: tests that boot zones run in the KVM box)"
			boxed=1
			run_one "$name" run_boxed "$name" "$t"
		else
			run_one "$name" bash "$t"
		fi
	done
fi

passed=$(grep -c '^PASS: ' "$LOG")
failed=$(grep -c '^FAIL: ' "$LOG")
notrun=$(grep -c '^NOT RUN: ' "$LOG")
if [ "$failed" -gt 0 ]; then
	echo "--- failures:"
	grep '^FAIL: ' "$LOG"
fi
[ "$notrun" -gt 0 ] && echo "--- $notrun not run (see NOT RUN lines above)"
rm -f "$LOG"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
