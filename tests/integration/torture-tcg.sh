#!/usr/bin/env bash
# The guest torture programs (build/torture/) under QEMU TCG, no KVM: the
# project's kernel boots an initramfs of busybox + the programs whose /init
# runs each once on 2 emulated CPUs.  This checks the programs themselves
# and the kernel's plain x86 paths (PVM stays off); tests/integration/
# torture.sh runs them in real zones.  Takes 3-5 minutes.
source "$(dirname "$0")/../lib.sh"

KERNEL=$BUILD/vmlinux
BUSYBOX=${BUSYBOX:-/bin/busybox}
TIMEOUT=${TORTURE_TCG_TIMEOUT:-900}

need "build/vmlinux (make kernel)" test -r "$KERNEL"
need "build/torture/ (run make)" test -x "$BUILD/torture/sig"
need "qemu-system-x86_64 (apt-get install qemu-system-x86)" command -v qemu-system-x86_64
need "static busybox at $BUSYBOX (busybox-static)" test -x "$BUSYBOX"
need "cpio" command -v cpio

root=$T_TMP/root
mkdir -p "$root"/{bin,t,proc,sys,dev,tmp}
cp "$BUSYBOX" "$root/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
cp "$BUILD"/torture/* "$root/t/"
# Each run prints "=== NAME", its output, then "rc=N"; the NMI run sends 20
# sysrq-l NMI rounds from CPU 0 while CPU 1 spins in user mode.
cat >"$root/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
cd /t
nmi_entry=$(awk '$3 == "asm_exc_nmi" {print $1}' /proc/kallsyms)
run() { echo "=== $1"; shift; "$@"; echo "rc=$?"; }
run gp ./gp
run tls ./tls
run kprobe ./kprobe
run thp ./thp
run tlb ./tlb 1000
run spoof ./spoof "$nmi_entry" fffffe0000001000
run fsbase ./fsb3 /dev/null
run forkexec ./cs 200
echo "=== nmi"; ./spin 1 8 & ./nmi 20 20000; wait; echo "rc=$?"
run regs ./sig
echo TORTURE-DONE
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$T_TMP/initrd.cpio"

console=$T_TMP/console.log
start=$SECONDS
timeout "$TIMEOUT" qemu-system-x86_64 -M pc -accel tcg -cpu max -smp 2 -m 1G \
	-display none -nodefaults -no-reboot -serial "file:$console" \
	-kernel "$KERNEL" -initrd "$T_TMP/initrd.cpio" \
	-append "console=ttyS0 reboot=t panic=-1" 2>"$T_TMP/qemu.err"
rc=$?
if [ $rc = 0 ] && grep -q "^TORTURE-DONE" "$console"; then
	pass "all programs ran and the zone powered off ($((SECONDS - start)) s)"
else
	fail "all programs ran" "qemu exit $rc after $((SECONDS - start)) s: $(tail -n3 "$console" "$T_TMP/qemu.err" | tr '\n' ' ')"
fi

# The console ends lines with \r\n.
tr -d '\r' <"$console" >"$T_TMP/console.txt"
# section NAME: the lines a run printed, between "=== NAME" and its "rc=".
section() { sed -n "/^=== $1\$/,/^rc=/p" "$T_TMP/console.txt"; }
# expect NAME WHAT REGEX: the run ended with rc=0 and printed a line matching REGEX.
expect() {
	local out
	out=$(section "$1")
	if grep -qx "rc=0" <<<"$out" && grep -qE "$3" <<<"$out"; then
		pass "$1: $2"
	else
		fail "$1: $2" "$(tail -n3 <<<"$out" | tr '\n' ' ')"
	fi
}
expect gp "1M getppid in a child all return the parent" "^GETPPID bad=0 PASS$"
expect tls "FS base across thread switches and fork" "^TLSTEST bad=0 child=0 PASS$"
expect kprobe "user space cannot read or write kernel memory" "^kernel-memory probes: 0 leaks$"
expect thp "2 MiB pages: fill, fork COW, split, MADV_DONTNEED" "^THPTEST .* PASS$"
expect tlb "remote TLB shoot-down, reader on the other CPU" "^TLBTEST .* PASS$"
expect spoof "jumps to the NMI entry die with SIGSEGV" "all SIGSEGV, PASS"
expect fsbase "FS base survives system calls" "lost_without_ctxsw=0 "
expect forkexec "fork+exit+wait and fork+exec" "^forkexec_us [0-9]+$"
expect nmi "sysrq-l NMI rounds while the other CPU spins in user mode" "^NMI-TRIGGER-DONE n=20$"
expect regs "GPRs and ymm0-15 survive SIGALRMs and SIGSEGVs" "^SIGTEST .* PASS$"
before=$(section nmi | awk '/^BEFORE NMI:/ {print $4}')
after=$(section nmi | awk '/^AFTER NMI:/ {print $4}')
if [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -ge 20 ]; then
	pass "nmi: CPU 1 took $((after - before)) NMIs"
else
	fail "nmi: CPU 1 took 20 NMIs" "before '$before', after '$after'"
fi
# sysrq-l prints NMI backtraces ("Call Trace") on purpose: only these count.
bad=$(grep -E "BUG|WARNING|Oops" "$console" | head -n3 | tr '\n' ' ')
expect_eq "kernel log has no BUG, WARNING or Oops" "" "$bad"
