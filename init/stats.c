#include "init/stats.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint64_t ticks_to_us(unsigned long long t)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? t * (1000000ull / (uint64_t)hz) : 0;
}

int stats_zone(struct idm_stats *st)
{
	unsigned long long user, nice, sys, total_kb = 0, avail_kb = 0;
	unsigned running, tasks;
	char line[256];
	FILE *f;

	f = fopen("/proc/stat", "re");
	if (!f)
		return zerr(errno, "/proc/stat");
	if (fscanf(f, "cpu %llu %llu %llu", &user, &nice, &sys) != 3) {
		fclose(f);
		return zerr(0, "cannot parse /proc/stat");
	}
	fclose(f);
	st->cpu_user_us = ticks_to_us(user + nice);
	st->cpu_system_us = ticks_to_us(sys);

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return zerr(errno, "/proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MemTotal: %llu kB", &total_kb);
		sscanf(line, "MemAvailable: %llu kB", &avail_kb);
	}
	fclose(f);
	st->mem_total = total_kb * 1024;
	st->mem_available = avail_kb * 1024;

	/* 4th field of loadavg: runnable/total scheduling entities. */
	f = fopen("/proc/loadavg", "re");
	if (!f)
		return zerr(errno, "/proc/loadavg");
	if (fscanf(f, "%*s %*s %*s %u/%u", &running, &tasks) == 2)
		st->pids = tasks;
	fclose(f);
	return 0;
}

int stats_pid(pid_t pid, struct idm_stats *st)
{
	unsigned long long ut, stime, cut, cst, size, rss;
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return zerr(errno, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* comm may contain spaces and ')': fields restart after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 &ut, &stime, &cut, &cst) != 4)
		return zerr(0, "cannot parse %s", path);
	st->proc_cpu_user_us = ticks_to_us(ut + cut);
	st->proc_cpu_system_us = ticks_to_us(stime + cst);

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return zerr(errno, "%s", path);
	if (fscanf(f, "%llu %llu", &size, &rss) != 2) {
		fclose(f);
		return zerr(0, "cannot parse %s", path);
	}
	fclose(f);
	st->proc_rss = rss * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}
