/* A seccomp filter for the processes that write host files on a guest's
 * behalf (virtiofsd): no setuid bit, and no setgid bit on a group-executable
 * file, may be set by chmod or at creation.  Guest root is host root on a
 * share, so without it a guest could leave a setuid-root program on the
 * host.  Such calls fail with EPERM; everything else is allowed. */
#ifndef ZONE_SETID_FILTER_H
#define ZONE_SETID_FILTER_H

/* Load the filter on the calling thread (inherited by children and kept
 * across exec).  0, or -1 with zerr set. */
int setid_filter_load(void);

#endif
