/*
 * postgres.c: the PostgreSQL backend of store.h, through libpq. Same
 * semantics and error codes as sqlite.c, operation by operation.
 *
 * Connections: one per struct mh_store (a store is NOT thread-safe; the
 * server opens one per worker thread, and the change-log watcher one more,
 * which LISTENs). Statements are prepared once per connection (PQprepare)
 * and run with PQexecPrepared; text parameters go in binary format with
 * their length, so no string needs a NUL terminator or escaping.
 *
 * A lost connection (server restarted, network cut) makes the op that saw it
 * return MH_UNAVAILABLE at once; the next ops reconnect, no more often than a
 * backoff schedule (100 ms doubling to 5 s; in between they answer
 * MH_UNAVAILABLE without waiting), with a short connect_timeout so a request
 * is never held long. An explicit transaction that lost its connection
 * answers MH_UNAVAILABLE until it is rolled back (or its commit fails).
 *
 * PostgreSQL aborts a whole transaction on any failed statement, where
 * SQLite fails the statement only: so inside an explicit transaction every
 * write runs in a savepoint, and a failed write undoes itself only, as on
 * SQLite.
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

#define ART_COLS MH_STORE_ART_COLS
#define ART_BODY MH_STORE_ART_BODY
#define ART_FROM MH_STORE_ART_FROM
#define JOB_COLS MH_STORE_JOB_COLS

/* Advisory lock key for migrations: "mhmigrat" as a number, arbitrary but fixed. */
#define MIGRATION_LOCK 0x6d686d6967726174LL
#define CHANNEL "masthead_changes"

