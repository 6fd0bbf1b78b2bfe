/* vmm/boot.c find_boot_file: the lookup order zone-vmm uses for the kernel
 * and the initramfs (explicit path, then $env, then the first readable
 * candidate; relative candidates are relative to the executable). */
#include "tests/unit/check.h"
#include "vmm/boot.h"
#include "common/zerr.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/zone-test-boot-file.XXXXXX";

static void touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

/* found == want, both may be NULL */
static int same(char *found, const char *want)
{
	int ok = (!found && !want) || (found && want && !strcmp(found, want));

	free(found);
	return ok;
}

int main(void)
{
	char first[PATH_MAX], second[PATH_MAX], missing[PATH_MAX], rel[PATH_MAX];
	char sibling[PATH_MAX + 64];

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		CHECK_DONE();
	}
	snprintf(first, sizeof(first), "%s/first", dir);
	snprintf(second, sizeof(second), "%s/second", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	touch(first);
	touch(second);
	unsetenv("ZONE_TEST_BOOT");

	const char *const both[] = { first, second, NULL };
	const char *const skip[] = { missing, second, first, NULL };
	const char *const none[] = { missing, NULL };

	CHECK(same(find_boot_file("/explicit/path", "ZONE_TEST_BOOT", both, "kernel"),
		   "/explicit/path"),
	      "an explicit path wins over everything");
	setenv("ZONE_TEST_BOOT", "/from/env", 1);
	CHECK(same(find_boot_file(NULL, "ZONE_TEST_BOOT", both, "kernel"), "/from/env"),
	      "$env wins over the candidates");
	setenv("ZONE_TEST_BOOT", "", 1);
	CHECK(same(find_boot_file(NULL, "ZONE_TEST_BOOT", both, "kernel"), first),
	      "an empty $env is ignored");
	unsetenv("ZONE_TEST_BOOT");
	CHECK(same(find_boot_file(NULL, "ZONE_TEST_BOOT", both, "kernel"), first),
	      "the first candidate that exists wins");
	CHECK(same(find_boot_file(NULL, "ZONE_TEST_BOOT", skip, "kernel"), second),
	      "missing candidates are skipped, order is kept");
	zerr_clear();
	CHECK(same(find_boot_file(NULL, "ZONE_TEST_BOOT", none, "kernel"), NULL),
	      "nothing found: NULL");
	CHECK(strstr(zerr_msg(), "no kernel found") != NULL, "nothing found: the error says what");

	/* A relative candidate is looked up next to the executable, as
	 * "vmlinux" finds build/vmlinux for build/zone-vmm. */
	snprintf(rel, sizeof(rel), "zone-test-boot-file.%d", (int)getpid());
	snprintf(sibling, sizeof(sibling), "%s/%s", exe_dir(), rel);
	touch(sibling);
	const char *const relative[] = { rel, first, NULL };
	CHECK(same(find_boot_file(NULL, NULL, relative, "kernel"), sibling),
	      "a relative candidate resolves next to the executable, before later ones");
	unlink(sibling);
	CHECK(same(find_boot_file(NULL, NULL, relative, "kernel"), first),
	      "a missing relative candidate falls through to the next");

	unlink(first);
	unlink(second);
	rmdir(dir);
	CHECK_DONE();
}
