#!/usr/bin/env bash
# Default confinement of a container inside its zone, as docker and podman
# confine a runc container: docker's 14 capabilities, the default seccomp
# profile (unshare, mount, keyctl... refused), masked and read-only /proc
# paths, container=zone; and what --privileged, --cap-add/--cap-drop,
# --security-opt seccomp=unconfined|FILE and no-new-privileges change,
# also for zone exec.  Bad flags: exit 125, nothing created or running.
# Each configuration runs once, in one zone, and prints everything the
# checks read.  Private ZONE_ROOT / ZONE_RUNTIME_DIR; the EXIT trap removes
# every container and kills any zone-vmm left, by PID.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-zone.sh"
ZONE=$BUILD/zone

need_kvm
need "zone CLI (make build/zone)" test -x "$ZONE"
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "demo image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
need "umoci (apt-get install umoci)" command -v umoci
need "jq" command -v jq
need "gcc with a static libc" gcc -static -o "$T_TMP/true" -x c - <<<'int main(void){return 0;}'

export ZONE_ROOT=$T_TMP/root
export ZONE_RUNTIME_DIR=$T_TMP/run

cleanup() {
	zone_cleanup
	rm -rf "$T_TMP"
}
trap cleanup EXIT

z() { timeout 60 "$ZONE" "$@"; }
zrun() { timeout 90 "$ZONE" run --rm --network none "$@"; }
ctr_dirs() { find "$ZONE_ROOT/containers" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l; }

# The demo image plus /bin/probe (tests/guest/confine/probe.c): tries the
# refused calls one by one and prints name=ok or name=ERRNO.  (unpack and
# repack: umoci 0.4.7's insert of a single file writes a tar cut short
# after the file's last byte, which the importer rightly refuses.)
cp -r "$BUILD/demo-image" "$T_TMP/layout"
touch "$T_TMP/gcc.out" "$T_TMP/umoci.out" "$T_TMP/import.out"
if ! gcc -static -O2 -Wall -o "$T_TMP/probe" "$ROOT/tests/guest/confine/probe.c" 2>"$T_TMP/gcc.out" ||
	! umoci unpack --image "$T_TMP/layout:latest" "$T_TMP/bundle" >"$T_TMP/umoci.out" 2>&1 ||
	! cp "$T_TMP/probe" "$T_TMP/bundle/rootfs/bin/probe" ||
	! umoci repack --image "$T_TMP/layout:latest" "$T_TMP/bundle" >>"$T_TMP/umoci.out" 2>&1 ||
	! z image import "$T_TMP/layout" --name confine >"$T_TMP/import.out" 2>&1; then
	fail "build the probe image" "$(tail -q -n 3 "$T_TMP/gcc.out" "$T_TMP/umoci.out" "$T_TMP/import.out")"
	exit 0
fi

# What every configuration reports, one KEY=VALUE a line.
REPORT='
st=/proc/self/status
for f in CapEff CapPrm CapBnd CapInh CapAmb Seccomp NoNewPrivs; do
	echo "$f=$(grep "^$f:" $st | tr -d " \t" | cut -d: -f2)"
done
echo "last_cap=$(cat /proc/sys/kernel/cap_last_cap)"
echo "container=$container"
unshare -U true 2>/dev/null && echo "bb_unshare=ok" || echo "bb_unshare=refused"
mount -t tmpfs x /tmp 2>/dev/null && echo "bb_mount=ok" || echo "bb_mount=refused"
# real writes (busybox test -w says yes to root whatever the mount): "h"
# only prints sysrq help to the kernel log, the hostname is written back
(echo h >/proc/sysrq-trigger) 2>/dev/null && echo "sysrq=writable" || echo "sysrq=read-only"
h=$(cat /proc/sys/kernel/hostname)
(echo "$h" >/proc/sys/kernel/hostname) 2>/dev/null && echo "procsys=writable" || echo "procsys=read-only"
if [ -e /proc/kcore ]; then echo "kcore_bytes=$(head -c 16 /proc/kcore | wc -c)"; else echo "kcore_bytes=absent"; fi
if [ -e /proc/timer_list ]; then echo "timer_list_bytes=$(wc -c </proc/timer_list)"; else echo "timer_list_bytes=absent"; fi
echo "proc_mounts=$(awk "{print \$5}" /proc/self/mountinfo | grep -E "^/(proc|sys)/" | sort | tr "\n" " ")"
echo "sys_firmware_entries=$(ls -A /sys/firmware 2>/dev/null | wc -l)"
/bin/probe all
'
# run_report NAME FLAGS...: the report of a --rm container into $T_TMP/NAME
run_report() {
	local name=$1; shift
	zrun "$@" confine sh -c "$REPORT" >"$T_TMP/$name" 2>"$T_TMP/$name.err"
	local rc=$?
	[ $rc -eq 0 ] || fail "$name: zone run exit $rc" "$(tail -n 3 "$T_TMP/$name.err")"
	return $rc
}
# val NAME KEY: one value of a report
val() { sed -n "s/^$2=//p" "$T_TMP/$1" | head -1; }
# expect_vals NAME WHAT KEY=VALUE...: all of them, in one check
expect_vals() {
	local name=$1 what=$2 kv bad=; shift 2
	for kv in "$@"; do
		[ "$(val "$name" "${kv%%=*}")" == "${kv#*=}" ] || bad+=" ${kv%%=*}=$(val "$name" "${kv%%=*}") (want ${kv#*=})"
	done
	if [ -z "$bad" ]; then pass "$name: $what"; else fail "$name: $what" "$bad"; fi
}

