/* content/diff.c: the line diff and the field-by-field comparison of two
 * revisions. Each line diff is also checked by applying it: the kept and
 * removed lines must give back the old text, the kept and added ones the
 * new text, so a wrong edit script cannot pass. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"

static struct mh_arena *ar;
static void setup(void)
{
	ar = mh_arena_new();
}
static void teardown(void)
{
	mh_arena_free(ar);
}
TestSuite(diff, .init = setup, .fini = teardown);

/* The lines of t as the diff sees them, "\n"-joined ("\r\n" as "\n"). */
static char *normal(const char *t)
{
	struct mh_buf b = MH_BUF_INIT;
	size_t n = strlen(t);
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\r' && i + 1 < n && t[i + 1] == '\n')
			continue;
		mh_buf_append_ch(&b, t[i]);
	}
	if (b.len > 0 && b.ptr[b.len - 1] != '\n')
		mh_buf_append_ch(&b, '\n');
	char *out = strdup(mh_buf_cstr(&b));
	mh_buf_free(&b);
	return out;
}

/* Diffs with every line shown (context -1) and checks that the script
 * rebuilds both sides, with consistent numbers; returns the diff. */
static struct mh_diff check(const char *old, const char *new_text)
{
	struct mh_diff d;
	mh_diff_lines(ar, mh_str_c(old), mh_str_c(new_text), -1, &d);
	struct mh_buf a = MH_BUF_INIT, b = MH_BUF_INIT;
	int added = 0, removed = 0;
	cr_assert_leq(d.n_hunks, 1, "context -1 gives one hunk");
	for (size_t h = 0; h < d.n_hunks; h++) {
		const struct mh_diff_hunk *hk = &d.hunks[h];
		int on = hk->old_start, nn = hk->new_start;
		if (hk->old_count == 0)
			on++;
		if (hk->new_count == 0)
			nn++;
		for (size_t i = 0; i < hk->n_lines; i++) {
			const struct mh_diff_line *l = &hk->lines[i];
			if (l->op != MH_DIFF_ADD) {
				cr_assert_eq(l->old_no, on++, "old line numbers run on");
				mh_buf_append_str(&a, l->text);
				mh_buf_append_ch(&a, '\n');
			} else {
				cr_assert_eq(l->old_no, 0);
			}
			if (l->op != MH_DIFF_DEL) {
				cr_assert_eq(l->new_no, nn++, "new line numbers run on");
				mh_buf_append_str(&b, l->text);
				mh_buf_append_ch(&b, '\n');
			} else {
				cr_assert_eq(l->new_no, 0);
			}
			added += l->op == MH_DIFF_ADD;
			removed += l->op == MH_DIFF_DEL;
		}
	}
	cr_assert_eq(added, d.added);
	cr_assert_eq(removed, d.removed);
	if (d.n_hunks == 1) {
		char *na = normal(old), *nb = normal(new_text);
		cr_assert_str_eq(mh_buf_cstr(&a), na, "kept + removed give the old text");
		cr_assert_str_eq(mh_buf_cstr(&b), nb, "kept + added give the new text");
		free(na);
		free(nb);
	}
	mh_buf_free(&a);
	mh_buf_free(&b);
	return d;
}

