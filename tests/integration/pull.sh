#!/usr/bin/env bash
# zone pull against Debian's docker-registry started here on 127.0.0.1:
# by tag and digest, multi-arch index, no second download, the pulled tree
# equals the pushed image, TLS with a private CA, Basic and Bearer auth,
# zone login/logout, faults injected by a proxy (bad digest, truncation,
# oversized or non-JSON manifest, stall, cut-and-resume, 503, redirect),
# SIGKILL during a pull (zone run of a pulled image: pull-run.sh).  Images
# are built from local files: no network.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-images.sh"
source "$(dirname "$0")/lib-registry.sh"

need "build/zone (make build/zone)" test -x "$ZONE"
for tool in docker-registry skopeo umoci openssl htpasswd python3 jq mkfs.erofs; do
	need "$tool (make setup)" command -v "$tool"
done
need "python3-jwt and python3-cryptography for $DEB_PY (make setup)" "$DEB_PY" -c 'import jwt, cryptography'
need "erofs support in the host kernel" grep -qw erofs /proc/filesystems
need "root (loop-mounting erofs disks)" test "$(id -u)" = 0
KILLS=${KILLS:-6}

# Credentials and registries.conf of the test only.
export REGISTRY_AUTH_FILE=$T_TMP/auth.json DOCKER_CONFIG=$T_TMP/docker
export ZONE_REGISTRIES_CONF=$T_TMP/registries.conf
: >"$ZONE_REGISTRIES_CONF"
pull() { zi pull -q "$@"; }

# --- images, pushed into a plain-HTTP registry
python3 "$ROOT/tests/integration/lib-images-mk.py" multilayer "$T_TMP/ml"
python3 "$ROOT/tests/integration/lib-images-mk.py" multilayer "$T_TMP/ml-gzip" gzip
umoci unpack --image "$T_TMP/ml-gzip:latest" "$T_TMP/ml-ref" >/dev/null 2>&1
python3 "$ROOT/tests/integration/lib-registry-mk.py" multiarch "$T_TMP/ml-gzip" "$T_TMP/multi" >/dev/null
python3 "$ROOT/tests/integration/lib-registry-mk.py" random "$T_TMP/big" 4 8
STORAGE=$T_TMP/registry-data
registry_start plain "$STORAGE" || { fail "start docker-registry" "see above"; exit 0; }
P=$PORT
R=127.0.0.1:$P
check "push: multilayer (gzip)" push "$T_TMP/ml-gzip:latest" "$R/ml:gzip"
check "push: multilayer (tar, gzip, zstd layers)" push "$T_TMP/ml:latest" "$R/ml:mixed"
check "push: multi-arch index" push "$T_TMP/multi:multi" "$R/multi:v1"
check "push: 4 x 8 MiB layers" push "$T_TMP/big:latest" "$R/big:v1"

# The proxy in front of the plain registry counts requests and injects faults.
proxy_start proxy "$P" || { fail "start the proxy" "see above"; exit 0; }
PP=$PORT
X=127.0.0.1:$PP
mode() { echo "$1" >"$T_TMP/proxy.mode"; }

# --- by tag: tree, ls, fsck
if pull --tls-verify=false "$X/ml:gzip" 2>"$T_TMP/err"; then
	pass "pull by tag"
	if mount_disk "$(inspect_field "$X/ml:gzip" .disk)" "$T_TMP/ml-mnt"; then
		same_tree "pulled tree == umoci unpack of the pushed layout" "$T_TMP/ml-mnt" "$T_TMP/ml-ref/rootfs"
	else
		fail "mount the pulled disk"
	fi
else
	fail "pull by tag" "$(cat "$T_TMP/err")"
fi
check "plain HTTP needs --tls-verify=false" bash -c "! '$ZONE' --root '$T_TMP/store' pull -q '$X/ml:gzip' 2>'$T_TMP/err'"
one_line_error "plain HTTP without --tls-verify=false" "$T_TMP/err" "plain-HTTP registry needs --tls-verify=false"
digest=$(inspect_field "$X/ml:gzip" .manifest_digest)
check "image ls shows the reference and digest" bash -c "'$ZONE' --root '$T_TMP/store' image ls | grep -F '$X/ml:gzip' | grep -qF '${digest:0:19}'"
check "fsck after pull" quiet zi image fsck

