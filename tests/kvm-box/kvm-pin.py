#!/usr/bin/env python3
# Holds one idle VM open in the box for the box's whole life.  Each VM that
# starts and stops flips KVM's static keys (a vCPU's local APIC is created
# software-disabled, apic_sw_disabled goes 0 -> 1 -> 0), and every flip
# patches kernel text on all CPUs.  Under QEMU's TCG that cross-CPU code
# patching is where hung boxes were caught (exc_int3, text-poke IPIs):
# with this vCPU's APIC never enabled, the key stays on and is not patched
# again.  The VM never runs.
import fcntl, os, signal, sys

KVM_CREATE_VM, KVM_CREATE_IRQCHIP, KVM_CREATE_VCPU = 0xAE01, 0xAE60, 0xAE41
try:
    kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
    fcntl.ioctl(vm, KVM_CREATE_IRQCHIP, 0)
    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
except OSError as e:
    print("kvm-box: kvm-pin: %s" % e, file=sys.stderr)
    sys.exit(1)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    signal.pause()
