/*
 * masthead article revisions|restore|diff|rename: an article's history from
 * the command line, on the store's revisions (every save keeps one) and
 * content's restore and diff. A restore and a rename are saves like any
 * other, through mh_content_article_save, so a running server drops the
 * pages they touch and the revision says who made them (the login name of
 * whoever ran the command).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "content/content.h"

const char *mh_cli_who(struct mh_arena *a)
{
	const struct passwd *pw = getpwuid(geteuid());
	return mh_arena_printf(a, "%s (command line)", pw != NULL ? pw->pw_name : "?");
}

/* The article named on the command line; 1 with the message given when not. */
static int find_article(struct mh_store *s, struct mh_arena *a, const char *cmd, const char *slug,
			struct mh_article **out)
{
	enum mh_store_rc r = mh_store_article_by_slug(s, a, mh_str_c(slug), out);
	if (r == MH_NOT_FOUND) {
		fprintf(stderr, "masthead article %s: SLUG: no article with slug '%s' (see 'masthead article list')\n",
			cmd, slug);
		return 1;
	}
	if (r != MH_OK) {
		fprintf(stderr, "masthead article %s: the database did not answer\n", cmd);
		return 1;
	}
	return 0;
}

static void put_time(struct mh_buf *b, int64_t t)
{
	if (t != 0)
		mh_time_format(b, t, "%Y-%m-%d %H:%M");
	else
		mh_buf_append_c(b, "-");
}

static const char *who_text(const struct mh_revision *r)
{
	return r->user_name[0] != '\0' ? r->user_name : "-";
}

static int list_revisions(struct mh_store *s, struct mh_arena *a, const char *slug)
{
	struct mh_article *art = NULL;
	if (find_article(s, a, "revisions", slug, &art) != 0)
		return 1;
	printf("%-8s %-16s %-9s %-24s %s\n", "ID", "TIME", "STATUS", "WHO", "HEADLINE");
	int64_t before = 0;
	for (;;) {
		struct mh_revision *revs = NULL;
		size_t n = 0;
		if (mh_store_revisions(s, a, art->id, before, 200, &revs, &n) != MH_OK) {
			fprintf(stderr, "masthead article revisions: the database did not answer\n");
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			const struct mh_revision *r = &revs[i];
			struct mh_buf when = MH_BUF_INIT;
			put_time(&when, r->created_at);
			printf("%-8lld %-16s %-9s %-24s %s", (long long)r->id, mh_buf_cstr(&when),
			       mh_article_status_name(r->state.status), who_text(r), r->state.headline);
			if (r->kind == MH_REVISION_RESTORE)
				printf("  [restored from %lld]", (long long)r->restored_from);
			else if (r->kind == MH_REVISION_CONFLICT)
				printf("  [conflict: refused, kept]");
			printf("\n");
			mh_buf_free(&when);
		}
		if (n < 200)
			break;
		before = revs[n - 1].id;
	}
	return 0;
}

int mh_cli_revision_arg(const char *cmd, const char *name, const char *text, int64_t *out)
{
	if (!mh_str_to_i64(mh_str_c(text), out) || *out <= 0) {
		fprintf(stderr, "masthead article %s: %s: expected a revision number, got '%s' (see 'masthead article"
				" revisions SLUG')\n",
			cmd, name, text);
		return 2;
	}
	return 0;
}

/* Revision id of article art: 1 with the message when it is not one. */
static int get_rev(struct mh_store *s, struct mh_arena *a, const char *cmd, const char *name,
		   const struct mh_article *art, int64_t id, struct mh_revision **out)
{
	enum mh_store_rc r = mh_store_revision_get(s, a, id, out);
	if (r == MH_OK && (*out)->article_id != art->id)
		r = MH_NOT_FOUND;
	if (r == MH_NOT_FOUND) {
		fprintf(stderr, "masthead article %s: %s: '%s' has no revision %lld (see 'masthead article revisions %s')\n",
			cmd, name, art->slug, (long long)id, art->slug);
		return 1;
	}
	if (r != MH_OK) {
		fprintf(stderr, "masthead article %s: the database did not answer\n", cmd);
		return 1;
	}
	return 0;
}

