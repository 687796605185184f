/*
 * sqlite.c: the SQLite backend of store.h. One connection per struct mh_store
 * (opened SQLITE_OPEN_NOMUTEX: a store is NOT thread-safe; the server opens
 * one per worker thread). WAL mode with synchronous=FULL, so a committed write
 * survives kill -9 and power loss; foreign keys on; waits up to 5 s for a
 * lock, then reports MH_UNAVAILABLE. Statements are prepared once per
 * connection (SQLITE_PREPARE_PERSISTENT) and reset after each use.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"

/* Article columns as read_article() expects them; the body comes last so
 * lists can leave it out. */
#define ART_COLS                                                                                       \
	"a.id, a.slug, a.headline, a.dek, a.lead_html, a.section_id, a.image_url, a.image_alt,"      \
	" a.via_name, a.via_url, a.staff_pick, a.status, a.published_at, a.updated_at, a.created_at," \
	" a.was_published, a.views, s.id, s.slug, s.name, s.description, s.position, s.kind"
#define ART_BODY ", a.body_md, a.body_html"
#define ART_FROM " FROM articles a JOIN sections s ON s.id = a.section_id"
#define ART_NCOLS 23

enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_MIG_VERSION,
	ST_MIG_RECORD,
	ST_SECTIONS,
	ST_SECTION_BY_SLUG,
	ST_SECTION_INSERT,
	ST_SECTION_UPDATE,
	ST_AUTHORS,
	ST_AUTHOR_BY_SLUG,
	ST_AUTHOR_INSERT,
	ST_AUTHOR_UPDATE,
	ST_TAG_BY_SLUG,
	ST_TAG_INSERT,
	ST_ART_BY_SLUG,
	ST_ART_BY_ID,
	ST_ART_OLD,
	ST_ART_INSERT,
	ST_ART_UPDATE,
	ST_ART_DEL_AUTHORS,
	ST_ART_DEL_TAGS,
	ST_ART_ADD_AUTHOR,
	ST_ART_ADD_TAG,
	ST_BATCH_AUTHORS,
	ST_BATCH_TAGS,
	ST_SET_VIEWS,
	ST_CHANGE_ADD,
	ST_CHANGE_LAST,
	ST_CHANGES_SINCE,
	ST_CHANGES_PRUNE,
	ST_JOB_REQUEUE,
	ST_JOB_INSERT,
	ST_JOB_CLAIM,
	ST_JOB_DONE,
	ST_JOB_FAIL,
	ST_JOBS_ALL,
	ST_JOBS_STATE,
	ST_JOB_RETRY,
	ST_JOBS_PRUNE,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_BEGIN_READ] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT mh_save",
	[ST_RELEASE] = "RELEASE mh_save",
	[ST_ROLLBACK_TO] = "ROLLBACK TO mh_save",
	[ST_MIG_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	[ST_MIG_RECORD] = "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)",
	[ST_SECTIONS] = "SELECT id, slug, name, description, position, kind FROM sections ORDER BY position, id",
	[ST_SECTION_BY_SLUG] = "SELECT id, slug, name, description, position, kind FROM sections WHERE slug = ?1",
	[ST_SECTION_INSERT] = "INSERT INTO sections(slug, name, description, position, kind)"
			      " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SECTION_UPDATE] = "UPDATE sections SET slug = ?1, name = ?2, description = ?3, position = ?4,"
			      " kind = ?5 WHERE id = ?6",
	[ST_AUTHORS] = "SELECT id, slug, name, bio, avatar_url FROM authors ORDER BY name, id",
	[ST_AUTHOR_BY_SLUG] = "SELECT id, slug, name, bio, avatar_url FROM authors WHERE slug = ?1",
	[ST_AUTHOR_INSERT] = "INSERT INTO authors(slug, name, bio, avatar_url) VALUES (?1, ?2, ?3, ?4)",
	[ST_AUTHOR_UPDATE] = "UPDATE authors SET slug = ?1, name = ?2, bio = ?3, avatar_url = ?4 WHERE id = ?5",
	[ST_TAG_BY_SLUG] = "SELECT id, slug, name FROM tags WHERE slug = ?1",
	[ST_TAG_INSERT] = "INSERT INTO tags(slug, name) VALUES (?1, ?2)",
	[ST_ART_BY_SLUG] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.slug = ?1",
	[ST_ART_BY_ID] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.id = ?1",
	[ST_ART_OLD] = "SELECT created_at, was_published FROM articles WHERE id = ?1",
	[ST_ART_INSERT] = "INSERT INTO articles(slug, headline, dek, body_md, body_html, lead_html, section_id,"
			  " image_url, image_alt, via_name, via_url, staff_pick, status, published_at,"
			  " updated_at, created_at, was_published, views)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
	[ST_ART_UPDATE] = "UPDATE articles SET slug = ?1, headline = ?2, dek = ?3, body_md = ?4, body_html = ?5,"
			  " lead_html = ?6, section_id = ?7, image_url = ?8, image_alt = ?9, via_name = ?10,"
			  " via_url = ?11, staff_pick = ?12, status = ?13, published_at = ?14, updated_at = ?15,"
			  " created_at = ?16, was_published = ?17, views = ?18 WHERE id = ?19",
	[ST_ART_DEL_AUTHORS] = "DELETE FROM article_authors WHERE article_id = ?1",
	[ST_ART_DEL_TAGS] = "DELETE FROM article_tags WHERE article_id = ?1",
	[ST_ART_ADD_AUTHOR] = "INSERT INTO article_authors(article_id, author_id, position) VALUES (?1, ?2, ?3)",
	[ST_ART_ADD_TAG] = "INSERT INTO article_tags(article_id, tag_id) VALUES (?1, ?2)",
	/* Authors and tags of a whole list page in one query each: the ids come
	 * as one JSON array so the statement stays the same for any page size. */
	[ST_BATCH_AUTHORS] = "SELECT aa.article_id, au.id, au.slug, au.name, au.bio, au.avatar_url"
			     " FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
			     " WHERE aa.article_id IN (SELECT value FROM json_each(?1))"
			     " ORDER BY aa.article_id, aa.position",
	[ST_BATCH_TAGS] = "SELECT at.article_id, t.id, t.slug, t.name"
			  " FROM article_tags at JOIN tags t ON t.id = at.tag_id"
			  " WHERE at.article_id IN (SELECT value FROM json_each(?1))"
			  " ORDER BY at.article_id, t.name, t.id",
	[ST_SET_VIEWS] = "UPDATE articles SET views = ?2 WHERE id = ?1",
	[ST_CHANGE_ADD] = "INSERT INTO changes(keys, created_at) VALUES (?1, ?2)",
	[ST_CHANGE_LAST] = "SELECT coalesce(max(id), 0) FROM changes",
	[ST_CHANGES_SINCE] = "SELECT id, keys, created_at FROM changes WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_CHANGES_PRUNE] = "DELETE FROM changes WHERE created_at < ?1",
#define JOB_COLS "id, kind, payload, state, run_at, attempts, max_attempts, owner, lease_until, last_error," \
		 " coalesce(dedupe, ''), created_at, updated_at"
	[ST_JOB_REQUEUE] = "UPDATE jobs SET payload = ?2, run_at = ?3, state = 'queued', attempts = 0, owner = '',"
			   " lease_until = 0, updated_at = ?4"
			   " WHERE dedupe = ?1 AND state IN ('queued', 'running') RETURNING id",
	[ST_JOB_INSERT] = "INSERT INTO jobs(kind, payload, run_at, dedupe, created_at, updated_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	/* one statement, so atomic: SQLite has one writer at a time */
	[ST_JOB_CLAIM] = "UPDATE jobs SET state = 'running', owner = ?1, lease_until = ?2, attempts = attempts + 1,"
			 " updated_at = ?3 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= ?3)"
			 " OR (state = 'running' AND lease_until < ?3) ORDER BY run_at, id LIMIT 1)"
			 " RETURNING " JOB_COLS,
	[ST_JOB_DONE] = "UPDATE jobs SET state = 'done', owner = '', lease_until = 0, updated_at = ?3"
			" WHERE id = ?1 AND owner = ?2 AND state = 'running'",
	[ST_JOB_FAIL] = "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'parked' ELSE 'queued' END,"
			" run_at = ?4, last_error = ?3, owner = '', lease_until = 0, updated_at = ?5"
			" WHERE id = ?1 AND owner = ?2 AND state = 'running'",
	[ST_JOBS_ALL] = "SELECT " JOB_COLS " FROM jobs ORDER BY id DESC LIMIT ?1",
	[ST_JOBS_STATE] = "SELECT " JOB_COLS " FROM jobs WHERE state = ?2 ORDER BY id DESC LIMIT ?1",
	[ST_JOB_RETRY] = "UPDATE jobs SET state = 'queued', run_at = ?2, attempts = 0, owner = '', lease_until = 0,"
			 " updated_at = ?2 WHERE id = ?1 AND state IN ('parked', 'queued')",
	[ST_JOBS_PRUNE] = "DELETE FROM jobs WHERE state = 'done' AND updated_at < ?1",
};

