#!/usr/bin/env bash
# zone run and the container lifecycle against real zones: exit codes, image
# config and its flag overrides, ttys, stdin, ps, stop, rm, logs, resources,
# isolation between containers and from the host, --read-only, bad input.
# Everything lives in a private ZONE_ROOT / ZONE_RUNTIME_DIR; the EXIT trap
# removes every container and kills any zone-vmm left in it, by PID.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-zone.sh"
ZONE=$BUILD/zone

need_kvm
need "zone CLI (make build/zone)" test -x "$ZONE"
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "demo image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
need "umoci (apt-get install umoci)" command -v umoci
need "jq" command -v jq
need "script (util-linux)" command -v script
need "timeout (coreutils)" command -v timeout

export ZONE_ROOT=$T_TMP/root
export ZONE_RUNTIME_DIR=$T_TMP/run
HOST_MARKERS=()

cleanup() {
	zone_cleanup
	rm -f "${HOST_MARKERS[@]}"
	rm -rf "$T_TMP"
}
trap cleanup EXIT

z() { timeout 60 "$ZONE" "$@"; }
zrun() { timeout 60 "$ZONE" run --rm "$@"; }

# wait_log ID TEXT: until the container's log has TEXT (10 s)
wait_log() {
	for _ in $(seq 100); do
		z logs "$1" 2>&1 | grep -q -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
ctr_dirs() { find "$ZONE_ROOT/containers" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l; }

if ! z image import "$BUILD/demo-image" --name demo >"$T_TMP/import.out" 2>&1; then
	fail "import build/demo-image" "$(tail -2 "$T_TMP/import.out")"
	exit 0
fi
DISK=$(z image inspect demo | jq -r '.disk // empty')
[ -f "$DISK" ] || DISK=$(ls "$ZONE_ROOT"/images/disks/*.erofs 2>/dev/null | head -1)
DISK_SHA=$(sha256sum <"$DISK" | cut -d' ' -f1)

# An image with a config: Entrypoint, Cmd, Env, WorkingDir, User, StopSignal,
# made with umoci from the demo layout (local files only).
cp -r "$BUILD/demo-image" "$T_TMP/cfg-layout"
if ! umoci config --image "$T_TMP/cfg-layout:latest" --tag cfg --no-history \
	--config.user nobody --config.workingdir /home/nobody \
	--config.env GREETING=from-image --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	--config.entrypoint /bin/sh --config.entrypoint -c \
	--config.cmd 'echo "$GREETING|$(id -un)|$(id -u):$(id -g)|$(pwd)"' \
	--config.stopsignal SIGUSR1 >"$T_TMP/umoci.out" 2>&1 ||
	! z image import "$T_TMP/cfg-layout" --ref cfg --name cfgimg >"$T_TMP/import2.out" 2>&1; then
	fail "build the config test image with umoci" "$(tail -2 "$T_TMP/umoci.out" "$T_TMP/import2.out")"
	exit 0
fi

# --- the demo default and exit codes
expect_eq "run --rm demo /bin/echo hello from a zone" "hello from a zone" \
	"$(zrun demo /bin/echo hello from a zone)"
zrun demo true
expect_eq "exit code 0" 0 $?
zrun demo sh -c 'exit 3'
expect_eq "exit code 3" 3 $?
zrun demo sh -c 'kill -9 $$'
expect_eq "SIGKILL inside gives 137" 137 $?
zrun demo /no/such/cmd 2>/dev/null
expect_eq "missing command gives 127" 127 $?
expect_eq "stdout and stderr stay apart (stdout)" "out" "$(zrun demo sh -c 'echo out; echo err >&2' 2>/dev/null)"
expect_eq "stdout and stderr stay apart (stderr)" "err" "$(zrun demo sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)"

# --- env, workdir, user: from the image config, then overridden by flags
expect_eq "image config: Entrypoint+Cmd, Env, User, WorkingDir" \
	"from-image|nobody|1000:1000|/home/nobody" "$(zrun cfgimg)"
expect_eq "demo image: root in / by default" "0:0|/" "$(zrun demo sh -c 'echo "$(id -u):$(id -g)|$(pwd)"')"
expect_eq "-e overrides the image Env" "flag" "$(zrun -e GREETING=flag cfgimg 'echo $GREETING')"
expect_eq "-e adds a variable, image Env stays" "from-image new" \
	"$(zrun -e NEWVAR=new cfgimg 'echo $GREETING $NEWVAR')"
printf '# a comment\n\nGREETING=from-file\nFILEONLY=yes\n' >"$T_TMP/env.list"
expect_eq "--env-file sets variables" "from-file yes" \
	"$(zrun --env-file "$T_TMP/env.list" cfgimg 'echo $GREETING $FILEONLY')"
expect_eq "-e wins over --env-file" "flag yes" \
	"$(zrun --env-file "$T_TMP/env.list" -e GREETING=flag cfgimg 'echo $GREETING $FILEONLY')"
expect_eq "-w overrides WorkingDir" "/tmp" "$(zrun -w /tmp cfgimg 'pwd')"
expect_eq "-w on the demo image" "/etc" "$(zrun -w /etc demo pwd)"
expect_eq "-u root overrides User" "root 0:0" "$(zrun -u root cfgimg 'echo $(id -un) $(id -u):$(id -g)')"
expect_eq "-u nobody (name)" "nobody 1000:1000" "$(zrun -u nobody demo sh -c 'echo $(id -un) $(id -u):$(id -g)')"
expect_eq "-u 1000:1000 (uid:gid)" "1000:1000" "$(zrun -u 1000:1000 demo sh -c 'echo $(id -u):$(id -g)')"
expect_eq "-u 4242:4343 (ids with no passwd entry)" "4242:4343" \
	"$(zrun -u 4242:4343 demo sh -c 'echo $(id -u):$(id -g)')"
expect_eq "--entrypoint replaces Entrypoint and Cmd" "hi there" "$(zrun --entrypoint /bin/echo cfgimg hi there)"
expect_eq "CMD args replace the image Cmd, Entrypoint stays" "arg" "$(zrun cfgimg 'echo arg')"
expect_eq "--hostname" "myhost" "$(zrun --hostname myhost demo hostname)"
expect_eq "-e NAME passes the host's value" "hostval" "$(ZT_PASS=hostval zrun -e ZT_PASS demo sh -c 'echo $ZT_PASS')"

# --- -t through script(1): a pty in the zone, with the host pty's size
out=$(script -qec "stty rows 33 cols 111; $ZONE run --rm -t demo sh -c 'tty; stty size'" /dev/null </dev/null | tr -d '\r')
if printf '%s\n' "$out" | head -1 | grep -qE '^/dev/pts/[0-9]+$'; then
	pass "-t: the command has a tty ($(printf '%s' "$out" | head -1))"
else
	fail "-t: the command has a tty" "got '$out'"
fi
expect_eq "-t: the window size comes from the host terminal" "33 111" "$(printf '%s\n' "$out" | sed -n 2p)"
expect_eq "without -t there is no tty" "not a tty" "$(zrun demo tty)"
printf 'echo in-$((6*7))\nexit 9\n' | timeout 30 script -qec "$ZONE run --rm -i -t demo sh" /dev/null >"$T_TMP/it.out"
rc=$?
out=$(tr -d '\r' <"$T_TMP/it.out")
if grep -qx "in-42" <<<"$out" && [ "$rc" -eq 9 ]; then
	pass "-i -t: an interactive shell reads the terminal, exit code 9 comes back"
else
	fail "-i -t: interactive shell" "rc=$rc out='$out'"
fi

# --- a reader that goes away: `zone run ... | head -1` ends, nothing left
before=$(ctr_dirs)
timeout 30 "$ZONE" run --rm demo yes | head -1 >"$T_TMP/yes.out"
rc=${PIPESTATUS[0]}
if [ "$(cat "$T_TMP/yes.out")" == y ] && [ "$rc" -ne 124 ] && [ "$(ctr_dirs)" == "$before" ] &&
	[ -z "$(ls -A "$ZONE_RUNTIME_DIR")" ] && [ -z "$(vmm_pids)" ]; then
	pass "run --rm yes | head -1 returns (exit $rc) and leaves nothing"
else
	fail "run --rm yes | head -1" "rc=$rc out='$(head -c 20 "$T_TMP/yes.out")' dirs $before -> $(ctr_dirs), run dir: $(ls -A "$ZONE_RUNTIME_DIR"), vmms: $(vmm_pids)"
fi

# --- stdin
head -c 10485760 /dev/urandom >"$T_TMP/10m"
want=$(sha256sum <"$T_TMP/10m" | cut -d' ' -f1)
expect_eq "-i: 10 MiB to sha256sum in the zone" "$want" "$(zrun -i demo sha256sum <"$T_TMP/10m" | cut -d' ' -f1)"
expect_eq "-i: 10 MiB through cat comes back intact" "$want" "$(zrun -i demo cat <"$T_TMP/10m" | sha256sum | cut -d' ' -f1)"
expect_eq "without -i stdin is not read" "" "$(echo host-input | zrun demo cat)"

# --- detached containers, ps, logs
A=$(z run -d --name ps-a demo sh -c 'echo one; echo two; echo to-stderr >&2; sleep 0.5; echo last; echo ready; sleep 1000')
wait_log ps-a ready
B=$(z run -d --name ps-b demo sh -c 'exit 5')
z wait ps-b >/dev/null
ps_out=$(z ps)
ps_all=$(z ps -a)
if grep -q "ps-a" <<<"$ps_out" && ! grep -q "ps-b" <<<"$ps_out"; then
	pass "ps lists the running container only"
else
	fail "ps lists the running container only" "$ps_out"
fi
if grep -q "ps-a" <<<"$ps_all" && grep "ps-b" <<<"$ps_all" | grep -q "Exited (5)"; then
	pass "ps -a lists the exited container with its code"
else
	fail "ps -a lists the exited container" "$ps_all"
fi
expect_eq "ps --format json parses with jq (running)" "ps-a running" \
	"$(z ps --format json | jq -r '.[] | "\(.name) \(.status)"')"
expect_eq "ps -a --format json: both, with the exit code" "ps-a running null|ps-b exited 5" \
	"$(z ps -a --format json | jq -r '[.[] | "\(.name) \(.status) \(.exit_code)"] | sort | join("|")')"
expect_eq "ps id is the id run -d printed" "${A:0:12}" "$(z ps | awk '$NF == "ps-a" {print $1}')"
expect_eq "wait prints the exit code" 5 "$(z wait ps-b)"
expect_eq "inspect: status and exit code" "exited 5" "$(z inspect ps-b | jq -r '.[0] | "\(.status) \(.exit_code)"')"

expect_eq "logs of a detached container (stdout)" "one two last ready" "$(z logs ps-a 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
expect_eq "logs: stderr lines go to stderr" "to-stderr" "$(z logs ps-a 2>&1 >/dev/null)"
expect_eq "logs --tail 1" "ready" "$(z logs --tail 1 ps-a 2>&1)"
expect_eq "logs by id prefix" "ready" "$(z logs --tail 1 "${A:0:8}" 2>&1)"
F=$(z run -d demo sh -c 'echo f1; sleep 2; echo f2 >&2; sleep 1; echo f3')
start=$SECONDS
z logs -f "$F" >"$T_TMP/f.out" 2>"$T_TMP/f.err"
rc=$?
took=$((SECONDS - start))
if [ $rc -eq 0 ] && [ $took -lt 15 ] && [ "$(tr '\n' ' ' <"$T_TMP/f.out")" == "f1 f3 " ] &&
	[ "$(cat "$T_TMP/f.err")" == "f2" ]; then
	pass "logs -f follows and returns when the container ends (${took} s)"
else
	fail "logs -f" "rc=$rc ${took}s out='$(cat "$T_TMP/f.out")' err='$(cat "$T_TMP/f.err")'"
fi
z rm "$F" ps-b >/dev/null

# --- the log is bounded (--log-opt max-size/max-file): a container that
# writes without end keeps at most max-size x max-file on the host.  1 GiB
# where zones run natively; in the emulated box fewer MiB, as many rotations.
LOG_MIB=$((T_SLOW > 1 ? 12 : 1024))
L=$(z run -d --log-opt max-size=1m --log-opt max-file=3 demo sh -c \
	"yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c $((LOG_MIB << 20)); echo; echo end-of-output")
timeout 600 "$ZONE" wait "$L" >/dev/null
log_files=$(ls "$ZONE_ROOT/containers/$L" | grep -c '^ctr\.log')
log_bytes=$(cat "$ZONE_ROOT/containers/$L"/ctr.log* | wc -c)
if [ "$log_files" = 3 ] && [ "$log_bytes" -le $((3 << 20)) ] && [ "$log_bytes" -gt $((2 << 20)) ]; then
	pass "a container printing $LOG_MIB MiB leaves 1m x 3 of log ($log_bytes bytes in 3 files)"
else
	fail "log bound" "$log_files files, $log_bytes bytes after $LOG_MIB MiB with max-size=1m max-file=3"
fi
expect_eq "logs --tail 1 after the rotations" "end-of-output" "$(z logs --tail 1 "$L" 2>&1)"
expect_eq "logs: the oldest kept line comes first, whole" \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" \
	"$(z logs "$L" 2>/dev/null | sed -n 2p)"
z rm "$L" >/dev/null

# --- exec into a running container: its env and workdir
expect_eq "exec runs in the container" "exec-ok" "$(z exec ps-a sh -c 'echo exec-ok')"
z exec ps-a sh -c 'exit 4'
expect_eq "exec exit code" 4 $?
C=$(z run -d cfgimg 'echo ready; exec sleep 1000')
wait_log "$C" ready
expect_eq "exec: env, user and workdir of the image config" "from-image nobody /home/nobody" \
	"$(z exec "$C" sh -c 'echo $GREETING $(id -un) $(pwd)')"
expect_eq "exec -e -u -w override them" "x root /etc" \
	"$(z exec -e GREETING=x -u root -w /etc "$C" sh -c 'echo $GREETING $(id -un) $(pwd)')"
z rm -f "$C" >/dev/null

# --- a signal to a foreground zone run goes to the container
"$ZONE" run --rm demo sh -c 'echo started; exec sleep 100' >"$T_TMP/fg.out" 2>&1 &
fg=$!
for _ in $(seq 100); do grep -q started "$T_TMP/fg.out" && break; sleep 0.1; done
kill -TERM $fg
wait $fg
expect_eq "SIGTERM to zone run reaches the container (143)" 143 $?

# --- kill, stop
K=$(z run -d demo sleep 1000)
z kill "$K" >/dev/null
expect_eq "kill (SIGKILL) -> exit 137" 137 "$(z wait "$K")"
z rm "$K" >/dev/null

S=$(z run -d demo sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done')
wait_log "$S" ready
vmm=$(z inspect "$S" | jq -r '.[0].vmm_pid')
start=$(date +%s%N)
z stop -t 3 "$S" >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
if [ $ms -ge 2900 ] && [ $ms -lt 5000 ]; then
	pass "stop -t 3 of a container ignoring SIGTERM ends in ${ms} ms (< 5 s)"
else
	fail "stop -t 3 of a container ignoring SIGTERM" "took ${ms} ms"
fi
expect_eq "stop: the container is killed (137)" 137 "$(z inspect "$S" | jq -r '.[0].exit_code')"
if [ -n "$vmm" ] && [ "$vmm" != null ] && ! kill -0 "$vmm" 2>/dev/null; then
	pass "stop: its zone-vmm ($vmm) is gone when stop returns"
else
	fail "stop: its zone-vmm is gone when stop returns" "pid '$vmm' still alive: $(ps -o pid,args -p "$vmm" | tail -1)"
fi
z rm "$S" >/dev/null

S=$(z run -d demo sh -c 'echo ready; sleep 1000')
wait_log "$S" ready
start=$SECONDS
z stop -t 10 "$S" >/dev/null
expect_eq "stop of a container that takes SIGTERM: 143" 143 "$(z inspect "$S" | jq -r '.[0].exit_code')"
if [ $((SECONDS - start)) -lt 3 ]; then pass "stop without a kill is quick"; else fail "stop without a kill is quick" "$((SECONDS - start)) s"; fi
z rm "$S" >/dev/null

S=$(z run -d cfgimg 'trap "echo got-usr1; exit 7" USR1; trap "" TERM; echo ready; while :; do sleep 0.1; done')
wait_log "$S" ready
z stop -t 10 "$S" >/dev/null
expect_eq "stop sends the image StopSignal (SIGUSR1)" "7 got-usr1" \
	"$(z inspect "$S" | jq -r '.[0].exit_code') $(z logs --tail 1 "$S" 2>&1)"
z rm "$S" >/dev/null

# --- rm: nothing left under the runtime dir, the store, or as a process
R=$(z run -d --name rm-me demo sleep 1000)
vmm=$(z inspect rm-me | jq -r '.[0].vmm_pid')
has_run=$(ls -A "$ZONE_RUNTIME_DIR" | grep -c "^${R:0:12}")
z rm rm-me >/dev/null 2>"$T_TMP/rm.err"
rc=$?
if [ $rc -ne 0 ] && [ "$(grep -c . "$T_TMP/rm.err")" -eq 1 ] && [ -d "$ZONE_ROOT/containers/$R" ]; then
	pass "rm of a running container refuses: $(cat "$T_TMP/rm.err")"
else
	fail "rm of a running container refuses" "rc=$rc $(cat "$T_TMP/rm.err")"
fi
z rm -f rm-me >/dev/null
if [ "$has_run" -gt 0 ] && [ -z "$(ls -A "$ZONE_RUNTIME_DIR" | grep "^${R:0:12}")" ]; then
	pass "rm -f: nothing left under \$ZONE_RUNTIME_DIR"
else
	fail "rm -f: nothing left under \$ZONE_RUNTIME_DIR" "before: $has_run entries, after: $(ls -A "$ZONE_RUNTIME_DIR")"
fi
check "rm -f: \$ZONE_ROOT/containers/<id> is gone" test ! -e "$ZONE_ROOT/containers/$R"
if [ -n "$vmm" ] && [ "$vmm" != null ] && ! kill -0 "$vmm" 2>/dev/null; then
	pass "rm -f: its zone-vmm is gone"
else
	fail "rm -f: its zone-vmm is gone" "pid '$vmm' alive"
fi
E=$(z run -d demo true)
z wait "$E" >/dev/null
z rm "$E" >/dev/null
check "rm of an exited container removes its store dir" test ! -e "$ZONE_ROOT/containers/$E"
expect_eq "rm: the name can be used again" "again" "$(zrun --name rm-me demo echo again)"
zrun demo true
expect_eq "run --rm leaves only the running container's dir" "$A" "$(ls "$ZONE_ROOT/containers")"

# --- resources
expect_eq "--cpus 2: nproc is 2" 2 "$(zrun --cpus 2 demo nproc)"
expect_eq "default: nproc is 1" 1 "$(zrun demo nproc)"
kb=$(zrun --memory 256M demo grep MemTotal /proc/meminfo | awk '{print $2}')
if [ -n "$kb" ] && [ "$kb" -ge $((262144 * 90 / 100)) ] && [ "$kb" -le 262144 ]; then
	pass "--memory 256M: MemTotal $kb kB within 10 % of 256 MiB"
else
	fail "--memory 256M: MemTotal within 10 %" "got '$kb' kB"
fi
kb=$(zrun --memory 1G demo grep MemTotal /proc/meminfo | awk '{print $2}')
if [ -n "$kb" ] && [ "$kb" -ge $((1048576 * 90 / 100)) ] && [ "$kb" -le 1048576 ]; then
	pass "--memory 1G: MemTotal $kb kB within 10 % of 1 GiB"
else
	fail "--memory 1G: MemTotal within 10 %" "got '$kb' kB"
fi

# --- isolation: from the host
marker=$(mktemp /tmp/zone-host-marker.XXXXXX)
HOST_MARKERS+=("$marker")
rootmarker=""
if [ -w /root ]; then
	rootmarker=$(mktemp /root/zone-host-marker.XXXXXX)
	HOST_MARKERS+=("$rootmarker")
fi
out=$(zrun demo sh -c "ls -a /tmp /root; test -e $marker && echo SEEN; test -n '$rootmarker' && test -e '$rootmarker' && echo SEEN; true")
if [ -n "$out" ] && ! grep -q "zone-host-marker\|SEEN" <<<"$out"; then
	pass "host files under /tmp and /root are not in the container"
else
	fail "host files are not in the container" "$out"
fi
expect_eq "/proc/1/cmdline inside is zone-init" "/init" "$(zrun demo sh -c 'tr "\0" " " </proc/1/cmdline | sed "s/ $//"')"
srcs=$(zrun demo mount | awk '{print $1 " " $3}' | sort -u | tr '\n' ',')
bad_src=$(zrun demo mount | awk '{print $1}' | grep -vxE 'overlay|proc|sysfs|tmpfs|devpts|shm|mqueue' | tr '\n' ' ')
if [ -n "$srcs" ] && [ -z "$bad_src" ] && ! grep -q "$T_TMP\|$ROOT" <<<"$srcs"; then
	pass "mount inside shows only the zone's own filesystems ($srcs)"
else
	fail "mount inside shows only the zone's own filesystems" "unexpected: '$bad_src' in $srcs"
fi
procs=$(zrun demo sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <$f; echo; done' | grep . | sort -u | tr '\n' '|')
if ! grep -qE "zone-vmm|sshd|systemd|$ZONE" <<<"$procs" && [ "$(grep -o '|' <<<"$procs" | wc -l)" -le 4 ]; then
	pass "processes inside: only the zone's ($procs)"
else
	fail "processes inside: only the zone's" "$procs"
fi
hh=$(hostname)
expect_eq "the host's hostname is not the container's" "different" \
	"$([ "$(zrun demo hostname)" != "$hh" ] && echo different || echo same)"

# --- isolation: two running containers
I1=$(z run -d --name iso-1 demo sh -c 'echo a >/root/only-in-1; echo x >>/etc/passwd; echo new >/bin/new-in-1; echo ready; exec sleep 1001')
I2=$(z run -d --name iso-2 demo sh -c 'echo b >/root/only-in-2; echo ready; exec sleep 1002')
wait_log iso-1 ready
wait_log iso-2 ready
p1=$(z exec iso-1 ps -o args)
p2=$(z exec iso-2 ps -o args)
if grep -q "sleep 1001" <<<"$p1" && ! grep -q "sleep 1002" <<<"$p1" &&
	grep -q "sleep 1002" <<<"$p2" && ! grep -q "sleep 1001" <<<"$p2"; then
	pass "two containers: each ps sees only its own processes"
else
	fail "two containers: ps isolation" "1: $(tr '\n' ' ' <<<"$p1") 2: $(tr '\n' ' ' <<<"$p2")"
fi
expect_eq "two containers: /proc of one has not the other's sleep" "0 0" \
	"$(z exec iso-1 sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <$f; echo; done | grep -c "sleep 100[2]"') $(z exec iso-2 sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <$f; echo; done | grep -c "sleep 100[1]"')"
expect_eq "two containers: each sees its own file" "a b" \
	"$(z exec iso-1 cat /root/only-in-1) $(z exec iso-2 cat /root/only-in-2)"
expect_eq "two containers: neither sees the other's file" "absent absent" \
	"$(z exec iso-1 sh -c 'test -e /root/only-in-2 && echo present || echo absent') $(z exec iso-2 sh -c 'test -e /root/only-in-1 && echo present || echo absent')"
expect_eq "two containers: a write to /etc/passwd in one is not in the other" "2 3" \
	"$(z exec iso-2 grep -c . /etc/passwd) $(z exec iso-1 grep -c . /etc/passwd)"
expect_eq "a new container of the image does not see the writes" "2 absent absent" \
	"$(zrun demo sh -c 'grep -c . /etc/passwd; test -e /root/only-in-1 && echo present || echo absent; test -e /bin/new-in-1 && echo present || echo absent' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the erofs disk on the host is unchanged" "$DISK_SHA" "$(sha256sum <"$DISK" | cut -d' ' -f1)"
z rm -f iso-1 iso-2 >/dev/null

# --- --read-only
out=$(zrun --read-only demo sh -c 'echo x >/new && echo wrote || echo failed; echo x >>/etc/passwd && echo wrote || echo failed' 2>"$T_TMP/ro.err")
if [ "$(echo $out)" == "failed failed" ] && [ "$(grep -c "Read-only file system" "$T_TMP/ro.err")" -eq 2 ]; then
	pass "--read-only: writing to / and /etc fails (Read-only file system)"
else
	fail "--read-only: writing to / fails" "out='$out' err='$(cat "$T_TMP/ro.err")'"
fi
expect_eq "without --read-only writing to / works" "ok" "$(zrun demo sh -c 'echo ok >/new && cat /new')"

# --- bad input: one clear line, non-zero exit, nothing left behind
bad() { # NAME CMD...
	local name=$1; shift
	local before vmms_before err rc lines
	before=$(ctr_dirs)
	vmms_before=$(vmm_pids)
	err=$(timeout 30 "$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ $rc -eq 0 ] || [ $rc -eq 124 ] || [ $rc -ge 128 ]; then
		fail "bad input: $name" "exit status $rc: $err"
	elif [ "$lines" -ne 1 ]; then
		fail "bad input: $name" "expected one line, got $lines: $err"
	elif [ "$(ctr_dirs)" != "$before" ]; then
		fail "bad input: $name" "a container dir was left: $(ls "$ZONE_ROOT/containers")"
	elif [ "$(vmm_pids)" != "$vmms_before" ]; then
		fail "bad input: $name" "a zone-vmm was left: $(vmm_pids)"
	else
		pass "bad input: $name -> '$err' (exit $rc)"
	fi
}
bad "unknown image" "$ZONE" run --rm no-such-image true
bad "unknown image (-d)" "$ZONE" run -d no-such-image true
for c in logs stop rm exec inspect kill wait; do
	if [ $c = exec ]; then
		bad "unknown container: $c" "$ZONE" $c no-such-ctr true
	else
		bad "unknown container: $c" "$ZONE" $c no-such-ctr
	fi
done
bad "--cpus 0" "$ZONE" run --rm --cpus 0 demo true
bad "--cpus lots" "$ZONE" run --rm --cpus lots demo true
bad "--memory 1k" "$ZONE" run --rm --memory 1k demo true
bad "--memory lots" "$ZONE" run --rm --memory lots demo true
bad "unknown flag" "$ZONE" run --rm --frobnicate demo true
bad "--log-opt max-size=1k" "$ZONE" run --rm --log-opt max-size=1k demo true
bad "--log-opt compress=true" "$ZONE" run --rm --log-opt compress=true demo true
bad "no image" "$ZONE" run --rm
bad "relative -w" "$ZONE" run --rm -w tmp demo true
bad "missing --env-file" "$ZONE" run --rm --env-file "$T_TMP/no-such-file" demo true
bad "unknown user" "$ZONE" run --rm -u no-such-user demo true
bad "missing command (-d --rm)" "$ZONE" run -d --rm demo /no/such/cmd
bad "same name as a running container" "$ZONE" run --rm --name ps-a demo true
bad "same name as a running container (-d)" "$ZONE" run -d --name ps-a demo true
X=$(z run -d demo true)
z wait "$X" >/dev/null
bad "exec in an exited container" "$ZONE" exec "$X" true
z rm "$X" >/dev/null
bad "stop -t bad" "$ZONE" stop -t lots ps-a
expect_eq "after bad input the running container is untouched" "running" "$(z inspect ps-a | jq -r '.[0].status')"

# --- teardown leaves nothing
z rm -f ps-a >/dev/null
for id in $(z ps -a --format json | jq -r '.[].id'); do z rm -f "$id" >/dev/null; done
expect_eq "at the end: no container dir" "" "$(ls "$ZONE_ROOT/containers")"
expect_eq "at the end: nothing under \$ZONE_RUNTIME_DIR" "" "$(ls -A "$ZONE_RUNTIME_DIR")"
expect_eq "at the end: no zone-vmm of ours" "" "$(vmm_pids)"
