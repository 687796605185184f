/*
 * fuzz/fuzz_subscribers_csv.c: the CSV reader of `masthead newsletter
 * subscribers import` (mh_newsletter_csv_parse) over any bytes: every
 * record handed over must lie within the input's size, and the parse must
 * end (no read past the end, no endless loop on a stray quote).
 */
#include <stddef.h>
#include <stdint.h>

#include "audience/newsletter.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

struct seen {
	size_t records, bytes, limit;
};

static bool record(void *ctx, size_t line, const struct mh_str *f, size_t n)
{
	struct seen *s = ctx;
	(void)line;
	s->records++;
	for (size_t i = 0; i < n; i++)
		s->bytes += f[i].len;
	MH_ASSERT(s->bytes <= s->limit);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct seen s = { 0, 0, n };
	struct mh_buf err = MH_BUF_INIT;
	(void)mh_newsletter_csv_parse((struct mh_str){ (const char *)d, n }, record, &s, &err);
	mh_buf_free(&err);
	return 0;
}
