#!/usr/bin/env bash
# Host directories in zones (virtio-fs, one virtiofsd per share) against
# real zones: file operations from inside seen on the host with their
# metadata, host writes seen inside, :ro, two containers on one volume,
# 1 GiB checksums, a shared file, tmpfs mounts, confinement attempts
# checked on the host side, the back end SIGKILLed while the zone runs, and
# the bad input only the zone can see (a file onto a directory).
# Everything lives in a private ZONE_ROOT / ZONE_RUNTIME_DIR under T_TMP;
# the EXIT trap removes every container and kills, by PID, any zone-vmm or
# virtiofsd of this test still alive.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-zone.sh"
ZONE=$BUILD/zone
VIRTIOFSD=/usr/lib/qemu/virtiofsd

need_kvm
need "zone CLI (make build/zone)" test -x "$ZONE"
need "zone-vmm (make build/zone-vmm)" test -x "$VMM"
need "demo image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
need "virtiofsd (apt-get install qemu-system-common)" test -x "$VIRTIOFSD"
need "root (virtiofsd's namespace sandbox)" test "$(id -u)" = 0
need "gcc (static guest helper)" command -v gcc
need "jq" command -v jq
need "python3 (host-side xattr check)" command -v python3
need "setpriv (util-linux)" command -v setpriv
need "timeout (coreutils)" command -v timeout

export ZONE_ROOT=$T_TMP/root
export ZONE_RUNTIME_DIR=$T_TMP/run
VOL=$T_TMP/vol
TOOLS=$T_TMP/tools
OUTSIDE=$T_TMP/outside
mkdir -p "$VOL" "$TOOLS" "$OUTSIDE"
chmod 755 "$T_TMP"