struct sq {
	struct mh_store base;
	sqlite3 *db;
	bool in_tx;
	bool in_read; /* a read snapshot (mh_store_read_begin) is open */
	sqlite3_stmt *stmts[ST__COUNT];
	sqlite3_stmt *lists[LQ__VARIANTS];
	sqlite3_stmt *counts[LQ__VARIANTS];
};

static struct sq *SQ(struct mh_store *s)
{
	return (struct sq *)s;
}

/* ---- errors ---- */

/* Maps a failed call's result to the store's codes. value names what was
 * being written (for "slug 'x' is already used"); fk says what a foreign key
 * failure means in this statement ("section_id: no section 9"). */
static enum mh_store_rc fail(struct sq *s, int rc, struct mh_buf *err, const char *value, const char *fk)
{
	const char *msg = sqlite3_errmsg(s->db);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		mh_store_set_err(err, "database is busy: %s", msg);
		return MH_UNAVAILABLE;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
			/* "UNIQUE constraint failed: articles.slug" -> "slug" */
			const char *dot = strrchr(msg, '.');
			const char *field = dot != NULL ? dot + 1 : "value";
			if (value != NULL)
				mh_store_set_err(err, "%s '%s' is already used", field, value);
			else
				mh_store_set_err(err, "%s: already used", field);
			return MH_CONFLICT;
		}
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
			mh_store_set_err(err, "%s", fk != NULL ? fk : "refers to a row that does not exist");
			return MH_INVALID;
		}
		mh_store_set_err(err, "rejected by the database: %s", msg);
		return MH_INVALID;
	default:
		mh_store_set_err(err, "database error: %s", msg);
		return MH_ERROR;
	}
}

/* ---- statements ---- */

static sqlite3_stmt *prepare(struct sq *s, const char *sql, struct mh_buf *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		fail(s, rc, err, NULL, NULL);
		return NULL;
	}
	return st;
}

static sqlite3_stmt *stmt(struct sq *s, enum stmt_id id, struct mh_buf *err)
{
	if (s->stmts[id] == NULL)
		s->stmts[id] = prepare(s, stmt_sql[id], err);
	return s->stmts[id];
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v != NULL ? v : "", -1, SQLITE_STATIC);
}

static void bind_str(sqlite3_stmt *st, int i, struct mh_str v)
{
	sqlite3_bind_text(st, i, v.ptr != NULL ? v.ptr : "", (int)v.len, SQLITE_STATIC);
}

/* Runs a statement that returns no rows. */
static enum mh_store_rc run(struct sq *s, sqlite3_stmt *st, struct mh_buf *err, const char *value, const char *fk)
{
	int rc = sqlite3_step(st);
	enum mh_store_rc out = MH_OK;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		out = fail(s, rc, err, value, fk);
	done(st);
	return out;
}

static enum mh_store_rc run_id(struct sq *s, enum stmt_id id, struct mh_buf *err)
{
	sqlite3_stmt *st = stmt(s, id, err);
	if (st == NULL)
		return MH_ERROR;
	return run(s, st, err, NULL, NULL);
}

static const char *col_str(struct mh_arena *a, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	return mh_arena_strndup(a, t != NULL ? (const char *)t : "", (size_t)n);
}

/* ---- open / close ---- */

static void sq_close(struct mh_store *base)
{
	struct sq *s = SQ(base);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	for (int i = 0; i < LQ__VARIANTS; i++) {
		sqlite3_finalize(s->lists[i]);
		sqlite3_finalize(s->counts[i]);
	}
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(s->db);
	free(s);
}

/* ---- migrations and transactions ---- */

static enum mh_store_rc read_version(struct sq *s, int *version, struct mh_buf *err)
{
	sqlite3_stmt *st = stmt(s, ST_MIG_VERSION, err);
	if (st == NULL)
		return MH_ERROR;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		enum mh_store_rc out = fail(s, rc, err, NULL, NULL);
		done(st);
		return out;
	}
	*version = sqlite3_column_int(st, 0);
	done(st);
	return MH_OK;
}

static enum mh_store_rc sq_migrate(struct mh_store *base, int *version, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	*version = 0;
	if (s->in_tx) {
		mh_store_set_err(err, "migrate: not allowed inside a transaction");
		return MH_INVALID;
	}
	int rc = sqlite3_exec(s->db,
			      "CREATE TABLE IF NOT EXISTS schema_migrations ("
			      " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
			      NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, err, NULL, NULL);
	enum mh_store_rc out = read_version(s, version, err);
	if (out != MH_OK)
		return out;
	int newest = mh_store_migrations[mh_store_n_migrations - 1].version;
	if (*version > newest) {
		mh_store_set_err(err, "database schema version %d is newer than this program knows (%d)", *version,
				 newest);
		return MH_INVALID;
	}
	for (size_t i = 0; i < mh_store_n_migrations; i++) {
		const struct mh_store_migration *m = &mh_store_migrations[i];
		if (m->version <= *version)
			continue;
		if ((out = run_id(s, ST_BEGIN, err)) != MH_OK)
			return out;
		/* Another process may have migrated while we waited for the lock. */
		int now_at = 0;
		if ((out = read_version(s, &now_at, err)) != MH_OK)
			goto rollback;
		if (now_at >= m->version) {
			*version = now_at;
			run_id(s, ST_ROLLBACK, NULL);
			continue;
		}
		char *emsg = NULL;
		rc = sqlite3_exec(s->db, m->sqlite_sql, NULL, NULL, &emsg);
		if (rc != SQLITE_OK) {
			mh_store_set_err(err, "migration %d (%s): %s", m->version, m->description,
					 emsg != NULL ? emsg : sqlite3_errstr(rc));
			sqlite3_free(emsg);
			out = (rc & 0xff) == SQLITE_BUSY ? MH_UNAVAILABLE : MH_ERROR;
			goto rollback;
		}
		sqlite3_stmt *st = stmt(s, ST_MIG_RECORD, err);
		if (st == NULL) {
			out = MH_ERROR;
			goto rollback;
		}
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_int64(st, 2, mh_time_now());
		if ((out = run(s, st, err, NULL, NULL)) != MH_OK)
			goto rollback;
		if ((out = run_id(s, ST_COMMIT, err)) != MH_OK)
			goto rollback;
		*version = m->version;
	}
	return MH_OK;
rollback:
	run_id(s, ST_ROLLBACK, NULL);
	return out;
}

