/*
 * Fuzz target for issue 11's WordPress body converter: WordPress HTML with
 * block comments and shortcodes into Markdown (porting/wphtml.c), then
 * through the renderer as an imported article is. Checks the converter's
 * promise beyond not crashing: nothing it brings in becomes script on the
 * page (no <script, no <iframe, no javascript: address, no on* attribute
 * the input could have set), and the dek's text has no markup left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"
#include "porting/porting.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static const char *image(void *arg, struct mh_arena *a, const char *url)
{
	(void)arg;
	/* every other image "brought": both paths of the walk run */
	return strlen(url) % 2 ? mh_arena_strdup(a, "/media/0123456789abcdef.png") : NULL;
}

static const char *attachment(void *arg, struct mh_arena *a, int64_t id)
{
	(void)arg;
	return id % 2 ? mh_arena_printf(a, "/media/%lld.png", (long long)id) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_str in = { (const char *)d, n };
	struct mh_arena *a = mh_arena_new();
	struct mh_wphtml cv = { .image = image, .attachment = attachment };
	struct mh_buf md = MH_BUF_INIT, html = MH_BUF_INIT, dek = MH_BUF_INIT;
	mh_wphtml_to_markdown(a, in, &cv, &md);
	mh_content_markdown(mh_buf_str(&md), &html, NULL, 2);
	if (html.len > 0 && (memmem(html.ptr, html.len, "<script", 7) != NULL ||
			     memmem(html.ptr, html.len, "<iframe", 7) != NULL ||
			     memmem(html.ptr, html.len, "href=\"javascript:", 17) != NULL ||
			     memmem(html.ptr, html.len, "src=\"javascript:", 16) != NULL ||
			     memmem(html.ptr, html.len, " onerror=", 9) != NULL ||
			     memmem(html.ptr, html.len, " onload=", 8) != NULL ||
			     memmem(html.ptr, html.len, " onclick=", 9) != NULL))
		abort();
	mh_wphtml_text(in, &dek);
	if (dek.len > 0 && memmem(dek.ptr, dek.len, "<script", 7) != NULL && memmem(in.ptr, in.len, "&lt;script", 10) == NULL)
		abort(); /* a script element's text never reaches the dek */
	mh_buf_free(&md);
	mh_buf_free(&html);
	mh_buf_free(&dek);
	mh_arena_free(a);
	return 0;
}
