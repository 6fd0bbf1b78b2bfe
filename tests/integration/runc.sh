#!/usr/bin/env bash
# zone-runc end to end, with real zones: create/start/state/kill/delete on
# a bundle (the demo image unpacked with umoci), exit status and signal
# through the --pid-file process (reaped by a subreaper, as conmon and
# containerd's shim reap runc's init), the console socket, exec, PID 1 and
# the zone's kernel inside; then podman --runtime zone-runc: run --rm, -d,
# exec, logs, stop, rm.  Private roots; the EXIT trap deletes every
# container and kills any zone-vmm of this test, by PID.
source "$(dirname "$0")/../lib.sh"
ZRUNC=$BUILD/zone-runc
QUIRKS=$ROOT/../shared/conformance/host-quirks.sh
KERNEL=${ZONE_KERNEL:-$BUILD/vmlinux} # what zone-vmm boots first (make kernel)

need_kvm
need "zone-runc (make build/zone-runc)" test -x "$ZRUNC"
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "demo image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
need "umoci" command -v umoci
need "jq" command -v jq
need "python3 (subreaper and console-socket helpers)" command -v python3
need "podman" command -v podman
need "the guest kernel ($KERNEL)" test -f "$KERNEL"

RROOT=$T_TMP/runc-root
export ZONE_RUNTIME_DIR=$T_TMP/run
mkdir -p "$RROOT" "$ZONE_RUNTIME_DIR"
PODMAN_ROOT=$T_TMP/podman

