#!/usr/bin/env bash
# make demo: boot a zone that runs a command and prints its output.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "+ build/zone-vmm --cpus 2 --mem 256M -- /bin/echo hello from a zone"
build/zone-vmm --cpus 2 --mem 256M -- /bin/echo hello from a zone
echo "+ build/zone-vmm -- sh -c 'uname -r; nproc; head -1 /proc/meminfo'"
build/zone-vmm -- sh -c 'uname -r; nproc; head -1 /proc/meminfo'