# --- a second pull downloads nothing
: >"$T_TMP/proxy.log"
check "second pull" pull --tls-verify=false "$X/ml:gzip"
expect_eq "second pull: no blob downloaded" 0 "$(blob_gets "$T_TMP/proxy.log")"
: >"$T_TMP/proxy.log"
check "same layers, other tag (ml:mixed has zstd/tar layers: fetched)" pull --tls-verify=false "$X/ml:mixed"
expect_eq "same config: one disk for both" "$(inspect_field "$X/ml:gzip" .disk)" "$(inspect_field "$X/ml:mixed" .disk)"

# --- by digest
check "pull by digest" pull --tls-verify=false "$X/ml@$digest"
expect_eq "by digest: same manifest" "$digest" "$(inspect_field "$X/ml@$digest" .manifest_digest)"
wrong=sha256:$(printf x | sha256sum | cut -d' ' -f1)
check "unknown digest fails" bash -c "! '$ZONE' --root '$T_TMP/store' pull -q --tls-verify=false '$X/ml@$wrong' 2>'$T_TMP/err'"
one_line_error "unknown digest" "$T_TMP/err" "MANIFEST_UNKNOWN|404"

# --- multi-arch index
# the digests as the registry holds them (skopeo may rewrite manifests)
index=$(skopeo inspect --raw --tls-verify=false "docker://$R/multi:v1")
AMD=$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' <<<"$index")
ARM=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' <<<"$index")
check "multi-arch pull" pull --tls-verify=false "$X/multi:v1"
expect_eq "multi-arch: amd64 picked" "amd64 $AMD" "$(inspect_field "$X/multi:v1" '.architecture + " " + .manifest_digest')"
check "multi-arch --platform linux/arm64" pull --tls-verify=false --platform linux/arm64 "$X/multi:v1"
expect_eq "multi-arch: arm64 when asked" "arm64 $ARM" "$(inspect_field "$X/multi:v1" '.architecture + " " + .manifest_digest')"
check "multi-arch: no s390x" bash -c "! '$ZONE' --root '$T_TMP/store' pull -q --tls-verify=false --platform linux/s390x '$X/multi:v1' 2>'$T_TMP/err'"
one_line_error "multi-arch: missing platform" "$T_TMP/err" "no manifest for linux/s390x"

# --- bad references and flags fail before any network
for bad in "Upper/case" "app@sha256:123" "host:port/app" ""; do
	check "bad reference '$bad' refused" bash -c "! '$ZONE' --root '$T_TMP/store' pull '$bad' 2>'$T_TMP/err'"
	one_line_error "bad reference '$bad'" "$T_TMP/err" "pull"
done
check "--tls-verify=maybe refused" bash -c "! '$ZONE' --root '$T_TMP/store' pull --tls-verify=maybe x 2>/dev/null"
check "bare --tls-verify means true" bash -c "! '$ZONE' --root '$T_TMP/store' pull -q --tls-verify '$X/ml:gzip' 2>/dev/null"
check "--platform linux refused" bash -c "! '$ZONE' --root '$T_TMP/store' pull --tls-verify=false --platform linux '$X/multi:v1' 2>/dev/null"

# --- registries.conf: an insecure registry needs no flag; a dead mirror is skipped
printf 'insecure %s\n' "$X" >"$ZONE_REGISTRIES_CONF"
check "registries.conf: insecure registry" pull "$X/ml:gzip"
dead=127.0.0.1:$(free_port)
printf 'insecure %s\ninsecure %s\nmirror %s %s\n' "$X" "$dead" "$X" "$dead" >"$ZONE_REGISTRIES_CONF"
check "registries.conf: dead mirror skipped" pull "$X/ml:gzip"
printf 'bogus line\n' >"$ZONE_REGISTRIES_CONF"
check "registries.conf: bad line refused" bash -c "! '$ZONE' --root '$T_TMP/store' pull -q '$X/ml:gzip' 2>'$T_TMP/err'"
one_line_error "registries.conf: bad line" "$T_TMP/err" "registries.conf:1"
: >"$ZONE_REGISTRIES_CONF"

# --- parallel layers, progress bars on a terminal only
: >"$T_TMP/proxy.log"
check "pull 4 layers" pull --tls-verify=false "$X/big:v1"
expect_eq "4 layers: 4 blob GETs + config" 5 "$(blob_gets "$T_TMP/proxy.log")"
out=$(ZONE_ROOT=$T_TMP/store-tty script -qec "'$ZONE' pull --tls-verify=false '$X/big:v1'" /dev/null |
	tr '\r' '\n' | sed 's/\x1b\[[0-9]*[A-Za-z]//g')
