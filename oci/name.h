/* Image names: NAME[:TAG], e.g. "demo", "localhost/demo:1.0". */
#ifndef ZONE_OCI_NAME_H
#define ZONE_OCI_NAME_H

/* Validates NAME[:TAG] or NAME@sha256:HEX (NAME may start with HOST:PORT/)
 * and adds ":latest" when there is neither.  *out is malloc'd. */
int image_name_normalize(const char *in, char **out);
/* A name for an import without --name: the source's own name when it has
 * one (annotations), else the file's base name with the ref's tag. */
int image_name_default(const char *annotated, const char *ref_tag, const char *path, char **out);

#endif
