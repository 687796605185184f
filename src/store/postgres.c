/*
 * postgres.c: the PostgreSQL backend of store.h, through libpq. Only
 * PostgreSQL's dialect and driver live here: the statements store.c runs
 * (store_int.h's MH_Q_*), transactions, the connection and its recovery,
 * LISTEN/NOTIFY. Every rule of the API is store.c's.
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


static const char *const stmt_sql[MH_Q__COUNT] = {
	[MH_Q_MIG_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	[MH_Q_MIG_RECORD] = "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)",
	[MH_Q_SECTIONS] = "SELECT " MH_STORE_SECTION_COLS " FROM sections", /* store.c orders them */
	[MH_Q_SECTION_BY_SLUG] = "SELECT " MH_STORE_SECTION_COLS " FROM sections WHERE slug = $1",
	[MH_Q_SECTION_INSERT] = "INSERT INTO sections(slug, name, description, position, kind)"
			      " VALUES ($1, $2, $3, $4, $5) RETURNING id",
	[MH_Q_SECTION_UPDATE] = "UPDATE sections SET slug = $1, name = $2, description = $3, position = $4,"
			      " kind = $5 WHERE id = $6 RETURNING id",
	[MH_Q_AUTHORS] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors ORDER BY name, id",
	[MH_Q_AUTHOR_BY_SLUG] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors WHERE slug = $1",
	[MH_Q_AUTHOR_INSERT] = "INSERT INTO authors(slug, name, bio, avatar_url) VALUES ($1, $2, $3, $4) RETURNING id",
	[MH_Q_AUTHOR_UPDATE] = "UPDATE authors SET slug = $1, name = $2, bio = $3, avatar_url = $4 WHERE id = $5 RETURNING id",
	[MH_Q_TAG_BY_SLUG] = "SELECT " MH_STORE_TAG_COLS " FROM tags WHERE slug = $1",
	[MH_Q_TAG_INSERT] = "INSERT INTO tags(slug, name) VALUES ($1, $2) RETURNING id",
	[MH_Q_ART_BY_SLUG] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.slug = $1",
	[MH_Q_ART_BY_ID] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.id = $1",
	[MH_Q_ART_OLD] = "SELECT created_at, was_published FROM articles WHERE id = $1",
	[MH_Q_ART_INSERT] = "INSERT INTO articles(slug, headline, dek, body_md, body_html, lead_html, section_id,"
			  " image_url, image_alt, via_name, via_url, staff_pick, status, published_at,"
			  " updated_at, created_at, was_published, views)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
			  " RETURNING id",
	[MH_Q_ART_UPDATE] = "UPDATE articles SET slug = $1, headline = $2, dek = $3, body_md = $4, body_html = $5,"
			  " lead_html = $6, section_id = $7, image_url = $8, image_alt = $9, via_name = $10,"
			  " via_url = $11, staff_pick = $12, status = $13, published_at = $14, updated_at = $15,"
			  " created_at = $16, was_published = $17, views = $18 WHERE id = $19 RETURNING id",
	[MH_Q_ART_DEL_AUTHORS] = "DELETE FROM article_authors WHERE article_id = $1",
	[MH_Q_ART_DEL_TAGS] = "DELETE FROM article_tags WHERE article_id = $1",
	[MH_Q_ART_ADD_AUTHOR] = "INSERT INTO article_authors(article_id, author_id, position) VALUES ($1, $2, $3)",
	[MH_Q_ART_ADD_TAG] = "INSERT INTO article_tags(article_id, tag_id) VALUES ($1, $2)",
	/* A whole list page's authors and tags in one query each: the ids come
	 * as one array literal, so the statement is the same for any page size. */
	[MH_Q_BATCH_AUTHORS] = "SELECT " MH_STORE_BATCH_AUTHOR_COLS
			     " FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
			     " WHERE aa.article_id = ANY ($1::bigint[])",
	[MH_Q_BATCH_TAGS] = "SELECT " MH_STORE_BATCH_TAG_COLS
			  " FROM article_tags at JOIN tags t ON t.id = at.tag_id"
			  " WHERE at.article_id = ANY ($1::bigint[])",
	[MH_Q_SET_VIEWS] = "UPDATE articles SET views = $2 WHERE id = $1",
	[MH_Q_ART_LOCK] = "SELECT id FROM articles WHERE id = $1 FOR UPDATE",
	/* The log entry and the wake-up of every node's watcher, in the
	 * caller's transaction: NOTIFY is delivered only when it commits. */
	[MH_Q_CHANGE_ADD] = "WITH c AS (INSERT INTO changes(keys, created_at) VALUES ($1, $2) RETURNING id)"
			  " SELECT pg_notify('" CHANNEL "', ''), (SELECT id FROM c)",
	[MH_Q_CHANGE_LAST] = "SELECT coalesce(max(id), 0) FROM changes",
	[MH_Q_CHANGES_SINCE] = "SELECT " MH_STORE_CHANGE_COLS " FROM changes WHERE id > $1 ORDER BY id LIMIT $2",
	[MH_Q_CHANGES_PRUNE] = "DELETE FROM changes WHERE created_at < $1",
	[MH_Q_JOB_REQUEUE] = "UPDATE jobs SET payload = $2, run_at = $3, state = 'queued', attempts = 0, owner = '',"
			   " lease_until = 0, updated_at = $4"
			   " WHERE dedupe = $1 AND state IN ('queued', 'running') RETURNING id",
	[MH_Q_JOB_INSERT] = "INSERT INTO jobs(kind, payload, run_at, dedupe, created_at, updated_at)"
			  " VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
	/* Claimers on other connections skip the row one of them has locked,
	 * so each due job goes to exactly one of them without waiting. */
	[MH_Q_JOB_CLAIM] = "UPDATE jobs SET state = 'running', owner = $1, lease_until = $2, attempts = attempts + 1,"
			 " updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3)"
			 " OR (state = 'running' AND lease_until < $3) ORDER BY run_at, id LIMIT 1"
			 " FOR UPDATE SKIP LOCKED)"
			 " RETURNING " JOB_COLS,
	[MH_Q_JOB_DONE] = "UPDATE jobs SET state = 'done', owner = '', lease_until = 0, updated_at = $3"
			" WHERE id = $1 AND owner = $2 AND state = 'running'",
	[MH_Q_JOB_FAIL] = "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'parked' ELSE 'queued' END,"
			" run_at = $4, last_error = $3, owner = '', lease_until = 0, updated_at = $5"
			" WHERE id = $1 AND owner = $2 AND state = 'running'",
	[MH_Q_JOBS_ALL] = "SELECT " JOB_COLS " FROM jobs ORDER BY id DESC LIMIT $1",
	[MH_Q_JOBS_STATE] = "SELECT " JOB_COLS " FROM jobs WHERE state = $2 ORDER BY id DESC LIMIT $1",
	[MH_Q_JOB_RETRY] = "UPDATE jobs SET state = 'queued', run_at = $2, attempts = 0, owner = '', lease_until = 0,"
			 " updated_at = $2 WHERE id = $1 AND state IN ('parked', 'queued')",
	[MH_Q_JOBS_PRUNE] = "DELETE FROM jobs WHERE state = 'done' AND updated_at < $1",
	/* ---- revisions and old addresses ---- */
	[MH_Q_REV_INSERT] = "INSERT INTO article_revisions(article_id, kind, restored_from, user_id, user_name,"
			  " created_at, slug, headline, dek, section_id, author_ids, tag_ids, via_name, via_url,"
			  " image_url, image_alt, staff_pick, status, published_at, body_md)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
			  " $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id",
	[MH_Q_REV_LIST] = "SELECT " MH_STORE_REV_COLS " FROM article_revisions"
			" WHERE article_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
	[MH_Q_REV_GET] = "SELECT " MH_STORE_REV_COLS ", body_md FROM article_revisions WHERE id = $1",
	[MH_Q_REV_LATEST] = "SELECT coalesce(max(id), 0) FROM article_revisions"
			  " WHERE article_id = $1 AND kind <> 'conflict'",
	[MH_Q_AUTHORS_BY_IDS] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors WHERE id = ANY ($1::bigint[])",
	[MH_Q_TAGS_BY_IDS] = "SELECT " MH_STORE_TAG_COLS " FROM tags WHERE id = ANY ($1::bigint[])",
	[MH_Q_ART_SLUG_NOW] = "SELECT slug FROM articles WHERE id = $1",
	[MH_Q_OLD_SLUG_SET] = "INSERT INTO article_slugs(slug, article_id, created_at) VALUES ($1, $2, $3)"
			    " ON CONFLICT (slug) DO UPDATE SET article_id = excluded.article_id,"
			    " created_at = excluded.created_at",
	[MH_Q_OLD_SLUG_DEL] = "DELETE FROM article_slugs WHERE slug = $1",
	[MH_Q_ART_BY_OLD_SLUG] = "SELECT " ART_COLS ART_BODY ART_FROM
			       " JOIN article_slugs o ON o.article_id = a.id WHERE o.slug = $1",
	[MH_Q_MEDIA_INSERT] = "INSERT INTO media(name, type, width, height, size, alt, uploader_id, created_at, bytes)"
			    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
	[MH_Q_MEDIA_BY_NAME] = "SELECT " MH_STORE_MEDIA_COLS " FROM media WHERE name = $1",
	[MH_Q_MEDIA_BY_NAMES] = "SELECT " MH_STORE_MEDIA_COLS " FROM media WHERE name IN (SELECT json_array_elements_text($1::json))",
	[MH_Q_MEDIA_BY_ID] = "SELECT " MH_STORE_MEDIA_COLS " FROM media WHERE id = $1",
	[MH_Q_MEDIA_BYTES] = "SELECT bytes FROM media WHERE id = $1",
	[MH_Q_MEDIA_LIST] = "SELECT " MH_STORE_MEDIA_COLS " FROM media ORDER BY created_at DESC, id DESC LIMIT $1",
	[MH_Q_MEDIA_DELETE] = "DELETE FROM media WHERE id = $1",
	[MH_Q_MEDIA_USERS] = "SELECT id, slug, headline, status FROM articles"
			   " WHERE image_url = $1 OR strpos(body_md, $1) > 0 ORDER BY id",
	[MH_Q_MEDIA_SIZE_PUT] = "INSERT INTO media_sizes(media_id, width, format, bytes) VALUES ($1, $2, $3, $4)"
			      " ON CONFLICT (media_id, width, format) DO NOTHING",
	[MH_Q_MEDIA_SIZE_GET] = "SELECT bytes FROM media_sizes WHERE media_id = $1 AND width = $2 AND format = $3",
	[MH_Q_MEDIA_SIZES] = "SELECT width, format, octet_length(bytes) FROM media_sizes WHERE media_id = $1"
			   " ORDER BY width, format",
	[MH_Q_MEDIA_BY_STEM] = "SELECT " MH_STORE_MEDIA_COLS " FROM media"
			     " WHERE name IN ($1::text || '.jpg', $1::text || '.png', $1::text || '.webp', $1::text || '.gif')",
	[MH_Q_USERS] = "SELECT " MH_STORE_USER_COLS " FROM users u ORDER BY u.email",
	[MH_Q_USER_BY_EMAIL] = "SELECT " MH_STORE_USER_COLS " FROM users u WHERE u.email = $1",
	[MH_Q_USER_BY_ID] = "SELECT " MH_STORE_USER_COLS " FROM users u WHERE u.id = $1",
	[MH_Q_USER_INSERT] = "INSERT INTO users(email, name, role, password_hash, author_id, disabled, created_at, updated_at)"
			     " VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
	[MH_Q_USER_UPDATE] = "UPDATE users SET email = $1, name = $2, role = $3, password_hash = $4, author_id = $5, disabled = $6,"
			      " updated_at = $7 WHERE id = $8 RETURNING id",
	[MH_Q_USER_PASSWORD] = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
	[MH_Q_USER_CUT_SESSIONS] = "UPDATE users SET sessions_valid_after = $2 WHERE id = $1",
	[MH_Q_SESSIONS_OF_USER_DEL] = "DELETE FROM sessions WHERE user_id = $1",
	[MH_Q_SESSION_INSERT] = "INSERT INTO sessions(token_hash, user_id, created_at, last_seen_at, expires_at)"
				" VALUES ($1, $2, $3, $3, $4)",
	[MH_Q_SESSION_GET] = "SELECT " MH_STORE_SESSION_COLS ", " MH_STORE_USER_COLS
			     " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
	[MH_Q_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1",
	[MH_Q_SESSION_DEL] = "DELETE FROM sessions WHERE token_hash = $1",
	[MH_Q_SESSIONS_PRUNE] = "DELETE FROM sessions WHERE expires_at <= $1",
	[MH_Q_TOKEN_INSERT] = "INSERT INTO auth_tokens(token_hash, user_id, purpose, created_at, expires_at)"
			      " VALUES ($1, $2, $3, $4, $5)",
	[MH_Q_TOKEN_PEEK] = "SELECT user_id FROM auth_tokens"
			    " WHERE token_hash = $1 AND purpose = $2 AND used_at = 0 AND expires_at > $3",
	[MH_Q_TOKEN_USE] = "UPDATE auth_tokens SET used_at = $3"
			   " WHERE token_hash = $1 AND purpose = $2 AND used_at = 0 AND expires_at > $3 RETURNING user_id",
	[MH_Q_SECRET_ADD] = "INSERT INTO site_secrets(name, value, created_at) VALUES ($1, $2, $3)"
			    " ON CONFLICT (name) DO NOTHING",
	[MH_Q_SECRET_GET] = "SELECT value FROM site_secrets WHERE name = $1",
	[MH_Q_SECTION_ARTICLES] = "SELECT count(*) FROM articles WHERE section_id = $1",
	[MH_Q_SECTION_DEL] = "DELETE FROM sections WHERE id = $1",
	[MH_Q_REV_REPLACE] = "DELETE FROM article_revisions WHERE id = $1 AND article_id = $2 AND kind = 'save'"
			   " AND user_id = $3 AND status = 'draft' AND created_at >= $4 AND id = (SELECT max(id)"
			   " FROM article_revisions WHERE article_id = $2 AND kind <> 'conflict' AND id < $5)",
	[MH_Q_MEDIA_LIST_BEFORE] = "SELECT " MH_STORE_MEDIA_COLS " FROM media WHERE (created_at, id) < ($1, $2)"
				   " ORDER BY created_at DESC, id DESC LIMIT $3",
	[MH_Q_MEDIA_SET_ALT] = "UPDATE media SET alt = $2 WHERE id = $1",
	[MH_Q_SITE_SETTINGS] = "SELECT key, value FROM site_settings ORDER BY key",
	[MH_Q_SITE_SETTING_PUT] = "INSERT INTO site_settings(key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)"
				" ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,"
				" updated_by = excluded.updated_by",
	[MH_Q_TOKENS_OF_USER_DEL] = "DELETE FROM auth_tokens WHERE user_id = $1 AND purpose = $2",
	[MH_Q_USERS_LAST_SEEN] = "SELECT user_id, max(last_seen_at) FROM sessions GROUP BY user_id ORDER BY user_id",
	[MH_Q_TAGS_LIST] = "SELECT t.id, t.slug, t.name, (SELECT count(*) FROM article_tags x WHERE x.tag_id = t.id)"
			 " FROM tags t WHERE t.slug > $2 AND ($1 = '' OR strpos(lower(t.name), lower($1)) > 0"
			 " OR strpos(t.slug, lower($1)) > 0) ORDER BY t.slug LIMIT $3",
	[MH_Q_TAG_BY_ID] = "SELECT " MH_STORE_TAG_COLS " FROM tags WHERE id = $1",
	[MH_Q_TAG_UPDATE] = "UPDATE tags SET slug = $1, name = $2 WHERE id = $3 RETURNING id",
	[MH_Q_TAG_MERGE_LINKS] = "INSERT INTO article_tags(article_id, tag_id) SELECT article_id, $2 FROM article_tags"
			       " WHERE tag_id = $1 AND article_id NOT IN"
			       " (SELECT article_id FROM article_tags WHERE tag_id = $2)",
	[MH_Q_TAG_LINKS_DEL] = "DELETE FROM article_tags WHERE tag_id = $1",
	[MH_Q_TAG_DEL] = "DELETE FROM tags WHERE id = $1",
	[MH_Q_TAG_OLD_SET] = "INSERT INTO tag_slugs(slug, tag_id, created_at) VALUES ($1, $2, $3)"
			   " ON CONFLICT (slug) DO UPDATE SET tag_id = excluded.tag_id, created_at = excluded.created_at",
	[MH_Q_TAG_OLD_MOVE] = "UPDATE tag_slugs SET tag_id = $2 WHERE tag_id = $1",
	[MH_Q_TAG_OLD_DEL] = "DELETE FROM tag_slugs WHERE slug = $1",
	[MH_Q_TAG_BY_OLD_SLUG] = "SELECT t.id, t.slug, t.name FROM tags t JOIN tag_slugs o ON o.tag_id = t.id"
			       " WHERE o.slug = $1",
	[MH_Q_PICK_RANK] = "UPDATE articles SET pick_rank = $2 WHERE id = $1",
	[MH_Q_HEADLINE_SEARCH] = "SELECT id, slug, headline, published_at, staff_pick FROM articles"
			       " WHERE status = 'published' AND published_at <= $2 AND strpos(lower(headline), lower($1)) > 0"
			       " ORDER BY published_at DESC, id DESC LIMIT $3",
	[MH_Q_VIEWS_ADD_TOTAL] = "INSERT INTO article_views(article_id, views) SELECT $1, $2"
				 " WHERE EXISTS (SELECT 1 FROM articles WHERE id = $1 AND status = 'published')"
				 " ON CONFLICT(article_id) DO UPDATE SET views = article_views.views + excluded.views",
	[MH_Q_VIEWS_ADD_HOUR] = "INSERT INTO article_view_hours(article_id, hour, views) SELECT $1, $2, $3"
				" WHERE EXISTS (SELECT 1 FROM articles WHERE id = $1 AND status = 'published')"
				" ON CONFLICT(article_id, hour) DO UPDATE SET views = article_view_hours.views + excluded.views",
	[MH_Q_VIEWS_GET] = "SELECT a.views + coalesce((SELECT v.views FROM article_views v WHERE v.article_id = a.id), 0)"
			   " FROM articles a WHERE a.id = $1 AND a.status = 'published' AND a.published_at <= $2",
	[MH_Q_VIEWS_TOP] = "SELECT a.id, a.headline, a.slug, sum(h.views) AS n FROM article_view_hours h"
			   " JOIN articles a ON a.id = h.article_id WHERE h.hour >= $1"
			   " GROUP BY a.id, a.headline, a.slug, a.published_at"
			   " ORDER BY n DESC, a.published_at DESC, a.id DESC LIMIT $2",
	[MH_Q_VIEWS_DAILY] = "SELECT h.hour - h.hour % 86400 AS day, sum(h.views) FROM article_view_hours h"
			     " WHERE h.article_id = $1 AND h.hour >= $2 GROUP BY day ORDER BY day",
	[MH_Q_OWNERS_LOCK] = "SELECT id FROM users WHERE role = 'owner' AND NOT disabled AND password_hash <> $1"
			     " ORDER BY id FOR UPDATE",
	[MH_Q_TAG_REV_MOVE] = "UPDATE article_revisions SET tag_ids ="
			      " btrim(replace(',' || tag_ids || ',', ',' || $1::text || ',', ',' || $2::text || ','), ',')"
			      " WHERE ',' || tag_ids || ',' LIKE '%,' || $1::text || ',%'",
	/* issue 9's redirects and issue 11's WordPress import (migration 13) */
	[MH_Q_REDIRECT_PUT] = "INSERT INTO redirects(from_path, to_url, status, prefix, created_at)"
			      " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (from_path) DO UPDATE SET"
			      " to_url = excluded.to_url, status = excluded.status, prefix = excluded.prefix",
	[MH_Q_REDIRECT_DEL] = "DELETE FROM redirects WHERE from_path = $1",
	[MH_Q_REDIRECTS] = "SELECT from_path, to_url, status, prefix, created_at FROM redirects ORDER BY from_path",
	[MH_Q_WP_ITEM_GET] = "SELECT target_id, state, detail FROM wp_import_items"
			     " WHERE source = $1 AND kind = $2 AND wp_id = $3",
	[MH_Q_WP_ITEM_PUT] = "INSERT INTO wp_import_items(source, kind, wp_id, target_id, state, detail, updated_at)"
			     " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source, kind, wp_id)"
			     " DO UPDATE SET target_id = excluded.target_id, state = excluded.state,"
			     " detail = excluded.detail, updated_at = excluded.updated_at",
	/* sitemaps (issue 9, feeds): the status and time tests are written as
	 * expressions (no index matches them) so that the planner walks the
	 * primary key's id range; through articles_stream it would read every
	 * published article up to now and sort them */
	[MH_Q_SITEMAP_ARTICLES] = "SELECT a.id, a.slug, a.published_at, a.updated_at, a.image_url FROM articles a"
				  " WHERE a.id > $1 AND a.id <= $2"
				  " AND (a.status || '') = 'published' AND a.published_at + 0 <= $3 ORDER BY a.id LIMIT $4",
	[MH_Q_SITEMAP_NEXT_ID] = "SELECT a.id FROM articles a WHERE a.id > $1 AND (a.status || '') = 'published'"
				 " AND a.published_at + 0 <= $2 ORDER BY a.id LIMIT 1",
	[MH_Q_TRENDING] = "SELECT id, slug, headline, published_at, section_id, views, score FROM ("
			  " SELECT a.id, a.slug, a.headline, a.published_at, a.section_id, t.views, t.score,"
			  " row_number() OVER (PARTITION BY a.section_id"
			  " ORDER BY t.score DESC, a.published_at DESC, a.id DESC) AS rn"
			  " FROM (SELECT h.article_id, sum(h.views)::bigint AS views,"
			  " round(sum(h.views * power(0.5::float8, ($1::bigint - h.hour)::float8 / (3600.0::float8 * $3::float8)))"
			  " * 1000000)::bigint AS score"
			  " FROM article_view_hours h WHERE h.hour >= $2 AND h.hour <= $1 GROUP BY h.article_id) t"
			  " JOIN articles a ON a.id = t.article_id"
			  " WHERE a.status = 'published' AND a.published_at <= $4) r"
			  " WHERE rn <= $5 ORDER BY score DESC, published_at DESC, id DESC",
	/* issue 8's comments (migration 11) */
	[MH_Q_COMMENT_INSERT] = "INSERT INTO comments(article_id, parent_id, name, email, body, address_hash, status, created_at, updated_at)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
	[MH_Q_COMMENT_GET] = "SELECT " MH_STORE_COMMENT_COLS MH_STORE_COMMENT_FROM " WHERE c.id = $1",
	[MH_Q_COMMENTS_OF_ARTICLE] = "SELECT " MH_STORE_COMMENT_COLS MH_STORE_COMMENT_FROM ""
				" WHERE c.article_id = $1 AND c.status = 'approved' ORDER BY c.created_at, c.id LIMIT $2",
	[MH_Q_COMMENT_THREAD] = "SELECT comments_closed, approved FROM comment_threads WHERE article_id = $1",
	[MH_Q_COMMENT_COUNT_ADD] = "INSERT INTO comment_threads(article_id, approved) VALUES ($1, CASE WHEN $2 > 0 THEN $2 ELSE 0 END)"
				" ON CONFLICT(article_id) DO UPDATE SET approved = comment_threads.approved + $2",
	[MH_Q_COMMENT_CLOSE] = "INSERT INTO comment_threads(article_id, comments_closed) VALUES ($1, $2)"
				" ON CONFLICT(article_id) DO UPDATE SET comments_closed = excluded.comments_closed",
	[MH_Q_COMMENT_STATUS] = "UPDATE comments SET status = $2, updated_at = $3 WHERE id = $1",
	[MH_Q_COMMENT_EDIT] = "UPDATE comments SET name = $2, body = $3, updated_at = $4 WHERE id = $1",
	[MH_Q_COMMENTS_LIST] = "SELECT " MH_STORE_COMMENT_COLS MH_STORE_COMMENT_FROM ""
				" WHERE ($1 = '' OR c.status = $1) AND ($2 = '' OR c.email = $2)"
				" AND ($3 = '' OR c.address_hash = $3) AND ($4 = 0 OR c.article_id = $4)"
				" AND ($5 = 0 OR c.id < $5) ORDER BY c.id DESC LIMIT $6",
	[MH_Q_COMMENT_TRUSTED] = "SELECT count(*) FROM (SELECT 1 FROM comments WHERE status = 'approved'"
				" AND (($1 <> '' AND email = $1) OR address_hash = $2) LIMIT 1) t",
	[MH_Q_COMMENT_DUPLICATE] = "SELECT count(*) FROM comments WHERE article_id = $1 AND body = $2"
				" AND created_at >= $3 AND status <> 'deleted'",
	[MH_Q_COMMENT_BANNED] = "SELECT count(*) FROM comment_bans WHERE (kind = 'email' AND $1 <> '' AND value = $1)"
				" OR (kind = 'address' AND value = $2)",
	[MH_Q_COMMENT_BAN_ADD] = "INSERT INTO comment_bans(kind, value, created_at, created_by) VALUES ($1, $2, $3, $4)"
				" ON CONFLICT(kind, value) DO NOTHING",
	[MH_Q_COMMENT_BAN_DEL] = "DELETE FROM comment_bans WHERE kind = $1 AND value = $2",
	[MH_Q_COMMENT_BANS] = "SELECT kind, value, created_at, created_by FROM comment_bans ORDER BY created_at DESC, value",
	/* issue 9's advertisement slots */
	[MH_Q_ARTICLE_NO_ADS] = "UPDATE articles SET no_ads = $2 WHERE id = $1",
	[MH_Q_SECTION_NO_ADS] = "UPDATE sections SET no_ads = $2 WHERE id = $1",
	/* full-text search (issue 9) */
	[MH_Q_SEARCH_PUT] = "INSERT INTO article_search(article_id, headline, dek, body, authors) VALUES ($1, $2, $3, $4,"
			    " coalesce((SELECT string_agg(au.name, ' ' ORDER BY aa.position) FROM article_authors aa"
			    " JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = $1), ''))"
			    " ON CONFLICT (article_id) DO UPDATE SET headline = excluded.headline, dek = excluded.dek,"
			    " body = excluded.body, authors = excluded.authors",
	[MH_Q_SEARCH_DEL] = "DELETE FROM article_search WHERE article_id = $1",
	[MH_Q_SEARCH_AUTHOR] = "UPDATE article_search SET authors = coalesce((SELECT string_agg(au.name, ' ' ORDER BY aa.position)"
			       " FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
			       " WHERE aa.article_id = article_search.article_id), '')"
			       " WHERE article_id IN (SELECT article_id FROM article_authors WHERE author_id = $1)",
	[MH_Q_SEARCH_SOURCE] = "SELECT id, headline, dek, body_html FROM articles WHERE status = 'published' AND id > $1"
			       " ORDER BY id LIMIT $2",
	/* $1 for websearch_to_tsquery (words and phrases, each quoted), $2
	 * prefixes for to_tsquery ('w':* & ...). MH_SEARCH_WINDOW (store.h):
	 * the 2000 newest matches that pass the filters are ranked; ts_rank's
	 * default weights put A (headline) over B (dek) over C (body) over D
	 * (authors). The snippets (ts_headline reads the whole body) only for
	 * the page's hits: after the LIMIT. */
	[MH_Q_SEARCH] = "WITH q AS (SELECT CASE WHEN $2 = '' THEN websearch_to_tsquery('masthead_search', $1)"
			" WHEN $1 = '' THEN to_tsquery('masthead_search', $2)"
			" ELSE websearch_to_tsquery('masthead_search', $1) && to_tsquery('masthead_search', $2) END AS q),"
			" cand AS (SELECT sr.article_id, sr.doc, a.published_at"
			" FROM article_search sr JOIN articles a ON a.id = sr.article_id, q"
			" WHERE sr.doc @@ q.q AND a.status = 'published' AND a.published_at <= $3"
			" AND ($4::bigint = 0 OR a.section_id = $4::bigint)"
			" AND ($5::bigint = 0 OR EXISTS (SELECT 1 FROM article_authors aa WHERE aa.article_id = a.id"
			" AND aa.author_id = $5::bigint))"
			" AND a.published_at >= $6 AND a.published_at <= $7"
			" ORDER BY sr.article_id DESC LIMIT 2000),"
			" hits AS (SELECT c.article_id, ts_rank(c.doc, q.q) AS rank, c.published_at FROM cand c, q"
			" ORDER BY rank DESC, c.published_at DESC, c.article_id DESC LIMIT $8 OFFSET $9)"
			" SELECT " MH_STORE_ART_COLS ", ts_headline('masthead_search', sb.body, q.q,"
			" 'StartSel=\"\x01\", StopSel=\"\x02\", MaxWords=35, MinWords=15, ShortWord=2,"
			" MaxFragments=2, FragmentDelimiter=\" … \"')"
			" FROM hits h JOIN articles a ON a.id = h.article_id JOIN sections s ON s.id = a.section_id"
			" JOIN article_search sb ON sb.article_id = h.article_id, q"
			" ORDER BY h.rank DESC, h.published_at DESC, h.article_id DESC",
	/* the newsletter (migration 14) */
	[MH_Q_SUB_CONFIRM] = "INSERT INTO subscribers(email, status, created_at, confirmed_at, updated_at)"
			    " VALUES ($1, 'confirmed', $2, $2, $2) ON CONFLICT(email) DO UPDATE SET status = 'confirmed',"
			    " confirmed_at = CASE WHEN subscribers.status = 'confirmed' THEN subscribers.confirmed_at"
			    " ELSE $2 END, updated_at = $2 RETURNING id",
	[MH_Q_SUB_BY_EMAIL] = "SELECT " MH_STORE_SUB_COLS " FROM subscribers WHERE email = $1",
	[MH_Q_SUB_BY_ID] = "SELECT " MH_STORE_SUB_COLS " FROM subscribers WHERE id = $1",
	[MH_Q_SUB_STATUS] = "UPDATE subscribers SET status = $2, updated_at = $3 WHERE id = $1",
	[MH_Q_SUB_LIST] = "SELECT " MH_STORE_SUB_COLS " FROM subscribers WHERE id > $3 AND ($2 = '' OR status = $2)"
			 " AND ($1 = '' OR strpos(email, $1) > 0) ORDER BY id LIMIT $4",
	[MH_Q_SUB_DEL_DELIVERIES] = "DELETE FROM newsletter_deliveries WHERE subscriber_id = $1",
	[MH_Q_SUB_DEL] = "DELETE FROM subscribers WHERE id = $1",
	[MH_Q_SUB_UPSERT] = "INSERT INTO subscribers(email, status, created_at, confirmed_at, updated_at)"
			   " VALUES ($1, $2::text, $3::bigint, CASE WHEN $2::text = 'confirmed' THEN $3::bigint ELSE 0 END, $3::bigint)"
			   " ON CONFLICT(email) DO UPDATE SET status = excluded.status, updated_at = $3::bigint RETURNING id",
	[MH_Q_NL_INSERT] = "INSERT INTO newsletters(kind, article_id, subject, body_text, body_html, created_at, created_by)"
			  " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
	[MH_Q_NL_ENQUEUE] = "INSERT INTO newsletter_deliveries(newsletter_id, subscriber_id, state, updated_at)"
			   " SELECT $1, id, 'queued', $2 FROM subscribers WHERE status = 'confirmed'"
			   " ON CONFLICT DO NOTHING",
	[MH_Q_NL_EXPIRE] = "UPDATE newsletter_deliveries SET state = 'unknown', owner = '', lease_until = 0, updated_at = $2,"
			  " last_error = 'the sender stopped during the SMTP exchange: maybe delivered, not sent again'"
			  " WHERE newsletter_id = $1 AND state = 'sending' AND lease_until < $2",
	[MH_Q_NL_CLAIM] = "UPDATE newsletter_deliveries SET state = 'sending', owner = $2, lease_until = $3,"
			 " attempts = attempts + 1, updated_at = $4 WHERE newsletter_id = $1 AND subscriber_id ="
			 " (SELECT d.subscriber_id FROM newsletter_deliveries d WHERE d.newsletter_id = $1"
			 " AND d.state IN ('queued', 'deferred') AND d.next_at <= $4 ORDER BY d.next_at, d.subscriber_id LIMIT 1"
			 " FOR UPDATE SKIP LOCKED)"
			 " RETURNING subscriber_id, attempts,"
			 " (SELECT s.email FROM subscribers s WHERE s.id = newsletter_deliveries.subscriber_id),"
			 " (SELECT s.status FROM subscribers s WHERE s.id = newsletter_deliveries.subscriber_id)",
	[MH_Q_NL_RESULT] = "UPDATE newsletter_deliveries SET state = $4, smtp_code = $5, last_error = $6, next_at = $7,"
			  " owner = '', lease_until = 0, updated_at = $8"
			  " WHERE newsletter_id = $1 AND subscriber_id = $2 AND state = 'sending' AND owner = $3",
	[MH_Q_NL_COUNTS] = "SELECT state, count(*) FROM newsletter_deliveries WHERE newsletter_id = $1 GROUP BY state",
	[MH_Q_NL_LIST] = "SELECT " MH_STORE_NL_COLS " FROM newsletters ORDER BY id DESC LIMIT $1",
	[MH_Q_NL_GET] = "SELECT " MH_STORE_NL_COLS ", body_text, body_html FROM newsletters WHERE id = $1",
	[MH_Q_NL_DELIVERIES] = "SELECT s.email, d.state, d.attempts, d.smtp_code, d.last_error, d.updated_at"
			      " FROM newsletter_deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
			      " WHERE d.newsletter_id = $1 AND ($2 = '' OR d.state = $2) ORDER BY s.email LIMIT $3",
	[MH_Q_NL_PENDING] = "SELECT count(*), coalesce(min(CASE WHEN state = 'sending' THEN lease_until ELSE next_at END), 0)"
			   " FROM newsletter_deliveries WHERE newsletter_id = $1"
			   " AND state IN ('queued', 'deferred', 'sending')",
	/* issue 10's donations (migration 15) */
	[MH_Q_DON_INSERT] = "INSERT INTO donations(token, provider, provider_ref, amount, currency, monthly, status, email,"
			    " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)"
			    " RETURNING id",
	[MH_Q_DON_BY_TOKEN] = "SELECT id, token, provider, provider_ref, provider_sub, amount, currency, monthly, status, email, created_at, updated_at, paid_at FROM donations WHERE token = $1",
	[MH_Q_DON_BY_REF] = "SELECT id, token, provider, provider_ref, provider_sub, amount, currency, monthly, status, email, created_at, updated_at, paid_at FROM donations WHERE provider = $1 AND provider_ref = $2 FOR UPDATE",
	[MH_Q_DON_SET] = "UPDATE donations SET status = $2,"
			 " provider_sub = CASE WHEN $3 <> '' THEN $3 ELSE provider_sub END,"
			 " email = CASE WHEN email = '' THEN $4 ELSE email END, updated_at = $5,"
			 " paid_at = CASE WHEN $2 = 'paid' THEN $5 ELSE paid_at END WHERE id = $1",
	[MH_Q_DON_EVENT_ADD] = "INSERT INTO donation_events(provider, event_id, donation_id, status, received_at)"
			       " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, event_id) DO NOTHING",
	[MH_Q_DON_RECENT] = "SELECT id, token, provider, provider_ref, provider_sub, amount, currency, monthly, status, email, created_at, updated_at, paid_at FROM donations ORDER BY id DESC LIMIT $1",
	[MH_Q_DON_TOTALS] = "SELECT to_char(to_timestamp(paid_at) AT TIME ZONE 'UTC', 'YYYY-MM') AS month, currency, count(*), sum(amount) FROM donations"
			    " WHERE status = 'paid' GROUP BY month, currency ORDER BY month DESC, currency",
	[MH_Q_DON_RECURRING] = "SELECT email, amount, currency, provider, paid_at FROM donations"
			       " WHERE status = 'paid' AND monthly ORDER BY paid_at DESC, id DESC",
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
	int blocks;     /* write_begin without its write_end yet */
	int backoff_ms;
	int64_t next_try_ms; /* no reconnection before then (monotonic ms) */
	bool prepared[MH_Q__COUNT];
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

static enum mh_store_rc exec_st_once(struct pg *s, enum mh_store_stmt id, const struct params *p, PGresult **out,
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

static enum mh_store_rc exec_st(struct pg *s, enum mh_store_stmt id, const struct params *p, PGresult **out,
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
static enum mh_store_rc write_one(struct pg *s, enum mh_store_stmt id, const struct params *p, PGresult **out,
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

static bool pg_in_transaction(struct mh_store *base)
{
	struct pg *s = PG(base);
	return s->in_tx || s->tx_lost;
}

static enum mh_store_rc pg_write_begin(struct mh_store *base, struct mh_buf *err)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = write_begin(s, true, err);
	if (rc == MH_OK)
		s->blocks++;
	return rc;
}

static enum mh_store_rc pg_write_end(struct mh_store *base, enum mh_store_rc rc, struct mh_buf *err)
{
	struct pg *s = PG(base);
	if (s->blocks > 0)
		s->blocks--;
	return write_end(s, true, rc, err);
}

/* A transaction holding the migration lock: two nodes starting at once
 * take turns (the schema table is created under it too). */
static enum mh_store_rc pg_migrate_lock(struct mh_store *base, struct mh_buf *err)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = pg_write_begin(base, err);
	if (rc != MH_OK)
		return rc;
	char lock[96];
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)", (long long)MIGRATION_LOCK);
	if ((rc = command(s, lock, err)) != MH_OK)
		pg_write_end(base, rc, NULL);
	return rc;
}

static const char *pg_migration_sql(const struct mh_store_migration *m)
{
	return m->postgres_sql;
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

/* bytea arrives in the text format's hex form ("\\x0a1b..."): decoded by
 * libpq, then copied into the arena. */
static struct mh_str row_blob(void *ctx, struct mh_arena *a, int col)
{
	struct pg_row *x = ctx;
	size_t n = 0;
	unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(x->r, x->row, col), &n);
	MH_ASSERT(raw != NULL);
	char *copy = mh_arena_alloc_raw(a, n + 1); /* all written below */
	if (n > 0)
		memcpy(copy, raw, n);
	copy[n] = '\0';
	PQfreemem(raw);
	return (struct mh_str){ copy, n };
}

static struct mh_store_row row_of(struct pg_row *x)
{
	return (struct mh_store_row){ x, row_i64, row_flag, row_str, row_peek, row_blob };
}

/* Every list variant declares all its parameters as bigints (PQprepare), so
 * the ones a variant does not use are fine. */
static const struct mh_store_list_dialect list_dialect = {
	.param = { "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11" },
	.text_param = { "$12", "$13" },
	.like_nocase = "ILIKE",
	.any_status = "$1::bigint IS NOT NULL",
	.is_pick = "a.staff_pick",
};

void mh_store_postgres_list_sql(struct mh_buf *out, unsigned f, bool count)
{
	mh_store_list_sql(out, &list_dialect, f, count);
}

/* The statements of a cold article page, for bench/pgmodels.c. */
const char *mh_store_postgres_page_sql(enum mh_store_pg_page_stmt which)
{
	switch (which) {
	case MH_STORE_PG_SECTIONS:
		return stmt_sql[MH_Q_SECTIONS];
	case MH_STORE_PG_ARTICLE_BY_SLUG:
		return stmt_sql[MH_Q_ART_BY_SLUG];
	case MH_STORE_PG_BATCH_AUTHORS:
		return stmt_sql[MH_Q_BATCH_AUTHORS];
	case MH_STORE_PG_BATCH_TAGS:
		return stmt_sql[MH_Q_BATCH_TAGS];
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
	Oid types[LQ_NPARAMS + MH_STORE_LIST_NTEXTS];
	for (int i = 0; i < LQ_NPARAMS + MH_STORE_LIST_NTEXTS; i++)
		types[i] = i < LQ_NPARAMS ? 20 : 25; /* int8, then text */
	enum mh_store_rc rc = prepare(s, name, mh_buf_cstr(&sql), LQ_NPARAMS + MH_STORE_LIST_NTEXTS, types, NULL);
	mh_buf_free(&sql);
	if (rc == MH_OK)
		s->lists[f] |= bit;
	return rc;
}

/* The text values point into pattern, which the caller frees after the run. */
static void query_params(struct params *p, const struct mh_article_query *q, struct mh_buf *pattern)
{
	int64_t v[LQ_NPARAMS];
	mh_store_list_values(q, v);
	for (int i = 0; i < LQ_NPARAMS; i++)
		p_int(p, v[i]);
	const char *t[MH_STORE_LIST_NTEXTS];
	mh_store_list_texts(q, pattern, t);
	for (int i = 0; i < MH_STORE_LIST_NTEXTS; i++)
		p_strn(p, t[i], strlen(t[i]));
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
	struct mh_buf pattern = MH_BUF_INIT;
	query_params(&p, q, &pattern);
	rc = exec_named(s, name, &p, r, NULL, NULL, NULL);
	mh_buf_free(&pattern);
	return rc;
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

/* ---- running the store's statements ---- */

static void to_params(struct params *p, const struct mh_store_args *args)
{
	for (int i = 0; args != NULL && i < args->n; i++) {
		const struct mh_store_arg *v = &args->v[i];
		switch (v->kind) {
		case MH_ARG_NULL:
			p_null(p);
			break;
		case MH_ARG_INT:
			p_int(p, v->i);
			break;
		case MH_ARG_BOOL:
			p_bool(p, v->i != 0);
			break;
		case MH_ARG_TEXT:
		case MH_ARG_BLOB: /* binary format: bytea's is the bytes themselves */
			p_str(p, v->s);
			break;
		case MH_ARG_IDS:
			/* an array literal "{1,2}", parsed by the server: text format */
			p_int(p, 0);
			p->v[p->n - 1] = v->s.ptr;
			break;
		}
	}
}

static void each_row(PGresult *r, mh_store_row_fn *row, void *ctx)
{
	if (row == NULL)
		return;
	struct pg_row x = { r, 0 };
	struct mh_store_row rr = row_of(&x);
	int rows = PQntuples(r);
	for (x.row = 0; x.row < rows; x.row++)
		row(ctx, &rr);
}

/* A write on its own (not inside write_begin/write_end) runs in a savepoint
 * inside an explicit transaction: PostgreSQL would otherwise abort the whole
 * transaction when it fails, where SQLite fails the statement only. */
static enum mh_store_rc pg_exec(struct mh_store *base, enum mh_store_stmt id, const struct mh_store_args *args,
				mh_store_row_fn *row, void *ctx, int64_t *changed, struct mh_buf *err, const char *value,
				const char *fk)
{
	struct pg *s = PG(base);
	struct params p = { 0 };
	to_params(&p, args);
	PGresult *r = NULL;
	/* a row lock's failure (lock timeout) would end the caller's transaction too */
	bool write = strncmp(stmt_sql[id], "SELECT", 6) != 0 || strstr(stmt_sql[id], " FOR UPDATE") != NULL;
	enum mh_store_rc rc = write && s->blocks == 0 ? write_one(s, id, &p, &r, err, value, fk)
						       : exec_st(s, id, &p, &r, err, value, fk);
	if (rc != MH_OK)
		return rc;
	each_row(r, row, ctx);
	if (changed != NULL)
		*changed = affected(r);
	PQclear(r);
	return MH_OK;
}

static enum mh_store_rc pg_list(struct mh_store *base, unsigned f, bool count, const struct mh_article_query *q,
				mh_store_row_fn *row, void *ctx)
{
	PGresult *r = NULL;
	enum mh_store_rc rc = run_query(PG(base), q, f, count, &r);
	if (rc != MH_OK)
		return rc;
	each_row(r, row, ctx);
	PQclear(r);
	return MH_OK;
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
	/* One row at a time (libpq's single-row mode): a table of media
	 * bytes must not be held whole in memory. */
	if (!PQsendQuery(s->conn, sql) || !PQsetSingleRowMode(s->conn))
		return fail(s, NULL, err, NULL, NULL);
	const char *vals[32];
	PGresult *r;
	/* every result is read, also after a failure, so that the connection
	 * is ready for the next statement */
	while ((r = PQgetResult(s->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && rc == MH_OK) {
			MH_ASSERT(ncols <= 32 && PQnfields(r) == ncols);
			for (int c = 0; c < ncols; c++) {
				const char *v = PQgetisnull(r, 0, c) ? NULL : PQgetvalue(r, 0, c);
				/* booleans travel as 0/1, SQLite's way */
				if (v != NULL && PQftype(r, c) == 16 /* bool */)
					v = v[0] == 't' ? "1" : "0";
				vals[c] = v;
			}
			rc = row(ctx, vals);
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == MH_OK) {
			rc = fail(s, r, err, NULL, NULL);
			if (s->conn == NULL) { /* dropped as broken: nothing more to read */
				PQclear(r);
				break;
			}
		}
		PQclear(r);
	}
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

static enum mh_store_rc pg_plan(struct mh_store *base, int id, unsigned f, const struct mh_article_query *q,
				struct mh_buf *out)
{
	struct pg *s = PG(base);
	enum mh_store_rc rc = ensure(s, NULL);
	if (rc != MH_OK)
		return rc;
	/* the very prepared statement the store runs: EXPLAIN EXECUTE it */
	char name[16];
	struct mh_buf sql = MH_BUF_INIT;
	if (id < 0) {
		if ((rc = query_stmt(s, f, false, name)) != MH_OK)
			return rc;
		struct params p = { 0 };
		struct mh_buf pattern = MH_BUF_INIT;
		query_params(&p, q, &pattern);
		mh_buf_printf(&sql, "EXPLAIN EXECUTE %s(", name);
		for (int k = 0; k < LQ_NPARAMS; k++)
			mh_buf_printf(&sql, "%s%s", k ? ", " : "", p.v[k]); /* our own decimal numbers */
		for (int k = LQ_NPARAMS; k < p.n; k++) {
			char *lit = PQescapeLiteral(s->conn, p.v[k], (size_t)p.len[k]);
			if (lit == NULL) {
				mh_buf_free(&pattern);
				mh_buf_free(&sql);
				return MH_ERROR;
			}
			mh_buf_printf(&sql, ", %s", lit);
			PQfreemem(lit);
		}
		mh_buf_append_ch(&sql, ')');
		mh_buf_free(&pattern);
	} else {
		snprintf(name, sizeof(name), "s%d", id);
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

/* websearch_to_tsquery's syntax for words and phrases, each quoted (so
 * "or" and a leading '-' are words, not operators); to_tsquery's for the
 * prefixes, 'w':* joined by &. The terms hold no quotes or backslashes. */
static void pg_search_syntax(const struct mh_search_term *t, size_t n, struct mh_buf *match, struct mh_buf *prefixes)
{
	for (size_t i = 0; i < n; i++) {
		struct mh_buf *b = t[i].kind == MH_SEARCH_PREFIX ? prefixes : match;
		if (b->len > 0)
			mh_buf_append_c(b, t[i].kind == MH_SEARCH_PREFIX ? " & " : " ");
		char q = t[i].kind == MH_SEARCH_PREFIX ? '\'' : '"';
		mh_buf_append_ch(b, q);
		mh_buf_append_c(b, t[i].text);
		mh_buf_append_ch(b, q);
		if (t[i].kind == MH_SEARCH_PREFIX)
			mh_buf_append_c(b, ":*");
	}
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
	.exec = pg_exec,
	.ids_open = '{',
	.ids_close = '}',
	.list = pg_list,
	.changes_wait = pg_changes_wait,
	.count = pg_count,
	.plan = pg_plan,
	.raw_exec = pg_raw_exec,
	.raw_rows = pg_raw_rows,
	.raw_insert = pg_raw_insert,
	.search_syntax = pg_search_syntax,
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
