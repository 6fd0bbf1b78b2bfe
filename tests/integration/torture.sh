#!/usr/bin/env bash
# Guest torture suite: the static programs of tests/guest/torture/ (built into
# build/torture/ by make) run inside real 1- and 2-vCPU zones, with the
# binaries on stdin (zone-vmm -i ... tar xf -).  Registers (GPR and ymm)
# across signals, faults and interrupts; fork/exec storms; THP integrity;
# remote TLB shoot-down; FS base across switches and exits; user probes of
# kernel memory; forged NMI entries; NMIs while the other vCPU runs user
# code; 30 s of 2-vCPU stress.  Every run's kernel log (--console-log) must
# be free of BUG, WARNING and Oops.
source "$(dirname "$0")/../lib.sh"
need_kvm
need "build/zone-vmm (run make)" test -x "$VMM"
need "build/torture/ (run make)" test -x "$BUILD/torture/sig"

tar -C "$BUILD/torture" -cf "$T_TMP/torture.tar" .

# zt NAME CPUS SCRIPT: runs SCRIPT with sh in a fresh zone, in a directory
# holding the torture binaries.  Output in $T_TMP/NAME.out, exit status in
# $T_TMP/NAME.rc, kernel log in $T_TMP/NAME.log, which is checked here.
zt() {
	local name=$1 cpus=$2 script=$3 bad
	timeout 600 "$VMM" -i --cpus "$cpus" --mem 1G --console-log "$T_TMP/$name.log" \
		-- sh -c "mkdir /tmp/t && cd /tmp/t && tar xf - && $script" \
		<"$T_TMP/torture.tar" >"$T_TMP/$name.out" 2>&1
	echo $? >"$T_TMP/$name.rc"
	if [ ! -s "$T_TMP/$name.log" ]; then
		fail "$name: kernel log" "empty: $(tail -n2 "$T_TMP/$name.out" | tr '\n' ' ')"
		return
	fi
	bad=$(grep -E "BUG|WARNING|Oops" "$T_TMP/$name.log" | head -n3 | tr '\n' ' ')
	expect_eq "$name: kernel log has no BUG, WARNING or Oops" "" "$bad"
}

# expect_out NAME WHAT REGEX: the run exited 0 and printed a line matching REGEX.
expect_out() {
	local name=$1 what=$2 re=$3 rc
	rc=$(cat "$T_TMP/$name.rc")
	if [ "$rc" = 0 ] && grep -qE "$re" "$T_TMP/$name.out"; then
		pass "$name: $what"
	else
		fail "$name: $what" "exit $rc: $(tail -n3 "$T_TMP/$name.out" | tr '\n' ' ')"
	fi
}

for cpus in 1 2; do
	zt "regs-$cpus" "$cpus" ./sig
	expect_out "regs-$cpus" "GPRs and ymm0-15 survive 0.5 ms SIGALRMs and 2000 SIGSEGVs" "^SIGTEST .* PASS$"

	zt "getppid-$cpus" "$cpus" ./gp
	expect_out "getppid-$cpus" "1M getppid in a child all return the parent" "^GETPPID bad=0 PASS$"

	zt "thp-$cpus" "$cpus" ./thp
	expect_out "thp-$cpus" "2 MiB pages: fill, fork COW, split by mprotect/munmap, MADV_DONTNEED" "^THPTEST .* PASS$"

	zt "tls-$cpus" "$cpus" ./tls
	expect_out "tls-$cpus" "FS base across thread switches and fork" "^TLSTEST bad=0 child=0 PASS$"

	zt "fsbase-$cpus" "$cpus" ./fsb3
	expect_out "fsbase-$cpus" "FS base survives system calls and exits" "lost_without_ctxsw=0 "

	zt "kprobe-$cpus" "$cpus" ./kprobe
	expect_out "kprobe-$cpus" "user space cannot read or write kernel memory" "^kernel-memory probes: 0 leaks$"

	# The exact NMI IST slot is in the randomized cpu_entry_area, out of
	# user space's sight: forge a frame in that area instead.
	zt "spoof-$cpus" "$cpus" './spoof $(awk '\''$3 == "asm_exc_nmi" {print $1}'\'' /proc/kallsyms) fffffe0000001000'
	expect_out "spoof-$cpus" "user jumps to the NMI entry with forged stacks die with SIGSEGV" "all SIGSEGV, PASS"

	zt "forkexec-$cpus" "$cpus" './cs 2000 && i=0 && while [ $i -lt 2000 ]; do /bin/true || exit 1; i=$((i + 1)); done && echo FORKEXEC-DONE'
	expect_out "forkexec-$cpus" "fork, fork+exit+wait and 2100 fork+exec" "^FORKEXEC-DONE$"
done

zt "tlb-2" 2 './tlb 20000'
expect_out "tlb-2" "remote TLB shoot-down after mremap, reader on the other vCPU" "^TLBTEST .* PASS$"

# NMI backtrace IPIs (sysrq-l) from CPU 0 while CPU 1 spins in user mode and
# the register test runs: the NMIs arrive and the registers survive them.
zt "nmi-2" 2 './spin 1 20 & ./sig > sig.out & ./nmi 120 20000; wait; cat sig.out;
	cat /sys/module/pvm_native/parameters/pvm_nmi_user_direct /sys/module/pvm_native/parameters/pvm_nmi_user_irq 2>/dev/null | tr "\n" " " | sed "s/^/pvm_nmi_user direct+irq: /"; echo'
expect_out "nmi-2" "120 sysrq-l NMI rounds done" "^NMI-TRIGGER-DONE n=120$"
expect_out "nmi-2" "registers survive NMIs" "^SIGTEST .* PASS$"
expect_out "nmi-2" "the spinning vCPU ran to the end" "^SPIN-DONE cpu=1$"
before=$(awk '/^BEFORE NMI:/ {print $4}' "$T_TMP/nmi-2.out")
after=$(awk '/^AFTER NMI:/ {print $4}' "$T_TMP/nmi-2.out")
if [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -ge 100 ]; then
	pass "nmi-2: CPU 1 took $((after - before)) NMIs ($(grep -h '^pvm_nmi_user' "$T_TMP/nmi-2.out"))"
else
	fail "nmi-2: CPU 1 took at least 100 NMIs" "before '$before', after '$after'"
fi

# 30 s of 2-vCPU stress: threads, processes, signals, faults and THP at once.
zt "stress-2" 2 'end=$(($(date +%s) + 30)); while [ $(date +%s) -lt $end ]; do ./tls; ./cs2 20000; ./cs 500; done > loop.out &
	./sig; ./thp; ./tlb 5000; wait; cat loop.out; echo STRESS-DONE'
expect_out "stress-2" "30 s of concurrent threads, forks, signals, THP and TLB work" "^STRESS-DONE$"
if grep -q FAIL "$T_TMP/stress-2.out" || [ "$(grep -c 'PASS$' "$T_TMP/stress-2.out")" -lt 4 ]; then
	fail "stress-2: every check passed" "$(grep -E 'FAIL|PASS' "$T_TMP/stress-2.out" | sort | uniq -c | tr '\n' ' ')"
else
	pass "stress-2: every check passed ($(grep -c 'PASS$' "$T_TMP/stress-2.out") PASS lines)"
fi
