#!/usr/bin/env bash
# Zones boot: zone-vmm runs the real guest kernel with zone-init under KVM.
source "$(dirname "$0")/../lib.sh"
need_kvm
need "build/zone-vmm (run make)" test -x "$VMM"
need "mkfs.ext4 (e2fsprogs)" command -v mkfs.ext4
need "debugfs (e2fsprogs)" command -v debugfs

zvm() { timeout 60 "$VMM" "$@"; }

# --- commands, output and exit statuses
expect_eq "echo hello" "hello" "$(zvm -- /bin/echo hello)"
for code in 0 1 42; do
	zvm -- sh -c "exit $code"
	expect_eq "exit status $code" "$code" "$?"
done
zvm -- sh -c 'kill -9 $$'
expect_eq "SIGKILL inside the zone gives 137" 137 "$?"
zvm -- /no/such/command 2>/dev/null >/dev/null
expect_eq "missing command gives 127" 127 "$?"
expect_eq "arguments with spaces and quotes survive" "a b|c'd|" \
	"$(zvm -- sh -c 'printf "%s|" "$@"' sh "a b" "c'd")"
expect_eq "busybox applets: sha256sum" \
	"$(printf abc | sha256sum | cut -d' ' -f1)" \
	"$(zvm -- sh -c 'printf abc | sha256sum' | cut -d' ' -f1)"
expect_eq "stdout stays stdout" "out" "$(zvm -- sh -c 'echo out; echo err >&2' 2>/dev/null)"
expect_eq "stderr stays stderr" "err" "$(zvm -- sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)"
zvm -- /etc >/dev/null 2>"$T_TMP/noexec.err"
rc=$?
if [ "$rc" = 126 ]; then pass "a command that cannot be executed gives 126"
else fail "a command that cannot be executed gives 126" "got $rc: $(tr '\n' ' ' <"$T_TMP/noexec.err")"; fi

# --- resources
expect_eq "--cpus 2: guest sees 2 CPUs" 2 "$(zvm --cpus 2 -- nproc)"
expect_eq "--cpus 1: guest sees 1 CPU" 1 "$(zvm --cpus 1 -- nproc)"
memkb=$(zvm --mem 512M -- sh -c "grep MemTotal /proc/meminfo" | awk '{print $2}')
if [ -n "$memkb" ] && [ "$memkb" -ge $((512 * 1024 * 90 / 100)) ] && [ "$memkb" -le $((512 * 1024)) ]; then
	pass "--mem 512M: MemTotal ${memkb} kB is within 10% of 512 MiB"
else
	fail "--mem 512M: MemTotal within 10% of 512 MiB" "got '${memkb}' kB"
fi
memkb=$(zvm --mem 4G -- sh -c "grep MemTotal /proc/meminfo" | awk '{print $2}')
if [ -n "$memkb" ] && [ "$memkb" -ge $((4096 * 1024 * 90 / 100)) ]; then
	pass "--mem 4G (RAM above the 32-bit hole): MemTotal ${memkb} kB"
else
	fail "--mem 4G: MemTotal within 10% of 4 GiB" "got '${memkb}' kB"
fi

# --- virtio-blk: a file on an ext4 disk reads back with the same sha256
mkdir -p "$T_TMP/disk"
head -c 3000000 /dev/urandom >"$T_TMP/disk/data.bin"
want=$(sha256sum <"$T_TMP/disk/data.bin" | cut -d' ' -f1)
mkfs.ext4 -q -F -d "$T_TMP/disk" "$T_TMP/disk.img" 32M
cp "$T_TMP/disk.img" "$T_TMP/disk-rw.img"
got=$(zvm --disk "$T_TMP/disk.img,ro" -- sh -c \
	'mount -t ext4 -o ro /dev/vda /mnt && sha256sum /mnt/data.bin' | cut -d' ' -f1)
expect_eq "read-only disk: file sha256 matches in the guest" "$want" "$got"
zvm --disk "$T_TMP/disk.img,ro" -- sh -c 'mount -t ext4 /dev/vda /mnt 2>/dev/null || dd if=/dev/zero of=/dev/vda count=1 2>/dev/null; exit 0' >/dev/null
expect_eq "read-only disk: host file unchanged" "$(sha256sum <"$T_TMP/disk-rw.img")" "$(sha256sum <"$T_TMP/disk.img")"
got=$(zvm --disk "$T_TMP/disk-rw.img" -- sh -c \
	'mount -t ext4 /dev/vda /mnt && sha256sum /mnt/data.bin | cut -d" " -f1 && echo written-in-zone > /mnt/new.txt && umount /mnt')
expect_eq "read-write disk: file sha256 matches in the guest" "$want" "$got"
expect_eq "read-write disk: the guest's write is in the host file" "written-in-zone" \
	"$(debugfs -R 'cat /new.txt' "$T_TMP/disk-rw.img" 2>/dev/null)"
