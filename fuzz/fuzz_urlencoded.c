/*
 * fuzz/fuzz_urlencoded.c: query strings and urlencoded form bodies
 * (mh_http_parse_urlencoded), the input behind mh_request_query/form.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static bool touch(struct mh_str name, struct mh_str value, void *arg)
{
	/* Read every byte so that a bad length shows up under ASan. */
	size_t *sum = arg;
	for (size_t i = 0; i < name.len; i++)
		*sum += (unsigned char)name.ptr[i];
	for (size_t i = 0; i < value.len; i++)
		*sum += (unsigned char)value.ptr[i];
	MH_ASSERT(name.ptr[name.len] == '\0' && value.ptr[value.len] == '\0');
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_arena *a = mh_arena_new();
	size_t sum = 0;
	mh_http_parse_urlencoded(a, (struct mh_str){ (const char *)d, n }, touch, &sum);
	mh_arena_free(a);
	return 0;
}
