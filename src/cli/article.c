/*
 * masthead article: the newsroom's command-line desk. list, publish and
 * unpublish here; add and update from Markdown files in article_file.c.
 * Every change is saved through mh_content_article_commit, so a running
 * server drops exactly the pages it touches.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "content/content.h"
#include "site/site.h"

static void article_usage(FILE *f)
{
	fprintf(f, "usage: masthead article COMMAND [--site DIR] ...\n\n"
		   "  list [--status S]        articles, newest first (S: draft, review, scheduled, published)\n"
		   "  show SLUG                the article as a file (edit it, then update)\n"
		   "  publish SLUG             publish now (a withdrawn article keeps its first date)\n"
		   "  unpublish SLUG           withdraw: its address then answers 410 Gone\n"
		   "  add FILE.md              a new article from front matter + Markdown\n"
		   "  update FILE.md           the article with the file's slug, replaced\n"
		   "  add|update --dir DIR     every *.md in DIR, idempotently\n"
		   "  revisions SLUG           every saved version: id, time, status, who, headline\n"
		   "  diff SLUG REV_A REV_B    what changed from revision REV_A to REV_B, field by field\n"
		   "  restore SLUG REVISION_ID bring back a revision's text (a new save; status, time and\n"
		   "                           staff pick stay as they are)\n"
		   "  rename SLUG NEW_SLUG     a new address; a published article's old one answers 301\n"
		   "  --site DIR               the site folder (default: the current folder)\n"
		   "A running server shows every change within a second.\n");
}

static int list_articles(struct mh_store *s, const char *status)
{
	enum mh_article_status want = MH_ARTICLE_DRAFT;
	if (status != NULL && !mh_article_status_parse(mh_str_c(status), &want)) {
		fprintf(stderr,
			"masthead article list: --status: expected draft, review, scheduled or published, got '%s'\n",
			status);
		return 2;
	}
	struct mh_arena *a = mh_arena_new();
	int rc = 0;
	struct mh_article_query q = { .any_status = true, .limit = 1000 };
	for (;;) {
		struct mh_article *arts = NULL;
		size_t n = 0;
		if (mh_store_articles(s, a, &q, &arts, &n) != MH_OK) {
			fprintf(stderr, "masthead article list: the database did not answer\n");
			rc = 1;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			const struct mh_article *art = &arts[i];
			if (status != NULL && art->status != want)
				continue;
			struct mh_buf when = MH_BUF_INIT;
			if (art->published_at != 0)
				mh_time_format(&when, art->published_at, "%Y-%m-%d %H:%M");
			else
				mh_buf_append_c(&when, "-");
			printf("%-9s %-16s %s\t%s\n", mh_article_status_name(art->status), mh_buf_cstr(&when),
			       art->slug, art->headline);
			mh_buf_free(&when);
		}
		if (n < 1000)
			break;
		q.offset += 1000;
	}
	mh_arena_free(a);
	return rc;
}

/* The article as a file that `article update` takes back: show, edit, update. */
static int show_article(struct mh_store *s, const char *slug)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_article *art = NULL;
	int rc = 1;
	enum mh_store_rc r = mh_store_article_by_slug(s, a, mh_str_c(slug), &art);
	if (r == MH_NOT_FOUND)
		fprintf(stderr, "masthead article show: no article with slug '%s' (see 'masthead article list')\n", slug);
	else if (r != MH_OK)
		fprintf(stderr, "masthead article show: the database did not answer\n");
	else {
		struct mh_buf out = MH_BUF_INIT;
		mh_frontmatter_write(&out, art);
		rc = fwrite(out.ptr, 1, out.len, stdout) == out.len ? 0 : 1;
		mh_buf_free(&out);
	}
	mh_arena_free(a);
	return rc;
}