# processes of this test: zone-vmms (their --vsock is under our runtime
# dir) and virtiofsds (their source= is under T_TMP)
vfsd_pids() { pgrep -f -- "source=$T_TMP/" | tr '\n' ' '; }
alive() { # PID: running (a zombie waiting for its reaper is not)
	[ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}
vfsd_children() { # VMM-PID: the virtiofsds zone-vmm started (all shares)
	local p
	for p in $(pgrep -P "$1" -x virtiofsd); do echo "$p"; pgrep -P "$p"; done | tr '\n' ' '
}

cleanup() {
	zone_cleanup $(vfsd_pids)
	rm -rf "$T_TMP"
}
trap cleanup EXIT

z() { timeout 120 "$ZONE" "$@"; }
zrun() { timeout 300 "$ZONE" run --rm "$@"; }
wait_log() { # ID TEXT: until the container's log has TEXT (20 s)
	for _ in $(seq 200); do
		z logs "$1" 2>&1 | grep -q -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
state() { jq -r ".$2 // empty" "$ZONE_ROOT/containers/$1/state.json" 2>/dev/null; }
status() { z inspect "$1" 2>/dev/null | jq -r '.[0].status // empty'; }
full_id() { z inspect "$1" | jq -r '.[0].id // .id' 2>/dev/null; }

if ! z image import "$BUILD/demo-image" --name demo >"$T_TMP/import.out" 2>&1; then
	fail "import build/demo-image" "$(tail -2 "$T_TMP/import.out")"
	exit 0
fi
if ! gcc -static -O2 -Wall -o "$TOOLS/fs-probe" "$ROOT/tests/guest/fs-probe.c" 2>"$T_TMP/gcc.out"; then
	fail "build tests/guest/fs-probe.c" "$(head -3 "$T_TMP/gcc.out")"
	exit 0
fi
T="-v $TOOLS:/t:ro"

# --- file operations from inside; the host sees content and metadata
out=$(zrun $T -v "$VOL:/vol" demo sh -c '
	set -e; cd /vol
	echo hello >f; echo more >>f; cat f
	truncate -s 3 f
	mv f g
	mkdir d; rmdir d; mkdir keep
	echo x >u; rm u
	ln -s g sl; ln g hl
	chmod 640 g; chown 1000:1000 g
	/t/fs-probe utimes g 1234567890
	/t/fs-probe xattr g
	echo done' 2>&1)
expect_eq "file operations inside a volume" "hello
more
volume-xattr
done" "$out"
expect_eq "host: truncated and renamed content" "hel" "$(cat "$VOL/g" 2>&1)"
expect_eq "host: mode, uid:gid as written" "640 1000:1000" "$(stat -c '%a %u:%g' "$VOL/g" 2>&1)"
expect_eq "host: mtime as set (utimes)" 1234567890 "$(stat -c %Y "$VOL/g" 2>&1)"
expect_eq "host: symlink" g "$(readlink "$VOL/sl")"
expect_eq "host: hard link (2 links, same inode)" "2 $(stat -c %i "$VOL/g")" \
	"$(stat -c '%h %i' "$VOL/hl" 2>&1)"
check "host: mkdir kept, rmdir and unlink done" test -d "$VOL/keep" -a ! -e "$VOL/d" -a ! -e "$VOL/u"
expect_eq "host: xattr written inside" volume-xattr \
	"$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.zone").decode())' "$VOL/g" 2>&1)"
chown 1000:1000 "$VOL/keep"
out=$(zrun -u 1000 -v "$VOL:/vol" demo sh -c 'echo by-nobody >/vol/keep/n && stat -c "%u:%g" /vol/keep/n')
expect_eq "a file created as uid 1000 inside" "1000:1000" "$out"
expect_eq "host: owned by 1000:1000" "1000:1000" "$(stat -c '%u:%g' "$VOL/keep/n" 2>&1)"

# --- files created on the host while the zone runs are visible inside
id=$(z run -d -v "$VOL:/vol" demo sh -c '
	for i in $(seq 300); do [ -f /vol/from-host ] && exec cat /vol/from-host; sleep 0.1; done
	echo timeout; exit 1')
sleep 1
echo "written on the host" >"$VOL/from-host"
rc=$(z wait "$id" 2>&1)
expect_eq "host-created file seen by a running container" "0 written on the host" \
	"$rc $(z logs "$id" 2>&1)"
z rm -f "$id" >/dev/null 2>&1

# --- :ro refuses writes with EROFS (the guest mount and virtiofsd's ro bind)
out=$(zrun -v "$VOL:/vol:ro" demo sh -c 'cat /vol/g; echo x >/vol/ro-test; echo rc=$?' 2>&1)
# (stdout and stderr are separate streams: their lines may interleave)
if [[ $out == hel* && $out == *"Read-only file system"* && $out =~ rc=[1-9] ]]; then
	pass ":ro: reads work, writes fail with EROFS"
else fail ":ro: reads work, writes fail with EROFS" "$out"; fi
out=$(zrun --mount "type=bind,src=$VOL,dst=/vol,readonly" demo sh -c 'mkdir /vol/ro-dir 2>&1; echo rc=$?')
case "$out" in *"Read-only file system"*"rc="[1-9]*) pass "--mount readonly: EROFS" ;;
*) fail "--mount readonly: EROFS" "$out" ;; esac
check "host: nothing written through :ro" test ! -e "$VOL/ro-test" -a ! -e "$VOL/ro-dir"

