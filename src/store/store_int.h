/*
 * store internals: the primitives every backend fills in (its SQL dialect
 * and its driver, nothing else), the numbered migrations shared by all
 * backends, the column lists and row decoding both read through, the list
 * query written once (list_sql.c), and helpers common to them. Private to
 * src/store/ (and bench/pgmodels.c, which must run the server's SQL);
 * nothing here is part of the public API in store.h.
 */
#ifndef MH_STORE_INT_H
#define MH_STORE_INT_H

#include "store/store.h"

/* ---- migrations: one numbered list for every backend (migrations.c) ----
 * Versions are 1, 2, 3, ... in order; a migration once released is never
 * edited, only followed by a new one. Each backend runs the SQL of its own
 * dialect in one transaction and records the version in schema_migrations. */
struct mh_store_migration {
	int version;
	const char *description;
	const char *sqlite_sql;
	const char *postgres_sql;
};
extern const struct mh_store_migration mh_store_migrations[];
extern const size_t mh_store_n_migrations;

/* What a backend does: its SQL dialect and its driver's calls, nothing
 * else. Every rule of the API (input checks, defaults, which time is "now",
 * was_published, the messages a caller shows, the transaction-state checks)
 * lives once in store.c, which composes these primitives. A primitive
 * reports a database failure through mh_store_db_fail (a taken unique value
 * MH_CONFLICT naming the value given, a missing referenced row MH_INVALID
 * with the message fk given, ...) and decides nothing else. Times are passed in; a backend never reads the
 * clock for data. Rows are decoded by store.c's mh_store_row_* from the
 * column lists below, so a backend only says how to read one value. */
struct mh_store_ops {
	const char *name;
	void (*close)(struct mh_store *s);
	enum mh_store_rc (*begin)(struct mh_store *s);
	enum mh_store_rc (*commit)(struct mh_store *s);
	void (*rollback)(struct mh_store *s);
	enum mh_store_rc (*bulk_load)(struct mh_store *s, bool on);
	enum mh_store_rc (*read_begin)(struct mh_store *s); /* NULL: nothing to do */
	void (*read_end)(struct mh_store *s);
	/* A write of several statements: its own transaction, or a savepoint
	 * inside the caller's explicit one, so one failed write undoes itself
	 * only. write_end commits (releases) when rc is MH_OK and undoes
	 * otherwise; it returns rc, or the commit's failure. */
	enum mh_store_rc (*write_begin)(struct mh_store *s, struct mh_buf *err);
	enum mh_store_rc (*write_end)(struct mh_store *s, enum mh_store_rc rc, struct mh_buf *err);
	bool (*in_transaction)(struct mh_store *s); /* an explicit one (mh_store_begin) */

	/* migrations: migrate_lock opens a transaction (ended by write_end) that
	 * excludes every other migrator; version 0 when none ran. */
	enum mh_store_rc (*migrate_lock)(struct mh_store *s, struct mh_buf *err);
	const char *(*migration_sql)(const struct mh_store_migration *m);
	const char *schema_table_sql; /* CREATE TABLE IF NOT EXISTS schema_migrations */
	enum mh_store_rc (*migration_version)(struct mh_store *s, int *version, struct mh_buf *err);
	enum mh_store_rc (*migration_record)(struct mh_store *s, int version, int64_t now, struct mh_buf *err);

	/* reads: MH_NOT_FOUND when a lookup by slug or id finds nothing */
	enum mh_store_rc (*sections)(struct mh_store *s, struct mh_arena *a, struct mh_section **out, size_t *n);
	enum mh_store_rc (*section_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					    struct mh_section **out);
	enum mh_store_rc (*authors)(struct mh_store *s, struct mh_arena *a, struct mh_author **out, size_t *n);
	enum mh_store_rc (*author_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					   struct mh_author **out);
	enum mh_store_rc (*tag_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					struct mh_tag **out);
	/* Articles come with was_published as stored ("ever published"). */
	enum mh_store_rc (*articles)(struct mh_store *s, struct mh_arena *a, const struct mh_article_query *q,
				     struct mh_article **out, size_t *n);
	enum mh_store_rc (*articles_count)(struct mh_store *s, const struct mh_article_query *q, int64_t *count);
	enum mh_store_rc (*article_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					    struct mh_article **out);
	enum mh_store_rc (*article_by_id)(struct mh_store *s, struct mh_arena *a, int64_t id,
					  struct mh_article **out);

