#!/usr/bin/env bash
# zone-runc's command line against the real runc, in the same run, on what
# needs no zone: bad bundles and configs, unknown containers, usage
# errors, spec/features/list/version/help, --log-format json.  Same exit
# status; the same message after the program name ("runc create failed:"
# vs "zone-runc create failed:"); nothing left running or mounted.
. "$(dirname "$0")/../lib.sh"
ZRUNC=$BUILD/zone-runc

need "runc" command -v runc
need "jq" command -v jq
need "build/zone-runc (make)" test -x "$ZRUNC"
need "root (runc needs it)" test "$(id -u)" = 0

ZROOT=$T_TMP/zone-root
RROOT=$T_TMP/runc-root
export ZONE_RUNTIME_DIR=$T_TMP/run
mkdir -p "$ZROOT" "$RROOT" "$ZONE_RUNTIME_DIR"
vmms_before=$(pgrep -c -x zone-vmm || true)

# both NAME ARGS...: run "runc --root R ARGS" and "zone-runc --root Z ARGS";
# sets r_rc r_msg z_rc z_msg (the msg= of the last error line, with the
# program name replaced by PROG)
both() {
	runc --root "$RROOT" "$@" </dev/null >"$T_TMP/r.out" 2>"$T_TMP/r.err"
	r_rc=$?
	"$ZRUNC" --root "$ZROOT" "$@" </dev/null >"$T_TMP/z.out" 2>"$T_TMP/z.err"
	z_rc=$?
	r_msg=$(grep 'level=error' "$T_TMP/r.err" | tail -1 | sed -e 's/.*msg="\(.*\)"$/\1/' -e 's/^runc/PROG/' -e 's/runc: /PROG: /')
	z_msg=$(grep 'level=error' "$T_TMP/z.err" | tail -1 | sed -e 's/.*msg="\(.*\)"$/\1/' -e 's/^zone-runc/PROG/' -e 's/zone-runc: /PROG: /')
}

# same NAME ARGS...: same exit status and the same message
same() {
	local name=$1; shift
	both "$@"
	if [ "$r_rc" = "$z_rc" ] && [ "$r_msg" = "$z_msg" ] && [ -n "$z_msg" ]; then
		pass "$name (exit $z_rc: $z_msg)"
	else
		fail "$name" "runc: exit $r_rc '$r_msg'; zone-runc: exit $z_rc '$z_msg'"
	fi
}

# same_style NAME ARGS...: same exit status, both messages start alike
# (the JSON parsers' own words differ after that)
same_style() {
	local name=$1 prefix=$2; shift 2
	both "$@"
	if [ "$r_rc" = "$z_rc" ] && [[ "$r_msg" == "$prefix"* ]] && [[ "$z_msg" == "$prefix"* ]]; then
		pass "$name (exit $z_rc: $z_msg)"
	else
		fail "$name" "runc: exit $r_rc '$r_msg'; zone-runc: exit $z_rc '$z_msg'"
	fi
}

# --- bundles and configs -----------------------------------------------
B=$T_TMP/bundle
mkdir -p "$B/rootfs/bin"
cp /bin/busybox "$B/rootfs/bin/" && ln -s busybox "$B/rootfs/bin/sh"

same "a bundle without config.json" create --bundle "$B" c1
printf '{' >"$B/config.json"
same "config.json cut short" create --bundle "$B" c1
printf 'nul\n' >"$B/config.json"
same_style "config.json that is not JSON" "PROG create failed: " create --bundle "$B" c1

good='{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"}}'
bad_type() { # NAME JQ-FILTER: the good config with one field broken
	jq -c "$2" <<<"$good" >"$B/config.json"
	same "$1" create --bundle "$B" c1
}
bad_type "args is a string" '.process.args="sh"'
bad_type "uid is negative" '.process.user={"uid":-1}'
bad_type "uid is a string" '.process.user={"uid":"0"}'
bad_type "terminal is a string" '.process.terminal="yes"'
bad_type "hostname is a number" '.hostname=5'
bad_type "mount destination is a number" '.mounts=[{"destination":5}]'
bad_type "memory limit is a string" '.linux={"resources":{"memory":{"limit":"1G"}}}'
bad_type "console height is fractional" '.process.consoleSize={"height":1.5,"width":80}'
bad_type "the config is an array" '[.]'
bad_type "no process" 'del(.process)'
bad_type "empty args" '.process.args=[]'
bad_type "relative cwd" '.process.cwd="tmp"'
bad_type "unknown rlimit" '.process.rlimits=[{"type":"RLIMIT_FOO","hard":1,"soft":1}]'
bad_type "rootfs that does not exist" '.root.path="no-such-rootfs"'
bad_type "a terminal without a console socket" '.process.terminal=true'
jq -c . <<<"$good" >"$B/config.json"
same "an id with a slash" create --bundle "$B" a/b
same "create without an id" create --bundle "$B"

