/*
 * fuzz/fuzz_http_headers.c: the request header values the engine
 * interprets — Accept-Encoding (mh_http_accepts_encoding) and If-None-Match
 * (mh_http_etag_matches), Range (mh_http_parse_range) and a raw request
 * head's framing fields (mh_http_head_framing). Input: "header value\nsecond
 * part"; the second part is used as the coding name, as the entity tag, and
 * its length as the size of the representation a range is taken from.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	const char *nl = memchr(p, '\n', n);
	struct mh_str value = { p, nl ? (size_t)(nl - p) : n };
	struct mh_str second = nl ? (struct mh_str){ nl + 1, n - value.len - 1 } : MH_STR("\"x\"");

	/* An exact-size copy: reads past the end are caught by ASan. */
	char *v = malloc(value.len ? value.len : 1);
	memcpy(v, value.ptr, value.len);
	struct mh_str hv = { v, value.len };

	static const char *codings[] = { "gzip", "br", "identity", "*" };
	for (size_t i = 0; i < sizeof(codings) / sizeof(codings[0]); i++)
		(void)mh_http_accepts_encoding(hv, codings[i]);
	char *coding = strndup(second.ptr, second.len);
	(void)mh_http_accepts_encoding(hv, coding);
	free(coding);

	char *tag = malloc(second.len ? second.len : 1);
	memcpy(tag, second.ptr, second.len);
	bool m = mh_http_etag_matches(hv, (struct mh_str){ tag, second.len });
	/* "*" matches any non-empty tag, and a tag always matches itself quoted. */
	if (value.len == 1 && v[0] == '*' && second.len > 0)
		MH_ASSERT(m);
	free(tag);

	uint64_t first = 0, len = 0, size = second.len;
	enum mh_http_range rr = mh_http_parse_range(hv, size, &first, &len);
	if (rr == MH_RANGE_PART)
		MH_ASSERT(len >= 1 && first < size && len <= size - first);
	unsigned cl, te;
	mh_http_head_framing(hv, &cl, &te);
	free(v);
	return 0;
}
