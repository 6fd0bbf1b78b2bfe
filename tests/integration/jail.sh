#!/usr/bin/env bash
# zone-vmm's jail (jail/jail.c) on a running zone: no capabilities,
# no_new_privs, a seccomp filter, its own net/IPC/UTS/mount namespaces and an
# empty root holding only the vsock socket's directory; the zone still works
# through it (exec, disks read and written, guest connections to PATH_<port>,
# socket removed at exit); --no-jail turns it off.  That a call outside the
# filter kills the process is shown by tests/unit/test_jail.c.
source "$(dirname "$0")/../lib.sh"
ZONE=$BUILD/zone
CLIENT="python3 $ROOT/tests/integration/vsock_client.py"

need_kvm
need "root (namespaces, /proc of the jailed process)" test "$(id -u)" -eq 0
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "zone CLI (make build/zone)" test -x "$ZONE"
need "mkfs.ext4" command -v mkfs.ext4
need "python3" command -v python3
need "static gcc" gcc -static -o "$T_TMP/true" -x c - <<<'int main(void){return 0;}'

VMM=$(readlink -f "$VMM") # the relative-path case runs it from elsewhere
# ASan builds keep the seccomp filter and the mount namespace off (jail.h)
asan=false
ldd "$VMM" 2>/dev/null | grep -q libasan && asan=true

mkdir -p "$T_TMP/disk"
echo "hello from the host" >"$T_TMP/disk/hello"
if ! guest_disk "$T_TMP/disk.img" "$T_TMP/disk" "$ROOT/tests/guest/vsock-echo.c"; then
	fail "setup" "cannot build the guest helper disk"
	exit 0
fi
truncate -s 1M "$T_TMP/raw.img"

zx() { timeout 30 "$ZONE" exec "$@"; }

