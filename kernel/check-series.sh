#!/usr/bin/env bash
# Checks that kernel/series, applied in order to the pristine
# linux-source-6.12 tarball, gives exactly the tree the single reference
# patch gives (../shared/guest/kernel-src/pvm-guest.patch, from which the
# series was split): `diff -r` of the two trees must be empty.  Without the
# reference patch, the files the series touches are checked against
# kernel/tree.sha256, recorded from the reference tree by
# `check-series.sh --record`.
#
#   kernel/check-series.sh [--record] [REFERENCE.patch]
#
# Exit 0 when the trees match; 1 when they differ or a patch does not apply;
# 2 when the source tarball is not installed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TARBALL=${ZONE_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
MANIFEST=$HERE/tree.sha256

record=0
if [ "${1:-}" = --record ]; then record=1; shift; fi
ref=${1:-$ROOT/../shared/guest/kernel-src/pvm-guest.patch}

die() { echo "check-series: $*" >&2; exit "${2:-1}"; }

[ -f "$TARBALL" ] || die "$TARBALL not installed (apt-get install linux-source-6.12)" 2
[ -f "$ref" ] || ref=
[ $record = 1 ] && [ -z "$ref" ] && die "--record needs the reference patch"

tmp=$(mktemp -d /var/tmp/zone-check-series.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

tar -C "$tmp" -xf "$TARBALL"
mv "$tmp/linux-source-6.12" "$tmp/series"

# Files a patch creates or changes, from its "+++ b/PATH" lines.
touched() { sed -n 's|^+++ b/||p' "$@" | sed 's/\t.*//' | sort -u; }

series_files=()
while read -r p; do
	case $p in ''|'#'*) continue ;; esac
	series_files+=("$HERE/$p")
done < "$HERE/series"

if [ -n "$ref" ]; then
	# Hard links are enough: patch writes a new file for every file it changes.
	cp -al "$tmp/series" "$tmp/reference"
	patch -d "$tmp/reference" -p1 -F0 -N --batch -s < "$ref" ||
		die "the reference patch $ref does not apply to $TARBALL"
fi
for p in "${series_files[@]}"; do
	patch -d "$tmp/series" -p1 -F0 -N --batch -s < "$p" ||
		die "$(basename "$p") does not apply (in series order, without fuzz)"
done

if [ -n "$ref" ]; then
	if ! diff -r "$tmp/reference" "$tmp/series" > "$tmp/diff"; then
		head -n 40 "$tmp/diff" >&2
		die "the series and $ref give different trees"
	fi
	echo "check-series: ${#series_files[@]} patches give exactly the tree of $(basename "$ref")"
	if [ $record = 1 ]; then
		(cd "$tmp/reference" && touched "$ref" | xargs sha256sum) > "$MANIFEST.tmp"
		mv "$MANIFEST.tmp" "$MANIFEST"
		echo "check-series: recorded $(wc -l < "$MANIFEST") files in $MANIFEST"
	fi
	exit 0
fi

# No reference patch here: compare with the recorded reference tree.
[ -f "$MANIFEST" ] || die "no reference patch and no $MANIFEST"
if [ "$(touched "${series_files[@]}")" != "$(awk '{print $2}' "$MANIFEST" | sort)" ]; then
	die "the series touches other files than the reference patch ($MANIFEST)"
fi
(cd "$tmp/series" && sha256sum --quiet -c "$MANIFEST") ||
	die "the series gives files that differ from the reference tree ($MANIFEST)"
echo "check-series: ${#series_files[@]} patches give the $(wc -l < "$MANIFEST") files recorded from the reference tree"