head -c 1048576 /dev/urandom >"$T_TMP/raw.img"
want=$(sha256sum <"$T_TMP/raw.img" | cut -d' ' -f1)
got=$(zvm --disk "$T_TMP/raw.img,ro" -- sh -c 'sha256sum /dev/vda' | cut -d' ' -f1)
expect_eq "raw disk: whole-device sha256 matches" "$want" "$got"
expect_eq "two disks: second disk is /dev/vdb" "$(stat -c %s "$T_TMP/raw.img")" \
	"$(zvm --disk "$T_TMP/disk.img,ro" --disk "$T_TMP/raw.img,ro" -- sh -c 'blockdev --getsize64 /dev/vdb')"

# --- bad input: one clear line, non-zero exit, no hang, no core dump
bad() { # NAME CMD...
	local name=$1; shift
	local err rc lines
	err=$(timeout 30 "$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ $rc -ne 0 ] && [ $rc -lt 124 ] || [ $rc -eq 125 ]; then
		if [ "$lines" -eq 1 ]; then
			pass "bad input: $name -> '$err' (exit $rc)"
		else
			fail "bad input: $name" "expected one line, got $lines: $err"
		fi
	else
		fail "bad input: $name" "exit status $rc (0, timeout or crash): $err"
	fi
}
head -c 100000 "$BUILD/zone-initrd.img" >"$T_TMP/trunc.img"
bad "missing kernel" "$VMM" --kernel /nonexistent/vmlinux -- true
bad "kernel is not an ELF vmlinux" "$VMM" --kernel /etc/passwd -- true
bad "kernel is a directory" "$VMM" --kernel /tmp -- true
bad "truncated initramfs" "$VMM" --initrd "$T_TMP/trunc.img" -- true
bad "--mem 0" "$VMM" --mem 0 -- true
bad "--mem 1T" "$VMM" --mem 1T -- true
bad "--mem garbage" "$VMM" --mem lots -- true
bad "--cpus 0" "$VMM" --cpus 0 -- true
bad "--cpus 1000" "$VMM" --cpus 1000 -- true
bad "unknown flag" "$VMM" --frobnicate -- true
bad "missing disk" "$VMM" --disk /nonexistent.img -- true
bad "no command and no --vsock" "$VMM"

# --- kill -9 mid-run leaves no process, mount or file behind
mounts_before=$(sort /proc/mounts | md5sum)
shm_before=$(ls -A /dev/shm | md5sum)
mkdir -p "$T_TMP/private-tmp"
TMPDIR=$T_TMP/private-tmp "$VMM" -- sh -c 'echo started; sleep 60' >"$T_TMP/k.out" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q started "$T_TMP/k.out" && break; sleep 0.1; done
kids=$(pgrep -P $pid | tr '\n' ' ')
kill -9 $pid
wait $pid 2>/dev/null
gone() { local p; for p in "$@"; do [ -d /proc/$p ] && return 1; done; return 0; }
wait_for 5 gone $pid $kids
left=""
for p in $pid $kids; do [ -d /proc/$p ] && left="$left $p"; done
expect_eq "kill -9: zone was running" "started" "$(head -1 "$T_TMP/k.out")"
expect_eq "kill -9: no process left behind" "" "$left"
expect_eq "kill -9: no mount left behind" "$mounts_before" "$(sort /proc/mounts | md5sum)"
expect_eq "kill -9: no file left in TMPDIR" "" "$(ls -A "$T_TMP/private-tmp")"
expect_eq "kill -9: no file left in /dev/shm" "$shm_before" "$(ls -A /dev/shm | md5sum)"

# --- SIGTERM to zone-vmm stops the zone with 128+15
"$VMM" -- sh -c 'echo started; sleep 60' >"$T_TMP/t.out" 2>/dev/null &
pid=$!
for _ in $(seq 50); do grep -q started "$T_TMP/t.out" && break; sleep 0.1; done
kill -TERM $pid
wait $pid
expect_eq "SIGTERM to zone-vmm ends the zone with 143" 143 "$?"

# --- the ASan/UBSan build of zone-vmm boots the same guest cleanly
if [ -x "$BUILD/asan/zone-vmm" ]; then
	out=$(ASAN_OPTIONS=detect_leaks=1 timeout 60 "$BUILD/asan/zone-vmm" --cpus 2 \
		--disk "$T_TMP/disk.img,ro" -- sh -c 'mount -t ext4 -o ro /dev/vda /mnt && cat /mnt/data.bin | sha256sum' 2>"$T_TMP/asan.err")
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q 'Sanitizer' "$T_TMP/asan.err"; then
		pass "ASan/UBSan zone-vmm: 2 vCPUs + disk run clean"
	else
		fail "ASan/UBSan zone-vmm run" "rc=$rc $(head -5 "$T_TMP/asan.err")"
	fi
else
	fail "ASan/UBSan zone-vmm run" "missing build/asan/zone-vmm"
fi