	/* One-statement writes of a row: insert when *id is 0 (then *id is the
	 * new row's), else update row *id: MH_NOT_FOUND, without a message,
	 * when there is none. */
	enum mh_store_rc (*section_write)(struct mh_store *s, const struct mh_section *sec, int64_t *id,
					  struct mh_buf *err);
	enum mh_store_rc (*author_write)(struct mh_store *s, const struct mh_author *au, int64_t *id,
					 struct mh_buf *err);
	enum mh_store_rc (*tag_insert)(struct mh_store *s, const char *slug, const char *name, int64_t *id,
				       struct mh_buf *err);

	/* An article's save, between write_begin and write_end. article_old
	 * reads the stored created_at and "ever published" flag (MH_NOT_FOUND
	 * without a message); article_write stores every column of row as given
	 * (row->was_published: ever published) and sets *id like section_write;
	 * article_clear_joins drops its authors and tags, article_add_* adds one. */
	enum mh_store_rc (*article_old)(struct mh_store *s, int64_t id, int64_t *created_at, bool *ever_published,
					struct mh_buf *err);
	enum mh_store_rc (*article_write)(struct mh_store *s, const struct mh_article *row, int64_t *id,
					  const char *fk, struct mh_buf *err);
	enum mh_store_rc (*article_clear_joins)(struct mh_store *s, int64_t id, struct mh_buf *err);
	enum mh_store_rc (*article_add_author)(struct mh_store *s, int64_t id, int64_t author_id, int position,
					       const char *fk, struct mh_buf *err);
	enum mh_store_rc (*article_add_tag)(struct mh_store *s, int64_t id, int64_t tag_id, const char *fk,
					    struct mh_buf *err);
	/* *changed: rows the statement changed (0 or 1) */
	enum mh_store_rc (*article_set_views)(struct mh_store *s, int64_t id, int64_t views, int64_t *changed);
	/* Inside a transaction: holds the row until commit (*changed 0: none). */
	enum mh_store_rc (*article_lock)(struct mh_store *s, int64_t id, int64_t *changed);

	enum mh_store_rc (*change_add)(struct mh_store *s, struct mh_str keys, int64_t now);
	enum mh_store_rc (*change_last)(struct mh_store *s, int64_t *id);
	enum mh_store_rc (*changes_since)(struct mh_store *s, struct mh_arena *a, int64_t after, size_t max,
					  struct mh_change **out, size_t *n);
	enum mh_store_rc (*changes_prune)(struct mh_store *s, int64_t before);
	/* MH_INVALID inside a transaction; see mh_store_changes_wait. */
	enum mh_store_rc (*changes_wait)(struct mh_store *s, int timeout_ms);

	/* The job queue. job_requeue and job_insert run between write_begin and
	 * write_end; job_requeue sets *id 0 when no unfinished job has that key.
	 * job_claim runs between them too (on SQLite the write lock is what
	 * makes the claim one's alone): MH_NOT_FOUND when nothing is due. */
	enum mh_store_rc (*job_requeue)(struct mh_store *s, const char *dedupe, struct mh_str payload, int64_t run_at,
					int64_t now, int64_t *id);
	enum mh_store_rc (*job_insert)(struct mh_store *s, const char *kind, struct mh_str payload, int64_t run_at,
				       const char *dedupe, int64_t now, int64_t *id);
	enum mh_store_rc (*job_claim)(struct mh_store *s, struct mh_arena *a, const char *owner, int64_t now,
				      int64_t lease_until, struct mh_job **out);
	enum mh_store_rc (*job_done)(struct mh_store *s, int64_t id, const char *owner, int64_t now,
				     int64_t *changed);
	enum mh_store_rc (*job_fail)(struct mh_store *s, int64_t id, const char *owner, const char *error,
				     int64_t retry_at, int64_t now, int64_t *changed);
	enum mh_store_rc (*jobs)(struct mh_store *s, struct mh_arena *a, const char *state, int limit,
				 struct mh_job **out, size_t *n); /* state NULL: all */
	enum mh_store_rc (*job_retry)(struct mh_store *s, int64_t id, int64_t now, int64_t *changed);
	enum mh_store_rc (*jobs_prune)(struct mh_store *s, int64_t before);
	/* table is one of the whitelisted names (checked by store.c). */
	enum mh_store_rc (*count)(struct mh_store *s, const char *table, int64_t *n);