# --- unknown containers ------------------------------------------------
for cmd in state start delete pause resume ps events; do
	same "$cmd of an unknown id" $cmd no-such-ctr
done
same "kill of an unknown id" kill no-such-ctr KILL
same "exec in an unknown id" exec no-such-ctr true
same "update of an unknown id" update --resources - no-such-ctr
both delete --force no-such-ctr
expect_eq "delete --force of an unknown id succeeds as in runc" "$r_rc" "$z_rc"
same "state without an id" state
same "kill without an id" kill

# --- read-only commands ------------------------------------------------
both list
expect_eq "list on an empty root: runc's header" "$(cat "$T_TMP/r.out")" "$(cat "$T_TMP/z.out")"
both list --format json
expect_eq "list --format json on an empty root" "$(cat "$T_TMP/r.out")" "$(cat "$T_TMP/z.out")"

"$ZRUNC" features >"$T_TMP/zf.json" 2>"$T_TMP/zf.err"
runc features >"$T_TMP/rf.json" 2>/dev/null
check "features is JSON" jq -e . "$T_TMP/zf.json" >/dev/null
expect_eq "features: runc's top-level keys" "$(jq -c 'keys' "$T_TMP/rf.json")" "$(jq -c 'keys' "$T_TMP/zf.json")"
expect_eq "features: runc's linux keys" "$(jq -c '.linux|keys' "$T_TMP/rf.json")" "$(jq -c '.linux|keys' "$T_TMP/zf.json")"
expect_eq "features: hooks" "$(jq -c '.hooks' "$T_TMP/rf.json")" "$(jq -c '.hooks' "$T_TMP/zf.json")"

S=$T_TMP/spec
mkdir -p "$S/rootfs/bin"
cp /bin/busybox "$S/rootfs/bin/" && ln -s busybox "$S/rootfs/bin/sh" && ln -s busybox "$S/rootfs/bin/true"
(cd "$S" && "$ZRUNC" spec)
check "spec writes config.json" test -s "$S/config.json"
both spec --bundle "$S"
expect_eq "spec refuses to overwrite config.json, exit 1 as runc" "1 1" "$r_rc $z_rc"
expect_eq "spec over an existing config.json: runc's message" "$r_msg" "$z_msg"
jq '.process.terminal=false | .process.args=["true"]' "$S/config.json" >"$T_TMP/c" && mv "$T_TMP/c" "$S/config.json"
timeout 60 runc --root "$RROOT" run --bundle "$S" spec-check </dev/null >"$T_TMP/run.out" 2>&1
expect_eq "runc itself runs zone-runc spec's config" "0" "$?"
runc --root "$RROOT" delete -f spec-check >/dev/null 2>&1

"$ZRUNC" --version >"$T_TMP/v" 2>&1
check "--version exits 0 and names the spec version" grep -q "^spec: " "$T_TMP/v"
"$ZRUNC" --help >"$T_TMP/h" 2>&1
check "--help exits 0 and lists create" grep -q "create" "$T_TMP/h"
"$ZRUNC" create --help >"$T_TMP/h" 2>&1
check "create --help exits 0" test -s "$T_TMP/h"
same "an unknown command" no-such-command
same "an unknown global flag" --bogus list

# --- --log / --log-format ------------------------------------------------
LOG=$T_TMP/log.json
"$ZRUNC" --root "$ZROOT" --log "$LOG" --log-format json state no-such-ctr 2>"$T_TMP/plain"
rc=$?
expect_eq "--log json: exit status" "1" "$rc"
check "--log json: every line parses with jq" jq -e . "$LOG" >/dev/null
expect_eq "--log json: level, msg, time" '["level","msg","time"]' "$(jq -c 'keys' "$LOG" | tail -1)"
expect_eq "--log json: the message" "container does not exist" "$(jq -r .msg "$LOG" | tail -1)"
expect_eq "--log: stderr gets the bare message, as runc" "container does not exist" "$(cat "$T_TMP/plain")"
"$ZRUNC" --root "$ZROOT" --log "$T_TMP/log.txt" --log-format text kill no-such-ctr 2>/dev/null
check "--log text: logrus line" grep -q '^time="[0-9T:Z-]*" level=error msg="container does not exist"$' "$T_TMP/log.txt"
"$ZRUNC" --log-format xml list >/dev/null 2>&1
expect_eq "--log-format xml is refused" "1" "$?"

# --- nothing left behind -------------------------------------------------
expect_eq "no container state left" "" "$(ls "$ZROOT/containers" 2>/dev/null)"
expect_eq "no zone-vmm started" "$vmms_before" "$(pgrep -c -x zone-vmm || true)"
expect_eq "nothing mounted under the test's directories" "" "$(grep -F "$T_TMP" /proc/self/mounts)"