DEFAULT_CAPS=00000000a80425fb # docker's 14: CapEff of a default docker container
REFUSED="keyctl=EPERM add_key=EPERM unshare_user=EPERM unshare_mnt=EPERM clone_newuser=EPERM
	clone_newnet=EPERM clone3=ENOSYS mount=EPERM personality_rie=EPERM vsock=EPERM bpf=EPERM
	perf_event_open=EPERM"
WORKS="fork=ok personality_query=ok personality_linux32=ok"

# --- default
if run_report default; then
	expect_vals default "exactly docker's 14 capabilities (effective, permitted, bounding)" \
		CapEff=$DEFAULT_CAPS CapPrm=$DEFAULT_CAPS CapBnd=$DEFAULT_CAPS
	expect_vals default "inheritable and ambient empty (as docker since CVE-2022-24769)" \
		CapInh=0000000000000000 CapAmb=0000000000000000
	expect_vals default "seccomp filter mode (Seccomp: 2), no_new_privs off" Seccomp=2 NoNewPrivs=0
	expect_vals default "busybox unshare -U and mount -t tmpfs are refused" \
		bb_unshare=refused bb_mount=refused
	# shellcheck disable=SC2086
	expect_vals default "seccomp refuses keyctl, add_key, unshare, clone with namespace flags, \
mount, bpf, perf_event_open, personality flags, AF_VSOCK; clone3 gets ENOSYS" $REFUSED
	# shellcheck disable=SC2086
	expect_vals default "fork, the personality query and PER_LINUX32-style personas work" $WORKS
	expect_vals default "/proc/sysrq-trigger and /proc/sys are read-only" \
		sysrq=read-only procsys=read-only
	kc=$(val default kcore_bytes)
	if [ "$kc" == 0 ] || [ "$kc" == absent ]; then
		pass "default: /proc/kcore is masked ($kc: the zone kernel has no PROC_KCORE, or /dev/null)"
	else
		fail "default: /proc/kcore is masked" "read $kc bytes"
	fi
	expect_vals default "/sys/firmware is an empty directory" sys_firmware_entries=0
	tl=$(val default timer_list_bytes)
	if [ "$tl" == 0 ] || [ "$tl" == absent ]; then pass "default: /proc/timer_list masked ($tl)"; else
		fail "default: /proc/timer_list masked" "read $tl bytes"; fi
	pm=" $(val default proc_mounts)"
	miss=
	for p in /proc/keys /proc/sys /proc/sysrq-trigger /proc/bus /proc/fs /proc/irq /sys/firmware; do
		[[ $pm == *" $p "* ]] || miss+=" $p"
	done
	if [ -z "$miss" ]; then pass "default: masks and read-only binds are mounted on /proc and /sys paths"; else
		fail "default: masks and read-only binds are mounted" "missing:$miss (mounts:$pm)"; fi
	expect_vals default "container=zone in the environment" container=zone
fi

# --- --privileged: everything works, still inside the zone
if run_report privileged --privileged; then
	last=$(val privileged last_cap)
	full=$(printf '%016x' $(((1 << (last + 1)) - 1)))
	expect_vals privileged "every capability the zone kernel has (cap_last_cap $last)" \
		CapEff=$full CapBnd=$full
	expect_vals privileged "no seccomp filter" Seccomp=0
	expect_vals privileged "busybox unshare -U and mount -t tmpfs work" bb_unshare=ok bb_mount=ok
	expect_vals privileged "keyctl, unshare, clone with namespace flags, mount, personality, \
AF_VSOCK work" keyctl=ok add_key=ok unshare_user=ok unshare_mnt=ok clone_newuser=ok \
		clone_newnet=ok clone3=ok mount=ok personality_rie=ok vsock=ok
	expect_vals privileged "/proc/sysrq-trigger and /proc/sys writable" \
		sysrq=writable procsys=writable
	expect_vals privileged "nothing mounted over /proc or /sys paths" proc_mounts=
	expect_vals privileged "container=zone in the environment" container=zone
fi