/* One deferred transaction around a page's reads: they see one snapshot,
 * and SQLite takes its file locks once instead of once per statement. */
static enum mh_store_rc sq_read_begin(struct mh_store *base)
{
	struct sq *s = SQ(base);
	if (s->in_tx || s->in_read)
		return MH_OK;
	enum mh_store_rc rc = run_id(s, ST_BEGIN_READ, NULL);
	s->in_read = rc == MH_OK;
	return rc;
}

static void sq_read_end(struct mh_store *base)
{
	struct sq *s = SQ(base);
	if (!s->in_read)
		return;
	s->in_read = false;
	if (!sqlite3_get_autocommit(s->db) && run_id(s, ST_COMMIT, NULL) != MH_OK)
		run_id(s, ST_ROLLBACK, NULL);
}

static enum mh_store_rc sq_begin(struct mh_store *base)
{
	struct sq *s = SQ(base);
	if (s->in_tx)
		return MH_INVALID;
	enum mh_store_rc rc = run_id(s, ST_BEGIN, NULL);
	if (rc == MH_OK)
		s->in_tx = true;
	return rc;
}

static enum mh_store_rc sq_commit(struct mh_store *base)
{
	struct sq *s = SQ(base);
	if (!s->in_tx)
		return MH_INVALID;
	enum mh_store_rc rc = run_id(s, ST_COMMIT, NULL);
	if (rc == MH_OK)
		s->in_tx = false;
	else if (sqlite3_get_autocommit(s->db))
		s->in_tx = false; /* SQLite rolled back by itself */
	return rc;
}

static void sq_rollback(struct mh_store *base)
{
	struct sq *s = SQ(base);
	if (!s->in_tx)
		return;
	if (!sqlite3_get_autocommit(s->db))
		run_id(s, ST_ROLLBACK, NULL);
	s->in_tx = false;
}

static enum mh_store_rc sq_bulk_load(struct mh_store *base, bool on)
{
	struct sq *s = SQ(base);
	if (s->in_tx)
		return MH_INVALID;
	/* synchronous=OFF in WAL mode: commits reach the OS but are not fsynced;
	 * back to FULL, a TRUNCATE checkpoint writes and syncs everything. */
	const char *sql = on ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL; PRAGMA wal_checkpoint(TRUNCATE)";
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, NULL, NULL, NULL);
	return MH_OK;
}

/* A write of several statements: its own transaction, or a savepoint inside
 * the caller's explicit one (so one failed save does not undo the batch). */
static enum mh_store_rc write_begin(struct sq *s, struct mh_buf *err)
{
	return run_id(s, s->in_tx ? ST_SAVEPOINT : ST_BEGIN, err);
}

static enum mh_store_rc write_end(struct sq *s, enum mh_store_rc rc, struct mh_buf *err)
{
	if (rc == MH_OK) {
		rc = run_id(s, s->in_tx ? ST_RELEASE : ST_COMMIT, err);
		if (rc == MH_OK)
			return MH_OK;
	}
	if (s->in_tx) {
		run_id(s, ST_ROLLBACK_TO, NULL);
		run_id(s, ST_RELEASE, NULL);
	} else if (!sqlite3_get_autocommit(s->db)) {
		run_id(s, ST_ROLLBACK, NULL);
	}
	return rc;
}

/* ---- sections ---- */

static void read_section(struct mh_arena *a, sqlite3_stmt *st, int c, struct mh_section *sec)
{
	sec->id = sqlite3_column_int64(st, c);
	sec->slug = col_str(a, st, c + 1);
	sec->name = col_str(a, st, c + 2);
	sec->description = col_str(a, st, c + 3);
	sec->position = sqlite3_column_int(st, c + 4);
	if (!mh_store_section_kind_parse((const char *)sqlite3_column_text(st, c + 5), &sec->kind))
		sec->kind = MH_SECTION_PLAIN;
}

/* Collects rows into a growing array; item_size bytes per row, filled by fn. */
static enum mh_store_rc collect(struct sq *s, sqlite3_stmt *st, struct mh_arena *a, size_t item_size,
				void (*fn)(struct mh_arena *, sqlite3_stmt *, void *), void **out, size_t *n)
{
	struct mh_buf rows = MH_BUF_INIT;
	size_t count = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mh_buf_reserve(&rows, item_size);
		memset(rows.ptr + rows.len, 0, item_size);
		fn(a, st, rows.ptr + rows.len);
		rows.len += item_size;
		count++;
	}
	enum mh_store_rc out_rc = MH_OK;
	if (rc != SQLITE_DONE)
		out_rc = fail(s, rc, NULL, NULL, NULL);
	done(st);
	if (out_rc == MH_OK) {
		void *arr = mh_arena_alloc(a, count > 0 ? count * item_size : 1);
		if (count > 0)
			memcpy(arr, rows.ptr, count * item_size);
		*out = arr;
		*n = count;
	}
	mh_buf_free(&rows);
	return out_rc;
}

static void section_row(struct mh_arena *a, sqlite3_stmt *st, void *p)
{
	read_section(a, st, 0, p);
}

static enum mh_store_rc sq_sections(struct mh_store *base, struct mh_arena *a, struct mh_section **out, size_t *n)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_SECTIONS, NULL);
	if (st == NULL)
		return MH_ERROR;
	return collect(s, st, a, sizeof(struct mh_section), section_row, (void **)out, n);
}

/* Looks up one row by slug; MH_NOT_FOUND when there is none. */
static enum mh_store_rc one_by_slug(struct sq *s, enum stmt_id id, struct mh_arena *a, struct mh_str slug,
				    size_t item_size, void (*fn)(struct mh_arena *, sqlite3_stmt *, void *),
				    void **out)
{
	sqlite3_stmt *st = stmt(s, id, NULL);
	if (st == NULL)
		return MH_ERROR;
	bind_str(st, 1, slug);
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, st, a, item_size, fn, &arr, &n);
	if (rc != MH_OK)
		return rc;
	if (n == 0)
		return MH_NOT_FOUND;
	*out = arr;
	return MH_OK;
}

static enum mh_store_rc sq_section_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
					   struct mh_section **out)
{
	return one_by_slug(SQ(base), ST_SECTION_BY_SLUG, a, slug, sizeof(struct mh_section), section_row,
			   (void **)out);
}

/* Runs an INSERT (id 0) or an UPDATE (id bound last) of a simple row. */
static enum mh_store_rc save_simple(struct sq *s, sqlite3_stmt *st, int64_t *id, int id_param, const char *slug,
				    const char *what, struct mh_buf *err)
{
	if (*id != 0)
		sqlite3_bind_int64(st, id_param, *id);
	enum mh_store_rc rc = run(s, st, err, slug, NULL);
	if (rc != MH_OK)
		return rc;
	if (*id == 0) {
		*id = sqlite3_last_insert_rowid(s->db);
	} else if (sqlite3_changes(s->db) == 0) {
		mh_store_set_err(err, "id: no %s with id %lld", what, (long long)*id);
		return MH_NOT_FOUND;
	}
	return MH_OK;
}

static enum mh_store_rc sq_section_save(struct mh_store *base, struct mh_section *sec, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, sec->id == 0 ? ST_SECTION_INSERT : ST_SECTION_UPDATE, err);
	if (st == NULL)
		return MH_ERROR;
	bind_text(st, 1, sec->slug);
	bind_text(st, 2, sec->name);
	bind_text(st, 3, sec->description);
	sqlite3_bind_int(st, 4, sec->position);
	bind_text(st, 5, mh_store_section_kind_name(sec->kind));
	return save_simple(s, st, &sec->id, 6, sec->slug, "section", err);
}

