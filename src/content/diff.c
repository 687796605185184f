/*
 * diff.c: the line diff between two texts (two revisions' bodies), and the
 * field-by-field comparison of two revisions the admin and `masthead
 * article diff` show. Pure: no store access, no I/O.
 *
 * Hand-written because no Debian C library offers a line diff as a data
 * structure: GNU diffutils is a program, libgit2's xdiff prints patches and
 * is not packaged for linking on its own. The algorithm is Myers' O(ND)
 * greedy one ("An O(ND) Difference Algorithm and Its Variations", 1986)
 * with its trace kept for the way back, after the common first and last
 * lines are taken off (what most edits leave: the cost is then that of the
 * changed middle only). Lines are compared by an XXH3 hash first
 * (libxxhash), then by their bytes.
 *
 * Bounds, so that no input costs more than a few MB or a fraction of a
 * second: more than MH_DIFF_MAX_LINES lines on a side, or a shortest edit
 * of more than MH_DIFF_MAX_EDITS lines, is shown as a whole replacement of
 * the middle (every old line removed, every new one added, the common
 * first and last lines still kept), flagged whole. The trace then holds at
 * most (MH_DIFF_MAX_EDITS + 1)^2 ints (4 MB).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "content/content.h"

struct line {
	const char *ptr;
	size_t len;
	uint64_t hash;
};

/* Lines of t: split at '\n'; a '\r' before it is part of the line ending,
 * not of the line; a last line ending makes no empty line after it. */
static struct line *split_lines(struct mh_str t, size_t *n)
{
	size_t count = 0;
	for (size_t i = 0; i < t.len; i++)
		count += t.ptr[i] == '\n';
	if (t.len > 0 && t.ptr[t.len - 1] != '\n')
		count++;
	struct line *out = malloc((count > 0 ? count : 1) * sizeof(*out));
	MH_ASSERT(out != NULL);
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= t.len && k < count; i++) {
		if (i < t.len && t.ptr[i] != '\n')
			continue;
		size_t len = i - start;
		if (len > 0 && t.ptr[start + len - 1] == '\r' && i < t.len)
			len--;
		out[k].ptr = t.ptr + start;
		out[k].len = len;
		out[k].hash = XXH3_64bits(out[k].ptr, len);
		k++;
		start = i + 1;
	}
	*n = k;
	return out;
}

static bool same(const struct line *x, const struct line *y)
{
	return x->hash == y->hash && x->len == y->len && memcmp(x->ptr, y->ptr, x->len) == 0;
}

/* The edit as a list of steps, before line numbers and hunks. */
struct steps {
	enum mh_diff_op *op;
	size_t n, cap;
};

static void step_add(struct steps *s, enum mh_diff_op op)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->op = realloc(s->op, s->cap * sizeof(*s->op));
		MH_ASSERT(s->op != NULL);
	}
	s->op[s->n++] = op;
}

/* Myers on a[0..n) and b[0..m), steps appended in order. False (nothing
 * appended) when the shortest edit is longer than max_d. */
