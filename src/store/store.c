/*
 * store.c: the public API of store.h. Picks the backend from the URL, checks
 * the input every backend would reject alike, then calls the backend's
 * function through its ops table. No SQL here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

void mh_store_set_err(struct mh_buf *err, const char *fmt, ...)
{
	if (err == NULL)
		return;
	mh_buf_reset(err);
	va_list ap;
	va_start(ap, fmt);
	mh_buf_vprintf(err, fmt, ap);
	va_end(ap);
}

static const char *const status_names[] = {
	[MH_ARTICLE_DRAFT] = "draft",
	[MH_ARTICLE_SCHEDULED] = "scheduled",
	[MH_ARTICLE_PUBLISHED] = "published",
};

const char *mh_article_status_name(enum mh_article_status st)
{
	MH_ASSERT((unsigned)st < sizeof(status_names) / sizeof(status_names[0]));
	return status_names[st];
}

bool mh_article_status_parse(struct mh_str s, enum mh_article_status *out)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (mh_str_eq_c(s, status_names[i])) {
			*out = (enum mh_article_status)i;
			return true;
		}
	}
	return false;
}

static const char *const kind_names[] = {
	[MH_SECTION_PLAIN] = "plain",
	[MH_SECTION_LATEST] = "latest",
	[MH_SECTION_PICKS] = "picks",
};

const char *mh_store_section_kind_name(enum mh_section_kind k)
{
	MH_ASSERT((unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]));
	return kind_names[k];
}

bool mh_store_section_kind_parse(const char *s, enum mh_section_kind *out)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (s != NULL && strcmp(s, kind_names[i]) == 0) {
			*out = (enum mh_section_kind)i;
			return true;
		}
	}
	return false;
}

void mh_store_simple_slug(struct mh_buf *out, const char *name)
{
	size_t start = out->len;
	bool dash = false;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		unsigned char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
			if (dash && out->len > start)
				mh_buf_append_ch(out, '-');
			dash = false;
			mh_buf_append_ch(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
			if (out->len - start >= 80)
				break;
		} else {
			dash = true;
		}
	}
	if (out->len == start)
		mh_buf_append_c(out, "tag");
}

/* ---- open / close / migrate / transactions ---- */

enum mh_store_rc mh_store_open(const char *url, const char *site_dir, bool create, struct mh_store **out,
			       struct mh_buf *err)
{
	*out = NULL;
	if (url == NULL || url[0] == '\0') {
		mh_store_set_err(err, "database: no database given");
		return MH_INVALID;
	}
	struct mh_str u = mh_str_c(url);
	if (mh_str_has_prefix(u, "postgres://") || mh_str_has_prefix(u, "postgresql://")) {
		(void)create; /* the database itself is the operator's to create */
		return mh_store_postgres_open(url, out, err);
	}
	if (mh_str_has_prefix(u, "sqlite:"))
		url += strlen("sqlite:");
	if (url[0] == '\0') {
		mh_store_set_err(err, "database: empty SQLite path");
		return MH_INVALID;
	}
	struct mh_buf path = MH_BUF_INIT;
	if (url[0] != '/' && site_dir != NULL && site_dir[0] != '\0' && strcmp(url, ":memory:") != 0) {
		mh_buf_append_c(&path, site_dir);
		if (path.ptr[path.len - 1] != '/')
			mh_buf_append_ch(&path, '/');
	}
	mh_buf_append_c(&path, url);
	enum mh_store_rc rc = mh_store_sqlite_open(mh_buf_cstr(&path), create, out, err);
	mh_buf_free(&path);
	return rc;
}

