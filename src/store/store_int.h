/*
 * store internals: the backend table every backend fills, the numbered
 * migrations shared by all backends, and helpers common to them. Private to
 * src/store/; nothing here is part of the public API in store.h.
 */
#ifndef MH_STORE_INT_H
#define MH_STORE_INT_H

#include "store/store.h"

/* One function per public entry point. Input that every backend would reject
 * the same way (empty slug, unknown table, ...) is checked in store.c before
 * the backend is called, so backends only deal with the database. */
struct mh_store_ops {
	const char *name;
	void (*close)(struct mh_store *s);
	enum mh_store_rc (*migrate)(struct mh_store *s, int *version, struct mh_buf *err);
	enum mh_store_rc (*begin)(struct mh_store *s);
	enum mh_store_rc (*commit)(struct mh_store *s);
	void (*rollback)(struct mh_store *s);
	enum mh_store_rc (*bulk_load)(struct mh_store *s, bool on);
	enum mh_store_rc (*read_begin)(struct mh_store *s); /* NULL: nothing to do */
	void (*read_end)(struct mh_store *s);

	enum mh_store_rc (*sections)(struct mh_store *s, struct mh_arena *a, struct mh_section **out, size_t *n);
	enum mh_store_rc (*section_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					    struct mh_section **out);
	enum mh_store_rc (*section_save)(struct mh_store *s, struct mh_section *sec, struct mh_buf *err);
	enum mh_store_rc (*authors)(struct mh_store *s, struct mh_arena *a, struct mh_author **out, size_t *n);
	enum mh_store_rc (*author_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					   struct mh_author **out);
	enum mh_store_rc (*author_save)(struct mh_store *s, struct mh_author *au, struct mh_buf *err);
	enum mh_store_rc (*tag_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					struct mh_tag **out);
	enum mh_store_rc (*tag_ensure)(struct mh_store *s, struct mh_tag *tag, struct mh_buf *err);

	enum mh_store_rc (*articles)(struct mh_store *s, struct mh_arena *a, const struct mh_article_query *q,
				     struct mh_article **out, size_t *n);
	enum mh_store_rc (*articles_count)(struct mh_store *s, const struct mh_article_query *q, int64_t *count);
	enum mh_store_rc (*article_by_slug)(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					    struct mh_article **out);
	enum mh_store_rc (*article_by_id)(struct mh_store *s, struct mh_arena *a, int64_t id,
					  struct mh_article **out);
	enum mh_store_rc (*article_save)(struct mh_store *s, struct mh_article *art, struct mh_buf *err);
	enum mh_store_rc (*article_set_views)(struct mh_store *s, int64_t id, int64_t views);
	enum mh_store_rc (*article_lock)(struct mh_store *s, int64_t id);
	enum mh_store_rc (*change_add)(struct mh_store *s, struct mh_str keys);
	enum mh_store_rc (*change_last)(struct mh_store *s, int64_t *id);
	enum mh_store_rc (*changes_since)(struct mh_store *s, struct mh_arena *a, int64_t after, size_t max,
					  struct mh_change **out, size_t *n);
	enum mh_store_rc (*changes_prune)(struct mh_store *s, int64_t before);
	enum mh_store_rc (*changes_wait)(struct mh_store *s, int timeout_ms);
	enum mh_store_rc (*job_add)(struct mh_store *s, const char *kind, struct mh_str payload, int64_t run_at,
				    const char *dedupe, int64_t *id);
	enum mh_store_rc (*job_claim)(struct mh_store *s, struct mh_arena *a, const char *owner, int64_t now,
				      int lease_s, struct mh_job **out);
	enum mh_store_rc (*job_done)(struct mh_store *s, int64_t id, const char *owner);
	enum mh_store_rc (*job_fail)(struct mh_store *s, int64_t id, const char *owner, const char *error,
				     int64_t retry_at);
	enum mh_store_rc (*jobs)(struct mh_store *s, struct mh_arena *a, int state, int limit, struct mh_job **out,
				 size_t *n);
	enum mh_store_rc (*job_retry)(struct mh_store *s, int64_t id);
	enum mh_store_rc (*jobs_prune)(struct mh_store *s, int64_t before);
	/* which is a known plan name, q given for the articles (store.c). */
	enum mh_store_rc (*plan)(struct mh_store *s, enum mh_store_plan_of which, const struct mh_article_query *q,
				 struct mh_buf *out);
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

	/* Operations (backup.c; raw_rows above also serves its fixed
	 * queries). NULL where the backend has none: backup is SQLite's
	 * online backup API (PostgreSQL has pg_dump); check is SQLite's
	 * integrity_check (PostgreSQL: a ping). */
	enum mh_store_rc (*backup)(struct mh_store *s, const char *path, struct mh_buf *err);
	enum mh_store_rc (*check)(struct mh_store *s, struct mh_buf *err);
};

/* Every backend's handle starts with this. */
struct mh_store {
	const struct mh_store_ops *ops;
};

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

/* ---- backends ---- */
enum mh_store_rc mh_store_sqlite_open(const char *path, bool create, struct mh_store **out, struct mh_buf *err);
/* url: postgres:// or postgresql://; a refused or failed connection is
 * MH_UNAVAILABLE (err names host, port and database, never the password). */
enum mh_store_rc mh_store_postgres_open(const char *url, struct mh_store **out, struct mh_buf *err);

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
	LQ_SCHEDULED = 1 << 10,  /* status scheduled only, any time (wins over LQ_ANY) */
	LQ__VARIANTS = 1 << 11,
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
