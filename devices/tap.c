#include "devices/tap.h"
#include "devices/net_hdr.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define F(bit) (1ULL << (bit))

static int vnet_setup(int fd)
{
	int hdr = VNET_HDR_LEN, fl = fcntl(fd, F_GETFL);

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return zerr(errno, "TUNSETVNETHDRSZ");
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return zerr(errno, "making the TAP non-blocking");
	return 0;
}

int tap_open(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (!name[0] || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, '%'))
		return zerr(EINVAL, "TAP name '%s' is not a valid interface name", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return zerr(errno, "open /dev/net/tun");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return zerr(e, "TAP %s", name);
	}
	if (vnet_setup(fd) < 0) {
		close(fd);
		return zerr_prefix("TAP %s", name);
	}
	return fd;
}

int tap_adopt(int fd)
{
	struct ifreq ifr = { 0 };

	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return zerr(errno == EBADFD || errno == ENOTTY || errno == EINVAL ? EINVAL : errno,
			    "fd %d is not an attached TAP", fd);
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP)
		return zerr(EINVAL, "fd %d (%s) is a TUN, not a TAP", fd, ifr.ifr_name);
	if (!(ifr.ifr_flags & IFF_VNET_HDR) || !(ifr.ifr_flags & IFF_NO_PI))
		return zerr(EINVAL, "TAP %s on fd %d lacks IFF_VNET_HDR or IFF_NO_PI",
			    ifr.ifr_name, fd);
	return vnet_setup(fd) < 0 ? zerr_prefix("TAP %s", ifr.ifr_name) : 0;
}

static unsigned tun_offloads(uint64_t f)
{
	unsigned o = 0;

	if (f & F(VIRTIO_NET_F_GUEST_CSUM)) {
		o |= TUN_F_CSUM;
		if (f & F(VIRTIO_NET_F_GUEST_TSO4))
			o |= TUN_F_TSO4;
		if (f & F(VIRTIO_NET_F_GUEST_TSO6))
			o |= TUN_F_TSO6;
	}
	return o;
}

int tap_set_offload(int fd, uint64_t f)
{
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_offloads(f)) < 0)
		return zerr(errno, "TUNSETOFFLOAD");
	return 0;
}

bool tap_offload_supported(int fd)
{
	bool ok = ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) == 0;

	/* nothing until the driver says what it takes */
	ioctl(fd, TUNSETOFFLOAD, 0UL);
	return ok;
}