void mh_store_close(struct mh_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

enum mh_store_rc mh_store_migrate(struct mh_store *s, int *version, struct mh_buf *err)
{
	int v = 0;
	enum mh_store_rc rc = s->ops->migrate(s, &v, err);
	if (version != NULL)
		*version = v;
	return rc;
}

enum mh_store_rc mh_store_begin(struct mh_store *s)
{
	return s->ops->begin(s);
}

enum mh_store_rc mh_store_commit(struct mh_store *s)
{
	return s->ops->commit(s);
}

void mh_store_rollback(struct mh_store *s)
{
	s->ops->rollback(s);
}

enum mh_store_rc mh_store_bulk_load(struct mh_store *s, bool on)
{
	return s->ops->bulk_load(s, on);
}

/* ---- sections, authors, tags ---- */

static bool str_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

enum mh_store_rc mh_store_sections(struct mh_store *s, struct mh_arena *a, struct mh_section **out, size_t *n)
{
	return s->ops->sections(s, a, out, n);
}

enum mh_store_rc mh_store_section_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_section **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return s->ops->section_by_slug(s, a, slug, out);
}

enum mh_store_rc mh_store_section_save(struct mh_store *s, struct mh_section *sec, struct mh_buf *err)
{
	if (sec->id < 0) {
		mh_store_set_err(err, "id: must not be negative");
		return MH_INVALID;
	}
	if (str_empty(sec->slug)) {
		mh_store_set_err(err, "slug: required");
		return MH_INVALID;
	}
	if (str_empty(sec->name)) {
		mh_store_set_err(err, "name: required");
		return MH_INVALID;
	}
	if ((unsigned)sec->kind > MH_SECTION_PICKS) {
		mh_store_set_err(err, "kind: unknown section kind %d", (int)sec->kind);
		return MH_INVALID;
	}
	return s->ops->section_save(s, sec, err);
}

enum mh_store_rc mh_store_authors(struct mh_store *s, struct mh_arena *a, struct mh_author **out, size_t *n)
{
	return s->ops->authors(s, a, out, n);
}

enum mh_store_rc mh_store_author_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					 struct mh_author **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return s->ops->author_by_slug(s, a, slug, out);
}

enum mh_store_rc mh_store_author_save(struct mh_store *s, struct mh_author *au, struct mh_buf *err)
{
	if (au->id < 0) {
		mh_store_set_err(err, "id: must not be negative");
		return MH_INVALID;
	}
	if (str_empty(au->slug)) {
		mh_store_set_err(err, "slug: required");
		return MH_INVALID;
	}
	if (str_empty(au->name)) {
		mh_store_set_err(err, "name: required");
		return MH_INVALID;
	}
	return s->ops->author_save(s, au, err);
}

enum mh_store_rc mh_store_tag_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug, struct mh_tag **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return s->ops->tag_by_slug(s, a, slug, out);
}

enum mh_store_rc mh_store_tag_ensure(struct mh_store *s, struct mh_tag *tag, struct mh_buf *err)
{
	if (str_empty(tag->name) && str_empty(tag->slug)) {
		mh_store_set_err(err, "name: required");
		return MH_INVALID;
	}
	return s->ops->tag_ensure(s, tag, err);
}

/* ---- articles ---- */

static enum mh_store_rc check_query(const struct mh_article_query *q)
{
	if (q->offset < 0 || q->limit < 0 || q->section_id < 0 || q->author_id < 0 || q->tag_id < 0 ||
	    q->before_id < 0 || q->exclude_id < 0 || q->after_id < 0)
		return MH_INVALID;
	if (q->after_published_at != 0 && q->before_published_at != 0)
		return MH_INVALID; /* one direction at a time */
	return MH_OK;
}

enum mh_store_rc mh_store_articles(struct mh_store *s, struct mh_arena *a, const struct mh_article_query *q,
				   struct mh_article **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (check_query(q) != MH_OK)
		return MH_INVALID;
	return s->ops->articles(s, a, q, out, n);
}

enum mh_store_rc mh_store_articles_count(struct mh_store *s, const struct mh_article_query *q, int64_t *count)
{
	*count = 0;
	if (check_query(q) != MH_OK)
		return MH_INVALID;
	return s->ops->articles_count(s, q, count);
}

