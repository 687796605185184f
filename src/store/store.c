/*
 * store.c: the public API of store.h, and every rule of it, once: input
 * checks, defaults (publishing without a time means now, created and updated
 * times), was_published, the addresses a save may store, the messages a
 * caller shows, the order of a save's statements, which time is "now".
 * Picks the backend from the URL and composes its primitives (store_int.h),
 * which only speak their SQL dialect and driver. No SQL here.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "store/store_int.h"

/* ids_text and ids_parse read and write an author's or a tag's id as the
 * struct's first member. */
_Static_assert(offsetof(struct mh_author, id) == 0, "author id first");
_Static_assert(offsetof(struct mh_tag, id) == 0, "tag id first");

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

enum mh_store_rc mh_store_db_fail(struct mh_buf *err, enum mh_store_db_failure what, const char *detail,
				  const char *value, const char *fk)
{
	if (detail == NULL)
		detail = "";
	switch (what) {
	case MH_DB_LOST:
		mh_store_set_err(err, "database connection lost: %s", detail);
		return MH_UNAVAILABLE;
	case MH_DB_BUSY:
		mh_store_set_err(err, "database is busy: %s", detail);
		return MH_UNAVAILABLE;
	case MH_DB_UNIQUE:
		if (detail[0] == '\0')
			detail = "value";
		if (value != NULL)
			mh_store_set_err(err, "%s '%s' is already used", detail, value);
		else
			mh_store_set_err(err, "%s: already used", detail);
		return MH_CONFLICT;
	case MH_DB_FOREIGN_KEY:
		mh_store_set_err(err, "%s", fk != NULL ? fk : "refers to a row that does not exist");
		return MH_INVALID;
	case MH_DB_REJECTED:
		mh_store_set_err(err, "rejected by the database: %s", detail);
		return MH_INVALID;
	case MH_DB_OTHER:
		break;
	}
	mh_store_set_err(err, "database error: %s", detail);
	return MH_ERROR;
}

static const char *const status_names[] = {
	[MH_ARTICLE_DRAFT] = "draft",
	[MH_ARTICLE_SCHEDULED] = "scheduled",
	[MH_ARTICLE_PUBLISHED] = "published",
	[MH_ARTICLE_REVIEW] = "review",
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

bool mh_article_status_dated(enum mh_article_status st)
{
	return st == MH_ARTICLE_SCHEDULED || st == MH_ARTICLE_PUBLISHED;
}

static const char *const kind_names[] = {
	[MH_SECTION_PLAIN] = "plain",
	[MH_SECTION_LATEST] = "latest",
	[MH_SECTION_PICKS] = "picks",
};

static const char *mh_store_section_kind_name(enum mh_section_kind k)
{
	MH_ASSERT((unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]));
	return kind_names[k];
}

static bool mh_store_section_kind_parse(const char *s, enum mh_section_kind *out)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (s != NULL && strcmp(s, kind_names[i]) == 0) {
			*out = (enum mh_section_kind)i;
			return true;
		}
	}
	return false;
}

/* The fallback slug for a tag given by name only: ASCII letters and digits
 * lowercased, every other run of bytes one '-'. content/ has the real
 * slugifier (with transliteration); the store sits above it in the layering,
 * so callers that care pass tag->slug themselves. */
static void mh_store_simple_slug(struct mh_buf *out, const char *name)
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

/* ---- filling a list's authors and tags ----
 * The relation queries return each article's rows in no set order (SQLite
 * then runs them without a temporary table: no IN list, no sorter); the
 * rows are gathered and put in order here, one rule for both backends:
 * authors by their position in the byline, tags by name (bytewise, as
 * COLLATE "C") then id. An id-sorted index of the list finds each group's
 * article. */

struct id_slot {
	int64_t id;
	size_t idx;
};

struct article_index {
	struct id_slot *slots; /* malloc'd, sorted by id */
	struct mh_article *arts;
	size_t n;
};

/* One relation row: its article, its order key, the author or tag. */
struct rel_row {
	int64_t article_id;
	int64_t position; /* authors: the byline's order */
	union {
		struct mh_author author;
		struct mh_tag tag;
	} u;
};

/* Gathers every row, then gives each article its ordered group (arena
 * memory). */
struct relfill {
	struct article_index *ix;
	struct mh_arena *a;
	bool authors;
	struct mh_buf rows; /* struct rel_row */
	size_t n;
};

/* Decodes one row into the memory of one item of a list. */
typedef void decode_fn(const struct mh_store_row *r, struct mh_arena *a, void *out);

static int slot_by_id(const void *x, const void *y)
{
	int64_t a = ((const struct id_slot *)x)->id, b = ((const struct id_slot *)y)->id;
	return a < b ? -1 : a > b;
}

static void index_init(struct article_index *ix, struct mh_article *arts, size_t n, struct mh_buf *ids, char open,
		       char close)
{
	ix->arts = arts;
	ix->n = n;
	ix->slots = malloc((n > 0 ? n : 1) * sizeof(*ix->slots));
	MH_ASSERT(ix->slots != NULL);
	for (size_t i = 0; i < n; i++)
		ix->slots[i] = (struct id_slot){ arts[i].id, i };
	qsort(ix->slots, n, sizeof(*ix->slots), slot_by_id);
	/* each id once: an article on two of a page's lists is asked for once
	 * (index_attach gives every copy its rows) */
	mh_buf_append_ch(ids, open);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && ix->slots[i].id == ix->slots[i - 1].id)
			continue;
		if (ids->len > 1)
			mh_buf_append_ch(ids, ',');
		mh_buf_append_i64(ids, ix->slots[i].id);
	}
	mh_buf_append_ch(ids, close);
}

static void index_attach(struct article_index *ix, int64_t article_id, bool authors, void *rows, size_t count)
{
	struct id_slot key = { article_id, 0 };
	struct id_slot *hit = bsearch(&key, ix->slots, ix->n, sizeof(*ix->slots), slot_by_id);
	if (hit == NULL)
		return;
	/* an article may be in the array more than once (a page's lists,
	 * read together, can share one): every copy gets the rows */
	while (hit > ix->slots && hit[-1].id == article_id)
		hit--;
	for (; hit < ix->slots + ix->n && hit->id == article_id; hit++) {
		struct mh_article *art = &ix->arts[hit->idx];
		if (authors) {
			art->authors = rows;
			art->n_authors = count;
		} else {
			art->tags = rows;
			art->n_tags = count;
		}
	}
}

static void index_free(struct article_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}

/* ---- rows ---- */

static void row_section(const struct mh_store_row *r, struct mh_arena *a, int col, struct mh_section *out)
{
	out->id = r->i64(r->ctx, col);
	out->slug = r->str(r->ctx, a, col + 1);
	out->name = r->str(r->ctx, a, col + 2);
	out->description = r->str(r->ctx, a, col + 3);
	out->position = (int)r->i64(r->ctx, col + 4);
	/* a kind this program does not know reads as a plain section */
	if (!mh_store_section_kind_parse(r->peek(r->ctx, col + 5), &out->kind))
		out->kind = MH_SECTION_PLAIN;
}

static void row_author(const struct mh_store_row *r, struct mh_arena *a, int col, struct mh_author *out)
{
	out->id = r->i64(r->ctx, col);
	out->slug = r->str(r->ctx, a, col + 1);
	out->name = r->str(r->ctx, a, col + 2);
	out->bio = r->str(r->ctx, a, col + 3);
	out->avatar_url = r->str(r->ctx, a, col + 4);
}

static void row_tag(const struct mh_store_row *r, struct mh_arena *a, int col, struct mh_tag *out)
{
	out->id = r->i64(r->ctx, col);
	out->slug = r->str(r->ctx, a, col + 1);
	out->name = r->str(r->ctx, a, col + 2);
}

static void row_article(const struct mh_store_row *r, struct mh_arena *a, struct mh_article *art, bool body)
{
	art->id = r->i64(r->ctx, 0);
	art->slug = r->str(r->ctx, a, 1);
	art->headline = r->str(r->ctx, a, 2);
	art->dek = r->str(r->ctx, a, 3);
	art->lead_html = r->str(r->ctx, a, 4);
	art->section_id = r->i64(r->ctx, 5);
	art->image_url = r->str(r->ctx, a, 6);
	art->image_alt = r->str(r->ctx, a, 7);
	art->via_name = r->str(r->ctx, a, 8);
	art->via_url = r->str(r->ctx, a, 9);
	art->staff_pick = r->flag(r->ctx, 10);
	/* a status this program does not know reads as a draft: never shown */
	if (!mh_article_status_parse(mh_str_c(r->peek(r->ctx, 11)), &art->status))
		art->status = MH_ARTICLE_DRAFT;
	art->published_at = r->i64(r->ctx, 12);
	art->updated_at = r->i64(r->ctx, 13);
	art->created_at = r->i64(r->ctx, 14);
	art->was_published = r->flag(r->ctx, 15);
	art->views = r->i64(r->ctx, 16);
	art->section = MH_NEW(a, struct mh_section);
	row_section(r, a, 17, art->section);
	art->no_ads = r->flag(r->ctx, 23);
	if (body) {
		art->body_md = r->str(r->ctx, a, MH_STORE_ART_NCOLS);
		art->body_html = r->str(r->ctx, a, MH_STORE_ART_NCOLS + 1);
	} else {
		art->body_md = NULL;
		art->body_html = NULL;
	}
	art->authors = NULL;
	art->tags = NULL;
	art->n_authors = art->n_tags = 0;
}

static void row_job(const struct mh_store_row *r, struct mh_arena *a, struct mh_job *j)
{
	j->id = r->i64(r->ctx, 0);
	j->kind = r->str(r->ctx, a, 1);
	j->payload = r->str(r->ctx, a, 2);
	enum mh_job_state js = MH_JOB_QUEUED;
	mh_job_state_parse(mh_str_c(r->peek(r->ctx, 3)), &js);
	j->state = js;
	j->run_at = r->i64(r->ctx, 4);
	j->attempts = (int)r->i64(r->ctx, 5);
	j->max_attempts = (int)r->i64(r->ctx, 6);
	j->owner = r->str(r->ctx, a, 7);
	j->lease_until = r->i64(r->ctx, 8);
	j->last_error = r->str(r->ctx, a, 9);
	j->dedupe = r->str(r->ctx, a, 10);
	j->created_at = r->i64(r->ctx, 11);
	j->updated_at = r->i64(r->ctx, 12);
}

static void row_change(const struct mh_store_row *r, struct mh_arena *a, struct mh_change *c)
{
	c->id = r->i64(r->ctx, 0);
	c->keys = r->str(r->ctx, a, 1);
	c->created_at = r->i64(r->ctx, 2);
}

static void item_section(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_section(r, a, 0, out);
	((struct mh_section *)out)->no_ads = r->flag(r->ctx, 6); /* MH_STORE_SECTION_COLS only */
}

static void item_author(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_author(r, a, 0, out);
}

static void item_tag(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_tag(r, a, 0, out);
}

static void item_job(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_job(r, a, out);
}

static void item_change(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_change(r, a, out);
}

/* ---- a list's authors and tags, row by row ---- */

static void relfill_begin(struct relfill *f, struct article_index *ix, struct mh_arena *a, bool authors)
{
	*f = (struct relfill){ .ix = ix, .a = a, .authors = authors, .rows = MH_BUF_INIT };
}

static void relfill_row(void *ctx, const struct mh_store_row *r)
{
	struct relfill *f = ctx;
	mh_buf_reserve(&f->rows, sizeof(struct rel_row));
	struct rel_row *row = (struct rel_row *)(void *)(f->rows.ptr + f->rows.len);
	memset(row, 0, sizeof(*row));
	row->article_id = r->i64(r->ctx, 0);
	if (f->authors) {
		row_author(r, f->a, 1, &row->u.author);
		row->position = r->i64(r->ctx, MH_STORE_BATCH_AUTHOR_POSITION);
	} else {
		row_tag(r, f->a, 1, &row->u.tag);
	}
	f->rows.len += sizeof(*row);
	f->n++;
}

static int rel_author_order(const void *x, const void *y)
{
	const struct rel_row *a = x, *b = y;
	if (a->article_id != b->article_id)
		return a->article_id < b->article_id ? -1 : 1;
	if (a->position != b->position)
		return a->position < b->position ? -1 : 1;
	return a->u.author.id < b->u.author.id ? -1 : a->u.author.id > b->u.author.id;
}

static int rel_tag_order(const void *x, const void *y)
{
	const struct rel_row *a = x, *b = y;
	if (a->article_id != b->article_id)
		return a->article_id < b->article_id ? -1 : 1;
	int c = strcmp(a->u.tag.name, b->u.tag.name);
	if (c != 0)
		return c;
	return a->u.tag.id < b->u.tag.id ? -1 : a->u.tag.id > b->u.tag.id;
}

/* Orders the rows and hands each article its group. */
static void relfill_end(struct relfill *f)
{
	struct rel_row *rows = (struct rel_row *)(void *)f->rows.ptr;
	if (f->n > 1)
		qsort(rows, f->n, sizeof(*rows), f->authors ? rel_author_order : rel_tag_order);
	size_t item = f->authors ? sizeof(struct mh_author) : sizeof(struct mh_tag);
	for (size_t i = 0; i < f->n;) {
		size_t j = i;
		while (j < f->n && rows[j].article_id == rows[i].article_id)
			j++;
		char *arr = mh_arena_alloc_raw(f->a, (j - i) * item);
		for (size_t k = i; k < j; k++)
			memcpy(arr + (k - i) * item, f->authors ? (const void *)&rows[k].u.author : (const void *)&rows[k].u.tag,
			       item);
		index_attach(f->ix, rows[i].article_id, f->authors, arr, j - i);
		i = j;
	}
	mh_buf_free(&f->rows);
}
/* ---- the backend's statements, as typed steps ----
 * Each runs one of the backend's statements (store_int.h's MH_Q_*) and
 * turns its rows into structs; the rules above and below compose them. */

void mh_store_arg_int(struct mh_store_args *a, int64_t v)
{
	MH_ASSERT(a->n < MH_STORE_MAX_ARGS);
	a->v[a->n++] = (struct mh_store_arg){ .kind = MH_ARG_INT, .i = v };
}

void mh_store_arg_bool(struct mh_store_args *a, bool v)
{
	MH_ASSERT(a->n < MH_STORE_MAX_ARGS);
	a->v[a->n++] = (struct mh_store_arg){ .kind = MH_ARG_BOOL, .i = v };
}

void mh_store_arg_str(struct mh_store_args *a, struct mh_str v)
{
	MH_ASSERT(a->n < MH_STORE_MAX_ARGS);
	if (v.ptr == NULL)
		v = MH_STR("");
	a->v[a->n++] = (struct mh_store_arg){ .kind = MH_ARG_TEXT, .s = v };
}

void mh_store_arg_text(struct mh_store_args *a, const char *v)
{
	mh_store_arg_str(a, mh_str_c(v != NULL ? v : ""));
}

void mh_store_arg_blob(struct mh_store_args *a, struct mh_str v)
{
	MH_ASSERT(a->n < MH_STORE_MAX_ARGS);
	if (v.ptr == NULL)
		v = MH_STR("");
	a->v[a->n++] = (struct mh_store_arg){ .kind = MH_ARG_BLOB, .s = v };
}

void mh_store_arg_null(struct mh_store_args *a)
{
	MH_ASSERT(a->n < MH_STORE_MAX_ARGS);
	a->v[a->n++] = (struct mh_store_arg){ .kind = MH_ARG_NULL };
}

/* One more statement handed to the backend (mh_store_statements). Only the
 * handle's thread writes the count: a load and a store, no locked add. */
static void counted(struct mh_store *s)
{
	atomic_store_explicit(&s->statements, atomic_load_explicit(&s->statements, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

uint64_t mh_store_statements(struct mh_store *s)
{
	return atomic_load_explicit(&s->statements, memory_order_relaxed);
}

static enum mh_store_rc exec(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *a,
			     mh_store_row_fn *row, void *ctx, int64_t *changed, struct mh_buf *err, const char *value,
			     const char *fk)
{
	counted(s);
	return s->ops->exec(s, id, a, row, ctx, changed, err, value, fk);
}

static enum mh_store_rc list(struct mh_store *s, unsigned flags, bool count, const struct mh_article_query *q,
			     mh_store_row_fn *row, void *ctx)
{
	counted(s);
	return s->ops->list(s, flags, count, q, row, ctx);
}

static enum mh_store_rc run(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *a,
			    mh_store_row_fn *row, void *ctx, struct mh_buf *err, const char *value, const char *fk)
{
	return exec(s, id, a, row, ctx, NULL, err, value, fk);
}

/* A write of one row: *changed is how many it changed. */
static enum mh_store_rc run_changed(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *a,
				    int64_t *changed)
{
	*changed = 0;
	return exec(s, id, a, NULL, NULL, changed, NULL, NULL, NULL);
}

/* The first column of the (last) row: an id RETURNING gave, a max(), a count. */
static void row_first(void *ctx, const struct mh_store_row *r)
{
	*(int64_t *)ctx = r->i64(r->ctx, 0);
}

static enum mh_store_rc run_first(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *a,
				  int64_t *out, struct mh_buf *err, const char *value, const char *fk)
{
	*out = 0;
	return run(s, id, a, row_first, out, err, value, fk);
}

/* Rows into an arena array of items, each decoded by fn. */
struct collector {
	struct mh_arena *a;
	decode_fn *fn;
	size_t item;
	struct mh_buf rows;
	size_t n;
};

static void collect_row(void *ctx, const struct mh_store_row *r)
{
	struct collector *c = ctx;
	mh_buf_reserve(&c->rows, c->item);
	memset(c->rows.ptr + c->rows.len, 0, c->item);
	c->fn(r, c->a, c->rows.ptr + c->rows.len);
	c->rows.len += c->item;
	c->n++;
}

static enum mh_store_rc collect(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *args,
				struct mh_arena *a, size_t item, decode_fn *fn, void **out, size_t *n)
{
	struct collector c = { .a = a, .fn = fn, .item = item, .rows = MH_BUF_INIT };
	enum mh_store_rc rc = run(s, id, args, collect_row, &c, NULL, NULL, NULL);
	if (rc == MH_OK) {
		void *arr = mh_arena_alloc(a, c.n > 0 ? c.n * item : 1);
		if (c.n > 0)
			memcpy(arr, c.rows.ptr, c.n * item);
		*out = arr;
		*n = c.n;
	}
	mh_buf_free(&c.rows);
	return rc;
}

/* One row by slug; MH_NOT_FOUND when there is none. */
static enum mh_store_rc one_by_slug(struct mh_store *s, enum mh_store_stmt id, struct mh_arena *a,
				    struct mh_str slug, size_t item, decode_fn *fn, void **out)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, slug);
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, id, &args, a, item, fn, &arr, &n);
	if (rc == MH_OK && n == 0)
		return MH_NOT_FOUND;
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

/* An insert (*id 0: sets it) or an update of row *id (given last, after
 * args): MH_NOT_FOUND, without a message, when that row is not there. */
static enum mh_store_rc save_row(struct mh_store *s, enum mh_store_stmt ins, enum mh_store_stmt upd,
				 struct mh_store_args *args, int64_t *id, const char *value, const char *fk,
				 struct mh_buf *err)
{
	if (*id != 0)
		mh_store_arg_int(args, *id);
	int64_t got = 0;
	enum mh_store_rc rc = run_first(s, *id == 0 ? ins : upd, args, &got, err, value, fk);
	if (rc != MH_OK)
		return rc;
	if (got == 0)
		return MH_NOT_FOUND;
	*id = got;
	return MH_OK;
}

static enum mh_store_rc section_write(struct mh_store *s, const struct mh_section *sec, int64_t *id,
				      struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, sec->slug);
	mh_store_arg_text(&a, sec->name);
	mh_store_arg_text(&a, sec->description);
	mh_store_arg_int(&a, sec->position);
	mh_store_arg_text(&a, mh_store_section_kind_name(sec->kind));
	return save_row(s, MH_Q_SECTION_INSERT, MH_Q_SECTION_UPDATE, &a, id, sec->slug, NULL, err);
}

static enum mh_store_rc author_write(struct mh_store *s, const struct mh_author *au, int64_t *id, struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, au->slug);
	mh_store_arg_text(&a, au->name);
	mh_store_arg_text(&a, au->bio);
	mh_store_arg_text(&a, au->avatar_url);
	return save_row(s, MH_Q_AUTHOR_INSERT, MH_Q_AUTHOR_UPDATE, &a, id, au->slug, NULL, err);
}