	/* Raw access for mh_store_copy (copy.c) only; the SQL comes from
	 * copy.c's fixed table list, never from input. raw_rows calls row once
	 * per row with ncols values (NULL for SQL NULL; booleans as "0"/"1");
	 * raw_insert binds n values (NULL = SQL NULL) to $1..$n. */
	enum mh_store_rc (*raw_exec)(struct mh_store *s, const char *sql, struct mh_buf *err);
	enum mh_store_rc (*raw_rows)(struct mh_store *s, const char *sql, int ncols,
				     enum mh_store_rc (*row)(void *ctx, const char *const *vals), void *ctx,
				     struct mh_buf *err);
	enum mh_store_rc (*raw_insert)(struct mh_store *s, const char *sql, int n, const char *const *vals,
				       struct mh_buf *err);
};

/* Every backend's handle starts with this. */
struct mh_store {
	const struct mh_store_ops *ops;
};

/* ---- backends ---- */
enum mh_store_rc mh_store_sqlite_open(const char *path, bool create, struct mh_store **out, struct mh_buf *err);
/* url: postgres:// or postgresql://; a refused or failed connection is
 * MH_UNAVAILABLE (err names host, port and database, never the password). */
enum mh_store_rc mh_store_postgres_open(const char *url, struct mh_store **out, struct mh_buf *err);

/* ---- rows: the columns both dialects select, decoded once (store.c) ----
 * A backend reads its rows through these column lists, in this order, and
 * hands each row to the decoder with three getters of its driver. */
#define MH_STORE_SECTION_COLS "id, slug, name, description, position, kind"
#define MH_STORE_AUTHOR_COLS "id, slug, name, bio, avatar_url"
#define MH_STORE_TAG_COLS "id, slug, name"
/* an article and its section: the body comes last so lists can leave it out */
#define MH_STORE_ART_COLS                                                                              \
	"a.id, a.slug, a.headline, a.dek, a.lead_html, a.section_id, a.image_url, a.image_alt,"      \
	" a.via_name, a.via_url, a.staff_pick, a.status, a.published_at, a.updated_at, a.created_at," \
	" a.was_published, a.views, s.id, s.slug, s.name, s.description, s.position, s.kind"
#define MH_STORE_ART_NCOLS 23
#define MH_STORE_ART_BODY ", a.body_md, a.body_html"
#define MH_STORE_ART_FROM " FROM articles a JOIN sections s ON s.id = a.section_id"
#define MH_STORE_JOB_COLS                                                                                \
	"id, kind, payload, state, run_at, attempts, max_attempts, owner, lease_until, last_error," \
	" coalesce(dedupe, ''), created_at, updated_at"
#define MH_STORE_CHANGE_COLS "id, keys, created_at"
/* The relation queries of a list page: article_id, then an author's or a
 * tag's columns, grouped by article id. */
#define MH_STORE_BATCH_AUTHOR_COLS "aa.article_id, au.id, au.slug, au.name, au.bio, au.avatar_url"
#define MH_STORE_BATCH_TAG_COLS "at.article_id, t.id, t.slug, t.name"

