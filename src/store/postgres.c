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

#define ART_COLS                                                                                       \
	"a.id, a.slug, a.headline, a.dek, a.lead_html, a.section_id, a.image_url, a.image_alt,"      \
	" a.via_name, a.via_url, a.staff_pick, a.status, a.published_at, a.updated_at, a.created_at," \
	" a.was_published, a.views, s.id, s.slug, s.name, s.description, s.position, s.kind"
#define ART_BODY ", a.body_md, a.body_html"
#define ART_FROM " FROM articles a JOIN sections s ON s.id = a.section_id"
#define ART_NCOLS 23
#define JOB_COLS "id, kind, payload, state, run_at, attempts, max_attempts, owner, lease_until, last_error," \
		 " coalesce(dedupe, ''), created_at, updated_at"

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
	[ST_SECTIONS] = "SELECT id, slug, name, description, position, kind FROM sections ORDER BY position, id",
	[ST_SECTION_BY_SLUG] = "SELECT id, slug, name, description, position, kind FROM sections WHERE slug = $1",
	[ST_SECTION_INSERT] = "INSERT INTO sections(slug, name, description, position, kind)"
			      " VALUES ($1, $2, $3, $4, $5) RETURNING id",
	[ST_SECTION_UPDATE] = "UPDATE sections SET slug = $1, name = $2, description = $3, position = $4,"
			      " kind = $5 WHERE id = $6",
	[ST_AUTHORS] = "SELECT id, slug, name, bio, avatar_url FROM authors ORDER BY name, id",
	[ST_AUTHOR_BY_SLUG] = "SELECT id, slug, name, bio, avatar_url FROM authors WHERE slug = $1",
	[ST_AUTHOR_INSERT] = "INSERT INTO authors(slug, name, bio, avatar_url) VALUES ($1, $2, $3, $4) RETURNING id",
	[ST_AUTHOR_UPDATE] = "UPDATE authors SET slug = $1, name = $2, bio = $3, avatar_url = $4 WHERE id = $5",
	[ST_TAG_BY_SLUG] = "SELECT id, slug, name FROM tags WHERE slug = $1",
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
	[ST_BATCH_AUTHORS] = "SELECT aa.article_id, au.id, au.slug, au.name, au.bio, au.avatar_url"
			     " FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
			     " WHERE aa.article_id = ANY ($1::bigint[])"
			     " ORDER BY aa.article_id, aa.position",
	[ST_BATCH_TAGS] = "SELECT at.article_id, t.id, t.slug, t.name"
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
	[ST_CHANGES_SINCE] = "SELECT id, keys, created_at FROM changes WHERE id > $1 ORDER BY id LIMIT $2",
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

/* The list query's variants (LQ_*, store_int.h): every variant takes the same 11 bigint
 * parameters (declared, so unused ones are fine). */
#define LQ_NPARAMS 11

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
		mh_store_set_err(err, "database connection lost: %s", msg);
		drop_conn(s);
		return MH_UNAVAILABLE;
	}
	if (state == NULL)
		state = "";
	if (strcmp(state, "23505") == 0) {
		/* detail: "Key (slug)=(taken) already exists." -> "slug" */
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		char field[64] = "value";
		const char *p = detail != NULL ? strstr(detail, "Key (") : NULL;
		if (p != NULL) {
			p += 5;
			const char *e = strchr(p, ')');
			if (e != NULL && (size_t)(e - p) < sizeof(field)) {
				memcpy(field, p, (size_t)(e - p));
				field[e - p] = '\0';
			}
		}
		if (value != NULL)
			mh_store_set_err(err, "%s '%s' is already used", field, value);
		else
			mh_store_set_err(err, "%s: already used", field);
		return MH_CONFLICT;
	}
	if (strcmp(state, "23503") == 0) {
		mh_store_set_err(err, "%s", fk != NULL ? fk : "refers to a row that does not exist");
		return MH_INVALID;
	}
	if (strncmp(state, "23", 2) == 0 || strcmp(state, "22021") == 0 || strcmp(state, "22P05") == 0) {
		mh_store_set_err(err, "rejected by the database: %s", msg);
		return MH_INVALID;
	}
	/* lock timeout, deadlock, serialization, statement timeout, too many
	 * connections, out of resources: try again later */
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "57014") == 0 || strncmp(state, "53", 2) == 0) {
		mh_store_set_err(err, "database is busy: %s", msg);
		return MH_UNAVAILABLE;
	}
	mh_store_set_err(err, "database error: %s", msg);
	return MH_ERROR;
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
	if (s->in_tx || s->tx_lost)
		return MH_INVALID;
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
	if (!s->in_tx)
		return MH_INVALID;
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
	if (s->in_tx)
		return MH_INVALID;
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