static enum mh_store_rc tag_insert(struct mh_store *s, const char *slug, const char *name, int64_t *id,
				   struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, slug);
	mh_store_arg_text(&a, name);
	*id = 0;
	enum mh_store_rc rc = save_row(s, MH_Q_TAG_INSERT, MH_Q_TAG_INSERT, &a, id, slug, NULL, err);
	/* a slug a tag takes stops being another's old address */
	if (rc == MH_OK) {
		struct mh_store_args b = { 0 };
		mh_store_arg_text(&b, slug);
		rc = run(s, MH_Q_TAG_OLD_DEL, &b, NULL, NULL, err, NULL, NULL);
	}
	return rc;
}

/* Fills authors and tags of arts[0..n) with one query each, whose rows come
 * grouped by article id. */
static enum mh_store_rc fill_relations(struct mh_store *s, struct mh_arena *a, struct mh_article *arts, size_t n)
{
	if (n == 0)
		return MH_OK;
	struct mh_buf ids = MH_BUF_INIT;
	struct article_index index;
	index_init(&index, arts, n, &ids, s->ops->ids_open, s->ops->ids_close);
	enum mh_store_rc rc = MH_OK;
	for (int pass = 0; pass < 2 && rc == MH_OK; pass++) {
		struct mh_store_args args = { 0 };
		const char *list = mh_buf_cstr(&ids); /* NUL-terminated */
		args.v[args.n++] = (struct mh_store_arg){ .kind = MH_ARG_IDS, .s = { list, ids.len } };
		struct relfill fill;
		relfill_begin(&fill, &index, a, pass == 0);
		rc = run(s, pass == 0 ? MH_Q_BATCH_AUTHORS : MH_Q_BATCH_TAGS, &args, relfill_row, &fill, NULL, NULL,
			 NULL);
		relfill_end(&fill);
	}
	index_free(&index);
	mh_buf_free(&ids);
	return rc;
}

/* Articles from a list or a lookup, up to max (body: with body_md/_html). */
struct article_rows {
	struct mh_arena *a;
	struct mh_article *arts;
	size_t n, max;
	bool body;
};

static void article_row(void *ctx, const struct mh_store_row *r)
{
	struct article_rows *ar = ctx;
	if (ar->n < ar->max)
		row_article(r, ar->a, &ar->arts[ar->n++], ar->body);
}

static enum mh_store_rc one_article(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *args,
				    struct mh_arena *a, struct mh_article **out, bool relations)
{
	struct article_rows ar = { .a = a, .arts = MH_NEW(a, struct mh_article), .max = 1, .body = true };
	enum mh_store_rc rc = run(s, id, args, article_row, &ar, NULL, NULL, NULL);
	if (rc == MH_OK && ar.n == 0)
		rc = MH_NOT_FOUND;
	if (rc == MH_OK && relations)
		rc = fill_relations(s, a, ar.arts, 1);
	if (rc == MH_OK)
		*out = ar.arts;
	return rc;
}

struct article_old {
	bool found, ever_published;
	int64_t created_at;
};

static void article_old_row(void *ctx, const struct mh_store_row *r)
{
	struct article_old *o = ctx;
	o->found = true;
	o->created_at = r->i64(r->ctx, 0);
	o->ever_published = r->flag(r->ctx, 1);
}

/* The stored created_at and "ever published" of article id: MH_NOT_FOUND. */
static enum mh_store_rc article_old(struct mh_store *s, int64_t id, int64_t *created_at, bool *ever_published,
				    struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	struct article_old o = { 0 };
	enum mh_store_rc rc = run(s, MH_Q_ART_OLD, &a, article_old_row, &o, err, NULL, NULL);
	if (rc == MH_OK && !o.found)
		return MH_NOT_FOUND;
	*created_at = o.created_at;
	*ever_published = o.ever_published;
	return rc;
}

/* Every column of row as given (row->was_published: ever published). */
static enum mh_store_rc article_row_write(struct mh_store *s, const struct mh_article *row, int64_t *id,
					  const char *fk, struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, row->slug);
	mh_store_arg_text(&a, row->headline);
	mh_store_arg_text(&a, row->dek);
	mh_store_arg_text(&a, row->body_md);
	mh_store_arg_text(&a, row->body_html);
	mh_store_arg_text(&a, row->lead_html);
	mh_store_arg_int(&a, row->section_id);
	mh_store_arg_text(&a, row->image_url);
	mh_store_arg_text(&a, row->image_alt);
	mh_store_arg_text(&a, row->via_name);
	mh_store_arg_text(&a, row->via_url);
	mh_store_arg_bool(&a, row->staff_pick);
	mh_store_arg_text(&a, mh_article_status_name(row->status));
	mh_store_arg_int(&a, row->published_at);
	mh_store_arg_int(&a, row->updated_at);
	mh_store_arg_int(&a, row->created_at);
	mh_store_arg_bool(&a, row->was_published);
	mh_store_arg_int(&a, row->views);
	return save_row(s, MH_Q_ART_INSERT, MH_Q_ART_UPDATE, &a, id, row->slug, fk, err);
}

static enum mh_store_rc article_clear_joins(struct mh_store *s, int64_t id, struct mh_buf *err)
{
	enum mh_store_rc rc = MH_OK;
	for (int k = 0; k < 2 && rc == MH_OK; k++) {
		struct mh_store_args a = { 0 };
		mh_store_arg_int(&a, id);
		rc = run(s, k == 0 ? MH_Q_ART_DEL_AUTHORS : MH_Q_ART_DEL_TAGS, &a, NULL, NULL, err, NULL, NULL);
	}
	return rc;
}

static enum mh_store_rc article_add_author(struct mh_store *s, int64_t id, int64_t author_id, int position,
					   const char *fk, struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_int(&a, author_id);
	mh_store_arg_int(&a, position);
	return run(s, MH_Q_ART_ADD_AUTHOR, &a, NULL, NULL, err, NULL, fk);
}

static enum mh_store_rc article_add_tag(struct mh_store *s, int64_t id, int64_t tag_id, const char *fk,
				       struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_int(&a, tag_id);
	return run(s, MH_Q_ART_ADD_TAG, &a, NULL, NULL, err, NULL, fk);
}

struct job_one {
	struct mh_arena *a;
	struct mh_job *j;
};

static void job_row(void *ctx, const struct mh_store_row *r)
{
	struct job_one *c = ctx;
	if (c->j == NULL) {
		c->j = MH_NEW(c->a, struct mh_job);
		row_job(r, c->a, c->j);
	}
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

/* Each migration in its own transaction, under a lock every other migrator
 * (another process, another node) waits for; the version is read again under
 * the lock, so two starting at once apply each migration once. */
static enum mh_store_rc migrate(struct mh_store *s, int *version, struct mh_buf *err)
{
	const struct mh_store_ops *o = s->ops;
	if (o->in_transaction(s)) {
		mh_store_set_err(err, "migrate: not allowed inside a transaction");
		return MH_INVALID;
	}
	int newest = mh_store_migrations[mh_store_n_migrations - 1].version;
	/* Up to date (every start but the first): no lock, no write. A new
	 * database has no schema table yet: the read fails, quietly. */
	int64_t v = 0;
	if (run_first(s, MH_Q_MIG_VERSION, NULL, &v, NULL, NULL, NULL) == MH_OK && v == newest) {
		*version = (int)v;
		return MH_OK;
	}
	enum mh_store_rc rc = o->migrate_lock(s, err);
	if (rc != MH_OK)
		return rc;
	rc = o->write_end(s, o->raw_exec(s, o->schema_table_sql, err), err);
	if (rc != MH_OK)
		return rc;
	if ((rc = run_first(s, MH_Q_MIG_VERSION, NULL, &v, err, NULL, NULL)) != MH_OK)
		return rc;
	*version = (int)v;
	if (*version > newest) {
		mh_store_set_err(err, "database schema version %d is newer than this program knows (%d)", *version,
				 newest);
		return MH_INVALID;
	}
	for (size_t i = 0; i < mh_store_n_migrations; i++) {
		const struct mh_store_migration *m = &mh_store_migrations[i];
		if (m->version <= *version)
			continue;
		if ((rc = o->migrate_lock(s, err)) != MH_OK)
			return rc;
		int64_t now_at = 0;
		if ((rc = run_first(s, MH_Q_MIG_VERSION, NULL, &now_at, err, NULL, NULL)) != MH_OK)
			return o->write_end(s, rc, NULL);
		if (now_at >= m->version) {
			*version = (int)now_at;
			o->write_end(s, MH_NOT_FOUND, NULL); /* nothing to do: roll back */
			continue;
		}
		struct mh_buf why = MH_BUF_INIT;
		rc = o->raw_exec(s, o->migration_sql(m), &why);
		if (rc == MH_OK && m->after != NULL)
			rc = m->after(s, &why);
		if (rc != MH_OK) {
			mh_store_set_err(err, "migration %d (%s): %s", m->version, m->description, mh_buf_cstr(&why));
			if (rc != MH_UNAVAILABLE)
				rc = MH_ERROR;
		}
		mh_buf_free(&why);
		if (rc == MH_OK) {
			struct mh_store_args a = { 0 };
			mh_store_arg_int(&a, m->version);
			mh_store_arg_int(&a, mh_time_now());
			rc = run(s, MH_Q_MIG_RECORD, &a, NULL, NULL, err, NULL, NULL);
		}
		if ((rc = o->write_end(s, rc, rc == MH_OK ? err : NULL)) != MH_OK)
			return rc;
		*version = m->version;
	}
	return MH_OK;
}

enum mh_store_rc mh_store_migrate(struct mh_store *s, int *version, struct mh_buf *err)
{
	int v = 0;
	enum mh_store_rc rc = migrate(s, &v, err);
	if (version != NULL)
		*version = v;
	return rc;
}

enum mh_store_rc mh_store_begin(struct mh_store *s)
{
	if (s->ops->in_transaction(s))
		return MH_INVALID; /* nesting is an error */
	return s->ops->begin(s);
}

enum mh_store_rc mh_store_commit(struct mh_store *s)
{
	if (!s->ops->in_transaction(s))
		return MH_INVALID;
	return s->ops->commit(s);
}

void mh_store_rollback(struct mh_store *s)
{
	s->ops->rollback(s);
}

enum mh_store_rc mh_store_bulk_load(struct mh_store *s, bool on)
{
	if (s->ops->in_transaction(s))
		return MH_INVALID;
	return s->ops->bulk_load(s, on);
}

/* ---- addresses ---- */

#define URL_MAX 2000

/* Why u (not empty) may not be stored, or NULL. Only what a browser follows
 * to a web page or to this site: http(s)://host..., or a path starting with
 * a single '/' ("//host" leaves the site). Printable ASCII only, so neither a
 * space nor a control character can split or hide anything where the
 * address is shown or followed. */
static const char *url_problem(struct mh_str u)
{
	if (u.len > URL_MAX)
		return "longer than 2000 bytes";
	for (size_t i = 0; i < u.len; i++) {
		unsigned char c = (unsigned char)u.ptr[i];
		if (c <= ' ' || c >= 0x7f)
			return "must not contain spaces, control characters or non-ASCII bytes"
			       " (percent-encode them)";
		if (c == '"' || c == '<' || c == '>' || c == '\\' || c == '`')
			return "must not contain \" < > \\ or `";
	}
	const char *what = "must be an http:// or https:// address or a site path starting with /";
	if (u.ptr[0] == '/')
		return u.len > 1 && u.ptr[1] == '/' ? what : NULL;
	size_t skip;
	if (u.len >= 8 && strncasecmp(u.ptr, "https://", 8) == 0)
		skip = 8;
	else if (u.len >= 7 && strncasecmp(u.ptr, "http://", 7) == 0)
		skip = 7;
	else
		return what;
	/* the authority ends at the path, the query or the fragment; its host
	 * follows any user@ and must be there */
	size_t end = skip;
	while (end < u.len && u.ptr[end] != '/' && u.ptr[end] != '?' && u.ptr[end] != '#')
		end++;
	size_t host = skip;
	for (size_t i = skip; i < end; i++)
		if (u.ptr[i] == '@')
			host = i + 1;
	if (host >= end || u.ptr[host] == ':')
		return "has no host after http:// or https://";
	return NULL;
}

const char *mh_store_url_problem(struct mh_str url)
{
	return url.len == 0 ? NULL : url_problem(url);
}

/* MH_INVALID with "<field>: why" when v may not be stored ("" is none). */
static enum mh_store_rc check_url(const char *field, const char *v, struct mh_buf *err)
{
	const char *why = mh_store_url_problem(mh_str_c(v != NULL ? v : ""));
	if (why == NULL)
		return MH_OK;
	mh_store_set_err(err, "%s: %s", field, why);
	return MH_INVALID;
}

/* ---- sections, authors, tags ---- */

static bool str_empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* A row write's MH_NOT_FOUND (an update of an id that is not there), said. */
static enum mh_store_rc no_such(enum mh_store_rc rc, const char *what, int64_t id, struct mh_buf *err)
{
	if (rc == MH_NOT_FOUND)
		mh_store_set_err(err, "id: no %s with id %lld", what, (long long)id);
	return rc;
}

static int section_order(const void *x, const void *y)
{
	const struct mh_section *a = x, *b = y;
	if (a->position != b->position)
		return a->position < b->position ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Every page reads these: ordered here (by position, then id) rather than
 * by an ORDER BY, which SQLite would sort in a temporary table each time
 * (there is no index on position, and a handful of rows). */
enum mh_store_rc mh_store_sections(struct mh_store *s, struct mh_arena *a, struct mh_section **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	enum mh_store_rc rc = collect(s, MH_Q_SECTIONS, NULL, a, sizeof(struct mh_section), item_section, (void **)out, n);
	if (rc == MH_OK && *n > 1)
		qsort(*out, *n, sizeof(**out), section_order);
	return rc;
}

enum mh_store_rc mh_store_section_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_section **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return one_by_slug(s, MH_Q_SECTION_BY_SLUG, a, slug, sizeof(struct mh_section), item_section,
			   (void **)out);
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
	int64_t id = sec->id;
	enum mh_store_rc rc = no_such(section_write(s, sec, &id, err), "section", sec->id, err);
	if (rc == MH_OK) {
		/* advertisements off or on (issue 9): a statement of its own */
		struct mh_store_args na = { 0 };
		mh_store_arg_int(&na, id);
		mh_store_arg_bool(&na, sec->no_ads);
		rc = run(s, MH_Q_SECTION_NO_ADS, &na, NULL, NULL, err, NULL, NULL);
	}
	if (rc == MH_OK)
		sec->id = id;
	return rc;
}

enum mh_store_rc mh_store_authors(struct mh_store *s, struct mh_arena *a, struct mh_author **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_AUTHORS, NULL, a, sizeof(struct mh_author), item_author, (void **)out, n);
}

enum mh_store_rc mh_store_author_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					 struct mh_author **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return one_by_slug(s, MH_Q_AUTHOR_BY_SLUG, a, slug, sizeof(struct mh_author), item_author,
			   (void **)out);
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
	enum mh_store_rc rc = check_url("avatar_url", au->avatar_url, err);
	if (rc != MH_OK)
		return rc;
	int64_t id = au->id;
	if ((rc = s->ops->write_begin(s, err)) != MH_OK)
		return rc;
	rc = no_such(author_write(s, au, &id, err), "author", au->id, err);
	if (rc == MH_OK && au->id != 0) {
		/* a renamed author is found under the new name, in the same
		 * transaction (the search index keeps bylines as text) */
		struct mh_store_args sa = { 0 };
		mh_store_arg_int(&sa, id);
		rc = run(s, MH_Q_SEARCH_AUTHOR, &sa, NULL, NULL, err, NULL, NULL);
	}
	rc = s->ops->write_end(s, rc, err);
	if (rc == MH_OK)
		au->id = id;
	return rc;
}

enum mh_store_rc mh_store_tag_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug, struct mh_tag **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return one_by_slug(s, MH_Q_TAG_BY_SLUG, a, slug, sizeof(struct mh_tag), item_tag, (void **)out);
}

/* The tag's slug (given, or derived from the name) is looked up first: an
 * existing tag keeps its name. A new one is named by its name, or its slug. */
enum mh_store_rc mh_store_tag_ensure(struct mh_store *s, struct mh_tag *tag, struct mh_buf *err)
{
	if (str_empty(tag->name) && str_empty(tag->slug)) {
		mh_store_set_err(err, "name: required");
		return MH_INVALID;
	}
	struct mh_buf slug = MH_BUF_INIT;
	if (!str_empty(tag->slug))
		mh_buf_append_c(&slug, tag->slug);
	else
		mh_store_simple_slug(&slug, tag->name);
	struct mh_arena *a = mh_arena_new();
	struct mh_tag *found = NULL;
	enum mh_store_rc rc = mh_store_tag_by_slug(s, a, mh_str_c(mh_buf_cstr(&slug)), &found);
	if (rc == MH_OK) {
		tag->id = found->id;
	} else if (rc == MH_NOT_FOUND) {
		int64_t id = 0;
		const char *name = !str_empty(tag->name) ? tag->name : mh_buf_cstr(&slug);
		rc = tag_insert(s, mh_buf_cstr(&slug), name, &id, err);
		if (rc == MH_OK)
			tag->id = id;
	} else {
		mh_store_set_err(err, "tags: cannot look up tag '%s'", mh_buf_cstr(&slug));
	}
	mh_arena_free(a);
	mh_buf_free(&slug);
	return rc;
}

/* ---- the tags screen: lists with counts, rename, merge, old addresses ---- */

enum mh_store_rc mh_store_section_articles(struct mh_store *s, int64_t id, int64_t *n)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	return run_first(s, MH_Q_SECTION_ARTICLES, &a, n, NULL, NULL, NULL);
}

static void item_tag_use(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_tag_use *u = out;
	row_tag(r, a, 0, &u->tag);
	u->articles = r->i64(r->ctx, 3);
}

enum mh_store_rc mh_store_tags(struct mh_store *s, struct mh_arena *a, struct mh_str filter, struct mh_str after_slug,
			       int limit, struct mh_tag_use **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > 1000 || filter.len > 200)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, filter);
	mh_store_arg_str(&args, after_slug);
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_TAGS_LIST, &args, a, sizeof(struct mh_tag_use), item_tag_use, (void **)out, n);
}

enum mh_store_rc mh_store_tag_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_tag **out)
{
	*out = NULL;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, MH_Q_TAG_BY_ID, &args, a, sizeof(struct mh_tag), item_tag, &arr, &n);
	if (rc == MH_OK && n == 0)
		return MH_NOT_FOUND;
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

enum mh_store_rc mh_store_tag_by_old_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_tag **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	return one_by_slug(s, MH_Q_TAG_BY_OLD_SLUG, a, slug, sizeof(struct mh_tag), item_tag, (void **)out);
}

static enum mh_store_rc tag_old_slug(struct mh_store *s, enum mh_store_stmt id, const char *slug, int64_t tag_id,
				     struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, slug);
	if (id == MH_Q_TAG_OLD_SET) {
		mh_store_arg_int(&a, tag_id);
		mh_store_arg_int(&a, mh_time_now());
	}
	return run(s, id, &a, NULL, NULL, err, NULL, NULL);
}

/* The rename's checks and writes, inside write_begin/write_end. */
static enum mh_store_rc tag_rename(struct mh_store *s, const struct mh_tag *tag, struct mh_buf *err)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_tag *old = NULL;
	enum mh_store_rc rc = mh_store_tag_by_id(s, a, tag->id, &old);
	if (rc == MH_NOT_FOUND)
		no_such(rc, "tag", tag->id, err);
	if (rc == MH_OK && strcmp(old->slug, tag->slug) != 0)
		rc = tag_old_slug(s, MH_Q_TAG_OLD_SET, old->slug, tag->id, err);
	if (rc == MH_OK) {
		struct mh_store_args args = { 0 };
		mh_store_arg_text(&args, tag->slug);
		mh_store_arg_text(&args, tag->name);
		int64_t id = tag->id;
		rc = no_such(save_row(s, MH_Q_TAG_UPDATE, MH_Q_TAG_UPDATE, &args, &id, tag->slug, NULL, err), "tag",
			     tag->id, err);
	}
	/* the slug is a live address now: nobody's old one */
	if (rc == MH_OK)
		rc = tag_old_slug(s, MH_Q_TAG_OLD_DEL, tag->slug, 0, err);
	mh_arena_free(a);
	return rc;
}