check "terminal: a bar per layer" test "$(printf '%s\n' "$out" | grep -c '^sha256:[0-9a-f]\{12\} .*\[#\{30\}\]')" -ge 4
out=$("$ZONE" --root "$T_TMP/store-notty" pull --tls-verify=false "$X/big:v1" 2>&1)
expect_eq "not a terminal: just the name" "$X/big:v1" "$out"

# --- faults (a fresh store each, so the layers must be downloaded)
n=0
fault() { # NAME MODE EXPECT_RC PATTERN REF [ENV...]
	local name=$1 m=$2 want=$3 pat=$4 ref=$X/$5 rc store
	shift 5
	n=$((n + 1))
	store=$T_TMP/fault$n
	mode "$m"
	: >"$T_TMP/proxy.log"
	env "$@" "$ZONE" --root "$store" pull -q --tls-verify=false "$ref" >/dev/null 2>"$T_TMP/err"
	rc=$?
	mode none
	if [ "$want" = 0 ]; then
		expect_eq "fault $name: pull succeeds" 0 "$rc"
	else
		check "fault $name: pull fails" test "$rc" -ne 0
		one_line_error "fault $name" "$T_TMP/err" "$pat"
		check "fault $name: image not visible" bash -c "! '$ZONE' --root '$store' image inspect '$ref' >/dev/null 2>&1"
	fi
	check "fault $name: fsck clean" quiet "$ZONE" --root "$store" image fsck
	cp "$T_TMP/proxy.log" "$T_TMP/proxy.fault.log"
	: >"$T_TMP/proxy.log"
	check "fault $name: a retry succeeds" quiet "$ZONE" --root "$store" pull -q --tls-verify=false "$ref"
}
fault "blob content does not match its digest" corrupt-blob 1 "digest mismatch" ml:gzip
fault "truncated layer" truncate-blob 1 "truncated: the registry sent [0-9]+ of [0-9]+ bytes" big:v1 ZONE_PULL_RETRIES=2
fault "manifest too large" big-manifest 1 "larger than" ml:gzip
fault "manifest not JSON" notjson-manifest 1 "not a JSON object" ml:gzip
t0=$SECONDS
fault "registry stalls" stall 1 "timed out" big:v1 ZONE_PULL_STALL_SECONDS=2 ZONE_PULL_RETRIES=1
check "stall: gave up within 30 s" test $((SECONDS - t0)) -lt 30
check "stall: the retry resumed what the stalled pull had (Range)" \
	grep -q 'GET [^ ]*/blobs/sha256:[0-9a-f]* bytes=[1-9][0-9]*-' "$T_TMP/proxy.log"
fault "connection cut mid-layer" cut-once 0 "" big:v1
check "cut: resumed with a Range request" grep -q 'GET [^ ]*/blobs/sha256:[0-9a-f]* bytes=[1-9][0-9]*-' "$T_TMP/proxy.fault.log"
fault "503 then OK (retry)" flaky 0 "" ml:gzip
fault "redirected blobs" redirect 0 "" ml:gzip
check "redirect: blobs fetched from the new location" grep -q '^GET /_moved/' "$T_TMP/proxy.fault.log"

