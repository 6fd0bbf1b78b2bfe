# Helpers for the registry tests (sourced after tests/lib.sh and
# lib-images.sh): Debian's docker-registry, the fault proxy and the token
# server, all on 127.0.0.1 with ports picked at run time.
REGISTRY_BIN=${REGISTRY_BIN:-docker-registry}
# Debian's python, which has python3-jwt and python3-cryptography (a
# python3 earlier in PATH, e.g. pyenv's, may not).
DEB_PY=${DEB_PY:-/usr/bin/python3}

# The servers die before the mounts and the temp dir go.
registry_cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	images_cleanup
}
trap registry_cleanup EXIT

# free_port: a TCP port nothing listens on right now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: up to 10 s for something to listen on it.
wait_port() {
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_file FILE: up to 10 s for FILE to appear (port files).
wait_file() {
	local i
	for i in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# registry_start NAME STORAGE [YAML]: starts docker-registry serving
# STORAGE with the extra YAML ("tls:..." goes under http:, the rest at the
# top, e.g. auth:); sets PORT.  Its log is $T_TMP/NAME.log.  (Not in a
# $(...) subshell: the server's pid must reach the cleanup list.)
registry_start() {
	local name=$1 storage=$2 extra=${3:-} port tls=""
	port=$(free_port)
	case "$extra" in
	tls:*) tls=$(printf '%s\n' "$extra" | sed 's/^/  /'); extra="" ;;
	esac
	mkdir -p "$storage"
	cat >"$T_TMP/$name.yml" <<-YAML
	version: 0.1
	log:
	  level: info
	  accesslog:
	    disabled: false
	storage:
	  filesystem:
	    rootdirectory: $storage
	  delete:
	    enabled: true
	http:
	  addr: 127.0.0.1:$port
	  secret: zone-test-secret
	$tls
	$extra
	YAML
	# REGISTRY_* variables override its config (REGISTRY_AUTH_FILE would)
	env -u REGISTRY_AUTH_FILE "$REGISTRY_BIN" serve "$T_TMP/$name.yml" >"$T_TMP/$name.log" 2>&1 &
	pids+=($!)
	wait_port "$port" || { echo "registry $name did not start: $(tail -3 "$T_TMP/$name.log")" >&2; return 1; }
	PORT=$port
}

# proxy_start NAME UPSTREAM_PORT: the fault proxy (lib-registry-proxy.py);
# sets PORT.  Its mode file is $T_TMP/NAME.mode, its log $T_TMP/NAME.log.
proxy_start() {
	local name=$1
	echo none >"$T_TMP/$name.mode"
	: >"$T_TMP/$name.log"
	python3 "$ROOT/tests/integration/lib-registry-proxy.py" "http://127.0.0.1:$2" \
		"$T_TMP/$name.port" "$T_TMP/$name.mode" "$T_TMP/$name.log" 2>"$T_TMP/$name.err" &
	pids+=($!)
	wait_file "$T_TMP/$name.port" || { echo "proxy $name did not start: $(tail -3 "$T_TMP/$name.err")" >&2; return 1; }
	PORT=$(cat "$T_TMP/$name.port")
}

# token_start NAME KEY CERT USER PASSWORD: the token server; sets PORT.
token_start() {
	local name=$1
	: >"$T_TMP/$name.log"
	"$DEB_PY" "$ROOT/tests/integration/lib-registry-token.py" "$2" "$3" "$4" "$5" \
		"$T_TMP/$name.port" "$T_TMP/$name.log" 2>"$T_TMP/$name.err" &
	pids+=($!)
	wait_file "$T_TMP/$name.port" || { echo "token server did not start: $(tail -3 "$T_TMP/$name.err")" >&2; return 1; }
	PORT=$(cat "$T_TMP/$name.port")
}

# make_ca DIR: a self-signed CA and a server certificate for 127.0.0.1
# signed by it: DIR/ca.pem, DIR/server.pem, DIR/server.key.
make_ca() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=zone test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/ext" &&
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/ext" -out "$d/server.pem"
} >/dev/null 2>&1

# push LAYOUT:TAG REF: skopeo copy (all platforms) into the plain registry.
push() {
	skopeo copy -q --all --dest-tls-verify=false "oci:$1" "docker://$2"
}

# blob_gets LOG: how many blob GETs a proxy log holds.
blob_gets() { grep -c '^GET [^ ]*/blobs/sha256:' "$1"; }

# one_line_error NAME STDERR_FILE PATTERN: the failure said one line matching PATTERN.
one_line_error() {
	local n
	n=$(grep -c . "$2")
	if [ "$n" -eq 1 ] && grep -qE -- "$3" "$2"; then
		pass "$1: $(cut -c1-150 "$2")"
	else
		fail "$1" "want one line matching '$3', got $n: $(head -3 "$2" | tr '\n' '|' | cut -c1-300)"
	fi
}
