#!/usr/bin/env bash
# make demo: a container in a zone.  Imports the demo image into the
# default store when it is missing, then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -w /dev/kvm ] && [ -z "${KVM_BOX:-}" ]; then
	echo "(no usable /dev/kvm here: the demo runs in the KVM box, a software-emulated"
	echo " VM with a real /dev/kvm; see tests/kvm-box/box.sh.  Slow, but real.)"
	exec bash tests/kvm-box/box.sh -- bash scripts/demo.sh
fi
Z=build/zone
if ! $Z image inspect demo >/dev/null 2>&1; then
	echo "+ $Z image import build/demo-image --name demo"
	$Z image import build/demo-image --name demo
fi
echo "+ $Z run --rm demo /bin/echo hello from a zone"
$Z run --rm demo /bin/echo hello from a zone
echo "+ $Z run --rm --cpus 2 --memory 512M demo sh -c 'uname -r; nproc; head -1 /proc/meminfo'"
$Z run --rm --cpus 2 --memory 512M demo sh -c 'uname -r; nproc; head -1 /proc/meminfo'