static int set_status(struct mh_store *s, const char *slug, bool publish)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_buf err = MH_BUF_INIT;
	struct mh_article *before = NULL, *art = NULL;
	int rc = 1;
	enum mh_store_rc r = mh_store_article_by_slug(s, a, mh_str_c(slug), &before);
	if (r == MH_OK)
		r = mh_store_article_by_slug(s, a, mh_str_c(slug), &art);
	if (r == MH_NOT_FOUND) {
		fprintf(stderr, "masthead article %s: no article with slug '%s' (see 'masthead article list')\n",
			publish ? "publish" : "unpublish", slug);
		goto out;
	}
	if (r != MH_OK) {
		fprintf(stderr, "masthead article: the database did not answer\n");
		goto out;
	}
	int64_t now = mh_time_now();
	if (publish) {
		if (art->published_at == 0 || art->published_at > now || !art->was_published)
			art->published_at = now;
		art->status = MH_ARTICLE_PUBLISHED;
	} else {
		art->status = MH_ARTICLE_DRAFT;
	}
	struct mh_revision_note note = { .user_name = mh_cli_who(a) };
	struct mh_content_save sv = { .note = &note };
	if (mh_content_article_save(s, a, before, art, &sv, &err) != 0) {
		fprintf(stderr, "masthead article: %s: %s\n", slug, mh_buf_cstr(&err));
		goto out;
	}
	printf("%s: %s\n", slug, publish ? "published" : "withdrawn (its address answers 410 Gone)");
	rc = 0;
out:
	mh_buf_free(&err);
	mh_arena_free(a);
	return rc;
}

int mh_cli_article(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 't' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".", *status = NULL, *from_dir = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 't':
			status = optarg;
			break;
		case 'd':
			from_dir = optarg;
			break;
		case 'h':
			article_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead article: unknown or incomplete option '%s'\n", argv[optind - 1]);
			article_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "masthead article: missing command (list, show, publish, unpublish, add, update,"
				" revisions, diff, restore, rename)\n");
		article_usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	bool is_list = strcmp(cmd, "list") == 0;
	bool is_pub = strcmp(cmd, "publish") == 0, is_unpub = strcmp(cmd, "unpublish") == 0;
	bool is_show = strcmp(cmd, "show") == 0;
	bool is_file = strcmp(cmd, "add") == 0 || strcmp(cmd, "update") == 0;
	/* the history commands and how many arguments each takes */
	int history_args = strcmp(cmd, "revisions") == 0 ? 1
			   : strcmp(cmd, "restore") == 0 ? 2
			   : strcmp(cmd, "diff") == 0	  ? 3
			   : strcmp(cmd, "rename") == 0	  ? 2
							  : 0;
	if (!is_list && !is_pub && !is_unpub && !is_file && !is_show && history_args == 0) {
		fprintf(stderr, "masthead article: unknown command '%s' (list, show, publish, unpublish, add, update,"
				" revisions, diff, restore, rename)\n",
			cmd);
		return 2;
	}
	if ((is_list && nargs != 0) || ((is_pub || is_unpub || is_show) && nargs != 1) ||
	    (history_args > 0 && nargs != history_args) ||
	    (is_file && (from_dir != NULL ? nargs != 0 : nargs != 1))) {
		fprintf(stderr, "masthead article %s: wrong number of arguments\n", cmd);
		article_usage(stderr);
		return 2;
	}
	if (status != NULL && !is_list) {
		fprintf(stderr, "masthead article %s: --status goes with list\n", cmd);
		return 2;
	}
	if (from_dir != NULL && !is_file) {
		fprintf(stderr, "masthead article %s: --dir goes with add or update\n", cmd);
		return 2;
	}
	/* revision numbers are checked before the site is opened */
	int64_t rev_id = 0;
	for (int i = 1; history_args > 1 && strcmp(cmd, "rename") != 0 && i < nargs; i++) {
		const char *name = strcmp(cmd, "restore") == 0 ? "REVISION_ID" : i == 1 ? "REV_A" : "REV_B";
		if (mh_cli_revision_arg(cmd, name, argv[optind + i], &rev_id) != 0)
			return 2;
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead article: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	mh_time_set_zone(cfg.site.timezone);
	int rc;
	if (is_list)
		rc = list_articles(store, status);
	else if (is_show)
		rc = show_article(store, argv[optind]);
	else if (history_args > 0)
		rc = mh_cli_article_history(store, cmd, nargs, argv + optind);
	else if (is_file)
		rc = mh_cli_article_files(store, &cfg, strcmp(cmd, "add") == 0, from_dir, nargs ? argv[optind] : NULL);
	else
		rc = set_status(store, argv[optind], is_pub);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