enum stmt_id {
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
	ST_ART_LOCK,
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
	[ST_MIG_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	[ST_MIG_RECORD] = "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)",
	[ST_SECTIONS] = "SELECT " MH_STORE_SECTION_COLS " FROM sections ORDER BY position, id",
	[ST_SECTION_BY_SLUG] = "SELECT " MH_STORE_SECTION_COLS " FROM sections WHERE slug = $1",
	[ST_SECTION_INSERT] = "INSERT INTO sections(slug, name, description, position, kind)"
			      " VALUES ($1, $2, $3, $4, $5) RETURNING id",
	[ST_SECTION_UPDATE] = "UPDATE sections SET slug = $1, name = $2, description = $3, position = $4,"
			      " kind = $5 WHERE id = $6",
	[ST_AUTHORS] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors ORDER BY name, id",
	[ST_AUTHOR_BY_SLUG] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors WHERE slug = $1",
	[ST_AUTHOR_INSERT] = "INSERT INTO authors(slug, name, bio, avatar_url) VALUES ($1, $2, $3, $4) RETURNING id",
	[ST_AUTHOR_UPDATE] = "UPDATE authors SET slug = $1, name = $2, bio = $3, avatar_url = $4 WHERE id = $5",
	[ST_TAG_BY_SLUG] = "SELECT " MH_STORE_TAG_COLS " FROM tags WHERE slug = $1",
	[ST_TAG_INSERT] = "INSERT INTO tags(slug, name) VALUES ($1, $2) RETURNING id",
	[ST_ART_BY_SLUG] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.slug = $1",
	[ST_ART_BY_ID] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.id = $1",
	[ST_ART_OLD] = "SELECT created_at, was_published FROM articles WHERE id = $1",
	[ST_ART_INSERT] = "INSERT INTO articles(slug, headline, dek, body_md, body_html, lead_html, section_id,"
			  " image_url, image_alt, via_name, via_url, staff_pick, status, published_at,"
			  " updated_at, created_at, was_published, views)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
			  " RETURNING id",
	[ST_ART_UPDATE] = "UPDATE articles SET slug = $1, headline = $2, dek = $3, body_md = $4, body_html = $5,"
			  " lead_html = $6, section_id = $7, image_url = $8, image_alt = $9, via_name = $10,"
			  " via_url = $11, staff_pick = $12, status = $13, published_at = $14, updated_at = $15,"
			  " created_at = $16, was_published = $17, views = $18 WHERE id = $19 RETURNING id",
	[ST_ART_DEL_AUTHORS] = "DELETE FROM article_authors WHERE article_id = $1",
	[ST_ART_DEL_TAGS] = "DELETE FROM article_tags WHERE article_id = $1",
	[ST_ART_ADD_AUTHOR] = "INSERT INTO article_authors(article_id, author_id, position) VALUES ($1, $2, $3)",
	[ST_ART_ADD_TAG] = "INSERT INTO article_tags(article_id, tag_id) VALUES ($1, $2)",
	/* A whole list page's authors and tags in one query each: the ids come
	 * as one array literal, so the statement is the same for any page size. */
	[ST_BATCH_AUTHORS] = "SELECT " MH_STORE_BATCH_AUTHOR_COLS
			     " FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
			     " WHERE aa.article_id = ANY ($1::bigint[])"
			     " ORDER BY aa.article_id, aa.position",
	[ST_BATCH_TAGS] = "SELECT " MH_STORE_BATCH_TAG_COLS
			  " FROM article_tags at JOIN tags t ON t.id = at.tag_id"
			  " WHERE at.article_id = ANY ($1::bigint[])"
			  " ORDER BY at.article_id, t.name COLLATE \"C\", t.id",
	[ST_SET_VIEWS] = "UPDATE articles SET views = $2 WHERE id = $1",
	[ST_ART_LOCK] = "SELECT id FROM articles WHERE id = $1 FOR UPDATE",
	/* The log entry and the wake-up of every node's watcher, in the
	 * caller's transaction: NOTIFY is delivered only when it commits. */
	[ST_CHANGE_ADD] = "WITH c AS (INSERT INTO changes(keys, created_at) VALUES ($1, $2) RETURNING id)"
			  " SELECT pg_notify('" CHANNEL "', ''), (SELECT id FROM c)",
	[ST_CHANGE_LAST] = "SELECT coalesce(max(id), 0) FROM changes",
	[ST_CHANGES_SINCE] = "SELECT " MH_STORE_CHANGE_COLS " FROM changes WHERE id > $1 ORDER BY id LIMIT $2",
	[ST_CHANGES_PRUNE] = "DELETE FROM changes WHERE created_at < $1",
	[ST_JOB_REQUEUE] = "UPDATE jobs SET payload = $2, run_at = $3, state = 'queued', attempts = 0, owner = '',"
			   " lease_until = 0, updated_at = $4"
			   " WHERE dedupe = $1 AND state IN ('queued', 'running') RETURNING id",
	[ST_JOB_INSERT] = "INSERT INTO jobs(kind, payload, run_at, dedupe, created_at, updated_at)"
			  " VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
	/* Claimers on other connections skip the row one of them has locked,
	 * so each due job goes to exactly one of them without waiting. */
	[ST_JOB_CLAIM] = "UPDATE jobs SET state = 'running', owner = $1, lease_until = $2, attempts = attempts + 1,"
			 " updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3)"
			 " OR (state = 'running' AND lease_until < $3) ORDER BY run_at, id LIMIT 1"
			 " FOR UPDATE SKIP LOCKED)"
			 " RETURNING " JOB_COLS,
	[ST_JOB_DONE] = "UPDATE jobs SET state = 'done', owner = '', lease_until = 0, updated_at = $3"
			" WHERE id = $1 AND owner = $2 AND state = 'running'",
	[ST_JOB_FAIL] = "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'parked' ELSE 'queued' END,"
			" run_at = $4, last_error = $3, owner = '', lease_until = 0, updated_at = $5"
			" WHERE id = $1 AND owner = $2 AND state = 'running'",
	[ST_JOBS_ALL] = "SELECT " JOB_COLS " FROM jobs ORDER BY id DESC LIMIT $1",
	[ST_JOBS_STATE] = "SELECT " JOB_COLS " FROM jobs WHERE state = $2 ORDER BY id DESC LIMIT $1",
	[ST_JOB_RETRY] = "UPDATE jobs SET state = 'queued', run_at = $2, attempts = 0, owner = '', lease_until = 0,"
			 " updated_at = $2 WHERE id = $1 AND state IN ('parked', 'queued')",
	[ST_JOBS_PRUNE] = "DELETE FROM jobs WHERE state = 'done' AND updated_at < $1",
};

#define LQ_NPARAMS MH_STORE_LIST_NPARAMS

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct pg {
	struct mh_store base;
	PGconn *conn;
	char *url;
	bool in_tx;
	bool tx_lost;   /* the explicit transaction died with its connection */
	bool listening; /* LISTEN issued on this connection */
	int backoff_ms;
	int64_t next_try_ms; /* no reconnection before then (monotonic ms) */
	bool prepared[ST__COUNT];
	uint8_t lists[LQ__VARIANTS]; /* bit 0: list prepared, bit 1: count prepared */
};

static struct pg *PG(struct mh_store *s)
{
	return (struct pg *)s;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- connection ---- */

static void drop_conn(struct pg *s)
{
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	memset(s->prepared, 0, sizeof(s->prepared));
	memset(s->lists, 0, sizeof(s->lists));
	s->listening = false;
	if (s->in_tx) {
		s->in_tx = false;
		s->tx_lost = true;
	}
}

static void quiet_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Opens a connection; on failure err says why (without the password). */
static PGconn *connect_url(const char *url, struct mh_buf *err)
{
	/* A short connect_timeout keeps a request from hanging on a dead server;
	 * the URL's own setting wins. */
	const char *keys[4] = { "dbname", NULL, NULL, NULL };
	const char *vals[4] = { url, NULL, NULL, NULL };
	int k = 1;
	if (strstr(url, "connect_timeout=") == NULL) {
		keys[k] = "connect_timeout";
		vals[k++] = "2";
	}
	if (strstr(url, "application_name=") == NULL) {
		keys[k] = "application_name";
		vals[k++] = "masthead";
	}
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	MH_ASSERT(c != NULL);
	if (PQstatus(c) != CONNECTION_OK) {
		const char *m = PQerrorMessage(c);
		size_t n = strlen(m);
		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		mh_store_set_err(err, "database %s@%s:%s/%s: cannot connect: %.*s", PQuser(c), PQhost(c), PQport(c),
				 PQdb(c), (int)n, m);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet_notices, NULL);
	/* Times are plain integers, text compares byte by byte like SQLite. */
	PGresult *r = PQexec(c, "SET client_encoding = 'UTF8'; SET lock_timeout = '5s'");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		mh_store_set_err(err, "database: cannot set up the session: %s", PQerrorMessage(c));
	PQclear(r);
	if (!ok) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Makes sure there is a live connection, reconnecting within the backoff
 * schedule. MH_UNAVAILABLE when there is none. */
static enum mh_store_rc ensure(struct pg *s, struct mh_buf *err)
{
	if (s->tx_lost) {
		mh_store_set_err(err, "database connection lost inside a transaction (roll it back)");
		return MH_UNAVAILABLE;
	}
	if (s->conn != NULL)
		return MH_OK;
	int64_t now = mono_ms();
	if (now < s->next_try_ms) {
		mh_store_set_err(err, "database is unavailable (reconnecting)");
		return MH_UNAVAILABLE;
	}
	s->conn = connect_url(s->url, err);
	if (s->conn == NULL) {
		s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_MIN_MS
				: s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
								      : s->backoff_ms * 2;
		s->next_try_ms = mono_ms() + s->backoff_ms;
		return MH_UNAVAILABLE;
	}
	s->backoff_ms = 0;
	s->next_try_ms = 0;
	return MH_OK;
}

/* ---- errors ---- */

static bool conn_broken(struct pg *s, const char *state)
{
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return true;
	/* 08: connection exception; 57P01-03: the server is shutting down */
	return state != NULL && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0);
}

/* Maps a failed result (res may be NULL: nothing came back) to the store's
 * codes, like sqlite.c's fail(). value names what was being written; fk says
 * what a foreign key failure means in this statement. */
static enum mh_store_rc fail(struct pg *s, PGresult *res, struct mh_buf *err, const char *value, const char *fk)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL)
		msg = s->conn != NULL ? PQerrorMessage(s->conn) : "no connection";
	if (conn_broken(s, state)) {
		enum mh_store_rc rc = mh_store_db_fail(err, MH_DB_LOST, msg, value, fk);
		drop_conn(s);
		return rc;
	}
	if (state == NULL)
		state = "";
	if (strcmp(state, "23505") == 0) {
		/* detail: "Key (slug)=(taken) already exists." -> "slug" */
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		char field[64] = "";
		const char *p = detail != NULL ? strstr(detail, "Key (") : NULL;
		if (p != NULL) {
			p += 5;
			const char *e = strchr(p, ')');
			if (e != NULL && (size_t)(e - p) < sizeof(field)) {
				memcpy(field, p, (size_t)(e - p));
				field[e - p] = '\0';
			}
		}
		return mh_store_db_fail(err, MH_DB_UNIQUE, field, value, fk);
	}
	if (strcmp(state, "23503") == 0)
		return mh_store_db_fail(err, MH_DB_FOREIGN_KEY, msg, value, fk);
	if (strncmp(state, "23", 2) == 0 || strcmp(state, "22021") == 0 || strcmp(state, "22P05") == 0)
		return mh_store_db_fail(err, MH_DB_REJECTED, msg, value, fk);
	/* lock timeout, deadlock, serialization, statement timeout, too many
	 * connections, out of resources: try again later */
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "57014") == 0 || strncmp(state, "53", 2) == 0)
		return mh_store_db_fail(err, MH_DB_BUSY, msg, value, fk);
	return mh_store_db_fail(err, MH_DB_OTHER, msg, value, fk);
}