/* ---- authors ---- */

static void author_row(struct mh_arena *a, sqlite3_stmt *st, void *p)
{
	struct mh_author *au = p;
	au->id = sqlite3_column_int64(st, 0);
	au->slug = col_str(a, st, 1);
	au->name = col_str(a, st, 2);
	au->bio = col_str(a, st, 3);
	au->avatar_url = col_str(a, st, 4);
}

static enum mh_store_rc sq_authors(struct mh_store *base, struct mh_arena *a, struct mh_author **out, size_t *n)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_AUTHORS, NULL);
	if (st == NULL)
		return MH_ERROR;
	return collect(s, st, a, sizeof(struct mh_author), author_row, (void **)out, n);
}

static enum mh_store_rc sq_author_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
					  struct mh_author **out)
{
	return one_by_slug(SQ(base), ST_AUTHOR_BY_SLUG, a, slug, sizeof(struct mh_author), author_row,
			   (void **)out);
}

static enum mh_store_rc sq_author_save(struct mh_store *base, struct mh_author *au, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, au->id == 0 ? ST_AUTHOR_INSERT : ST_AUTHOR_UPDATE, err);
	if (st == NULL)
		return MH_ERROR;
	bind_text(st, 1, au->slug);
	bind_text(st, 2, au->name);
	bind_text(st, 3, au->bio);
	bind_text(st, 4, au->avatar_url);
	return save_simple(s, st, &au->id, 5, au->slug, "author", err);
}

/* ---- tags ---- */

static void tag_row(struct mh_arena *a, sqlite3_stmt *st, void *p)
{
	struct mh_tag *t = p;
	t->id = sqlite3_column_int64(st, 0);
	t->slug = col_str(a, st, 1);
	t->name = col_str(a, st, 2);
}

static enum mh_store_rc sq_tag_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
				       struct mh_tag **out)
{
	return one_by_slug(SQ(base), ST_TAG_BY_SLUG, a, slug, sizeof(struct mh_tag), tag_row, (void **)out);
}

static enum mh_store_rc sq_tag_ensure(struct mh_store *base, struct mh_tag *tag, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	struct mh_buf slug = MH_BUF_INIT;
	if (tag->slug != NULL && tag->slug[0] != '\0')
		mh_buf_append_c(&slug, tag->slug);
	else
		mh_store_simple_slug(&slug, tag->name);
	const char *name = tag->name != NULL && tag->name[0] != '\0' ? tag->name : mh_buf_cstr(&slug);
	enum mh_store_rc rc = MH_ERROR;
	sqlite3_stmt *st = stmt(s, ST_TAG_BY_SLUG, err);
	if (st == NULL)
		goto out;
	sqlite3_bind_text(st, 1, mh_buf_cstr(&slug), (int)slug.len, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		tag->id = sqlite3_column_int64(st, 0);
		done(st);
		rc = MH_OK;
		goto out;
	}
	if (r != SQLITE_DONE) {
		rc = fail(s, r, err, NULL, NULL);
		done(st);
		goto out;
	}
	done(st);
	if ((st = stmt(s, ST_TAG_INSERT, err)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, mh_buf_cstr(&slug), (int)slug.len, SQLITE_STATIC);
	bind_text(st, 2, name);
	tag->id = 0;
	rc = save_simple(s, st, &tag->id, 0, mh_buf_cstr(&slug), "tag", err);
out:
	mh_buf_free(&slug);
	return rc;
}

/* ---- articles: reading ---- */

static void read_article(struct mh_arena *a, sqlite3_stmt *st, struct mh_article *art, bool body)
{
	art->id = sqlite3_column_int64(st, 0);
	art->slug = col_str(a, st, 1);
	art->headline = col_str(a, st, 2);
	art->dek = col_str(a, st, 3);
	art->lead_html = col_str(a, st, 4);
	art->section_id = sqlite3_column_int64(st, 5);
	art->image_url = col_str(a, st, 6);
	art->image_alt = col_str(a, st, 7);
	art->via_name = col_str(a, st, 8);
	art->via_url = col_str(a, st, 9);
	art->staff_pick = sqlite3_column_int(st, 10) != 0;
	const unsigned char *status = sqlite3_column_text(st, 11);
	if (!mh_article_status_parse(mh_str_c((const char *)status), &art->status))
		art->status = MH_ARTICLE_DRAFT;
	art->published_at = sqlite3_column_int64(st, 12);
	art->updated_at = sqlite3_column_int64(st, 13);
	art->created_at = sqlite3_column_int64(st, 14);
	/* Stored: "has ever been published". Reported: "was, and is no more". */
	art->was_published = sqlite3_column_int(st, 15) != 0 && art->status != MH_ARTICLE_PUBLISHED;
	art->views = sqlite3_column_int64(st, 16);
	art->section = MH_NEW(a, struct mh_section);
	read_section(a, st, 17, art->section);
	if (body) {
		art->body_md = col_str(a, st, ART_NCOLS);
		art->body_html = col_str(a, st, ART_NCOLS + 1);
	} else {
		art->body_md = NULL;
		art->body_html = NULL;
	}
	art->authors = NULL;
	art->tags = NULL;
	art->n_authors = art->n_tags = 0;
}

/* Fills authors and tags of arts[0..n) with one query each. */
static enum mh_store_rc fill_relations(struct sq *s, struct mh_arena *a, struct mh_article *arts, size_t n)
{
	if (n == 0)
		return MH_OK;
	struct mh_buf ids = MH_BUF_INIT;
	struct mh_store_article_index index;
	mh_store_index_init(&index, arts, n, &ids, '[', ']');

	enum mh_store_rc rc = MH_OK;
	for (int pass = 0; pass < 2 && rc == MH_OK; pass++) {
		bool authors = pass == 0;
		size_t item = authors ? sizeof(struct mh_author) : sizeof(struct mh_tag);
		sqlite3_stmt *st = stmt(s, authors ? ST_BATCH_AUTHORS : ST_BATCH_TAGS, NULL);
		if (st == NULL) {
			rc = MH_ERROR;
			break;
		}
		sqlite3_bind_text(st, 1, ids.ptr, (int)ids.len, SQLITE_STATIC);
		/* Rows come grouped by article: gather a group, then hand it over. */
		struct mh_buf group = MH_BUF_INIT;
		size_t in_group = 0;
		int64_t group_id = 0;
		int r;
		for (;;) {
			r = sqlite3_step(st);
			int64_t art_id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
			if (in_group > 0 && art_id != group_id) {
				void *arr = mh_arena_alloc(a, in_group * item);
				memcpy(arr, group.ptr, in_group * item);
				mh_store_index_attach(&index, group_id, authors, arr, in_group);
				mh_buf_reset(&group);
				in_group = 0;
			}
			if (r != SQLITE_ROW)
				break;
			group_id = art_id;
			mh_buf_reserve(&group, item);
			void *row = group.ptr + group.len;
			memset(row, 0, item);
			if (authors) {
				struct mh_author *au = row;
				au->id = sqlite3_column_int64(st, 1);
				au->slug = col_str(a, st, 2);
				au->name = col_str(a, st, 3);
				au->bio = col_str(a, st, 4);
				au->avatar_url = col_str(a, st, 5);
			} else {
				struct mh_tag *t = row;
				t->id = sqlite3_column_int64(st, 1);
				t->slug = col_str(a, st, 2);
				t->name = col_str(a, st, 3);
			}
			group.len += item;
			in_group++;
		}
		if (r != SQLITE_DONE)
			rc = fail(s, r, NULL, NULL, NULL);
		done(st);
		mh_buf_free(&group);
	}
	mh_store_index_free(&index);
	mh_buf_free(&ids);
	return rc;
}

static sqlite3_stmt *query_stmt(struct sq *s, unsigned f, bool count)
{
	sqlite3_stmt **slot = count ? &s->counts[f] : &s->lists[f];
	if (*slot != NULL)
		return *slot;
	struct mh_buf sql = MH_BUF_INIT;
	if (count)
		mh_buf_append_c(&sql, "SELECT count(*) FROM articles a");
	else
		mh_buf_printf(&sql, "SELECT " ART_COLS "%s" ART_FROM, (f & LQ_BODY) ? ART_BODY : "");
	if (f & LQ_SCHEDULED)
		mh_buf_append_c(&sql, " WHERE a.status = 'scheduled'");
	else if (f & LQ_ANY)
		mh_buf_append_c(&sql, " WHERE 1");
	else
		mh_buf_append_c(&sql, " WHERE a.status = 'published' AND a.published_at <= :now");
	if (f & LQ_SECTION)
		mh_buf_append_c(&sql, " AND a.section_id = :section");
	if (f & LQ_PICKS)
		mh_buf_append_c(&sql, " AND a.staff_pick = 1");
	if (f & LQ_AUTHOR)
		mh_buf_append_c(&sql, " AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = :author)");
	if (f & LQ_TAG)
		mh_buf_append_c(&sql, " AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = :tag)");
	if (f & LQ_CURSOR)
		mh_buf_append_c(&sql, " AND (a.published_at, a.id) < (:before_at, :before_id)");
	if (f & LQ_CURSOR_TIME)
		mh_buf_append_c(&sql, " AND a.published_at < :before_at");
	if (f & LQ_EXCLUDE)
		mh_buf_append_c(&sql, " AND a.id <> :exclude");
	if (f & LQ_AFTER)
		mh_buf_append_c(&sql, " AND a.published_at >= :after_at AND (a.published_at, a.id) > (:after_at, :after_id)");
	if (!count && (f & LQ_AFTER))
		mh_buf_append_c(&sql, " ORDER BY a.published_at ASC, a.id ASC LIMIT :limit OFFSET :offset");
	else if (!count)
		mh_buf_append_c(&sql, " ORDER BY a.published_at DESC, a.id DESC LIMIT :limit OFFSET :offset");
	*slot = prepare(s, mh_buf_cstr(&sql), NULL);
	mh_buf_free(&sql);
	return *slot;
}

static void bind_named(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);
	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

static void bind_query(sqlite3_stmt *st, const struct mh_article_query *q)
{
	int limit = mh_store_list_limit(q);
	bind_named(st, ":now", mh_store_list_upper_bound(q));
	bind_named(st, ":section", q->section_id);
	bind_named(st, ":author", q->author_id);
	bind_named(st, ":tag", q->tag_id);
	bind_named(st, ":before_at", q->before_published_at);
	bind_named(st, ":before_id", q->before_id);
	bind_named(st, ":exclude", q->exclude_id);
	bind_named(st, ":after_at", q->after_published_at);
	bind_named(st, ":after_id", q->after_id);
	bind_named(st, ":limit", limit);
	bind_named(st, ":offset", q->offset);
}

static enum mh_store_rc sq_articles(struct mh_store *base, struct mh_arena *a, const struct mh_article_query *q,
				    struct mh_article **out, size_t *n)
{
	struct sq *s = SQ(base);
	unsigned f = mh_store_query_flags(q);
	sqlite3_stmt *st = query_stmt(s, f, false);
	if (st == NULL)
		return MH_ERROR;
	bind_query(st, q);
	int limit = mh_store_list_limit(q);
	struct mh_article *arts = MH_NEW_ARRAY(a, struct mh_article, (size_t)limit);
	size_t count = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW && count < (size_t)limit)
		read_article(a, st, &arts[count++], (f & LQ_BODY) != 0);
	enum mh_store_rc rc = MH_OK;
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(s, r, NULL, NULL, NULL);
	done(st);
	if (rc == MH_OK)
		rc = fill_relations(s, a, arts, count);
	if (rc != MH_OK)
		return rc;
	*out = arts;
	*n = count;
	return MH_OK;
}