struct mh_store_row {
	void *ctx; /* the driver's row (a statement, a result and its row number) */
	int64_t (*i64)(void *ctx, int col);
	bool (*flag)(void *ctx, int col);
	/* the text in arena memory; "" for NULL */
	const char *(*str)(void *ctx, struct mh_arena *a, int col);
	/* the text as the driver holds it, valid until the next row */
	const char *(*peek)(void *ctx, int col);
};
/* Each decodes one item whose first column is col. */
void mh_store_row_section(const struct mh_store_row *r, struct mh_arena *a, int col, struct mh_section *out);
void mh_store_row_author(const struct mh_store_row *r, struct mh_arena *a, int col, struct mh_author *out);
void mh_store_row_tag(const struct mh_store_row *r, struct mh_arena *a, int col, struct mh_tag *out);
/* MH_STORE_ART_COLS, then the body when body; was_published as stored */
void mh_store_row_article(const struct mh_store_row *r, struct mh_arena *a, struct mh_article *out, bool body);
void mh_store_row_job(const struct mh_store_row *r, struct mh_arena *a, struct mh_job *out);
void mh_store_row_change(const struct mh_store_row *r, struct mh_arena *a, struct mh_change *out);
/* The same, as one item of a list of rows (out: the item's memory). */
typedef void mh_store_decode_fn(const struct mh_store_row *r, struct mh_arena *a, void *out);
mh_store_decode_fn mh_store_item_section, mh_store_item_author, mh_store_item_tag, mh_store_item_job,
	mh_store_item_change;

/* For bench/pgmodels.c, which must run what the server runs: the SQL text
 * of the statements of a cold article page on PostgreSQL (postgres.c); the
 * list query's is mh_store_postgres_list_sql, its values mh_store_list_values. */
enum mh_store_pg_page_stmt {
	MH_STORE_PG_SECTIONS,
	MH_STORE_PG_ARTICLE_BY_SLUG,
	MH_STORE_PG_BATCH_AUTHORS, /* $1: the article ids as an array literal "{1,2}" */
	MH_STORE_PG_BATCH_TAGS,
};
const char *mh_store_postgres_page_sql(enum mh_store_pg_page_stmt which);
void mh_store_postgres_list_sql(struct mh_buf *out, unsigned flags, bool count);

/* ---- the list query (list_sql.c) ----
 * One statement per variant (LQ_* flags of the query), each taking the same
 * values in this order (all integers; a variant leaves some unused). */
enum {
	MH_LP_NOW, /* mh_store_list_upper_bound */
	MH_LP_SECTION,
	MH_LP_AUTHOR,
	MH_LP_TAG,
	MH_LP_BEFORE_AT,
	MH_LP_BEFORE_ID,
	MH_LP_EXCLUDE,
	MH_LP_AFTER_AT,
	MH_LP_AFTER_ID,
	MH_LP_LIMIT, /* mh_store_list_limit */
	MH_LP_OFFSET,
	MH_STORE_LIST_NPARAMS
};
void mh_store_list_values(const struct mh_article_query *q, int64_t v[MH_STORE_LIST_NPARAMS]);
struct mh_store_list_dialect {
	const char *param[MH_STORE_LIST_NPARAMS]; /* each value's name in SQL */
	const char *any_status;                   /* the WHERE of LQ_ANY (every row) */
	const char *is_pick;                      /* the staff-pick test (its index's spelling) */
};
void mh_store_list_sql(struct mh_buf *out, const struct mh_store_list_dialect *d, unsigned flags, bool count);

/* ---- shared helpers (store.c) ---- */
/* The list query's variants, one prepared statement per combination of the
 * filters an mh_article_query uses (each backend spells its own SQL). */