/* ---- parameters ---- */

#define MAX_PARAMS 20

struct params {
	int n;
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	char num[MAX_PARAMS][24];
};

/* Text goes in binary format: the bytes and their length, nothing else. */
static void p_strn(struct params *p, const char *v, size_t n)
{
	MH_ASSERT(p->n < MAX_PARAMS);
	p->v[p->n] = v != NULL ? v : "";
	p->len[p->n] = v != NULL ? (int)n : 0;
	p->fmt[p->n] = 1;
	p->n++;
}

static void p_text(struct params *p, const char *v)
{
	p_strn(p, v, v != NULL ? strlen(v) : 0);
}

static void p_str(struct params *p, struct mh_str v)
{
	p_strn(p, v.ptr, v.len);
}

static void p_int(struct params *p, int64_t v)
{
	MH_ASSERT(p->n < MAX_PARAMS);
	snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRId64, v);
	p->v[p->n] = p->num[p->n];
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_bool(struct params *p, bool v)
{
	MH_ASSERT(p->n < MAX_PARAMS);
	p->v[p->n] = v ? "true" : "false";
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_null(struct params *p)
{
	MH_ASSERT(p->n < MAX_PARAMS);
	p->v[p->n] = NULL;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

/* ---- running statements ---- */

static bool res_ok(PGresult *r)
{
	ExecStatusType t = PQresultStatus(r);
	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* Prepares name/sql on this connection once. */
static enum mh_store_rc prepare(struct pg *s, const char *name, const char *sql, int nparams, const Oid *types,
				struct mh_buf *err)
{
	PGresult *r = PQprepare(s->conn, name, sql, nparams, types);
	enum mh_store_rc rc = MH_OK;
	if (!res_ok(r))
		rc = fail(s, r, err, NULL, NULL);
	PQclear(r);
	return rc;
}

/* Runs a prepared statement; *out is the result on MH_OK (caller clears). */
static enum mh_store_rc exec_named(struct pg *s, const char *name, const struct params *p, PGresult **out,
				   struct mh_buf *err, const char *value, const char *fk)
{
	*out = NULL;
	PGresult *r = PQexecPrepared(s->conn, name, p != NULL ? p->n : 0, p != NULL ? p->v : NULL,
				     p != NULL ? p->len : NULL, p != NULL ? p->fmt : NULL, 0);
	if (!res_ok(r)) {
		enum mh_store_rc rc = fail(s, r, err, value, fk);
		PQclear(r);
		return rc;
	}
	*out = r;
	return MH_OK;
}

static enum mh_store_rc exec_st_once(struct pg *s, enum stmt_id id, const struct params *p, PGresult **out,
				     struct mh_buf *err, const char *value, const char *fk)
{
	*out = NULL;
	enum mh_store_rc rc = ensure(s, err);
	if (rc != MH_OK)
		return rc;
	char name[16];
	snprintf(name, sizeof(name), "s%d", (int)id);
	if (!s->prepared[id]) {
		if ((rc = prepare(s, name, stmt_sql[id], 0, NULL, err)) != MH_OK)
			return rc;
		s->prepared[id] = true;
	}
	return exec_named(s, name, p, out, err, value, fk);
}

/* A read outside a transaction that finds its connection dead (the server
 * restarted, an idle connection was cut) reconnects at once and runs again:
 * the server being up, the reader gets its page instead of a 503. Writes are
 * never repeated: one cut off may or may not have been applied. */
static bool retry_read(struct pg *s, bool had_conn, bool in_tx, enum mh_store_rc rc, bool is_read)
{
	return rc == MH_UNAVAILABLE && had_conn && !in_tx && is_read && s->conn == NULL && !s->tx_lost;
}

static enum mh_store_rc exec_st(struct pg *s, enum stmt_id id, const struct params *p, PGresult **out,
				struct mh_buf *err, const char *value, const char *fk)
{
	bool had_conn = s->conn != NULL, in_tx = s->in_tx;
	enum mh_store_rc rc = exec_st_once(s, id, p, out, err, value, fk);
	if (retry_read(s, had_conn, in_tx, rc, strncmp(stmt_sql[id], "SELECT", 6) == 0)) {
		s->next_try_ms = 0;
		rc = exec_st_once(s, id, p, out, err, value, fk);
	}
	return rc;
}

/* Runs one plain command (transaction control). */
static enum mh_store_rc command(struct pg *s, const char *sql, struct mh_buf *err)
{
	enum mh_store_rc rc = ensure(s, err);
	if (rc != MH_OK)
		return rc;
	PGresult *r = PQexec(s->conn, sql);
	rc = MH_OK;
	if (!res_ok(r))
		rc = fail(s, r, err, NULL, NULL);
	PQclear(r);
	return rc;
}

static int64_t get_i64(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static bool get_bool(PGresult *r, int row, int col)
{
	const char *v = PQgetvalue(r, row, col);
	return v[0] == 't' || v[0] == '1';
}

static const char *get_str(struct mh_arena *a, PGresult *r, int row, int col)
{
	return mh_arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

static int64_t affected(PGresult *r)
{
	const char *t = PQcmdTuples(r);
	return t[0] != '\0' ? strtoll(t, NULL, 10) : 0;
}

/* ---- transactions ---- */

/* A write of several statements (multi) or of one: its own transaction
 * (one statement needs none), or a savepoint inside the caller's explicit
 * transaction, so one failed write does not undo or poison the batch. */
static enum mh_store_rc write_begin(struct pg *s, bool multi, struct mh_buf *err)
{
	if (s->in_tx)
		return command(s, "SAVEPOINT mh_save", err);
	if (multi)
		return command(s, "BEGIN", err);
	return ensure(s, err);
}

static enum mh_store_rc write_end(struct pg *s, bool multi, enum mh_store_rc rc, struct mh_buf *err)
{
	if (s->conn == NULL)
		return rc == MH_OK ? MH_UNAVAILABLE : rc;
	if (rc == MH_OK) {
		if (s->in_tx)
			rc = command(s, "RELEASE mh_save", err);
		else if (multi)
			rc = command(s, "COMMIT", err);
		if (rc == MH_OK)
			return MH_OK;
		if (s->conn == NULL)
			return rc;
	}
	if (s->in_tx) {
		command(s, "ROLLBACK TO mh_save", NULL);
		command(s, "RELEASE mh_save", NULL);
	} else if (multi && PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
		command(s, "ROLLBACK", NULL);
	}
	return rc;
}

/* One statement as a write: savepoint'd inside an explicit transaction. */
static enum mh_store_rc write_one(struct pg *s, enum stmt_id id, const struct params *p, PGresult **out,
				  struct mh_buf *err, const char *value, const char *fk)
{
	*out = NULL;
	enum mh_store_rc rc = write_begin(s, false, err);
	if (rc != MH_OK)
		return rc;
	rc = exec_st(s, id, p, out, err, value, fk);
	rc = write_end(s, false, rc, err);
	if (rc != MH_OK && *out != NULL) {
		PQclear(*out);
		*out = NULL;
	}
	return rc;
}

static enum mh_store_rc pg_begin(struct mh_store *base)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = command(s, "BEGIN", NULL);
	if (rc == MH_OK)
		s->in_tx = true;
	return rc;
}

static enum mh_store_rc pg_commit(struct mh_store *base)
{
	struct pg *s = PG(base);
	if (s->tx_lost) {
		s->tx_lost = false;
		return MH_UNAVAILABLE;
	}
	PGresult *r = PQexec(s->conn, "COMMIT");
	enum mh_store_rc rc = MH_OK;
	if (!res_ok(r))
		rc = fail(s, r, NULL, NULL, NULL);
	else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
		rc = MH_ERROR; /* the transaction had failed: COMMIT rolled it back */
	PQclear(r);
	s->in_tx = false;
	s->tx_lost = false;
	return rc;
}

static void pg_rollback(struct mh_store *base)
{
	struct pg *s = PG(base);
	s->tx_lost = false;
	if (!s->in_tx)
		return;
	s->in_tx = false;
	if (s->conn != NULL)
		command(s, "ROLLBACK", NULL);
}

static enum mh_store_rc pg_bulk_load(struct mh_store *base, bool on)
{
	struct pg *s = PG(base);
	/* Commits return before their WAL is flushed; a crash of the server
	 * may lose the last ones, never corrupt anything. */
	return command(s, on ? "SET synchronous_commit = off" : "SET synchronous_commit = on", NULL);
}

/* ---- open, close, migrate ---- */

static void pg_close(struct mh_store *base)
{
	struct pg *s = PG(base);
	if (s->conn != NULL && s->in_tx) {
		PGresult *r = PQexec(s->conn, "ROLLBACK");
		PQclear(r);
	}
	if (s->conn != NULL)
		PQfinish(s->conn);
	free(s->url);
	free(s);
}

static enum mh_store_rc read_version(struct pg *s, int *version, struct mh_buf *err)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(s, ST_MIG_VERSION, NULL, &r, err, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	*version = (int)get_i64(r, 0, 0);
	PQclear(r);
	return MH_OK;
}

static bool pg_in_transaction(struct mh_store *base)
{
	struct pg *s = PG(base);
	return s->in_tx || s->tx_lost;
}

static enum mh_store_rc pg_write_begin(struct mh_store *base, struct mh_buf *err)
{
	return write_begin(PG(base), true, err);
}

static enum mh_store_rc pg_write_end(struct mh_store *base, enum mh_store_rc rc, struct mh_buf *err)
{
	return write_end(PG(base), true, rc, err);
}

/* A transaction holding the migration lock: two nodes starting at once
 * take turns (the schema table is created under it too). */
static enum mh_store_rc pg_migrate_lock(struct mh_store *base, struct mh_buf *err)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = command(s, "BEGIN", err);
	if (rc != MH_OK)
		return rc;
	char lock[96];
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)", (long long)MIGRATION_LOCK);
	if ((rc = command(s, lock, err)) != MH_OK)
		write_end(s, true, rc, NULL);
	return rc;
}

static const char *pg_migration_sql(const struct mh_store_migration *m)
{
	return m->postgres_sql;
}

static enum mh_store_rc pg_migration_version(struct mh_store *base, int *version, struct mh_buf *err)
{
	return read_version(PG(base), version, err);
}

static enum mh_store_rc pg_migration_record(struct mh_store *base, int version, int64_t now, struct mh_buf *err)
{
	struct params p = { 0 };
	p_int(&p, version);
	p_int(&p, now);
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(PG(base), ST_MIG_RECORD, &p, &r, err, NULL, NULL);
	PQclear(r);
	return rc;
}

/* ---- rows ---- */

struct pg_row {
	PGresult *r;
	int row;
};

static int64_t row_i64(void *ctx, int col)
{
	struct pg_row *x = ctx;
	return get_i64(x->r, x->row, col);
}

static bool row_flag(void *ctx, int col)
{
	struct pg_row *x = ctx;
	return get_bool(x->r, x->row, col);
}

static const char *row_str(void *ctx, struct mh_arena *a, int col)
{
	struct pg_row *x = ctx;
	return get_str(a, x->r, x->row, col);
}

static const char *row_peek(void *ctx, int col)
{
	struct pg_row *x = ctx;
	return PQgetvalue(x->r, x->row, col);
}

static struct mh_store_row row_of(struct pg_row *x)
{
	return (struct mh_store_row){ x, row_i64, row_flag, row_str, row_peek };
}

/* ---- sections, authors, tags ---- */

/* Runs a query and decodes every row into an item of item_size bytes. */
static enum mh_store_rc collect(struct pg *s, enum stmt_id id, const struct params *p, struct mh_arena *a,
				size_t item_size, mh_store_decode_fn *fn, void **out, size_t *n)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(s, id, p, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	int rows = PQntuples(r);
	char *arr = mh_arena_alloc(a, rows > 0 ? (size_t)rows * item_size : 1);
	memset(arr, 0, rows > 0 ? (size_t)rows * item_size : 1);
	struct pg_row x = { r, 0 };
	struct mh_store_row row = row_of(&x);
	for (x.row = 0; x.row < rows; x.row++)
		fn(&row, a, arr + (size_t)x.row * item_size);
	PQclear(r);
	*out = arr;
	*n = (size_t)rows;
	return MH_OK;
}

static enum mh_store_rc pg_sections(struct mh_store *base, struct mh_arena *a, struct mh_section **out, size_t *n)
{
	return collect(PG(base), ST_SECTIONS, NULL, a, sizeof(struct mh_section), mh_store_item_section, (void **)out,
		       n);
}

static enum mh_store_rc pg_authors(struct mh_store *base, struct mh_arena *a, struct mh_author **out, size_t *n)
{
	return collect(PG(base), ST_AUTHORS, NULL, a, sizeof(struct mh_author), mh_store_item_author, (void **)out, n);
}

static enum mh_store_rc one_by_slug(struct pg *s, enum stmt_id id, struct mh_arena *a, struct mh_str slug,
				    size_t item_size, mh_store_decode_fn *fn, void **out)
{
	struct params p = { 0 };
	p_str(&p, slug);
	void *arr = NULL;
	size_t n = 0;
	enum mh_store_rc rc = collect(s, id, &p, a, item_size, fn, &arr, &n);
	if (rc != MH_OK)
		return rc;
	if (n == 0)
		return MH_NOT_FOUND;
	*out = arr;
	return MH_OK;
}

static enum mh_store_rc pg_section_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
					   struct mh_section **out)
{
	return one_by_slug(PG(base), ST_SECTION_BY_SLUG, a, slug, sizeof(struct mh_section), mh_store_item_section,
			   (void **)out);
}

static enum mh_store_rc pg_author_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
					  struct mh_author **out)
{
	return one_by_slug(PG(base), ST_AUTHOR_BY_SLUG, a, slug, sizeof(struct mh_author), mh_store_item_author,
			   (void **)out);
}

