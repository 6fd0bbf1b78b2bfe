#!/usr/bin/env bash
# box.sh [--timeout SECS] -- CMD [ARGS...]
#
# Runs CMD inside a "KVM box": a Debian Linux VM under QEMU's TCG (pure
# software emulation) whose emulated CPU has AMD SVM, so its own kernel
# (Debian's linux-image-amd64, kvm_amd) offers a real /dev/kvm.  CMD sees
# this machine's whole file tree (9p, read-write) with private /tmp, /run,
# /dev, /proc, /sys, cgroups and network, and boots its zones with zone-vmm
# on that /dev/kvm: a real KVM VM, the real guest kernel, real devices, only
# slower (software emulation throughout).
#
# For machines without a usable /dev/kvm (a host kernel that is itself a
# KVM-PVM guest does not bind kvm_pvm).  Exits with CMD's status, or 123
# when the box itself crashed or hung (the emulator, not CMD); CMD's
# stdout and stderr come out on stdout.  The box's kernel log is kept in
# $KVM_BOX_LOG (default build/kvm-box/console.log) for debugging.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/kvm-box
timeout=${KVM_BOX_TIMEOUT:-1800}
mem=${KVM_BOX_MEM:-8G}

die() { echo "kvm-box: $*" >&2; exit 125; }

while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) die "unknown option '$1' (usage: box.sh [--timeout SECS] -- CMD [ARGS...])" ;;
	esac
done
[ $# -gt 0 ] || die "no command (usage: box.sh [--timeout SECS] -- CMD [ARGS...])"

command -v qemu-system-x86_64 >/dev/null || die "missing: qemu-system-x86_64 (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || die "missing: cpio"
[ -x /bin/busybox ] || die "missing: /bin/busybox (apt-get install busybox-static)"

# The newest Debian kernel whose modules are installed.
kver=
for v in /boot/vmlinuz-*; do
	v=${v#/boot/vmlinuz-}
	[ -d "/lib/modules/$v" ] && kver=$v
done
[ -n "$kver" ] || die "missing: a Debian kernel for the box (apt-get install linux-image-amd64)"
command -v modprobe >/dev/null || die "missing: modprobe (apt-get install kmod)"

# The box's initramfs: busybox, the modules that mount the 9p root, and
# the init script.  Rebuilt when the kernel or the script changes.
mkdir -p "$OUT"
initrd=$OUT/initrd-$kver.gz
if [ ! -f "$initrd" ] || [ "$HERE/init" -nt "$initrd" ]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,sbin,mod,proc,sys,dev,newroot}
	cp /bin/busybox "$stage/bin/"
	cp "$HERE/init" "$stage/init"
	: >"$stage/mod/order"
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r f; do
		case $f in
		*.ko) cp "$f" "$stage/mod/" ;;
		*.ko.xz) xz -dc "$f" >"$stage/mod/$(basename "$f" .xz)"; f=${f%.xz} ;;
		*.ko.zst) zstd -qdc "$f" >"$stage/mod/$(basename "$f" .zst)"; f=${f%.zst} ;;
		*) die "unexpected module file $f" ;;
		esac
		basename "$f" >>"$stage/mod/order"
	done
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$stage"
	trap - EXIT
fi

# The exchange directory: the command, its environment and its exit status.
# It lives in the project tree, which the box sees at the same path.
xdir=$(mktemp -d "$OUT/run.XXXXXX")
trap 'rm -rf "$xdir"' EXIT
cp "$HERE/stage2.sh" "$HERE/kvm-pin.py" "$xdir/"
printf '%q ' "$@" >"$xdir/cmd"
{
	printf 'cd %q\n' "$PWD"
	# Debian's own tools first: a wrapper such as pyenv's python3 shim costs
	# seconds per call under emulation.
	# (and a timeout(1) that stretches with ZONE_TEST_SLOW, see bin/timeout)
	printf 'export PATH=%q\n' "$HERE/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
	for v in CI FUZZ_SECONDS HOME LANG ZONE_KERNEL ZONE_INITRD ZONE_VMM ZONE_KERNEL_PREBUILT; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	echo "export KVM_BOX=1 ZONE_TEST_SLOW=${KVM_BOX_SLOW:-6}"
} >"$xdir/env"

