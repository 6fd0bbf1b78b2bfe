#!/usr/bin/env bash
# IDM against the real guest: two zones served at once (zone-vmm --vsock,
# no command) driven by `zone exec`: concurrent execs, 100 MiB through
# stdin/stdout, ttys and window sizes, signals both ways, the zone-vmm
# -- CMD path, and a hostile guest (tests/guest/idm-garbage.c, run in a
# zone from an ext4 disk) that answers the host client with garbage.
# Zone a runs under the ASan/UBSan build of zone-vmm.
source "$(dirname "$0")/../lib.sh"
ZONE=$BUILD/zone
ASAN_VMM=$BUILD/asan/zone-vmm

need_kvm
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "ASan zone-vmm (make build/asan/zone-vmm)" test -x "$ASAN_VMM"
need "zone CLI (make build/zone)" test -x "$ZONE"
need "mkfs.ext4" command -v mkfs.ext4
need "script (util-linux)" command -v script
need "static gcc" gcc -static -o "$T_TMP/true" -x c - <<<'int main(void){return 0;}'

if ! guest_disk "$T_TMP/disk.img" "$T_TMP/disk" "$ROOT/tests/guest/idm-garbage.c"; then
	fail "setup" "cannot build the guest helper disk"
	exit 0
fi

vmms=()
bg=()
cleanup() {
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${vmms[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${bg[@]}" "${vmms[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

A=$T_TMP/a.sock
B=$T_TMP/b.sock
zx() { timeout 30 "$ZONE" exec "$@"; }

# up SOCK: until zone-init answers exec on SOCK
up() {
	for _ in $(seq 150); do
		[ "$(timeout 5 "$ZONE" exec --vsock "$1" -- echo up 2>/dev/null)" == up ] && return 0
		sleep 0.2
	done
	return 1
}

ASAN_OPTIONS=detect_leaks=1 "$ASAN_VMM" --vsock "$A" --cpus 2 --disk "$T_TMP/disk.img,ro" \
	>"$T_TMP/a.out" 2>"$T_TMP/a.err" &
vmms+=($!)
APID=$!
"$VMM" --vsock "$B" >"$T_TMP/b.out" 2>"$T_TMP/b.err" &
vmms+=($!)
BPID=$!
if ! up "$A" || ! up "$B"; then
	fail "zones up" "a: $(tail -2 "$T_TMP/a.err") b: $(tail -2 "$T_TMP/b.err")"
	exit 0
fi
pass "two zones up at once (a under ASan), each on its own socket"

# --- two zones, independent
ida=$(zx --vsock "$A" -- cat /proc/sys/kernel/random/boot_id)
idb=$(zx --vsock "$B" -- cat /proc/sys/kernel/random/boot_id)
if [ -n "$ida" ] && [ -n "$idb" ] && [ "$ida" != "$idb" ]; then pass "each socket reaches its own zone (boot ids differ)"
else fail "each socket reaches its own zone" "a '$ida' b '$idb'"; fi
zx --vsock "$A" -- sh -c 'echo in-a; exit 3' >"$T_TMP/two.a" 2>&1 &
pa=$!
zx --vsock "$B" -- sh -c 'echo in-b; exit 4' >"$T_TMP/two.b" 2>&1 &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
expect_eq "two zones answer exec at the same time" "in-a 3 in-b 4" \
	"$(cat "$T_TMP/two.a") $ra $(cat "$T_TMP/two.b") $rb"
ma=$(zx --vsock "$A" -- sh -c 'echo x > /tmp/mark; test -e /tmp/mark; echo $?')
mb=$(zx --vsock "$B" -- sh -c 'test -e /tmp/mark; echo $?')
expect_eq "a file made in zone a is not in zone b" "0 1" "$ma $mb"

# --- 20 concurrent execs in one zone
par=()
for i in $(seq 20); do
	(zx --vsock "$A" -- sh -c "echo out-$i; echo err-$i >&2; exit $i" >"$T_TMP/c.$i.out" 2>"$T_TMP/c.$i.err"
	 echo $? >"$T_TMP/c.$i.rc") &
	par+=($!)
done
wait "${par[@]}"
n_ok=0
bad=""
for i in $(seq 20); do
	if [ "$(cat "$T_TMP/c.$i.out")|$(cat "$T_TMP/c.$i.err")|$(cat "$T_TMP/c.$i.rc")" == "out-$i|err-$i|$i" ]; then
		n_ok=$((n_ok + 1))
	else bad="$bad [$i: $(cat "$T_TMP/c.$i.out" "$T_TMP/c.$i.err" "$T_TMP/c.$i.rc" | tr '\n' ' ')]"; fi
done
if [ $n_ok -eq 20 ]; then pass "20 concurrent execs: each its own stdout, stderr and exit code"
else fail "20 concurrent execs" "$n_ok/20 right:$bad"; fi

# a burst larger than zone-init's old listen backlog (16): none refused
par=()
for i in $(seq 40); do
	(zx --vsock "$A" -- echo ok >"$T_TMP/burst.$i" 2>&1) &
	par+=($!)
done
wait "${par[@]}"
expect_eq "40 execs at once: all connect and run" 40 "$(cat "$T_TMP"/burst.* | grep -cx ok)"

# --- bulk stdin -> stdout
head -c 100M /dev/urandom >"$T_TMP/big"
want=$(sha256sum <"$T_TMP/big" | cut -d' ' -f1)
start=$(date +%s%N)
got=$(timeout 60 "$ZONE" exec --vsock "$B" -i -- cat <"$T_TMP/big" | sha256sum | cut -d' ' -f1)
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "100 MiB stdin -> cat -> stdout, sha256 matches (${ms} ms)" "$want" "$got"
head -c 10M "$T_TMP/big" >"$T_TMP/10m"
want10=$(sha256sum <"$T_TMP/10m" | cut -d' ' -f1)
got=$(cat "$T_TMP/10m" | timeout 60 "$ZONE" exec --vsock "$A" -i -- sha256sum | cut -d' ' -f1)
expect_eq "10 MiB from a pipe into the ASan zone, sha256 in the zone matches" "$want10" "$got"
expect_eq "without -i the process reads EOF" "0" "$(echo data | zx --vsock "$B" -- wc -c | tr -d ' ')"
expect_eq "-e, -w and -u reach the process" "v1|/tmp|1000:1001" \
	"$(zx --vsock "$B" -e K=v1 -w /tmp -u 1000:1001 -- sh -c 'echo "$K|$(pwd)|$(id -u):$(id -g)"')"
zx --vsock "$B" -- /no/such/cmd 2>/dev/null
expect_eq "missing command gives 127" 127 $?

# --- ttys
out=$(script -qc "stty rows 33 cols 101; $ZONE exec --vsock $B -t -- sh -c 'tty; stty size'" /dev/null | tr -d '\r')
if [[ "$(sed -n 1p <<<"$out")" =~ ^/dev/pts/[0-9]+$ ]]; then pass "-t: tty is $(sed -n 1p <<<"$out")"
else fail "-t: tty is /dev/pts/N" "got '$out'"; fi
expect_eq "-t: stty size in the zone matches the client's window" "33 101" "$(sed -n 2p <<<"$out")"
out=$(zx --vsock "$B" -- tty)
expect_eq "without -t: no tty" "not a tty 1" "$out $?"
out=$(script -qc "printf 'typed-in\\n' | $ZONE exec --vsock $B -i -t -- sh -c 'read x; echo got-\$x; exit 5'; echo rc=\$?" /dev/null | tr -d '\r')
if grep -qx "got-typed-in" <<<"$out" && grep -qx "rc=5" <<<"$out"; then pass "-i -t: the process reads stdin through its tty, exit status passes"
else fail "-i -t: stdin through the tty" "got '$(head -c 300 <<<"$out")'"; fi

# --- signals
# bgrun NAME CMD...: zone exec in the background; its guest pid is the first line
bgrun() {
	local name=$1; shift
	"$ZONE" exec --vsock "$B" -- "$@" >"$T_TMP/$name.out" 2>&1 &
	bgpid=$!
	bg+=($bgpid)
	for _ in $(seq 100); do [ -s "$T_TMP/$name.out" ] && return 0; sleep 0.05; done
	return 1
}
for s in TERM:143 INT:130 HUP:129 USR1:138; do
	bgrun "sig$s" sh -c 'echo $$; exec sleep 60'
	kill -"${s%:*}" $bgpid
	timeout 10 tail --pid=$bgpid -f /dev/null
	wait $bgpid
	expect_eq "SIG${s%:*} to zone exec reaches the process: exit ${s#*:}" "${s#*:}" $?
done
zx --vsock "$B" -- sh -c 'kill -9 $$'
expect_eq "SIGKILL inside the zone: 137" 137 $?
zx --vsock "$B" -- sh -c 'kill -SEGV $$'
expect_eq "SIGSEGV inside the zone: 139" 139 $?
bgrun kill9 sh -c 'echo $$; exec sleep 60'
gpid=$(head -1 "$T_TMP/kill9.out")
zx --vsock "$B" -- kill -9 "$gpid"
wait $bgpid
expect_eq "kill -9 from another exec: the first exec exits 137" 137 $?
# ignores SIGTERM: survives it, then dies of SIGKILL (from inside) or SIGINT
bgrun ign1 sh -c 'trap "" TERM; echo $$; while :; do sleep 0.2; done'
gpid=$(head -1 "$T_TMP/ign1.out")
kill -TERM $bgpid
sleep 1
if kill -0 $bgpid 2>/dev/null && zx --vsock "$B" -- kill -0 "$gpid"; then
	pass "a process ignoring SIGTERM survives a forwarded SIGTERM"
else fail "a process ignoring SIGTERM survives a forwarded SIGTERM" "it is gone"; fi
zx --vsock "$B" -- kill -9 "$gpid"
wait $bgpid
expect_eq "... and then dies of SIGKILL: 137" 137 $?
bgrun ign2 sh -c 'trap "" TERM; echo $$; while :; do sleep 0.2; done'
kill -TERM $bgpid
sleep 0.5
kill -INT $bgpid
timeout 10 tail --pid=$bgpid -f /dev/null
wait $bgpid
expect_eq "a process ignoring SIGTERM dies of a forwarded SIGINT: 130" 130 $?

# --- zone-vmm -- CMD
got=$(timeout 60 "$VMM" -i -- cat <"$T_TMP/10m" | sha256sum | cut -d' ' -f1)
expect_eq "zone-vmm -i -- cat: 10 MiB through, sha256 matches" "$want10" "$got"
expect_eq "zone-vmm without -i: stdin is EOF" "0" "$(echo data | timeout 60 "$VMM" -- wc -c | tr -d ' ')"
out=$(script -qc "stty rows 27 cols 91; timeout 60 $VMM -t -- sh -c 'tty; stty size; exit 7'; echo rc=\$?" /dev/null | tr -d '\r')
if [[ "$(sed -n 1p <<<"$out")" =~ ^/dev/pts/[0-9]+$ ]] && [ "$(sed -n 2p <<<"$out")" == "27 91" ] &&
	[ "$(sed -n 3p <<<"$out")" == "rc=7" ]; then
	pass "zone-vmm -t: pty in the zone with the client's size, exit status passes"
else fail "zone-vmm -t" "got '$out'"; fi

# --- hostile guest: idm-garbage serves one kind of garbage per port
"$ZONE" exec --vsock "$A" -- sh -c 'mount -t ext4 -o ro /dev/vda /mnt && exec /mnt/idm-garbage 5000' \
	>"$T_TMP/garbage.out" 2>&1 &
bg+=($!)
for _ in $(seq 100); do grep -q '^ready' "$T_TMP/garbage.out" && break; sleep 0.05; done
if ! grep -q '^ready' "$T_TMP/garbage.out"; then
	fail "hostile guest: idm-garbage started" "$(head -c 300 "$T_TMP/garbage.out")"
else
	n_kinds=0
	while read -r port kind; do
		[ "$kind" ] || continue
		n_kinds=$((n_kinds + 1))
		/usr/bin/time -o "$T_TMP/rss" -f %M timeout 10 "$ZONE" exec --vsock "$A" --port "$port" -- true \
			>/dev/null 2>"$T_TMP/g.err"
		rc=$?
		lines=$(grep -c . "$T_TMP/g.err")
		rss=$(tail -1 "$T_TMP/rss")
		msg=$(head -1 "$T_TMP/g.err")
		grep -v "exited with non-zero" "$T_TMP/g.err" >"$T_TMP/g.err2"
		lines=$(grep -c . "$T_TMP/g.err2")
		if [ $rc -eq 0 ] || [ $rc -ge 124 ]; then
			fail "hostile guest: $kind" "exit status $rc (0, timeout or crash): $(head -c 200 "$T_TMP/g.err")"
		elif [ "$lines" -ne 1 ]; then
			fail "hostile guest: $kind" "expected one error line, got $lines: $(head -c 300 "$T_TMP/g.err2")"
		elif [ "${rss:-999999}" -gt 102400 ]; then
			fail "hostile guest: $kind" "client grew to $rss kB"
		else
			pass "hostile guest: $kind -> exit $rc, '$(cat "$T_TMP/g.err2")'"
		fi
		if kill -0 $APID 2>/dev/null && [ "$(zx --vsock "$A" -- echo ok 2>&1)" == ok ]; then
			pass "hostile guest: $kind: zone-vmm alive, exec still works"
		else fail "hostile guest: $kind: zone-vmm alive, exec still works" "$(tail -3 "$T_TMP/a.err")"; fi
	done < <(grep -E '^[0-9]+ ' "$T_TMP/garbage.out")
	expect_eq "hostile guest: all 11 kinds tried" 11 "$n_kinds"
fi

# --- zones stop; ASan zone-vmm reports nothing
kill -TERM $BPID
wait $BPID 2>/dev/null
expect_eq "zone b stopped, zone a still answers" "ok" "$(zx --vsock "$A" -- echo ok 2>&1)"
kill -TERM $APID
wait $APID 2>/dev/null
if [ ! -e "$A" ] && [ ! -e "$B" ]; then pass "sockets removed when the VMMs stop"
else fail "sockets removed when the VMMs stop"; fi
if grep -q -e "Sanitizer" -e "runtime error" -e "guest error" "$T_TMP/a.err"; then
	fail "no sanitizer reports or guest errors from the ASan zone-vmm" \
		"$(grep -e Sanitizer -e "runtime error" -e "guest error" "$T_TMP/a.err" | head -3)"
else pass "no sanitizer reports or guest errors from the ASan zone-vmm"; fi