static enum mh_store_rc pg_tag_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
				       struct mh_tag **out)
{
	return one_by_slug(PG(base), ST_TAG_BY_SLUG, a, slug, sizeof(struct mh_tag), mh_store_item_tag, (void **)out);
}

/* An INSERT ... RETURNING id (*id 0: sets it) or an UPDATE of row *id
 * (appended last); one statement, so write_one. */
static enum mh_store_rc save_simple(struct pg *s, enum stmt_id ins, enum stmt_id upd, struct params *p,
				    int64_t *id, const char *slug, struct mh_buf *err)
{
	if (*id != 0)
		p_int(p, *id);
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(s, *id == 0 ? ins : upd, p, &r, err, slug, NULL);
	if (rc != MH_OK)
		return rc;
	if (*id == 0)
		*id = get_i64(r, 0, 0);
	else if (affected(r) == 0)
		rc = MH_NOT_FOUND;
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_section_write(struct mh_store *base, const struct mh_section *sec, int64_t *id,
					 struct mh_buf *err)
{
	struct params p = { 0 };
	p_text(&p, sec->slug);
	p_text(&p, sec->name);
	p_text(&p, sec->description);
	p_int(&p, sec->position);
	p_text(&p, mh_store_section_kind_name(sec->kind));
	return save_simple(PG(base), ST_SECTION_INSERT, ST_SECTION_UPDATE, &p, id, sec->slug, err);
}

static enum mh_store_rc pg_author_write(struct mh_store *base, const struct mh_author *au, int64_t *id,
					struct mh_buf *err)
{
	struct params p = { 0 };
	p_text(&p, au->slug);
	p_text(&p, au->name);
	p_text(&p, au->bio);
	p_text(&p, au->avatar_url);
	return save_simple(PG(base), ST_AUTHOR_INSERT, ST_AUTHOR_UPDATE, &p, id, au->slug, err);
}

static enum mh_store_rc pg_tag_insert(struct mh_store *base, const char *slug, const char *name, int64_t *id,
				      struct mh_buf *err)
{
	struct params p = { 0 };
	p_text(&p, slug);
	p_text(&p, name);
	*id = 0;
	return save_simple(PG(base), ST_TAG_INSERT, ST_TAG_INSERT, &p, id, slug, err);
}

/* ---- articles: reading ---- */

/* Fills authors and tags of arts[0..n) with one query each; rows come
 * grouped by article id (mh_store_relfill_* match them to the articles). */
static enum mh_store_rc fill_relations(struct pg *s, struct mh_arena *a, struct mh_article *arts, size_t n)
{
	if (n == 0)
		return MH_OK;
	struct mh_buf ids = MH_BUF_INIT;
	struct mh_store_article_index index;
	mh_store_index_init(&index, arts, n, &ids, '{', '}');
	enum mh_store_rc rc = MH_OK;
	for (int pass = 0; pass < 2 && rc == MH_OK; pass++) {
		struct params p = { 0 };
		p_int(&p, 0); /* placeholder: replaced by the array literal in text format */
		p.v[0] = mh_buf_cstr(&ids);
		PGresult *r = NULL;
		rc = exec_st(s, pass == 0 ? ST_BATCH_AUTHORS : ST_BATCH_TAGS, &p, &r, NULL, NULL, NULL);
		if (rc != MH_OK)
			break;
		struct mh_store_relfill fill;
		mh_store_relfill_begin(&fill, &index, a, pass == 0);
		struct pg_row x = { r, 0 };
		struct mh_store_row row = row_of(&x);
		int rows = PQntuples(r);
		for (x.row = 0; x.row < rows; x.row++)
			mh_store_relfill_row(&fill, &row);
		mh_store_relfill_end(&fill);
		PQclear(r);
	}
	mh_store_index_free(&index);
	mh_buf_free(&ids);
	return rc;
}

/* Every list variant declares all its parameters as bigints (PQprepare), so
 * the ones a variant does not use are fine. */
static const struct mh_store_list_dialect pg_list = {
	.param = { "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11" },
	.any_status = "$1::bigint IS NOT NULL",
	.is_pick = "a.staff_pick",
};

void mh_store_postgres_list_sql(struct mh_buf *out, unsigned f, bool count)
{
	mh_store_list_sql(out, &pg_list, f, count);
}

/* The statements of a cold article page, for bench/pgmodels.c. */
const char *mh_store_postgres_page_sql(enum mh_store_pg_page_stmt which)
{
	switch (which) {
	case MH_STORE_PG_SECTIONS:
		return stmt_sql[ST_SECTIONS];
	case MH_STORE_PG_ARTICLE_BY_SLUG:
		return stmt_sql[ST_ART_BY_SLUG];
	case MH_STORE_PG_BATCH_AUTHORS:
		return stmt_sql[ST_BATCH_AUTHORS];
	case MH_STORE_PG_BATCH_TAGS:
		return stmt_sql[ST_BATCH_TAGS];
	}
	MH_ASSERT(!"unknown page statement");
	return NULL;
}

/* Prepares the list (or count) variant f; its name is written to name. */
static enum mh_store_rc query_stmt(struct pg *s, unsigned f, bool count, char name[16])
{
	snprintf(name, 16, "%c%u", count ? 'c' : 'l', f);
	uint8_t bit = count ? 2 : 1;
	if (s->lists[f] & bit)
		return MH_OK;
	struct mh_buf sql = MH_BUF_INIT;
	mh_store_postgres_list_sql(&sql, f, count);
	Oid types[LQ_NPARAMS];
	for (int i = 0; i < LQ_NPARAMS; i++)
		types[i] = 20; /* int8 */
	enum mh_store_rc rc = prepare(s, name, mh_buf_cstr(&sql), LQ_NPARAMS, types, NULL);
	mh_buf_free(&sql);
	if (rc == MH_OK)
		s->lists[f] |= bit;
	return rc;
}

static void query_params(struct params *p, const struct mh_article_query *q)
{
	int64_t v[LQ_NPARAMS];
	mh_store_list_values(q, v);
	for (int i = 0; i < LQ_NPARAMS; i++)
		p_int(p, v[i]);
}

static enum mh_store_rc run_query_once(struct pg *s, const struct mh_article_query *q, unsigned f, bool count,
				       PGresult **r)
{
	enum mh_store_rc rc = ensure(s, NULL);
	if (rc != MH_OK)
		return rc;
	char name[16];
	if ((rc = query_stmt(s, f, count, name)) != MH_OK)
		return rc;
	struct params p = { 0 };
	query_params(&p, q);
	return exec_named(s, name, &p, r, NULL, NULL, NULL);
}

static enum mh_store_rc run_query(struct pg *s, const struct mh_article_query *q, unsigned f, bool count,
				  PGresult **r)
{
	bool had_conn = s->conn != NULL, in_tx = s->in_tx;
	enum mh_store_rc rc = run_query_once(s, q, f, count, r);
	if (retry_read(s, had_conn, in_tx, rc, true)) {
		s->next_try_ms = 0;
		rc = run_query_once(s, q, f, count, r);
	}
	return rc;
}

static enum mh_store_rc pg_articles(struct mh_store *base, struct mh_arena *a, const struct mh_article_query *q,
				    struct mh_article **out, size_t *n)
{
	struct pg *s = PG(base);
	unsigned f = mh_store_query_flags(q);
	PGresult *r = NULL;
	enum mh_store_rc rc = run_query(s, q, f, false, &r);
	if (rc != MH_OK)
		return rc;
	int rows = PQntuples(r);
	struct mh_article *arts = MH_NEW_ARRAY(a, struct mh_article, rows > 0 ? (size_t)rows : 1);
	struct pg_row x = { r, 0 };
	struct mh_store_row row = row_of(&x);
	for (x.row = 0; x.row < rows; x.row++)
		mh_store_row_article(&row, a, &arts[x.row], (f & LQ_BODY) != 0);
	PQclear(r);
	if ((rc = fill_relations(s, a, arts, (size_t)rows)) != MH_OK)
		return rc;
	*out = arts;
	*n = (size_t)rows;
	return MH_OK;
}

static enum mh_store_rc pg_articles_count(struct mh_store *base, const struct mh_article_query *q, int64_t *count)
{
	struct pg *s = PG(base);
	PGresult *r = NULL;
	enum mh_store_rc rc = run_query(s, q, mh_store_query_flags(q) & ~(unsigned)LQ_BODY, true, &r);
	if (rc != MH_OK)
		return rc;
	*count = get_i64(r, 0, 0);
	PQclear(r);
	return MH_OK;
}

static enum mh_store_rc one_article(struct pg *s, enum stmt_id id, const struct params *p, struct mh_arena *a,
				    struct mh_article **out)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(s, id, p, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return MH_NOT_FOUND;
	}
	struct mh_article *art = MH_NEW(a, struct mh_article);
	struct pg_row x = { r, 0 };
	struct mh_store_row row = row_of(&x);
	mh_store_row_article(&row, a, art, true);
	PQclear(r);
	if ((rc = fill_relations(s, a, art, 1)) == MH_OK)
		*out = art;
	return rc;
}

