/*
 * fuzz/fuzz_cookies.c: Cookie header values (mh_http_parse_cookies), the
 * input behind mh_request_cookie.
 */
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static bool touch(struct mh_str name, struct mh_str value, void *arg)
{
	size_t *sum = arg;
	MH_ASSERT(name.len > 0);
	for (size_t i = 0; i < name.len; i++)
		*sum += (unsigned char)name.ptr[i];
	for (size_t i = 0; i < value.len; i++)
		*sum += (unsigned char)value.ptr[i];
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_arena *a = mh_arena_new();
	size_t sum = 0;
	mh_http_parse_cookies(a, (struct mh_str){ (const char *)d, n }, touch, &sum);
	mh_arena_free(a);
	return 0;
}