enum {
	LQ_SECTION = 1 << 0,
	LQ_PICKS = 1 << 1,
	LQ_AUTHOR = 1 << 2,
	LQ_TAG = 1 << 3,
	LQ_CURSOR = 1 << 4,      /* (published_at, id) < (before_at, before_id) */
	LQ_CURSOR_TIME = 1 << 5, /* published_at < before_at */
	LQ_EXCLUDE = 1 << 6,
	LQ_BODY = 1 << 7,
	LQ_AFTER = 1 << 8,       /* (published_at, id) > (after_at, after_id), ascending */
	LQ_ANY = 1 << 9,         /* every status, any time */
	LQ__VARIANTS = 1 << 10,
};
unsigned mh_store_query_flags(const struct mh_article_query *q);
/* The rows a list returns: limit, 20 when 0, at most 1000 (store.h). */
int mh_store_list_limit(const struct mh_article_query *q);
/* Filling the authors and tags of a list of articles from one query each,
 * whose rows come grouped by article id: an id-sorted index of the list. */
struct mh_store_article_index {
	struct mh_store_id_slot *slots; /* malloc'd, sorted by id */
	struct mh_article *arts;
	size_t n;
};
/* Indexes arts[0..n) and writes their ids into ids as "<open>1,2,3<close>"
 * (a JSON array for SQLite, an array literal for PostgreSQL). */
void mh_store_index_init(struct mh_store_article_index *ix, struct mh_article *arts, size_t n, struct mh_buf *ids,
			 char open, char close);
/* Gives count rows (arena memory: struct mh_author or struct mh_tag) to the
 * article with that id; rows of an id not in the list are ignored. */
void mh_store_index_attach(struct mh_store_article_index *ix, int64_t article_id, bool authors, void *rows,
			   size_t count);
void mh_store_index_free(struct mh_store_article_index *ix);
/* The list query's upper bound on published_at: now, or the keyset cursor's
 * time when that is earlier. Binding it lets the index range end at the
 * cursor; left as a filter beside "<= now", both planners would walk the
 * index from the newest article down to the cursor (O(position) per page). */
int64_t mh_store_list_upper_bound(const struct mh_article_query *q);
/* The filling of a list's authors and tags, row by row, from the batch
 * queries (MH_STORE_BATCH_*_COLS, grouped by article id). */
struct mh_store_relfill {
	struct mh_store_article_index *ix;
	struct mh_arena *a;
	bool authors;
	struct mh_buf group;
	size_t in_group;
	int64_t group_id;
};
void mh_store_relfill_begin(struct mh_store_relfill *f, struct mh_store_article_index *ix, struct mh_arena *a,
			    bool authors);
void mh_store_relfill_row(struct mh_store_relfill *f, const struct mh_store_row *r);
void mh_store_relfill_end(struct mh_store_relfill *f);
/* What went wrong in the database, as a backend classifies its driver's
 * error; mh_store_db_fail says it the same way on every backend and gives
 * the store's code. detail: the driver's message (MH_DB_UNIQUE: the column).
 * value: what was being written (a taken unique value); fk: what a missing
 * referenced row means in this statement ("section_id: no section 9"). */
enum mh_store_db_failure {
	MH_DB_LOST,        /* the connection is gone: MH_UNAVAILABLE */
	MH_DB_BUSY,        /* locked, deadlocked, out of resources: MH_UNAVAILABLE */
	MH_DB_UNIQUE,      /* MH_CONFLICT */
	MH_DB_FOREIGN_KEY, /* MH_INVALID */
	MH_DB_REJECTED,    /* another constraint, bad bytes: MH_INVALID */
	MH_DB_OTHER,       /* MH_ERROR */
};
enum mh_store_rc mh_store_db_fail(struct mh_buf *err, enum mh_store_db_failure what, const char *detail,
				  const char *value, const char *fk);
/* Replaces err's contents (err may be NULL). */
void mh_store_set_err(struct mh_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *mh_store_section_kind_name(enum mh_section_kind k);
bool mh_store_section_kind_parse(const char *s, enum mh_section_kind *out);
/* The fallback slug for a tag given by name only: ASCII letters and digits
 * lowercased, every other run of bytes one '-'. content/ has the real
 * slugifier (with transliteration); the store sits above it in the layering,
 * so callers that care pass tag->slug themselves. */
void mh_store_simple_slug(struct mh_buf *out, const char *name);

#endif