static enum mh_store_rc pg_migrate(struct mh_store *base, int *version, struct mh_buf *err)
{
	struct pg *s = PG(base);
	*version = 0;
	if (s->in_tx) {
		mh_store_set_err(err, "migrate: not allowed inside a transaction");
		return MH_INVALID;
	}
	/* Two nodes starting at once: the table is created under the lock too. */
	enum mh_store_rc rc = command(s, "BEGIN", err);
	if (rc != MH_OK)
		return rc;
	char lock[96];
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)", (long long)MIGRATION_LOCK);
	if ((rc = command(s, lock, err)) != MH_OK ||
	    (rc = command(s,
			  "CREATE TABLE IF NOT EXISTS schema_migrations ("
			  " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
			  err)) != MH_OK ||
	    (rc = command(s, "COMMIT", err)) != MH_OK)
		goto rollback;
	if ((rc = read_version(s, version, err)) != MH_OK)
		return rc;
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
		if ((rc = command(s, "BEGIN", err)) != MH_OK)
			return rc;
		if ((rc = command(s, lock, err)) != MH_OK)
			goto rollback;
		/* Another node may have migrated while we waited for the lock. */
		int now_at = 0;
		if ((rc = read_version(s, &now_at, err)) != MH_OK)
			goto rollback;
		if (now_at >= m->version) {
			*version = now_at;
			command(s, "ROLLBACK", NULL);
			continue;
		}
		PGresult *r = PQexec(s->conn, m->postgres_sql);
		if (!res_ok(r)) {
			struct mh_buf why = MH_BUF_INIT;
			rc = fail(s, r, &why, NULL, NULL);
			mh_store_set_err(err, "migration %d (%s): %s", m->version, m->description, mh_buf_cstr(&why));
			mh_buf_free(&why);
			if (rc != MH_UNAVAILABLE)
				rc = MH_ERROR;
			PQclear(r);
			goto rollback;
		}
		PQclear(r);
		struct params p = { 0 };
		p_int(&p, m->version);
		p_int(&p, mh_time_now());
		if ((rc = exec_st(s, ST_MIG_RECORD, &p, &r, err, NULL, NULL)) != MH_OK)
			goto rollback;
		PQclear(r);
		if ((rc = command(s, "COMMIT", err)) != MH_OK)
			goto rollback;
		*version = m->version;
	}
	return MH_OK;
rollback:
	if (s->conn != NULL)
		command(s, "ROLLBACK", NULL);
	return rc;
}

/* ---- sections, authors, tags ---- */

static void read_section(struct mh_arena *a, PGresult *r, int row, int c, struct mh_section *sec)
{
	sec->id = get_i64(r, row, c);
	sec->slug = get_str(a, r, row, c + 1);
	sec->name = get_str(a, r, row, c + 2);
	sec->description = get_str(a, r, row, c + 3);
	sec->position = (int)get_i64(r, row, c + 4);
	if (!mh_store_section_kind_parse(PQgetvalue(r, row, c + 5), &sec->kind))
		sec->kind = MH_SECTION_PLAIN;
}

static void section_row(struct mh_arena *a, PGresult *r, int row, void *p)
{
	read_section(a, r, row, 0, p);
}

static void author_row(struct mh_arena *a, PGresult *r, int row, void *p)
{
	struct mh_author *au = p;
	au->id = get_i64(r, row, 0);
	au->slug = get_str(a, r, row, 1);
	au->name = get_str(a, r, row, 2);
	au->bio = get_str(a, r, row, 3);
	au->avatar_url = get_str(a, r, row, 4);
}

static void tag_row(struct mh_arena *a, PGresult *r, int row, void *p)
{
	struct mh_tag *t = p;
	t->id = get_i64(r, row, 0);
	t->slug = get_str(a, r, row, 1);
	t->name = get_str(a, r, row, 2);
}

/* Runs a query and turns every row into an item of item_size bytes. */
static enum mh_store_rc collect(struct pg *s, enum stmt_id id, const struct params *p, struct mh_arena *a,
				size_t item_size, void (*fn)(struct mh_arena *, PGresult *, int, void *), void **out,
				size_t *n)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(s, id, p, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	int rows = PQntuples(r);
	char *arr = mh_arena_alloc(a, rows > 0 ? (size_t)rows * item_size : 1);
	memset(arr, 0, rows > 0 ? (size_t)rows * item_size : 1);
	for (int i = 0; i < rows; i++)
		fn(a, r, i, arr + (size_t)i * item_size);
	PQclear(r);
	*out = arr;
	*n = (size_t)rows;
	return MH_OK;
}

