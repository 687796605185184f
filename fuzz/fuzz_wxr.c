/*
 * Fuzz target for issue 11's WXR reader (porting/wxr.c), from memory: any
 * bytes give either the items or an error naming a line, never a crash,
 * and an error always starts "line N: ".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "porting/porting.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int channel(void *ctx, const struct mh_wxr_channel *ch)
{
	(void)ctx;
	for (size_t i = 0; i < ch->n_authors; i++)
		if (ch->authors[i].login == NULL || ch->authors[i].display_name == NULL)
			abort();
	return 0;
}

static int item(void *ctx, const struct mh_wxr_item *it)
{
	size_t *count = ctx;
	(*count)++;
	if (it->title == NULL || it->content == NULL || it->post_type == NULL || it->line < 0)
		abort();
	for (size_t i = 0; i < it->n_meta; i++)
		if (it->meta[i].key == NULL || it->meta[i].value == NULL)
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n > 1 << 20)
		return 0;
	size_t count = 0;
	struct mh_wxr_handler h = { channel, item, &count };
	struct mh_buf err = MH_BUF_INIT;
	int rc = mh_wxr_read(NULL, (const char *)d, n, &h, &err);
	if (rc != 0 && (err.len < 6 || memcmp(err.ptr, "line ", 5) != 0))
		abort();
	mh_buf_free(&err);
	return 0;
}