enum mh_store_rc mh_store_tag_rename(struct mh_store *s, const struct mh_tag *tag, struct mh_buf *err)
{
	if (tag->id <= 0)
		return no_such(MH_NOT_FOUND, "tag", tag->id, err);
	if (str_empty(tag->name)) {
		mh_store_set_err(err, "name: required");
		return MH_INVALID;
	}
	if (str_empty(tag->slug)) {
		mh_store_set_err(err, "slug: required");
		return MH_INVALID;
	}
	enum mh_store_rc rc = s->ops->write_begin(s, err);
	if (rc != MH_OK)
		return rc;
	return s->ops->write_end(s, tag_rename(s, tag, err), err);
}

static enum mh_store_rc tag_merge(struct mh_store *s, int64_t from, int64_t into, struct mh_buf *err)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_tag *f = NULL, *t = NULL;
	enum mh_store_rc rc = mh_store_tag_by_id(s, a, from, &f);
	if (rc == MH_OK)
		rc = mh_store_tag_by_id(s, a, into, &t);
	if (rc == MH_NOT_FOUND)
		mh_store_set_err(err, "id: no tag with id %lld", (long long)(f == NULL ? from : into));
	struct mh_store_args pair = { 0 };
	mh_store_arg_int(&pair, from);
	mh_store_arg_int(&pair, into);
	struct mh_store_args one = { 0 };
	mh_store_arg_int(&one, from);
	if (rc == MH_OK)
		rc = run(s, MH_Q_TAG_MERGE_LINKS, &pair, NULL, NULL, err, NULL, NULL);
	if (rc == MH_OK)
		rc = run(s, MH_Q_TAG_LINKS_DEL, &one, NULL, NULL, err, NULL, NULL);
	/* from's addresses, old and current, lead to into from now on */
	if (rc == MH_OK)
		rc = run(s, MH_Q_TAG_OLD_MOVE, &pair, NULL, NULL, err, NULL, NULL);
	/* and the revisions that named from name into: a restore brings back
	 * the merged tag, not an id without a row (one pass over the
	 * revisions; merges are rare) */
	if (rc == MH_OK)
		rc = run(s, MH_Q_TAG_REV_MOVE, &pair, NULL, NULL, err, NULL, NULL);
	if (rc == MH_OK)
		rc = run(s, MH_Q_TAG_DEL, &one, NULL, NULL, err, NULL, NULL);
	if (rc == MH_OK)
		rc = tag_old_slug(s, MH_Q_TAG_OLD_SET, f->slug, into, err);
	mh_arena_free(a);
	return rc;
}

enum mh_store_rc mh_store_tag_merge(struct mh_store *s, int64_t from, int64_t into, struct mh_buf *err)
{
	if (from <= 0 || into <= 0)
		return no_such(MH_NOT_FOUND, "tag", from <= 0 ? from : into, err);
	if (from == into) {
		mh_store_set_err(err, "into: a tag cannot be merged into itself");
		return MH_INVALID;
	}
	enum mh_store_rc rc = s->ops->write_begin(s, err);
	if (rc != MH_OK)
		return rc;
	return s->ops->write_end(s, tag_merge(s, from, into, err), err);
}

/* ---- the Staff Picks screen ---- */

enum mh_store_rc mh_store_pick_ranks(struct mh_store *s, const int64_t *ids, size_t n)
{
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	for (size_t i = 0; rc == MH_OK && i < n; i++) {
		struct mh_store_args a = { 0 };
		int64_t changed = 0;
		mh_store_arg_int(&a, ids[i]);
		mh_store_arg_int(&a, (int64_t)(n - i));
		rc = run_changed(s, MH_Q_PICK_RANK, &a, &changed);
		if (rc == MH_OK && changed == 0)
			rc = MH_NOT_FOUND;
	}
	return s->ops->write_end(s, rc, NULL);
}

static void item_found(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_article *art = out;
	art->id = r->i64(r->ctx, 0);
	art->slug = r->str(r->ctx, a, 1);
	art->headline = r->str(r->ctx, a, 2);
	art->published_at = r->i64(r->ctx, 3);
	art->staff_pick = r->flag(r->ctx, 4);
	art->status = MH_ARTICLE_PUBLISHED;
	art->dek = art->body_md = art->body_html = art->lead_html = "";
	art->image_url = art->image_alt = art->via_name = art->via_url = "";
}

enum mh_store_rc mh_store_articles_by_headline(struct mh_store *s, struct mh_arena *a, struct mh_str text, int limit,
					       struct mh_article **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (text.len == 0 || text.len > 200 || limit < 1 || limit > 1000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, text);
	mh_store_arg_int(&args, mh_time_now());
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_HEADLINE_SEARCH, &args, a, sizeof(struct mh_article), item_found, (void **)out, n);
}

/* ---- articles ---- */

static enum mh_store_rc check_query(const struct mh_article_query *q)
{
	if (q->offset < 0 || q->limit < 0 || q->section_id < 0 || q->author_id < 0 || q->tag_id < 0 ||
	    q->before_id < 0 || q->exclude_id < 0 || q->after_id < 0)
		return MH_INVALID;
	if (q->after_published_at != 0 && q->before_published_at != 0)
		return MH_INVALID; /* one direction at a time */
	if (q->status_only && ((unsigned)q->status > MH_ARTICLE_STATUS_LAST || q->scheduled_only))
		return MH_INVALID;
	return MH_OK;
}

/* Stored: "has ever been published". Reported: "was, and is no more". */
static void report_withdrawn(struct mh_article *arts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		arts[i].was_published = arts[i].was_published && arts[i].status != MH_ARTICLE_PUBLISHED;
}

enum mh_store_rc mh_store_articles(struct mh_store *s, struct mh_arena *a, const struct mh_article_query *q,
				   struct mh_article **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (check_query(q) != MH_OK)
		return MH_INVALID;
	unsigned f = mh_store_query_flags(q);
	size_t limit = (size_t)mh_store_list_limit(q);
	struct article_rows ar = { .a = a, .arts = MH_NEW_ARRAY(a, struct mh_article, limit), .max = limit,
				   .body = (f & LQ_BODY) != 0 };
	enum mh_store_rc rc = list(s, f, false, q, article_row, &ar);
	if (rc == MH_OK && !q->without_relations)
		rc = fill_relations(s, a, ar.arts, ar.n);
	if (rc != MH_OK)
		return rc;
	report_withdrawn(ar.arts, ar.n);
	*out = ar.arts;
	*n = ar.n;
	return MH_OK;
}

enum mh_store_rc mh_store_articles_count(struct mh_store *s, const struct mh_article_query *q, int64_t *count)
{
	*count = 0;
	if (check_query(q) != MH_OK)
		return MH_INVALID;
	return list(s, mh_store_query_flags(q) & ~(unsigned)LQ_BODY, true, q, row_first, count);
}

static enum mh_store_rc article_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
				       struct mh_article **out, bool relations)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, slug);
	enum mh_store_rc rc = one_article(s, MH_Q_ART_BY_SLUG, &args, a, out, relations);
	if (rc == MH_OK)
		report_withdrawn(*out, 1);
	return rc;
}

enum mh_store_rc mh_store_article_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_article **out)
{
	return article_by_slug(s, a, slug, out, true);
}

enum mh_store_rc mh_store_article_row_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					      struct mh_article **out)
{
	return article_by_slug(s, a, slug, out, false);
}

enum mh_store_rc mh_store_articles_relations(struct mh_store *s, struct mh_arena *a, struct mh_article *arts,
					     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		arts[i].authors = NULL;
		arts[i].tags = NULL;
		arts[i].n_authors = arts[i].n_tags = 0;
	}
	return fill_relations(s, a, arts, n);
}

enum mh_store_rc mh_store_article_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_article **out)
{
	*out = NULL;
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	enum mh_store_rc rc = one_article(s, MH_Q_ART_BY_ID, &args, a, out, true);
	if (rc == MH_OK)
		report_withdrawn(*out, 1);
	return rc;
}

/* ---- revisions and old addresses ----
 * A save writes its revision (revision_write) and keeps a published
 * article's old slug (keep_old_slug) in its own transaction, from
 * article_write; the reads below give them back. The byline and the tags
 * are kept as their ids in order, "3,1,2" (the names are read as they are
 * now, so a renamed author is not a change between two revisions). */

static const char *const revision_kind_names[] = {
	[MH_REVISION_SAVE] = "save",
	[MH_REVISION_RESTORE] = "restore",
	[MH_REVISION_CONFLICT] = "conflict",
};

const char *mh_revision_kind_name(enum mh_revision_kind k)
{
	MH_ASSERT((unsigned)k < sizeof(revision_kind_names) / sizeof(revision_kind_names[0]));
	return revision_kind_names[k];
}

static enum mh_store_rc check_note(const struct mh_revision_note *note, struct mh_buf *err)
{
	if (note == NULL)
		return MH_OK;
	if (note->kind != MH_REVISION_SAVE && note->kind != MH_REVISION_RESTORE) {
		mh_store_set_err(err, "revision: a save is an ordinary one or a restore"
				      " (a refused one is kept by mh_store_revision_keep_conflict)");
		return MH_INVALID;
	}
	if (note->replaces < 0 || (note->replaces > 0 && note->kind != MH_REVISION_SAVE)) {
		mh_store_set_err(err, "revision: only an ordinary save replaces an earlier revision");
		return MH_INVALID;
	}
	if (note->user_id < 0 || note->restored_from < 0) {
		mh_store_set_err(err, "revision: %s must not be negative", note->user_id < 0 ? "user_id" : "restored_from");
		return MH_INVALID;
	}
	if (note->kind == MH_REVISION_RESTORE && note->restored_from == 0) {
		mh_store_set_err(err, "revision: a restore names the revision it brings back");
		return MH_INVALID;
	}
	if (note->user_name != NULL && strlen(note->user_name) > 200) {
		mh_store_set_err(err, "revision: user_name longer than 200 bytes");
		return MH_INVALID;
	}
	return MH_OK;
}

/* "3,1,2": the ids of n items of size item whose first member is the id. */
static void ids_text(struct mh_buf *out, const void *items, size_t n, size_t item)
{
	for (size_t i = 0; i < n; i++) {
		int64_t id;
		memcpy(&id, (const char *)items + i * item, sizeof(id));
		mh_buf_printf(out, "%s%lld", i ? "," : "", (long long)id);
	}
}

/* The state art was saved in, as a revision of article art->id. */
static enum mh_store_rc revision_write(struct mh_store *s, const struct mh_article *art,
				       const struct mh_revision_note *note, enum mh_revision_kind kind, int64_t now,
				       int64_t *id, struct mh_buf *err)
{
	struct mh_buf authors = MH_BUF_INIT, tags = MH_BUF_INIT;
	ids_text(&authors, art->authors, art->n_authors, sizeof(struct mh_author));
	ids_text(&tags, art->tags, art->n_tags, sizeof(struct mh_tag));
	if (note != NULL && kind == MH_REVISION_SAVE)
		kind = note->kind;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, art->id);
	mh_store_arg_text(&a, mh_revision_kind_name(kind));
	if (kind == MH_REVISION_RESTORE)
		mh_store_arg_int(&a, note->restored_from);
	else
		mh_store_arg_null(&a);
	if (note != NULL && note->user_id > 0)
		mh_store_arg_int(&a, note->user_id);
	else
		mh_store_arg_null(&a);
	mh_store_arg_text(&a, note != NULL ? note->user_name : NULL);
	mh_store_arg_int(&a, now);
	mh_store_arg_text(&a, art->slug);
	mh_store_arg_text(&a, art->headline);
	mh_store_arg_text(&a, art->dek);
	mh_store_arg_int(&a, art->section_id);
	mh_store_arg_str(&a, mh_buf_str(&authors));
	mh_store_arg_str(&a, mh_buf_str(&tags));
	mh_store_arg_text(&a, art->via_name);
	mh_store_arg_text(&a, art->via_url);
	mh_store_arg_text(&a, art->image_url);
	mh_store_arg_text(&a, art->image_alt);
	mh_store_arg_bool(&a, art->staff_pick);
	mh_store_arg_text(&a, mh_article_status_name(art->status));
	mh_store_arg_int(&a, art->published_at);
	mh_store_arg_text(&a, art->body_md);
	int64_t got = 0;
	enum mh_store_rc rc = run_first(s, MH_Q_REV_INSERT, &a, &got, err, NULL, NULL);
	mh_buf_free(&authors);
	mh_buf_free(&tags);
	if (rc == MH_OK && id != NULL)
		*id = got;
	return rc;
}

static void row_copy_text(void *ctx, const struct mh_store_row *r)
{
	struct mh_buf *b = ctx;
	mh_buf_reset(b);
	mh_buf_append_c(b, r->peek(r->ctx, 0));
}

/* Before an update of article id to new_slug: its slug until now becomes
 * one of its old addresses, if it changes. */
static enum mh_store_rc keep_old_slug(struct mh_store *s, int64_t id, const char *new_slug, int64_t now,
				      struct mh_buf *err)
{
	struct mh_buf old = MH_BUF_INIT;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	enum mh_store_rc rc = run(s, MH_Q_ART_SLUG_NOW, &a, row_copy_text, &old, err, NULL, NULL);
	if (rc == MH_OK && old.len > 0 && strcmp(mh_buf_cstr(&old), new_slug != NULL ? new_slug : "") != 0) {
		struct mh_store_args b = { 0 };
		mh_store_arg_str(&b, mh_buf_str(&old));
		mh_store_arg_int(&b, id);
		mh_store_arg_int(&b, now);
		rc = run(s, MH_Q_OLD_SLUG_SET, &b, NULL, NULL, err, NULL, NULL);
	}
	mh_buf_free(&old);
	return rc;
}

static enum mh_store_rc old_slug_forget(struct mh_store *s, const char *slug, struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, slug);
	return run(s, MH_Q_OLD_SLUG_DEL, &a, NULL, NULL, err, NULL, NULL);
}

/* "3,1,2" -> items with only their ids set (arena memory). */
static void *ids_parse(struct mh_arena *a, const char *text, size_t item, size_t *n)
{
	size_t count = 0;
	for (const char *p = text; *p != '\0'; p++)
		count += *p == ',';
	count += text[0] != '\0';
	char *arr = mh_arena_alloc(a, (count > 0 ? count : 1) * item);
	size_t got = 0;
	const char *p = text;
	while (got < count && *p != '\0') {
		char *end = NULL;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		int64_t id = v;
		memcpy(arr + got * item, &id, sizeof(id));
		got++;
		p = *end == ',' ? end + 1 : end;
	}
	*n = got;
	return arr;
}

static void row_revision(const struct mh_store_row *r, struct mh_arena *a, struct mh_revision *rev, bool body)
{
	rev->id = r->i64(r->ctx, 0);
	rev->article_id = r->i64(r->ctx, 1);
	rev->kind = MH_REVISION_SAVE;
	for (size_t k = 0; k < sizeof(revision_kind_names) / sizeof(revision_kind_names[0]); k++)
		if (strcmp(r->peek(r->ctx, 2), revision_kind_names[k]) == 0)
			rev->kind = (enum mh_revision_kind)k;
	rev->restored_from = r->i64(r->ctx, 3);
	rev->user_id = r->i64(r->ctx, 4);
	rev->user_name = r->str(r->ctx, a, 5);
	rev->created_at = r->i64(r->ctx, 6);
	struct mh_article *st = &rev->state;
	memset(st, 0, sizeof(*st));
	st->id = rev->article_id;
	st->slug = r->str(r->ctx, a, 7);
	st->headline = r->str(r->ctx, a, 8);
	st->dek = r->str(r->ctx, a, 9);
	st->section_id = r->i64(r->ctx, 10);
	st->authors = ids_parse(a, r->peek(r->ctx, 11), sizeof(struct mh_author), &st->n_authors);
	for (size_t i = 0; i < st->n_authors; i++)
		st->authors[i].slug = st->authors[i].name = st->authors[i].bio = st->authors[i].avatar_url = "";
	st->tags = ids_parse(a, r->peek(r->ctx, 12), sizeof(struct mh_tag), &st->n_tags);
	for (size_t i = 0; i < st->n_tags; i++)
		st->tags[i].slug = st->tags[i].name = "";
	st->via_name = r->str(r->ctx, a, 13);
	st->via_url = r->str(r->ctx, a, 14);
	st->image_url = r->str(r->ctx, a, 15);
	st->image_alt = r->str(r->ctx, a, 16);
	st->staff_pick = r->flag(r->ctx, 17);
	if (!mh_article_status_parse(mh_str_c(r->peek(r->ctx, 18)), &st->status))
		st->status = MH_ARTICLE_DRAFT;
	st->published_at = r->i64(r->ctx, 19);
	st->body_md = body ? r->str(r->ctx, a, MH_STORE_REV_NCOLS) : NULL;
	st->body_html = st->lead_html = "";
	st->created_at = st->updated_at = rev->created_at;
}

static void item_revision(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_revision(r, a, out, false);
}

static void item_revision_body(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_revision(r, a, out, true);
}

enum mh_store_rc mh_store_revisions(struct mh_store *s, struct mh_arena *a, int64_t article_id, int64_t before_id,
				    int limit, struct mh_revision **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 0 || limit > 1000 || before_id < 0 || article_id < 0)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, article_id);
	mh_store_arg_int(&args, before_id > 0 ? before_id : INT64_MAX);
	mh_store_arg_int(&args, limit > 0 ? limit : 20);
	return collect(s, MH_Q_REV_LIST, &args, a, sizeof(struct mh_revision), item_revision, (void **)out, n);
}

/* Fills the names of a revision's byline or tags from the rows as they are
 * now (one query); an id without a row keeps "" (removed since). */
static enum mh_store_rc revision_names(struct mh_store *s, struct mh_arena *a, struct mh_article *st, bool authors)
{
	size_t n = authors ? st->n_authors : st->n_tags;
	if (n == 0)
		return MH_OK;
	struct mh_buf ids = MH_BUF_INIT;
	mh_buf_append_ch(&ids, s->ops->ids_open);
	if (authors)
		ids_text(&ids, st->authors, n, sizeof(struct mh_author));
	else
		ids_text(&ids, st->tags, n, sizeof(struct mh_tag));
	mh_buf_append_ch(&ids, s->ops->ids_close);
	struct mh_store_args args = { 0 };
	const char *list = mh_buf_cstr(&ids);
	args.v[args.n++] = (struct mh_store_arg){ .kind = MH_ARG_IDS, .s = { list, ids.len } };
	void *rows = NULL;
	size_t got = 0;
	enum mh_store_rc rc = authors ? collect(s, MH_Q_AUTHORS_BY_IDS, &args, a, sizeof(struct mh_author),
						item_author, &rows, &got)
				      : collect(s, MH_Q_TAGS_BY_IDS, &args, a, sizeof(struct mh_tag), item_tag,
						&rows, &got);
	for (size_t i = 0; rc == MH_OK && i < n; i++) {
		for (size_t j = 0; j < got; j++) {
			if (authors && ((struct mh_author *)rows)[j].id == st->authors[i].id)
				st->authors[i] = ((struct mh_author *)rows)[j];
			else if (!authors && ((struct mh_tag *)rows)[j].id == st->tags[i].id)
				st->tags[i] = ((struct mh_tag *)rows)[j];
		}
	}
	mh_buf_free(&ids);
	return rc;
}

enum mh_store_rc mh_store_revision_get(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_revision **out)
{
	*out = NULL;
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	struct mh_revision *rows = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, MH_Q_REV_GET, &args, a, sizeof(struct mh_revision), item_revision_body,
				      (void **)&rows, &n);
	if (rc == MH_OK && n == 0)
		return MH_NOT_FOUND;
	if (rc == MH_OK)
		rc = revision_names(s, a, &rows->state, true);
	if (rc == MH_OK)
		rc = revision_names(s, a, &rows->state, false);
	struct mh_section *secs = NULL;
	size_t n_secs = 0;
	if (rc == MH_OK)
		rc = mh_store_sections(s, a, &secs, &n_secs);
	for (size_t i = 0; rc == MH_OK && i < n_secs; i++)
		if (secs[i].id == rows->state.section_id)
			rows->state.section = &secs[i];
	if (rc == MH_OK)
		*out = rows;
	return rc;
}