static int restore_revision(struct mh_store *s, struct mh_arena *a, const char *slug, int64_t id)
{
	struct mh_article *art = NULL;
	struct mh_revision *rev = NULL;
	if (find_article(s, a, "restore", slug, &art) != 0 || get_rev(s, a, "restore", "REVISION_ID", art, id, &rev) != 0)
		return 1;
	struct mh_revision_note note = { .user_name = mh_cli_who(a) };
	struct mh_content_save sv = { .note = &note };
	struct mh_buf err = MH_BUF_INIT;
	int rc = mh_content_revision_restore(s, a, art->id, id, &sv, &err);
	if (rc != 0) {
		fprintf(stderr, "masthead article restore: %s: %s\n", slug, mh_buf_cstr(&err));
	} else {
		struct mh_article *now = NULL;
		const char *now_slug = mh_store_article_by_id(s, a, art->id, &now) == MH_OK ? now->slug : slug;
		printf("%s: revision %lld restored as revision %lld", slug, (long long)id, (long long)sv.revision_id);
		if (strcmp(now_slug, slug) != 0)
			printf("; its address is now /articles/%s", now_slug);
		printf("\n");
	}
	mh_buf_free(&err);
	return rc;
}

static int diff_revisions(struct mh_store *s, struct mh_arena *a, const char *slug, int64_t x, int64_t y)
{
	struct mh_article *art = NULL;
	struct mh_revision *rx = NULL, *ry = NULL;
	if (find_article(s, a, "diff", slug, &art) != 0 || get_rev(s, a, "diff", "REV_A", art, x, &rx) != 0 ||
	    get_rev(s, a, "diff", "REV_B", art, y, &ry) != 0)
		return 1;
	struct mh_diff_field *f = NULL;
	size_t n = 0;
	mh_content_revision_diff(a, &rx->state, &ry->state, 3, &f, &n);
	struct mh_buf out = MH_BUF_INIT, when = MH_BUF_INIT;
	put_time(&when, rx->created_at);
	mh_buf_printf(&out, "--- revision %lld (%s, %s)\n", (long long)x, mh_buf_cstr(&when), who_text(rx));
	mh_buf_reset(&when);
	put_time(&when, ry->created_at);
	mh_buf_printf(&out, "+++ revision %lld (%s, %s)\n", (long long)y, mh_buf_cstr(&when), who_text(ry));
	if (n == 0)
		mh_buf_append_c(&out, "(no differences)\n");
	mh_diff_field_text(&out, f, n);
	int rc = fwrite(out.ptr, 1, out.len, stdout) == out.len ? 0 : 1;
	mh_buf_free(&out);
	mh_buf_free(&when);
	return rc;
}

static int rename_article(struct mh_store *s, struct mh_arena *a, const char *slug, const char *new_slug)
{
	if (!mh_content_slug_valid(mh_str_c(new_slug))) {
		fprintf(stderr, "masthead article rename: NEW_SLUG: '%s' is not a slug (1 to 80 lowercase letters, digits"
				" and single hyphens)\n",
			new_slug);
		return 2;
	}
	struct mh_article *before = NULL, *art = NULL;
	if (find_article(s, a, "rename", slug, &before) != 0 || find_article(s, a, "rename", slug, &art) != 0)
		return 1;
	art->slug = new_slug;
	struct mh_revision_note note = { .user_name = mh_cli_who(a) };
	struct mh_content_save sv = { .note = &note };
	struct mh_buf err = MH_BUF_INIT;
	int rc = mh_content_article_save(s, a, before, art, &sv, &err);
	if (rc != 0)
		fprintf(stderr, "masthead article rename: %s: %s\n", slug, mh_buf_cstr(&err));
	else if (before->status == MH_ARTICLE_PUBLISHED || before->was_published)
		printf("%s: now /articles/%s; /articles/%s answers 301 there\n", slug, new_slug, slug);
	else
		printf("%s: now %s (it was never published, so the old slug keeps no address)\n", slug, new_slug);
	mh_buf_free(&err);
	return rc;
}

int mh_cli_article_history(struct mh_store *s, const char *cmd, int nargs, char **args)
{
	struct mh_arena *a = mh_arena_new();
	int rc = 2;
	int64_t x = 0, y = 0;
	if (strcmp(cmd, "revisions") == 0) {
		rc = list_revisions(s, a, args[0]);
	} else if (strcmp(cmd, "restore") == 0) {
		if ((rc = mh_cli_revision_arg(cmd, "REVISION_ID", args[1], &x)) == 0)
			rc = restore_revision(s, a, args[0], x);
	} else if (strcmp(cmd, "diff") == 0) {
		if ((rc = mh_cli_revision_arg(cmd, "REV_A", args[1], &x)) == 0 && (rc = mh_cli_revision_arg(cmd, "REV_B", args[2], &y)) == 0)
			rc = diff_revisions(s, a, args[0], x, y);
	} else if (strcmp(cmd, "rename") == 0) {
		rc = rename_article(s, a, args[0], args[1]);
	}
	(void)nargs;
	mh_arena_free(a);
	return rc;
}