# start NAME ARGS...: a zone serving on $T_TMP/NAME.sock; sets PID
start() {
	local name=$1; shift
	"$VMM" --vsock "$T_TMP/$name.sock" "$@" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err" &
	PID=$!
	pids+=($PID)
	for _ in $(seq 200); do
		[ "$(zx --vsock "$T_TMP/$name.sock" -- echo ok 2>/dev/null)" == ok ] && return 0
		kill -0 $PID 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

if ! start j --disk "$T_TMP/disk.img,ro" --disk "$T_TMP/raw.img"; then
	fail "jailed zone boots and answers exec" "$(tail -3 "$T_TMP/j.err")"
	exit 0
fi
pass "jailed zone boots and answers exec"
J=$PID

for c in CapEff CapPrm CapInh CapBnd CapAmb; do
	expect_eq "$c is empty" 0000000000000000 "$(status $J $c)"
done
expect_eq "NoNewPrivs" 1 "$(status $J NoNewPrivs)"
if $asan; then
	expect_eq "ASan build: no seccomp filter" 0 "$(status $J Seccomp)"
else
	expect_eq "Seccomp: filter mode" 2 "$(status $J Seccomp)"
	f=$(status $J Seccomp_filters)
	if [ "${f:-0}" -ge 1 ]; then pass "Seccomp_filters: $f"; else fail "Seccomp_filters" "got '$f'"; fi
fi
for ns in net ipc uts cgroup; do
	ours=$(readlink /proc/self/ns/$ns) theirs=$(readlink /proc/$J/ns/$ns)
	if [ -n "$theirs" ] && [ "$ours" != "$theirs" ]; then pass "own $ns namespace"
	else fail "own $ns namespace" "ours $ours, zone-vmm's $theirs"; fi
done
# the new net namespace has only a loopback device, down
n=$(grep -c : "/proc/$J/net/dev")
expect_eq "no network devices but lo" 1 "$n"

if ! $asan; then
	if [ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/$J/ns/mnt)" ]; then
		pass "own mount namespace"
	else fail "own mount namespace"; fi
	if [ ! -e "/proc/$J/root/etc/passwd" ] && [ ! -e "/proc/$J/root/dev" ] &&
		[ -S "/proc/$J/root$T_TMP/j.sock" ]; then
		pass "root is empty but for the socket directory"
	else fail "root is empty but for the socket directory" "$(ls /proc/$J/root/)"; fi
	if grep -q ' / ro,' "/proc/$J/mountinfo"; then pass "root is read-only"
	else fail "root is read-only" "$(head -3 "/proc/$J/mountinfo")"; fi
fi

# --- the zone works through the jail
expect_eq "read-only disk readable in the zone" "hello from the host" \
	"$(zx --vsock "$T_TMP/j.sock" -- sh -c 'mount -t ext4 -o ro /dev/vda /mnt && cat /mnt/hello' 2>&1)"
zx --vsock "$T_TMP/j.sock" -- sh -c 'echo written-in-zone | dd of=/dev/vdb conv=fsync 2>/dev/null' \
	>/dev/null 2>&1
expect_eq "read-write disk: the guest's write reaches the host file" "written-in-zone" \
	"$(head -c 15 "$T_TMP/raw.img")"

# guest -> host: zone-vmm connects to PATH_5000 at run time, inside its own
# net namespace (filesystem Unix sockets do not depend on it) and new root
$CLIENT listen "$T_TMP/j.sock_5000" >"$T_TMP/listen.out" 2>&1 &
listener=$!
pids+=($listener)
wait_for 10 test -S "$T_TMP/j.sock_5000" || fail "guest to host: listener socket" "never appeared"
out=$(zx --vsock "$T_TMP/j.sock" -- /mnt/vsock-echo connect 2 5000 ping-from-guest 2>&1)
wait $listener 2>/dev/null
expect_eq "guest to host: PATH_5000 got the guest's bytes" "ping-from-guest" "$(cat "$T_TMP/listen.out")"
if grep -q "pong:ping-from-guest" <<<"$out"; then pass "guest to host: reply reached the guest"
else fail "guest to host: reply reached the guest" "$(head -c 300 <<<"$out")"; fi

# host -> guest echo through the listening socket, 20 clients at once
zx --vsock "$T_TMP/j.sock" -- /mnt/vsock-echo serve 1234 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[ "$($CLIENT echo "$T_TMP/j.sock" 1234 up 2>/dev/null)" == "OK up" ] && break
	sleep 0.05
done
expect_eq "host to guest: echo" "OK hello-jail" "$($CLIENT echo "$T_TMP/j.sock" 1234 hello-jail 2>&1)"

# --- exit: SIGTERM status, socket removed from inside the jail
kill -TERM $J
wait $J
expect_eq "SIGTERM ends the jailed zone with 143" 143 $?
if [ ! -e "$T_TMP/j.sock" ]; then pass "socket removed at exit"
else fail "socket removed at exit"; fi
if grep -qi "sigsys\|bad system call\|jail" "$T_TMP/j.err"; then
	fail "nothing on stderr about the jail" "$(head -3 "$T_TMP/j.err")"
else pass "nothing on stderr about the jail"; fi

# --- a relative socket path resolves inside the jail too
(cd "$T_TMP" && exec "$VMM" --vsock rel.sock --disk disk.img,ro -- \
	sh -c 'mount -t ext4 -o ro /dev/vda /mnt && /mnt/vsock-echo connect 2 6000 rel-ping' \
	>"$T_TMP/rel.out" 2>&1) &
rel=$!
pids+=($rel)
timeout 30 $CLIENT listen "$T_TMP/rel.sock_6000" >"$T_TMP/rel-listen.out" 2>&1
wait $rel
rc=$?
expect_eq "relative --vsock path: guest connection reaches PATH_6000" "rel-ping:0" \
	"$(cat "$T_TMP/rel-listen.out"):$rc"

# --- --no-jail
if start nj --no-jail; then
	NJ=$PID
	expect_eq "--no-jail: no seccomp filter" 0 "$(status $NJ Seccomp)"
	expect_eq "--no-jail: host's net namespace" "$(readlink /proc/self/ns/net)" \
		"$(readlink /proc/$NJ/ns/net)"
	if [ "$(status $NJ CapEff)" != 0000000000000000 ]; then pass "--no-jail: capabilities kept"
	else fail "--no-jail: capabilities kept"; fi
	kill -TERM $NJ
	wait $NJ 2>/dev/null || true # 143
else fail "--no-jail zone boots" "$(tail -3 "$T_TMP/nj.err")"; fi