enum mh_store_rc mh_store_revision_latest(struct mh_store *s, int64_t article_id, int64_t *id)
{
	*id = 0;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, article_id);
	return run_first(s, MH_Q_REV_LATEST, &a, id, NULL, NULL, NULL);
}

enum mh_store_rc mh_store_revision_keep_conflict(struct mh_store *s, const struct mh_article *art,
						 const struct mh_revision_note *note, int64_t *id, struct mh_buf *err)
{
	if (art->id <= 0) {
		mh_store_set_err(err, "id: a conflict is kept for an article that exists");
		return MH_INVALID;
	}
	if ((art->n_authors > 0 && art->authors == NULL) || (art->n_tags > 0 && art->tags == NULL) ||
	    (unsigned)art->status > MH_ARTICLE_STATUS_LAST) {
		mh_store_set_err(err, "revision: the article's byline, tags or status is malformed");
		return MH_INVALID;
	}
	struct mh_revision_note who = { 0 };
	if (note != NULL) {
		who = *note;
		who.kind = MH_REVISION_SAVE;
		who.restored_from = 0;
		who.replaces = 0;
	}
	enum mh_store_rc rc = check_note(&who, err);
	if (rc != MH_OK)
		return rc;
	if ((rc = s->ops->write_begin(s, err)) != MH_OK)
		return rc;
	int64_t created = 0, got = 0;
	bool was = false;
	rc = no_such(article_old(s, art->id, &created, &was, err), "article", art->id, err);
	if (rc == MH_OK)
		rc = revision_write(s, art, &who, MH_REVISION_CONFLICT, mh_time_now(), &got, err);
	rc = s->ops->write_end(s, rc, err);
	if (rc == MH_OK && id != NULL)
		*id = got;
	return rc;
}

enum mh_store_rc mh_store_article_by_old_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					      struct mh_article **out)
{
	*out = NULL;
	if (slug.len == 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, slug);
	enum mh_store_rc rc = one_article(s, MH_Q_ART_BY_OLD_SLUG, &args, a, out, true);
	if (rc == MH_OK)
		report_withdrawn(*out, 1);
	return rc;
}

/* ---- the search index (issue 9): followed by every save ---- */

/* Text as the index keeps it: control characters made spaces (the snippet
 * marks are control characters, so stored text never holds one). */
static const char *search_clean(struct mh_buf *b, const char *text)
{
	mh_buf_reset(b);
	for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
		mh_buf_append_ch(b, (unsigned char)*p < 0x20 || *p == 0x7F ? ' ' : *p);
	return mh_buf_cstr(b);
}

static enum mh_store_rc search_put(struct mh_store *s, int64_t id, const char *headline, const char *dek,
				   const char *body_html, struct mh_buf *err)
{
	struct mh_buf h = MH_BUF_INIT, d = MH_BUF_INIT, body = MH_BUF_INIT;
	mh_search_plain_text(&body, mh_str_c(body_html != NULL ? body_html : ""));
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_text(&a, search_clean(&h, headline));
	mh_store_arg_text(&a, search_clean(&d, dek));
	mh_store_arg_text(&a, mh_buf_cstr(&body));
	enum mh_store_rc rc = run(s, MH_Q_SEARCH_PUT, &a, NULL, NULL, err, NULL, NULL);
	mh_buf_free(&h);
	mh_buf_free(&d);
	mh_buf_free(&body);
	return rc;
}

/* A published article's text in the index, anything else out of it. */
static enum mh_store_rc search_follow(struct mh_store *s, const struct mh_article *row, int64_t id,
				      struct mh_buf *err)
{
	if (row->status == MH_ARTICLE_PUBLISHED)
		return search_put(s, id, row->headline, row->dek, row->body_html, err);
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	return run(s, MH_Q_SEARCH_DEL, &a, NULL, NULL, err, NULL, NULL);
}

struct search_source {
	struct mh_arena *a;
	struct mh_article *arts;
	size_t n, max;
};

static void search_source_row(void *ctx, const struct mh_store_row *r)
{
	struct search_source *src = ctx;
	if (src->n >= src->max)
		return;
	struct mh_article *art = &src->arts[src->n++];
	art->id = r->i64(r->ctx, 0);
	art->headline = r->str(r->ctx, src->a, 1);
	art->dek = r->str(r->ctx, src->a, 2);
	art->body_html = r->str(r->ctx, src->a, 3);
}

/* Migration 12's step: every published article into the index, a batch of
 * 500 at a time (memory stays bounded however big the site). */
enum mh_store_rc mh_store_search_rebuild(struct mh_store *s, struct mh_buf *err)
{
	enum { BATCH = 500 };
	int64_t after = 0;
	for (;;) {
		struct mh_arena *a = mh_arena_new();
		struct search_source src = { .a = a, .arts = MH_NEW_ARRAY(a, struct mh_article, BATCH), .max = BATCH };
		struct mh_store_args args = { 0 };
		mh_store_arg_int(&args, after);
		mh_store_arg_int(&args, BATCH);
		enum mh_store_rc rc = run(s, MH_Q_SEARCH_SOURCE, &args, search_source_row, &src, err, NULL, NULL);
		for (size_t i = 0; rc == MH_OK && i < src.n; i++) {
			rc = search_put(s, src.arts[i].id, src.arts[i].headline, src.arts[i].dek, src.arts[i].body_html,
					err);
			after = src.arts[i].id;
		}
		size_t got = src.n;
		mh_arena_free(a);
		if (rc != MH_OK || got < BATCH)
			return rc;
	}
}

struct search_rows {
	struct mh_arena *a;
	struct mh_article *arts;
	const char **snippets;
	size_t n, max;
};

static void search_row(void *ctx, const struct mh_store_row *r)
{
	struct search_rows *sr = ctx;
	if (sr->n >= sr->max)
		return;
	row_article(r, sr->a, &sr->arts[sr->n], false);
	sr->snippets[sr->n] = r->str(r->ctx, sr->a, MH_STORE_ART_NCOLS);
	sr->n++;
}

enum mh_store_rc mh_store_search(struct mh_store *s, struct mh_arena *a, const struct mh_search_query *q,
				 struct mh_search_hit **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (q->terms == NULL || q->n_terms == 0 || q->limit < 0 || q->limit > 100 || q->offset < 0 ||
	    q->offset > 10000 || q->section_id < 0 || q->author_id < 0 || q->from < 0 || q->to < 0)
		return MH_INVALID;
	size_t limit = q->limit == 0 ? 20 : (size_t)q->limit;
	int64_t now = q->now != 0 ? q->now : mh_time_now();
	struct mh_buf match = MH_BUF_INIT, prefixes = MH_BUF_INIT;
	s->ops->search_syntax(q->terms, q->n_terms, &match, &prefixes);
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, mh_buf_cstr(&match));
	mh_store_arg_text(&args, mh_buf_cstr(&prefixes));
	mh_store_arg_int(&args, now);
	mh_store_arg_int(&args, q->section_id);
	mh_store_arg_int(&args, q->author_id);
	mh_store_arg_int(&args, q->from);
	/* the upper end: the query's, but never past now */
	mh_store_arg_int(&args, q->to != 0 && q->to < now ? q->to : now);
	mh_store_arg_int(&args, (int64_t)limit);
	mh_store_arg_int(&args, q->offset);
	struct search_rows sr = { .a = a, .arts = MH_NEW_ARRAY(a, struct mh_article, limit),
				  .snippets = MH_NEW_ARRAY(a, const char *, limit), .max = limit };
	enum mh_store_rc rc = run(s, MH_Q_SEARCH, &args, search_row, &sr, NULL, NULL, NULL);
	mh_buf_free(&match);
	mh_buf_free(&prefixes);
	if (rc == MH_OK)
		rc = fill_relations(s, a, sr.arts, sr.n);
	if (rc != MH_OK)
		return rc;
	struct mh_search_hit *hits = MH_NEW_ARRAY(a, struct mh_search_hit, sr.n + 1);
	for (size_t i = 0; i < sr.n; i++) {
		hits[i].article = sr.arts[i];
		hits[i].snippet = sr.snippets[i];
	}
	*out = hits;
	*n = sr.n;
	return MH_OK;
}

/* What article_save accepts, before anything is written. */
static enum mh_store_rc check_article(const struct mh_article *art, struct mh_buf *err)
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
	if ((unsigned)art->status > MH_ARTICLE_STATUS_LAST) {
		mh_store_set_err(err, "status: unknown status %d", (int)art->status);
		return MH_INVALID;
	}
	if (art->published_at < 0 || art->views < 0) {
		mh_store_set_err(err, "%s: must not be negative", art->views < 0 ? "views" : "published_at");
		return MH_INVALID;
	}
	enum mh_store_rc rc;
	if ((rc = check_url("image_url", art->image_url, err)) != MH_OK ||
	    (rc = check_url("via_url", art->via_url, err)) != MH_OK)
		return rc;
	/* A reader who cannot see the image gets its description: an article
	 * that shows one cannot go out (published or scheduled) without it. */
	if (art->status != MH_ARTICLE_DRAFT && !str_empty(art->image_url) && str_empty(art->image_alt)) {
		mh_store_set_err(err, "image_alt: an image description (alt text) is required before an article "
				      "with an image is published or scheduled");
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
	return MH_OK;
}

/* The statements of one save, inside write_begin/write_end. art becomes
 * what was stored (id, times, published_at, was_published as reported). */
static enum mh_store_rc article_write(struct mh_store *s, struct mh_article *art,
				      const struct mh_revision_note *note, int64_t *revision_id, struct mh_buf *err)
{
	enum mh_store_rc rc;
	int64_t now = mh_time_now();
	struct mh_article row = *art;
	/* Once published, always "was published": a save cannot forget it. */
	bool ever_published = art->was_published || art->status == MH_ARTICLE_PUBLISHED;
	if (art->id != 0) {
		/* An update keeps the creation time and stamps the change now. */
		bool was = false;
		rc = article_old(s, art->id, &row.created_at, &was, err);
		if (rc != MH_OK)
			return no_such(rc, "article", art->id, err);
		/* A published address is kept when the slug changes (was: the
		 * stored "ever published", before this save). */
		if (was && (rc = keep_old_slug(s, art->id, art->slug, now, err)) != MH_OK)
			return rc;
		ever_published = ever_published || was;
		row.updated_at = now;
	} else {
		/* A new article may bring its times (imports, the demo). */
		row.created_at = art->created_at != 0 ? art->created_at : now;
		row.updated_at = art->updated_at != 0 ? art->updated_at : row.created_at;
	}
	/* Publishing (now or scheduled) without a time means "now". */
	if (row.published_at == 0 && mh_article_status_dated(row.status))
		row.published_at = now;
	row.was_published = ever_published;

	char fk[96];
	snprintf(fk, sizeof(fk), "section_id: no section with id %lld", (long long)art->section_id);
	int64_t id = art->id;
	if ((rc = article_row_write(s, &row, &id, fk, err)) != MH_OK)
		return no_such(rc, "article", art->id, err);
	/* The byline and the tags are replaced whole, in the order given. */
	if (art->id != 0 && (rc = article_clear_joins(s, id, err)) != MH_OK)
		return rc;
	for (size_t i = 0; i < art->n_authors; i++) {
		snprintf(fk, sizeof(fk), "authors: no author with id %lld", (long long)art->authors[i].id);
		if ((rc = article_add_author(s, id, art->authors[i].id, (int)i, fk, err)) != MH_OK)
			return rc;
	}
	for (size_t i = 0; i < art->n_tags; i++) {
		snprintf(fk, sizeof(fk), "tags: no tag with id %lld", (long long)art->tags[i].id);
		if ((rc = article_add_tag(s, id, art->tags[i].id, fk, err)) != MH_OK)
			return rc;
	}
	/* the slug is a live address now: nobody's old one */
	if ((rc = old_slug_forget(s, row.slug, err)) != MH_OK)
		return rc;
	/* advertisements off or on (issue 9): a statement of its own, so the
	 * article's row statements stay as they were */
	struct mh_store_args na = { 0 };
	mh_store_arg_int(&na, id);
	mh_store_arg_bool(&na, art->no_ads);
	if ((rc = run(s, MH_Q_ARTICLE_NO_ADS, &na, NULL, NULL, err, NULL, NULL)) != MH_OK)
		return rc;
	/* the search index follows, byline included (after the joins) */
	if ((rc = search_follow(s, &row, id, err)) != MH_OK)
		return rc;
	row.id = id;
	int64_t rev = 0;
	if ((rc = revision_write(s, &row, note, MH_REVISION_SAVE, now, &rev, err)) != MH_OK)
		return rc;
	/* An autosave takes the place of the one before it (store.h). Deleted
	 * after the new one is written: SQLite would give a new row the id of
	 * a deleted newest one, and the version token must never come back. */
	if (note != NULL && note->replaces > 0 && note->user_id > 0 && art->id != 0 &&
	    row.status == MH_ARTICLE_DRAFT) {
		struct mh_store_args ra = { 0 };
		mh_store_arg_int(&ra, note->replaces);
		mh_store_arg_int(&ra, id);
		mh_store_arg_int(&ra, note->user_id);
		mh_store_arg_int(&ra, now - MH_STORE_AUTOSAVE_WINDOW_S);
		mh_store_arg_int(&ra, rev);
		if ((rc = run(s, MH_Q_REV_REPLACE, &ra, NULL, NULL, err, NULL, NULL)) != MH_OK)
			return rc;
	}
	if (revision_id != NULL)
		*revision_id = rev;
	*art = row;
	art->id = id;
	report_withdrawn(art, 1);
	return MH_OK;
}

enum mh_store_rc mh_store_article_save_noted(struct mh_store *s, struct mh_article *art,
					     const struct mh_revision_note *note, int64_t *revision_id,
					     struct mh_buf *err)
{
	enum mh_store_rc rc = check_article(art, err);
	if (rc == MH_OK)
		rc = check_note(note, err);
	if (rc != MH_OK)
		return rc;
	struct mh_article copy = *art; /* art is only changed when the save commits */
	int64_t rev = 0;
	if ((rc = s->ops->write_begin(s, err)) != MH_OK)
		return rc;
	rc = s->ops->write_end(s, article_write(s, &copy, note, &rev, err), err);
	if (rc == MH_OK) {
		*art = copy;
		if (revision_id != NULL)
			*revision_id = rev;
	}
	return rc;
}

enum mh_store_rc mh_store_article_save(struct mh_store *s, struct mh_article *art, struct mh_buf *err)
{
	return mh_store_article_save_noted(s, art, NULL, NULL, err);
}

/* A one-row write that changed no row: the row is not there (none).
 * (rc and changed come from separate statements: the call must run first.) */
static enum mh_store_rc changed_one(enum mh_store_rc rc, int64_t changed, enum mh_store_rc none)
{
	return rc == MH_OK && changed == 0 ? none : rc;
}

enum mh_store_rc mh_store_article_set_views(struct mh_store *s, int64_t id, int64_t views)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	if (views < 0)
		return MH_INVALID;
	int64_t changed = 0;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_int(&a, views);
	enum mh_store_rc rc = run_changed(s, MH_Q_SET_VIEWS, &a, &changed);
	return changed_one(rc, changed, MH_NOT_FOUND);
}

/* The only names mh_store_count accepts: the name is spliced into SQL by the
 * backend, so it must never come from anywhere but this list. */
static const char *const countable[] = {
	"sections", "authors", "tags", "articles", "article_authors", "article_tags", "schema_migrations", "changes",
	"jobs", "article_revisions", "article_slugs", "media", "media_sizes", "users", "sessions", "auth_tokens",
	"site_secrets", "site_settings", "tag_slugs", "article_views", "article_view_hours",
	/* issue 9's redirects, issue 11's WordPress import (migration 13) */
	"redirects", "wp_import_items",
	"comments", "comment_bans", "comment_threads", /* comments (migration 11) */
	/* full-text search (issue 9) */
	"article_search",
	/* the newsletter (migration 14) */
	"subscribers", "newsletters", "newsletter_deliveries",
	"donations", "donation_events", /* issue 10's donations */
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
	struct mh_store_args a = { 0 };
	mh_store_arg_str(&a, keys);
	mh_store_arg_int(&a, mh_time_now());
	return run(s, MH_Q_CHANGE_ADD, &a, NULL, NULL, NULL, NULL, NULL);
}

enum mh_store_rc mh_store_change_last(struct mh_store *s, int64_t *id)
{
	*id = 0;
	return run_first(s, MH_Q_CHANGE_LAST, NULL, id, NULL, NULL, NULL);
}

enum mh_store_rc mh_store_changes_since(struct mh_store *s, struct mh_arena *a, int64_t after, size_t max,
					struct mh_change **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (max == 0)
		return MH_OK;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, after);
	mh_store_arg_int(&args, (int64_t)max);
	return collect(s, MH_Q_CHANGES_SINCE, &args, a, sizeof(struct mh_change), item_change, (void **)out,
		       n);
}

enum mh_store_rc mh_store_changes_prune(struct mh_store *s, int64_t before)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, before);
	return run(s, MH_Q_CHANGES_PRUNE, &a, NULL, NULL, NULL, NULL, NULL);
}

enum mh_store_rc mh_store_changes_wait(struct mh_store *s, int timeout_ms)
{
	if (timeout_ms < 0 || timeout_ms > 60000 || s->ops->in_transaction(s))
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
	const struct mh_store_ops *o = s->ops;
	int64_t now = mh_time_now(), got = 0;
	enum mh_store_rc rc = o->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	/* An unfinished job with the same key is the one to move. */
	if (dedupe != NULL) {
		struct mh_store_args a = { 0 };
		mh_store_arg_text(&a, dedupe);
		mh_store_arg_str(&a, payload);
		mh_store_arg_int(&a, run_at);
		mh_store_arg_int(&a, now);
		rc = run_first(s, MH_Q_JOB_REQUEUE, &a, &got, NULL, NULL, NULL);
	}
	if (rc == MH_OK && got == 0) {
		struct mh_store_args a = { 0 };
		mh_store_arg_text(&a, kind);
		mh_store_arg_str(&a, payload);
		mh_store_arg_int(&a, run_at);
		if (dedupe != NULL)
			mh_store_arg_text(&a, dedupe);
		else
			mh_store_arg_null(&a);
		mh_store_arg_int(&a, now);
		rc = run_first(s, MH_Q_JOB_INSERT, &a, &got, NULL, dedupe, NULL);
	}
	rc = o->write_end(s, rc, NULL);
	if (rc == MH_OK && id != NULL)
		*id = got;
	return rc;
}

enum mh_store_rc mh_store_job_claim(struct mh_store *s, struct mh_arena *a, const char *owner, int64_t now,
				    int lease_s, struct mh_job **out)
{
	*out = NULL;
	if (!job_word_ok(owner, false) || lease_s < 1)
		return MH_INVALID;
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, owner);
	mh_store_arg_int(&args, now + lease_s);
	mh_store_arg_int(&args, now);
	struct job_one one = { .a = a };
	rc = run(s, MH_Q_JOB_CLAIM, &args, job_row, &one, NULL, NULL, NULL);
	if (rc == MH_OK && one.j == NULL)
		rc = MH_NOT_FOUND;
	*out = rc == MH_OK ? one.j : NULL;
	/* nothing due is no failure: the (empty) transaction still commits */
	enum mh_store_rc end = s->ops->write_end(s, rc == MH_NOT_FOUND ? MH_OK : rc, NULL);
	if (end != MH_OK) {
		*out = NULL;
		return end;
	}
	return rc;
}

enum mh_store_rc mh_store_job_done(struct mh_store *s, int64_t id, const char *owner)
{
	if (id <= 0 || !job_word_ok(owner, false))
		return MH_INVALID;
	/* no row changed: the lease ran out and another node holds the job */
	int64_t changed = 0;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_text(&a, owner);
	mh_store_arg_int(&a, mh_time_now());
	enum mh_store_rc rc = run_changed(s, MH_Q_JOB_DONE, &a, &changed);
	return changed_one(rc, changed, MH_CONFLICT);
}

