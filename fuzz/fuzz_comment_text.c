/*
 * Fuzz target for comment text (audience/comment_text.c), which strangers
 * write: besides not crashing, the output must be well-formed (every
 * element the renderer opens is closed, in order, and only its own few
 * elements appear), hold no script, and every link must be http(s) with
 * rel="nofollow ugc noopener". Run with a time limit per input
 * (scripts/run-fuzz gives this target -timeout=1, fuzz/min-coverage's third
 * column): the renderer must stay linear on the inputs that made old
 * cmark-gfm quadratic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audience/audience.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static const char *const allowed[] = { "p", "br", "blockquote", "em", "strong", "a" };

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	if (n > 200000)
		return 0;
	struct mh_buf out = MH_BUF_INIT;
	mh_comment_text_render(&out, (struct mh_str){ (const char *)d, n });
	const char *p = out.ptr != NULL ? out.ptr : "";
	const char *end = p + out.len;
	const char *stack[64];
	int depth = 0;
	for (const char *t = memchr(p, '<', out.len); t != NULL; t = memchr(t + 1, '<', (size_t)(end - t - 1))) {
		bool closing = t[1] == '/';
		const char *name = t + 1 + closing;
		size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyz");
		const char *gt = memchr(t, '>', (size_t)(end - t));
		if (gt == NULL)
			abort(); /* a '<' the escaper let through */
		bool known = false;
		for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
			known |= strlen(allowed[i]) == len && memcmp(allowed[i], name, len) == 0;
		if (!known)
			abort();
		if (len == 2 && memcmp(name, "br", 2) == 0)
			continue;
		if (closing) {
			if (depth == 0 || strlen(stack[depth - 1]) != len || memcmp(stack[depth - 1], name, len) != 0)
				abort(); /* closed what is not open */
			depth--;
			continue;
		}
		if (len == 1 && name[0] == 'a') {
			static const char rel[] = "\" rel=\"nofollow ugc noopener\">";
			if (strncmp(t, "<a href=\"http", 13) != 0 || (size_t)(gt - t) < sizeof rel - 1 ||
			    memcmp(gt - (sizeof rel - 2), rel, sizeof rel - 1) != 0)
				abort();
			if (strncasecmp(t + 9, "https://", 8) != 0 && strncasecmp(t + 9, "http://", 7) != 0)
				abort();
		}
		for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
			if (strlen(allowed[i]) == len && memcmp(allowed[i], name, len) == 0)
				stack[depth] = allowed[i];
		if (++depth >= 64)
			abort(); /* the subset nests three deep at most */
	}
	if (depth != 0)
		abort(); /* left open */
	/* (a "javascript:" shown as text is harmless: only hrefs run, and each
	 * was checked to be http(s) above) */
	if (out.len > 0 && memmem(out.ptr, out.len, "<script", 7) != NULL)
		abort();
	mh_buf_free(&out);
	return 0;
}
