#!/bin/bash
# The KVM box's second stage: PID 1 on the host's tree (9p).  Give the box
# its own /proc, /sys, /dev, cgroups, /tmp, /run and state directories,
# load KVM, run the command with its output on ttyS1, record its status in
# the exchange directory, power off.
x=$(dirname "$(readlink -f "$0")")
set +e
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s fd/0 /dev/stdin; ln -s fd/1 /dev/stdout; ln -s fd/2 /dev/stderr
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# box.sh names the kernel functions a hung box is stuck in (Debian's
# System.map is a placeholder; the box boots with nokaslr)
grep -E ' [tT] ' /proc/kallsyms >"$x/kallsyms" 2>/dev/null
# Private writable trees: the box must not change the host's state, and
# overlay/podman storage cannot live on 9p.
for d in /tmp /var/tmp /run /var/lib/zone /var/lib/containers /var/lib/containerd /var/lib/cni /var/lib/docker-registry /etc/cni/net.d /root/.local /root/.config /var/cache/containers; do
	[ -d "$d" ] || continue
	mount -t tmpfs -o mode=0755 box "$d"
done
chmod 1777 /tmp /var/tmp
mkdir -p /run/lock
echo /sbin/modprobe >/proc/sys/kernel/modprobe
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
# one idle VM for the box's life: zones starting and stopping then no
# longer patch kernel text (see kvm-pin.py)
python3 "$x/kvm-pin.py" >/dev/ttyS0 2>&1 &
for m in tun veth bridge br_netfilter overlay loop erofs fuse nf_tables vhost_vsock; do
	modprobe "$m" 2>/dev/null
done
ip link set lo up
# /tmp on ext4, not tmpfs: this kernel's tmpfs has no user.* xattrs, which
# the volume tests write through a share.
mkdir -p /run/box-disk
mount -t tmpfs -o size=90% boxdisk /run/box-disk
truncate -s 16G /run/box-disk/tmp.img
mkfs.ext4 -q -E lazy_itable_init=1 /run/box-disk/tmp.img && mount -o loop /run/box-disk/tmp.img /tmp
chmod 1777 /tmp
hostname kvm-box
# Enable every cgroup controller for the children (podman, containerd).
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
done
stty -F /dev/ttyS1 raw -echo 2>/dev/null
(
	. "$x/env"
	eval "exec $(cat "$x/cmd")"
) </dev/null >/dev/ttyS1 2>&1 &
cmd=$!
# As PID 1 (bash reaps every orphan as it goes) print a heartbeat on the
# console while the command runs: box.sh takes a silent box for a hung one.
# PID 1 does it because a test may kill any other process in the box.
n=0
while kill -0 "$cmd" 2>/dev/null; do
	[ $((n % 10)) = 0 ] && echo "kvm-box: alive $(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS0
	n=$((n + 1))
	sleep 1
done
wait "$cmd"
rc=$?
echo "$rc" >"$x/rc"
sync
/bin/busybox poweroff -f