enum mh_store_rc mh_store_job_fail(struct mh_store *s, int64_t id, const char *owner, const char *error,
				   int64_t retry_at)
{
	if (id <= 0 || !job_word_ok(owner, false))
		return MH_INVALID;
	int64_t changed = 0;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_text(&a, owner);
	mh_store_arg_text(&a, error);
	mh_store_arg_int(&a, retry_at);
	mh_store_arg_int(&a, mh_time_now());
	enum mh_store_rc rc = run_changed(s, MH_Q_JOB_FAIL, &a, &changed);
	return changed_one(rc, changed, MH_CONFLICT);
}

enum mh_store_rc mh_store_jobs(struct mh_store *s, struct mh_arena *a, int state, int limit, struct mh_job **out,
			       size_t *n)
{
	*out = NULL;
	*n = 0;
	if (state > MH_JOB_PARKED || limit < 1 || limit > 10000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, limit);
	if (state >= 0)
		mh_store_arg_text(&args, mh_job_state_name((enum mh_job_state)state));
	return collect(s, state < 0 ? MH_Q_JOBS_ALL : MH_Q_JOBS_STATE, &args, a, sizeof(struct mh_job),
		       item_job, (void **)out, n);
}

enum mh_store_rc mh_store_job_retry(struct mh_store *s, int64_t id)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	int64_t changed = 0;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_int(&a, mh_time_now());
	enum mh_store_rc rc = run_changed(s, MH_Q_JOB_RETRY, &a, &changed);
	return changed_one(rc, changed, MH_NOT_FOUND);
}

enum mh_store_rc mh_store_jobs_prune(struct mh_store *s, int64_t before)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, before);
	return run(s, MH_Q_JOBS_PRUNE, &a, NULL, NULL, NULL, NULL, NULL);
}

enum mh_store_rc mh_store_article_lock(struct mh_store *s, int64_t id)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	if (!s->ops->in_transaction(s))
		return MH_INVALID; /* a lock outside one would end at once */
	int64_t changed = 0;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	enum mh_store_rc rc = run_first(s, MH_Q_ART_LOCK, &a, &changed, NULL, NULL, NULL);
	return changed_one(rc, changed, MH_NOT_FOUND);
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
	if (q->before_published_at != 0 || q->before_set)
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
	if (q->status_only)
		f |= LQ_STATUS;
	if (q->headline_has != NULL && q->headline_has[0] != '\0')
		f |= LQ_HEADLINE;
	return f;
}

int mh_store_list_limit(const struct mh_article_query *q)
{
	return q->limit == 0 ? 20 : q->limit > 1000 ? 1000 : q->limit;
}

enum mh_store_rc mh_store_plan(struct mh_store *s, enum mh_store_plan_of which, const struct mh_article_query *q,
			       struct mh_buf *out)
{
	if ((unsigned)which > MH_STORE_PLAN_LAST || (which == MH_STORE_PLAN_ARTICLES && q == NULL) ||
	    (q != NULL && check_query(q) != MH_OK))
		return MH_INVALID;
	static const int stmt_of[] = {
		[MH_STORE_PLAN_ARTICLES] = -1,
		[MH_STORE_PLAN_JOBS_BY_STATE] = MH_Q_JOBS_STATE,
		[MH_STORE_PLAN_JOB_CLAIM] = MH_Q_JOB_CLAIM,
		[MH_STORE_PLAN_JOBS_PRUNE] = MH_Q_JOBS_PRUNE,
		[MH_STORE_PLAN_CHANGE_LAST] = MH_Q_CHANGE_LAST,
		[MH_STORE_PLAN_CHANGES_SINCE] = MH_Q_CHANGES_SINCE,
		[MH_STORE_PLAN_CHANGES_PRUNE] = MH_Q_CHANGES_PRUNE,
		[MH_STORE_PLAN_SITEMAP_ARTICLES] = MH_Q_SITEMAP_ARTICLES,
		[MH_STORE_PLAN_SITEMAP_NEXT_ID] = MH_Q_SITEMAP_NEXT_ID,
		[MH_STORE_PLAN_TRENDING] = MH_Q_TRENDING,
	};
	return s->ops->plan(s, stmt_of[which], q != NULL ? mh_store_query_flags(q) : 0, q, out);
}

/* ---- the media library ----
 * What the store keeps of an image, checked here for every caller; whether
 * the bytes are that image is src/media's check, made before. */

static const char *const media_types[] = { "image/jpeg", "image/png", "image/webp", "image/gif" };
static const char *const media_formats[] = { "jpg", "png", "webp", "gif" };

static bool media_word(const char *v, const char *const *words, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		if (strcmp(v, words[i]) == 0)
			return true;
	return false;
}

/* "HEX.EXT" as store.h says: [0-9a-z]{1,64} then a known extension. The
 * name goes into URLs and into the body search of media_users unescaped,
 * so nothing else may pass. */
static bool media_name_ok(struct mh_str n)
{
	const char *dot = n.ptr != NULL ? memchr(n.ptr, '.', n.len) : NULL;
	if (dot == NULL || dot == n.ptr || dot - n.ptr > 64)
		return false;
	for (const char *p = n.ptr; p < dot; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
			return false;
	struct mh_str ext = { dot + 1, n.len - (size_t)(dot + 1 - n.ptr) };
	for (size_t i = 0; i < sizeof(media_formats) / sizeof(media_formats[0]); i++)
		if (mh_str_eq_c(ext, media_formats[i]))
			return true;
	return false;
}

static void row_media(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_media *m = out;
	m->id = r->i64(r->ctx, 0);
	m->name = r->str(r->ctx, a, 1);
	m->type = r->str(r->ctx, a, 2);
	m->width = (int)r->i64(r->ctx, 3);
	m->height = (int)r->i64(r->ctx, 4);
	m->size = r->i64(r->ctx, 5);
	m->alt = r->str(r->ctx, a, 6);
	m->uploader_id = r->i64(r->ctx, 7);
	m->created_at = r->i64(r->ctx, 8);
	m->bytes = MH_STR("");
}

enum mh_store_rc mh_store_media_add(struct mh_store *s, struct mh_media *m, struct mh_buf *err)
{
	const char *bad = NULL;
	if (m->id != 0)
		bad = "id: must be 0 (media items are added, never replaced)";
	else if (m->name == NULL || !media_name_ok(mh_str_c(m->name)))
		bad = "name: expected lowercase letters and digits, then .jpg, .png, .webp or .gif";
	else if (!media_word(m->type, media_types, sizeof(media_types) / sizeof(media_types[0])))
		bad = "type: expected image/jpeg, image/png, image/webp or image/gif";
	else if (m->width <= 0 || m->height <= 0)
		bad = "width and height: must be more than 0";
	else if (m->bytes.len == 0)
		bad = "bytes: the image is empty";
	else if (m->uploader_id < 0)
		bad = "uploader_id: must not be negative";
	if (bad != NULL) {
		mh_store_set_err(err, "%s", bad);
		return MH_INVALID;
	}
	int64_t created = m->created_at != 0 ? m->created_at : mh_time_now();
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, m->name);
	mh_store_arg_text(&a, m->type);
	mh_store_arg_int(&a, m->width);
	mh_store_arg_int(&a, m->height);
	mh_store_arg_int(&a, (int64_t)m->bytes.len);
	mh_store_arg_text(&a, m->alt);
	if (m->uploader_id > 0)
		mh_store_arg_int(&a, m->uploader_id);
	else
		mh_store_arg_null(&a);
	mh_store_arg_int(&a, created);
	mh_store_arg_blob(&a, m->bytes);
	int64_t id = 0;
	enum mh_store_rc rc = run_first(s, MH_Q_MEDIA_INSERT, &a, &id, err, m->name, NULL);
	if (rc != MH_OK)
		return rc;
	m->id = id;
	m->size = (int64_t)m->bytes.len;
	m->created_at = created;
	return MH_OK;
}

static enum mh_store_rc media_one(struct mh_store *s, enum mh_store_stmt id, struct mh_store_args *args,
				  struct mh_arena *a, struct mh_media **out)
{
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, id, args, a, sizeof(struct mh_media), row_media, &arr, &n);
	if (rc == MH_OK && n == 0)
		return MH_NOT_FOUND;
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

enum mh_store_rc mh_store_media_by_name(struct mh_store *s, struct mh_arena *a, struct mh_str name,
					struct mh_media **out)
{
	if (!media_name_ok(name))
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, name);
	return media_one(s, MH_Q_MEDIA_BY_NAME, &args, a, out);
}

enum mh_store_rc mh_store_media_by_names(struct mh_store *s, struct mh_arena *a, const struct mh_str *names,
					 size_t n, struct mh_media **out, size_t *n_out)
{
	*out = NULL;
	*n_out = 0;
	/* a JSON array of the well-formed names; a name is lowercase letters
	 * and digits, a dot and its format (media_name_ok), so nothing in it
	 * needs escaping */
	struct mh_buf list = MH_BUF_INIT;
	mh_buf_append_ch(&list, '[');
	size_t asked = 0;
	for (size_t i = 0; i < n; i++) {
		if (!media_name_ok(names[i]))
			continue;
		mh_buf_append_c(&list, asked++ > 0 ? ",\"" : "\"");
		mh_buf_append(&list, names[i].ptr, names[i].len);
		mh_buf_append_ch(&list, '"');
	}
	mh_buf_append_ch(&list, ']');
	enum mh_store_rc rc = MH_OK;
	if (asked > 0) {
		struct mh_store_args args = { 0 };
		mh_store_arg_str(&args, mh_buf_str(&list));
		void *arr = NULL;
		rc = collect(s, MH_Q_MEDIA_BY_NAMES, &args, a, sizeof(struct mh_media), row_media, &arr, n_out);
		if (rc == MH_OK)
			*out = arr;
	}
	mh_buf_free(&list);
	return rc;
}

enum mh_store_rc mh_store_media_by_stem(struct mh_store *s, struct mh_arena *a, struct mh_str stem,
					struct mh_media **out)
{
	char name[80];
	if (stem.len > 64)
		return MH_NOT_FOUND;
	snprintf(name, sizeof(name), "%.*s.jpg", (int)stem.len, stem.ptr);
	if (!media_name_ok(mh_str_c(name)))
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, stem);
	return media_one(s, MH_Q_MEDIA_BY_STEM, &args, a, out);
}

enum mh_store_rc mh_store_media_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_media **out)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	return media_one(s, MH_Q_MEDIA_BY_ID, &args, a, out);
}

struct blob_ctx {
	struct mh_arena *a;
	struct mh_str *out;
	bool found;
};

static void blob_row(void *ctx, const struct mh_store_row *r)
{
	struct blob_ctx *b = ctx;
	*b->out = r->blob(r->ctx, b->a, 0);
	b->found = true;
}

static enum mh_store_rc one_blob(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *args,
				 struct mh_arena *a, struct mh_str *out)
{
	struct blob_ctx b = { a, out, false };
	*out = MH_STR("");
	enum mh_store_rc rc = run(s, id, args, blob_row, &b, NULL, NULL, NULL);
	return rc == MH_OK && !b.found ? MH_NOT_FOUND : rc;
}

enum mh_store_rc mh_store_media_bytes(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_str *out)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	return one_blob(s, MH_Q_MEDIA_BYTES, &args, a, out);
}

enum mh_store_rc mh_store_media_list(struct mh_store *s, struct mh_arena *a, int limit, struct mh_media **out,
				     size_t *n)
{
	if (limit < 1 || limit > 1000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, limit);
	void *arr = NULL;
	enum mh_store_rc rc = collect(s, MH_Q_MEDIA_LIST, &args, a, sizeof(struct mh_media), row_media, &arr, n);
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

enum mh_store_rc mh_store_media_page(struct mh_store *s, struct mh_arena *a, int64_t before_at, int64_t before_id,
				     int limit, struct mh_media **out, size_t *n)
{
	if (before_id <= 0)
		return mh_store_media_list(s, a, limit, out, n);
	if (limit < 1 || limit > 1000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, before_at);
	mh_store_arg_int(&args, before_id);
	mh_store_arg_int(&args, limit);
	void *arr = NULL;
	enum mh_store_rc rc =
		collect(s, MH_Q_MEDIA_LIST_BEFORE, &args, a, sizeof(struct mh_media), row_media, &arr, n);
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

enum mh_store_rc mh_store_media_set_alt(struct mh_store *s, int64_t id, const char *alt)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	mh_store_arg_text(&args, alt);
	int64_t changed = 0;
	enum mh_store_rc rc = run_changed(s, MH_Q_MEDIA_SET_ALT, &args, &changed);
	return changed_one(rc, changed, MH_NOT_FOUND);
}

static void row_media_user(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_article *art = out;
	art->id = r->i64(r->ctx, 0);
	art->slug = r->str(r->ctx, a, 1);
	art->headline = r->str(r->ctx, a, 2);
	enum mh_article_status st = MH_ARTICLE_DRAFT;
	mh_article_status_parse(mh_str_c(r->peek(r->ctx, 3)), &st);
	art->status = st;
}

enum mh_store_rc mh_store_media_users(struct mh_store *s, struct mh_arena *a, struct mh_str url,
				      struct mh_article **out, size_t *n)
{
	if (url.len == 0)
		return MH_INVALID; /* "" is in every body */
	struct mh_store_args args = { 0 };
	mh_store_arg_str(&args, url);
	void *arr = NULL;
	enum mh_store_rc rc =
		collect(s, MH_Q_MEDIA_USERS, &args, a, sizeof(struct mh_article), row_media_user, &arr, n);
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

enum mh_store_rc mh_store_media_remove(struct mh_store *s, int64_t id)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	int64_t changed = 0;
	enum mh_store_rc rc = run_changed(s, MH_Q_MEDIA_DELETE, &args, &changed);
	return changed_one(rc, changed, MH_NOT_FOUND);
}

enum mh_store_rc mh_store_media_size_put(struct mh_store *s, int64_t media_id, int width, const char *format,
					 struct mh_str bytes, struct mh_buf *err)
{
	if (media_id <= 0 || width <= 0 ||
	    !media_word(format, media_formats, sizeof(media_formats) / sizeof(media_formats[0])) || bytes.len == 0) {
		mh_store_set_err(err, "a media size needs a media id, a width, a format (jpg, png, webp, gif) and bytes");
		return MH_INVALID;
	}
	char fk[64];
	snprintf(fk, sizeof(fk), "media_id: no media item %lld", (long long)media_id);
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, media_id);
	mh_store_arg_int(&args, width);
	mh_store_arg_text(&args, format);
	mh_store_arg_blob(&args, bytes);
	return run(s, MH_Q_MEDIA_SIZE_PUT, &args, NULL, NULL, err, NULL, fk);
}

enum mh_store_rc mh_store_media_size_get(struct mh_store *s, struct mh_arena *a, int64_t media_id, int width,
					 const char *format, struct mh_str *out)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, media_id);
	mh_store_arg_int(&args, width);
	mh_store_arg_text(&args, format);
	return one_blob(s, MH_Q_MEDIA_SIZE_GET, &args, a, out);
}

static void row_media_size(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_media_size *z = out;
	z->width = (int)r->i64(r->ctx, 0);
	z->format = r->str(r->ctx, a, 1);
	z->size = r->i64(r->ctx, 2);
}

enum mh_store_rc mh_store_media_sizes(struct mh_store *s, struct mh_arena *a, int64_t media_id,
				      struct mh_media_size **out, size_t *n)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, media_id);
	void *arr = NULL;
	enum mh_store_rc rc =
		collect(s, MH_Q_MEDIA_SIZES, &args, a, sizeof(struct mh_media_size), row_media_size, &arr, n);
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

/* ---- sections: removal ---- */

enum mh_store_rc mh_store_section_remove(struct mh_store *s, int64_t id, int64_t *articles, struct mh_buf *err)
{
	if (articles != NULL)
		*articles = 0;
	if (id <= 0)
		return no_such(MH_NOT_FOUND, "section", id, err);
	enum mh_store_rc rc = s->ops->write_begin(s, err);
	if (rc != MH_OK)
		return rc;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	int64_t n = 0, changed = 0;
	rc = run_first(s, MH_Q_SECTION_ARTICLES, &a, &n, err, NULL, NULL);
	if (rc == MH_OK && n > 0) {
		mh_store_set_err(err, "the section still has %lld article%s: move or delete %s first", (long long)n,
				 n == 1 ? "" : "s", n == 1 ? "it" : "them");
		rc = MH_CONFLICT;
	}
	if (rc == MH_OK) {
		rc = exec(s, MH_Q_SECTION_DEL, &a, NULL, NULL, &changed, err, NULL, NULL);
		rc = no_such(changed_one(rc, changed, MH_NOT_FOUND), "section", id, err);
	}
	if (articles != NULL)
		*articles = n;
	return s->ops->write_end(s, rc, err);
}

/* ---- accounts ---- */

static void row_user(const struct mh_store_row *r, struct mh_arena *a, int col, struct mh_user *u)
{
	u->id = r->i64(r->ctx, col);
	u->email = r->str(r->ctx, a, col + 1);
	u->name = r->str(r->ctx, a, col + 2);
	/* a role this program does not know reads as the least one */
	if (!mh_role_parse(mh_str_c(r->peek(r->ctx, col + 3)), &u->role))
		u->role = MH_ROLE_CONTRIBUTOR;
	u->password_hash = r->str(r->ctx, a, col + 4);
	u->author_id = r->i64(r->ctx, col + 5);
	u->disabled = r->flag(r->ctx, col + 6);
	u->created_at = r->i64(r->ctx, col + 7);
	u->updated_at = r->i64(r->ctx, col + 8);
	u->sessions_valid_after = r->i64(r->ctx, col + 9);
}

static void item_user(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	row_user(r, a, 0, out);
}

/* An email as stored: ASCII letters lower-cased, in the arena. */
static const char *email_key(struct mh_arena *a, struct mh_str email)
{
	char *k = mh_arena_strndup(a, email.ptr != NULL ? email.ptr : "", email.len);
	for (char *p = k; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return k;
}

/* Why email cannot be an account's address, or NULL. */
static const char *email_problem(const char *e)
{
	size_t n = strlen(e), at = 0, ats = 0;
	if (n == 0)
		return "required";
	if (n > 254)
		return "longer than 254 bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)e[i];
		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' || c == ';')
			return "must not contain spaces, control characters or < > \" \\ , ;";
		if (c == '@') {
			at = i;
			ats++;
		}
	}
	if (ats != 1 || at == 0 || at == n - 1)
		return "expected an address like name@example.org";
	return NULL;
}

static enum mh_store_rc check_user(const struct mh_user *u, const char *email, struct mh_buf *err)
{
	const char *why;
	if (u->id < 0) {
		mh_store_set_err(err, "id: must not be negative");
		return MH_INVALID;
	}
	if ((why = email_problem(email)) != NULL) {
		mh_store_set_err(err, "email: %s", why);
		return MH_INVALID;
	}
	if (str_empty(u->name) || strlen(u->name) > 200) {
		mh_store_set_err(err, "name: %s", str_empty(u->name) ? "required" : "longer than 200 bytes");
		return MH_INVALID;
	}
	for (const unsigned char *p = (const unsigned char *)u->name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			mh_store_set_err(err, "name: must not contain control characters");
			return MH_INVALID;
		}
	}
	if ((unsigned)u->role > MH_ROLE_OWNER) {
		mh_store_set_err(err, "role: unknown role %d", (int)u->role);
		return MH_INVALID;
	}
	if (str_empty(u->password_hash)) {
		mh_store_set_err(err, "password_hash: required");
		return MH_INVALID;
	}
	if (u->author_id < 0) {
		mh_store_set_err(err, "author_id: must not be negative");
		return MH_INVALID;
	}
	return MH_OK;
}

static enum mh_store_rc end_sessions(struct mh_store *s, int64_t id, int64_t now, struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_int(&a, now);
	int64_t changed = 0;
	enum mh_store_rc rc = exec(s, MH_Q_USER_CUT_SESSIONS, &a, NULL, NULL, &changed, err, NULL, NULL);
	rc = changed_one(rc, changed, MH_NOT_FOUND);
	if (rc == MH_OK) {
		a.n = 1;
		rc = run(s, MH_Q_SESSIONS_OF_USER_DEL, &a, NULL, NULL, err, NULL, NULL);
	}
	return rc;
}

/* The active owners as MH_Q_OWNERS_LOCK reads them: how many, and whether
 * the account being saved is one. */
struct owners {
	int64_t user_id;
	size_t n;
	bool includes_user;
};

static void row_owner(void *ctx, const struct mh_store_row *r)
{
	struct owners *o = ctx;
	o->n++;
	if (r->i64(r->ctx, 0) == o->user_id)
		o->includes_user = true;
}

