/* Tiny unit-test helpers: CHECK prints PASS/FAIL lines that tests/run.sh counts. */
#ifndef ZONE_TEST_CHECK_H
#define ZONE_TEST_CHECK_H
#include <stdio.h>

static int check_failures;

#define CHECK(cond, name)                                                          \
	do {                                                                       \
		if (cond) {                                                        \
			printf("PASS: %s: %s\n", __FILE__, name);                  \
		} else {                                                           \
			printf("FAIL: %s: %s (%s, line %d)\n", __FILE__, name, #cond, \
			       __LINE__);                                          \
			check_failures++;                                          \
		}                                                                  \
	} while (0)

#define CHECK_DONE() return check_failures ? 1 : 0
#endif