# --- two containers share one volume and see each other's writes (each
# file appears whole, by rename: a reader must not catch it half written)
a=$(z run -d -v "$VOL:/shared" demo sh -c '
	echo from-a >/shared/.a && mv /shared/.a /shared/a-wrote
	for i in $(seq 300); do [ -f /shared/b-wrote ] && exec cat /shared/b-wrote; sleep 0.1; done
	exit 1')
b=$(z run -d -v "$VOL:/shared" demo sh -c '
	for i in $(seq 300); do [ -f /shared/a-wrote ] && break; sleep 0.1; done
	cat /shared/a-wrote && echo from-b >/shared/.b && mv /shared/.b /shared/b-wrote')
expect_eq "two containers on one volume: both exit 0" "0 0" "$(z wait "$a") $(z wait "$b")"
expect_eq "each sees the other's write" "from-b from-a" "$(z logs "$a") $(z logs "$b")"
z rm -f "$a" "$b" >/dev/null 2>&1

# --- 1 GiB written inside has the same sha256 on the host
inside=$(zrun --memory 512M -v "$VOL:/vol" demo sh -c '
	dd if=/dev/urandom of=/vol/big bs=1M count=1024 conv=fsync 2>/dev/null &&
	sha256sum /vol/big' 2>&1 | cut -d' ' -f1)
host=$(sha256sum "$VOL/big" 2>/dev/null | cut -d' ' -f1)
if [ -n "$host" ] && [ "$inside" = "$host" ] && [ "$(stat -c %s "$VOL/big")" = 1073741824 ]; then
	pass "1 GiB written inside: same sha256 on the host"
else
	fail "1 GiB written inside: same sha256 on the host" "inside '$inside' host '$host'"
fi
rm -f "$VOL/big"

# --- a single file, read-only and read-write (its share holds only that
# file: test_virtio_fs checks the siblings are not in it)
echo "one file" >"$OUTSIDE/single.conf"
out=$(zrun -v "$OUTSIDE/single.conf:/etc/single.conf:ro" demo sh -c '
	cat /etc/single.conf; echo x >>/etc/single.conf; echo rc=$?' 2>&1)
if [[ $out == "one file"* && $out == *"Read-only file system"* && $out =~ rc=[1-9] ]]; then
	pass "a file bind-mounted :ro: read, not written"
else fail "a file bind-mounted :ro: read, not written" "$out"; fi
zrun -v "$OUTSIDE/single.conf:/etc/single.conf" demo sh -c 'echo changed >/etc/single.conf'
expect_eq "a file bind-mounted rw: written through to the host file" "changed" \
	"$(cat "$OUTSIDE/single.conf")"

# --- tmpfs mounts
out=$(zrun --tmpfs /scratch:size=1m --mount type=tmpfs,dst=/s2,tmpfs-size=2m demo \
	sh -c 'grep -E " /(scratch|s2) " /proc/mounts | cut -d" " -f1-4')
case "$out" in
*"tmpfs /scratch tmpfs rw,nosuid,nodev,noexec"*"tmpfs /s2 tmpfs rw,nosuid,nodev,noexec"*)
	pass "--tmpfs and --mount type=tmpfs: nosuid,nodev,noexec" ;;
*) fail "--tmpfs and --mount type=tmpfs: nosuid,nodev,noexec" "$out" ;;
esac

# --- confinement: as root inside, reach nothing outside the share
MARK=secret-$RANDOM-$RANDOM
echo "$MARK" >"$OUTSIDE/secret"
OUTSIDE_LS=$(ls -la --time-style=+%s "$OUTSIDE" | sha256sum)
PARENT_LS=$(ls -A "$T_TMP" | sha256sum)
out=$(zrun $T -v "$VOL:/vol" demo sh -c "
	cd /vol
	ln -s $OUTSIDE/secret abs-link; cat abs-link
	ln -s ../outside/secret rel-link; cat rel-link
	cat /vol/../outside/secret ../outside/secret
	ln -s ../../../../../../../../$OUTSIDE/secret deep-link; cat deep-link
	ln /etc/passwd hl-out; echo hardlink-rc=\$?
	mknod nulldev c 1 3; echo mknod-rc=\$?
	cp /t/fs-probe suid-probe; chown 0:0 suid-probe; chmod 4755 suid-probe
	/t/fs-probe handles /vol g
	echo > $OUTSIDE/created-from-inside
	mkdir -p ../outside-made; echo done" 2>&1)
case "$out" in
*"$MARK"*) fail "confinement: nothing outside the share is read" "$out" ;;
*done*) pass "confinement: symlinks, .., forged handles read nothing outside the share" ;;
*) fail "confinement: the probe did not finish" "$out" ;;
esac
case "$out" in *"hardlink-rc=0"*) fail "a hard link to a file outside the share" "$out" ;;
*) pass "a hard link to a file outside the share is refused" ;; esac
expect_eq "host: the outside directory is untouched" "$OUTSIDE_LS" \
	"$(ls -la --time-style=+%s "$OUTSIDE" | sha256sum)"
expect_eq "host: nothing created next to the share" "$PARENT_LS" "$(ls -A "$T_TMP" | sha256sum)"
if [ -c "$VOL/nulldev" ] || [ -b "$VOL/nulldev" ]; then
	fail "host: no device node created through the share" "$(ls -l "$VOL/nulldev")"
else
	pass "host: no device node created through the share (mknod-rc: $(echo "$out" | sed -n 's/.*mknod-rc=//p'))"