enum mh_store_rc mh_store_user_save(struct mh_store *s, struct mh_user *u, struct mh_buf *err)
{
	struct mh_arena *ar = mh_arena_new();
	const char *email = email_key(ar, mh_str_c(u->email != NULL ? u->email : ""));
	enum mh_store_rc rc = check_user(u, email, err);
	if (rc != MH_OK) {
		mh_arena_free(ar);
		return rc;
	}
	int64_t now = mh_time_now(), id = u->id;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, email);
	mh_store_arg_text(&a, u->name);
	mh_store_arg_text(&a, mh_role_name(u->role));
	mh_store_arg_text(&a, u->password_hash);
	if (u->author_id > 0)
		mh_store_arg_int(&a, u->author_id);
	else
		mh_store_arg_null(&a);
	mh_store_arg_bool(&a, u->disabled);
	mh_store_arg_int(&a, now);
	char fk[80];
	snprintf(fk, sizeof(fk), "author_id: no author with id %lld", (long long)u->author_id);
	struct owners owners = { u->id, 0, false };
	struct mh_store_args oa = { 0 };
	mh_store_arg_text(&oa, MH_USER_INVITED_HASH);
	bool stays_owner = u->role == MH_ROLE_OWNER && !u->disabled && u->password_hash != NULL &&
			   strcmp(u->password_hash, MH_USER_INVITED_HASH) != 0;
	if ((rc = s->ops->write_begin(s, err)) == MH_OK) {
		/* the site keeps an owner who can sign in: the active owners are
		 * read (PostgreSQL: locked, so two owners demoting each other at
		 * once are taken one after the other) before this save */
		if (u->id > 0)
			rc = run(s, MH_Q_OWNERS_LOCK, &oa, row_owner, &owners, err, NULL, NULL);
		if (rc == MH_OK && owners.includes_user && !stays_owner && owners.n == 1) {
			mh_store_set_err(err, "%s is the site's last owner: make another account an owner first", email);
			rc = MH_INVALID;
		}
		if (rc == MH_OK)
			rc = no_such(save_row(s, MH_Q_USER_INSERT, MH_Q_USER_UPDATE, &a, &id, email, fk, err), "user",
				     u->id, err);
		if (rc == MH_OK && u->disabled)
			rc = end_sessions(s, id, now, err);
		rc = s->ops->write_end(s, rc, err);
	}
	if (rc == MH_OK) {
		if (u->id == 0)
			u->created_at = now;
		u->id = id;
		u->updated_at = now;
	}
	mh_arena_free(ar);
	return rc;
}

static enum mh_store_rc one_user(struct mh_store *s, enum mh_store_stmt q, struct mh_store_args *args,
				 struct mh_arena *a, struct mh_user **out)
{
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, q, args, a, sizeof(struct mh_user), item_user, &arr, &n);
	if (rc == MH_OK && n == 0)
		return MH_NOT_FOUND;
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

enum mh_store_rc mh_store_user_by_email(struct mh_store *s, struct mh_arena *a, struct mh_str email,
					struct mh_user **out)
{
	*out = NULL;
	if (email.len == 0 || email.len > 254)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, email_key(a, email));
	return one_user(s, MH_Q_USER_BY_EMAIL, &args, a, out);
}

enum mh_store_rc mh_store_user_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_user **out)
{
	*out = NULL;
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	return one_user(s, MH_Q_USER_BY_ID, &args, a, out);
}

enum mh_store_rc mh_store_users(struct mh_store *s, struct mh_arena *a, struct mh_user **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_USERS, NULL, a, sizeof(struct mh_user), item_user, (void **)out, n);
}

static enum mh_store_rc set_password(struct mh_store *s, int64_t id, const char *hash, bool end, int64_t now,
				     struct mh_buf *err)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, id);
	mh_store_arg_text(&a, hash);
	mh_store_arg_int(&a, now);
	int64_t changed = 0;
	enum mh_store_rc rc = exec(s, MH_Q_USER_PASSWORD, &a, NULL, NULL, &changed, err, NULL, NULL);
	rc = changed_one(rc, changed, MH_NOT_FOUND);
	if (rc == MH_OK && end)
		rc = end_sessions(s, id, now, err);
	return rc;
}

enum mh_store_rc mh_store_user_set_password(struct mh_store *s, int64_t id, const char *password_hash,
					    bool end_sessions_too)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	if (str_empty(password_hash))
		return MH_INVALID;
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	rc = set_password(s, id, password_hash, end_sessions_too, mh_time_now(), NULL);
	return s->ops->write_end(s, rc, NULL);
}

enum mh_store_rc mh_store_user_end_sessions(struct mh_store *s, int64_t id)
{
	if (id <= 0)
		return MH_NOT_FOUND;
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	return s->ops->write_end(s, end_sessions(s, id, mh_time_now(), NULL), NULL);
}

static bool token_hash_ok(const char *h)
{
	if (h == NULL || strlen(h) != MH_TOKEN_HASH_CHARS)
		return false;
	for (; *h != '\0'; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
			return false;
	return true;
}

enum mh_store_rc mh_store_session_add(struct mh_store *s, const char *token_hash, int64_t user_id, int64_t expires_at)
{
	int64_t now = mh_time_now();
	if (!token_hash_ok(token_hash) || user_id <= 0 || expires_at <= now)
		return MH_INVALID;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, token_hash);
	mh_store_arg_int(&a, user_id);
	mh_store_arg_int(&a, now);
	mh_store_arg_int(&a, expires_at);
	return run(s, MH_Q_SESSION_INSERT, &a, NULL, NULL, NULL, NULL, "user_id: no such user");
}

struct session_one {
	struct mh_arena *a;
	struct mh_session *ses;
	struct mh_user *user;
};

static void session_row(void *ctx, const struct mh_store_row *r)
{
	struct session_one *o = ctx;
	if (o->ses != NULL)
		return;
	o->ses = MH_NEW(o->a, struct mh_session);
	o->ses->token_hash = r->str(r->ctx, o->a, 0);
	o->ses->user_id = r->i64(r->ctx, 1);
	o->ses->created_at = r->i64(r->ctx, 2);
	o->ses->last_seen_at = r->i64(r->ctx, 3);
	o->ses->expires_at = r->i64(r->ctx, 4);
	o->user = MH_NEW(o->a, struct mh_user);
	row_user(r, o->a, 5, o->user);
}

enum mh_store_rc mh_store_session_get(struct mh_store *s, struct mh_arena *a, const char *token_hash, int64_t now,
				      int64_t idle_s, struct mh_session **session, struct mh_user **user)
{
	*session = NULL;
	*user = NULL;
	if (!token_hash_ok(token_hash))
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, token_hash);
	struct session_one o = { .a = a };
	enum mh_store_rc rc = run(s, MH_Q_SESSION_GET, &args, session_row, &o, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	if (o.ses == NULL)
		return MH_NOT_FOUND;
	bool over = now >= o.ses->expires_at || now - o.ses->last_seen_at >= idle_s ||
		    o.ses->created_at < o.user->sessions_valid_after || o.user->disabled;
	if (over) {
		run(s, MH_Q_SESSION_DEL, &args, NULL, NULL, NULL, NULL, NULL);
		return MH_NOT_FOUND;
	}
	if (now - o.ses->last_seen_at >= 60) {
		mh_store_arg_int(&args, now);
		if ((rc = run(s, MH_Q_SESSION_TOUCH, &args, NULL, NULL, NULL, NULL, NULL)) != MH_OK)
			return rc;
		o.ses->last_seen_at = now;
	}
	*session = o.ses;
	*user = o.user;
	return MH_OK;
}

enum mh_store_rc mh_store_session_end(struct mh_store *s, const char *token_hash)
{
	if (!token_hash_ok(token_hash))
		return MH_OK;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, token_hash);
	return run(s, MH_Q_SESSION_DEL, &a, NULL, NULL, NULL, NULL, NULL);
}

enum mh_store_rc mh_store_sessions_prune(struct mh_store *s, int64_t now)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, now);
	return run(s, MH_Q_SESSIONS_PRUNE, &a, NULL, NULL, NULL, NULL, NULL);
}

static bool purpose_ok(const char *p)
{
	return p != NULL && (strcmp(p, "reset") == 0 || strcmp(p, "invite") == 0);
}

enum mh_store_rc mh_store_auth_token_add(struct mh_store *s, const char *token_hash, int64_t user_id,
					 const char *purpose, int64_t expires_at)
{
	int64_t now = mh_time_now();
	if (!token_hash_ok(token_hash) || user_id <= 0 || !purpose_ok(purpose) || expires_at <= now)
		return MH_INVALID;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, token_hash);
	mh_store_arg_int(&a, user_id);
	mh_store_arg_text(&a, purpose);
	mh_store_arg_int(&a, now);
	mh_store_arg_int(&a, expires_at);
	return run(s, MH_Q_TOKEN_INSERT, &a, NULL, NULL, NULL, NULL, "user_id: no such user");
}

static enum mh_store_rc token_run(struct mh_store *s, enum mh_store_stmt q, const char *token_hash,
				  const char *purpose, int64_t now, int64_t *user_id)
{
	*user_id = 0;
	if (!token_hash_ok(token_hash) || !purpose_ok(purpose))
		return MH_NOT_FOUND;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, token_hash);
	mh_store_arg_text(&a, purpose);
	mh_store_arg_int(&a, now);
	enum mh_store_rc rc = run_first(s, q, &a, user_id, NULL, NULL, NULL);
	return rc == MH_OK && *user_id == 0 ? MH_NOT_FOUND : rc;
}

enum mh_store_rc mh_store_auth_token_peek(struct mh_store *s, const char *token_hash, const char *purpose,
					  int64_t now, int64_t *user_id)
{
	return token_run(s, MH_Q_TOKEN_PEEK, token_hash, purpose, now, user_id);
}

/* A link of purpose used to set a password, in one transaction. */
static enum mh_store_rc token_password(struct mh_store *s, const char *purpose, const char *token_hash,
				       const char *password_hash, int64_t now, int64_t *user_id)
{
	if (str_empty(password_hash))
		return MH_INVALID;
	int64_t uid = 0;
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	rc = token_run(s, MH_Q_TOKEN_USE, token_hash, purpose, now, &uid);
	if (rc == MH_OK)
		rc = set_password(s, uid, password_hash, true, now, NULL);
	rc = s->ops->write_end(s, rc, NULL);
	if (rc == MH_OK && user_id != NULL)
		*user_id = uid;
	return rc;
}

enum mh_store_rc mh_store_password_reset(struct mh_store *s, const char *token_hash, const char *password_hash,
					 int64_t now, int64_t *user_id)
{
	return token_password(s, "reset", token_hash, password_hash, now, user_id);
}

enum mh_store_rc mh_store_invite_accept(struct mh_store *s, const char *token_hash, const char *password_hash,
				       int64_t now, int64_t *user_id)
{
	return token_password(s, "invite", token_hash, password_hash, now, user_id);
}

enum mh_store_rc mh_store_auth_tokens_drop(struct mh_store *s, int64_t user_id, const char *purpose)
{
	if (user_id <= 0 || !purpose_ok(purpose))
		return MH_INVALID;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, user_id);
	mh_store_arg_text(&a, purpose);
	return run(s, MH_Q_TOKENS_OF_USER_DEL, &a, NULL, NULL, NULL, NULL, NULL);
}

static void item_seen(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	(void)a;
	struct mh_user_seen *u = out;
	u->user_id = r->i64(r->ctx, 0);
	u->last_seen_at = r->i64(r->ctx, 1);
}

enum mh_store_rc mh_store_users_last_seen(struct mh_store *s, struct mh_arena *a, struct mh_user_seen **out,
					  size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_USERS_LAST_SEEN, NULL, a, sizeof(struct mh_user_seen), item_seen, (void **)out, n);
}

/* ---- site settings ---- */

static void item_site_setting(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_site_setting *kv = out;
	kv->key = r->str(r->ctx, a, 0);
	kv->value = r->str(r->ctx, a, 1);
}

enum mh_store_rc mh_store_site_settings(struct mh_store *s, struct mh_arena *a, struct mh_site_setting **out,
					size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_SITE_SETTINGS, NULL, a, sizeof(struct mh_site_setting), item_site_setting,
		       (void **)out, n);
}

enum mh_store_rc mh_store_site_setting_put(struct mh_store *s, const char *key, const char *value, const char *by,
					   struct mh_buf *err)
{
	size_t kn = key != NULL ? strlen(key) : 0;
	bool key_ok = kn >= 1 && kn <= 64;
	for (size_t i = 0; key_ok && i < kn; i++)
		key_ok = (key[i] >= 'a' && key[i] <= 'z') || key[i] == '_';
	if (!key_ok) {
		mh_store_set_err(err, "key: expected 1-64 lower-case letters or '_'");
		return MH_INVALID;
	}
	if (value == NULL || strlen(value) > 4000) {
		mh_store_set_err(err, "%s: longer than 4000 bytes", key);
		return MH_INVALID;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			mh_store_set_err(err, "%s: must not contain control characters", key);
			return MH_INVALID;
		}
	}
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, key);
	mh_store_arg_text(&a, value);
	mh_store_arg_int(&a, mh_time_now());
	mh_store_arg_text(&a, by != NULL ? by : "");
	return run(s, MH_Q_SITE_SETTING_PUT, &a, NULL, NULL, err, NULL, NULL);
}

static void secret_row(void *ctx, const struct mh_store_row *r)
{
	struct mh_buf *out = ctx;
	mh_buf_reset(out);
	mh_buf_append_c(out, r->peek(r->ctx, 0));
}

enum mh_store_rc mh_store_site_secret(struct mh_store *s, const char *name, const char *candidate,
				      struct mh_buf *out)
{
	mh_buf_reset(out);
	if (str_empty(name) || str_empty(candidate))
		return MH_INVALID;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, name);
	mh_store_arg_text(&a, candidate);
	mh_store_arg_int(&a, mh_time_now());
	/* every node inserts its candidate; the first one stays */
	enum mh_store_rc rc = run(s, MH_Q_SECRET_ADD, &a, NULL, NULL, NULL, NULL, NULL);
	if (rc == MH_OK) {
		a.n = 1;
		rc = run(s, MH_Q_SECRET_GET, &a, secret_row, out, NULL, NULL, NULL);
	}
	if (rc == MH_OK && out->len == 0)
		rc = MH_ERROR;
	return rc;
}

/* ---- view counts ---- */

enum mh_store_rc mh_store_views_add(struct mh_store *s, const struct mh_view_count *c, size_t n, int64_t *added)
{
	if (added != NULL)
		*added = 0;
	if (n == 0)
		return MH_OK;
	for (size_t i = 0; i < n; i++)
		if (c[i].n <= 0 || c[i].hour < 0 || c[i].hour % 3600 != 0)
			return MH_INVALID;
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	int64_t kept = 0;
	for (size_t i = 0; i < n && rc == MH_OK; i++) {
		if (c[i].article_id <= 0)
			continue; /* no such article: dropped */
		struct mh_store_args a = { 0 };
		mh_store_arg_int(&a, c[i].article_id);
		mh_store_arg_int(&a, c[i].n);
		int64_t changed = 0;
		rc = run_changed(s, MH_Q_VIEWS_ADD_TOTAL, &a, &changed);
		if (rc != MH_OK || changed == 0)
			continue;
		kept += c[i].n;
		a.n = 1;
		mh_store_arg_int(&a, c[i].hour);
		mh_store_arg_int(&a, c[i].n);
		rc = run(s, MH_Q_VIEWS_ADD_HOUR, &a, NULL, NULL, NULL, NULL, NULL);
	}
	rc = s->ops->write_end(s, rc, NULL);
	if (rc == MH_OK && added != NULL)
		*added = kept;
	return rc;
}

struct views_row {
	int64_t v;
	bool found;
};

static void views_row(void *ctx, const struct mh_store_row *r)
{
	struct views_row *vr = ctx;
	vr->v = r->i64(r->ctx, 0);
	vr->found = true;
}

enum mh_store_rc mh_store_views_get(struct mh_store *s, int64_t article_id, int64_t *total)
{
	*total = 0;
	if (article_id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, article_id);
	mh_store_arg_int(&a, mh_time_now());
	struct views_row vr = { 0, false };
	enum mh_store_rc rc = run(s, MH_Q_VIEWS_GET, &a, views_row, &vr, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	*total = vr.v;
	return vr.found ? MH_OK : MH_NOT_FOUND;
}

static void decode_view_top(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_view_top *t = out;
	t->article_id = r->i64(r->ctx, 0);
	t->headline = r->str(r->ctx, a, 1);
	t->slug = r->str(r->ctx, a, 2);
	t->views = r->i64(r->ctx, 3);
}

enum mh_store_rc mh_store_views_top(struct mh_store *s, struct mh_arena *a, int64_t since, size_t limit,
				    struct mh_view_top **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > 1000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, since);
	mh_store_arg_int(&args, (int64_t)limit);
	return collect(s, MH_Q_VIEWS_TOP, &args, a, sizeof(struct mh_view_top), decode_view_top, (void **)out, n);
}

static void decode_view_day(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	(void)a;
	struct mh_view_day *d = out;
	d->day = r->i64(r->ctx, 0);
	d->views = r->i64(r->ctx, 1);
}

enum mh_store_rc mh_store_views_daily(struct mh_store *s, struct mh_arena *a, int64_t article_id, int64_t since,
				      struct mh_view_day **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, article_id);
	mh_store_arg_int(&args, since);
	return collect(s, MH_Q_VIEWS_DAILY, &args, a, sizeof(struct mh_view_day), decode_view_day, (void **)out, n);
}

/* ---- redirects (issue 9) and the WordPress import's bookkeeping (issue 11) ---- */

const char *mh_store_redirect_problem(const struct mh_redirect *r, const char **field)
{
	struct mh_str from = mh_str_c(r->from != NULL ? r->from : "");
	struct mh_str to = mh_str_c(r->to != NULL ? r->to : "");
	*field = "FROM";
	if (from.len == 0 || from.ptr[0] != '/' || (from.len > 1 && from.ptr[1] == '/'))
		return "must be a path on this site starting with a single /";
	if (from.len > URL_MAX)
		return "longer than 2000 bytes";
	for (size_t i = 0; i < from.len; i++) {
		unsigned char c = (unsigned char)from.ptr[i];
		if (c <= ' ' || c >= 0x7f)
			return "must not contain spaces, control characters or non-ASCII bytes (percent-encode them)";
		if (c == '"' || c == '<' || c == '>' || c == '\\' || c == '`' || c == '#' || c == '\'')
			return "must not contain \" ' < > \\ ` or #";
		if (c == '?' && r->prefix)
			return "a prefix rule matches paths only: no ? in it";
	}
	*field = "TO";
	if (to.len == 0)
		return "must not be empty";
	const char *why = url_problem(to);
	if (why != NULL)
		return why;
	if (mh_str_eq(from, to))
		return "is the same as FROM: the address would redirect to itself";
	if (r->prefix && to.len >= from.len && memcmp(to.ptr, from.ptr, from.len) == 0)
		return "starts with the prefix FROM: every address under it would redirect again, without end";
	*field = "--status";
	if (r->status != 301 && r->status != 302)
		return "must be 301 or 302";
	return NULL;
}

enum mh_store_rc mh_store_redirect_put(struct mh_store *s, const struct mh_redirect *r, struct mh_buf *err)
{
	const char *field, *why = mh_store_redirect_problem(r, &field);
	if (why != NULL) {
		mh_store_set_err(err, "%s: %s", field, why);
		return MH_INVALID;
	}
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, r->from);
	mh_store_arg_text(&a, r->to);
	mh_store_arg_int(&a, r->status);
	mh_store_arg_int(&a, r->prefix ? 1 : 0);
	mh_store_arg_int(&a, mh_time_now());
	return run(s, MH_Q_REDIRECT_PUT, &a, NULL, NULL, err, r->from, NULL);
}

enum mh_store_rc mh_store_redirect_remove(struct mh_store *s, struct mh_str from)
{
	struct mh_store_args a = { 0 };
	mh_store_arg_str(&a, from);
	int64_t changed = 0;
	enum mh_store_rc rc = run_changed(s, MH_Q_REDIRECT_DEL, &a, &changed);
	return changed_one(rc, changed, MH_NOT_FOUND);
}