vmm_pids() { pgrep -f -- "--vsock $ZONE_RUNTIME_DIR/" | tr '\n' ' ' | sed 's/ $//'; }
cleanup() {
	local id p
	for id in $(timeout 10 "$ZRUNC" --root "$RROOT" list -q 2>/dev/null); do
		timeout 20 "$ZRUNC" --root "$RROOT" delete -f "$id" >/dev/null 2>&1
	done
	if [ -d "$PODMAN_ROOT" ]; then
		timeout 60 podman "${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1
		timeout 60 podman "${PODMAN[@]}" system reset -f >/dev/null 2>&1
	fi
	for p in $(cat "$RROOT"/containers/*/state.json 2>/dev/null | jq -r '.monitor_pid // empty'); do
		kill -9 "$p" 2>/dev/null
	done
	for p in $(vmm_pids); do kill -9 "$p" 2>/dev/null; done
	t_cleanup
}
trap cleanup EXIT

zr() { timeout 60 "$ZRUNC" --root "$RROOT" "$@"; }
state_of() { zr state "$1" 2>/dev/null | jq -r "$2"; }

# The zone's kernel version, from the kernel image itself.
ZONE_UNAME=$(strings -n 10 "$KERNEL" | sed -n 's/^Linux version \([^ ]*\) .*/\1/p' | head -1)

# --- a bundle from the demo image --------------------------------------
BUNDLE=$T_TMP/bundle
if ! umoci unpack --image "$BUILD/demo-image:latest" "$BUNDLE" >"$T_TMP/umoci.out" 2>&1; then
	fail "umoci unpack the demo image" "$(tail -2 "$T_TMP/umoci.out")"
	exit 0
fi
# bundle_cmd ARGS-JSON [TERMINAL]: set the process of the bundle's config
bundle_cmd() {
	jq --argjson a "$1" --argjson t "${2:-false}" \
		'.process.args=$a | .process.terminal=$t | .process.cwd="/" | del(.linux.uidMappings, .linux.gidMappings)' \
		"$BUNDLE/config.json" >"$T_TMP/c.json" && mv "$T_TMP/c.json" "$BUNDLE/config.json"
}

# A subreaper that runs zone-runc create + start, then waits for the
# --pid-file process as conmon does; prints "exit N" or "signal N".
cat >"$T_TMP/reaper.py" <<'PY'
import ctypes, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
zrunc, root, bundle, cid, pidfile, out = sys.argv[1:7]
with open(out, "wb") as o:
    r = subprocess.run([zrunc, "--root", root, "create", "--bundle", bundle, "--pid-file", pidfile, cid],
                       stdin=subprocess.DEVNULL, stdout=o, stderr=o)
if r.returncode != 0:
    print("create failed %d" % r.returncode); sys.exit(0)
pid = int(open(pidfile).read())
print("pid %d" % pid, flush=True)
if subprocess.run([zrunc, "--root", root, "start", cid]).returncode != 0:
    print("start failed"); sys.exit(0)
if len(sys.argv) > 7:  # a signal to send through zone-runc kill once started
    subprocess.run([zrunc, "--root", root, "kill", cid, sys.argv[7]])
while True:
    p, st = os.waitpid(-1, 0)
    if p == pid:
        break
print("signal %d" % os.WTERMSIG(st) if os.WIFSIGNALED(st) else "exit %d" % os.WEXITSTATUS(st))
PY

# A console socket that receives the pty master as runc's callers do and
# prints what the container writes to it.
cat >"$T_TMP/console.py" <<'PY'
import os, select, socket, sys
path, seconds = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
print("name %s" % msg.decode(), flush=True)
out = b""
while True:
    r, _, _ = select.select([fds[0]], [], [], seconds)
    if not r:
        break
    try:
        b = os.read(fds[0], 4096)
    except OSError:
        break
    if not b:
        break
    out += b
sys.stdout.write(out.decode(errors="replace")); sys.stdout.flush()
PY

# --- create / start / state / kill / delete ----------------------------
bundle_cmd '["/bin/sh","-c","echo pid=$$; echo kernel=$(uname -r); sleep 300"]'
zr create --bundle "$BUNDLE" --pid-file "$T_TMP/c1.pid" c1 </dev/null >"$T_TMP/c1.out" 2>&1
expect_eq "create exits 0" 0 $?
expect_eq "state after create: created" created "$(state_of c1 .status)"
expect_eq "state pid is the --pid-file pid" "$(cat "$T_TMP/c1.pid" 2>/dev/null)" "$(state_of c1 .pid)"
expect_eq "state bundle" "$BUNDLE" "$(state_of c1 .bundle)"
expect_eq "state rootfs" "$(realpath "$BUNDLE/rootfs")" "$(state_of c1 .rootfs)"
expect_eq "state ociVersion" "1.0.2" "$(state_of c1 .ociVersion)"
check "the --pid-file process lives while created" kill -0 "$(cat "$T_TMP/c1.pid")"
zr create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>"$T_TMP/dup.err"
expect_eq "create of an existing id fails" 1 $?
check "create of an existing id: runc's message" grep -q "container with given ID already exists" "$T_TMP/dup.err"
zr start c1
expect_eq "start exits 0" 0 $?
expect_eq "state after start: running" running "$(state_of c1 .status)"
zr start c1 2>"$T_TMP/start2.err"
expect_eq "start twice fails" 1 $?
check "start twice: runc's message" grep -q "cannot start an already running container" "$T_TMP/start2.err"
for _ in $(seq 100); do grep -q kernel= "$T_TMP/c1.out" && break; sleep 0.1; done
expect_eq "the container's process is PID 1 in its namespace" "pid=1" "$(grep -o 'pid=[0-9]*' "$T_TMP/c1.out")"
expect_eq "uname -r is the zone's kernel" "kernel=$ZONE_UNAME" "$(grep -o 'kernel=.*' "$T_TMP/c1.out")"
check "the zone's kernel is not the host's" test "$ZONE_UNAME" != "$(uname -r)"
expect_eq "exec echo" "hi from exec" "$(zr exec c1 /bin/echo hi from exec 2>&1)"
zr exec c1 /bin/sh -c 'exit 3'
expect_eq "exec exit status" 3 $?
zr exec c1 /no/such/cmd >/dev/null 2>&1
expect_eq "exec of a missing command: exit 255 as runc" 255 $?
zr exec --process /dev/stdin c1 <<<'{"args":["/bin/sh","-c","echo $X"],"cwd":"/","env":["X=from-process-json"]}' >"$T_TMP/pexec" 2>&1
expect_eq "exec --process FILE" "from-process-json" "$(cat "$T_TMP/pexec")"
expect_eq "ps --format json lists the pid-file pid" true \
	"$(zr ps --format json c1 | jq --argjson p "$(cat "$T_TMP/c1.pid")" 'index($p) != null')"
expect_eq "list shows c1 running" "c1 running" "$(zr list --format json | jq -r '.[] | "\(.id) \(.status)"')"
zr pause c1 && expect_eq "pause" paused "$(state_of c1 .status)"
zr resume c1 && expect_eq "resume" running "$(state_of c1 .status)"
zr events --stats c1 >"$T_TMP/ev" 2>&1
expect_eq "events --stats: one stats event" true \
	"$(jq '.type == "stats" and .data.memory.usage.usage > 0' "$T_TMP/ev" 2>&1)"
zr delete c1 2>"$T_TMP/del.err"
expect_eq "delete of a running container fails" 1 $?
check "delete of a running container: runc's message" grep -q "cannot delete container c1 that is not stopped: running" "$T_TMP/del.err"
zr kill c1 KILL
expect_eq "kill c1 KILL" 0 $?
for _ in $(seq 100); do [ "$(state_of c1 .status)" = stopped ] && break; sleep 0.1; done
expect_eq "stopped after kill" stopped "$(state_of c1 .status)"
# gone, or a zombie its reaper has not collected yet
check "the --pid-file process is gone" sh -c "! grep -qv '^[^)]*) Z' /proc/$(cat "$T_TMP/c1.pid")/stat 2>/dev/null"
zr delete c1
expect_eq "delete of a stopped container" 0 $?
zr state c1 >/dev/null 2>&1
expect_eq "state after delete: does not exist" 1 $?
expect_eq "no zone-vmm left after delete" "" "$(vmm_pids)"

# --- exit status and signal through the --pid-file process --------------
bundle_cmd '["/bin/sh","-c","sleep 1; exit 7"]'
out=$(timeout 90 python3 "$T_TMP/reaper.py" "$ZRUNC" "$RROOT" "$BUNDLE" c2 "$T_TMP/c2.pid" "$T_TMP/c2.out")
expect_eq "the pid-file process exits with the container's status" "exit 7" "$(tail -1 <<<"$out")"
zr delete c2 >/dev/null 2>&1
bundle_cmd '["/bin/sleep","300"]'
out=$(timeout 90 python3 "$T_TMP/reaper.py" "$ZRUNC" "$RROOT" "$BUNDLE" c3 "$T_TMP/c3.pid" "$T_TMP/c3.out" KILL)
expect_eq "the pid-file process dies of the container's signal" "signal 9" "$(tail -1 <<<"$out")"
zr delete c3 >/dev/null 2>&1

# --- run in the foreground: create + start + wait + delete -----------------
bundle_cmd '["/bin/sh","-c","echo run-out; exit 4"]'
out=$(zr run --bundle "$BUNDLE" c4 </dev/null 2>&1)
expect_eq "run: exit status" 4 $?
expect_eq "run: output" "run-out" "$out"
zr state c4 >/dev/null 2>&1
expect_eq "run removes the container afterwards" 1 $?

# --- console socket ----------------------------------------------------
bundle_cmd '["/bin/sh","-c","tty; echo console-ok"]' true
python3 "$T_TMP/console.py" "$T_TMP/console.sock" 10 >"$T_TMP/console.out" 2>&1 &
cons=$!
pids+=("$cons")
for _ in $(seq 50); do grep -q ready "$T_TMP/console.out" && break; sleep 0.1; done
zr create --bundle "$BUNDLE" --console-socket "$T_TMP/console.sock" c5 </dev/null >/dev/null 2>"$T_TMP/c5.err"
expect_eq "create with --console-socket" 0 $?
zr start c5
wait "$cons"
check "the console socket got a pty master named as runc names it" grep -q '^name /dev/ptmx$' "$T_TMP/console.out"
check "the container's tty is a pty in the zone" grep -q '^/dev/pts/' "$T_TMP/console.out"
check "the container's output comes through the console" grep -q 'console-ok' "$T_TMP/console.out"
zr delete -f c5 >/dev/null 2>&1

# --- hooks on the host, state on stdin ----------------------------------
bundle_cmd '["/bin/true"]'
jq --arg out "$T_TMP/hook.out" \
	'.hooks={"prestart":[{"path":"/bin/sh","args":["sh","-c","cat >> \($out); echo >> \($out)"]}],
	         "poststop":[{"path":"/bin/sh","args":["sh","-c","echo poststop >> \($out)"]}]}' \
	"$BUNDLE/config.json" >"$T_TMP/c.json" && mv "$T_TMP/c.json" "$BUNDLE/config.json"
zr run --bundle "$BUNDLE" c6 </dev/null >/dev/null 2>&1
expect_eq "prestart hook got the state (id, status creating)" "c6 creating" \
	"$(head -1 "$T_TMP/hook.out" | jq -r '"\(.id) \(.status)"')"
check "poststop hook ran at delete" grep -q '^poststop$' "$T_TMP/hook.out"
jq 'del(.hooks)' "$BUNDLE/config.json" >"$T_TMP/c.json" && mv "$T_TMP/c.json" "$BUNDLE/config.json"

expect_eq "no container left in zone-runc's root" "" "$(zr list -q)"
expect_eq "no zone-vmm left" "" "$(vmm_pids)"

# --- podman --runtime zone-runc ----------------------------------------
# conmon may not pass our environment on: count every zone-vmm instead
all_vmms() { pgrep -c -x zone-vmm || true; }
vmms_before=$(all_vmms)
need "host quirks script ($QUIRKS)" test -x "$QUIRKS"
eval "$(CONTAINERS_CONF_PATH=$T_TMP/containers.conf "$QUIRKS" 2>/dev/null)"
PODMAN=(--root "$PODMAN_ROOT/storage" --runroot "$PODMAN_ROOT/run" --storage-driver vfs
	--runtime "$ZRUNC" --cgroup-manager cgroupfs --events-backend file)
pm() { timeout 120 podman "${PODMAN[@]}" "$@"; }
if ! pm pull "oci:$BUILD/demo-image:latest" >"$T_TMP/pull.out" 2>&1 ||
	! pm tag "$(pm images -q | head -1)" localhost/demo:latest >>"$T_TMP/pull.out" 2>&1; then
	fail "podman: load the demo image" "$(tail -2 "$T_TMP/pull.out")"
	exit 0
fi
expect_eq "podman run --rm" "hello" "$(pm run --rm localhost/demo echo hello 2>&1)"
pm run --rm localhost/demo sh -c 'exit 5' >/dev/null 2>&1
expect_eq "podman run --rm: exit status" 5 $?
expect_eq "podman run: env, user, workdir" "v|1000|/tmp" \
	"$(pm run --rm -e V=v -u 1000 -w /tmp localhost/demo sh -c 'echo "$V|$(id -u)|$(pwd)"' 2>&1)"
expect_eq "podman run: uname -r is the zone's kernel" "$ZONE_UNAME" "$(pm run --rm localhost/demo uname -r 2>&1)"
expect_eq "podman run: ps inside shows the process as PID 1" "1" \
	"$(pm run --rm localhost/demo ps -o pid,comm | awk '$2 == "ps" {print $1}')"
# confinement from podman's config.json, as runc applies it: its seccomp
# profile, capabilities, masked and read-only paths (the zone-init side is
# tests/integration/confine.sh's)
posture='grep -E "^(CapEff|Seccomp):" /proc/self/status | tr -s "\t" " " | tr "\n" " ";
	echo "timer_list=$(wc -c </proc/timer_list)"; (echo h >/proc/sysrq-trigger) 2>/dev/null && echo sysrq-writable || echo sysrq-ro'
got=$(pm run --rm localhost/demo sh -c "$posture" 2>&1 | tr '\n' ' ')
case $got in
"CapEff: 00000000"*" Seccomp: 2 timer_list=0 sysrq-ro ")
	cap=$(printf '%s' "$got" | sed -n 's/.*CapEff: \([0-9a-f]*\).*/\1/p')
	if [ $((0x$cap & (1 << 21))) -eq 0 ]; then
		pass "podman run: seccomp on, no CAP_SYS_ADMIN, /proc masked and read-only ($got)"
	else
		fail "podman run: confinement" "CAP_SYS_ADMIN in CapEff: $got"
	fi ;;