fi
# a setuid-root file written inside must not give root on the host
if [ -e "$VOL/suid-probe" ]; then
	euid=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$VOL/suid-probe" euid 2>&1)
	if [ "$euid" = 0 ]; then
		fail "host: a setuid file from inside gives no root on the host" \
			"mode $(stat -c %a "$VOL/suid-probe"), ran as euid 0"
	else
		pass "host: a setuid file from inside gives no root on the host ($euid)"
	fi
else
	pass "host: a setuid file from inside gives no root on the host (not created)"
fi

# --- the back end SIGKILLed while the zone runs: I/O errors, not a hang
id=$(z run -d -v "$VOL:/vol" demo sh -c '
	while cat /vol/g >/dev/null 2>/tmp/err; do sleep 0.1; done
	echo IOERR; cat /tmp/err; sleep 600')
id=$(full_id "$id")
for _ in $(seq 100); do [ "$(status "$id")" = running ] && break; sleep 0.1; done
vmm=$(state "$id" vmm_pid)
victims=$(vfsd_children "$vmm")
if [ -z "$victims" ]; then
	fail "find the container's virtiofsd" "none under zone-vmm $vmm"
else
	kill -9 $victims
	if wait_log "$id" IOERR; then
		pass "back end SIGKILLed: the container gets I/O errors"
	else
		fail "back end SIGKILLed: the container gets I/O errors" "$(z logs "$id" 2>&1 | tail -3)"
	fi
	case "$(z logs "$id" 2>&1)" in *"Input/output error"*) pass "the error is EIO" ;;
	*) fail "the error is EIO" "$(z logs "$id" 2>&1 | tail -2)" ;; esac
	if grep -q "virtio-fs zv0: back end" "$ZONE_ROOT/containers/$id/zone-vmm.log" 2>/dev/null; then
		pass "zone-vmm logs the lost back end"
	else
		fail "zone-vmm logs the lost back end" "$(tail -3 "$ZONE_ROOT/containers/$id/zone-vmm.log" 2>&1)"
	fi
	t0=$SECONDS
	z stop -t 2 "$id" >/dev/null 2>&1
	expect_eq "the container can still be stopped" "exited" "$(status "$id")"
	[ $((SECONDS - t0)) -lt 30 ] && pass "stop took $((SECONDS - t0)) s" ||
		fail "stop took $((SECONDS - t0)) s"
	if alive "$vmm"; then fail "zone-vmm is gone" "pid $vmm"; else pass "zone-vmm is gone"; fi
fi
z rm -f "$id" >/dev/null 2>&1

# --- a running zone's virtiofsd dies with its zone
id=$(z run -d -v "$VOL:/vol" demo sleep 600)
id=$(full_id "$id")
for _ in $(seq 100); do [ "$(status "$id")" = running ] && break; sleep 0.1; done
vmm=$(state "$id" vmm_pid)
kids=$(vfsd_children "$vmm")
[ -n "$kids" ] && pass "zone-vmm runs a virtiofsd per share" || fail "zone-vmm runs a virtiofsd per share"
kill -9 "$vmm" 2>/dev/null
for _ in $(seq 200); do # PDEATHSIG is immediate; allow a loaded machine 10 s
	left=""
	for p in $kids; do alive "$p" && left="$left $p"; done
	[ -z "$left" ] && break
	sleep 0.05
done
expect_eq "no virtiofsd survives its zone-vmm (SIGKILLed)" "" "$left"
z rm -f "$id" >/dev/null 2>&1

# --- bad input the zone sees: a file onto a directory
zrun -v "$OUTSIDE/single.conf:/etc" demo true >"$T_TMP/out" 2>"$T_TMP/err"
rc=$?
if [ "$rc" = 125 ] && [ "$(wc -l <"$T_TMP/err")" = 1 ] && grep -q "onto the directory" "$T_TMP/err"; then
	pass "a file onto a directory: one line, exit 125"
else
	fail "a file onto a directory: one line, exit 125" "rc $rc: $(cat "$T_TMP/err")"
fi

# --- nothing left running
for _ in $(seq 200); do [ -z "$(vmm_pids)$(vfsd_pids)" ] && break; sleep 0.05; done
expect_eq "no zone-vmm left" "" "$(vmm_pids)"
expect_eq "no virtiofsd left" "" "$(vfsd_pids)"
