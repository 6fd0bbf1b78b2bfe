#!/usr/bin/env bash
# zone networking on the host, without a zone: `zone network` create/ls/
# inspect/rm with their bridges and nft rules, the default network's subnet
# avoiding a /16 the host routes, every bad network flag of `zone run`
# refused with one line and status 125, and a container whose zone cannot
# boot leaves no TAP, rule or lease behind.  Runs in a network namespace of
# its own (random name, removed by the trap): the host's network is not
# touched.  Needs root, ip, nft.
source "$(dirname "$0")/../lib.sh"
ZONE=$BUILD/zone

need "root (network namespaces)" test "$(id -u)" = 0
need "zone CLI (make build/zone)" test -x "$ZONE"
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "demo image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
need "ip (iproute2)" command -v ip
need "nft (apt-get install nftables)" command -v nft
need "jq" command -v jq

NS=zone-net-$RANDOM$RANDOM
export ZONE_ROOT=$T_TMP/root ZONE_RUNTIME_DIR=$T_TMP/run
cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T_TMP"
}
trap cleanup EXIT
ip netns add "$NS" || { fail "setup" "ip netns add $NS"; exit 0; }
in_ns() { ip netns exec "$NS" "$@"; }
z() { timeout 60 ip netns exec "$NS" "$ZONE" "$@"; }
in_ns ip link set lo up
# 10.88/16, the first candidate, is taken by a route in this namespace
in_ns ip route add 10.88.0.0/16 dev lo

# --- bad input: one line, status 125, before any image lookup ---
# expect_refused NAME TEXT ARGS...: zone run ARGS fails with 125 and TEXT
expect_refused() {
	local name=$1 text=$2 out rc
	shift 2
	out=$(z run "$@" 2>&1)
	rc=$?
	if [ "$rc" = 125 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && grep -q -- "$text" <<<"$out"; then
		pass "$name"
	else
		fail "$name" "status $rc: $out"
	fi
}
expect_refused "--network host refused" "own kernel" --network host demo true
expect_refused "-p without a container port" "HOSTPORT:CTRPORT" -p 8080 demo true
expect_refused "-p with port 0" "1 to 65535" -p 0:80 demo true
expect_refused "-p with port 70000" "1 to 65535" -p 8080:70000 demo true
expect_refused "-p with a bad protocol" "tcp or udp" -p 8080:80/sctp demo true
expect_refused "-p with a bad host address" "not an IPv4 address" -p 1.2.3:8080:80 demo true
expect_refused "-p with IPv6" "IPv6" -p '[::1]:8080:80' demo true
expect_refused "-p twice on one port" "twice" -p 8080:80 -p 8080:81 demo true
expect_refused "-p with --network none" "network none" --network none -p 8080:80 demo true
expect_refused "unknown network" "does not exist" --network nope demo true
expect_refused "bad network name" "network name" --network 'a b' demo true
expect_refused "--dns with a name" "not an IP address" --dns dns.example demo true
expect_refused "--add-host without an address" "NAME:IP" --add-host db demo true
expect_refused "--add-host with a bad address" "not an IP address" --add-host db:10.0.0.300 demo true
[ ! -d "$ZONE_ROOT/containers" ] || [ -z "$(ls "$ZONE_ROOT/containers")" ] &&
	pass "refused runs create no container" || fail "refused runs create no container"

# --- zone network ---
check "network create web" z network create web
expect_eq "web got the first free /16 (10.88/16 is routed)" "10.89.0.0/16" \
	"$(z network inspect web | jq -r .subnet)"
expect_eq "web's bridge has the gateway address" "10.89.0.1/16" \
	"$(in_ns ip -4 -o addr show dev zbr1 | awk '{print $4}')"
check "web's masquerade rule" bash -c "ip netns exec $NS nft list chain inet zone postrouting | grep -q 'ip saddr 10.89.0.0/16 ip daddr != 10.89.0.0/16 masquerade comment \"net:web\"'"
out=$(z network create web 2>&1)
[ $? != 0 ] && grep -q "already exists" <<<"$out" && pass "a taken name is refused" ||
	fail "a taken name is refused" "$out"
out=$(z network create --subnet 10.88.3.0/24 clash 2>&1)
[ $? != 0 ] && grep -q "overlaps" <<<"$out" && pass "a subnet on a host route is refused" ||
	fail "a subnet on a host route is refused" "$out"
out=$(z network create host 2>&1)
[ $? != 0 ] && grep -q "reserved" <<<"$out" && pass "network name host is reserved" ||
	fail "network name host is reserved" "$out"
check "network create --subnet" z network create --subnet 192.168.50.0/24 lan
expect_eq "ls lists both" "lan web" "$(z network ls --format json | jq -r '[.[].name] | join(" ")')"
expect_eq "ls header" "NAME" "$(z network ls | head -1 | awk '{print $1}')"

# --- a container whose zone cannot boot: everything it set up goes ---
if z image import "$BUILD/demo-image" --name demo >"$T_TMP/import.out" 2>&1; then
	out=$(ZONE_KERNEL=/nonexistent/vmlinux z run --name broken -p 127.0.0.1:18080:80 \
		-p 15353:53/udp demo true 2>&1)
	rc=$?
	expect_eq "a zone that cannot boot: zone run exits 125" 125 "$rc"
	ip=$(z inspect broken | jq -r '.[0].network.ip // .network.ip // empty' 2>/dev/null)
	expect_eq "it had an address on the default network (10.89 taken by web)" "10.90.0.2" "$ip"
	check "no TAP left" bash -c "! ip netns exec $NS ip -o link | grep -q ' zt'"
	check "no DNAT rule left" bash -c "! ip netns exec $NS nft list chain inet zone published | grep -q dnat"
	check "no lease left" bash -c "[ -z \"\$(ls $ZONE_ROOT/networks/zone.leases 2>/dev/null)\" ]"
	check "zone rm" z rm broken
	expect_eq "the default network was made at first use" "zone0 10.90.0.0/16" \
		"$(z network inspect zone | jq -r '.bridge + " " + .subnet')"
else
	fail "import build/demo-image" "$(tail -2 "$T_TMP/import.out")"
fi

# --- network rm ---
check "network rm" z network rm web lan zone
check "bridges gone" bash -c "! ip netns exec $NS ip -o link | grep -qE 'zbr|zone0'"
check "nft table gone with the last network" bash -c "! ip netns exec $NS nft list tables | grep -q 'inet zone'"
out=$(z network rm web 2>&1)
[ $? != 0 ] && grep -q "no network named web" <<<"$out" && pass "rm of an unknown network fails" ||
	fail "rm of an unknown network fails" "$out"