*) fail "podman run: confinement" "$got" ;;
esac
got=$(pm run --rm --privileged localhost/demo sh -c "$posture" 2>&1 | tr '\n' ' ')
case $got in
"CapEff: 000001ffffffffff Seccomp: 0 timer_list=0 "*) fail "podman run --privileged" "/proc/timer_list masked: $got" ;;
"CapEff: 000001ffffffffff Seccomp: 0 timer_list="*" sysrq-writable ")
	pass "podman run --privileged: every capability, no seccomp, nothing masked" ;;
*) fail "podman run --privileged" "$got" ;;
esac
cid=$(pm run -d localhost/demo sh -c 'echo started; sleep 300' 2>"$T_TMP/pd.err")
expect_eq "podman run -d" 0 $?
expect_eq "podman exec" "in-zone" "$(pm exec "$cid" echo in-zone 2>&1)"
expect_eq "podman exec: the container's seccomp profile holds" "Seccomp: 2" \
	"$(pm exec "$cid" grep ^Seccomp: /proc/self/status 2>&1 | tr -s '\t' ' ')"
for _ in $(seq 50); do pm logs "$cid" 2>/dev/null | grep -q started && break; sleep 0.2; done
expect_eq "podman logs" "started" "$(pm logs "$cid" 2>&1)"
pm stop -t 2 "$cid" >/dev/null 2>&1
expect_eq "podman stop" 0 $?
expect_eq "podman: stopped container exited" "exited" "$(pm inspect -f '{{.State.Status}}' "$cid" 2>&1)"
pm rm "$cid" >/dev/null 2>&1
expect_eq "podman rm" 0 $?
expect_eq "podman: no zone-vmm left" "$vmms_before" "$(all_vmms)"
