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
	/* Run after the SQL, in the same transaction (NULL: nothing): work
	 * SQL alone cannot do, like building an index from rendered text. */
	enum mh_store_rc (*after)(struct mh_store *s, struct mh_buf *err);
};
extern const struct mh_store_migration mh_store_migrations[];
extern const size_t mh_store_n_migrations;
/* Migration 12's after step (store.c): every published article indexed. */
enum mh_store_rc mh_store_search_rebuild(struct mh_store *s, struct mh_buf *err);

/* The statements store.c runs: each backend spells every one in its dialect
 * (a table indexed by these), with numbered parameters in the order the
 * comments give; inserts and the updates marked so end in RETURNING id. */
enum mh_store_stmt {
	MH_Q_MIG_VERSION, /* -> max(version) or 0 */
	MH_Q_MIG_RECORD,  /* version, applied_at */
	MH_Q_SECTIONS,    /* -> MH_STORE_SECTION_COLS (store.c puts them in navigation order) */
	MH_Q_SECTION_BY_SLUG,
	MH_Q_SECTION_INSERT, /* slug, name, description, position, kind -> id */
	MH_Q_SECTION_UPDATE, /* the same, id -> id */
	MH_Q_AUTHORS,        /* -> MH_STORE_AUTHOR_COLS, by name */
	MH_Q_AUTHOR_BY_SLUG,
	MH_Q_AUTHOR_INSERT, /* slug, name, bio, avatar_url -> id */
	MH_Q_AUTHOR_UPDATE, /* the same, id -> id */
	MH_Q_TAG_BY_SLUG,   /* -> MH_STORE_TAG_COLS */
	MH_Q_TAG_INSERT,    /* slug, name -> id */
	MH_Q_ART_BY_SLUG,   /* -> MH_STORE_ART_COLS and the body */
	MH_Q_ART_BY_ID,
	MH_Q_ART_OLD, /* id -> created_at, was_published */
	/* slug, headline, dek, body_md, body_html, lead_html, section_id,
	 * image_url, image_alt, via_name, via_url, staff_pick, status,
	 * published_at, updated_at, created_at, was_published, views -> id */
	MH_Q_ART_INSERT,
	MH_Q_ART_UPDATE, /* the same, id -> id */
	MH_Q_ART_DEL_AUTHORS,
	MH_Q_ART_DEL_TAGS,
	MH_Q_ART_ADD_AUTHOR, /* article_id, author_id, position */
	MH_Q_ART_ADD_TAG,    /* article_id, tag_id */
	MH_Q_BATCH_AUTHORS,  /* ids (MH_ARG_IDS) -> MH_STORE_BATCH_AUTHOR_COLS */
	MH_Q_BATCH_TAGS,     /* ids -> MH_STORE_BATCH_TAG_COLS */
	MH_Q_SET_VIEWS,      /* id, views */
	MH_Q_ART_LOCK,       /* id -> id; holds the row until commit */
	MH_Q_CHANGE_ADD,     /* keys, created_at (and wakes every node's watcher on commit) */
	MH_Q_CHANGE_LAST,    /* -> max(id) or 0 */
	MH_Q_CHANGES_SINCE,  /* after, max -> MH_STORE_CHANGE_COLS */
	MH_Q_CHANGES_PRUNE,  /* before */
	MH_Q_JOB_REQUEUE,    /* dedupe, payload, run_at, now -> id */
	MH_Q_JOB_INSERT,     /* kind, payload, run_at, dedupe, now -> id */
	MH_Q_JOB_CLAIM,      /* owner, lease_until, now -> MH_STORE_JOB_COLS */
	MH_Q_JOB_DONE,       /* id, owner, now */
	MH_Q_JOB_FAIL,       /* id, owner, error, retry_at, now */
	MH_Q_JOBS_ALL,       /* limit -> MH_STORE_JOB_COLS */
	MH_Q_JOBS_STATE,     /* limit, state */
	MH_Q_JOB_RETRY,      /* id, now */
	MH_Q_JOBS_PRUNE,     /* before */
	/* ---- revisions and old addresses (issue 7) ---- */
	/* article_id, kind, restored_from, user_id, user_name, created_at, slug,
	 * headline, dek, section_id, author_ids, tag_ids, via_name, via_url,
	 * image_url, image_alt, staff_pick, status, published_at, body_md -> id */
	MH_Q_REV_INSERT,
	MH_Q_REV_LIST,       /* article_id, before_id, limit -> MH_STORE_REV_COLS, newest first */
	MH_Q_REV_GET,        /* id -> MH_STORE_REV_COLS, body_md */
	MH_Q_REV_LATEST,     /* article_id -> max(id) of the applied ones, or 0 */
	MH_Q_AUTHORS_BY_IDS, /* ids (MH_ARG_IDS) -> MH_STORE_AUTHOR_COLS */
	MH_Q_TAGS_BY_IDS,    /* ids -> MH_STORE_TAG_COLS */
	MH_Q_ART_SLUG_NOW,   /* id -> slug */
	MH_Q_OLD_SLUG_SET,   /* slug, article_id, created_at (replaces the slug's row) */
	MH_Q_OLD_SLUG_DEL,   /* slug */
	MH_Q_ART_BY_OLD_SLUG, /* slug -> MH_STORE_ART_COLS and the body */
	/* media (mh_store_media_*) */
	MH_Q_MEDIA_INSERT,   /* name, type, width, height, size, alt, uploader_id, created_at, bytes -> id */
	MH_Q_MEDIA_BY_NAME,  /* name -> MH_STORE_MEDIA_COLS */
	MH_Q_MEDIA_BY_ID,    /* id -> MH_STORE_MEDIA_COLS */
	MH_Q_MEDIA_BYTES,    /* id -> bytes */
	MH_Q_MEDIA_LIST,     /* limit -> MH_STORE_MEDIA_COLS, newest first */
	MH_Q_MEDIA_DELETE,   /* id (its sizes go with it) */
	MH_Q_MEDIA_USERS,    /* url -> id, slug, headline, status of articles showing it (image or body) */
	MH_Q_MEDIA_SIZE_PUT, /* media_id, width, format, bytes; an existing one is kept */
	MH_Q_MEDIA_SIZE_GET, /* media_id, width, format -> bytes */
	MH_Q_MEDIA_SIZES,    /* media_id -> width, format, byte length; by width, format */
	MH_Q_MEDIA_BY_STEM,  /* stem -> MH_STORE_MEDIA_COLS of the name stem.jpg, .png, .webp or .gif */
	/* accounts (migration 5): users read as MH_STORE_USER_COLS (alias u) */
	MH_Q_USERS,           /* -> MH_STORE_USER_COLS, by email */
	MH_Q_USER_BY_EMAIL,   /* email */
	MH_Q_USER_BY_ID,      /* id */
	MH_Q_USER_INSERT,     /* email, name, role, password_hash, author_id (NULL: none), disabled, now -> id */
	MH_Q_USER_UPDATE,     /* the same, id -> id */
	MH_Q_USER_PASSWORD,   /* id, password_hash, now */
	MH_Q_USER_CUT_SESSIONS, /* id, now: sessions_valid_after = now */
	MH_Q_SESSIONS_OF_USER_DEL, /* user_id */
	MH_Q_SESSION_INSERT,  /* token_hash, user_id, now, expires_at */
	MH_Q_SESSION_GET,     /* token_hash -> MH_STORE_SESSION_COLS, MH_STORE_USER_COLS */
	MH_Q_SESSION_TOUCH,   /* token_hash, now */
	MH_Q_SESSION_DEL,     /* token_hash */
	MH_Q_SESSIONS_PRUNE,  /* now: every session past its absolute expiry */
	MH_Q_TOKEN_INSERT,    /* token_hash, user_id, purpose, now, expires_at */
	MH_Q_TOKEN_PEEK,      /* token_hash, purpose, now -> user_id (unused, unexpired) */
	MH_Q_TOKEN_USE,       /* the same -> user_id; marks it used */
	MH_Q_SECRET_ADD,      /* name, value, now; nothing when the name exists */
	MH_Q_SECRET_GET,      /* name -> value */
	MH_Q_SECTION_ARTICLES, /* section_id -> count of its articles, any status */
	MH_Q_SECTION_DEL,     /* id */
	/* the editor's autosave (issue 7): id, article_id, user_id, since,
	 * new_id -> deletes revision id if it is the article's newest applied
	 * one before new_id (the one just written), an ordinary save of a
	 * draft by user_id made at or after since */
	MH_Q_REV_REPLACE,
	/* the admin's media library screen (issue 7) */
	MH_Q_MEDIA_LIST_BEFORE, /* created_at, id, limit -> MH_STORE_MEDIA_COLS older than (created_at, id), newest first */
	MH_Q_MEDIA_SET_ALT,   /* id, alt */
	/* the fast path (issue 6): the stored images of a page's cards at once */
	MH_Q_MEDIA_BY_NAMES,  /* names as a JSON array of strings -> MH_STORE_MEDIA_COLS */
	/* site settings and invitations (migration 8) */
	MH_Q_SITE_SETTINGS,   /* -> key, value, by key */
	MH_Q_SITE_SETTING_PUT, /* key, value, now, by: inserted or replaced */
	MH_Q_TOKENS_OF_USER_DEL, /* user_id, purpose: every link of that purpose goes */
	MH_Q_USERS_LAST_SEEN, /* -> user_id, max(last_seen_at) of their live sessions */
	/* the tags screen (migration 9): tags read as MH_STORE_TAG_COLS */
	MH_Q_TAGS_LIST,       /* filter ('' = all), after_slug, limit -> MH_STORE_TAG_COLS, article count; by slug */
	MH_Q_TAG_BY_ID,       /* id */
	MH_Q_TAG_UPDATE,      /* slug, name, id -> id */
	MH_Q_TAG_MERGE_LINKS, /* from, into: every article of from gets into, once */
	MH_Q_TAG_LINKS_DEL,   /* tag_id */
	MH_Q_TAG_DEL,         /* id */
	MH_Q_TAG_OLD_SET,     /* slug, tag_id, created_at (replaces the slug's row) */
	MH_Q_TAG_OLD_MOVE,    /* from, into: from's old addresses lead to into */
	MH_Q_TAG_OLD_DEL,     /* slug */
	MH_Q_TAG_BY_OLD_SLUG, /* slug -> MH_STORE_TAG_COLS */
	/* the Staff Picks screen (migration 9) */
	MH_Q_PICK_RANK,       /* id, pick_rank */
	MH_Q_HEADLINE_SEARCH, /* text, now, limit -> id, slug, headline, published_at, staff_pick of published ones */
	/* issue 8's view counts (migration 10); each adds to a published
	 * article only: an unknown id changes nothing */
	MH_Q_VIEWS_ADD_TOTAL, /* article_id, n */
	MH_Q_VIEWS_ADD_HOUR,  /* article_id, hour (unix seconds, a multiple of 3600), n */
	MH_Q_VIEWS_GET,       /* article_id, now -> the demo's views + counted, if published by now */
	MH_Q_VIEWS_TOP,       /* since (hour), limit -> article_id, headline, slug, views; most first */
	MH_Q_VIEWS_DAILY,     /* article_id, since (hour) -> day (unix seconds of 00:00 UTC), views; by day */
	MH_Q_OWNERS_LOCK,     /* invited hash -> id of each active owner, locked (PostgreSQL: FOR UPDATE) */
	MH_Q_TAG_REV_MOVE,    /* from, into: revisions naming tag from name into (tag_ids "1,2,3") */
	/* issue 9's redirects and issue 11's WordPress import (migration 13) */
	MH_Q_REDIRECT_PUT,    /* from_path, to_url, status, prefix, now: inserted or replaced */
	MH_Q_REDIRECT_DEL,    /* from_path */
	MH_Q_REDIRECTS,       /* -> from_path, to_url, status, prefix, created_at; by from_path */
	MH_Q_WP_ITEM_GET,     /* source, kind, wp_id -> target_id, state, detail */
	MH_Q_WP_ITEM_PUT,     /* source, kind, wp_id, target_id, state, detail, now: inserted or replaced */
	/* sitemaps (issue 9, feeds): keyset pages by id, through the primary key only */
	MH_Q_SITEMAP_ARTICLES, /* after_id, upto_id, now, limit -> id, slug, published_at, updated_at, image_url of published ones, by id */
	MH_Q_SITEMAP_NEXT_ID,  /* after_id, now -> the id of the first published article after after_id */
	/* issue 8's Trending (no migration: article_view_hours_hour serves it):
	 * now_hour, since_hour, half_life_hours, now, per_section ->
	 * id, slug, headline, published_at, section_id, views, score (micro-views) */
	MH_Q_TRENDING,
	/* issue 8's comments (migration 11): read as MH_STORE_COMMENT_COLS */
	MH_Q_COMMENT_INSERT,  /* article_id, parent_id (NULL: none), name, email, body, address_hash, status, now -> id */
	MH_Q_COMMENT_GET,     /* id */
	MH_Q_COMMENTS_OF_ARTICLE, /* article_id, limit: the approved ones, oldest first */
	MH_Q_COMMENT_THREAD,  /* article_id -> comments_closed, approved */
	MH_Q_COMMENT_COUNT_ADD, /* article_id, delta: the approved count (a new row takes max(delta, 0): CHECK runs before ON CONFLICT) */
	MH_Q_COMMENT_CLOSE,   /* article_id, closed */
	MH_Q_COMMENT_STATUS,  /* id, status, now */
	MH_Q_COMMENT_EDIT,    /* id, name, body, now */
	MH_Q_COMMENTS_LIST,   /* status ('' any), email ('' any), address_hash ('' any), article_id (0 any),
			       * before_id (0 none), limit; newest first */
	MH_Q_COMMENT_TRUSTED, /* email ('' none), address_hash -> count (0 or 1) of approved ones */
	MH_Q_COMMENT_DUPLICATE, /* article_id, body, since -> count */
	MH_Q_COMMENT_BANNED,  /* email ('' none), address_hash -> count */
	MH_Q_COMMENT_BAN_ADD, /* kind, value, now, by; an existing one is kept */
	MH_Q_COMMENT_BAN_DEL, /* kind, value */
	MH_Q_COMMENT_BANS,    /* -> kind, value, created_at, created_by; newest first */
	/* issue 9's advertisement slots: turned off per article and section */
	MH_Q_ARTICLE_NO_ADS,  /* id, no_ads */
	MH_Q_SECTION_NO_ADS,  /* id, no_ads */
	/* full-text search (issue 9, migration 12); the index keeps
	 * published articles only */
	MH_Q_SEARCH_PUT,     /* article_id, headline, dek, body (plain text): the authors' names are read
			      * from article_authors; inserted or replaced */
	MH_Q_SEARCH_DEL,     /* article_id */
	MH_Q_SEARCH_AUTHOR,  /* author_id: the authors' names of every indexed article of theirs again */
	MH_Q_SEARCH_SOURCE,  /* after_id, limit -> id, headline, dek, body_html of published articles, by id */
	/* match, prefixes (the backend's search_syntax), now, section_id (0 = any),
	 * author_id (0 = any), from, to, limit, offset -> MH_STORE_ART_COLS, snippet */
	MH_Q_SEARCH,
	/* the newsletter (migration 14): subscribers read as MH_STORE_SUB_COLS */
	MH_Q_SUB_CONFIRM,     /* email, now -> id: inserted or made confirmed */
	MH_Q_SUB_BY_EMAIL,    /* email -> MH_STORE_SUB_COLS */
	MH_Q_SUB_BY_ID,       /* id */
	MH_Q_SUB_STATUS,      /* id, status, now */
	MH_Q_SUB_LIST,        /* filter ('' = all), status ('' = any), after_id, limit -> MH_STORE_SUB_COLS by id */
	MH_Q_SUB_DEL_DELIVERIES, /* subscriber_id */
	MH_Q_SUB_DEL,         /* id */
	MH_Q_SUB_UPSERT,      /* email, status, now -> id: inserted, or its status replaced */
	MH_Q_NL_INSERT,       /* kind, article_id (NULL: none), subject, body_text, body_html, now, created_by -> id */
	MH_Q_NL_ENQUEUE,      /* newsletter_id, now: a queued delivery per confirmed subscriber */
	MH_Q_NL_EXPIRE,       /* newsletter_id, now: 'sending' rows past their lease become 'unknown' */
	MH_Q_NL_CLAIM,        /* newsletter_id, owner, lease_until, now -> subscriber_id, attempts, email, status */
	MH_Q_NL_RESULT,       /* newsletter_id, subscriber_id, owner, state, smtp_code, error, next_at, now */
	MH_Q_NL_COUNTS,       /* newsletter_id -> state, count */
	MH_Q_NL_LIST,         /* limit -> MH_STORE_NL_COLS, newest first */
	MH_Q_NL_GET,          /* id -> MH_STORE_NL_COLS, body_text, body_html */
	MH_Q_NL_DELIVERIES,   /* newsletter_id, state ('' = any), limit -> email, state, attempts, smtp_code, last_error, updated_at */
	MH_Q_NL_PENDING,      /* newsletter_id -> count, earliest time one may be tried (next_at, or a lease's end) */
	/* issue 10's donations (migration 15); MH_STORE_DON_COLS:
	 * id, token, provider, provider_ref, provider_sub, amount, currency,
	 * monthly, status, email, created_at, updated_at, paid_at */
	MH_Q_DON_INSERT,    /* token, provider, ref, amount, currency, monthly, email, now -> id (status pending) */
	MH_Q_DON_BY_TOKEN,  /* token -> COLS */
	MH_Q_DON_BY_REF,    /* provider, ref -> COLS (PostgreSQL: the row locked until commit) */
	MH_Q_DON_SET,       /* id, status, sub ('' keeps), email ('' keeps; a set one stays), now */
	MH_Q_DON_EVENT_ADD, /* provider, event_id, donation_id, status, now; a known event changes nothing */
	MH_Q_DON_RECENT,    /* limit -> COLS, newest first */
	MH_Q_DON_TOTALS,    /* -> month (YYYY-MM, UTC), currency, count, sum of paid ones; newest month first */
	MH_Q_DON_RECURRING, /* -> email, amount, currency, provider, paid_at of paid monthly ones */
	MH_Q__COUNT
};

