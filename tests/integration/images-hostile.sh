#!/usr/bin/env bash
# Hostile images: each must fail with one clear line and a non-zero exit,
# write nothing outside the store's tmp/ (which is emptied again), and
# leave the store usable.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-images.sh"

need "build/zone (make build/zone)" test -x "$ZONE"
need "build/demo-image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
need "python3" command -v python3
need "zstd" command -v zstd
need "root (file owners)" test "$(id -u)" = 0

MK="python3 $ROOT/tests/integration/lib-images-mk.py"
ESC=/tmp/zone-escape-$$-$RANDOM
S=$T_TMP/store/images
trap 'images_cleanup; rm -rf "$ESC"' EXIT

zi image import "$BUILD/demo-image" --name demo >/dev/null 2>&1
check "setup: demo image imported" quiet zi image inspect demo

snapshot() { (cd "$S" && find blobs disks refs.json -printf '%p %s %T@\n' | LC_ALL=C sort); }

# hostile NAME PATH KEYWORD: import PATH must fail like described above.
hostile() {
	local name=$1 path=$2 kw=$3 before after rc lines
	before=$(snapshot)
	zi image import "$path" --name hostile >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
	after=$(snapshot)
	lines=$(wc -l <"$T_TMP/err")
	if [ "$rc" -eq 0 ]; then
		fail "$name" "import succeeded"
	elif [ "$lines" -ne 1 ] || ! grep -q '^zone: import ' "$T_TMP/err"; then
		fail "$name" "expected one 'zone: import ...' line, got $lines: $(head -c 300 "$T_TMP/err")"
	elif ! grep -qF -- "$kw" "$T_TMP/err"; then
		fail "$name" "error does not say '$kw': $(cat "$T_TMP/err")"
	elif [ -s "$T_TMP/out" ]; then
		fail "$name" "wrote to stdout"
	elif [ -e "$ESC" ] || [ -e /etc/zone-escaped ]; then
		fail "$name" "something was written outside the rootfs ($ESC)"
	elif [ "$before" != "$after" ]; then
		fail "$name" "the store changed outside tmp/"
	elif [ -n "$(ls -A "$S/tmp")" ]; then
		fail "$name" "tmp/ not cleaned: $(ls "$S/tmp")"
	else
		pass "$name: $(sed -e 's/^zone: import [^:]*: //' -e 's/layer \([0-9]*\) (sha256:[0-9a-f]*)/layer \1/' \
			-e 's/sha256:\([0-9a-f]\{12\}\)[0-9a-f]*/sha256:\1…/g' "$T_TMP/err" | cut -c1-120)"
	fi
}

declare -A KW=(
	[dotdot]="'..' component"
	[absolute]="absolute path"
	[symlink-write]="symlink that leaves the image root"
	[symlink-dotdot-write]="symlink that leaves the image root"
	[hardlink-outside]="'..' component"
	[hardlink-absolute]="absolute path"
	[hardlink-via-symlink]="symlink that leaves the image root"
	[blockdev]="block device refused"
	[chardev]="character device 1:1 refused"
	[sparse-bomb]="more than 8192 MiB"
	[digest-mismatch]="digest mismatch"
	[truncated-gzip]="truncated gzip"
	[missing-blob]="is missing"
)
for kind in $($MK list-hostile); do
	$MK hostile "$kind" "$T_TMP/h/$kind" "$ESC/$kind"
	hostile "layout: $kind" "$T_TMP/h/$kind" "${KW[$kind]}"
done

# The same images as oci-archive tars: blobs are checked while staged.
for kind in dotdot symlink-write digest-mismatch missing-blob; do
	tar -C "$T_TMP/h/$kind" -cf "$T_TMP/h/$kind.tar" .
done
hostile "oci-archive: dotdot" "$T_TMP/h/dotdot.tar" "'..' component"
hostile "oci-archive: symlink-write" "$T_TMP/h/symlink-write.tar" "symlink that leaves"
hostile "oci-archive: digest mismatch (member name vs content)" "$T_TMP/h/digest-mismatch.tar" "digest mismatch"
hostile "oci-archive: missing blob" "$T_TMP/h/missing-blob.tar" "is missing"

# Hostile outer archives.
python3 - "$T_TMP/h" <<'PY'
import io, json, sys, tarfile
d = sys.argv[1]
def tar(name, members):
    with tarfile.open(f"{d}/{name}", "w") as t:
        for n, data, link in members:
            ti = tarfile.TarInfo(n)
            if link:
                ti.type, ti.linkname = tarfile.SYMTYPE, link
                t.addfile(ti)
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
tar("outer-dotdot.tar", [("../../../../etc/zone-escaped", b"x", None)])
man = json.dumps([{"Config": "c.json", "RepoTags": ["x:y"], "Layers": ["l/layer.tar"]}]).encode()
tar("docker-symlink-out.tar", [("manifest.json", man, None), ("c.json", b"{}", None),
                              ("l/layer.tar", None, "../../../../etc/passwd")])
tar("docker-missing-layer.tar", [("manifest.json", man, None), ("c.json", b"{}", None)])
tar("not-an-image.tar", [("hello.txt", b"hi", None)])
PY
hostile "archive: member with ../" "$T_TMP/h/outer-dotdot.tar" "'..' component"
hostile "docker-archive: symlink member leaving the archive" "$T_TMP/h/docker-symlink-out.tar" "leaves the archive"
hostile "docker-archive: missing layer" "$T_TMP/h/docker-missing-layer.tar" "is missing"
hostile "archive: neither OCI nor docker" "$T_TMP/h/not-an-image.tar" "neither an oci-archive"
head -c 100000 /dev/urandom >"$T_TMP/h/garbage.tar"
hostile "archive: garbage" "$T_TMP/h/garbage.tar" "garbage.tar"

# The store is still fine and usable.
check "store: fsck OK after the hostile imports" quiet zi image fsck
check "store: demo still inspects" quiet zi image inspect demo
check "store: a new import works" quiet zi image import "$BUILD/demo-image" --name demo:after
expect_eq "store: no hostile ref" "" "$(zi image ls --json | jq -r '.[].name' | grep hostile)"