static enum mh_store_rc sq_articles_count(struct mh_store *base, const struct mh_article_query *q, int64_t *count)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = query_stmt(s, mh_store_query_flags(q) & ~(unsigned)LQ_BODY, true);
	if (st == NULL)
		return MH_ERROR;
	bind_query(st, q);
	int r = sqlite3_step(st);
	enum mh_store_rc rc = MH_OK;
	if (r == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	else
		rc = fail(s, r, NULL, NULL, NULL);
	done(st);
	return rc;
}

static enum mh_store_rc one_article(struct sq *s, sqlite3_stmt *st, struct mh_arena *a, struct mh_article **out)
{
	int r = sqlite3_step(st);
	enum mh_store_rc rc = MH_OK;
	struct mh_article *art = NULL;
	if (r == SQLITE_ROW) {
		art = MH_NEW(a, struct mh_article);
		read_article(a, st, art, true);
	} else if (r == SQLITE_DONE) {
		rc = MH_NOT_FOUND;
	} else {
		rc = fail(s, r, NULL, NULL, NULL);
	}
	done(st);
	if (rc == MH_OK)
		rc = fill_relations(s, a, art, 1);
	if (rc == MH_OK)
		*out = art;
	return rc;
}

static enum mh_store_rc sq_article_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
					   struct mh_article **out)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_ART_BY_SLUG, NULL);
	if (st == NULL)
		return MH_ERROR;
	bind_str(st, 1, slug);
	return one_article(s, st, a, out);
}

static enum mh_store_rc sq_article_by_id(struct mh_store *base, struct mh_arena *a, int64_t id,
					 struct mh_article **out)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_ART_BY_ID, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, id);
	return one_article(s, st, a, out);
}

/* ---- articles: writing ---- */

static enum mh_store_rc article_write(struct sq *s, struct mh_article *art, struct mh_buf *err)
{
	enum mh_store_rc rc;
	int64_t now = mh_time_now();
	int64_t created, updated;
	bool ever_published = art->was_published || art->status == MH_ARTICLE_PUBLISHED;
	char fk[96];

	if (art->id != 0) {
		sqlite3_stmt *old = stmt(s, ST_ART_OLD, err);
		if (old == NULL)
			return MH_ERROR;
		sqlite3_bind_int64(old, 1, art->id);
		int r = sqlite3_step(old);
		if (r == SQLITE_DONE) {
			done(old);
			mh_store_set_err(err, "id: no article with id %lld", (long long)art->id);
			return MH_NOT_FOUND;
		}
		if (r != SQLITE_ROW) {
			rc = fail(s, r, err, NULL, NULL);
			done(old);
			return rc;
		}
		created = sqlite3_column_int64(old, 0);
		ever_published = ever_published || sqlite3_column_int(old, 1) != 0;
		done(old);
		updated = now;
	} else {
		created = art->created_at != 0 ? art->created_at : now;
		updated = art->updated_at != 0 ? art->updated_at : created;
	}
	/* Publishing (now or scheduled) without a time means "now". */
	if (art->published_at == 0 && art->status != MH_ARTICLE_DRAFT)
		art->published_at = now;