/* The values a statement is run with. */
#define MH_STORE_MAX_ARGS 20
struct mh_store_args {
	int n;
	struct mh_store_arg {
		enum { MH_ARG_NULL, MH_ARG_INT, MH_ARG_BOOL, MH_ARG_TEXT, MH_ARG_IDS, MH_ARG_BLOB } kind;
		int64_t i;     /* INT, BOOL */
		struct mh_str s; /* TEXT, BLOB (any bytes); IDS: the dialect's id list (ids_open ... ids_close) */
	} v[MH_STORE_MAX_ARGS];
};
void mh_store_arg_int(struct mh_store_args *a, int64_t v);
void mh_store_arg_bool(struct mh_store_args *a, bool v);
void mh_store_arg_text(struct mh_store_args *a, const char *v); /* NULL: "" */
void mh_store_arg_str(struct mh_store_args *a, struct mh_str v);
void mh_store_arg_null(struct mh_store_args *a);
void mh_store_arg_blob(struct mh_store_args *a, struct mh_str v); /* bytes, NULs included */

struct mh_store_row;
/* Called once per result row; the row is valid during the call only. */
typedef void mh_store_row_fn(void *ctx, const struct mh_store_row *r);

/* What a backend does: its SQL dialect and its driver's calls, nothing
 * else. Every rule of the API (input checks, defaults, which time is "now",
 * was_published, the messages a caller shows, the transaction-state checks,
 * which statements a save runs and in what order, how rows become structs)
 * lives once in store.c, which runs the backend's statements through exec.
 * A backend reports a database failure through mh_store_db_fail (a taken
 * unique value MH_CONFLICT naming the value given, a missing referenced row
 * MH_INVALID with the message fk given, ...) and decides nothing else. */
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

	/* migrate_lock opens a transaction (ended by write_end) that excludes
	 * every other migrator; each migration runs through raw_exec. */
	enum mh_store_rc (*migrate_lock)(struct mh_store *s, struct mh_buf *err);
	const char *(*migration_sql)(const struct mh_store_migration *m);
	const char *schema_table_sql; /* CREATE TABLE IF NOT EXISTS schema_migrations */

	/* Runs statement id with args; row (may be NULL) gets each result row,
	 * *changed (may be NULL) how many rows a write changed. A write outside
	 * write_begin/write_end but inside an explicit transaction undoes itself
	 * only when it fails. value and fk: see mh_store_db_fail. */
	enum mh_store_rc (*exec)(struct mh_store *s, enum mh_store_stmt id, const struct mh_store_args *args,
				 mh_store_row_fn *row, void *ctx, int64_t *changed, struct mh_buf *err,
				 const char *value, const char *fk);
	char ids_open, ids_close; /* how MH_ARG_IDS lists are written: "[1,2]", "{1,2}" */
	/* The list query's variant flags (LQ_*, mh_store_list_sql) with
	 * mh_store_list_values bound; count: its count(*) instead of rows. */
	enum mh_store_rc (*list)(struct mh_store *s, unsigned flags, bool count, const struct mh_article_query *q,
				 mh_store_row_fn *row, void *ctx);
	/* MH_INVALID inside a transaction (checked by store.c); see mh_store_changes_wait. */
	enum mh_store_rc (*changes_wait)(struct mh_store *s, int timeout_ms);
	/* table is one of the whitelisted names (checked by store.c). */
	enum mh_store_rc (*count)(struct mh_store *s, const char *table, int64_t *n);
	/* The plan of statement id, or (id < 0) of the list query's variant f
	 * with q's values (mh_store_plan, for tests). */
	enum mh_store_rc (*plan)(struct mh_store *s, int id, unsigned f, const struct mh_article_query *q,
				 struct mh_buf *out);

	/* Raw access for mh_store_copy (copy.c) and the migrations only; the SQL
	 * comes from copy.c's fixed table list or migrations.c, never from
	 * input. raw_rows calls row once per row with ncols values (NULL for SQL
	 * NULL; booleans as "0"/"1"); raw_insert binds n values (NULL = SQL
	 * NULL) to $1..$n. */
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

	/* Full-text search (issue 9): the terms of a reader's query
	 * (mh_search_parse: words of letters and digits only) written in the
	 * engine's syntax, every word quoted, as MH_Q_SEARCH's first two
	 * values (a backend that needs one leaves prefixes empty). */
	void (*search_syntax)(const struct mh_search_term *t, size_t n, struct mh_buf *match, struct mh_buf *prefixes);
};