# --- a pull killed mid-download is resumed by the next one; prune drops leftovers
store=$T_TMP/resume
mode stall
"$ZONE" --root "$store" pull -q --tls-verify=false "$X/big:v1" >/dev/null 2>&1 &
pid=$!
for i in $(seq 50); do [ "$(ls -A "$store/images/partial" 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
sleep 0.5
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
mode none
check "resume: the killed pull left partial downloads" test -n "$(ls -A "$store/images/partial")"
check "resume: fsck clean after the kill" quiet "$ZONE" --root "$store" image fsck
# the proxy sent 1 KiB of each layer it stalled on
had=$(find "$store/images/partial" -type f -size 1024c | wc -l)
: >"$T_TMP/proxy.log"
check "resume: the next pull succeeds" quiet "$ZONE" --root "$store" pull -q --tls-verify=false "$X/big:v1"
check "resume: at least one layer had 1 KiB" test "$had" -ge 1
expect_eq "resume: each of those asked from byte 1024 (Range)" "$had" "$(grep -c 'GET [^ ]*/blobs/sha256:[0-9a-f]* bytes=1024-' "$T_TMP/proxy.log")"
check "resume: partial/ is empty once committed" test -z "$(ls -A "$store/images/partial")"
mode stall
"$ZONE" --root "$store.2" pull -q --tls-verify=false "$X/big:v1" >/dev/null 2>&1 &
pid=$!
for i in $(seq 50); do [ -n "$(ls -A "$store.2/images/partial" 2>/dev/null)" ] && break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
mode none
check "prune: removes what a killed pull left in partial/" \
	bash -c "'$ZONE' --root '$store.2' image prune >/dev/null && test -z \"\$(ls -A '$store.2/images/partial')\""

# --- SIGKILL during a pull of 4 x 8 MiB layers (download, unpack or packing)
ok=0 bad=()
for i in $(seq "$KILLS"); do
	store=$T_TMP/kill
	"$ZONE" --root "$store" pull -q --tls-verify=false "$X/big:v1" >/dev/null 2>&1 &
	pid=$!
	d=$((RANDOM % 30))
	sleep "$((d / 10)).$((d % 10))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sleep 0.1
	if pgrep -f "$store" >/dev/null; then
		bad+=("kill $i at ${d}00 ms: a child of the puller survived")
	elif ! "$ZONE" --root "$store" image fsck >"$T_TMP/fsck" 2>&1; then
		bad+=("kill $i at ${d}00 ms: $(head -2 "$T_TMP/fsck" | tr '\n' ' ')")
	elif "$ZONE" --root "$store" image inspect "$X/big:v1" >/dev/null 2>&1 &&
		! "$ZONE" --root "$store" image inspect "$X/big:v1" | jq -e '.disk_size > 0' >/dev/null; then
		bad+=("kill $i at ${d}00 ms: ref present without its disk")
	else
		ok=$((ok + 1))
	fi
	"$ZONE" --root "$store" image rm "$X/big:v1" >/dev/null 2>&1
done
if [ ${#bad[@]} -eq 0 ]; then pass "SIGKILL x$KILLS: fsck clean every time"; else fail "SIGKILL" "${bad[*]}"; fi
check "SIGKILL: a retry succeeds" quiet "$ZONE" --root "$T_TMP/kill" pull -q --tls-verify=false "$X/big:v1"
check "SIGKILL: fsck after the retry" quiet "$ZONE" --root "$T_TMP/kill" image fsck
check "SIGKILL: tmp/ is empty after a completed pull" test -z "$(ls -A "$T_TMP/kill/images/tmp")"

# --- TLS with a private CA (same storage, another registry process)
if make_ca "$T_TMP/ca" && registry_start tls "$STORAGE" "tls:
  certificate: $T_TMP/ca/server.pem
  key: $T_TMP/ca/server.key"; then
	T=127.0.0.1:$PORT
	check "TLS: untrusted CA refused" bash -c "! '$ZONE' --root '$T_TMP/tls' pull -q '$T/ml:gzip' 2>'$T_TMP/err'"
	one_line_error "TLS: untrusted CA" "$T_TMP/err" "not trusted.*--ca-file"
	check "TLS: trusted with --ca-file" pull --ca-file "$T_TMP/ca/ca.pem" "$T/ml:gzip"
	check "TLS: HTTP/2 negotiated" grep -q '"GET /v2/ml/manifests/gzip HTTP/2.0"' "$T_TMP/tls.log"
	check "TLS: --tls-verify=false" quiet "$ZONE" --root "$T_TMP/tls2" pull -q --tls-verify=false "$T/ml:gzip"
	make_ca "$T_TMP/other-ca"
	check "TLS: another CA's file is refused" bash -c "! '$ZONE' --root '$T_TMP/tls3' pull -q --ca-file '$T_TMP/other-ca/ca.pem' '$T/ml:gzip' 2>/dev/null"
else
	fail "TLS: a CA (openssl) and a TLS registry" "see above"
fi

# --- Basic auth (htpasswd -B), zone login / logout
htpasswd -Bbn alice 'open sesame' >"$T_TMP/htpasswd" 2>/dev/null
registry_start basic "$STORAGE" "auth:
  htpasswd:
    realm: zone-test
    path: $T_TMP/htpasswd"
B=127.0.0.1:$PORT
check "basic: anonymous pull refused" bash -c "! '$ZONE' --root '$T_TMP/basic' pull -q --tls-verify=false '$B/ml:gzip' 2>'$T_TMP/err'"
one_line_error "basic: anonymous" "$T_TMP/err" "authentication required|zone login"
check "basic: login with a wrong password fails" bash -c "! echo wrong | '$ZONE' login --tls-verify=false -u alice --password-stdin '$B' 2>'$T_TMP/err'"
one_line_error "basic: wrong password" "$T_TMP/err" "login"
check "basic: no auth file after a failed login" test ! -e "$REGISTRY_AUTH_FILE"
check "login: --password-stdin without --username refused" bash -c "! echo x | '$ZONE' login --password-stdin '$B' 2>'$T_TMP/err'"
one_line_error "login: no user name" "$T_TMP/err" "--username"
check "login: no terminal and no --password-stdin refused" bash -c "! '$ZONE' login -u alice '$B' </dev/null 2>'$T_TMP/err'"
one_line_error "login: no terminal" "$T_TMP/err" "--password-stdin"
check "login: empty password refused" bash -c "! printf '\n' | '$ZONE' login -u alice --password-stdin '$B' 2>/dev/null"
check "logout: a bad registry name refused" bash -c "! '$ZONE' logout 'a b' 2>/dev/null"
check "basic: login" quiet bash -c "echo 'open sesame' | '$ZONE' login --tls-verify=false --username alice --password-stdin '$B'"
expect_eq "basic: auth file is 0600" 600 "$(stat -c %a "$REGISTRY_AUTH_FILE" 2>/dev/null)"
expect_eq "basic: auth.json entry" "alice:open sesame" "$(jq -r --arg h "$B" '.auths[$h].auth' "$REGISTRY_AUTH_FILE" | base64 -d)"
check "basic: pull after login" quiet "$ZONE" --root "$T_TMP/basic" pull -q --tls-verify=false "$B/ml:gzip"
check "basic: logout" quiet "$ZONE" logout "$B"
expect_eq "basic: entry gone" null "$(jq -r --arg h "$B" '.auths[$h]' "$REGISTRY_AUTH_FILE")"
check "basic: logout twice fails" bash -c "! '$ZONE' logout '$B' 2>/dev/null"
mkdir -p "$DOCKER_CONFIG"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$B" "$(printf 'alice:open sesame' | base64)" >"$DOCKER_CONFIG/config.json"
check "basic: credentials from docker's config.json" quiet "$ZONE" --root "$T_TMP/basic2" pull -q --tls-verify=false "$B/ml:gzip"
rm -f "$DOCKER_CONFIG/config.json"

# --- Bearer tokens from a token server the test runs
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=zone token signer" \
	-keyout "$T_TMP/token.key" -out "$T_TMP/token.pem" >/dev/null 2>&1
token_start token "$T_TMP/token.key" "$T_TMP/token.pem" bob hunter2
registry_start bearer "$STORAGE" "auth:
  token:
    realm: http://127.0.0.1:$PORT/token
    service: zone-test-registry
    issuer: zone-test-issuer
    rootcertbundle: $T_TMP/token.pem"
BT=127.0.0.1:$PORT
check "bearer: anonymous pull refused" bash -c "! '$ZONE' --root '$T_TMP/bearer' pull -q --tls-verify=false '$BT/ml:gzip' 2>'$T_TMP/err'"
one_line_error "bearer: anonymous" "$T_TMP/err" "denied|refused|login"
check "bearer: login with a wrong password fails" bash -c "! echo nope | '$ZONE' login --tls-verify=false -u bob --password-stdin '$BT' 2>/dev/null"
check "bearer: login" quiet bash -c "echo hunter2 | '$ZONE' login --tls-verify=false -u bob --password-stdin '$BT'"
: >"$T_TMP/token.log"
check "bearer: pull with a token" quiet "$ZONE" --root "$T_TMP/bearer" pull -q --tls-verify=false "$BT/ml:gzip"
check "bearer: token asked for repository:ml:pull as bob" grep -q '^repository:ml:pull bob 200$' "$T_TMP/token.log"
expect_eq "bearer: one token for the whole pull (cached per scope)" 1 "$(grep -c . "$T_TMP/token.log")"
check "bearer: logout" quiet "$ZONE" logout "$BT"

# --- zone run --pull: the parts that fail before a zone boots
check "run --pull=bogus refused" bash -c "! '$ZONE' --root '$T_TMP/run' run --pull=bogus x true 2>'$T_TMP/err'"
one_line_error "run --pull=bogus" "$T_TMP/err" "missing, always or never"
check "run --pull=never of a missing image fails" bash -c "! '$ZONE' --root '$T_TMP/run' run --pull=never '$X/ml:gzip' true 2>'$T_TMP/err'"
one_line_error "run --pull=never" "$T_TMP/err" "no image named"
check "run --pull=missing from a dead registry fails" bash -c "! '$ZONE' --root '$T_TMP/run' run --tls-verify=false '$dead/app:1' true 2>'$T_TMP/err'"
one_line_error "run --pull=missing, dead registry" "$T_TMP/err" "no image .* in the store: pull"