static enum mh_store_rc pg_article_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
					   struct mh_article **out)
{
	struct params p = { 0 };
	p_str(&p, slug);
	return one_article(PG(base), ST_ART_BY_SLUG, &p, a, out);
}

static enum mh_store_rc pg_article_by_id(struct mh_store *base, struct mh_arena *a, int64_t id,
					 struct mh_article **out)
{
	struct params p = { 0 };
	p_int(&p, id);
	return one_article(PG(base), ST_ART_BY_ID, &p, a, out);
}

/* ---- articles: writing (inside write_begin/write_end) ---- */

/* Runs a statement whose result is not wanted. */
static enum mh_store_rc exec_void(struct pg *s, enum stmt_id id, const struct params *p, struct mh_buf *err,
				  const char *value, const char *fk)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(s, id, p, &r, err, value, fk);
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_article_old(struct mh_store *base, int64_t id, int64_t *created_at, bool *ever_published,
				       struct mh_buf *err)
{
	struct params p = { 0 };
	p_int(&p, id);
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(PG(base), ST_ART_OLD, &p, &r, err, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	if (PQntuples(r) == 0) {
		rc = MH_NOT_FOUND;
	} else {
		*created_at = get_i64(r, 0, 0);
		*ever_published = get_bool(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_article_write(struct mh_store *base, const struct mh_article *art, int64_t *id,
					 const char *fk, struct mh_buf *err)
{
	struct params p = { 0 };
	p_text(&p, art->slug);
	p_text(&p, art->headline);
	p_text(&p, art->dek);
	p_text(&p, art->body_md);
	p_text(&p, art->body_html);
	p_text(&p, art->lead_html);
	p_int(&p, art->section_id);
	p_text(&p, art->image_url);
	p_text(&p, art->image_alt);
	p_text(&p, art->via_name);
	p_text(&p, art->via_url);
	p_bool(&p, art->staff_pick);
	p_text(&p, mh_article_status_name(art->status));
	p_int(&p, art->published_at);
	p_int(&p, art->updated_at);
	p_int(&p, art->created_at);
	p_bool(&p, art->was_published);
	p_int(&p, art->views);
	if (*id != 0)
		p_int(&p, *id);
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(PG(base), *id == 0 ? ST_ART_INSERT : ST_ART_UPDATE, &p, &r, err, art->slug, fk);
	if (rc != MH_OK)
		return rc;
	int64_t got = PQntuples(r) > 0 ? get_i64(r, 0, 0) : 0;
	PQclear(r);
	if (got == 0)
		return MH_NOT_FOUND;
	*id = got;
	return MH_OK;
}

static enum mh_store_rc pg_article_clear_joins(struct mh_store *base, int64_t id, struct mh_buf *err)
{
	enum mh_store_rc rc = MH_OK;
	for (int k = 0; k < 2 && rc == MH_OK; k++) {
		struct params p = { 0 };
		p_int(&p, id);
		rc = exec_void(PG(base), k == 0 ? ST_ART_DEL_AUTHORS : ST_ART_DEL_TAGS, &p, err, NULL, NULL);
	}
	return rc;
}

static enum mh_store_rc pg_article_add_author(struct mh_store *base, int64_t id, int64_t author_id, int position,
					      const char *fk, struct mh_buf *err)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_int(&p, author_id);
	p_int(&p, position);
	return exec_void(PG(base), ST_ART_ADD_AUTHOR, &p, err, NULL, fk);
}

static enum mh_store_rc pg_article_add_tag(struct mh_store *base, int64_t id, int64_t tag_id, const char *fk,
					   struct mh_buf *err)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_int(&p, tag_id);
	return exec_void(PG(base), ST_ART_ADD_TAG, &p, err, NULL, fk);
}

/* A one-statement write; *changed is how many rows it changed. */
static enum mh_store_rc write_changed(struct pg *s, enum stmt_id id, const struct params *p, int64_t *changed)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(s, id, p, &r, NULL, NULL, NULL);
	*changed = rc == MH_OK ? affected(r) : 0;
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_article_set_views(struct mh_store *base, int64_t id, int64_t views, int64_t *changed)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_int(&p, views);
	return write_changed(PG(base), ST_SET_VIEWS, &p, changed);
}

static enum mh_store_rc pg_article_lock(struct mh_store *base, int64_t id, int64_t *changed)
{
	struct params p = { 0 };
	p_int(&p, id);
	return write_changed(PG(base), ST_ART_LOCK, &p, changed);
}

static enum mh_store_rc pg_count(struct mh_store *base, const char *table, int64_t *n)
{
	struct pg *s = PG(base);
	char sql[96];
	/* table comes from store.c's whitelist, never from input. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	enum mh_store_rc rc = ensure(s, NULL);
	if (rc != MH_OK)
		return rc;
	PGresult *r = PQexecParams(s->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
	if (res_ok(r))
		*n = get_i64(r, 0, 0);
	else
		rc = fail(s, r, NULL, NULL, NULL);
	PQclear(r);
	return rc;
}

/* ---- the change log ---- */

static enum mh_store_rc pg_change_add(struct mh_store *base, struct mh_str keys, int64_t now)
{
	struct params p = { 0 };
	p_str(&p, keys);
	p_int(&p, now);
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(PG(base), ST_CHANGE_ADD, &p, &r, NULL, NULL, NULL);
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_change_last(struct mh_store *base, int64_t *id)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(PG(base), ST_CHANGE_LAST, NULL, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	*id = get_i64(r, 0, 0);
	PQclear(r);
	return MH_OK;
}

static enum mh_store_rc pg_changes_since(struct mh_store *base, struct mh_arena *a, int64_t after, size_t max,
					 struct mh_change **out, size_t *n)
{
	struct params p = { 0 };
	p_int(&p, after);
	p_int(&p, (int64_t)max);
	return collect(PG(base), ST_CHANGES_SINCE, &p, a, sizeof(struct mh_change), mh_store_item_change,
		       (void **)out, n);
}

static enum mh_store_rc pg_changes_prune(struct mh_store *base, int64_t before)
{
	struct params p = { 0 };
	p_int(&p, before);
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(PG(base), ST_CHANGES_PRUNE, &p, &r, NULL, NULL, NULL);
	PQclear(r);
	return rc;
}

/* Drains the notifications libpq has read; true when there was one. */
static bool drain_notifies(struct pg *s)
{
	bool any = false;
	PGnotify *n;
	while ((n = PQnotifies(s->conn)) != NULL) {
		any = true;
		PQfreemem(n);
	}
	return any;
}

static enum mh_store_rc pg_changes_wait(struct mh_store *base, int timeout_ms)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = ensure(s, NULL);
	if (rc != MH_OK) {
		/* do not spin while the server is away */
		struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		return rc;
	}
	if (!s->listening) {
		if ((rc = command(s, "LISTEN " CHANNEL, NULL)) != MH_OK)
			return rc;
		s->listening = true;
	}
	int64_t end = mono_ms() + timeout_ms;
	for (;;) {
		if (drain_notifies(s))
			return MH_OK;
		int64_t left = end - mono_ms();
		if (left <= 0)
			return MH_OK;
		struct pollfd pfd = { .fd = PQsocket(s->conn), .events = POLLIN };
		if (pfd.fd < 0) {
			drop_conn(s);
			return MH_UNAVAILABLE;
		}
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno != EINTR) {
			drop_conn(s);
			return MH_UNAVAILABLE;
		}
		if (n > 0 && (!PQconsumeInput(s->conn) || PQstatus(s->conn) != CONNECTION_OK)) {
			drop_conn(s);
			return MH_UNAVAILABLE;
		}
	}
}

/* ---- the job queue ---- */

static enum mh_store_rc pg_job_requeue(struct mh_store *base, const char *dedupe, struct mh_str payload,
				       int64_t run_at, int64_t now, int64_t *id)
{
	struct params p = { 0 };
	p_text(&p, dedupe);
	p_str(&p, payload);
	p_int(&p, run_at);
	p_int(&p, now);
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(PG(base), ST_JOB_REQUEUE, &p, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	*id = PQntuples(r) > 0 ? get_i64(r, 0, 0) : 0;
	PQclear(r);
	return MH_OK;
}

static enum mh_store_rc pg_job_insert(struct mh_store *base, const char *kind, struct mh_str payload, int64_t run_at,
				      const char *dedupe, int64_t now, int64_t *id)
{
	struct params p = { 0 };
	p_text(&p, kind);
	p_str(&p, payload);
	p_int(&p, run_at);
	if (dedupe != NULL)
		p_text(&p, dedupe);
	else
		p_null(&p);
	p_int(&p, now);
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(PG(base), ST_JOB_INSERT, &p, &r, NULL, dedupe, NULL);
	if (rc != MH_OK)
		return rc;
	*id = get_i64(r, 0, 0);
	PQclear(r);
	return MH_OK;
}

static enum mh_store_rc pg_job_claim(struct mh_store *base, struct mh_arena *a, const char *owner, int64_t now,
				     int64_t lease_until, struct mh_job **out)
{
	struct params p = { 0 };
	p_text(&p, owner);
	p_int(&p, lease_until);
	p_int(&p, now);
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(PG(base), ST_JOB_CLAIM, &p, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return MH_NOT_FOUND;
	}
	struct mh_job *j = MH_NEW(a, struct mh_job);
	struct pg_row x = { r, 0 };
	struct mh_store_row row = row_of(&x);
	mh_store_row_job(&row, a, j);
	PQclear(r);
	*out = j;
	return MH_OK;
}

static enum mh_store_rc pg_job_done(struct mh_store *base, int64_t id, const char *owner, int64_t now,
				    int64_t *changed)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_text(&p, owner);
	p_int(&p, now);
	return write_changed(PG(base), ST_JOB_DONE, &p, changed);
}

static enum mh_store_rc pg_job_fail(struct mh_store *base, int64_t id, const char *owner, const char *error,
				    int64_t retry_at, int64_t now, int64_t *changed)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_text(&p, owner);
	p_text(&p, error);
	p_int(&p, retry_at);
	p_int(&p, now);
	return write_changed(PG(base), ST_JOB_FAIL, &p, changed);
}