/* Every backend's handle starts with this. */
struct mh_store {
	const struct mh_store_ops *ops;
	/* Statements run through this handle (store.c counts them where it
	 * hands them to the backend). Written only by the handle's own
	 * thread, read by any (mh_store_statements): relaxed atomics. */
	_Atomic uint64_t statements;
};

/* ---- backends ---- */
enum mh_store_rc mh_store_sqlite_open(const char *path, bool create, struct mh_store **out, struct mh_buf *err);
/* url: postgres:// or postgresql://; a refused or failed connection is
 * MH_UNAVAILABLE (err names host, port and database, never the password). */
enum mh_store_rc mh_store_postgres_open(const char *url, struct mh_store **out, struct mh_buf *err);

/* ---- rows: the columns both dialects select, decoded once (store.c) ----
 * Each backend's statements select these lists, in this order; store.c
 * turns a row into a struct through the getters of struct mh_store_row. */
#define MH_STORE_SECTION_COLS "id, slug, name, description, position, kind, no_ads"
#define MH_STORE_AUTHOR_COLS "id, slug, name, bio, avatar_url"
#define MH_STORE_TAG_COLS "id, slug, name"
/* an article and its section: the body comes last so lists can leave it out */
#define MH_STORE_ART_COLS                                                                              \
	"a.id, a.slug, a.headline, a.dek, a.lead_html, a.section_id, a.image_url, a.image_alt,"      \
	" a.via_name, a.via_url, a.staff_pick, a.status, a.published_at, a.updated_at, a.created_at," \
	" a.was_published, a.views, s.id, s.slug, s.name, s.description, s.position, s.kind, a.no_ads"