static enum mh_store_rc pg_sections(struct mh_store *base, struct mh_arena *a, struct mh_section **out, size_t *n)
{
	return collect(PG(base), ST_SECTIONS, NULL, a, sizeof(struct mh_section), section_row, (void **)out, n);
}

static enum mh_store_rc one_by_slug(struct pg *s, enum stmt_id id, struct mh_arena *a, struct mh_str slug,
				    size_t item_size, void (*fn)(struct mh_arena *, PGresult *, int, void *),
				    void **out)
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
	return one_by_slug(PG(base), ST_SECTION_BY_SLUG, a, slug, sizeof(struct mh_section), section_row,
			   (void **)out);
}

/* An INSERT ... RETURNING id (id 0) or an UPDATE (id appended last). */
static enum mh_store_rc save_simple(struct pg *s, enum stmt_id ins, enum stmt_id upd, struct params *p,
				    int64_t *id, const char *slug, const char *what, struct mh_buf *err)
{
	if (*id != 0)
		p_int(p, *id);
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(s, *id == 0 ? ins : upd, p, &r, err, slug, NULL);
	if (rc != MH_OK)
		return rc;
	if (*id == 0) {
		*id = get_i64(r, 0, 0);
	} else if (affected(r) == 0) {
		mh_store_set_err(err, "id: no %s with id %lld", what, (long long)*id);
		rc = MH_NOT_FOUND;
	}
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_section_save(struct mh_store *base, struct mh_section *sec, struct mh_buf *err)
{
	struct params p = { 0 };
	p_text(&p, sec->slug);
	p_text(&p, sec->name);
	p_text(&p, sec->description);
	p_int(&p, sec->position);
	p_text(&p, mh_store_section_kind_name(sec->kind));
	return save_simple(PG(base), ST_SECTION_INSERT, ST_SECTION_UPDATE, &p, &sec->id, sec->slug, "section", err);
}

static enum mh_store_rc pg_authors(struct mh_store *base, struct mh_arena *a, struct mh_author **out, size_t *n)
{
	return collect(PG(base), ST_AUTHORS, NULL, a, sizeof(struct mh_author), author_row, (void **)out, n);
}

static enum mh_store_rc pg_author_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
					  struct mh_author **out)
{
	return one_by_slug(PG(base), ST_AUTHOR_BY_SLUG, a, slug, sizeof(struct mh_author), author_row,
			   (void **)out);
}

static enum mh_store_rc pg_author_save(struct mh_store *base, struct mh_author *au, struct mh_buf *err)
{
	struct params p = { 0 };
	p_text(&p, au->slug);
	p_text(&p, au->name);
	p_text(&p, au->bio);
	p_text(&p, au->avatar_url);
	return save_simple(PG(base), ST_AUTHOR_INSERT, ST_AUTHOR_UPDATE, &p, &au->id, au->slug, "author", err);
}

static enum mh_store_rc pg_tag_by_slug(struct mh_store *base, struct mh_arena *a, struct mh_str slug,
				       struct mh_tag **out)
{
	return one_by_slug(PG(base), ST_TAG_BY_SLUG, a, slug, sizeof(struct mh_tag), tag_row, (void **)out);
}