enum mh_store_rc mh_store_article_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_article **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return s->ops->article_by_slug(s, a, slug, out);
}

enum mh_store_rc mh_store_article_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_article **out)
{
	*out = NULL;
	if (id <= 0)
		return MH_NOT_FOUND;
	return s->ops->article_by_id(s, a, id, out);
}

enum mh_store_rc mh_store_article_save(struct mh_store *s, struct mh_article *art, struct mh_buf *err)
{
	if (art->id < 0) {
		mh_store_set_err(err, "id: must not be negative");
		return MH_INVALID;
	}
	if (str_empty(art->slug)) {
		mh_store_set_err(err, "slug: required");
		return MH_INVALID;
	}
	if (str_empty(art->headline)) {
		mh_store_set_err(err, "headline: required");
		return MH_INVALID;
	}
	if (art->section_id <= 0) {
		mh_store_set_err(err, "section_id: required");
		return MH_INVALID;
	}
	if ((unsigned)art->status > MH_ARTICLE_PUBLISHED) {
		mh_store_set_err(err, "status: unknown status %d", (int)art->status);
		return MH_INVALID;
	}
	if (art->published_at < 0 || art->views < 0) {
		mh_store_set_err(err, "%s: must not be negative", art->views < 0 ? "views" : "published_at");
		return MH_INVALID;
	}
	if (art->n_authors > 0 && art->authors == NULL) {
		mh_store_set_err(err, "authors: %zu authors given without an array", art->n_authors);
		return MH_INVALID;
	}
	if (art->n_tags > 0 && art->tags == NULL) {
		mh_store_set_err(err, "tags: %zu tags given without an array", art->n_tags);
		return MH_INVALID;
	}
	for (size_t i = 0; i < art->n_authors; i++) {
		if (art->authors[i].id <= 0) {
			mh_store_set_err(err, "authors: author %zu has no id", i + 1);
			return MH_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (art->authors[j].id == art->authors[i].id) {
				mh_store_set_err(err, "authors: author %lld is listed twice",
						 (long long)art->authors[i].id);
				return MH_INVALID;
			}
		}
	}
	for (size_t i = 0; i < art->n_tags; i++) {
		if (art->tags[i].id <= 0) {
			mh_store_set_err(err, "tags: tag %zu has no id", i + 1);
			return MH_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (art->tags[j].id == art->tags[i].id) {
				mh_store_set_err(err, "tags: tag %lld is listed twice", (long long)art->tags[i].id);
				return MH_INVALID;
			}
		}
	}
	return s->ops->article_save(s, art, err);
}

enum mh_store_rc mh_store_article_set_views(struct mh_store *s, int64_t id, int64_t views)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	if (views < 0)
		return MH_INVALID;
	return s->ops->article_set_views(s, id, views);
}

/* The only names mh_store_count accepts: the name is spliced into SQL by the
 * backend, so it must never come from anywhere but this list. */
static const char *const countable[] = {
	"sections", "authors", "tags", "articles", "article_authors", "article_tags", "schema_migrations", "changes",
	"jobs",
};

enum mh_store_rc mh_store_count(struct mh_store *s, const char *table, int64_t *n)
{
	*n = 0;
	if (table == NULL)
		return MH_INVALID;
	for (size_t i = 0; i < sizeof(countable) / sizeof(countable[0]); i++) {
		if (strcmp(table, countable[i]) == 0)
			return s->ops->count(s, countable[i], n);
	}
	return MH_INVALID;
}

enum mh_store_rc mh_store_change_add(struct mh_store *s, struct mh_str keys)
{
	if (keys.len == 0)
		return MH_OK; /* nothing was made stale */
	return s->ops->change_add(s, keys);
}

enum mh_store_rc mh_store_change_last(struct mh_store *s, int64_t *id)
{
	*id = 0;
	return s->ops->change_last(s, id);
}

enum mh_store_rc mh_store_changes_since(struct mh_store *s, struct mh_arena *a, int64_t after, size_t max,
					struct mh_change **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (max == 0)
		return MH_OK;
	return s->ops->changes_since(s, a, after, max, out, n);
}