#define MH_STORE_ART_NCOLS 24
#define MH_STORE_ART_BODY ", a.body_md, a.body_html"
#define MH_STORE_ART_FROM " FROM articles a JOIN sections s ON s.id = a.section_id"
#define MH_STORE_JOB_COLS                                                                                \
	"id, kind, payload, state, run_at, attempts, max_attempts, owner, lease_until, last_error," \
	" coalesce(dedupe, ''), created_at, updated_at"
#define MH_STORE_CHANGE_COLS "id, keys, created_at"
/* a revision, without its body (which comes last when asked for) */
#define MH_STORE_REV_COLS                                                                                \
	"id, article_id, kind, coalesce(restored_from, 0), coalesce(user_id, 0), user_name, created_at," \
	" slug, headline, dek, section_id, author_ids, tag_ids, via_name, via_url, image_url, image_alt," \
	" staff_pick, status, published_at"
#define MH_STORE_REV_NCOLS 20
#define MH_STORE_MEDIA_COLS "id, name, type, width, height, size, alt, coalesce(uploader_id, 0), created_at"
#define MH_STORE_USER_COLS                                                                         \
	"u.id, u.email, u.name, u.role, u.password_hash, coalesce(u.author_id, 0), u.disabled," \
	" u.created_at, u.updated_at, u.sessions_valid_after"
