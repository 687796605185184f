/*
 * Fuzz target for the Markdown path: cmark-gfm with our extensions and the
 * embed rewriting, the lead extraction, the YouTube URL parser and the
 * slugifier, all fed the same bytes. Checks the one promise the renderer
 * makes beyond not crashing: no raw "<script" reaches the output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_str in = { (const char *)d, n };
	struct mh_buf html = MH_BUF_INIT, lead = MH_BUF_INIT, slug = MH_BUF_INIT;
	mh_content_markdown(in, &html, &lead, 2);
	if (html.len > 0 && memmem(html.ptr, html.len, "<script", 7) != NULL)
		abort();
	if (lead.len > html.len + 1)
		abort(); /* the lead is a part of the body */

	char id[12];
	if (mh_content_youtube_id(in, id)) {
		for (int i = 0; i < 11; i++) {
			char c = id[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			      c == '-'))
				abort();
		}
		if (id[11] != '\0')
			abort();
	}
	mh_content_slugify(&slug, in);
	if (!mh_content_slug_valid(mh_buf_str(&slug)) && !mh_str_eq_c(mh_buf_str(&slug), "article"))
		abort();
	mh_buf_free(&html);
	mh_buf_free(&lead);
	mh_buf_free(&slug);
	return 0;
}
