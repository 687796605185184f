/*
 * Fuzz target for the escapers client bytes go through on their way out
 * (util/escape.c) and for the logger's sanitizer (mh_log_sanitize), with the
 * promises each makes checked on its output: no markup character survives
 * HTML/attribute escaping, a percent-encoded value decodes back to itself
 * (mh_url_decode), JSON output has no raw control character, quote, '<' or
 * backslash outside an escape, XML output no '<' or '&' outside an entity
 * reference, and a log line gets no control or non-ASCII byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_str in = { (const char *)d, n };
	struct mh_buf b = MH_BUF_INIT;

	mh_escape_html(&b, in);
	mh_escape_attr(&b, in);
	for (size_t i = 0; i < b.len; i++)
		MH_ASSERT(b.ptr[i] != '<' && b.ptr[i] != '>' && b.ptr[i] != '"' && b.ptr[i] != '\'');

	/* percent-encoding: only unreserved bytes and %XX, and it decodes back */
	mh_buf_reset(&b);
	mh_escape_url(&b, in);
	for (size_t i = 0; i < b.len; i++)
		MH_ASSERT((unsigned char)b.ptr[i] > 0x20 && (unsigned char)b.ptr[i] < 0x7f && b.ptr[i] != '"' &&
			  b.ptr[i] != '<' && b.ptr[i] != ' ' && b.ptr[i] != '&' && b.ptr[i] != '?' && b.ptr[i] != '#');
	struct mh_arena *a = mh_arena_new();
	struct mh_str back;
	MH_ASSERT(mh_url_decode(a, mh_buf_str(&b), false, &back));
	MH_ASSERT(back.len == n && (n == 0 || memcmp(back.ptr, d, n) == 0));
	/* and the raw bytes decode or are refused, without reading past the end */
	(void)mh_url_decode(a, in, true, &back);
	mh_arena_free(a);

	mh_buf_reset(&b);
	mh_escape_json(&b, in);
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.ptr[i];
		MH_ASSERT(c >= 0x20 && c != '"' && c != '<' && c != '>' && c != '&');
		if (c == '\\') {
			MH_ASSERT(i + 1 < b.len && strchr("\"\\/bfnrtu", b.ptr[i + 1]) != NULL);
			i++;
		}
	}

	mh_buf_reset(&b);
	mh_escape_xml(&b, in);
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.ptr[i];
		MH_ASSERT(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		MH_ASSERT(c != '<' && c != '>');
		if (c == '&') {
			const char *semi = memchr(b.ptr + i, ';', b.len - i);
			MH_ASSERT(semi != NULL && semi - (b.ptr + i) <= 8);
		}
	}

	mh_buf_reset(&b);
	mh_log_sanitize(&b, in);
	for (size_t i = 0; i < b.len; i++)
		MH_ASSERT((unsigned char)b.ptr[i] >= 0x20 && (unsigned char)b.ptr[i] < 0x7f);

	mh_buf_free(&b);
	return 0;
}