#define MH_STORE_COMMENT_COLS                                                                            \
	"c.id, c.article_id, coalesce(c.parent_id, 0), c.name, c.email, c.body, c.address_hash, c.status," \
	" c.created_at, c.updated_at, a.slug, a.headline"
#define MH_STORE_COMMENT_FROM " FROM comments c JOIN articles a ON a.id = c.article_id"
#define MH_STORE_SUB_COLS "id, email, status, created_at, confirmed_at, updated_at"
#define MH_STORE_NL_COLS "id, kind, coalesce(article_id, 0), subject, created_at, created_by"
#define MH_STORE_SESSION_COLS "s.token_hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at"
/* The relation queries of a list page: article_id, then an author's or a
 * tag's columns (and the author's position), in any order (store.c orders
 * them). */
#define MH_STORE_BATCH_AUTHOR_COLS "aa.article_id, au.id, au.slug, au.name, au.bio, au.avatar_url, aa.position"
#define MH_STORE_BATCH_AUTHOR_POSITION 6 /* aa.position's column: store.c orders the byline by it */
#define MH_STORE_BATCH_TAG_COLS "at.article_id, t.id, t.slug, t.name"

/* One result row, as the backend's driver holds it. */
struct mh_store_row {
	void *ctx; /* the driver's row (a statement, a result and its row number) */
	int64_t (*i64)(void *ctx, int col);
	bool (*flag)(void *ctx, int col);
	/* the text in arena memory; "" for NULL */
	const char *(*str)(void *ctx, struct mh_arena *a, int col);
	/* the text as the driver holds it, valid until the next row */
	const char *(*peek)(void *ctx, int col);
	/* a BLOB/bytea column's bytes, copied into arena memory (NUL after
	 * them, not counted) */
	struct mh_str (*blob)(void *ctx, struct mh_arena *a, int col);
};

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
/* The text values, after the integers (a backend binds them as text): the
 * status word (LQ_STATUS) and the headline's LIKE pattern (LQ_HEADLINE),
 * escaped with '\\' and written into pattern, which holds it until freed. */
