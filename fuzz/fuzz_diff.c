/*
 * Fuzz target for the line diff (mh_diff_lines). The input is two texts
 * separated by the first NUL byte (no NUL: the second half). Beyond "no
 * crash, no leak", it checks the contract: with every line shown, the kept
 * and removed lines are the old text's lines and the kept and added ones
 * the new text's, in order, with line numbers that run on; with 3 lines of
 * context the same changes are counted.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "content/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* The lines of t joined by '\n' as the diff reads them. */
static void lines_of(struct mh_buf *out, const char *t, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\r' && i + 1 < len && t[i + 1] == '\n')
			continue;
		mh_buf_append_ch(out, t[i]);
	}
	if (len > 0 && out->ptr[out->len - 1] != '\n')
		mh_buf_append_ch(out, '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *p = (const char *)d;
	const char *nul = memchr(p, '\0', n);
	size_t split = nul != NULL ? (size_t)(nul - p) : n / 2;
	struct mh_str old = { p, split };
	struct mh_str new_text = { p + split + (nul != NULL), n - split - (nul != NULL) };
	struct mh_arena *a = mh_arena_new();
	struct mh_diff all, ctx;
	mh_diff_lines(a, old, new_text, -1, &all);
	mh_diff_lines(a, old, new_text, 3, &ctx);
	MH_ASSERT(all.n_hunks <= 1);
	MH_ASSERT(all.added == ctx.added && all.removed == ctx.removed);
	MH_ASSERT((all.n_hunks == 0) == (all.added + all.removed == 0));
	struct mh_buf x = MH_BUF_INIT, y = MH_BUF_INIT, want = MH_BUF_INIT;
	for (size_t h = 0; h < all.n_hunks; h++) {
		int on = 1, nn = 1;
		for (size_t i = 0; i < all.hunks[h].n_lines; i++) {
			const struct mh_diff_line *l = &all.hunks[h].lines[i];
			if (l->op != MH_DIFF_ADD) {
				MH_ASSERT(l->old_no == on++);
				mh_buf_append_str(&x, l->text);
				mh_buf_append_ch(&x, '\n');
			}
			if (l->op != MH_DIFF_DEL) {
				MH_ASSERT(l->new_no == nn++);
				mh_buf_append_str(&y, l->text);
				mh_buf_append_ch(&y, '\n');
			}
		}
		lines_of(&want, old.ptr, old.len);
		MH_ASSERT(want.len == x.len && (x.len == 0 || memcmp(want.ptr, x.ptr, x.len) == 0));
		mh_buf_reset(&want);
		lines_of(&want, new_text.ptr, new_text.len);
		MH_ASSERT(want.len == y.len && (y.len == 0 || memcmp(want.ptr, y.ptr, y.len) == 0));
	}
	for (size_t h = 0; h < ctx.n_hunks; h++) {
		const struct mh_diff_hunk *hk = &ctx.hunks[h];
		int olds = 0, news = 0;
		for (size_t i = 0; i < hk->n_lines; i++) {
			olds += hk->lines[i].op != MH_DIFF_ADD;
			news += hk->lines[i].op != MH_DIFF_DEL;
		}
		MH_ASSERT(olds == hk->old_count && news == hk->new_count);
	}
	mh_buf_free(&x);
	mh_buf_free(&y);
	mh_buf_free(&want);
	mh_arena_free(a);
	return 0;
}