/* The ops of the (one) hunk as a string: "=-+" */
static const char *ops(const struct mh_diff *d)
{
	struct mh_buf b = MH_BUF_INIT;
	for (size_t h = 0; h < d->n_hunks; h++)
		for (size_t i = 0; i < d->hunks[h].n_lines; i++)
			mh_buf_append_ch(&b, "=-+"[d->hunks[h].lines[i].op]);
	const char *out = mh_arena_strndup(ar, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return out;
}

Test(diff, empty_texts)
{
	struct mh_diff d = check("", "");
	cr_assert_eq(d.n_hunks, 0);
	d = check("", "one\ntwo\n");
	cr_assert_str_eq(ops(&d), "++");
	cr_assert_eq(d.hunks[0].old_start, 0);
	cr_assert_eq(d.hunks[0].old_count, 0);
	cr_assert_eq(d.hunks[0].new_start, 1);
	cr_assert_eq(d.hunks[0].new_count, 2);
	d = check("one\ntwo\n", "");
	cr_assert_str_eq(ops(&d), "--");
	cr_assert_eq(d.removed, 2);
	cr_assert_eq(d.added, 0);
}

Test(diff, identical_texts)
{
	struct mh_diff d = check("a\nb\nc\n", "a\nb\nc\n");
	cr_assert_eq(d.n_hunks, 0);
	cr_assert_eq(d.added + d.removed, 0);
	/* a last line ending is not a line */
	d = check("a\nb", "a\nb\n");
	cr_assert_eq(d.n_hunks, 0);
}

Test(diff, crlf_and_lf_are_the_same_lines)
{
	struct mh_diff d = check("one\r\ntwo\r\nthree\r\n", "one\ntwo\nthree\n");
	cr_assert_eq(d.n_hunks, 0);
	d = check("one\r\ntwo\r\n", "one\nTWO\n");
	cr_assert_str_eq(ops(&d), "=-+");
	cr_assert(mh_str_eq_c(d.hunks[0].lines[1].text, "two"), "no \\r left in the text");
	/* a lone \r inside a line is content */
	d = check("a\rb\n", "a\nb\n");
	cr_assert_eq(d.removed, 1);
	cr_assert_eq(d.added, 2);
}

Test(diff, all_different)
{
	struct mh_diff d = check("a\nb\nc\n", "x\ny\n");
	cr_assert_str_eq(ops(&d), "---++", "removed first, then added");
	cr_assert_not(d.whole);
}

Test(diff, a_real_shortest_edit)
{
	/* Myers' paper's example: ABCABBA -> CBABAC takes 5 edits */
	struct mh_diff d = check("A\nB\nC\nA\nB\nB\nA\n", "C\nB\nA\nB\nA\nC\n");
	cr_assert_eq(d.added + d.removed, 5, "%s", ops(&d));
	/* one line changed in the middle of many */
	struct mh_buf a = MH_BUF_INIT, b = MH_BUF_INIT;
	for (int i = 0; i < 200; i++) {
		mh_buf_printf(&a, "line %d\n", i);
		mh_buf_printf(&b, i == 100 ? "line %d changed\n" : "line %d\n", i);
	}
	d = check(mh_buf_cstr(&a), mh_buf_cstr(&b));
	cr_assert_eq(d.removed, 1);
	cr_assert_eq(d.added, 1);
	/* with context 3: one hunk of 3 + 2 + 3 lines at line 98 */
	mh_diff_lines(ar, mh_buf_str(&a), mh_buf_str(&b), 3, &d);
	cr_assert_eq(d.n_hunks, 1);
	cr_assert_eq(d.hunks[0].old_start, 98);
	cr_assert_eq(d.hunks[0].old_count, 7);
	cr_assert_eq(d.hunks[0].new_count, 7);
	cr_assert_eq(d.hunks[0].n_lines, 8);
	cr_assert(mh_str_eq_c(d.hunks[0].lines[3].text, "line 100"));
	cr_assert_eq(d.hunks[0].lines[3].op, MH_DIFF_DEL);
	cr_assert(mh_str_eq_c(d.hunks[0].lines[4].text, "line 100 changed"));
	mh_buf_free(&a);
	mh_buf_free(&b);
}

Test(diff, far_apart_changes_are_separate_hunks)
{
	struct mh_buf a = MH_BUF_INIT, b = MH_BUF_INIT;
	for (int i = 0; i < 50; i++) {
		mh_buf_printf(&a, "l%d\n", i);
		if (i != 5 && i != 40)
			mh_buf_printf(&b, "l%d\n", i);
	}
	struct mh_diff d;
	mh_diff_lines(ar, mh_buf_str(&a), mh_buf_str(&b), 2, &d);
	cr_assert_eq(d.n_hunks, 2);
	cr_assert_eq(d.hunks[0].old_start, 4);
	cr_assert_eq(d.hunks[0].old_count, 5);
	cr_assert_eq(d.hunks[0].new_count, 4);
	cr_assert_eq(d.hunks[1].old_start, 39);
	mh_diff_lines(ar, mh_buf_str(&a), mh_buf_str(&b), 20, &d);
	cr_assert_eq(d.n_hunks, 1, "close enough with more context: one hunk");
	mh_buf_free(&a);
	mh_buf_free(&b);
}

Test(diff, large_inputs_are_bounded)
{
	/* 30,000 lines with a few changes: still a line diff (the common
	 * start and end are taken off first) */
	struct mh_buf a = MH_BUF_INIT, b = MH_BUF_INIT;
	for (int i = 0; i < 30000; i++) {
		mh_buf_printf(&a, "paragraph %d\n", i);
		bool edited = i == 10007 || i == 15007 || i == 20007;
		mh_buf_printf(&b, edited ? "paragraph %d edited\n" : "paragraph %d\n", i);
	}
	struct mh_diff d = check(mh_buf_cstr(&a), mh_buf_cstr(&b));
	cr_assert_not(d.whole);
	cr_assert_eq(d.removed, 3);
	cr_assert_eq(d.added, 3);
	/* everything different, past the edit bound: the whole middle replaced */
	mh_buf_reset(&b);
	for (int i = 0; i < 30000; i++)
		mh_buf_printf(&b, "other %d\n", i);
	d = check(mh_buf_cstr(&a), mh_buf_cstr(&b));
	cr_assert(d.whole);
	cr_assert_eq(d.removed, 30000);
	cr_assert_eq(d.added, 30000);
	/* many interleaved edits past MH_DIFF_MAX_EDITS, common lines kept at both ends */
	mh_buf_reset(&a);
	mh_buf_reset(&b);
	mh_buf_append_c(&a, "head\n");
	mh_buf_append_c(&b, "head\n");
	for (int i = 0; i < MH_DIFF_MAX_EDITS; i++) {
		mh_buf_printf(&a, "a%d\nsame\n", i);
		mh_buf_printf(&b, "b%d\nsame\n", i);
	}
	mh_buf_append_c(&a, "tail\n");
	mh_buf_append_c(&b, "tail\n");
	d = check(mh_buf_cstr(&a), mh_buf_cstr(&b));
	cr_assert(d.whole);
	cr_assert_eq(d.hunks[0].lines[0].op, MH_DIFF_KEEP, "the common first line is kept");
	/* just under the bound it is a real diff */
	mh_buf_reset(&a);
	mh_buf_reset(&b);
	for (int i = 0; i < MH_DIFF_MAX_EDITS / 2 - 1; i++) {
		mh_buf_printf(&a, "a%d\nsame\n", i);
		mh_buf_printf(&b, "b%d\nsame\n", i);
	}
	d = check(mh_buf_cstr(&a), mh_buf_cstr(&b));
	cr_assert_not(d.whole);
	cr_assert_eq(d.added + d.removed, 2 * (MH_DIFF_MAX_EDITS / 2 - 1));
	mh_buf_free(&a);
	mh_buf_free(&b);
}

Test(diff, random_edits_rebuild_both_texts)
{
	srand(7);
	for (int round = 0; round < 300; round++) {
		struct mh_buf a = MH_BUF_INIT, b = MH_BUF_INIT;
		int na = rand() % 30, nb = rand() % 30;
		for (int i = 0; i < na; i++)
			mh_buf_printf(&a, "%c%s", 'a' + rand() % 4, rand() % 5 == 0 ? "\r\n" : "\n");
		for (int i = 0; i < nb; i++)
			mh_buf_printf(&b, "%c\n", 'a' + rand() % 4);
		check(a.ptr != NULL ? mh_buf_cstr(&a) : "", b.ptr != NULL ? mh_buf_cstr(&b) : "");
		mh_buf_free(&a);
		mh_buf_free(&b);
	}
}

Test(diff, two_revisions_field_by_field)
{
	struct mh_section news = { .id = 1, .slug = "news" }, sport = { .id = 2, .slug = "sport" };
	struct mh_author ana = { .id = 5, .slug = "ana" }, ben = { .id = 6, .slug = "ben" };
	struct mh_author by_x[2] = { ana, ben }, by_y[2] = { ben, ana };
	struct mh_tag t1 = { .id = 1, .name = "Rail" }, t2 = { .id = 2, .name = "Bus" };
	struct mh_tag tags_x[2] = { t1, t2 }, tags_y[2] = { t2, t1 };
	struct mh_article x = { .headline = "Old", .dek = "", .slug = "s", .section_id = 1, .section = &news,
				.authors = by_x, .n_authors = 2, .tags = tags_x, .n_tags = 2,
				.body_md = "a\nb\n", .status = MH_ARTICLE_DRAFT };
	struct mh_article y = x;
	struct mh_diff_field *f = NULL;
	size_t n = 9;
	mh_content_revision_diff(ar, &x, &y, 3, &f, &n);
	cr_assert_eq(n, 0, "the same state: no field");
	y.tags = tags_y; /* a set: the order alone is no change */
	y.body_md = "a\r\nb\r\n"; /* nor are line endings */
	mh_content_revision_diff(ar, &x, &y, 3, &f, &n);
	cr_assert_eq(n, 0);
	y.headline = "New";
	y.authors = by_y; /* a byline's order is a change */
	y.section_id = 2;
	y.section = &sport;
	y.status = MH_ARTICLE_REVIEW;
	y.via_name = "Radio";
	y.via_url = "https://r.example/";
	y.body_md = "a\nc\n";
	mh_content_revision_diff(ar, &x, &y, 3, &f, &n);
	cr_assert_eq(n, 6);
	cr_assert_str_eq(f[0].name, "headline");
	cr_assert_str_eq(f[0].before, "Old");
	cr_assert_str_eq(f[0].after, "New");
	cr_assert_str_eq(f[1].name, "section");
	cr_assert_str_eq(f[1].after, "sport");
	cr_assert_str_eq(f[2].name, "authors");
	cr_assert_str_eq(f[2].before, "ana, ben");
	cr_assert_str_eq(f[2].after, "ben, ana");
	cr_assert_str_eq(f[3].name, "via");
	cr_assert_str_eq(f[3].after, "Radio <https://r.example/>");
	cr_assert_str_eq(f[4].name, "status");
	cr_assert_str_eq(f[4].after, "review");
	cr_assert_str_eq(f[5].name, "body");
	cr_assert(f[5].lines);
	cr_assert_eq(f[5].diff.removed, 1);
	cr_assert_eq(f[5].diff.added, 1);
	struct mh_buf out = MH_BUF_INIT;
	mh_diff_field_text(&out, f, n);
	cr_assert(strstr(mh_buf_cstr(&out), "headline:\n-Old\n+New\n") != NULL, "%s", mh_buf_cstr(&out));
	cr_assert(strstr(mh_buf_cstr(&out), "body:\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n") != NULL, "%s", mh_buf_cstr(&out));
	mh_buf_free(&out);
}
