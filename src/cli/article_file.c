/*
 * masthead article add|update FILE.md, and --dir DIR: articles authored as
 * files (front matter + Markdown, parsed by mh_frontmatter_parse). A file is
 * checked whole before anything is written: a bad one changes nothing, and
 * its error names FILE:LINE: key: problem. Saves go through
 * mh_content_article_commit, so a running server drops exactly the pages the
 * change makes stale.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "content/content.h"

enum mode {
	MODE_ADD,    /* a new article; its slug must be free */
	MODE_UPDATE, /* the article with the file's slug must exist */
	MODE_SYNC,   /* --dir: add or update, whichever applies; skip unchanged */
};

enum outcome { OUT_ADDED, OUT_UPDATED, OUT_UNCHANGED, OUT_BAD };

struct run {
	struct mh_store *s;
	const char *cmd; /* "add" or "update", for messages */
	enum mode mode;
	/* --dir: slugs seen so far and the files they came from */
	char **seen_slugs, **seen_files;
	size_t n_seen;
};

/* Reports "masthead article CMD: MESSAGE" on stderr. */
static enum outcome bad(struct run *r, const char *msg)
{
	fprintf(stderr, "masthead article %s: %s\n", r->cmd, msg);
	return OUT_BAD;
}

static enum outcome bad_at(struct run *r, const char *file, int line, const char *key, const char *msg)
{
	fprintf(stderr, "masthead article %s: %s:%d: %s: %s\n", r->cmd, file, line, key, msg);
	return OUT_BAD;
}

static bool str_same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static int cmp_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* True when saving art over before would change nothing a reader or the
 * newsroom sees: the text and its rendering, the byline in order, the tags
 * as a set, and every other field. */
static bool same_article(struct mh_arena *a, const struct mh_article *before, const struct mh_article *art)
{
	if (!str_same(before->slug, art->slug) || !str_same(before->headline, art->headline) ||
	    !str_same(before->dek, art->dek) || !str_same(before->body_md, art->body_md) ||
	    !str_same(before->body_html, art->body_html) || !str_same(before->lead_html, art->lead_html) ||
	    !str_same(before->image_url, art->image_url) || !str_same(before->image_alt, art->image_alt) ||
	    !str_same(before->via_name, art->via_name) || !str_same(before->via_url, art->via_url))
		return false;
	if (before->section_id != art->section_id || before->staff_pick != art->staff_pick ||
	    before->status != art->status || before->published_at != art->published_at)
		return false;
	if (before->n_authors != art->n_authors || before->n_tags != art->n_tags)
		return false;
	for (size_t i = 0; i < art->n_authors; i++) {
		if (before->authors[i].id != art->authors[i].id)
			return false;
	}
	int64_t *x = MH_NEW_ARRAY(a, int64_t, art->n_tags + 1), *y = MH_NEW_ARRAY(a, int64_t, art->n_tags + 1);
	for (size_t i = 0; i < art->n_tags; i++) {
		x[i] = before->tags[i].id;
		y[i] = art->tags[i].id;
	}
	qsort(x, art->n_tags, sizeof(*x), cmp_id);
	qsort(y, art->n_tags, sizeof(*y), cmp_id);
	return memcmp(x, y, sizeof(*x) * art->n_tags) == 0;
}

/* "news, analysis, video": the sections an article can be filed in. */
static const char *plain_sections(struct mh_store *s, struct mh_arena *a)
{
	struct mh_section *secs = NULL;
	size_t n = 0;
	struct mh_buf b = MH_BUF_INIT;
	if (mh_store_sections(s, a, &secs, &n) == MH_OK) {
		for (size_t i = 0; i < n; i++) {
			if (secs[i].kind != MH_SECTION_PLAIN)
				continue;
			if (b.len > 0)
				mh_buf_append_c(&b, ", ");
			mh_buf_append_c(&b, secs[i].slug);
		}
	}
	const char *out = b.len > 0 ? mh_arena_strndup(a, b.ptr, b.len) : "none yet";
	mh_buf_free(&b);
	return out;
}

