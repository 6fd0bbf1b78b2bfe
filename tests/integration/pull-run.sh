#!/usr/bin/env bash
# zone run of images pulled from Debian's docker-registry on 127.0.0.1:
# --pull=missing pulls then boots, --pull=always pulls again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-images.sh"
source "$(dirname "$0")/lib-registry.sh"

need_kvm
need "build/zone, build/zone-vmm and build/zone-initrd.img (make)" test -x "$ZONE" -a -x "$BUILD/zone-vmm" -a -f "$BUILD/zone-initrd.img"
need "build/demo-image (make build/demo-image)" test -f "$BUILD/demo-image/index.json"
for tool in docker-registry skopeo; do
	need "$tool (make setup)" command -v "$tool"
done
need "root (loop-mounting erofs disks)" test "$(id -u)" = 0

export REGISTRY_AUTH_FILE=$T_TMP/auth.json DOCKER_CONFIG=$T_TMP/docker
export ZONE_REGISTRIES_CONF=$T_TMP/registries.conf
: >"$ZONE_REGISTRIES_CONF"

registry_start plain "$T_TMP/registry-data" || { fail "start docker-registry" "see above"; exit 0; }
R=127.0.0.1:$PORT
check "push: demo image (busybox)" push "$BUILD/demo-image" "$R/demo:v1"
out=$(zi run --rm --tls-verify=false "$R/demo:v1" /bin/echo hello from a pulled image 2>&1)
expect_eq "run --pull=missing pulls and runs" "hello from a pulled image" "$out"
out=$(zi run --rm --pull=always --tls-verify=false "$R/demo:v1" /bin/sh -c 'echo $((6 * 7))' 2>&1)
expect_eq "run --pull=always" "42" "$out"
check "the pulled image is in the store" bash -c "'$ZONE' --root '$T_TMP/store' image ls 2>/dev/null | grep -q '$R/demo'"
