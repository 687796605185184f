/*
 * Fuzz target for what a request's path and page number go through before a
 * handler runs: the route table (mh_site_route_find), the path's
 * percent-decoding (mh_url_decode) and the number parser behind ?page=
 * (mh_str_to_i64). Input: "path\nnumber". Checks the route table's promises:
 * a prefix route's argument is the non-empty rest of the path, one segment
 * (sub-folders only under /media/), and a parsed number prints back the same.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *nl = memchr(d, '\n', n);
	size_t plen = nl ? (size_t)(nl - (const char *)d) : n;
	/* An exact-size copy: reads past the end are caught by ASan. */
	char *path = malloc(plen ? plen : 1);
	memcpy(path, d, plen);
	struct mh_str p = { path, plen };

	struct mh_str arg = { NULL, 0 };
	const struct mh_site_route *rt = mh_site_route_find(p, &arg);
	if (rt != NULL) {
		size_t pre = strlen(rt->prefix);
		MH_ASSERT(plen >= pre && memcmp(path, rt->prefix, pre) == 0);
		if (rt->exact) {
			MH_ASSERT(plen == pre && arg.len == 0);
		} else {
			MH_ASSERT(arg.len > 0 && arg.ptr == path + pre && arg.len == plen - pre);
			if (rt->raw != mh_site_media)
				MH_ASSERT(memchr(arg.ptr, '/', arg.len) == NULL);
		}
	}
	struct mh_arena *a = mh_arena_new();
	struct mh_str dec;
	if (mh_url_decode(a, p, false, &dec))
		MH_ASSERT(dec.len <= plen && dec.ptr[dec.len] == '\0');
	mh_arena_free(a);
	free(path);

	if (nl != NULL) {
		size_t len = n - plen - 1;
		char *num = malloc(len ? len : 1);
		memcpy(num, nl + 1, len);
		int64_t v;
		if (mh_str_to_i64((struct mh_str){ num, len }, &v)) {
			char back[32];
			int k = snprintf(back, sizeof(back), "%" PRId64, v);
			/* digits only, so leading zeros ("007") are the one difference */
			size_t skip = 0, neg = num[0] == '-';
			while (neg + skip + 1 < len && num[neg + skip] == '0')
				skip++;
			if (v != 0 || !neg)
				MH_ASSERT((size_t)k == len - skip && memcmp(back + neg, num + neg + skip, len - neg - skip) == 0);
		}
		free(num);
	}
	return 0;
}