enum mh_store_rc mh_store_changes_prune(struct mh_store *s, int64_t before)
{
	return s->ops->changes_prune(s, before);
}

enum mh_store_rc mh_store_changes_wait(struct mh_store *s, int timeout_ms)
{
	if (timeout_ms < 0 || timeout_ms > 60000)
		return MH_INVALID;
	return s->ops->changes_wait(s, timeout_ms);
}

const char *mh_store_backend(const struct mh_store *s)
{
	return s->ops->name;
}

bool mh_store_url_is_postgres(const char *url)
{
	struct mh_str u = mh_str_c(url != NULL ? url : "");
	return mh_str_has_prefix(u, "postgres://") || mh_str_has_prefix(u, "postgresql://");
}

/* ---- the job queue ---- */

static const char *const job_state_names[] = {
	[MH_JOB_QUEUED] = "queued",
	[MH_JOB_RUNNING] = "running",
	[MH_JOB_DONE] = "done",
	[MH_JOB_PARKED] = "parked",
};

const char *mh_job_state_name(enum mh_job_state st)
{
	MH_ASSERT((unsigned)st < sizeof(job_state_names) / sizeof(job_state_names[0]));
	return job_state_names[st];
}

bool mh_job_state_parse(struct mh_str s, enum mh_job_state *out)
{
	for (size_t i = 0; i < sizeof(job_state_names) / sizeof(job_state_names[0]); i++) {
		if (mh_str_eq_c(s, job_state_names[i])) {
			*out = (enum mh_job_state)i;
			return true;
		}
	}
	return false;
}

static bool job_word_ok(const char *s, bool allow_empty)
{
	if (s == NULL || (*s == '\0' && !allow_empty) || strlen(s) > 200)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

enum mh_store_rc mh_store_job_add(struct mh_store *s, const char *kind, struct mh_str payload, int64_t run_at,
				  const char *dedupe, int64_t *id)
{
	if (!job_word_ok(kind, false) || (dedupe != NULL && !job_word_ok(dedupe, false)) || run_at < 0)
		return MH_INVALID;
	return s->ops->job_add(s, kind, payload, run_at, dedupe, id);
}

enum mh_store_rc mh_store_job_claim(struct mh_store *s, struct mh_arena *a, const char *owner, int64_t now,
				    int lease_s, struct mh_job **out)
{
	*out = NULL;
	if (!job_word_ok(owner, false) || lease_s < 1)
		return MH_INVALID;
	return s->ops->job_claim(s, a, owner, now, lease_s, out);
}

enum mh_store_rc mh_store_job_done(struct mh_store *s, int64_t id, const char *owner)
{
	if (id <= 0 || !job_word_ok(owner, false))
		return MH_INVALID;
	return s->ops->job_done(s, id, owner);
}

enum mh_store_rc mh_store_job_fail(struct mh_store *s, int64_t id, const char *owner, const char *error,
				   int64_t retry_at)
{
	if (id <= 0 || !job_word_ok(owner, false))
		return MH_INVALID;
	return s->ops->job_fail(s, id, owner, error, retry_at);
}

enum mh_store_rc mh_store_jobs(struct mh_store *s, struct mh_arena *a, int state, int limit, struct mh_job **out,
			       size_t *n)
{
	*out = NULL;
	*n = 0;
	if (state > MH_JOB_PARKED || limit < 1 || limit > 10000)
		return MH_INVALID;
	return s->ops->jobs(s, a, state, limit, out, n);
}

enum mh_store_rc mh_store_job_retry(struct mh_store *s, int64_t id)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	return s->ops->job_retry(s, id);
}

enum mh_store_rc mh_store_jobs_prune(struct mh_store *s, int64_t before)
{
	return s->ops->jobs_prune(s, before);
}

enum mh_store_rc mh_store_article_lock(struct mh_store *s, int64_t id)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	return s->ops->article_lock(s, id);
}