static enum mh_store_rc pg_jobs(struct mh_store *base, struct mh_arena *a, const char *state, int limit,
				struct mh_job **out, size_t *n)
{
	struct params p = { 0 };
	p_int(&p, limit);
	if (state != NULL)
		p_text(&p, state);
	return collect(PG(base), state == NULL ? ST_JOBS_ALL : ST_JOBS_STATE, &p, a, sizeof(struct mh_job),
		       mh_store_item_job, (void **)out, n);
}

static enum mh_store_rc pg_job_retry(struct mh_store *base, int64_t id, int64_t now, int64_t *changed)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_int(&p, now);
	return write_changed(PG(base), ST_JOB_RETRY, &p, changed);
}

static enum mh_store_rc pg_jobs_prune(struct mh_store *base, int64_t before)
{
	struct params p = { 0 };
	p_int(&p, before);
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(PG(base), ST_JOBS_PRUNE, &p, &r, NULL, NULL, NULL);
	PQclear(r);
	return rc;
}

/* ---- raw access for mh_store_copy ---- */

static enum mh_store_rc pg_raw_exec(struct mh_store *base, const char *sql, struct mh_buf *err)
{
	return command(PG(base), sql, err);
}

static enum mh_store_rc pg_raw_rows(struct mh_store *base, const char *sql, int ncols,
				    enum mh_store_rc (*row)(void *ctx, const char *const *vals), void *ctx,
				    struct mh_buf *err)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = ensure(s, err);
	if (rc != MH_OK)
		return rc;
	PGresult *r = PQexec(s->conn, sql);
	if (!res_ok(r)) {
		rc = fail(s, r, err, NULL, NULL);
		PQclear(r);
		return rc;
	}
	MH_ASSERT(ncols <= 32 && PQnfields(r) == ncols);
	const char *vals[32];
	int rows = PQntuples(r);
	for (int i = 0; i < rows && rc == MH_OK; i++) {
		for (int c = 0; c < ncols; c++) {
			const char *v = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
			/* booleans travel as 0/1, SQLite's way */
			if (v != NULL && PQftype(r, c) == 16 /* bool */)
				v = v[0] == 't' ? "1" : "0";
			vals[c] = v;
		}
		rc = row(ctx, vals);
	}
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_raw_insert(struct mh_store *base, const char *sql, int n, const char *const *vals,
				      struct mh_buf *err)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = ensure(s, err);
	if (rc != MH_OK)
		return rc;
	/* text format: each value is parsed by its column's type ("1" is a true boolean) */
	PGresult *r = PQexecParams(s->conn, sql, n, NULL, vals, NULL, NULL, 0);
	if (!res_ok(r))
		rc = fail(s, r, err, NULL, NULL);
	PQclear(r);
	return rc;
}