static enum mh_store_rc pg_tag_ensure(struct mh_store *base, struct mh_tag *tag, struct mh_buf *err)
{
	struct pg *s = PG(base);
	struct mh_buf slug = MH_BUF_INIT;
	if (tag->slug != NULL && tag->slug[0] != '\0')
		mh_buf_append_c(&slug, tag->slug);
	else
		mh_store_simple_slug(&slug, tag->name);
	const char *name = tag->name != NULL && tag->name[0] != '\0' ? tag->name : mh_buf_cstr(&slug);
	struct params p = { 0 };
	p_strn(&p, slug.ptr, slug.len);
	PGresult *r = NULL;
	enum mh_store_rc rc = exec_st(s, ST_TAG_BY_SLUG, &p, &r, err, NULL, NULL);
	if (rc == MH_OK && PQntuples(r) > 0) {
		tag->id = get_i64(r, 0, 0);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	if (rc != MH_OK)
		goto out;
	p = (struct params){ 0 };
	p_strn(&p, slug.ptr, slug.len);
	p_text(&p, name);
	tag->id = 0;
	rc = save_simple(s, ST_TAG_INSERT, ST_TAG_INSERT, &p, &tag->id, mh_buf_cstr(&slug), "tag", err);
out:
	mh_buf_free(&slug);
	return rc;
}

/* ---- articles: reading ---- */

static void read_article(struct mh_arena *a, PGresult *r, int row, struct mh_article *art, bool body)
{
	art->id = get_i64(r, row, 0);
	art->slug = get_str(a, r, row, 1);
	art->headline = get_str(a, r, row, 2);
	art->dek = get_str(a, r, row, 3);
	art->lead_html = get_str(a, r, row, 4);
	art->section_id = get_i64(r, row, 5);
	art->image_url = get_str(a, r, row, 6);
	art->image_alt = get_str(a, r, row, 7);
	art->via_name = get_str(a, r, row, 8);
	art->via_url = get_str(a, r, row, 9);
	art->staff_pick = get_bool(r, row, 10);
	if (!mh_article_status_parse(mh_str_c(PQgetvalue(r, row, 11)), &art->status))
		art->status = MH_ARTICLE_DRAFT;
	art->published_at = get_i64(r, row, 12);
	art->updated_at = get_i64(r, row, 13);
	art->created_at = get_i64(r, row, 14);
	art->was_published = get_bool(r, row, 15) && art->status != MH_ARTICLE_PUBLISHED;
	art->views = get_i64(r, row, 16);
	art->section = MH_NEW(a, struct mh_section);
	read_section(a, r, row, 17, art->section);
	if (body) {
		art->body_md = get_str(a, r, row, ART_NCOLS);
		art->body_html = get_str(a, r, row, ART_NCOLS + 1);
	} else {
		art->body_md = NULL;
		art->body_html = NULL;
	}
	art->authors = NULL;
	art->tags = NULL;
	art->n_authors = art->n_tags = 0;
}

/* Fills authors and tags of arts[0..n) with one query each; rows come
 * grouped by article id (mh_store_index_* match them to the articles). */
static enum mh_store_rc fill_relations(struct pg *s, struct mh_arena *a, struct mh_article *arts, size_t n)
{
	if (n == 0)
		return MH_OK;
	struct mh_buf ids = MH_BUF_INIT;
	struct mh_store_article_index index;
	mh_store_index_init(&index, arts, n, &ids, '{', '}');
	enum mh_store_rc rc = MH_OK;
	for (int pass = 0; pass < 2 && rc == MH_OK; pass++) {
		bool authors = pass == 0;
		size_t item = authors ? sizeof(struct mh_author) : sizeof(struct mh_tag);
		struct params p = { 0 };
		p_int(&p, 0); /* placeholder: replaced by the array literal in text format */
		p.v[0] = mh_buf_cstr(&ids);
		PGresult *r = NULL;
		rc = exec_st(s, authors ? ST_BATCH_AUTHORS : ST_BATCH_TAGS, &p, &r, NULL, NULL, NULL);
		if (rc != MH_OK)
			break;
		int rows = PQntuples(r);
		for (int i = 0; i < rows;) {
			int64_t art_id = get_i64(r, i, 0);
			int j = i;
			while (j < rows && get_i64(r, j, 0) == art_id)
				j++;
			char *arr = mh_arena_alloc(a, (size_t)(j - i) * item);
			for (int k = i; k < j; k++) {
				void *row = arr + (size_t)(k - i) * item;
				if (authors) {
					struct mh_author *au = row;
					au->id = get_i64(r, k, 1);
					au->slug = get_str(a, r, k, 2);
					au->name = get_str(a, r, k, 3);
					au->bio = get_str(a, r, k, 4);
					au->avatar_url = get_str(a, r, k, 5);
				} else {
					struct mh_tag *t = row;
					t->id = get_i64(r, k, 1);
					t->slug = get_str(a, r, k, 2);
					t->name = get_str(a, r, k, 3);
				}
			}
			mh_store_index_attach(&index, art_id, authors, arr, (size_t)(j - i));
			i = j;
		}
		PQclear(r);
	}
	mh_store_index_free(&index);
	mh_buf_free(&ids);
	return rc;
}

/* Prepares the list (or count) variant f; its name is written to name. */
static enum mh_store_rc query_stmt(struct pg *s, unsigned f, bool count, char name[16])
{
	snprintf(name, 16, "%c%u", count ? 'c' : 'l', f);
	uint8_t bit = count ? 2 : 1;
	if (s->lists[f] & bit)
		return MH_OK;
	struct mh_buf sql = MH_BUF_INIT;
	if (count)
		mh_buf_append_c(&sql, "SELECT count(*) FROM articles a");
	else
		mh_buf_printf(&sql, "SELECT " ART_COLS "%s" ART_FROM, (f & LQ_BODY) ? ART_BODY : "");
	/* $1 now, $2 section, $3 author, $4 tag, $5 before_at, $6 before_id,
	 * $7 exclude, $8 after_at, $9 after_id, $10 limit, $11 offset */
	if (f & LQ_SCHEDULED)
		mh_buf_append_c(&sql, " WHERE a.status = 'scheduled' AND $1::bigint IS NOT NULL");
	else if (f & LQ_ANY)
		mh_buf_append_c(&sql, " WHERE $1::bigint IS NOT NULL");
	else
		mh_buf_append_c(&sql, " WHERE a.status = 'published' AND a.published_at <= $1");
	if (f & LQ_SECTION)
		mh_buf_append_c(&sql, " AND a.section_id = $2");
	if (f & LQ_PICKS)
		mh_buf_append_c(&sql, " AND a.staff_pick");
	if (f & LQ_AUTHOR)
		mh_buf_append_c(&sql, " AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = $3)");
	if (f & LQ_TAG)
		mh_buf_append_c(&sql, " AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = $4)");
	if (f & LQ_CURSOR)
		mh_buf_append_c(&sql, " AND (a.published_at, a.id) < ($5, $6)");
	if (f & LQ_CURSOR_TIME)
		mh_buf_append_c(&sql, " AND a.published_at < $5");
	if (f & LQ_EXCLUDE)
		mh_buf_append_c(&sql, " AND a.id <> $7");
	if (f & LQ_AFTER)
		mh_buf_append_c(&sql, " AND a.published_at >= $8 AND (a.published_at, a.id) > ($8, $9)");
	if (!count && (f & LQ_AFTER))
		mh_buf_append_c(&sql, " ORDER BY a.published_at ASC, a.id ASC LIMIT $10 OFFSET $11");
	else if (!count)
		mh_buf_append_c(&sql, " ORDER BY a.published_at DESC, a.id DESC LIMIT $10 OFFSET $11");
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
	int limit = mh_store_list_limit(q);
	p_int(p, mh_store_list_upper_bound(q));
	p_int(p, q->section_id);
	p_int(p, q->author_id);
	p_int(p, q->tag_id);
	p_int(p, q->before_published_at);
	p_int(p, q->before_id);
	p_int(p, q->exclude_id);
	p_int(p, q->after_published_at);
	p_int(p, q->after_id);
	p_int(p, limit);
	p_int(p, q->offset);
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
	for (int i = 0; i < rows; i++)
		read_article(a, r, i, &arts[i], (f & LQ_BODY) != 0);
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
	read_article(a, r, 0, art, true);
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

/* ---- articles: writing ---- */

static enum mh_store_rc article_write(struct pg *s, struct mh_article *art, struct mh_buf *err)
{
	enum mh_store_rc rc;
	int64_t now = mh_time_now();
	int64_t created, updated;
	bool ever_published = art->was_published || art->status == MH_ARTICLE_PUBLISHED;
	char fk[96];
	PGresult *r = NULL;
	struct params p = { 0 };

