#include "base/guest_memory.h"
#include "common/zerr.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int gmem_create(struct guest_mem *m, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	m->fd = memfd_create("zone-ram", MFD_CLOEXEC);
	if (m->fd < 0)
		return zerr(errno, "memfd_create");
	if (ftruncate(m->fd, size) < 0) {
		close(m->fd);
		return zerr(errno, "sizing guest RAM to %llu bytes", (unsigned long long)size);
	}
	m->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, m->fd, 0);
	if (m->host == MAP_FAILED) {
		close(m->fd);
		return zerr(errno, "mapping %llu bytes of guest RAM", (unsigned long long)size);
	}
	/* Guest RAM never belongs in a core dump of the VMM. */
	madvise(m->host, size, MADV_DONTDUMP);
	m->size = size;
	m->low_size = size < MMIO_HOLE_START ? size : MMIO_HOLE_START;
	return 0;
}

void gmem_destroy(struct guest_mem *m)
{
	if (m->host && m->fd >= 0)
		munmap(m->host, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->host = NULL;
	m->fd = -1;
}

void gmem_wrap(struct guest_mem *m, void *buf, uint64_t size)
{
	m->fd = -1;
	m->host = buf;
	m->size = size;
	m->low_size = size < MMIO_HOLE_START ? size : MMIO_HOLE_START;
}

void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	if (end <= m->low_size)
		return m->host + gpa;
	if (gpa >= HIGH_RAM_START && end - HIGH_RAM_START <= m->size - m->low_size)
		return m->host + m->low_size + (gpa - HIGH_RAM_START);
	return NULL;
}