	sqlite3_stmt *st = stmt(s, art->id == 0 ? ST_ART_INSERT : ST_ART_UPDATE, err);
	if (st == NULL)
		return MH_ERROR;
	bind_text(st, 1, art->slug);
	bind_text(st, 2, art->headline);
	bind_text(st, 3, art->dek);
	bind_text(st, 4, art->body_md);
	bind_text(st, 5, art->body_html);
	bind_text(st, 6, art->lead_html);
	sqlite3_bind_int64(st, 7, art->section_id);
	bind_text(st, 8, art->image_url);
	bind_text(st, 9, art->image_alt);
	bind_text(st, 10, art->via_name);
	bind_text(st, 11, art->via_url);
	sqlite3_bind_int(st, 12, art->staff_pick ? 1 : 0);
	bind_text(st, 13, mh_article_status_name(art->status));
	sqlite3_bind_int64(st, 14, art->published_at);
	sqlite3_bind_int64(st, 15, updated);
	sqlite3_bind_int64(st, 16, created);
	sqlite3_bind_int(st, 17, ever_published ? 1 : 0);
	sqlite3_bind_int64(st, 18, art->views);
	if (art->id != 0)
		sqlite3_bind_int64(st, 19, art->id);
	snprintf(fk, sizeof(fk), "section_id: no section with id %lld", (long long)art->section_id);
	if ((rc = run(s, st, err, art->slug, fk)) != MH_OK)
		return rc;
	int64_t id = art->id != 0 ? art->id : sqlite3_last_insert_rowid(s->db);

	if (art->id != 0) {
		for (int k = 0; k < 2; k++) {
			st = stmt(s, k == 0 ? ST_ART_DEL_AUTHORS : ST_ART_DEL_TAGS, err);
			if (st == NULL)
				return MH_ERROR;
			sqlite3_bind_int64(st, 1, id);
			if ((rc = run(s, st, err, NULL, NULL)) != MH_OK)
				return rc;
		}
	}
	for (size_t i = 0; i < art->n_authors; i++) {
		if ((st = stmt(s, ST_ART_ADD_AUTHOR, err)) == NULL)
			return MH_ERROR;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, art->authors[i].id);
		sqlite3_bind_int(st, 3, (int)i);
		snprintf(fk, sizeof(fk), "authors: no author with id %lld", (long long)art->authors[i].id);
		if ((rc = run(s, st, err, NULL, fk)) != MH_OK)
			return rc;
	}
	for (size_t i = 0; i < art->n_tags; i++) {
		if ((st = stmt(s, ST_ART_ADD_TAG, err)) == NULL)
			return MH_ERROR;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, art->tags[i].id);
		snprintf(fk, sizeof(fk), "tags: no tag with id %lld", (long long)art->tags[i].id);
		if ((rc = run(s, st, err, NULL, fk)) != MH_OK)
			return rc;
	}
	art->id = id;
	art->created_at = created;
	art->updated_at = updated;
	art->was_published = ever_published && art->status != MH_ARTICLE_PUBLISHED;
	return MH_OK;
}

static enum mh_store_rc sq_article_save(struct mh_store *base, struct mh_article *art, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	struct mh_article copy = *art; /* art is only changed when the save commits */
	enum mh_store_rc rc = write_begin(s, err);
	if (rc != MH_OK)
		return rc;
	rc = write_end(s, article_write(s, &copy, err), err);
	if (rc == MH_OK)
		*art = copy;
	return rc;
}

static enum mh_store_rc sq_article_set_views(struct mh_store *base, int64_t id, int64_t views)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_SET_VIEWS, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, views);
	enum mh_store_rc rc = run(s, st, NULL, NULL, NULL);
	if (rc == MH_OK && sqlite3_changes(s->db) == 0)
		rc = MH_NOT_FOUND;
	return rc;
}

static enum mh_store_rc sq_count(struct mh_store *base, const char *table, int64_t *n)
{
	struct sq *s = SQ(base);
	char sql[96];
	/* table comes from store.c's whitelist, never from input. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	sqlite3_stmt *st = NULL;
	int r = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (r != SQLITE_OK)
		return fail(s, r, NULL, NULL, NULL);
	r = sqlite3_step(st);
	enum mh_store_rc rc = MH_OK;
	if (r == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		rc = fail(s, r, NULL, NULL, NULL);
	sqlite3_finalize(st);
	return rc;
}

/* Inside a transaction the connection already holds SQLite's one write lock
 * (BEGIN IMMEDIATE): nobody else can change the row; only check it exists. */
static enum mh_store_rc sq_article_lock(struct mh_store *base, int64_t id)
{
	struct sq *s = SQ(base);
	if (!s->in_tx)
		return MH_INVALID;
	sqlite3_stmt *st = stmt(s, ST_ART_OLD, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int r = sqlite3_step(st);
	enum mh_store_rc rc = r == SQLITE_ROW ? MH_OK : r == SQLITE_DONE ? MH_NOT_FOUND : fail(s, r, NULL, NULL, NULL);
	done(st);
	return rc;
}

static enum mh_store_rc sq_change_add(struct mh_store *base, struct mh_str keys)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_CHANGE_ADD, NULL);
	if (st == NULL)
		return MH_ERROR;
	bind_str(st, 1, keys);
	sqlite3_bind_int64(st, 2, mh_time_now());
	return run(s, st, NULL, NULL, NULL);
}

static enum mh_store_rc sq_change_last(struct mh_store *base, int64_t *id)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_CHANGE_LAST, NULL);
	if (st == NULL)
		return MH_ERROR;
	int r = sqlite3_step(st);
	enum mh_store_rc rc = MH_OK;
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else
		rc = fail(s, r, NULL, NULL, NULL);
	done(st);
	return rc;
}

static enum mh_store_rc sq_changes_since(struct mh_store *base, struct mh_arena *a, int64_t after, size_t max,
					 struct mh_change **out, size_t *n)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_CHANGES_SINCE, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	struct mh_change *rows = MH_NEW_ARRAY(a, struct mh_change, max);
	size_t count = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW && count < max) {
		rows[count].id = sqlite3_column_int64(st, 0);
		rows[count].keys = col_str(a, st, 1);
		rows[count].created_at = sqlite3_column_int64(st, 2);
		count++;
	}
	enum mh_store_rc rc = MH_OK;
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(s, r, NULL, NULL, NULL);
	done(st);
	*out = rows;
	*n = rc == MH_OK ? count : 0;
	return rc;
}

static enum mh_store_rc sq_changes_prune(struct mh_store *base, int64_t before)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_CHANGES_PRUNE, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, before);
	return run(s, st, NULL, NULL, NULL);
}

static void job_row(struct mh_arena *a, sqlite3_stmt *st, void *p)
{
	struct mh_job *j = p;
	j->id = sqlite3_column_int64(st, 0);
	j->kind = col_str(a, st, 1);
	j->payload = col_str(a, st, 2);
	const char *state = (const char *)sqlite3_column_text(st, 3);
	enum mh_job_state js = MH_JOB_QUEUED;
	mh_job_state_parse(mh_str_c(state), &js);
	j->state = js;
	j->run_at = sqlite3_column_int64(st, 4);
	j->attempts = sqlite3_column_int(st, 5);
	j->max_attempts = sqlite3_column_int(st, 6);
	j->owner = col_str(a, st, 7);
	j->lease_until = sqlite3_column_int64(st, 8);
	j->last_error = col_str(a, st, 9);
	j->dedupe = col_str(a, st, 10);
	j->created_at = sqlite3_column_int64(st, 11);
	j->updated_at = sqlite3_column_int64(st, 12);
}

