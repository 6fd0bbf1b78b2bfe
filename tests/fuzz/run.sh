#!/usr/bin/env bash
# Runs every build/fuzz/fuzz_* libFuzzer binary for SECONDS each and prints
# "PASS: fuzz: <name> (<execs> execs)" or "FAIL: fuzz: <name>: crash ...".
# Corpus: build/fuzz/corpus/<name>, plus tests/fuzz/corpus/<name> when it
# exists (committed inputs: past findings, read-only); an empty corpus is seeded by running
# the fuzzer once with ZONE_FUZZ_SEEDS=<dir> (fuzzers that support it
# write valid inputs there and exit; others just run once).
# Exits 0: failures are reported by the FAIL lines.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SECONDS_EACH=${1:-60}
found=0

for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	found=1
	name=$(basename "$bin")
	corpus=build/fuzz/corpus/$name
	log=build/fuzz/$name.log
	mkdir -p "$corpus" build/fuzz/artifacts
	if [ -z "$(ls -A "$corpus")" ]; then
		ZONE_FUZZ_SEEDS=$corpus "$bin" -runs=0 >/dev/null 2>&1 || true
	fi
	kept=tests/fuzz/corpus/$name
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="build/fuzz/artifacts/$name-" "$corpus" \
		$([ -d "$kept" ] && echo "$kept") >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "PASS: fuzz: $name (${execs:-0} execs)"
	else
		why=$(grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | cut -c1-200)
		artifact=$(grep -m1 -o 'Test unit written to [^ ]*' "$log" | sed 's/Test unit written to //')
		echo "FAIL: fuzz: $name: crash (exit $rc): ${why:-see $log}${artifact:+ (input: $artifact)}"
	fi
done
[ "$found" -eq 1 ] || echo "NOT RUN: fuzz: no build/fuzz/fuzz_* binaries (make fuzzers)"
exit 0
