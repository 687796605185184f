/*
 * Fuzz target for site.ini parsing (mh_config_parse). Beyond "no crash, no
 * leak", it checks the parser's contract: success leaves every required
 * string set, failure always explains itself as "NAME:LINE: ..." or
 * "NAME: ...".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_config c;
	struct mh_buf err = MH_BUF_INIT;
	bool ok = mh_config_parse(&c, "fuzz.ini", (const char *)d, n, &err);
	if (ok) {
		MH_ASSERT(err.len == 0);
		MH_ASSERT(c.title && *c.title && c.base_url && c.timezone && c.language && c.database);
		MH_ASSERT(c.listen && c.theme_dir && c.tagline && c.video_channel_url && c.social_links);
		MH_ASSERT(c.threads >= 0 && c.max_connections > 0 && c.max_body_bytes > 0);
	} else {
		MH_ASSERT(err.len > 0 && strncmp(mh_buf_cstr(&err), "fuzz.ini:", 9) == 0);
		MH_ASSERT(memchr(err.ptr, '\n', err.len) == NULL);
	}
	mh_config_free(&c);
	mh_buf_free(&err);
	return 0;
}