static const struct mh_store_ops postgres_ops = {
	.name = "postgres",
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.bulk_load = pg_bulk_load,
	.write_begin = pg_write_begin,
	.write_end = pg_write_end,
	.in_transaction = pg_in_transaction,
	.migrate_lock = pg_migrate_lock,
	.migration_sql = pg_migration_sql,
	.schema_table_sql = "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
	.migration_version = pg_migration_version,
	.migration_record = pg_migration_record,
	.sections = pg_sections,
	.section_by_slug = pg_section_by_slug,
	.authors = pg_authors,
	.author_by_slug = pg_author_by_slug,
	.tag_by_slug = pg_tag_by_slug,
	.articles = pg_articles,
	.articles_count = pg_articles_count,
	.article_by_slug = pg_article_by_slug,
	.article_by_id = pg_article_by_id,
	.section_write = pg_section_write,
	.author_write = pg_author_write,
	.tag_insert = pg_tag_insert,
	.article_old = pg_article_old,
	.article_write = pg_article_write,
	.article_clear_joins = pg_article_clear_joins,
	.article_add_author = pg_article_add_author,
	.article_add_tag = pg_article_add_tag,
	.article_set_views = pg_article_set_views,
	.article_lock = pg_article_lock,
	.change_add = pg_change_add,
	.change_last = pg_change_last,
	.changes_since = pg_changes_since,
	.changes_prune = pg_changes_prune,
	.changes_wait = pg_changes_wait,
	.job_requeue = pg_job_requeue,
	.job_insert = pg_job_insert,
	.job_claim = pg_job_claim,
	.job_done = pg_job_done,
	.job_fail = pg_job_fail,
	.jobs = pg_jobs,
	.job_retry = pg_job_retry,
	.jobs_prune = pg_jobs_prune,
	.count = pg_count,
	.raw_exec = pg_raw_exec,
	.raw_rows = pg_raw_rows,
	.raw_insert = pg_raw_insert,
};

enum mh_store_rc mh_store_postgres_open(const char *url, struct mh_store **out, struct mh_buf *err)
{
	*out = NULL;
	PGconn *c = connect_url(url, err);
	if (c == NULL)
		return MH_UNAVAILABLE;
	struct pg *s = calloc(1, sizeof(*s));
	MH_ASSERT(s != NULL);
	s->base.ops = &postgres_ops;
	s->conn = c;
	s->url = strdup(url);
	MH_ASSERT(s->url != NULL);
	*out = &s->base;
	return MH_OK;
}
