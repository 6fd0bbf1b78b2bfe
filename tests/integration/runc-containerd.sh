#!/usr/bin/env bash
# zone-runc under containerd (Debian's 1.6), started by the test with its
# own root, state and socket: `ctr run --runc-binary build/zone-runc` for
# run (exit status), run -d + task exec + kill + delete, and the zone's
# kernel inside.  The EXIT trap stops containerd and kills any zone-vmm
# of this test, by PID.
source "$(dirname "$0")/../lib.sh"
ZRUNC=$BUILD/zone-runc
KERNEL=${ZONE_KERNEL:-$BUILD/vmlinux} # what zone-vmm boots first (make kernel)

need_kvm
need "zone-runc (make build/zone-runc)" test -x "$ZRUNC"
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "demo image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
need "containerd and ctr (apt-get install containerd)" command -v containerd ctr containerd-shim-runc-v2
need "the guest kernel ($KERNEL)" test -f "$KERNEL"

D=$T_TMP/containerd
SOCK=$D/containerd.sock
mkdir -p "$D/root" "$D/state"
# no CRI plugin: this test needs no CNI; the shim finds zone-runc by path
cat >"$D/config.toml" <<TOML
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
TOML
all_vmms() { pgrep -c -x zone-vmm || true; }
vmms_before=$(all_vmms)

containerd --config "$D/config.toml" >"$D/containerd.log" 2>&1 &
ctrd=$!
pids+=("$ctrd")
c() { timeout 120 ctr --address "$SOCK" --namespace zone-test "$@"; }
for _ in $(seq 100); do c version >/dev/null 2>&1 && break; sleep 0.1; done
if ! c version >/dev/null 2>&1; then
	fail "start containerd" "$(tail -3 "$D/containerd.log")"
	exit 0
fi
cleanup_ctrd() {
	local id
	for id in $(c tasks ls -q 2>/dev/null); do c tasks kill -s SIGKILL "$id" >/dev/null 2>&1; c tasks delete -f "$id" >/dev/null 2>&1; done
	for id in $(c containers ls -q 2>/dev/null); do c containers delete "$id" >/dev/null 2>&1; done
	kill "$ctrd" 2>/dev/null
	wait "$ctrd" 2>/dev/null
	umount -R "$D/state" 2>/dev/null
	t_cleanup
}
trap cleanup_ctrd EXIT

IMG=docker.io/library/zone-demo:latest
tar -C "$BUILD/demo-image" -cf "$T_TMP/demo.tar" .
if ! c images import --index-name "$IMG" "$T_TMP/demo.tar" >"$T_TMP/import.out" 2>&1; then
	fail "ctr images import the demo image" "$(tail -2 "$T_TMP/import.out")"
	exit 0
fi
ZONE_UNAME=$(strings -n 10 "$KERNEL" | sed -n 's/^Linux version \([^ ]*\) .*/\1/p' | head -1)
R=(--runc-binary "$ZRUNC")

expect_eq "ctr run --rm" "hello" "$(c run --rm "${R[@]}" "$IMG" t1 echo hello 2>&1)"
c run --rm "${R[@]}" "$IMG" t2 sh -c 'exit 6' >/dev/null 2>&1
expect_eq "ctr run --rm: exit status" 6 $?
expect_eq "ctr run: uname -r is the zone's kernel" "$ZONE_UNAME" "$(c run --rm "${R[@]}" "$IMG" t3 uname -r 2>&1)"
c run -d "${R[@]}" "$IMG" t4 sleep 300 >"$T_TMP/t4.out" 2>&1
expect_eq "ctr run -d" 0 $?
expect_eq "ctr task ls: RUNNING" "RUNNING" "$(c tasks ls | awk '$1 == "t4" {print $3}')"
expect_eq "ctr task exec" "in-zone" "$(c tasks exec --exec-id e1 t4 echo in-zone 2>&1)"
c tasks exec --exec-id e2 t4 sh -c 'exit 4' >/dev/null 2>&1
expect_eq "ctr task exec: exit status" 4 $?
c tasks kill -s SIGKILL t4
expect_eq "ctr task kill" 0 $?
for _ in $(seq 100); do [ "$(c tasks ls | awk '$1 == "t4" {print $3}')" = STOPPED ] && break; sleep 0.1; done
expect_eq "stopped after kill" "STOPPED" "$(c tasks ls | awk '$1 == "t4" {print $3}')"
c tasks delete t4 >/dev/null 2>&1
expect_eq "ctr task delete" 0 $?
c containers delete t4
expect_eq "ctr container delete" 0 $?
expect_eq "no task left" "" "$(c tasks ls -q)"
expect_eq "no zone-vmm left" "$vmms_before" "$(all_vmms)"
