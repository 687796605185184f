/*
 * Fuzz target for site.ini parsing (mh_config_parse: the engine in
 * util/config.c with every module's table from cli/config.c). Beyond "no
 * crash, no leak", it checks the parser's contract: success leaves every
 * required string set, failure leaves the defaults and always explains itself
 * as "NAME:LINE: ..." or "NAME: ...".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_config c;
	struct mh_buf err = MH_BUF_INIT;
	bool ok = mh_config_parse(&c, "fuzz.ini", (const char *)d, n, &err);
	MH_ASSERT(c.site.title && *c.site.title && c.site.base_url && c.site.timezone && c.site.language);
	MH_ASSERT(c.store.url && *c.store.url && c.server.listen && c.site.theme_dir && c.site.tagline);
	MH_ASSERT(c.site.video_channel_url && c.site.social_links && c.purge.varnish && c.purge.method);
	MH_ASSERT(c.server.threads >= 0 && c.server.max_connections > 0 && c.server.max_body_bytes > 0);
	if (ok) {
		MH_ASSERT(err.len == 0);
	} else {
		MH_ASSERT(err.len > 0 && strncmp(mh_buf_cstr(&err), "fuzz.ini:", 9) == 0);
		MH_ASSERT(memchr(err.ptr, '\n', err.len) == NULL);
		MH_ASSERT(strcmp(c.site.title, "Masthead") == 0 && c.server.threads == 0); /* the defaults */
	}
	mh_config_free(&c);
	mh_buf_free(&err);
	return 0;
}