# --- --cap-drop ALL --cap-add NET_RAW: exactly that one
if run_report capone --cap-drop ALL --cap-add net_raw; then
	expect_vals capone "exactly CAP_NET_RAW" CapEff=0000000000002000 CapBnd=0000000000002000 \
		CapPrm=0000000000002000
	expect_vals capone "seccomp stays on" Seccomp=2 mount=EPERM
fi

# --- no-new-privileges, seccomp=unconfined, a custom profile
if run_report nnp --security-opt no-new-privileges --cap-add SYS_ADMIN; then
	expect_vals nnp "--security-opt no-new-privileges gives NoNewPrivs: 1" NoNewPrivs=1 Seccomp=2
	expect_vals nnp "--cap-add SYS_ADMIN is in the set, seccomp still refuses mount" \
		CapEff=00000000a82425fb mount=EPERM
fi
if run_report unconfined --security-opt seccomp=unconfined; then
	expect_vals unconfined "seccomp=unconfined: no filter, docker's caps stay" \
		Seccomp=0 CapEff=$DEFAULT_CAPS
	# no CAP_SYS_ADMIN: the kernel itself refuses (EPERM), keyctl is allowed
	expect_vals unconfined "seccomp=unconfined: keyctl works, mount needs CAP_SYS_ADMIN" \
		keyctl=ok mount=EPERM
fi
cat >"$T_TMP/mkdir.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON
out=$(zrun --security-opt seccomp="$T_TMP/mkdir.json" confine sh -c \
	'grep ^Seccomp: /proc/self/status | tr -d " \t"; mkdir /tmp/d 2>&1; /bin/probe keyctl' 2>&1)
if grep -qx "Seccomp:2" <<<"$out" && grep -q "Permission denied" <<<"$out" &&
	grep -qx "keyctl=ok" <<<"$out"; then
	pass "seccomp=FILE: mkdir gets the profile's errnoRet (EACCES), keyctl is allowed by it"
else
	fail "seccomp=FILE: the custom profile applies" "$out"
fi
if [ -f /usr/share/containers/seccomp.json ]; then
	# an allow-list (default ENOSYS): bpf is refused with EPERM by a rule
	# that excludes CAP_SYS_ADMIN holders, personality flags fall to the
	# default; unshare and keyctl are on this profile's allow-list
	out=$(zrun --security-opt seccomp=/usr/share/containers/seccomp.json confine sh -c \
		'echo hello; /bin/probe bpf personality_rie personality_query fork' 2>&1)
	expect_eq "seccomp=podman's seccomp.json: runs; its caps excludes and default action apply" \
		"hello bpf=EPERM personality_rie=ENOSYS personality_query=ok fork=ok" "$(echo $out)"
fi

# --- a non-root --user: no capabilities, the bounding set stays
out=$(zrun -u nobody confine sh -c 'grep -E "^Cap(Eff|Bnd):" /proc/self/status | tr -d " \t"' 2>&1)
expect_eq "-u nobody: no effective capabilities, docker's bounding set" \
	"CapEff:0000000000000000 CapBnd:$DEFAULT_CAPS" "$(echo $out)"

# --- zone exec gets the container's confinement
if z run -d --name execd --network none --cap-drop ALL --cap-add KILL confine sleep 600 \
	>"$T_TMP/execd.out" 2>&1; then
	out=$(z exec execd sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status | tr -d " \t"; echo "container=$container"' 2>&1)
	expect_eq "zone exec: the container's capabilities and seccomp filter" \
		"CapEff:0000000000000020 Seccomp:2 container=zone" "$(echo $out)"
	z rm -f execd >/dev/null 2>&1
else
	fail "zone run -d for zone exec" "$(tail -n 3 "$T_TMP/execd.out")"
fi

# --- bad flags: one line, exit 125, nothing created, nothing running
before=$(ctr_dirs)
echo '{"defaultAction": "SCMP_ACT_NOTIFY"}' >"$T_TMP/notify.json"
echo '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/x"}' >"$T_TMP/listener.json"
for flags in "--cap-add NO_SUCH_CAP" "--cap-drop CAP_BOGUS" "--security-opt apparmor=unconfined" \
	"--security-opt seccomp=$T_TMP/missing.json" "--security-opt seccomp=$T_TMP/notify.json" \
	"--security-opt seccomp=$T_TMP/listener.json" "--security-opt seccomp=" \
	"--security-opt bogus"; do
	# shellcheck disable=SC2086
	err=$(timeout 60 "$ZONE" run --rm --network none $flags confine true 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq 125 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && [[ $err == "zone run: "* ]]; then
		pass "refused with exit 125 and one line: $flags ($err)"
	else
		fail "refused with exit 125 and one line: $flags" "rc=$rc err='$err'"
	fi
done
if [ "$(ctr_dirs)" == "$before" ] && [ -z "$(vmm_pids)" ]; then
	pass "bad flags left no container and no zone"
else
	fail "bad flags left no container and no zone" "dirs $before -> $(ctr_dirs), vmms: $(vmm_pids)"
fi