static void decode_redirect(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_redirect *d = out;
	d->from = r->str(r->ctx, a, 0);
	d->to = r->str(r->ctx, a, 1);
	d->status = (int)r->i64(r->ctx, 2);
	d->prefix = r->i64(r->ctx, 3) != 0;
	d->created_at = r->i64(r->ctx, 4);
}

enum mh_store_rc mh_store_redirects(struct mh_store *s, struct mh_arena *a, struct mh_redirect **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_REDIRECTS, NULL, a, sizeof(struct mh_redirect), decode_redirect, (void **)out, n);
}

struct wp_item_row {
	struct mh_arena *a;
	struct mh_wp_item *out;
	bool found;
};

static void wp_item_row(void *ctx, const struct mh_store_row *r)
{
	struct wp_item_row *w = ctx;
	w->out->target_id = r->i64(r->ctx, 0);
	w->out->state = r->str(r->ctx, w->a, 1);
	w->out->detail = r->str(r->ctx, w->a, 2);
	w->found = true;
}

enum mh_store_rc mh_store_wp_item_get(struct mh_store *s, struct mh_arena *a, const char *source, const char *kind,
				      int64_t wp_id, struct mh_wp_item *out)
{
	*out = (struct mh_wp_item){ 0, "", "" };
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, source);
	mh_store_arg_text(&args, kind);
	mh_store_arg_int(&args, wp_id);
	struct wp_item_row w = { a, out, false };
	enum mh_store_rc rc = run(s, MH_Q_WP_ITEM_GET, &args, wp_item_row, &w, NULL, NULL, NULL);
	return rc == MH_OK && !w.found ? MH_NOT_FOUND : rc;
}

enum mh_store_rc mh_store_wp_item_put(struct mh_store *s, const char *source, const char *kind, int64_t wp_id,
				      const struct mh_wp_item *item)
{
	if (strcmp(item->state, "done") != 0 && strcmp(item->state, "failed") != 0)
		return MH_INVALID;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, source);
	mh_store_arg_text(&a, kind);
	mh_store_arg_int(&a, wp_id);
	mh_store_arg_int(&a, item->target_id);
	mh_store_arg_text(&a, item->state);
	mh_store_arg_text(&a, item->detail);
	mh_store_arg_int(&a, mh_time_now());
	return run(s, MH_Q_WP_ITEM_PUT, &a, NULL, NULL, NULL, NULL, NULL);
}

/* ---- sitemaps (issue 9, feeds) ---- */

#define SITEMAP_MAX 50000 /* URLs a sitemap file may hold (sitemaps.org) */

/* Only what a sitemap shows: a page holds up to 50,000 of them. */
static void item_sitemap_article(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_article *art = out;
	art->id = r->i64(r->ctx, 0);
	art->slug = r->str(r->ctx, a, 1);
	art->published_at = r->i64(r->ctx, 2);
	art->updated_at = r->i64(r->ctx, 3);
	art->image_url = r->str(r->ctx, a, 4);
	art->status = MH_ARTICLE_PUBLISHED;
	art->headline = art->dek = art->lead_html = art->image_alt = art->via_name = art->via_url = "";
}

enum mh_store_rc mh_store_sitemap_articles(struct mh_store *s, struct mh_arena *a, int64_t after_id, int64_t upto_id,
					   int limit, struct mh_article **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > SITEMAP_MAX || after_id < 0 || upto_id < after_id)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, after_id);
	mh_store_arg_int(&args, upto_id);
	mh_store_arg_int(&args, mh_time_now());
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_SITEMAP_ARTICLES, &args, a, sizeof(struct mh_article), item_sitemap_article,
		       (void **)out, n);
}

enum mh_store_rc mh_store_sitemap_next_id(struct mh_store *s, int64_t after_id, int64_t *id)
{
	if (after_id < 0)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, after_id);
	mh_store_arg_int(&args, mh_time_now());
	return run_first(s, MH_Q_SITEMAP_NEXT_ID, &args, id, NULL, NULL, NULL);
}

/* ---- Trending (issue 8) ---- */

static void decode_trending(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_trending_row *t = out;
	t->article_id = r->i64(r->ctx, 0);
	t->slug = r->str(r->ctx, a, 1);
	t->headline = r->str(r->ctx, a, 2);
	t->published_at = r->i64(r->ctx, 3);
	t->section_id = r->i64(r->ctx, 4);
	t->views = r->i64(r->ctx, 5);
	t->score = r->i64(r->ctx, 6);
}

enum mh_store_rc mh_store_trending(struct mh_store *s, struct mh_arena *a, int64_t now, int window_hours,
				   int half_life_hours, size_t per_section, struct mh_trending_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (window_hours < 1 || window_hours > 168 || half_life_hours < 1 || half_life_hours > 168 ||
	    per_section == 0 || per_section > 100 || now < 0)
		return MH_INVALID;
	int64_t now_hour = now - now % 3600;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, now_hour);
	mh_store_arg_int(&args, now_hour - (int64_t)(window_hours - 1) * 3600);
	mh_store_arg_int(&args, half_life_hours);
	mh_store_arg_int(&args, now);
	mh_store_arg_int(&args, (int64_t)per_section);
	return collect(s, MH_Q_TRENDING, &args, a, sizeof(struct mh_trending_row), decode_trending, (void **)out, n);
}

/* ---- comments (migration 11) ---- */

static const char *const comment_status_names[] = { "pending", "approved", "spam", "deleted" };

const char *mh_comment_status_name(enum mh_comment_status st)
{
	return (unsigned)st < 4 ? comment_status_names[st] : "pending";
}

bool mh_comment_status_parse(struct mh_str v, enum mh_comment_status *out)
{
	for (int i = 0; i < 4; i++) {
		if (mh_str_eq_c(v, comment_status_names[i])) {
			*out = (enum mh_comment_status)i;
			return true;
		}
	}
	return false;
}

static void item_comment(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_comment *c = out;
	c->id = r->i64(r->ctx, 0);
	c->article_id = r->i64(r->ctx, 1);
	c->parent_id = r->i64(r->ctx, 2);
	c->name = r->str(r->ctx, a, 3);
	c->email = r->str(r->ctx, a, 4);
	c->body = r->str(r->ctx, a, 5);
	c->address_hash = r->str(r->ctx, a, 6);
	if (!mh_comment_status_parse(mh_str_c(r->peek(r->ctx, 7)), &c->status))
		c->status = MH_COMMENT_PENDING;
	c->created_at = r->i64(r->ctx, 8);
	c->updated_at = r->i64(r->ctx, 9);
	c->article_slug = r->str(r->ctx, a, 10);
	c->article_headline = r->str(r->ctx, a, 11);
}

/* A text field of a comment: min..max bytes, no control characters
 * (multiline: newlines, carriage returns and tabs allowed). */
static enum mh_store_rc comment_text(const char *field, const char *v, size_t min, size_t max, bool multiline,
				     struct mh_buf *err)
{
	size_t n = v != NULL ? strlen(v) : 0;
	if (n < min) {
		mh_store_set_err(err, "%s: must not be empty", field);
		return MH_INVALID;
	}
	if (n > max) {
		mh_store_set_err(err, "%s: longer than %zu bytes", field, max);
		return MH_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f) {
			mh_store_set_err(err, "%s: must not contain control characters", field);
			return MH_INVALID;
		}
	}
	return MH_OK;
}

static enum mh_store_rc comment_get(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_comment **out)
{
	*out = NULL;
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	struct mh_comment *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, MH_Q_COMMENT_GET, &args, a, sizeof(*arr), item_comment, (void **)&arr, &n);
	if (rc != MH_OK)
		return rc;
	if (n == 0)
		return MH_NOT_FOUND;
	*out = arr;
	return MH_OK;
}

enum mh_store_rc mh_store_comment_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_comment **out)
{
	return comment_get(s, a, id, out);
}

/* The approved count moves by delta, in the caller's write. */
static enum mh_store_rc comment_count_add(struct mh_store *s, int64_t article_id, int64_t delta)
{
	if (delta == 0)
		return MH_OK;
	struct mh_store_args a = { 0 };
	mh_store_arg_int(&a, article_id);
	mh_store_arg_int(&a, delta);
	return run(s, MH_Q_COMMENT_COUNT_ADD, &a, NULL, NULL, NULL, NULL, NULL);
}

enum mh_store_rc mh_store_comment_add(struct mh_store *s, struct mh_comment *c, struct mh_buf *err)
{
	enum mh_store_rc rc;
	if (c->id != 0) {
		mh_store_set_err(err, "id: a new comment has none");
		return MH_INVALID;
	}
	if ((rc = comment_text("name", c->name, 1, 200, false, err)) != MH_OK ||
	    (rc = comment_text("email", c->email, 0, 254, false, err)) != MH_OK ||
	    (rc = comment_text("body", c->body, 1, 100000, true, err)) != MH_OK ||
	    (rc = comment_text("address_hash", c->address_hash, 1, 128, false, err)) != MH_OK)
		return rc;
	if ((unsigned)c->status > MH_COMMENT_DELETED) {
		mh_store_set_err(err, "status: unknown");
		return MH_INVALID;
	}
	struct mh_arena *a = mh_arena_new();
	rc = s->ops->write_begin(s, err);
	if (rc != MH_OK) {
		mh_arena_free(a);
		return rc;
	}
	if (c->parent_id != 0) {
		struct mh_comment *p = NULL;
		rc = comment_get(s, a, c->parent_id, &p);
		if (rc == MH_NOT_FOUND || (rc == MH_OK && p->article_id != c->article_id)) {
			mh_store_set_err(err, "parent_id: no comment %lld on this article", (long long)c->parent_id);
			rc = MH_INVALID;
		} else if (rc == MH_OK && p->parent_id != 0) {
			c->parent_id = p->parent_id; /* one level: a reply to a reply joins the top comment */
		}
	}
	c->created_at = c->updated_at = mh_time_now();
	if (rc == MH_OK) {
		struct mh_store_args args = { 0 };
		mh_store_arg_int(&args, c->article_id);
		if (c->parent_id != 0)
			mh_store_arg_int(&args, c->parent_id);
		else
			mh_store_arg_null(&args);
		mh_store_arg_text(&args, c->name);
		mh_store_arg_text(&args, c->email);
		mh_store_arg_text(&args, c->body);
		mh_store_arg_text(&args, c->address_hash);
		mh_store_arg_text(&args, mh_comment_status_name(c->status));
		mh_store_arg_int(&args, c->created_at);
		char fk[64];
		snprintf(fk, sizeof fk, "article_id: no article %lld", (long long)c->article_id);
		rc = run_first(s, MH_Q_COMMENT_INSERT, &args, &c->id, err, NULL, fk);
	}
	if (rc == MH_OK && c->status == MH_COMMENT_APPROVED)
		rc = comment_count_add(s, c->article_id, 1);
	rc = s->ops->write_end(s, rc, err);
	if (rc != MH_OK)
		c->id = 0;
	mh_arena_free(a);
	return rc;
}

enum mh_store_rc mh_store_comments_of_article(struct mh_store *s, struct mh_arena *a, int64_t article_id, int limit,
					      struct mh_comment **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > 10000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, article_id);
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_COMMENTS_OF_ARTICLE, &args, a, sizeof(struct mh_comment), item_comment, (void **)out, n);
}

struct thread_row {
	bool closed;
	int64_t approved;
};

static void thread_row(void *ctx, const struct mh_store_row *r)
{
	struct thread_row *t = ctx;
	t->closed = r->flag(r->ctx, 0);
	t->approved = r->i64(r->ctx, 1);
}

enum mh_store_rc mh_store_comment_thread(struct mh_store *s, int64_t article_id, bool *closed, int64_t *approved)
{
	struct thread_row t = { false, 0 };
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, article_id);
	enum mh_store_rc rc = run(s, MH_Q_COMMENT_THREAD, &args, thread_row, &t, NULL, NULL, NULL);
	*closed = t.closed;
	*approved = t.approved;
	return rc;
}

enum mh_store_rc mh_store_comments_close(struct mh_store *s, int64_t article_id, bool closed)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, article_id);
	mh_store_arg_bool(&args, closed);
	char fk[64];
	snprintf(fk, sizeof fk, "article_id: no article %lld", (long long)article_id);
	enum mh_store_rc rc = run(s, MH_Q_COMMENT_CLOSE, &args, NULL, NULL, NULL, NULL, fk);
	return rc == MH_INVALID ? MH_NOT_FOUND : rc;
}

enum mh_store_rc mh_store_comment_set_status(struct mh_store *s, int64_t id, enum mh_comment_status st,
					     int64_t *article_id)
{
	if ((unsigned)st > MH_COMMENT_DELETED)
		return MH_INVALID;
	struct mh_arena *a = mh_arena_new();
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	struct mh_comment *c = NULL;
	if (rc == MH_OK)
		rc = comment_get(s, a, id, &c);
	if (rc == MH_OK && c->status != st) {
		struct mh_store_args args = { 0 };
		mh_store_arg_int(&args, id);
		mh_store_arg_text(&args, mh_comment_status_name(st));
		mh_store_arg_int(&args, mh_time_now());
		rc = run(s, MH_Q_COMMENT_STATUS, &args, NULL, NULL, NULL, NULL, NULL);
		int64_t delta = (st == MH_COMMENT_APPROVED) - (c->status == MH_COMMENT_APPROVED);
		if (rc == MH_OK)
			rc = comment_count_add(s, c->article_id, delta);
	}
	if (rc == MH_OK && article_id != NULL)
		*article_id = c->article_id;
	rc = s->ops->write_end(s, rc, NULL);
	mh_arena_free(a);
	return rc;
}

enum mh_store_rc mh_store_comment_edit(struct mh_store *s, int64_t id, const char *name, const char *body,
				       struct mh_buf *err)
{
	enum mh_store_rc rc;
	if ((rc = comment_text("name", name, 1, 200, false, err)) != MH_OK ||
	    (rc = comment_text("body", body, 1, 100000, true, err)) != MH_OK)
		return rc;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	mh_store_arg_text(&args, name);
	mh_store_arg_text(&args, body);
	mh_store_arg_int(&args, mh_time_now());
	int64_t changed = 0;
	rc = exec(s, MH_Q_COMMENT_EDIT, &args, NULL, NULL, &changed, err, NULL, NULL);
	return changed_one(rc, changed, MH_NOT_FOUND);
}

enum mh_store_rc mh_store_comments_list(struct mh_store *s, struct mh_arena *a, const struct mh_comment_filter *f,
					int64_t before_id, int limit, struct mh_comment **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > 1000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, f->status >= 0 ? mh_comment_status_name((enum mh_comment_status)f->status) : "");
	mh_store_arg_text(&args, f->email != NULL ? f->email : "");
	mh_store_arg_text(&args, f->address_hash != NULL ? f->address_hash : "");
	mh_store_arg_int(&args, f->article_id > 0 ? f->article_id : 0);
	mh_store_arg_int(&args, before_id > 0 ? before_id : 0);
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_COMMENTS_LIST, &args, a, sizeof(struct mh_comment), item_comment, (void **)out, n);
}

enum mh_store_rc mh_store_comment_trusted(struct mh_store *s, const char *email, const char *address_hash,
					  bool *trusted)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, email != NULL ? email : "");
	mh_store_arg_text(&args, address_hash != NULL ? address_hash : "");
	int64_t n = 0;
	enum mh_store_rc rc = run_first(s, MH_Q_COMMENT_TRUSTED, &args, &n, NULL, NULL, NULL);
	*trusted = rc == MH_OK && n > 0;
	return rc;
}

enum mh_store_rc mh_store_comment_duplicate(struct mh_store *s, int64_t article_id, const char *body, int64_t since,
					    bool *dup)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, article_id);
	mh_store_arg_text(&args, body);
	mh_store_arg_int(&args, since);
	int64_t n = 0;
	enum mh_store_rc rc = run_first(s, MH_Q_COMMENT_DUPLICATE, &args, &n, NULL, NULL, NULL);
	*dup = rc == MH_OK && n > 0;
	return rc;
}

static bool ban_kind_ok(const char *kind)
{
	return kind != NULL && (strcmp(kind, "email") == 0 || strcmp(kind, "address") == 0);
}

enum mh_store_rc mh_store_comment_ban_add(struct mh_store *s, const char *kind, const char *value, const char *by,
					  struct mh_buf *err)
{
	if (!ban_kind_ok(kind)) {
		mh_store_set_err(err, "kind: expected email or address");
		return MH_INVALID;
	}
	enum mh_store_rc rc = comment_text(kind, value, 1, 254, false, err);
	if (rc != MH_OK)
		return rc;
	char *low = strdup(value);
	MH_ASSERT(low != NULL);
	if (strcmp(kind, "email") == 0)
		for (char *p = low; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, kind);
	mh_store_arg_text(&args, low);
	mh_store_arg_int(&args, mh_time_now());
	mh_store_arg_text(&args, by != NULL ? by : "");
	rc = run(s, MH_Q_COMMENT_BAN_ADD, &args, NULL, NULL, err, NULL, NULL);
	free(low);
	return rc;
}

enum mh_store_rc mh_store_comment_ban_remove(struct mh_store *s, const char *kind, const char *value)
{
	if (!ban_kind_ok(kind) || value == NULL)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, kind);
	mh_store_arg_text(&args, value);
	int64_t changed = 0;
	enum mh_store_rc rc = run_changed(s, MH_Q_COMMENT_BAN_DEL, &args, &changed);
	return changed_one(rc, changed, MH_NOT_FOUND);
}

static void item_ban(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_comment_ban *b = out;
	b->kind = r->str(r->ctx, a, 0);
	b->value = r->str(r->ctx, a, 1);
	b->created_at = r->i64(r->ctx, 2);
	b->created_by = r->str(r->ctx, a, 3);
}

enum mh_store_rc mh_store_comment_bans(struct mh_store *s, struct mh_arena *a, struct mh_comment_ban **out,
				       size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_COMMENT_BANS, NULL, a, sizeof(struct mh_comment_ban), item_ban, (void **)out, n);
}

enum mh_store_rc mh_store_comment_banned(struct mh_store *s, const char *email, const char *address_hash,
					 bool *banned)
{
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, email != NULL ? email : "");
	mh_store_arg_text(&args, address_hash != NULL ? address_hash : "");
	int64_t n = 0;
	enum mh_store_rc rc = run_first(s, MH_Q_COMMENT_BANNED, &args, &n, NULL, NULL, NULL);
	*banned = rc == MH_OK && n > 0;
	return rc;
}

/* ---- the newsletter (migration 14) ---- */

static const char *const subscriber_statuses[] = { "pending", "confirmed", "unsubscribed", "bounced" };

bool mh_store_subscriber_status_valid(struct mh_str status)
{
	for (size_t i = 0; i < sizeof(subscriber_statuses) / sizeof(subscriber_statuses[0]); i++)
		if (mh_str_eq_c(status, subscriber_statuses[i]))
			return true;
	return false;
}

static const char *const delivery_states[MH_DELIVERY__COUNT] = {
	"queued", "sending", "sent", "deferred", "failed", "bounced", "unknown", "skipped",
};

const char *mh_delivery_state_name(enum mh_delivery_state st)
{
	return st < MH_DELIVERY__COUNT ? delivery_states[st] : "?";
}

bool mh_delivery_state_parse(struct mh_str s, enum mh_delivery_state *out)
{
	for (int i = 0; i < MH_DELIVERY__COUNT; i++) {
		if (mh_str_eq_c(s, delivery_states[i])) {
			*out = (enum mh_delivery_state)i;
			return true;
		}
	}
	return false;
}

static void item_subscriber(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_subscriber *sub = out;
	sub->id = r->i64(r->ctx, 0);
	sub->email = r->str(r->ctx, a, 1);
	sub->status = r->str(r->ctx, a, 2);
	sub->created_at = r->i64(r->ctx, 3);
	sub->confirmed_at = r->i64(r->ctx, 4);
	sub->updated_at = r->i64(r->ctx, 5);
}

static enum mh_store_rc one_subscriber(struct mh_store *s, enum mh_store_stmt id, struct mh_store_args *args,
				       struct mh_arena *a, struct mh_subscriber **out)
{
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, id, args, a, sizeof(struct mh_subscriber), item_subscriber, &arr, &n);
	if (rc == MH_OK && n == 0)
		return MH_NOT_FOUND;
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