/* The content module names fields as the store does; files name keys. */
static enum mh_fm_key key_of_field(struct mh_str field, const char **name)
{
	static const struct {
		const char *field;
		enum mh_fm_key key;
	} map[] = {
		{ "headline", MH_FM_HEADLINE }, { "dek", MH_FM_DEK },
		{ "slug", MH_FM_SLUG },		{ "section_id", MH_FM_SECTION },
		{ "image_url", MH_FM_IMAGE },	{ "image_alt", MH_FM_IMAGE_ALT },
		{ "via_url", MH_FM_VIA },	{ "via_name", MH_FM_VIA },
		{ "status", MH_FM_STATUS },	{ "published_at", MH_FM_PUBLISH_AT },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (mh_str_eq_c(field, map[i].field)) {
			*name = mh_fm_key_name(map[i].key);
			return map[i].key;
		}
	}
	*name = NULL;
	return MH_FM_N_KEYS;
}

static enum outcome one_file(struct run *r, const char *path)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_buf text = MH_BUF_INIT, err = MH_BUF_INIT;
	enum outcome out = OUT_BAD;
	struct mh_frontmatter fm;

	if (!mh_file_read(path, &text)) {
		mh_buf_printf(&err, "%s: cannot read it: %s", path, strerror(errno));
		bad(r, mh_buf_cstr(&err));
		goto done;
	}
	if (!mh_frontmatter_parse(a, path, text.ptr != NULL ? text.ptr : "", text.len, &fm, &err)) {
		bad(r, mh_buf_cstr(&err));
		goto done;
	}
	int slug_line = mh_frontmatter_line(&fm, MH_FM_SLUG);
	for (size_t i = 0; i < r->n_seen; i++) {
		if (strcmp(r->seen_slugs[i], fm.slug) == 0) {
			const char *m = mh_arena_printf(a, "'%s' is also the slug of %s%s", fm.slug, r->seen_files[i],
							fm.slug_derived ? " (derived from the headline: give a slug)" : "");
			bad_at(r, path, slug_line, "slug", m);
			goto done;
		}
	}

	/* The section, the byline and the tags, by slug. */
	struct mh_section *sec = NULL;
	enum mh_store_rc rc = mh_store_section_by_slug(r->s, a, mh_str_c(fm.section), &sec);
	int sec_line = mh_frontmatter_line(&fm, MH_FM_SECTION);
	if (rc == MH_NOT_FOUND) {
		bad_at(r, path, sec_line, "section",
		       mh_arena_printf(a, "no section '%s' (articles go in one of: %s)", fm.section,
				       plain_sections(r->s, a)));
		goto done;
	}
	if (rc != MH_OK)
		goto db_error;
	if (sec->kind != MH_SECTION_PLAIN) {
		bad_at(r, path, sec_line, "section",
		       mh_arena_printf(a, "'%s' lists articles by itself; file the article in one of: %s", fm.section,
				       plain_sections(r->s, a)));
		goto done;
	}
	struct mh_author *byline = MH_NEW_ARRAY(a, struct mh_author, fm.n_authors + 1);
	for (size_t i = 0; i < fm.n_authors; i++) {
		struct mh_author *au = NULL;
		rc = mh_store_author_by_slug(r->s, a, mh_str_c(fm.authors[i]), &au);
		if (rc == MH_NOT_FOUND) {
			bad_at(r, path, mh_frontmatter_line(&fm, MH_FM_AUTHORS), "authors",
			       mh_arena_printf(a, "no author with slug '%s'", fm.authors[i]));
			goto done;
		}
		if (rc != MH_OK)
			goto db_error;
		byline[i] = *au;
	}
	struct mh_tag *tags = MH_NEW_ARRAY(a, struct mh_tag, fm.n_tags + 1);
	size_t n_new_tags = 0;
	for (size_t i = 0; i < fm.n_tags; i++) {
		struct mh_tag *t = NULL;
		rc = mh_store_tag_by_slug(r->s, a, mh_str_c(fm.tag_slugs[i]), &t);
		if (rc == MH_NOT_FOUND) {
			tags[i] = (struct mh_tag){ .slug = fm.tag_slugs[i], .name = fm.tag_names[i] };
			n_new_tags++;
			continue;
		}
		if (rc != MH_OK)
			goto db_error;
		tags[i] = *t;
	}

	/* The article as stored now, if any. */
	struct mh_article *before = NULL, *art = MH_NEW(a, struct mh_article);
	rc = mh_store_article_by_slug(r->s, a, mh_str_c(fm.slug), &before);
	if (rc != MH_OK && rc != MH_NOT_FOUND)
		goto db_error;
	if (rc == MH_OK && r->mode == MODE_ADD) {
		bad_at(r, path, slug_line, "slug",
		       mh_arena_printf(a, "slug '%s' already exists (use update)%s", fm.slug,
				       fm.slug_derived ? "; it was derived from the headline: give a slug of its own "
							 "for a new article"
						       : ""));
		goto done;
	}
	if (rc == MH_NOT_FOUND && r->mode == MODE_UPDATE) {
		bad_at(r, path, slug_line, "slug",
		       mh_arena_printf(a, "no article with slug '%s' (use add)%s", fm.slug,
				       fm.slug_derived ? "; the slug was derived from the headline: give the "
							 "article's slug to change its headline"
						       : ""));
		goto done;
	}
	if (before != NULL)
		*art = *before; /* keeps id, views, created_at */
	art->slug = fm.slug;
	art->headline = fm.headline;
	art->dek = fm.dek;
	art->body_md = fm.body;
	art->section_id = sec->id;
	art->section = sec;
	art->authors = byline;
	art->n_authors = fm.n_authors;
	art->tags = tags;
	art->n_tags = fm.n_tags;
	art->image_url = fm.image_url;
	art->image_alt = fm.image_alt;
	art->via_name = fm.via_name;
	art->via_url = fm.via_url;
	art->staff_pick = fm.staff_pick;
	art->status = fm.status;
	/* The publication time: as given; else a published article keeps the
	 * date it first appeared (as 'masthead article publish' does), a draft
	 * keeps whatever it had, and anything else appears now. */
	if (fm.has_publish_at) {
		art->published_at = fm.publish_at;
	} else if (before != NULL && fm.status == MH_ARTICLE_PUBLISHED) {
		bool appeared = before->status == MH_ARTICLE_PUBLISHED || before->was_published;
		if (!appeared || before->published_at > mh_time_now())
			art->published_at = 0;
	} else if (before == NULL || mh_article_status_dated(fm.status)) {
		art->published_at = 0;
	}
	/* "published" at a time still to come is a scheduled article: only the
	 * publishing job at that time makes the pages (and caches) show it */
	if (art->status == MH_ARTICLE_PUBLISHED && art->published_at > mh_time_now())
		art->status = MH_ARTICLE_SCHEDULED;

	mh_buf_reset(&err);
	if (mh_content_prepare_article(a, art, &err) != MH_OK) {
		/* "field: problem" -> FILE:LINE: key: problem */
		const char *colon = memchr(err.ptr, ':', err.len);
		struct mh_str field = { err.ptr, colon != NULL ? (size_t)(colon - err.ptr) : 0 };
		const char *key = NULL;
		enum mh_fm_key k = key_of_field(field, &key);
		const char *problem = colon != NULL ? colon + 2 : mh_buf_cstr(&err);
		if (mh_str_eq_c(field, "body"))
			bad_at(r, path, fm.body_line, "body", problem);
		else if (key != NULL)
			bad_at(r, path, mh_frontmatter_line(&fm, k), key, problem);
		else
			bad(r, mh_arena_printf(a, "%s: %s", path, mh_buf_cstr(&err)));
		goto done;
	}
	if (before != NULL && n_new_tags == 0 && same_article(a, before, art)) {
		out = OUT_UNCHANGED;
		goto report;
	}

	/* Everything checked: create the missing tags, then save. A tag made
	 * here outlives a save that fails after it (an unused tag shows
	 * nowhere); the article and its cache keys are one transaction. */
	for (size_t i = 0; i < fm.n_tags; i++) {
		if (tags[i].id != 0)
			continue;
		mh_buf_reset(&err);
		if (mh_store_tag_ensure(r->s, &tags[i], &err) != MH_OK) {
			bad_at(r, path, mh_frontmatter_line(&fm, MH_FM_TAGS), "tags",
			       mh_arena_printf(a, "cannot create tag '%s': %s", fm.tag_names[i], mh_buf_cstr(&err)));
			goto done;
		}
	}
	mh_buf_reset(&err);
	struct mh_revision_note note = { .user_name = mh_cli_who(a) };
	struct mh_content_save sv = { .note = &note };
	if (mh_content_article_save(r->s, a, before, art, &sv, &err) != 0) {
		bad(r, mh_arena_printf(a, "%s: %s: %s", path, fm.slug, mh_buf_cstr(&err)));
		goto done;
	}
	out = before != NULL ? OUT_UPDATED : OUT_ADDED;