static enum mh_store_rc sq_job_add(struct mh_store *base, const char *kind, struct mh_str payload, int64_t run_at,
				   const char *dedupe, int64_t *id)
{
	struct sq *s = SQ(base);
	int64_t now = mh_time_now();
	if (dedupe != NULL) {
		sqlite3_stmt *st = stmt(s, ST_JOB_REQUEUE, NULL);
		if (st == NULL)
			return MH_ERROR;
		bind_text(st, 1, dedupe);
		bind_str(st, 2, payload);
		sqlite3_bind_int64(st, 3, run_at);
		sqlite3_bind_int64(st, 4, now);
		int r = sqlite3_step(st);
		int64_t found = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		enum mh_store_rc rc = (r == SQLITE_ROW || r == SQLITE_DONE) ? MH_OK : fail(s, r, NULL, NULL, NULL);
		done(st);
		if (rc != MH_OK)
			return rc;
		if (found != 0) {
			if (id != NULL)
				*id = found;
			return MH_OK;
		}
	}
	sqlite3_stmt *st = stmt(s, ST_JOB_INSERT, NULL);
	if (st == NULL)
		return MH_ERROR;
	bind_text(st, 1, kind);
	bind_str(st, 2, payload);
	sqlite3_bind_int64(st, 3, run_at);
	if (dedupe != NULL)
		bind_text(st, 4, dedupe);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, now);
	enum mh_store_rc rc = run(s, st, NULL, NULL, NULL);
	if (rc == MH_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static enum mh_store_rc sq_job_claim(struct mh_store *base, struct mh_arena *a, const char *owner, int64_t now,
				     int lease_s, struct mh_job **out)
{
	struct sq *s = SQ(base);
	/* BEGIN IMMEDIATE takes the write lock first (waiting up to the busy
	 * timeout): an UPDATE in autocommit that starts as a reader can fail at
	 * once when another writer got in between, without waiting. */
	enum mh_store_rc rc = write_begin(s, NULL);
	if (rc != MH_OK)
		return rc;
	sqlite3_stmt *st = stmt(s, ST_JOB_CLAIM, NULL);
	if (st == NULL)
		return write_end(s, MH_ERROR, NULL);
	bind_text(st, 1, owner);
	sqlite3_bind_int64(st, 2, now + lease_s);
	sqlite3_bind_int64(st, 3, now);
	int r = sqlite3_step(st);
	rc = MH_NOT_FOUND;
	if (r == SQLITE_ROW) {
		struct mh_job *j = MH_NEW(a, struct mh_job);
		job_row(a, st, j);
		*out = j;
		rc = MH_OK;
		while ((r = sqlite3_step(st)) == SQLITE_ROW)
			;
	}
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = fail(s, r, NULL, NULL, NULL);
	done(st);
	if (rc == MH_NOT_FOUND) {
		write_end(s, MH_OK, NULL);
		return MH_NOT_FOUND;
	}
	return write_end(s, rc, NULL);
}

static enum mh_store_rc changed_one(struct sq *s, sqlite3_stmt *st, enum mh_store_rc none)
{
	enum mh_store_rc rc = run(s, st, NULL, NULL, NULL);
	if (rc == MH_OK && sqlite3_changes(s->db) == 0)
		return none;
	return rc;
}

static enum mh_store_rc sq_job_done(struct mh_store *base, int64_t id, const char *owner)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_JOB_DONE, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, owner);
	sqlite3_bind_int64(st, 3, mh_time_now());
	return changed_one(s, st, MH_CONFLICT);
}

static enum mh_store_rc sq_job_fail(struct mh_store *base, int64_t id, const char *owner, const char *error,
				    int64_t retry_at)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_JOB_FAIL, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, owner);
	bind_text(st, 3, error != NULL ? error : "");
	sqlite3_bind_int64(st, 4, retry_at);
	sqlite3_bind_int64(st, 5, mh_time_now());
	return changed_one(s, st, MH_CONFLICT);
}

static enum mh_store_rc sq_jobs(struct mh_store *base, struct mh_arena *a, int state, int limit,
				struct mh_job **out, size_t *n)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, state < 0 ? ST_JOBS_ALL : ST_JOBS_STATE, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int(st, 1, limit);
	if (state >= 0)
		bind_text(st, 2, mh_job_state_name((enum mh_job_state)state));
	return collect(s, st, a, sizeof(struct mh_job), job_row, (void **)out, n);
}

static enum mh_store_rc sq_job_retry(struct mh_store *base, int64_t id)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_JOB_RETRY, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, mh_time_now());
	return changed_one(s, st, MH_NOT_FOUND);
}

static enum mh_store_rc sq_jobs_prune(struct mh_store *base, int64_t before)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, ST_JOBS_PRUNE, NULL);
	if (st == NULL)
		return MH_ERROR;
	sqlite3_bind_int64(st, 1, before);
	return run(s, st, NULL, NULL, NULL);
}

/* SQLite has no notifications: the watcher polls. */
static enum mh_store_rc sq_changes_wait(struct mh_store *base, int timeout_ms)
{
	if (SQ(base)->in_tx)
		return MH_INVALID;
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	return MH_OK;
}

/* ---- raw access for mh_store_copy ---- */

static enum mh_store_rc sq_raw_exec(struct mh_store *base, const char *sql, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? MH_OK : fail(s, rc, err, NULL, NULL);
}

static enum mh_store_rc sq_raw_rows(struct mh_store *base, const char *sql, int ncols,
				    enum mh_store_rc (*row)(void *ctx, const char *const *vals), void *ctx,
				    struct mh_buf *err)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = NULL;
	int r = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (r != SQLITE_OK)
		return fail(s, r, err, NULL, NULL);
	const char *vals[32];
	MH_ASSERT(ncols <= 32 && sqlite3_column_count(st) == ncols);
	enum mh_store_rc rc = MH_OK;
	while (rc == MH_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++)
			vals[i] = sqlite3_column_type(st, i) == SQLITE_NULL ? NULL
									    : (const char *)sqlite3_column_text(st, i);
		rc = row(ctx, vals);
	}
	if (rc == MH_OK && r != SQLITE_DONE)
		rc = fail(s, r, err, NULL, NULL);
	sqlite3_finalize(st);
	return rc;
}

static enum mh_store_rc sq_raw_insert(struct mh_store *base, const char *sql, int n, const char *const *vals,
				      struct mh_buf *err)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = NULL;
	int r = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (r != SQLITE_OK)
		return fail(s, r, err, NULL, NULL);
	for (int i = 0; i < n; i++) {
		if (vals[i] == NULL) {
			sqlite3_bind_null(st, i + 1);
		} else {
			/* column affinity turns "42" into an integer where the column is one */
			sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
		}
	}
	r = sqlite3_step(st);
	enum mh_store_rc rc = r == SQLITE_DONE ? MH_OK : fail(s, r, err, NULL, NULL);
	sqlite3_finalize(st);
	return rc;
}

/* ---- query plans (store.h: mh_store_plan) ---- */