static enum mh_store_rc subscriber_email(struct mh_arena *a, struct mh_str email, const char **key,
					 struct mh_buf *err)
{
	*key = email_key(a, email);
	const char *why = email_problem(*key);
	if (why != NULL || strlen(*key) != email.len) {
		mh_store_set_err(err, "email: %s", why != NULL ? why : "must not contain NUL bytes");
		return MH_INVALID;
	}
	return MH_OK;
}

enum mh_store_rc mh_store_subscriber_confirm(struct mh_store *s, struct mh_str email, int64_t *id, struct mh_buf *err)
{
	struct mh_arena *a = mh_arena_new();
	const char *key = NULL;
	enum mh_store_rc rc = subscriber_email(a, email, &key, err);
	int64_t got = 0;
	if (rc == MH_OK) {
		struct mh_store_args args = { 0 };
		mh_store_arg_text(&args, key);
		mh_store_arg_int(&args, mh_time_now());
		rc = run_first(s, MH_Q_SUB_CONFIRM, &args, &got, err, NULL, NULL);
	}
	if (id != NULL)
		*id = got;
	mh_arena_free(a);
	return rc;
}

enum mh_store_rc mh_store_subscriber_by_email(struct mh_store *s, struct mh_arena *a, struct mh_str email,
					      struct mh_subscriber **out)
{
	*out = NULL;
	if (email.len == 0 || email.len > 254)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, email_key(a, email));
	return one_subscriber(s, MH_Q_SUB_BY_EMAIL, &args, a, out);
}

enum mh_store_rc mh_store_subscriber_by_id(struct mh_store *s, struct mh_arena *a, int64_t id,
					   struct mh_subscriber **out)
{
	*out = NULL;
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	return one_subscriber(s, MH_Q_SUB_BY_ID, &args, a, out);
}

enum mh_store_rc mh_store_subscriber_set_status(struct mh_store *s, int64_t id, const char *status)
{
	if (!mh_store_subscriber_status_valid(mh_str_c(status)))
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	mh_store_arg_text(&args, status);
	mh_store_arg_int(&args, mh_time_now());
	int64_t changed = 0;
	enum mh_store_rc rc = run_changed(s, MH_Q_SUB_STATUS, &args, &changed);
	return rc == MH_OK && changed == 0 ? MH_NOT_FOUND : rc;
}

enum mh_store_rc mh_store_subscribers(struct mh_store *s, struct mh_arena *a, struct mh_str filter,
				      const char *status, int64_t after_id, int limit, struct mh_subscriber **out,
				      size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > 10000 || filter.len > 254 ||
	    (status != NULL && status[0] != '\0' && !mh_store_subscriber_status_valid(mh_str_c(status))))
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, email_key(a, filter));
	mh_store_arg_text(&args, status != NULL ? status : "");
	mh_store_arg_int(&args, after_id);
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_SUB_LIST, &args, a, sizeof(struct mh_subscriber), item_subscriber, (void **)out, n);
}

enum mh_store_rc mh_store_subscriber_delete(struct mh_store *s, struct mh_str email)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_subscriber *sub = NULL;
	enum mh_store_rc rc = mh_store_subscriber_by_email(s, a, email, &sub);
	if (rc == MH_OK && (rc = s->ops->write_begin(s, NULL)) == MH_OK) {
		struct mh_store_args args = { 0 };
		mh_store_arg_int(&args, sub->id);
		rc = run(s, MH_Q_SUB_DEL_DELIVERIES, &args, NULL, NULL, NULL, NULL, NULL);
		int64_t changed = 0;
		if (rc == MH_OK)
			rc = run_changed(s, MH_Q_SUB_DEL, &args, &changed);
		if (rc == MH_OK && changed == 0)
			rc = MH_NOT_FOUND;
		rc = s->ops->write_end(s, rc, NULL);
	}
	mh_arena_free(a);
	return rc;
}

enum mh_store_rc mh_store_subscriber_put(struct mh_store *s, struct mh_str email, const char *status,
					 struct mh_buf *err)
{
	if (status == NULL || !mh_store_subscriber_status_valid(mh_str_c(status))) {
		mh_store_set_err(err, "status: expected pending, confirmed, unsubscribed or bounced");
		return MH_INVALID;
	}
	struct mh_arena *a = mh_arena_new();
	const char *key = NULL;
	enum mh_store_rc rc = subscriber_email(a, email, &key, err);
	if (rc == MH_OK) {
		struct mh_store_args args = { 0 };
		mh_store_arg_text(&args, key);
		mh_store_arg_text(&args, status);
		mh_store_arg_int(&args, mh_time_now());
		int64_t id = 0;
		rc = run_first(s, MH_Q_SUB_UPSERT, &args, &id, err, NULL, NULL);
	}
	mh_arena_free(a);
	return rc;
}

static void item_newsletter(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_newsletter *nl = out;
	nl->id = r->i64(r->ctx, 0);
	nl->kind = r->str(r->ctx, a, 1);
	nl->article_id = r->i64(r->ctx, 2);
	nl->subject = r->str(r->ctx, a, 3);
	nl->created_at = r->i64(r->ctx, 4);
	nl->created_by = r->str(r->ctx, a, 5);
	nl->body_text = "";
	nl->body_html = "";
}

static void item_newsletter_body(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	item_newsletter(r, a, out);
	struct mh_newsletter *nl = out;
	nl->body_text = r->str(r->ctx, a, 6);
	nl->body_html = r->str(r->ctx, a, 7);
}

enum mh_store_rc mh_store_newsletter_add(struct mh_store *s, struct mh_newsletter *nl, int64_t *recipients,
					 struct mh_buf *err)
{
	if (recipients != NULL)
		*recipients = 0;
	if (nl->kind == NULL || (strcmp(nl->kind, "article") != 0 && strcmp(nl->kind, "digest") != 0)) {
		mh_store_set_err(err, "kind: expected article or digest");
		return MH_INVALID;
	}
	if (str_empty(nl->subject) || strlen(nl->subject) > 500 || strpbrk(nl->subject, "\r\n") != NULL) {
		mh_store_set_err(err, "subject: expected 1-500 bytes on one line");
		return MH_INVALID;
	}
	int64_t now = mh_time_now();
	enum mh_store_rc rc = s->ops->write_begin(s, err);
	if (rc != MH_OK)
		return rc;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, nl->kind);
	if (nl->article_id > 0)
		mh_store_arg_int(&args, nl->article_id);
	else
		mh_store_arg_null(&args);
	mh_store_arg_text(&args, nl->subject);
	mh_store_arg_text(&args, nl->body_text);
	mh_store_arg_text(&args, nl->body_html);
	mh_store_arg_int(&args, now);
	mh_store_arg_text(&args, nl->created_by);
	int64_t id = 0, n = 0;
	rc = run_first(s, MH_Q_NL_INSERT, &args, &id, err, NULL, "article_id: no such article");
	if (rc == MH_OK) {
		struct mh_store_args q = { 0 };
		mh_store_arg_int(&q, id);
		mh_store_arg_int(&q, now);
		rc = exec(s, MH_Q_NL_ENQUEUE, &q, NULL, NULL, &n, err, NULL, NULL);
	}
	rc = s->ops->write_end(s, rc, err);
	if (rc == MH_OK) {
		nl->id = id;
		nl->created_at = now;
		if (recipients != NULL)
			*recipients = n;
	}
	return rc;
}

enum mh_store_rc mh_store_newsletter_get(struct mh_store *s, struct mh_arena *a, int64_t id,
					 struct mh_newsletter **out)
{
	*out = NULL;
	if (id <= 0)
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc =
		collect(s, MH_Q_NL_GET, &args, a, sizeof(struct mh_newsletter), item_newsletter_body, &arr, &n);
	if (rc == MH_OK && n == 0)
		return MH_NOT_FOUND;
	if (rc == MH_OK)
		*out = arr;
	return rc;
}

enum mh_store_rc mh_store_newsletters(struct mh_store *s, struct mh_arena *a, int limit, struct mh_newsletter **out,
				      size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > 1000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_NL_LIST, &args, a, sizeof(struct mh_newsletter), item_newsletter, (void **)out, n);
}

static void counts_row(void *ctx, const struct mh_store_row *r)
{
	int64_t *counts = ctx;
	enum mh_delivery_state st;
	if (mh_delivery_state_parse(mh_str_c(r->peek(r->ctx, 0)), &st))
		counts[st] = r->i64(r->ctx, 1);
}

enum mh_store_rc mh_store_newsletter_counts(struct mh_store *s, int64_t id, int64_t counts[MH_DELIVERY__COUNT])
{
	memset(counts, 0, sizeof(int64_t) * MH_DELIVERY__COUNT);
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	return run(s, MH_Q_NL_COUNTS, &args, counts_row, counts, NULL, NULL, NULL);
}

static void item_delivery(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_delivery *d = out;
	d->email = r->str(r->ctx, a, 0);
	enum mh_delivery_state st = MH_DELIVERY_QUEUED;
	mh_delivery_state_parse(mh_str_c(r->peek(r->ctx, 1)), &st);
	d->state = st;
	d->attempts = (int)r->i64(r->ctx, 2);
	d->smtp_code = (int)r->i64(r->ctx, 3);
	d->last_error = r->str(r->ctx, a, 4);
	d->updated_at = r->i64(r->ctx, 5);
	d->subscriber_status = "";
}

enum mh_store_rc mh_store_newsletter_deliveries(struct mh_store *s, struct mh_arena *a, int64_t id, int state,
						int limit, struct mh_delivery **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > 100000 || state >= MH_DELIVERY__COUNT)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	mh_store_arg_text(&args, state < 0 ? "" : delivery_states[state]);
	mh_store_arg_int(&args, limit);
	return collect(s, MH_Q_NL_DELIVERIES, &args, a, sizeof(struct mh_delivery), item_delivery, (void **)out, n);
}

struct claim_row {
	struct mh_arena *a;
	struct mh_delivery *d;
	bool found;
};

static void claim_row(void *ctx, const struct mh_store_row *r)
{
	struct claim_row *c = ctx;
	c->found = true;
	c->d->subscriber_id = r->i64(r->ctx, 0);
	c->d->attempts = (int)r->i64(r->ctx, 1);
	c->d->email = r->str(r->ctx, c->a, 2);
	c->d->subscriber_status = r->str(r->ctx, c->a, 3);
	c->d->state = MH_DELIVERY_SENDING;
	c->d->smtp_code = 0;
	c->d->last_error = "";
}

enum mh_store_rc mh_store_newsletter_claim(struct mh_store *s, struct mh_arena *a, int64_t id, const char *owner,
					   int64_t now, int64_t lease_until, struct mh_delivery *out)
{
	memset(out, 0, sizeof(*out));
	if (str_empty(owner))
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	mh_store_arg_int(&args, now);
	enum mh_store_rc rc = run(s, MH_Q_NL_EXPIRE, &args, NULL, NULL, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	args.n = 1;
	mh_store_arg_text(&args, owner);
	mh_store_arg_int(&args, lease_until);
	mh_store_arg_int(&args, now);
	struct claim_row c = { a, out, false };
	rc = run(s, MH_Q_NL_CLAIM, &args, claim_row, &c, NULL, NULL, NULL);
	if (rc == MH_OK && !c.found)
		return MH_NOT_FOUND;
	return rc;
}

enum mh_store_rc mh_store_newsletter_result(struct mh_store *s, int64_t id, int64_t subscriber_id, const char *owner,
					    enum mh_delivery_state state, int smtp_code, const char *error,
					    int64_t next_at)
{
	if (state >= MH_DELIVERY__COUNT || state == MH_DELIVERY_SENDING || state == MH_DELIVERY_QUEUED)
		return MH_INVALID;
	int64_t now = mh_time_now();
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	mh_store_arg_int(&args, subscriber_id);
	mh_store_arg_text(&args, owner);
	mh_store_arg_text(&args, delivery_states[state]);
	mh_store_arg_int(&args, smtp_code);
	mh_store_arg_text(&args, error != NULL ? error : "");
	mh_store_arg_int(&args, next_at);
	mh_store_arg_int(&args, now);
	int64_t changed = 0;
	rc = run_changed(s, MH_Q_NL_RESULT, &args, &changed);
	if (rc == MH_OK && changed == 0)
		rc = MH_CONFLICT;
	if (rc == MH_OK && state == MH_DELIVERY_BOUNCED) {
		struct mh_store_args b = { 0 };
		mh_store_arg_int(&b, subscriber_id);
		mh_store_arg_text(&b, "bounced");
		mh_store_arg_int(&b, now);
		rc = run(s, MH_Q_SUB_STATUS, &b, NULL, NULL, NULL, NULL, NULL);
	}
	return s->ops->write_end(s, rc, NULL);
}

struct pending_row {
	int64_t left, next_at;
};

static void pending_row(void *ctx, const struct mh_store_row *r)
{
	struct pending_row *p = ctx;
	p->left = r->i64(r->ctx, 0);
	p->next_at = r->i64(r->ctx, 1);
}

enum mh_store_rc mh_store_newsletter_pending(struct mh_store *s, int64_t id, int64_t *left, int64_t *next_at)
{
	struct pending_row p = { 0, 0 };
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, id);
	enum mh_store_rc rc = run(s, MH_Q_NL_PENDING, &args, pending_row, &p, NULL, NULL, NULL);
	*left = p.left;
	*next_at = p.left > 0 ? p.next_at : 0;
	return rc;
}

/* ---- donations (issue 10) ---- */

static void decode_donation(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_donation *d = out;
	d->id = r->i64(r->ctx, 0);
	d->token = r->str(r->ctx, a, 1);
	d->provider = r->str(r->ctx, a, 2);
	d->provider_ref = r->str(r->ctx, a, 3);
	d->provider_sub = r->str(r->ctx, a, 4);
	d->amount = r->i64(r->ctx, 5);
	d->currency = r->str(r->ctx, a, 6);
	d->monthly = r->flag(r->ctx, 7);
	d->status = r->str(r->ctx, a, 8);
	d->email = r->str(r->ctx, a, 9);
	d->created_at = r->i64(r->ctx, 10);
	d->updated_at = r->i64(r->ctx, 11);
	d->paid_at = r->i64(r->ctx, 12);
}

enum mh_store_rc mh_store_donation_add(struct mh_store *s, const struct mh_donation *d, int64_t *id)
{
	*id = 0;
	if (str_empty(d->token) || str_empty(d->provider) || str_empty(d->provider_ref) || str_empty(d->currency) ||
	    d->amount <= 0)
		return MH_INVALID;
	struct mh_store_args a = { 0 };
	mh_store_arg_text(&a, d->token);
	mh_store_arg_text(&a, d->provider);
	mh_store_arg_text(&a, d->provider_ref);
	mh_store_arg_int(&a, d->amount);
	mh_store_arg_text(&a, d->currency);
	mh_store_arg_bool(&a, d->monthly);
	mh_store_arg_text(&a, d->email);
	mh_store_arg_int(&a, mh_time_now());
	return run_first(s, MH_Q_DON_INSERT, &a, id, NULL, NULL, NULL);
}

static enum mh_store_rc donation_one(struct mh_store *s, struct mh_arena *a, enum mh_store_stmt q,
				     const struct mh_store_args *args, struct mh_donation *out)
{
	struct mh_donation *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, q, args, a, sizeof *arr, decode_donation, (void **)&arr, &n);
	if (rc != MH_OK)
		return rc;
	if (n == 0)
		return MH_NOT_FOUND;
	*out = arr[0];
	return MH_OK;
}

enum mh_store_rc mh_store_donation_get(struct mh_store *s, struct mh_arena *a, const char *token,
				       struct mh_donation *out)
{
	memset(out, 0, sizeof *out);
	if (str_empty(token))
		return MH_NOT_FOUND;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, token);
	return donation_one(s, a, MH_Q_DON_BY_TOKEN, &args, out);
}

/* Which moves the ledger takes: paid is final; a pending one takes any
 * outcome; a cancelled or failed one can still be paid (a late webhook
 * of a payment that went through after all). */
static bool donation_moves(const char *from, const char *to)
{
	if (strcmp(to, "pending") == 0 || strcmp(from, to) == 0 || strcmp(from, "paid") == 0)
		return false;
	return strcmp(from, "pending") == 0 || strcmp(to, "paid") == 0;
}

enum mh_store_rc mh_store_donation_apply(struct mh_store *s, struct mh_arena *a, const char *provider,
					 const char *event_id, const char *ref, const char *status, const char *sub,
					 const char *email, bool *applied, bool *became_paid, struct mh_donation *out)
{
	*applied = false;
	if (became_paid != NULL)
		*became_paid = false;
	if (str_empty(provider) || str_empty(ref) || str_empty(status) ||
	    (strcmp(status, "pending") != 0 && strcmp(status, "paid") != 0 && strcmp(status, "cancelled") != 0 &&
	     strcmp(status, "failed") != 0) ||
	    (event_id != NULL && event_id[0] == '\0'))
		return MH_INVALID;
	enum mh_store_rc rc = s->ops->write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	struct mh_donation d;
	struct mh_store_args args = { 0 };
	mh_store_arg_text(&args, provider);
	mh_store_arg_text(&args, ref);
	rc = donation_one(s, a, MH_Q_DON_BY_REF, &args, &d);
	bool fresh = true;
	if (rc == MH_OK && event_id != NULL) {
		/* the event's key first: a second delivery (or the same one on
		 * another node, which waits here for the first to commit)
		 * inserts nothing and stops */
		struct mh_store_args e = { 0 };
		mh_store_arg_text(&e, provider);
		mh_store_arg_text(&e, event_id);
		mh_store_arg_int(&e, d.id);
		mh_store_arg_text(&e, status);
		mh_store_arg_int(&e, mh_time_now());
		int64_t changed = 0;
		rc = run_changed(s, MH_Q_DON_EVENT_ADD, &e, &changed);
		fresh = changed > 0;
	}
	bool moved = rc == MH_OK && fresh && donation_moves(d.status, status);
	if (moved) {
		struct mh_store_args u = { 0 };
		mh_store_arg_int(&u, d.id);
		mh_store_arg_text(&u, status);
		mh_store_arg_text(&u, sub);
		mh_store_arg_text(&u, email);
		mh_store_arg_int(&u, mh_time_now());
		rc = run(s, MH_Q_DON_SET, &u, NULL, NULL, NULL, NULL, NULL);
	}
	if (rc == MH_OK && out != NULL)
		rc = donation_one(s, a, MH_Q_DON_BY_REF, &args, out);
	rc = s->ops->write_end(s, rc, NULL);
	if (rc == MH_OK) {
		*applied = fresh;
		if (became_paid != NULL)
			*became_paid = moved && strcmp(status, "paid") == 0;
	}
	return rc;
}

enum mh_store_rc mh_store_donations_recent(struct mh_store *s, struct mh_arena *a, size_t limit,
					   struct mh_donation **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit == 0 || limit > 1000)
		return MH_INVALID;
	struct mh_store_args args = { 0 };
	mh_store_arg_int(&args, (int64_t)limit);
	return collect(s, MH_Q_DON_RECENT, &args, a, sizeof(struct mh_donation), decode_donation, (void **)out, n);
}

static void decode_donation_total(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_donation_total *t = out;
	t->month = r->str(r->ctx, a, 0);
	t->currency = r->str(r->ctx, a, 1);
	t->count = r->i64(r->ctx, 2);
	t->amount = r->i64(r->ctx, 3);
}

enum mh_store_rc mh_store_donation_totals(struct mh_store *s, struct mh_arena *a, struct mh_donation_total **out,
					  size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_DON_TOTALS, NULL, a, sizeof(struct mh_donation_total), decode_donation_total,
		       (void **)out, n);
}

static void decode_donor(const struct mh_store_row *r, struct mh_arena *a, void *out)
{
	struct mh_donation *d = out;
	d->email = r->str(r->ctx, a, 0);
	d->amount = r->i64(r->ctx, 1);
	d->currency = r->str(r->ctx, a, 2);
	d->provider = r->str(r->ctx, a, 3);
	d->paid_at = r->i64(r->ctx, 4);
	d->monthly = true;
	d->status = "paid";
}

enum mh_store_rc mh_store_donation_recurring(struct mh_store *s, struct mh_arena *a, struct mh_donation **out,
					     size_t *n)
{
	*out = NULL;
	*n = 0;
	return collect(s, MH_Q_DON_RECURRING, NULL, a, sizeof(struct mh_donation), decode_donor, (void **)out, n);
}
