#!/usr/bin/env bash
# The project's guest kernel (kernel/, `make kernel`): build/vmlinux is the
# cache entry of the current recipe, the patch series gives exactly the
# reference tree, and the kernel boots on bare x86 up to zone-init: QEMU's
# TCG, no KVM, so PVM detection fails and the PVM paths stay off.  Needs no
# /dev/kvm.
source "$(dirname "$0")/../lib.sh"

KERNEL=$BUILD/vmlinux
INITRD=$BUILD/zone-initrd.img
TARBALL=/usr/src/linux-source-6.12.tar.xz
BOOT_TIMEOUT=${KERNEL_BOOT_TIMEOUT:-90}

need "build/vmlinux (make kernel)" test -r "$KERNEL"
need "build/zone-initrd.img (make)" test -r "$INITRD"
need "qemu-system-x86_64 (apt-get install qemu-system-x86)" command -v qemu-system-x86_64

# --- build/vmlinux is the cache entry of this recipe ---
entry=$(bash "$ROOT/kernel/build.sh" --entry)
hash=$(basename "$entry")
expect_eq "build/vmlinux links to this recipe's cache entry" "$entry/vmlinux" "$(readlink "$KERNEL")"
expect_eq "the entry's recipe names this recipe's hash" "hash $hash" "$(head -n1 "$entry/recipe" 2>/dev/null)"
sum=$(sha256sum < "$KERNEL" | cut -d' ' -f1)
check "the entry's recipe records this vmlinux's checksum" grep -qx "vmlinux-sha256 $sum" "$entry/recipe"

# --- bad input fails before any work, with one clear line ---
out=$(bash "$ROOT/kernel/build.sh" --bogus 2>&1)
rc=$?
if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
	pass "build.sh rejects an unknown option"
else
	fail "build.sh rejects an unknown option" "rc=$rc: $out"
fi
out=$(ZONE_KERNEL_TARBALL=$T_TMP/missing.tar.xz bash "$ROOT/kernel/check-series.sh" 2>&1)
expect_eq "check-series.sh without the source tarball exits 2" 2 "$?"
check "check-series.sh says what is missing" grep -q "missing.tar.xz not installed" <<< "$out"

# --- the series gives exactly the reference tree ---
if [ -f "$TARBALL" ]; then
	if out=$(bash "$ROOT/kernel/check-series.sh" 2>&1); then
		pass "the series gives the reference tree ($(tail -n1 <<< "$out"))"
	else
		fail "the series gives the reference tree" "$(tail -n3 <<< "$out" | tr '\n' ' ')"
	fi
else
	echo "NOT RUN: $T_GROUP: the series check: $TARBALL not installed"
fi

# --- TCG boot up to zone-init ---
# -M pc: TCG needs a timer to calibrate the TSC against (microvm's PIT is
# not enough there); PVH entry from the ELF; zone-init's stderr is hvc0.
console=$T_TMP/console.log
hvc=$T_TMP/hvc0.log
start=$(date +%s.%N)
qemu-system-x86_64 -M pc -accel tcg -cpu max -smp 2 -m 256M \
	-display none -nodefaults -no-reboot \
	-serial "file:$console" \
	-device virtio-serial-pci -chardev "file,id=hvc,path=$hvc" -device virtconsole,chardev=hvc \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 reboot=t panic=-1" 2> "$T_TMP/qemu.err" &
qemu=$!
pids+=("$qemu")
reached=0
while kill -0 "$qemu" 2>/dev/null; do
	if grep -q "Run /init as init process" "$console" 2>/dev/null; then
		reached=1
		break
	fi
	if [ "$(echo "$(date +%s.%N) - $start > $BOOT_TIMEOUT" | bc)" = 1 ]; then
		break
	fi
	sleep 0.1
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
if [ $reached = 1 ]; then
	pass "TCG boot runs /init after $(printf '%.1f' "$elapsed") s"
else
	fail "TCG boot runs /init" "not within $BOOT_TIMEOUT s: $(tail -n3 "$console" "$T_TMP/qemu.err" 2>/dev/null | tr '\n' ' ')"
fi

# zone-init is PID 1 now: it mounts, opens hvc0 and waits for IDM on vsock
# (there is none here).  If it failed it would print "zone-init: ..." and
# reboot, and its exit would panic the kernel: either ends QEMU (-no-reboot).
if [ $reached = 1 ]; then
	sleep 5
	check "zone-init keeps running (QEMU still up 5 s after /init)" kill -0 "$qemu"
	kill "$qemu" 2>/dev/null
	wait "$qemu" 2>/dev/null
	if grep -q "zone-init:" "$console" "$hvc" 2>/dev/null; then
		fail "zone-init reports no error" "$(grep -h "zone-init:" "$console" "$hvc" | head -n3 | tr '\n' ' ')"
	else
		pass "zone-init reports no error"
	fi
fi
kill "$qemu" 2>/dev/null
wait "$qemu" 2>/dev/null

check "the kernel log names the kernel's release" grep -q "^\[ *0.000000\] Linux version 6.12.117" "$console"
bad=$(grep -E "BUG|WARNING|Oops|Call Trace|Kernel panic" "$console" | head -n3)
expect_eq "no BUG, WARNING, Oops, Call Trace or panic in the kernel log" "" "$bad"
# The PVM code logs only once PVM is detected ("pvm-native: ..."): on bare
# x86 the signature MSR read faults and nothing is patched in.
pvm=$(grep -E "pvm-native|kpti: .* supervisor-only" "$console" | head -n3)
expect_eq "PVM detection fails cleanly on bare x86 (no pvm-native lines)" "" "$pvm"