report:
	printf("%s: %s %s (%s)\n", path, out == OUT_ADDED ? "added" : out == OUT_UPDATED ? "updated" : "unchanged",
	       fm.slug, mh_article_status_name(art->status));
	fflush(stdout); /* in order with the errors on stderr */
	if (r->mode == MODE_SYNC) {
		r->seen_slugs = realloc(r->seen_slugs, sizeof(char *) * (r->n_seen + 1));
		r->seen_files = realloc(r->seen_files, sizeof(char *) * (r->n_seen + 1));
		MH_ASSERT(r->seen_slugs != NULL && r->seen_files != NULL);
		r->seen_slugs[r->n_seen] = strdup(fm.slug);
		r->seen_files[r->n_seen] = strdup(path);
		MH_ASSERT(r->seen_slugs[r->n_seen] != NULL && r->seen_files[r->n_seen] != NULL);
		r->n_seen++;
	}
	goto done;
db_error:
	bad(r, mh_arena_printf(a, "%s: the database did not answer", path));
	out = OUT_BAD;
done:
	mh_buf_free(&text);
	mh_buf_free(&err);
	mh_arena_free(a);
	return out;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The *.md files directly in dir (not hidden ones), sorted by name. */
static int list_dir(struct run *r, const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "masthead article %s: --dir %s: %s\n", r->cmd, dir, strerror(errno));
		return 1;
	}
	*names = NULL;
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".md") != 0)
			continue;
		char *path = NULL;
		size_t dl = strlen(dir);
		MH_ASSERT(asprintf(&path, "%s%s%s", dir, dl > 0 && dir[dl - 1] == '/' ? "" : "/", e->d_name) >= 0);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		*names = realloc(*names, sizeof(char *) * (*n + 1));
		MH_ASSERT(*names != NULL);
		(*names)[(*n)++] = path;
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(char *), by_name);
	return 0;
}

