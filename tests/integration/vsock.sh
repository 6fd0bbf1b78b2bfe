#!/usr/bin/env bash
# virtio-vsock against the real guest: host clients on the Unix socket
# ("CONNECT <port>\n" -> "OK <hostport>\n"), guest connections to PATH_<port>,
# 100 MiB echoed with matching sha256, refused ports, two zones at once.
# The guest side is tests/guest/vsock-echo.c, built static onto an ext4 disk.
source "$(dirname "$0")/../lib.sh"
CLIENT="python3 $ROOT/tests/integration/vsock_client.py"

need_kvm
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "mkfs.ext4" command -v mkfs.ext4
need "python3" command -v python3
need "static gcc" gcc -static -o "$T_TMP/true" -x c - <<<'int main(void){return 0;}'

if ! guest_disk "$T_TMP/disk.img" "$T_TMP/disk" "$ROOT/tests/guest/vsock-echo.c"; then
	fail "setup" "cannot build the guest helper disk"
	exit 0
fi

# start_zone NAME GUEST_SCRIPT: boots a zone with --vsock $T_TMP/NAME.sock
start_zone() {
	timeout 100 "$VMM" --vsock "$T_TMP/$1.sock" --disk "$T_DISK,ro" -- \
		sh -c "mount -t ext4 -o ro /dev/vda /mnt && $2" >"$T_TMP/$1.out" 2>"$T_TMP/$1.err" &
	pids+=($!)
}
T_DISK=$T_TMP/disk.img

# wait_echo SOCK: until the guest's echo server answers (boot takes ~0.5 s)
wait_echo() {
	for _ in $(seq 100); do
		[ "$($CLIENT echo "$1" 1234 up 2>/dev/null)" == "OK up" ] && return 0
		sleep 0.1
	done
	return 1
}

# Zone a: first connects out to host ports 5000 (served) and 5001 (not),
# then serves echo on vsock port 1234.
$CLIENT listen "$T_TMP/a.sock_5000" >"$T_TMP/listen.out" 2>&1 &
listener=$!
wait_for 10 test -S "$T_TMP/a.sock_5000" || fail "guest to host: listener socket" "never appeared"
start_zone a '/mnt/vsock-echo connect 2 5000 ping-from-guest; /mnt/vsock-echo connect 2 5001 nobody; exec /mnt/vsock-echo serve 1234'
start=$SECONDS
if ! wait_echo "$T_TMP/a.sock"; then
	fail "boot" "echo server never answered: $(tail -3 "$T_TMP/a.err")"
	exit 0
fi
pass "guest echo server reachable after boot ($((SECONDS - start)) s)"

expect_eq "host to guest echo" "OK hello-vsock" "$($CLIENT echo "$T_TMP/a.sock" 1234 hello-vsock)"
ok=$(timeout 10 $CLIENT okline "$T_TMP/a.sock" 1234)
if [[ "$ok" =~ ^OK\ [0-9]+$ ]]; then pass "OK line carries the host port ($ok)"
else fail "OK line carries the host port" "got '$ok'"; fi
expect_eq "port with no listener: closed without OK" "closed" \
	"$(timeout 10 $CLIENT refused "$T_TMP/a.sock" 4321)"
got=$(timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b"HELLO 1234\n")
try: print("closed" if s.recv(100) == b"" else "answered")
except ConnectionResetError: print("closed")' "$T_TMP/a.sock")
expect_eq "malformed CONNECT line: closed" "closed" "$got"

wait "$listener" 2>/dev/null
expect_eq "guest to host: PATH_5000 got the guest's bytes" "ping-from-guest" "$(cat "$T_TMP/listen.out")"
if grep -q "pong:ping-from-guest" "$T_TMP/a.out"; then pass "guest to host: reply reached the guest"
else fail "guest to host: reply reached the guest" "$(head -c 300 "$T_TMP/a.out")"; fi
if grep -q "connect failed: Connection reset by peer" "$T_TMP/a.out"; then
	pass "guest to host port without PATH_P: ECONNRESET in the guest"
else fail "guest to host port without PATH_P: ECONNRESET in the guest" "$(head -c 300 "$T_TMP/a.out")"; fi

read -r sent got n rate <<<"$(timeout 60 $CLIENT bulk "$T_TMP/a.sock" 1234 100)"
if [ -n "$sent" ] && [ "$sent" == "$got" ] && [ "$n" == 104857600 ]; then
	pass "100 MiB echoed through the guest, sha256 matches ($rate each way)"
else
	fail "100 MiB echo" "sent $sent got $got bytes $n"
fi

# 20 connections at once on one zone
par=()
for i in $(seq 20); do
	timeout 20 $CLIENT echo "$T_TMP/a.sock" 1234 "conn-$i" >"$T_TMP/par.$i" &
	par+=($!)
done
wait "${par[@]}"
n_ok=0
for i in $(seq 20); do [ "$(cat "$T_TMP/par.$i")" == "OK conn-$i" ] && n_ok=$((n_ok + 1)); done
expect_eq "20 concurrent connections echo" 20 "$n_ok"

# A second VMM may not take a live socket, but replaces a stale one.
if timeout 10 "$VMM" --vsock "$T_TMP/a.sock" -- true 2>"$T_TMP/dup.err"; then
	fail "live socket path refused" "second VMM started"
elif grep -q "in use" "$T_TMP/dup.err"; then pass "live socket path refused"
else fail "live socket path refused" "$(cat "$T_TMP/dup.err")"; fi
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T_TMP/b.sock"

# Zone b alongside zone a, each with its own socket.
start_zone b 'exec /mnt/vsock-echo serve 1234'
if wait_echo "$T_TMP/b.sock"; then pass "second zone up on a stale socket path"
else fail "second zone up on a stale socket path" "$(tail -3 "$T_TMP/b.err")"; fi
timeout 20 $CLIENT bulk "$T_TMP/a.sock" 1234 20 >"$T_TMP/bulk.a" &
ba=$!
timeout 20 $CLIENT bulk "$T_TMP/b.sock" 1234 20 >"$T_TMP/bulk.b" &
bb=$!
wait $ba $bb
both=0
for z in a b; do
	read -r sent got n _ <"$T_TMP/bulk.$z"
	[ -n "$sent" ] && [ "$sent" == "$got" ] && [ "$n" == 20971520 ] && both=$((both + 1))
done
expect_eq "two zones relay 20 MiB each at the same time" 2 "$both"

kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null
if [ ! -e "$T_TMP/a.sock" ]; then pass "socket removed when the VMM stops"
else fail "socket removed when the VMM stops"; fi
# (with ZONE_VMM=build/asan/zone-vmm this also catches sanitizer reports)
if grep -q -e "guest error" -e "Sanitizer" "$T_TMP/a.err"; then
	fail "no guest errors or sanitizer reports" "$(grep -e "guest error" -e Sanitizer "$T_TMP/a.err" | head -3)"
else pass "no guest errors or sanitizer reports"; fi