cpus=$(nproc)
[ "$cpus" -gt 4 ] && cpus=4
log=${KVM_BOX_LOG:-$OUT/console.log}
# ttyS0: the box's kernel log (a file); ttyS1: the command's output (stdout).
# A box whose kernel died (panic, oops) or hung (its stage 2 prints a
# heartbeat every 10 s) would otherwise sit until the timeout: a watcher
# ends it and says so, and box.sh exits 123 (the box failed, not CMD).
: >"$log"
hang=${KVM_BOX_HANG:-120}
# crashed: the first line of the box's console saying its kernel died.
# (Soft lockups and RCU stalls are warnings: an emulated CPU starved by a
# busy host trips them; the box's command line turns them off anyway.)
crashed() {
	local l
	l=$(grep -a -E 'Kernel panic|Oops: |BUG: ' "$log" 2>/dev/null | grep -a -v 'soft lockup' | head -1)
	[ -n "$l" ] && echo "$l"
}
# where_stuck: each emulated CPU's instruction pointer, with the box
# kernel's symbol for it, from QEMU's monitor (for a hung box's log).
where_stuck() {
	python3 - "$xdir/monitor" "$xdir/kallsyms" <<'PY'
import bisect, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
s.sendall(b"info registers -a\n"); time.sleep(2); out = b""
try:
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
except OSError:
    pass
syms = []
try:
    for l in open(sys.argv[2]):
        a, _, n = l.split()[:3]
        syms.append((int(a, 16), n))
    syms.sort()
except OSError:
    pass
cpu = "?"
for l in out.decode(errors="replace").splitlines():
    if l.startswith("CPU#"): cpu = l[4:].split()[0]
    if "RIP=" in l:
        rip = int(l.split("RIP=")[1].split()[0], 16)
        i = bisect.bisect_right(syms, (rip, "~")) - 1
        sym = "%s+0x%x" % (syms[i][1], rip - syms[i][0]) if i >= 0 else ""
        print("kvm-box: hung: CPU %s at %x %s" % (cpu, rip, sym))
PY
}
(
	last=0 quiet=0
	while sleep 5; do
		if crashed; then
			echo "kvm-box: the box's kernel crashed: $(crashed)" >"$xdir/died"
		else
			size=$(stat -c %s "$log" 2>/dev/null || echo 0)
			if [ "$size" = "$last" ]; then quiet=$((quiet + 5)); else quiet=0 last=$size; fi
			[ $quiet -ge "$hang" ] && echo "kvm-box: the box hung (no heartbeat for ${hang} s)" >"$xdir/died"
		fi
		if [ -f "$xdir/died" ]; then
			cat "$xdir/died"
			# (not into $log: QEMU writes it at its own offset)
			where_stuck >"$log.stuck" 2>&1
			cat "$log.stuck" >&2
			pkill -f -- "kvmbox.x=$xdir" 2>/dev/null
			exit
		fi
	done
) &
watcher=$!
trap 'kill $watcher 2>/dev/null || true; rm -rf "$xdir"' EXIT
timeout --kill-after=10 "$timeout" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max,+svm -smp "$cpus" -m "$mem" \
	-display none -vga none -nodefaults -no-reboot \
	-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=4 panic=-1 nokaslr nowatchdog rcupdate.rcu_cpu_stall_suppress=1 kvmbox.x=$xdir" \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,multidevs=remap,id=hostroot" \
	-serial "file:$log" -chardev stdio,id=out,signal=off -serial chardev:out \
	-monitor "unix:$xdir/monitor,server=on,wait=off" \
	</dev/null || true
kill $watcher 2>/dev/null || true
if [ ! -f "$xdir/died" ] && [ ! -f "$xdir/rc" ] && crashed >/dev/null; then
	echo "kvm-box: the box's kernel crashed: $(crashed)" | tee "$xdir/died"
fi
if [ -f "$xdir/died" ]; then
	exit 123
fi
if [ ! -f "$xdir/rc" ]; then
	echo "kvm-box: the box ended without the command's exit status (timeout ${timeout}s or a crash; see $log)"
	exit 124
fi
exit "$(cat "$xdir/rc")"
