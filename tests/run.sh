#!/usr/bin/env bash
# Runs every test (unit tests under ASan/UBSan, fuzz smoke runs, integration
# tests against real zones) and ends with the line "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
LOG=$(mktemp /tmp/zone-tests.XXXXXX)
only=${1:-}
# Tests that boot zones say so with a top-level need_kvm line.  Without a
# usable /dev/kvm here they run inside the KVM box (tests/kvm-box/box.sh: a
# software-emulated VM with a real /dev/kvm); --kvm-only is how the box runs
# them, and prints no summary (the outer run counts its lines).
needs_kvm() { grep -q '^need_kvm' "$1"; }
in_box=0
if [ "$only" = "--kvm-only" ] || [ -w /dev/kvm ] || [ "${ZONE_NO_KVM_BOX:-}" = 1 ]; then
	in_box=1 # run KVM tests here
fi
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
crashed=0

run_one() { # NAME CMD...: run a test program, record a crash as a failure
	local name=$1; shift
	local start=$SECONDS
	echo "=== $name"
	# (no "|| true" here: it would replace PIPESTATUS, and a test that dies
	# before printing a line would count as passed)
	"$@" 2>&1 | tee -a "$LOG" | grep -E '^(PASS|FAIL|NOT RUN):'
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q "^FAIL: " <(sed -n "/^=== $name\$/,\$p" "$LOG"); then
		echo "FAIL: $name: exited with status $rc" | tee -a "$LOG"
	fi
	echo "    ($((SECONDS - start)) s)"
}

for t in build/asan/tests/test_*; do
	[ "$only" = "--kvm-only" ] && break
	[ -x "$t" ] || continue
	echo "=== $(basename "$t")" >>"$LOG"
	run_one "$(basename "$t")" "$t"
done

if [ "$only" != "--unit-only" ]; then
	if [ "$only" != "--kvm-only" ] && [ -x tests/fuzz/run.sh ] && ls build/fuzz/fuzz_* >/dev/null 2>&1; then
		echo "=== fuzz" >>"$LOG"
		run_one fuzz bash tests/fuzz/run.sh "$FUZZ_SECONDS"
	fi
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		case "$(basename "$t")" in lib-*) continue ;; esac # sourced helpers
		if needs_kvm "$t"; then
			[ $in_box = 1 ] || continue
		elif [ "$only" = "--kvm-only" ]; then
			continue
		fi
		echo "=== $(basename "$t" .sh)" >>"$LOG"
		run_one "$(basename "$t" .sh)" bash "$t"
	done
	if [ $in_box = 0 ]; then
		echo "=== kvm-box" >>"$LOG"
		echo "(no usable /dev/kvm here: the tests that boot zones run in the KVM box)"
		run_one kvm-box bash tests/kvm-box/box.sh -- bash tests/run.sh --kvm-only
	fi
fi

if [ "$only" = "--kvm-only" ]; then
	cat "$LOG" >/dev/null
	rm -f "$LOG"
	exit 0
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