int64_t mh_store_list_upper_bound(const struct mh_article_query *q)
{
	int64_t now = q->now != 0 ? q->now : mh_time_now();
	if (q->before_published_at != 0 && q->before_published_at < now)
		return q->before_published_at;
	return now;
}

enum mh_store_rc mh_store_read_begin(struct mh_store *s)
{
	return s->ops->read_begin != NULL ? s->ops->read_begin(s) : MH_OK;
}

void mh_store_read_end(struct mh_store *s)
{
	if (s->ops->read_end != NULL)
		s->ops->read_end(s);
}

/* ---- filling relations (shared by the backends) ---- */

struct mh_store_id_slot {
	int64_t id;
	size_t idx;
};

static int slot_by_id(const void *x, const void *y)
{
	int64_t a = ((const struct mh_store_id_slot *)x)->id, b = ((const struct mh_store_id_slot *)y)->id;
	return a < b ? -1 : a > b;
}

void mh_store_index_init(struct mh_store_article_index *ix, struct mh_article *arts, size_t n, struct mh_buf *ids,
			 char open, char close)
{
	ix->arts = arts;
	ix->n = n;
	ix->slots = malloc((n > 0 ? n : 1) * sizeof(*ix->slots));
	MH_ASSERT(ix->slots != NULL);
	mh_buf_append_ch(ids, open);
	for (size_t i = 0; i < n; i++) {
		mh_buf_printf(ids, "%s%lld", i ? "," : "", (long long)arts[i].id);
		ix->slots[i] = (struct mh_store_id_slot){ arts[i].id, i };
	}
	mh_buf_append_ch(ids, close);
	qsort(ix->slots, n, sizeof(*ix->slots), slot_by_id);
}

void mh_store_index_attach(struct mh_store_article_index *ix, int64_t article_id, bool authors, void *rows,
			   size_t count)
{
	struct mh_store_id_slot key = { article_id, 0 };
	struct mh_store_id_slot *hit = bsearch(&key, ix->slots, ix->n, sizeof(*ix->slots), slot_by_id);
	if (hit == NULL)
		return;
	struct mh_article *art = &ix->arts[hit->idx];
	if (authors) {
		art->authors = rows;
		art->n_authors = count;
	} else {
		art->tags = rows;
		art->n_tags = count;
	}
}

void mh_store_index_free(struct mh_store_article_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}

unsigned mh_store_query_flags(const struct mh_article_query *q)
{
	unsigned f = 0;
	if (q->section_id > 0)
		f |= LQ_SECTION;
	if (q->staff_picks_only)
		f |= LQ_PICKS;
	if (q->author_id > 0)
		f |= LQ_AUTHOR;
	if (q->tag_id > 0)
		f |= LQ_TAG;
	if (q->before_published_at != 0)
		f |= q->before_id > 0 ? LQ_CURSOR : LQ_CURSOR_TIME;
	if (q->exclude_id > 0)
		f |= LQ_EXCLUDE;
	if (q->after_published_at != 0)
		f |= LQ_AFTER;
	if (q->with_body)
		f |= LQ_BODY;
	if (q->any_status)
		f |= LQ_ANY;
	if (q->scheduled_only)
		f |= LQ_SCHEDULED;
	return f;
}

int mh_store_list_limit(const struct mh_article_query *q)
{
	return q->limit == 0 ? 20 : q->limit > 1000 ? 1000 : q->limit;
}

enum mh_store_rc mh_store_plan(struct mh_store *s, enum mh_store_plan_of which, const struct mh_article_query *q,
			       struct mh_buf *out)
{
	if ((unsigned)which > MH_STORE_PLAN_CHANGES_PRUNE || (which == MH_STORE_PLAN_ARTICLES && q == NULL) ||
	    (q != NULL && check_query(q) != MH_OK))
		return MH_INVALID;
	return s->ops->plan(s, which, q, out);
}