static bool myers(const struct line *a, size_t n, const struct line *b, size_t m, size_t max_d, struct steps *out)
{
	long N = (long)n, M = (long)m;
	long D = (long)(n + m < max_d ? n + m : max_d);
	long off = D + 1;
	long *v = calloc((size_t)(2 * D + 3), sizeof(*v));
	/* trace[d] holds v[-d..d] after round d: (d + 1)^2 values in all */
	int *trace = NULL;
	size_t trace_len = 0, trace_cap = 0;
	MH_ASSERT(v != NULL);
	long found = -1;
	for (long d = 0; d <= D && found < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x;
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1]; /* down: a line of b added */
			else
				x = v[off + k - 1] + 1; /* right: a line of a removed */
			long y = x - k;
			while (x < N && y < M && same(&a[x], &b[y])) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= N && y >= M)
				found = d;
		}
		if (trace_len + (size_t)(2 * d + 1) > trace_cap) {
			trace_cap = (trace_len + (size_t)(2 * d + 1)) * 2;
			trace = realloc(trace, trace_cap * sizeof(*trace));
			MH_ASSERT(trace != NULL);
		}
		for (long k = -d; k <= d; k++)
			trace[trace_len++] = (int)v[off + k];
	}
	free(v);
	if (found < 0) {
		free(trace);
		return false;
	}
	/* The way back, from (N, M) to (0, 0): steps in reverse order. */
	size_t first = out->n;
	long x = N, y = M;
	for (long d = found; d >= 0; d--) {
		long k = x - y;
		long prev_x = 0, prev_y = 0;
		if (d > 0) {
			const int *pv = trace + (size_t)((d - 1) * (d - 1)); /* round d-1's v[-(d-1)..d-1] */
			long base = d - 1;
			long prev_k;
			if (k == -d || (k != d && pv[k - 1 + base] < pv[k + 1 + base]))
				prev_k = k + 1;
			else
				prev_k = k - 1;
			prev_x = pv[prev_k + base];
			prev_y = prev_x - prev_k;
		}
		while (x > prev_x && y > prev_y) {
			step_add(out, MH_DIFF_KEEP);
			x--;
			y--;
		}
		if (d > 0) {
			step_add(out, x == prev_x ? MH_DIFF_ADD : MH_DIFF_DEL);
			x = prev_x;
			y = prev_y;
		}
	}
	free(trace);
	for (size_t i = first, j = out->n; i + 1 < j; i++, j--) {
		enum mh_diff_op t = out->op[i];
		out->op[i] = out->op[j - 1];
		out->op[j - 1] = t;
	}
	return true;
}

/* Within each run of changes, the removed lines first, then the added ones
 * (the way a reader compares a passage before and after). */
static void removed_first(struct steps *s)
{
	size_t i = 0;
	while (i < s->n) {
		if (s->op[i] == MH_DIFF_KEEP) {
			i++;
			continue;
		}
		size_t j = i, dels = 0;
		while (j < s->n && s->op[j] != MH_DIFF_KEEP)
			dels += s->op[j++] == MH_DIFF_DEL;
		for (size_t k = i; k < j; k++)
			s->op[k] = k - i < dels ? MH_DIFF_DEL : MH_DIFF_ADD;
		i = j;
	}
}

