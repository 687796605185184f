/*
 * fuzz/fuzz_multipart.c: multipart/form-data bodies (mh_http_parse_multipart)
 * and the Content-Type that names their boundary. The first line of the
 * input is the Content-Type; the rest is the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *s = (const char *)d;
	const char *nl = memchr(s, '\n', n);
	size_t ct_len = nl == NULL ? n : (size_t)(nl - s);
	struct mh_str body = nl == NULL ? MH_STR("") : (struct mh_str){ nl + 1, n - ct_len - 1 };
	struct mh_arena *a = mh_arena_new();
	struct mh_str boundary;
	if (!mh_http_multipart_boundary(a, (struct mh_str){ s, ct_len }, &boundary))
		boundary = MH_STR("XyZ");
	struct mh_http_part *parts;
	size_t np;
	const char *err;
	if (mh_http_parse_multipart(a, boundary, body, 64, &parts, &np, &err)) {
		for (size_t i = 0; i < np; i++) {
			/* every slice lies inside the body or the arena; touch it all */
			MH_ASSERT(parts[i].name.len > 0);
			MH_ASSERT(parts[i].data.ptr >= body.ptr && parts[i].data.ptr + parts[i].data.len <= body.ptr + body.len);
			size_t sum = 0;
			for (size_t j = 0; j < parts[i].filename.len; j++)
				sum += (unsigned char)parts[i].filename.ptr[j];
			MH_ASSERT(sum <= 255 * parts[i].filename.len);
		}
	} else {
		MH_ASSERT(err != NULL);
	}
	mh_arena_free(a);
	return 0;
}
