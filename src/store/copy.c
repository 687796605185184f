/*
 * copy.c: mh_store_copy, the engine of `masthead db copy`: every table of a
 * site from one store to another, whatever the two backends, ids kept. The
 * table list below is the whole schema (migrations 1-11); a migration that
 * adds a table or a column adds it here too (tests/store compares counts of
 * every table after a copy). raw_rows hands every value over as text, so a
 * BLOB column (the media library's bytes) travels as hex: hex() or
 * encode(..., 'hex') on the way out, mh_unhex() (sqlite.c) or decode() on
 * the way in; the source is read a row at a time.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

struct copy_table {
	const char *name;
	const char *cols;  /* in the order both SELECT and INSERT use */
	int ncols;
	const char *order; /* a stable order: the key */
	bool identity;     /* has an id column whose sequence must follow */
	const char *blob;  /* the one BLOB column in cols, or NULL */
};

/* Parents before children (foreign keys); the target is emptied the other way. */
static const struct copy_table tables[] = {
	{ "sections", "id, slug, name, description, position, kind, no_ads", 7, "id", true },
	{ "authors", "id, slug, name, bio, avatar_url", 5, "id", true },
	{ "tags", "id, slug, name", 3, "id", true },
	{ "articles",
	  "id, slug, headline, dek, body_md, body_html, lead_html, section_id, image_url, image_alt, via_name,"
	  " via_url, staff_pick, status, published_at, updated_at, created_at, was_published, views, pick_rank,"
	  " no_ads",
	  21, "id", true },
	{ "article_authors", "article_id, author_id, position", 3, "article_id, author_id", false },
	{ "article_tags", "article_id, tag_id", 2, "article_id, tag_id", false },
	{ "article_revisions",
	  "id, article_id, kind, restored_from, user_id, user_name, created_at, slug, headline, dek, section_id,"
	  " author_ids, tag_ids, via_name, via_url, image_url, image_alt, staff_pick, status, published_at, body_md",
	  21, "id", true },
	{ "article_slugs", "slug, article_id, created_at", 3, "slug", false },
	{ "tag_slugs", "slug, tag_id, created_at", 3, "slug", false },
	{ "changes", "id, keys, created_at", 3, "id", true },
	{ "jobs",
	  "id, kind, payload, state, run_at, attempts, max_attempts, owner, lease_until, last_error, dedupe,"
	  " created_at, updated_at",
	  13, "id", true },
	{ "users",
	  "id, email, name, role, password_hash, author_id, disabled, created_at, updated_at, sessions_valid_after", 10,
	  "id", true },
	{ "sessions", "token_hash, user_id, created_at, last_seen_at, expires_at", 5, "token_hash", false },
	{ "auth_tokens", "token_hash, user_id, purpose, created_at, expires_at, used_at", 6, "token_hash", false },
	{ "site_secrets", "name, value, created_at", 3, "name", false },
	{ "media", "id, name, type, width, height, size, alt, uploader_id, created_at, bytes", 10, "id", true, "bytes" },
	{ "media_sizes", "id, media_id, width, format, bytes", 5, "id", true, "bytes" },
	{ "site_settings", "key, value, updated_at, updated_by", 4, "key", false, NULL },
	{ "article_views", "article_id, views", 2, "article_id", false, NULL },
	{ "article_view_hours", "article_id, hour, views", 3, "article_id, hour", false, NULL },
	/* issue 9's redirects, issue 11's WordPress import (migration 13) */
	{ "redirects", "from_path, to_url, status, prefix, created_at", 5, "from_path", false, NULL },
	{ "wp_import_items", "source, kind, wp_id, target_id, state, detail, updated_at", 7, "source, kind, wp_id", false,
	  NULL },
	/* comments (migration 11): a reply's parent has a smaller id */
	{ "comments",
	  "id, article_id, parent_id, name, email, body, address_hash, status, created_at, updated_at", 10, "id", true,
	  NULL },
	{ "comment_bans", "kind, value, created_at, created_by", 4, "kind, value", false, NULL },
	{ "comment_threads", "article_id, comments_closed, approved", 3, "article_id", false, NULL },
	/* full-text search (issue 9): the indexed text; the index itself
	 * follows on the target (SQLite's triggers, PostgreSQL's generated
	 * column) */
	{ "article_search", "article_id, headline, dek, body, authors", 5, "article_id", false, NULL },
	/* the newsletter (migration 14) */
	{ "subscribers", "id, email, status, created_at, confirmed_at, updated_at", 6, "id", true, NULL },
	{ "newsletters", "id, kind, article_id, subject, body_text, body_html, created_at, created_by", 8, "id", true,
	  NULL },
	{ "newsletter_deliveries",
	  "newsletter_id, subscriber_id, state, attempts, next_at, owner, lease_until, smtp_code, last_error, updated_at",
	  10, "newsletter_id, subscriber_id", false, NULL },
	/* issue 10's donations (migration 15) */
	{ "donations", "id, token, provider, provider_ref, provider_sub, amount, currency, monthly, status, email, "
		       "created_at, updated_at, paid_at", 13, "id", true, NULL },
	{ "donation_events", "provider, event_id, donation_id, status, received_at", 5, "provider, event_id", false, NULL },
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

struct copy_ctx {
	struct mh_store *to;
	const char *insert_sql;
	int ncols;
	int64_t rows;
	struct mh_buf *err;
};

static enum mh_store_rc copy_row(void *arg, const char *const *vals)
{
	struct copy_ctx *c = arg;
	enum mh_store_rc rc = c->to->ops->raw_insert(c->to, c->insert_sql, c->ncols, vals, c->err);
	if (rc == MH_OK)
		c->rows++;
	return rc;
}

static bool is_pg(struct mh_store *s)
{
	return strcmp(s->ops->name, "postgres") == 0;
}

/* Prefixes err with "side table: ". */
static void blame(struct mh_buf *err, const char *side, const char *table)
{
	if (err == NULL)
		return;
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_printf(&b, "%s, table %s: %s", side, table, err->len > 0 ? mh_buf_cstr(err) : "failed");
	mh_buf_reset(err);
	mh_buf_append(err, b.ptr, b.len);
	mh_buf_free(&b);
}

/* Column number c (from 0) of t->cols, as name and length. */
static void column(const struct copy_table *t, int c, const char **name, int *len)
{
	const char *p = t->cols;
	for (int i = 0; i < c; i++)
		p = strchr(p, ',') + 2; /* ", " */
	const char *e = strchr(p, ',');
	*name = p;
	*len = e != NULL ? (int)(e - p) : (int)strlen(p);
}

static bool is_blob(const struct copy_table *t, const char *name, int len)
{
	return t->blob != NULL && (int)strlen(t->blob) == len && memcmp(t->blob, name, (size_t)len) == 0;
}

static void select_sql(struct mh_store *from, const struct copy_table *t, char *out, size_t size)
{
	int k = snprintf(out, size, "SELECT ");
	for (int c = 0; c < t->ncols; c++) {
		const char *name;
		int len;
		column(t, c, &name, &len);
		const char *sep = c ? ", " : "";
		if (!is_blob(t, name, len))
			k += snprintf(out + k, size - (size_t)k, "%s%.*s", sep, len, name);
		else if (is_pg(from))
			k += snprintf(out + k, size - (size_t)k, "%sencode(%.*s, 'hex')", sep, len, name);
		else
			k += snprintf(out + k, size - (size_t)k, "%shex(%.*s)", sep, len, name);
	}
	snprintf(out + k, size - (size_t)k, " FROM %s ORDER BY %s", t->name, t->order);
}

static void insert_sql(struct mh_store *to, const struct copy_table *t, char *out, size_t size)
{
	int k = snprintf(out, size, "INSERT INTO %s(%s) VALUES (", t->name, t->cols);
	for (int c = 0; c < t->ncols; c++) {
		const char *name;
		int len;
		column(t, c, &name, &len);
		const char *sep = c ? ", " : "";
		if (!is_blob(t, name, len))
			k += snprintf(out + k, size - (size_t)k, "%s$%d", sep, c + 1);
		else if (is_pg(to))
			k += snprintf(out + k, size - (size_t)k, "%sdecode($%d, 'hex')", sep, c + 1);
		else
			k += snprintf(out + k, size - (size_t)k, "%smh_unhex($%d)", sep, c + 1);
	}
	snprintf(out + k, size - (size_t)k, ")");
}

enum mh_store_rc mh_store_copy(struct mh_store *from, struct mh_store *to, bool force,
			       void (*report)(void *ctx, const char *table, int64_t from_n, int64_t to_n), void *ctx,
			       struct mh_buf *err)
{
	if (from == to) {
		mh_store_set_err(err, "source and target are the same store");
		return MH_INVALID;
	}
	int64_t vf = 0, vt = 0;
	enum mh_store_rc rc;
	if ((rc = mh_store_count(from, "schema_migrations", &vf)) != MH_OK) {
		mh_store_set_err(err, "source: cannot read its schema version (is it a Masthead database?)");
		return rc;
	}
	if ((rc = mh_store_count(to, "schema_migrations", &vt)) != MH_OK) {
		mh_store_set_err(err, "target: cannot read its schema version");
		return rc;
	}
	if (vf != vt) {
		mh_store_set_err(err, "source has %lld migrations applied, target %lld: migrate both first",
				 (long long)vf, (long long)vt);
		return MH_INVALID;
	}
	/* One snapshot of the source for every table. */
	rc = from->ops->raw_exec(from, is_pg(from) ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", err);
	if (rc != MH_OK) {
		blame(err, "source", "(all)");
		return rc;
	}
	if ((rc = mh_store_begin(to)) != MH_OK) {
		mh_store_set_err(err, "target: cannot start a transaction");
		from->ops->raw_exec(from, "ROLLBACK", NULL);
		return rc;
	}
	char sql[1024];
	for (size_t i = 0; i < N_TABLES; i++) {
		int64_t n = 0;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i].name);
		if ((rc = to->ops->count(to, tables[i].name, &n)) != MH_OK) {
			mh_store_set_err(err, "cannot count its rows");
			blame(err, "target", tables[i].name);
			goto fail;
		}
		if (n > 0 && !force) {
			mh_store_set_err(err, "target, table %s: holds %lld rows; copy only into an empty database"
					 " (or pass --force to replace everything in it)",
					 tables[i].name, (long long)n);
			rc = MH_CONFLICT;
			goto fail;
		}
	}
	if (force) {
		for (size_t i = N_TABLES; i-- > 0;) {
			snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[i].name);
			if ((rc = to->ops->raw_exec(to, sql, err)) != MH_OK) {
				blame(err, "target", tables[i].name);
				goto fail;
			}
		}
	}
	int64_t copied[N_TABLES];
	for (size_t i = 0; i < N_TABLES; i++) {
		const struct copy_table *t = &tables[i];
		char ins[1024];
		select_sql(from, t, sql, sizeof(sql));
		insert_sql(to, t, ins, sizeof(ins));
		struct mh_buf row_err = MH_BUF_INIT;
		struct copy_ctx c = { .to = to, .insert_sql = ins, .ncols = t->ncols, .err = &row_err };
		rc = from->ops->raw_rows(from, sql, t->ncols, copy_row, &c, err);
		if (rc != MH_OK) {
			/* a failed insert says so in row_err; a failed read in err */
			bool target_side = row_err.len > 0;
			if (target_side)
				mh_store_set_err(err, "%s", mh_buf_cstr(&row_err));
			blame(err, target_side ? "target" : "source", t->name);
			mh_buf_free(&row_err);
			goto fail;
		}
		mh_buf_free(&row_err);
		copied[i] = c.rows;
		if (is_pg(to) && t->identity) {
			snprintf(sql, sizeof(sql),
				 "SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce(max(id), 0) + 1, false)"
				 " FROM %s",
				 t->name, t->name);
			if ((rc = to->ops->raw_exec(to, sql, err)) != MH_OK) {
				blame(err, "target", t->name);
				goto fail;
			}
		}
	}
	if ((rc = mh_store_commit(to)) != MH_OK) {
		mh_store_set_err(err, "target: the commit failed; nothing was copied");
		from->ops->raw_exec(from, "ROLLBACK", NULL);
		return rc;
	}
	from->ops->raw_exec(from, "ROLLBACK", NULL);
	/* Verify: what each side holds now. */
	for (size_t i = 0; i < N_TABLES; i++) {
		int64_t nf = 0, nt = 0;
		if ((rc = mh_store_count(from, tables[i].name, &nf)) != MH_OK) {
			mh_store_set_err(err, "source, table %s: cannot count its rows", tables[i].name);
			return rc;
		}
		if ((rc = mh_store_count(to, tables[i].name, &nt)) != MH_OK) {
			mh_store_set_err(err, "target, table %s: cannot count its rows", tables[i].name);
			return rc;
		}
		if (report != NULL)
			report(ctx, tables[i].name, nf, nt);
		if (nf != nt || nt != copied[i]) {
			mh_store_set_err(err,
					 "table %s: source has %lld rows, target %lld, %lld were copied"
					 " (was the source written to meanwhile? stop the servers first)",
					 tables[i].name, (long long)nf, (long long)nt, (long long)copied[i]);
			return MH_ERROR;
		}
	}
	return MH_OK;
fail:
	mh_store_rollback(to);
	from->ops->raw_exec(from, "ROLLBACK", NULL);
	return rc;
}