void mh_diff_lines(struct mh_arena *arena, struct mh_str old, struct mh_str new_text, int context, struct mh_diff *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = 0, m = 0;
	struct line *a = split_lines(old, &n), *b = split_lines(new_text, &m);
	struct steps st = { 0 };
	size_t pre = 0, post = 0;
	while (pre < n && pre < m && same(&a[pre], &b[pre]))
		pre++;
	while (post < n - pre && post < m - pre && same(&a[n - 1 - post], &b[m - 1 - post]))
		post++;
	for (size_t i = 0; i < pre; i++)
		step_add(&st, MH_DIFF_KEEP);
	size_t mid_a = n - pre - post, mid_b = m - pre - post;
	bool done = mid_a <= MH_DIFF_MAX_LINES && mid_b <= MH_DIFF_MAX_LINES &&
		    myers(a + pre, mid_a, b + pre, mid_b, MH_DIFF_MAX_EDITS, &st);
	if (!done) {
		out->whole = true;
		for (size_t i = 0; i < mid_a; i++)
			step_add(&st, MH_DIFF_DEL);
		for (size_t i = 0; i < mid_b; i++)
			step_add(&st, MH_DIFF_ADD);
	}
	for (size_t i = 0; i < post; i++)
		step_add(&st, MH_DIFF_KEEP);
	removed_first(&st);

	/* Which steps the hunks show: every change and up to context kept
	 * lines on each side of it (all of them when context < 0). */
	size_t total = st.n;
	bool *shown = calloc(total > 0 ? total : 1, sizeof(*shown));
	MH_ASSERT(shown != NULL);
	for (size_t i = 0; i < total; i++) {
		if (st.op[i] == MH_DIFF_KEEP)
			continue;
		if (st.op[i] == MH_DIFF_DEL)
			out->removed++;
		else
			out->added++;
		size_t lo = context < 0 || i < (size_t)context ? 0 : i - (size_t)context;
		size_t hi = context < 0 ? total - 1 : i + (size_t)context;
		if (hi >= total)
			hi = total - 1;
		for (size_t k = lo; k <= hi; k++)
			shown[k] = true;
	}
	if (out->added + out->removed == 0) {
		free(shown);
		free(st.op);
		free(a);
		free(b);
		return;
	}
	/* One hunk per run of shown steps. */
	size_t n_hunks = 0;
	for (size_t i = 0; i < total; i++)
		if (shown[i] && (i == 0 || !shown[i - 1]))
			n_hunks++;
	out->hunks = MH_NEW_ARRAY(arena, struct mh_diff_hunk, n_hunks);
	size_t ai = 0, bi = 0; /* lines of a and b passed so far */
	struct mh_diff_hunk *h = NULL;
	for (size_t i = 0; i < total; i++) {
		enum mh_diff_op op = st.op[i];
		if (shown[i]) {
			if (i == 0 || !shown[i - 1]) {
				size_t len = i;
				while (len < total && shown[len])
					len++;
				h = &out->hunks[out->n_hunks++];
				h->lines = MH_NEW_ARRAY(arena, struct mh_diff_line, len - i);
				h->old_start = (int)ai + 1;
				h->new_start = (int)bi + 1;
			}
			struct mh_diff_line *l = &h->lines[h->n_lines++];
			l->op = op;
			const struct line *src = op == MH_DIFF_ADD ? &b[bi] : &a[ai];
			l->text = (struct mh_str){ src->ptr, src->len };
			l->old_no = op == MH_DIFF_ADD ? 0 : (int)ai + 1;
			l->new_no = op == MH_DIFF_DEL ? 0 : (int)bi + 1;
			h->old_count += op != MH_DIFF_ADD;
			h->new_count += op != MH_DIFF_DEL;
		}
		ai += op != MH_DIFF_ADD;
		bi += op != MH_DIFF_DEL;
	}
	/* unified diff's convention: an empty side starts at the line before */
	for (size_t i = 0; i < out->n_hunks; i++) {
		if (out->hunks[i].old_count == 0)
			out->hunks[i].old_start--;
		if (out->hunks[i].new_count == 0)
			out->hunks[i].new_start--;
	}
	free(shown);
	free(st.op);
	free(a);
	free(b);
}

/* ---- two revisions, field by field ---- */

static const char *authors_text(struct mh_arena *a, const struct mh_article *st)
{
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < st->n_authors; i++) {
		if (i > 0)
			mh_buf_append_c(&b, ", ");
		if (st->authors[i].slug != NULL && st->authors[i].slug[0] != '\0')
			mh_buf_append_c(&b, st->authors[i].slug);
		else
			mh_buf_printf(&b, "#%lld (removed)", (long long)st->authors[i].id);
	}
	const char *out = mh_arena_strndup(a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return out;
}