static enum mh_store_rc sq_plan(struct mh_store *base, enum mh_store_plan_of which, const struct mh_article_query *q,
				struct mh_buf *out)
{
	struct sq *s = SQ(base);
	static const enum stmt_id fixed[] = {
		[MH_STORE_PLAN_JOBS_BY_STATE] = ST_JOBS_STATE, [MH_STORE_PLAN_JOB_CLAIM] = ST_JOB_CLAIM,
		[MH_STORE_PLAN_JOBS_PRUNE] = ST_JOBS_PRUNE,    [MH_STORE_PLAN_CHANGE_LAST] = ST_CHANGE_LAST,
		[MH_STORE_PLAN_CHANGES_SINCE] = ST_CHANGES_SINCE, [MH_STORE_PLAN_CHANGES_PRUNE] = ST_CHANGES_PRUNE,
	};
	/* the very statement the store runs, planned as it is */
	sqlite3_stmt *st = which == MH_STORE_PLAN_ARTICLES ? query_stmt(s, mh_store_query_flags(q), false)
							   : stmt(s, fixed[which], NULL);
	if (st == NULL)
		return MH_ERROR;
	struct mh_buf sql = MH_BUF_INIT;
	mh_buf_printf(&sql, "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
	sqlite3_stmt *ex = NULL;
	int r = sqlite3_prepare_v2(s->db, mh_buf_cstr(&sql), -1, &ex, NULL);
	mh_buf_free(&sql);
	if (r != SQLITE_OK)
		return fail(s, r, NULL, NULL, NULL);
	if (q != NULL)
		bind_query(ex, q);
	while ((r = sqlite3_step(ex)) == SQLITE_ROW)
		mh_buf_printf(out, "%s\n", (const char *)sqlite3_column_text(ex, 3));
	enum mh_store_rc rc = r == SQLITE_DONE ? MH_OK : fail(s, r, NULL, NULL, NULL);
	sqlite3_finalize(ex);
	return rc;
}

/* ---- operations: backup and integrity (backup.c) ---- */

static bool pragma(sqlite3 *db, const char *sql, const char *want, struct mh_buf *err, const char *path);

static enum mh_store_rc sq_backup(struct mh_store *base, const char *path, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	if (s->in_tx) {
		mh_store_set_err(err, "backup: not inside a transaction");
		return MH_INVALID;
	}
	if (access(path, F_OK) == 0) {
		mh_store_set_err(err, "backup: %s already exists", path);
		return MH_CONFLICT;
	}
	sqlite3 *dst = NULL;
	int r = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		mh_store_set_err(err, "backup: %s: %s", path, dst != NULL ? sqlite3_errmsg(dst) : sqlite3_errstr(r));
		sqlite3_close_v2(dst);
		return MH_ERROR;
	}
	/* All pages in one step: one read transaction on the source, so the
	 * copy is one snapshot (in WAL mode writers are not held up by it). A
	 * step in parts would restart whenever another connection writes. */
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
	enum mh_store_rc rc = MH_OK;
	if (b == NULL) {
		mh_store_set_err(err, "backup: %s", sqlite3_errmsg(dst));
		rc = MH_ERROR;
	} else {
		int tries = 0;
		do {
			r = sqlite3_backup_step(b, -1);
			if (r == SQLITE_BUSY || r == SQLITE_LOCKED)
				sqlite3_sleep(50);
		} while ((r == SQLITE_BUSY || r == SQLITE_LOCKED) && ++tries < 200);
		int fin = sqlite3_backup_finish(b);
		if (r != SQLITE_DONE || fin != SQLITE_OK) {
			mh_store_set_err(err, "backup: %s", sqlite3_errstr(r != SQLITE_DONE ? r : fin));
			rc = (r & 0xff) == SQLITE_BUSY || (r & 0xff) == SQLITE_LOCKED ? MH_UNAVAILABLE : MH_ERROR;
		}
	}
	/* the copy as one self-contained file: no -wal beside it */
	if (rc == MH_OK && !pragma(dst, "PRAGMA journal_mode=DELETE", "delete", err, path))
		rc = MH_ERROR;
	if (sqlite3_close(dst) != SQLITE_OK && rc == MH_OK) {
		mh_store_set_err(err, "backup: closing %s failed", path);
		rc = MH_ERROR;
	}
	if (rc != MH_OK)
		unlink(path);
	return rc;
}

static enum mh_store_rc sq_check(struct mh_store *base, struct mh_buf *err)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = NULL;
	int r = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check(20)", -1, &st, NULL);
	if (r != SQLITE_OK)
		return fail(s, r, err, NULL, NULL);
	struct mh_buf found = MH_BUF_INIT;
	bool ok = false;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (v != NULL && strcmp(v, "ok") == 0) {
			ok = true;
			continue;
		}
		if (found.len > 0)
			mh_buf_append_c(&found, "; ");
		mh_buf_append_c(&found, v != NULL ? v : "?");
	}
	enum mh_store_rc rc = MH_OK;
	if (r != SQLITE_DONE)
		rc = fail(s, r, err, NULL, NULL);
	else if (!ok || found.len > 0) {
		mh_store_set_err(err, "integrity check failed: %s", mh_buf_cstr(&found));
		rc = MH_ERROR;
	}
	sqlite3_finalize(st);
	mh_buf_free(&found);
	return rc;
}

static const struct mh_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.migrate = sq_migrate,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.bulk_load = sq_bulk_load,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.sections = sq_sections,
	.section_by_slug = sq_section_by_slug,
	.section_save = sq_section_save,
	.authors = sq_authors,
	.author_by_slug = sq_author_by_slug,
	.author_save = sq_author_save,
	.tag_by_slug = sq_tag_by_slug,
	.tag_ensure = sq_tag_ensure,
	.articles = sq_articles,
	.articles_count = sq_articles_count,
	.article_by_slug = sq_article_by_slug,
	.article_by_id = sq_article_by_id,
	.article_save = sq_article_save,
	.article_set_views = sq_article_set_views,
	.article_lock = sq_article_lock,
	.change_add = sq_change_add,
	.change_last = sq_change_last,
	.changes_since = sq_changes_since,
	.changes_prune = sq_changes_prune,
	.changes_wait = sq_changes_wait,
	.job_add = sq_job_add,
	.job_claim = sq_job_claim,
	.job_done = sq_job_done,
	.job_fail = sq_job_fail,
	.jobs = sq_jobs,
	.job_retry = sq_job_retry,
	.jobs_prune = sq_jobs_prune,
	.count = sq_count,
	.plan = sq_plan,
	.raw_exec = sq_raw_exec,
	.raw_rows = sq_raw_rows,
	.raw_insert = sq_raw_insert,
	.backup = sq_backup,
	.check = sq_check,
};

/* Runs a pragma; when want is not NULL its one-row answer must equal it. */
static bool pragma(sqlite3 *db, const char *sql, const char *want, struct mh_buf *err, const char *path)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && want != NULL) {
			const char *got = (const char *)sqlite3_column_text(st, 0);
			if (got == NULL || strcmp(got, want) != 0) {
				mh_store_set_err(err, "database %s: %s answered '%s', expected '%s'", path, sql,
						 got != NULL ? got : "", want);
				sqlite3_finalize(st);
				return false;
			}
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		mh_store_set_err(err, "database %s: %s", path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_OK;
}

/* Process-wide, before the first connection: no allocation statistics
 * (SQLite keeps them under a global mutex taken by every malloc — 5% of a
 * page render with two worker threads; nothing here reads them). */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_start(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

enum mh_store_rc mh_store_sqlite_open(const char *path, bool create, struct mh_store **out, struct mh_buf *err)
{
	*out = NULL;
	bool memory = strcmp(path, ":memory:") == 0;
	if (!create && !memory && access(path, F_OK) != 0) {
		mh_store_set_err(err, "database %s: %s", path, strerror(errno));
		return MH_NOT_FOUND;
	}
	pthread_once(&sqlite_once, sqlite_start);
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
		    (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		mh_store_set_err(err, "database %s: %s", path, db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return (rc & 0xff) == SQLITE_BUSY ? MH_UNAVAILABLE : MH_ERROR;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	if (!pragma(db, "PRAGMA journal_mode=WAL", memory ? "memory" : "wal", err, path) ||
	    !pragma(db, "PRAGMA synchronous=FULL", NULL, err, path) ||
	    !pragma(db, "PRAGMA foreign_keys=ON", NULL, err, path)) {
		sqlite3_close_v2(db);
		return MH_ERROR;
	}
	struct sq *s = calloc(1, sizeof(*s));
	MH_ASSERT(s != NULL);
	s->base.ops = &sqlite_ops;
	s->db = db;
	*out = &s->base;
	return MH_OK;
}
