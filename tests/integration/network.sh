#!/usr/bin/env bash
# Zones on the network, end to end: loopback from the first instruction,
# redis on 127.0.0.1 in its zone, nginx through -p with a byte-identical
# download, two containers talking by address, --network none, a published
# UDP port, a flooding zone that stalls neither its own exec nor another
# zone's traffic, and nothing left (TAP, nft rule, lease) after rm or after
# the monitor is SIGKILLed.  Everything runs in a network namespace of the
# test's own (random name): its bridge, NAT rules and published ports never
# touch the host's network; the trap removes containers and namespace.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-images.sh"
source "$(dirname "$0")/lib-net.sh"

need_kvm
need "root (network namespaces, TAPs, nft)" test "$(id -u)" = 0
need "zone CLI (make build/zone)" test -x "$ZONE"
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "ip (iproute2)" command -v ip
need "nft (apt-get install nftables)" command -v nft
need "curl" command -v curl
need "redis-cli (apt-get install redis-tools)" command -v redis-cli
need "nc (netcat-openbsd)" command -v nc
need "debootstrap, umoci, skopeo" bash -c "command -v debootstrap && command -v umoci && command -v skopeo"
need "jq" command -v jq

NS=zone-nt-$RANDOM$RANDOM
export ZONE_ROOT=$T_TMP/root ZONE_RUNTIME_DIR=$T_TMP/run
in_ns() { ip netns exec "$NS" "$@"; }
z() { timeout 120 ip netns exec "$NS" "$ZONE" "$@"; }
cleanup() {
	local id
	for id in $(z ps -a --format json 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
		z rm -f "$id" >/dev/null 2>&1
	done
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	images_cleanup
}
trap cleanup EXIT

ARCHIVE=$(debian_net_oci_archive) || { fail "Debian image with redis and nginx" "debootstrap failed"; exit 0; }
ip netns add "$NS" || { fail "setup" "ip netns add $NS"; exit 0; }
in_ns ip link set lo up
z image import "$ARCHIVE" --name net >/dev/null || { fail "import the Debian image"; exit 0; }

# state of container $1: field $2 (jq)
field() { z inspect "$1" | jq -r ".[0]$2"; }
# nothing_left ID12: no TAP, no nft rule, no lease of the container
nothing_left() {
	! in_ns ip -o link | grep -q "zt$1" &&
		! in_ns nft list table inet zone 2>/dev/null | grep -q "ctr:$1" &&
		! grep -rqs "^$1" "$ZONE_ROOT/networks/"*.leases/
}

# --- loopback from the first instruction ---
out=$(z run --rm net sh -c 'ip -o link show lo; ip -o -4 addr show lo')
grep -q "<LOOPBACK,UP" <<<"$out" && grep -q "127.0.0.1/8" <<<"$out" && pass "lo is up with 127.0.0.1 when the process starts" ||
	fail "lo is up with 127.0.0.1 when the process starts" "$out"
expect_eq "redis-cli -h 127.0.0.1 ping inside the zone" "PONG" \
	"$(z run --rm net sh -c 'redis-server --save "" --daemonize yes >/dev/null &&
		for i in $(seq 50); do redis-cli -h 127.0.0.1 ping 2>/dev/null && exit; sleep 0.1; done')"

# --- --network none: only lo ---
# (the zone kernel has sit built in, so every namespace also has its
# fallback sit0, down and without addresses, as a host with sit loaded)
expect_eq "--network none has only lo (up; any other link down)" "lo" \
	"$(z run --rm --network none net sh -c 'for d in /sys/class/net/*; do
		[ "$(cat "$d/operstate")" = down ] || echo "${d##*/}"; done' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "--network none: no address but on lo" "0" \
	"$(z run --rm --network none net sh -c "ip -o addr | awk '\$2 != \"lo\"' | wc -l")"

# --- default network: an address, a default route, DNS config ---
out=$(z run --rm net sh -c 'ip -o -4 addr show eth0; ip route show default; cat /etc/resolv.conf')
grep -q "inet 10\.\|inet 172\." <<<"$out" && grep -q "default via" <<<"$out" &&
	grep -q nameserver <<<"$out" && pass "eth0 has an address, a default route and resolvers" ||
	fail "eth0 has an address, a default route and resolvers" "$out"
expect_eq "--dns and --add-host" "nameserver 192.0.2.53|192.0.2.9 db" \
	"$(z run --rm --dns 192.0.2.53 --add-host db:192.0.2.9 net sh -c \
		'grep ^nameserver /etc/resolv.conf; grep -w db /etc/hosts' | tr -s '\t ' ' ' | paste -sd'|')"