static int by_text(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Tags are a set: shown sorted, so that an order alone is no change. */
static const char *tags_text(struct mh_arena *a, const struct mh_article *st)
{
	const char **names = MH_NEW_ARRAY(a, const char *, st->n_tags + 1);
	for (size_t i = 0; i < st->n_tags; i++)
		names[i] = st->tags[i].name != NULL && st->tags[i].name[0] != '\0'
				   ? st->tags[i].name
				   : mh_arena_printf(a, "#%lld (removed)", (long long)st->tags[i].id);
	qsort(names, st->n_tags, sizeof(*names), by_text);
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < st->n_tags; i++)
		mh_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	const char *out = mh_arena_strndup(a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return out;
}

static const char *section_text(struct mh_arena *a, const struct mh_article *st)
{
	if (st->section != NULL && st->section->id == st->section_id)
		return st->section->slug;
	return mh_arena_printf(a, "#%lld", (long long)st->section_id);
}

static const char *via_text(struct mh_arena *a, const struct mh_article *st)
{
	if ((st->via_name == NULL || st->via_name[0] == '\0') && (st->via_url == NULL || st->via_url[0] == '\0'))
		return "";
	return mh_arena_printf(a, "%s <%s>", st->via_name != NULL ? st->via_name : "",
			       st->via_url != NULL ? st->via_url : "");
}

static const char *time_text(struct mh_arena *a, int64_t t)
{
	if (t == 0)
		return "";
	struct mh_buf b = MH_BUF_INIT;
	mh_time_rfc3339(&b, t);
	const char *out = mh_arena_strndup(a, b.ptr, b.len);
	mh_buf_free(&b);
	return out;
}

static const char *str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

void mh_content_revision_diff(struct mh_arena *a, const struct mh_article *x, const struct mh_article *y, int context,
			      struct mh_diff_field **out, size_t *n)
{
	enum { N_FIELDS = 13 };
	struct mh_diff_field *f = MH_NEW_ARRAY(a, struct mh_diff_field, N_FIELDS);
	const char *names[N_FIELDS] = { "headline", "dek",	 "slug",     "section",   "authors",
					"tags",	    "via",	 "image",    "image_alt", "staff_pick",
					"status",   "publish_at", "body" };
	const char *before[N_FIELDS] = {
		str_or_empty(x->headline), str_or_empty(x->dek), str_or_empty(x->slug), section_text(a, x),
		authors_text(a, x), tags_text(a, x), via_text(a, x), str_or_empty(x->image_url),
		str_or_empty(x->image_alt), x->staff_pick ? "true" : "false", mh_article_status_name(x->status),
		time_text(a, x->published_at), str_or_empty(x->body_md),
	};
	const char *after[N_FIELDS] = {
		str_or_empty(y->headline), str_or_empty(y->dek), str_or_empty(y->slug), section_text(a, y),
		authors_text(a, y), tags_text(a, y), via_text(a, y), str_or_empty(y->image_url),
		str_or_empty(y->image_alt), y->staff_pick ? "true" : "false", mh_article_status_name(y->status),
		time_text(a, y->published_at), str_or_empty(y->body_md),
	};
	size_t k = 0;
	for (int i = 0; i < N_FIELDS; i++) {
		bool body = i == N_FIELDS - 1;
		struct mh_diff d = { 0 };
		if (body) {
			/* line endings are not a change (see mh_diff_lines) */
			mh_diff_lines(a, mh_str_c(before[i]), mh_str_c(after[i]), context, &d);
			if (d.n_hunks == 0)
				continue;
		} else if (strcmp(before[i], after[i]) == 0) {
			continue;
		}
		f[k] = (struct mh_diff_field){ .name = names[i], .before = before[i], .after = after[i],
					       .lines = body, .diff = d };
		k++;
	}
	*out = f;
	*n = k;
}

void mh_diff_field_text(struct mh_buf *out, const struct mh_diff_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mh_buf_printf(out, "%s:\n", f[i].name);
		if (!f[i].lines) {
			mh_buf_printf(out, "-%s\n+%s\n", f[i].before, f[i].after);
			continue;
		}
		if (f[i].diff.whole)
			mh_buf_append_c(out, "(too different to compare line by line: shown whole)\n");
		for (size_t h = 0; h < f[i].diff.n_hunks; h++) {
			const struct mh_diff_hunk *hk = &f[i].diff.hunks[h];
			mh_buf_printf(out, "@@ -%d,%d +%d,%d @@\n", hk->old_start, hk->old_count, hk->new_start,
				      hk->new_count);
			for (size_t l = 0; l < hk->n_lines; l++) {
				const struct mh_diff_line *ln = &hk->lines[l];
				mh_buf_append_ch(out, ln->op == MH_DIFF_KEEP ? ' ' : ln->op == MH_DIFF_DEL ? '-' : '+');
				mh_buf_append_str(out, ln->text);
				mh_buf_append_ch(out, '\n');
			}
		}
	}
}