int mh_cli_article_files(struct mh_store *s, const struct mh_config *cfg, bool add, const char *from_dir,
			 const char *file)
{
	(void)cfg; /* the display zone, which publish_at is read in, is set by the caller */
	struct run r = { .s = s, .cmd = add ? "add" : "update" };
	if (from_dir == NULL) {
		r.mode = add ? MODE_ADD : MODE_UPDATE;
		return one_file(&r, file) == OUT_BAD ? 1 : 0;
	}
	r.mode = MODE_SYNC;
	char **names = NULL;
	size_t n = 0;
	if (list_dir(&r, from_dir, &names, &n) != 0)
		return 1;
	size_t count[4] = { 0 };
	for (size_t i = 0; i < n; i++) {
		count[one_file(&r, names[i])]++;
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; i < r.n_seen; i++) {
		free(r.seen_slugs[i]);
		free(r.seen_files[i]);
	}
	free(r.seen_slugs);
	free(r.seen_files);
	printf("%zu file%s in %s: %zu added, %zu updated, %zu unchanged, %zu bad\n", n, n == 1 ? "" : "s", from_dir,
	       count[OUT_ADDED], count[OUT_UPDATED], count[OUT_UNCHANGED], count[OUT_BAD]);
	if (n == 0)
		fprintf(stderr, "masthead article %s: no *.md files in %s\n", r.cmd, from_dir);
	return count[OUT_BAD] > 0 ? 1 : 0;
}
