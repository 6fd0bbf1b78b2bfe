#include "oci/digest.h"
#include "common/zerr.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest_ctx {
	EVP_MD_CTX *md;
};

struct digest_ctx *digest_new(void)
{
	struct digest_ctx *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->md = EVP_MD_CTX_new();
	if (!d->md || !EVP_DigestInit_ex(d->md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(d->md);
		free(d);
		return NULL;
	}
	return d;
}

void digest_update(struct digest_ctx *d, const void *buf, size_t len)
{
	EVP_DigestUpdate(d->md, buf, len);
}

void digest_final(struct digest_ctx *d, char out[DIGEST_STR_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(d->md, md, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
	out[DIGEST_STR_LEN] = 0;
	EVP_DigestInit_ex(d->md, EVP_sha256(), NULL);
}

void digest_free(struct digest_ctx *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->md);
	free(d);
}

void digest_buf(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
	out[DIGEST_STR_LEN] = 0;
}

bool digest_valid(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != DIGEST_STR_LEN)
		return false;
	for (const char *p = s + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int digest_check(const char *s, const char *what)
{
	if (digest_valid(s))
		return 0;
	return zerr(0, "%s: '%.80s' is not a sha256 digest", what, s ? s : "(none)");
}