enum { MH_LT_STATUS, MH_LT_HEADLINE, MH_STORE_LIST_NTEXTS };
void mh_store_list_texts(const struct mh_article_query *q, struct mh_buf *pattern,
			 const char *t[MH_STORE_LIST_NTEXTS]);
struct mh_store_list_dialect {
	const char *param[MH_STORE_LIST_NPARAMS]; /* each value's name in SQL */
	const char *text_param[MH_STORE_LIST_NTEXTS];
	const char *like_nocase; /* LIKE ignoring ASCII case: "LIKE" (SQLite's is), "ILIKE" */
	const char *any_status;                   /* the WHERE of LQ_ANY (every row) */
	const char *is_pick;                      /* the staff-pick test (its index's spelling) */
};
void mh_store_list_sql(struct mh_buf *out, const struct mh_store_list_dialect *d, unsigned flags, bool count);

/* ---- shared helpers (store.c) ---- */
/* The list query's variants, one prepared statement per combination of the
 * filters an mh_article_query uses (mh_store_list_sql writes each). */
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
	LQ_SCHEDULED = 1 << 10,  /* scheduled articles only, any time (the start-up sweep) */
	LQ_STATUS = 1 << 11,     /* one status, any time (the newsroom's filter) */
	LQ_HEADLINE = 1 << 12,   /* headline LIKE the pattern */
	LQ__VARIANTS = 1 << 13,
};
unsigned mh_store_query_flags(const struct mh_article_query *q);
/* The rows a list returns: limit, 20 when 0, at most 1000 (store.h). */
int mh_store_list_limit(const struct mh_article_query *q);
/* The list query's upper bound on published_at: now, or the keyset cursor's
 * time when that is earlier. Binding it lets the index range end at the
 * cursor; left as a filter beside "<= now", both planners would walk the
 * index from the newest article down to the cursor (O(position) per page). */
int64_t mh_store_list_upper_bound(const struct mh_article_query *q);
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

#endif