	if (art->id != 0) {
		p_int(&p, art->id);
		if ((rc = exec_st(s, ST_ART_OLD, &p, &r, err, NULL, NULL)) != MH_OK)
			return rc;
		if (PQntuples(r) == 0) {
			PQclear(r);
			mh_store_set_err(err, "id: no article with id %lld", (long long)art->id);
			return MH_NOT_FOUND;
		}
		created = get_i64(r, 0, 0);
		ever_published = ever_published || get_bool(r, 0, 1);
		PQclear(r);
		updated = now;
	} else {
		created = art->created_at != 0 ? art->created_at : now;
		updated = art->updated_at != 0 ? art->updated_at : created;
	}
	if (art->published_at == 0 && art->status != MH_ARTICLE_DRAFT)
		art->published_at = now;

	p = (struct params){ 0 };
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
	p_int(&p, updated);
	p_int(&p, created);
	p_bool(&p, ever_published);
	p_int(&p, art->views);
	if (art->id != 0)
		p_int(&p, art->id);
	snprintf(fk, sizeof(fk), "section_id: no section with id %lld", (long long)art->section_id);
	if ((rc = exec_st(s, art->id == 0 ? ST_ART_INSERT : ST_ART_UPDATE, &p, &r, err, art->slug, fk)) != MH_OK)
		return rc;
	int64_t id = PQntuples(r) > 0 ? get_i64(r, 0, 0) : 0;
	PQclear(r);
	if (id == 0) {
		mh_store_set_err(err, "id: no article with id %lld", (long long)art->id);
		return MH_NOT_FOUND;
	}
	if (art->id != 0) {
		for (int k = 0; k < 2; k++) {
			p = (struct params){ 0 };
			p_int(&p, id);
			if ((rc = exec_st(s, k == 0 ? ST_ART_DEL_AUTHORS : ST_ART_DEL_TAGS, &p, &r, err, NULL, NULL)) !=
			    MH_OK)
				return rc;
			PQclear(r);
		}
	}
	for (size_t i = 0; i < art->n_authors; i++) {
		p = (struct params){ 0 };
		p_int(&p, id);
		p_int(&p, art->authors[i].id);
		p_int(&p, (int64_t)i);
		snprintf(fk, sizeof(fk), "authors: no author with id %lld", (long long)art->authors[i].id);
		if ((rc = exec_st(s, ST_ART_ADD_AUTHOR, &p, &r, err, NULL, fk)) != MH_OK)
			return rc;
		PQclear(r);
	}
	for (size_t i = 0; i < art->n_tags; i++) {
		p = (struct params){ 0 };
		p_int(&p, id);
		p_int(&p, art->tags[i].id);
		snprintf(fk, sizeof(fk), "tags: no tag with id %lld", (long long)art->tags[i].id);
		if ((rc = exec_st(s, ST_ART_ADD_TAG, &p, &r, err, NULL, fk)) != MH_OK)
			return rc;
		PQclear(r);
	}
	art->id = id;
	art->created_at = created;
	art->updated_at = updated;
	art->was_published = ever_published && art->status != MH_ARTICLE_PUBLISHED;
	return MH_OK;
}

static enum mh_store_rc pg_article_save(struct mh_store *base, struct mh_article *art, struct mh_buf *err)
{
	struct pg *s = PG(base);
	struct mh_article copy = *art;
	enum mh_store_rc rc = write_begin(s, true, err);
	if (rc != MH_OK)
		return rc;
	rc = write_end(s, true, article_write(s, &copy, err), err);
	if (rc == MH_OK)
		*art = copy;
	return rc;
}

/* A one-statement write whose "nothing changed" means none. */
static enum mh_store_rc changed_one(struct pg *s, enum stmt_id id, const struct params *p, enum mh_store_rc none)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(s, id, p, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	if (affected(r) == 0)
		rc = none;
	PQclear(r);
	return rc;
}

static enum mh_store_rc pg_article_set_views(struct mh_store *base, int64_t id, int64_t views)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_int(&p, views);
	return changed_one(PG(base), ST_SET_VIEWS, &p, MH_NOT_FOUND);
}

static enum mh_store_rc pg_article_lock(struct mh_store *base, int64_t id)
{
	struct params p = { 0 };
	p_int(&p, id);
	return changed_one(PG(base), ST_ART_LOCK, &p, MH_NOT_FOUND);
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

static enum mh_store_rc pg_change_add(struct mh_store *base, struct mh_str keys)
{
	struct params p = { 0 };
	p_str(&p, keys);
	p_int(&p, mh_time_now());
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

static void change_row(struct mh_arena *a, PGresult *r, int row, void *p)
{
	struct mh_change *c = p;
	c->id = get_i64(r, row, 0);
	c->keys = get_str(a, r, row, 1);
	c->created_at = get_i64(r, row, 2);
}

static enum mh_store_rc pg_changes_since(struct mh_store *base, struct mh_arena *a, int64_t after, size_t max,
					 struct mh_change **out, size_t *n)
{
	struct params p = { 0 };
	p_int(&p, after);
	p_int(&p, (int64_t)max);
	return collect(PG(base), ST_CHANGES_SINCE, &p, a, sizeof(struct mh_change), change_row, (void **)out, n);
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
	if (s->in_tx)
		return MH_INVALID;
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

static void job_row(struct mh_arena *a, PGresult *r, int row, void *p)
{
	struct mh_job *j = p;
	j->id = get_i64(r, row, 0);
	j->kind = get_str(a, r, row, 1);
	j->payload = get_str(a, r, row, 2);
	enum mh_job_state js = MH_JOB_QUEUED;
	mh_job_state_parse(mh_str_c(PQgetvalue(r, row, 3)), &js);
	j->state = js;
	j->run_at = get_i64(r, row, 4);
	j->attempts = (int)get_i64(r, row, 5);
	j->max_attempts = (int)get_i64(r, row, 6);
	j->owner = get_str(a, r, row, 7);
	j->lease_until = get_i64(r, row, 8);
	j->last_error = get_str(a, r, row, 9);
	j->dedupe = get_str(a, r, row, 10);
	j->created_at = get_i64(r, row, 11);
	j->updated_at = get_i64(r, row, 12);
}

static enum mh_store_rc job_add_write(struct pg *s, const char *kind, struct mh_str payload, int64_t run_at,
				      const char *dedupe, int64_t *id)
{
	int64_t now = mh_time_now();
	PGresult *r = NULL;
	enum mh_store_rc rc;
	if (dedupe != NULL) {
		struct params p = { 0 };
		p_text(&p, dedupe);
		p_str(&p, payload);
		p_int(&p, run_at);
		p_int(&p, now);
		if ((rc = exec_st(s, ST_JOB_REQUEUE, &p, &r, NULL, NULL, NULL)) != MH_OK)
			return rc;
		int64_t found = PQntuples(r) > 0 ? get_i64(r, 0, 0) : 0;
		PQclear(r);
		if (found != 0) {
			if (id != NULL)
				*id = found;
			return MH_OK;
		}
	}
	struct params p = { 0 };
	p_text(&p, kind);
	p_str(&p, payload);
	p_int(&p, run_at);
	if (dedupe != NULL)
		p_text(&p, dedupe);
	else
		p_null(&p);
	p_int(&p, now);
	if ((rc = exec_st(s, ST_JOB_INSERT, &p, &r, NULL, dedupe, NULL)) != MH_OK)
		return rc;
	if (id != NULL)
		*id = get_i64(r, 0, 0);
	PQclear(r);
	return MH_OK;
}

static enum mh_store_rc pg_job_add(struct mh_store *base, const char *kind, struct mh_str payload, int64_t run_at,
				   const char *dedupe, int64_t *id)
{
	struct pg *s = PG(base);
	bool multi = dedupe != NULL;
	enum mh_store_rc rc = write_begin(s, multi, NULL);
	if (rc != MH_OK)
		return rc;
	int64_t got = 0;
	rc = write_end(s, multi, job_add_write(s, kind, payload, run_at, dedupe, &got), NULL);
	if (rc == MH_OK && id != NULL)
		*id = got;
	return rc;
}

static enum mh_store_rc pg_job_claim(struct mh_store *base, struct mh_arena *a, const char *owner, int64_t now,
				     int lease_s, struct mh_job **out)
{
	struct params p = { 0 };
	p_text(&p, owner);
	p_int(&p, now + lease_s);
	p_int(&p, now);
	PGresult *r = NULL;
	enum mh_store_rc rc = write_one(PG(base), ST_JOB_CLAIM, &p, &r, NULL, NULL, NULL);
	if (rc != MH_OK)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return MH_NOT_FOUND;
	}
	struct mh_job *j = MH_NEW(a, struct mh_job);
	job_row(a, r, 0, j);
	PQclear(r);
	*out = j;
	return MH_OK;
}

static enum mh_store_rc pg_job_done(struct mh_store *base, int64_t id, const char *owner)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_text(&p, owner);
	p_int(&p, mh_time_now());
	return changed_one(PG(base), ST_JOB_DONE, &p, MH_CONFLICT);
}

static enum mh_store_rc pg_job_fail(struct mh_store *base, int64_t id, const char *owner, const char *error,
				    int64_t retry_at)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_text(&p, owner);
	p_text(&p, error != NULL ? error : "");
	p_int(&p, retry_at);
	p_int(&p, mh_time_now());
	return changed_one(PG(base), ST_JOB_FAIL, &p, MH_CONFLICT);
}

static enum mh_store_rc pg_jobs(struct mh_store *base, struct mh_arena *a, int state, int limit,
				struct mh_job **out, size_t *n)
{
	struct params p = { 0 };
	p_int(&p, limit);
	if (state >= 0)
		p_text(&p, mh_job_state_name((enum mh_job_state)state));
	return collect(PG(base), state < 0 ? ST_JOBS_ALL : ST_JOBS_STATE, &p, a, sizeof(struct mh_job), job_row,
		       (void **)out, n);
}

static enum mh_store_rc pg_job_retry(struct mh_store *base, int64_t id)
{
	struct params p = { 0 };
	p_int(&p, id);
	p_int(&p, mh_time_now());
	return changed_one(PG(base), ST_JOB_RETRY, &p, MH_NOT_FOUND);
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

/* ---- query plans (store.h: mh_store_plan) ---- */

static enum mh_store_rc pg_plan(struct mh_store *base, enum mh_store_plan_of which, const struct mh_article_query *q,
				struct mh_buf *out)
{
	struct pg *s = PG(base);
	static const enum stmt_id fixed[] = {
		[MH_STORE_PLAN_JOBS_BY_STATE] = ST_JOBS_STATE, [MH_STORE_PLAN_JOB_CLAIM] = ST_JOB_CLAIM,
		[MH_STORE_PLAN_JOBS_PRUNE] = ST_JOBS_PRUNE,    [MH_STORE_PLAN_CHANGE_LAST] = ST_CHANGE_LAST,
		[MH_STORE_PLAN_CHANGES_SINCE] = ST_CHANGES_SINCE, [MH_STORE_PLAN_CHANGES_PRUNE] = ST_CHANGES_PRUNE,
	};
	enum mh_store_rc rc = ensure(s, NULL);
	if (rc != MH_OK)
		return rc;
	/* the very prepared statement the store runs: EXPLAIN EXECUTE it */
	char name[16];
	struct mh_buf sql = MH_BUF_INIT;
	if (which == MH_STORE_PLAN_ARTICLES) {
		if ((rc = query_stmt(s, mh_store_query_flags(q), false, name)) != MH_OK)
			return rc;
		struct params p = { 0 };
		query_params(&p, q);
		mh_buf_printf(&sql, "EXPLAIN EXECUTE %s(", name);
		for (int k = 0; k < p.n; k++)
			mh_buf_printf(&sql, "%s%s", k ? ", " : "", p.v[k]); /* our own decimal numbers */
		mh_buf_append_ch(&sql, ')');
	} else {
		enum stmt_id id = fixed[which];
		snprintf(name, sizeof(name), "s%d", (int)id);
		if (!s->prepared[id]) {
			if ((rc = prepare(s, name, stmt_sql[id], 0, NULL, NULL)) != MH_OK)
				return rc;
			s->prepared[id] = true;
		}
		PGresult *d = PQdescribePrepared(s->conn, name);
		int np = res_ok(d) ? PQnparams(d) : -1;
		PQclear(d);
		if (np < 0)
			return MH_ERROR;
		/* '0' takes each parameter's type: a number or a text */
		mh_buf_printf(&sql, "EXPLAIN EXECUTE %s", name);
		for (int k = 0; k < np; k++)
			mh_buf_printf(&sql, "%s'0'%s", k ? ", " : "(", k == np - 1 ? ")" : "");
	}
	PGresult *r = PQexec(s->conn, "SET enable_seqscan = off");
	bool ok = res_ok(r);
	PQclear(r);
	if (ok) {
		r = PQexec(s->conn, mh_buf_cstr(&sql));
		ok = res_ok(r);
		for (int k = 0; ok && k < PQntuples(r); k++)
			mh_buf_printf(out, "%s\n", PQgetvalue(r, k, 0));
		if (!ok)
			rc = fail(s, r, NULL, NULL, NULL);
		PQclear(r);
		PQclear(PQexec(s->conn, "RESET enable_seqscan"));
	} else {
		rc = MH_ERROR;
	}
	mh_buf_free(&sql);
	return ok ? MH_OK : rc != MH_OK ? rc : MH_ERROR;
}

static const struct mh_store_ops postgres_ops = {
	.name = "postgres",
	.close = pg_close,
	.migrate = pg_migrate,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.bulk_load = pg_bulk_load,
	.sections = pg_sections,
	.section_by_slug = pg_section_by_slug,
	.section_save = pg_section_save,
	.authors = pg_authors,
	.author_by_slug = pg_author_by_slug,
	.author_save = pg_author_save,
	.tag_by_slug = pg_tag_by_slug,
	.tag_ensure = pg_tag_ensure,
	.articles = pg_articles,
	.articles_count = pg_articles_count,
	.article_by_slug = pg_article_by_slug,
	.article_by_id = pg_article_by_id,
	.article_save = pg_article_save,
	.article_set_views = pg_article_set_views,
	.article_lock = pg_article_lock,
	.change_add = pg_change_add,
	.change_last = pg_change_last,
	.changes_since = pg_changes_since,
	.changes_prune = pg_changes_prune,
	.changes_wait = pg_changes_wait,
	.job_add = pg_job_add,
	.job_claim = pg_job_claim,
	.job_done = pg_job_done,
	.job_fail = pg_job_fail,
	.jobs = pg_jobs,
	.job_retry = pg_job_retry,
	.jobs_prune = pg_jobs_prune,
	.count = pg_count,
	.plan = pg_plan,
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
