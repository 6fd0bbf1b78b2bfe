#!/usr/bin/env bash
# Compares two vmlinux builds of the same recipe: section sizes (readelf -S)
# and the disassembly of the PVM-patched functions, with addresses masked.
# Prints what differs; exit 0 when nothing but addresses and build strings
# (the version banner's date and build number) differ.
#
#   kernel/compare-vmlinux.sh A/vmlinux B/vmlinux
set -uo pipefail

[ $# = 2 ] && [ -r "$1" ] && [ -r "$2" ] || { echo "usage: compare-vmlinux.sh A/vmlinux B/vmlinux" >&2; exit 2; }
a=$1 b=$2
tmp=$(mktemp -d /tmp/zone-compare-vmlinux.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
differ=0

# Code touched by the patches, and entry code around it.
FUNCS=(pvm_native_very_early pvm_native_early_init pvm_native_percpu_ready
	pvm_native_secondary_init pvm_native_irq_enable pvm_native_safe_halt
	pvm_nmi_unblock pvm_native_write_cr3 pvm_native_write_msr
	asm_exc_nmi error_entry asm_exc_page_fault entry_SYSCALL_64
	entry_SYSCALL_64_after_hwframe swapgs_restore_regs_and_return_to_usermode x86_64_start_kernel pti_init)

sections() { readelf -SW "$1" | awk '$1 ~ /^\[/ { sub(/^\[ *[0-9]+\] */, ""); print $1, $5 }'; }
sections "$a" >"$tmp/a.sec"
sections "$b" >"$tmp/b.sec"
if diff "$tmp/a.sec" "$tmp/b.sec" >"$tmp/sec.diff"; then
	echo "sections: same names and sizes ($(wc -l <"$tmp/a.sec") sections)"
else
	echo "sections: differ (name size):"
	sed 's/^/  /' "$tmp/sec.diff"
	differ=1
fi

# Disassembly without addresses: drop the address column and mask every
# hex number, so only instructions and symbol names remain.
# Code labels that share an address with another symbol (entry code) are
# disassembled from their address to the next symbol's.
disasm() {
	local start stop
	start=$(awk -v s="$2" '$3 == s {print $1; exit}' "$1.nm")
	[ -n "$start" ] || return 0
	stop=$(awk -v a="$start" 'f && $1 != a {print $1; exit} $1 == a {f = 1}' "$1.nm")
	objdump -d --no-show-raw-insn --start-address="0x$start" --stop-address="0x$stop" "$1" |
		sed -n '/^[0-9a-f]* <.*>:$/,$p' |
		sed -E 's/^ *[0-9a-f]+:\t//; s/0x[0-9a-f]+/X/g; s/\b[0-9a-f]{6,}\b/X/g'
}
nm -n "$a" >"$tmp/a.nm"
nm -n "$b" >"$tmp/b.nm"
ln -s "$(realpath "$a")" "$tmp/a"
ln -s "$(realpath "$b")" "$tmp/b"
for f in "${FUNCS[@]}"; do
	disasm "$tmp/a" "$f" >"$tmp/a.dis"
	disasm "$tmp/b" "$f" >"$tmp/b.dis"
	if [ ! -s "$tmp/a.dis" ] && [ ! -s "$tmp/b.dis" ]; then
		echo "$f: in neither"
	elif diff -q "$tmp/a.dis" "$tmp/b.dis" >/dev/null; then
		echo "$f: same ($(grep -c . "$tmp/a.dis") lines)"
	else
		echo "$f: differs:"
		diff "$tmp/a.dis" "$tmp/b.dis" | head -n 20 | sed 's/^/  /'
		differ=1
	fi
done

strings "$a" | grep -m1 "^Linux version [0-9]" | sed 's/^/A: /'
strings "$b" | grep -m1 "^Linux version [0-9]" | sed 's/^/B: /'
exit $differ
