#!/usr/bin/env bash
# SIGKILL the importer at random points (20 times): after each kill the
# store passes fsck, and a final import gives the same tree as an import
# that was never interrupted.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib-images.sh"

need "build/zone (make build/zone)" test -x "$ZONE"
for tool in umoci skopeo mkfs.erofs debootstrap jq; do
	need "$tool (make setup)" command -v "$tool"
done
need "erofs support in the host kernel" grep -qw erofs /proc/filesystems
need "root" test "$(id -u)" = 0
KILLS=${KILLS:-20}

archive=$(debian_oci_archive)
if [ -z "$archive" ]; then
	fail "build the bookworm oci-archive" "debootstrap/umoci failed"
	exit 0
fi

# An uninterrupted import, timed, as the reference.
t0=$(date +%s%N)
"$ZONE" --root "$T_TMP/ref" image import "$archive" --name deb >/dev/null 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
check "reference import (${ms} ms)" quiet "$ZONE" --root "$T_TMP/ref" image inspect deb

ok=0 bad=()
declare -A phase=()
# where did the kill land? (read from what the importer left in tmp/)
kill_phase() {
	local t=$T_TMP/store/images/tmp
	if compgen -G "$t/import.*/disk.erofs*" >/dev/null; then echo packing
	elif compgen -G "$t/import.*" >/dev/null; then echo unpacking
	elif compgen -G "$t/stage.*" >/dev/null; then echo staging
	elif zi image ls --json 2>/dev/null | jq -e '.[] | select(.name == "deb:latest")' >/dev/null; then echo done
	else echo starting
	fi
}
for i in $(seq "$KILLS"); do
	# kill somewhere in [0, 1.1 x the import time]
	delay=$((RANDOM % (ms * 11 / 10 + 1)))
	"$ZONE" --root "$T_TMP/store" image import "$archive" --name deb >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sleep 0.1
	p=$(kill_phase)
	phase[$p]=$((${phase[$p]:-0} + 1))
	if pgrep -f "$T_TMP/store" >/dev/null; then
		bad+=("kill $i at ${delay} ms: a child of the importer survived")
	elif ! zi image fsck >"$T_TMP/fsck" 2>&1; then
		bad+=("kill $i at ${delay} ms: $(head -2 "$T_TMP/fsck" | tr '\n' ' ')")
	elif zi image ls --json | jq -e '.[] | select(.name == "deb:latest")' >/dev/null &&
		! quiet zi image inspect deb; then
		bad+=("kill $i at ${delay} ms: ref present but inspect fails")
	else
		ok=$((ok + 1))
	fi
	# every fourth round starts over, so kills land in unpacking again
	if [ $((i % 4)) -eq 0 ]; then
		zi image rm deb >/dev/null 2>&1
		zi image prune >/dev/null 2>&1
	fi
done
expect_eq "store consistent after each of $KILLS SIGKILLs" "$KILLS" "$ok"
for b in "${bad[@]}"; do echo "    $b"; done
echo "    (kills landed: $(for p in "${!phase[@]}"; do printf '%s %s, ' "${phase[$p]}" "$p"; done | sed 's/, $//'))"

check "import after the kills" quiet zi image import "$archive" --name deb
check "fsck after the final import" quiet zi image fsck
expect_eq "tmp/ is empty after a completed import" "" "$(ls -A "$T_TMP/store/images/tmp")"
expect_eq "same config as the reference" \
	"$("$ZONE" --root "$T_TMP/ref" image inspect deb | jq -r .config_digest)" \
	"$(inspect_field deb .config_digest)"
if mount_disk "$("$ZONE" --root "$T_TMP/ref" image inspect deb | jq -r .disk)" "$T_TMP/m-ref" &&
	mount_disk "$(inspect_field deb .disk)" "$T_TMP/m-new"; then
	same_tree "disk after the kills == uninterrupted import" "$T_TMP/m-new" "$T_TMP/m-ref"
else
	fail "mount the disks"
fi