# --- nginx through -p 127.0.0.1:PORT:80, byte-identical ---
PORT=$(in_ns bash -c "$(declare -f free_port); free_port")
head -c $((3 << 20)) /dev/urandom >"$T_TMP/blob"
WEB=$(z run -d -p 127.0.0.1:$PORT:80 net nginx -g 'daemon off;')
z exec -i "$WEB" sh -c 'cat > /var/www/html/blob' <"$T_TMP/blob"
for _ in $(seq 50); do in_ns curl -fs -o "$T_TMP/got" "http://127.0.0.1:$PORT/blob" && break; sleep 0.2; done
cmp -s "$T_TMP/blob" "$T_TMP/got" && pass "nginx via -p 127.0.0.1:$PORT:80: curl gets the 3 MiB file byte for byte" ||
	fail "nginx via -p: curl gets the file byte for byte" "$(stat -c %s "$T_TMP/got" 2>/dev/null) bytes"

# --- two containers on the default network reach each other by address ---
R1=$(z run -d net redis-server --save '' --protected-mode no)
IP1=$(field "$R1" .network.ip)
expect_eq "container 2 reaches container 1 ($IP1) by address" "PONG" \
	"$(z run --rm net sh -c "for i in \$(seq 50); do redis-cli -h $IP1 ping 2>/dev/null && exit; sleep 0.1; done")"

# --- a published UDP port ---
UPORT=$(in_ns bash -c "$(declare -f free_port); free_port")
U=$(z run -d -p 127.0.0.1:$UPORT:5353/udp net nc -u -l 5353)
for _ in $(seq 50); do
	echo "hello-udp" | in_ns nc -u -w1 127.0.0.1 "$UPORT"
	z logs "$U" 2>/dev/null | grep -q hello-udp && break
done
z logs "$U" | grep -q hello-udp && pass "a published UDP port delivers a datagram" ||
	fail "a published UDP port delivers a datagram" "$(z logs "$U" 2>&1 | tail -2)"

# --- a flooding zone stalls neither its own exec nor another zone ---
RPORT=$(in_ns bash -c "$(declare -f free_port); free_port")
R2=$(z run -d -p 127.0.0.1:$RPORT:6379 net redis-server --save '' --protected-mode no)
GW=$(field "$R1" .network.gateway)
FLOOD=$(z run -d net sh -c "ping -f -q -s 1400 $IP1 >/dev/null & nc -u $GW 9 </dev/zero & nc -u $IP1 9 </dev/zero & wait")
sleep 2
slow=0
for i in $(seq 10); do
	start=$(date +%s%N)
	z exec "$FLOOD" true || slow=$((slow + 1000))
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -gt 5000 ] && slow=$((slow + 1))
done
expect_eq "exec in the flooding zone: 10 runs, none over 5 s" 0 "$slow"
ok=0
for i in $(seq 100); do
	[ "$(in_ns timeout 5 redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && ok=$((ok + 1))
done
expect_eq "another zone's published redis answers 100/100 pings during the flood" 100 "$ok"
check "zone-vmm of the flooding zone still runs" kill -0 "$(field "$FLOOD" .vmm_pid)"
z rm -f "$FLOOD" >/dev/null

# --- nothing left after rm ---
ID=$(field "$WEB" .id)
z stop "$WEB" >/dev/null && z rm "$WEB" >/dev/null
check "after stop + rm: no TAP, rule or lease" nothing_left "${ID:0:12}"
for c in "$R1" "$R2" "$U"; do z rm -f "$c" >/dev/null; done

# --- nothing left after a SIGKILLed monitor (and rm) ---
K=$(z run -d -p 127.0.0.1:$PORT:80 net nginx -g 'daemon off;')
KID=$(field "$K" .id)
in_ns ip -o link | grep -q "zt${KID:0:12}" && pass "the running container has its TAP" ||
	fail "the running container has its TAP"
kill -9 "$(field "$K" .monitor_pid)"
for _ in $(seq 100); do kill -0 "$(field "$K" .vmm_pid)" 2>/dev/null || break; sleep 0.1; done
check "its zone-vmm died with the monitor" bash -c "! kill -0 $(field "$K" .vmm_pid) 2>/dev/null"
check "its TAP went with zone-vmm" bash -c "! ip netns exec $NS ip -o link | grep -q zt${KID:0:12}"
z rm -f "$K" >/dev/null
check "after rm: no nft rule or lease of the killed monitor" nothing_left "${KID:0:12}"
# and the port is free for the next container
K2=$(z run -d -p 127.0.0.1:$PORT:80 net nginx -g 'daemon off;')
for _ in $(seq 50); do in_ns curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done
check "the port is published again by the next container" in_ns curl -fs -o /dev/null "http://127.0.0.1:$PORT/"
z rm -f "$K2" >/dev/null
check "zone network rm zone once unused" z network rm zone
