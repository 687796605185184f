/*
 * sqlite.c: the SQLite backend of store.h. One connection per struct mh_store
 * (opened SQLITE_OPEN_NOMUTEX: a store is NOT thread-safe; the server opens
 * one per worker thread). WAL mode with synchronous=FULL, so a committed write
 * survives kill -9 and power loss; foreign keys on; waits up to 5 s for a
 * lock, then reports MH_UNAVAILABLE. Statements are prepared once per
 * connection (SQLITE_PREPARE_PERSISTENT) and reset after each use.
 * Only SQLite's dialect and driver live here: the statements store.c runs
 * (store_int.h's MH_Q_*), transactions and the connection. Every rule of
 * the API is store.c's.
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

#define ART_COLS MH_STORE_ART_COLS
#define ART_BODY MH_STORE_ART_BODY
#define ART_FROM MH_STORE_ART_FROM

/* The statements of store_int.h's MH_Q_*, then this backend's own. */
enum stmt_id {
	ST_BEGIN = MH_Q__COUNT,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
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
	[MH_Q_MIG_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
	[MH_Q_MIG_RECORD] = "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)",
	[MH_Q_SECTIONS] = "SELECT " MH_STORE_SECTION_COLS " FROM sections", /* store.c orders them */
	[MH_Q_SECTION_BY_SLUG] = "SELECT " MH_STORE_SECTION_COLS " FROM sections WHERE slug = ?1",
	[MH_Q_SECTION_INSERT] = "INSERT INTO sections(slug, name, description, position, kind)"
			      " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
	[MH_Q_SECTION_UPDATE] = "UPDATE sections SET slug = ?1, name = ?2, description = ?3, position = ?4,"
			      " kind = ?5 WHERE id = ?6 RETURNING id",
	[MH_Q_AUTHORS] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors ORDER BY name, id",
	[MH_Q_AUTHOR_BY_SLUG] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors WHERE slug = ?1",
	[MH_Q_AUTHOR_INSERT] = "INSERT INTO authors(slug, name, bio, avatar_url) VALUES (?1, ?2, ?3, ?4) RETURNING id",
	[MH_Q_AUTHOR_UPDATE] = "UPDATE authors SET slug = ?1, name = ?2, bio = ?3, avatar_url = ?4 WHERE id = ?5 RETURNING id",
	[MH_Q_TAG_BY_SLUG] = "SELECT " MH_STORE_TAG_COLS " FROM tags WHERE slug = ?1",
	[MH_Q_TAG_INSERT] = "INSERT INTO tags(slug, name) VALUES (?1, ?2) RETURNING id",
	[MH_Q_ART_BY_SLUG] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.slug = ?1",
	[MH_Q_ART_BY_ID] = "SELECT " ART_COLS ART_BODY ART_FROM " WHERE a.id = ?1",
	[MH_Q_ART_OLD] = "SELECT created_at, was_published FROM articles WHERE id = ?1",
	[MH_Q_ART_INSERT] = "INSERT INTO articles(slug, headline, dek, body_md, body_html, lead_html, section_id,"
			  " image_url, image_alt, via_name, via_url, staff_pick, status, published_at,"
			  " updated_at, created_at, was_published, views)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
			  " RETURNING id",
	[MH_Q_ART_UPDATE] = "UPDATE articles SET slug = ?1, headline = ?2, dek = ?3, body_md = ?4, body_html = ?5,"
			  " lead_html = ?6, section_id = ?7, image_url = ?8, image_alt = ?9, via_name = ?10,"
			  " via_url = ?11, staff_pick = ?12, status = ?13, published_at = ?14, updated_at = ?15,"
			  " created_at = ?16, was_published = ?17, views = ?18 WHERE id = ?19"
			  " RETURNING id",
	[MH_Q_ART_DEL_AUTHORS] = "DELETE FROM article_authors WHERE article_id = ?1",
	[MH_Q_ART_DEL_TAGS] = "DELETE FROM article_tags WHERE article_id = ?1",
	[MH_Q_ART_ADD_AUTHOR] = "INSERT INTO article_authors(article_id, author_id, position) VALUES (?1, ?2, ?3)",
	[MH_Q_ART_ADD_TAG] = "INSERT INTO article_tags(article_id, tag_id) VALUES (?1, ?2)",
	/* Authors and tags of a whole list page in one query each: the ids come
	 * as one JSON array so the statement stays the same for any page size. */
	/* driven by the id list, one primary-key search per article: no IN
	 * list or sorter (each a temporary table); store.c orders the rows */
	[MH_Q_BATCH_AUTHORS] = "SELECT " MH_STORE_BATCH_AUTHOR_COLS
			     " FROM json_each(?1) j JOIN article_authors aa ON aa.article_id = j.value"
			     " JOIN authors au ON au.id = aa.author_id",
	[MH_Q_BATCH_TAGS] = "SELECT " MH_STORE_BATCH_TAG_COLS
			  " FROM json_each(?1) j JOIN article_tags at ON at.article_id = j.value"
			  " JOIN tags t ON t.id = at.tag_id",
	[MH_Q_SET_VIEWS] = "UPDATE articles SET views = ?2 WHERE id = ?1",
	/* one writer at a time: inside its transaction the row is ours already */
	[MH_Q_ART_LOCK] = "SELECT id FROM articles WHERE id = ?1",
	[MH_Q_CHANGE_ADD] = "INSERT INTO changes(keys, created_at) VALUES (?1, ?2)",
	[MH_Q_CHANGE_LAST] = "SELECT coalesce(max(id), 0) FROM changes",
	[MH_Q_CHANGES_SINCE] = "SELECT " MH_STORE_CHANGE_COLS " FROM changes WHERE id > ?1 ORDER BY id LIMIT ?2",
	[MH_Q_CHANGES_PRUNE] = "DELETE FROM changes WHERE created_at < ?1",
	[MH_Q_JOB_REQUEUE] = "UPDATE jobs SET payload = ?2, run_at = ?3, state = 'queued', attempts = 0, owner = '',"
			   " lease_until = 0, updated_at = ?4"
			   " WHERE dedupe = ?1 AND state IN ('queued', 'running') RETURNING id",
	[MH_Q_JOB_INSERT] = "INSERT INTO jobs(kind, payload, run_at, dedupe, created_at, updated_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
	/* run inside BEGIN IMMEDIATE (store.c's write_begin): one writer at a time */
	[MH_Q_JOB_CLAIM] = "UPDATE jobs SET state = 'running', owner = ?1, lease_until = ?2, attempts = attempts + 1,"
			 " updated_at = ?3 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= ?3)"
			 " OR (state = 'running' AND lease_until < ?3) ORDER BY run_at, id LIMIT 1)"
			 " RETURNING " MH_STORE_JOB_COLS,
	[MH_Q_JOB_DONE] = "UPDATE jobs SET state = 'done', owner = '', lease_until = 0, updated_at = ?3"
			" WHERE id = ?1 AND owner = ?2 AND state = 'running'",
	[MH_Q_JOB_FAIL] = "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'parked' ELSE 'queued' END,"
			" run_at = ?4, last_error = ?3, owner = '', lease_until = 0, updated_at = ?5"
			" WHERE id = ?1 AND owner = ?2 AND state = 'running'",
	[MH_Q_JOBS_ALL] = "SELECT " MH_STORE_JOB_COLS " FROM jobs ORDER BY id DESC LIMIT ?1",
	[MH_Q_JOBS_STATE] = "SELECT " MH_STORE_JOB_COLS " FROM jobs WHERE state = ?2 ORDER BY id DESC LIMIT ?1",
	[MH_Q_JOB_RETRY] = "UPDATE jobs SET state = 'queued', run_at = ?2, attempts = 0, owner = '', lease_until = 0,"
			 " updated_at = ?2 WHERE id = ?1 AND state IN ('parked', 'queued')",
	[MH_Q_JOBS_PRUNE] = "DELETE FROM jobs WHERE state = 'done' AND updated_at < ?1",
	/* ---- revisions and old addresses ---- */
	[MH_Q_REV_INSERT] = "INSERT INTO article_revisions(article_id, kind, restored_from, user_id, user_name,"
			  " created_at, slug, headline, dek, section_id, author_ids, tag_ids, via_name, via_url,"
			  " image_url, image_alt, staff_pick, status, published_at, body_md)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
			  " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20) RETURNING id",
	[MH_Q_REV_LIST] = "SELECT " MH_STORE_REV_COLS " FROM article_revisions"
			" WHERE article_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
	[MH_Q_REV_GET] = "SELECT " MH_STORE_REV_COLS ", body_md FROM article_revisions WHERE id = ?1",
	[MH_Q_REV_LATEST] = "SELECT coalesce(max(id), 0) FROM article_revisions"
			  " WHERE article_id = ?1 AND kind <> 'conflict'",
	[MH_Q_AUTHORS_BY_IDS] = "SELECT " MH_STORE_AUTHOR_COLS " FROM authors WHERE id IN (SELECT value FROM json_each(?1))",
	[MH_Q_TAGS_BY_IDS] = "SELECT " MH_STORE_TAG_COLS " FROM tags WHERE id IN (SELECT value FROM json_each(?1))",
	[MH_Q_ART_SLUG_NOW] = "SELECT slug FROM articles WHERE id = ?1",
	[MH_Q_OLD_SLUG_SET] = "INSERT INTO article_slugs(slug, article_id, created_at) VALUES (?1, ?2, ?3)"
			    " ON CONFLICT (slug) DO UPDATE SET article_id = excluded.article_id,"
			    " created_at = excluded.created_at",
	[MH_Q_OLD_SLUG_DEL] = "DELETE FROM article_slugs WHERE slug = ?1",
	[MH_Q_ART_BY_OLD_SLUG] = "SELECT " ART_COLS ART_BODY ART_FROM
			       " JOIN article_slugs o ON o.article_id = a.id WHERE o.slug = ?1",
	[MH_Q_MEDIA_INSERT] = "INSERT INTO media(name, type, width, height, size, alt, uploader_id, created_at, bytes)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
	[MH_Q_MEDIA_BY_NAME] = "SELECT " MH_STORE_MEDIA_COLS " FROM media WHERE name = ?1",
	[MH_Q_MEDIA_BY_NAMES] = "SELECT " MH_STORE_MEDIA_COLS " FROM media WHERE name IN (SELECT value FROM json_each(?1))",
	[MH_Q_MEDIA_BY_ID] = "SELECT " MH_STORE_MEDIA_COLS " FROM media WHERE id = ?1",
	[MH_Q_MEDIA_BYTES] = "SELECT bytes FROM media WHERE id = ?1",
	[MH_Q_MEDIA_LIST] = "SELECT " MH_STORE_MEDIA_COLS " FROM media ORDER BY created_at DESC, id DESC LIMIT ?1",
	[MH_Q_MEDIA_DELETE] = "DELETE FROM media WHERE id = ?1",
	[MH_Q_MEDIA_USERS] = "SELECT id, slug, headline, status FROM articles"
			   " WHERE image_url = ?1 OR instr(body_md, ?1) > 0 ORDER BY id",
	[MH_Q_MEDIA_SIZE_PUT] = "INSERT INTO media_sizes(media_id, width, format, bytes) VALUES (?1, ?2, ?3, ?4)"
			      " ON CONFLICT (media_id, width, format) DO NOTHING",
	[MH_Q_MEDIA_SIZE_GET] = "SELECT bytes FROM media_sizes WHERE media_id = ?1 AND width = ?2 AND format = ?3",
	[MH_Q_MEDIA_SIZES] = "SELECT width, format, length(bytes) FROM media_sizes WHERE media_id = ?1"
			   " ORDER BY width, format",
	[MH_Q_MEDIA_BY_STEM] = "SELECT " MH_STORE_MEDIA_COLS " FROM media"
			     " WHERE name IN (?1 || '.jpg', ?1 || '.png', ?1 || '.webp', ?1 || '.gif')",
	[MH_Q_USERS] = "SELECT " MH_STORE_USER_COLS " FROM users u ORDER BY u.email",
	[MH_Q_USER_BY_EMAIL] = "SELECT " MH_STORE_USER_COLS " FROM users u WHERE u.email = ?1",
	[MH_Q_USER_BY_ID] = "SELECT " MH_STORE_USER_COLS " FROM users u WHERE u.id = ?1",
	[MH_Q_USER_INSERT] = "INSERT INTO users(email, name, role, password_hash, author_id, disabled, created_at, updated_at)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id",
	[MH_Q_USER_UPDATE] = "UPDATE users SET email = ?1, name = ?2, role = ?3, password_hash = ?4, author_id = ?5, disabled = ?6,"
			      " updated_at = ?7 WHERE id = ?8 RETURNING id",
	[MH_Q_USER_PASSWORD] = "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
	[MH_Q_USER_CUT_SESSIONS] = "UPDATE users SET sessions_valid_after = ?2 WHERE id = ?1",
	[MH_Q_SESSIONS_OF_USER_DEL] = "DELETE FROM sessions WHERE user_id = ?1",
	[MH_Q_SESSION_INSERT] = "INSERT INTO sessions(token_hash, user_id, created_at, last_seen_at, expires_at)"
				" VALUES (?1, ?2, ?3, ?3, ?4)",
	[MH_Q_SESSION_GET] = "SELECT " MH_STORE_SESSION_COLS ", " MH_STORE_USER_COLS
			     " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
	[MH_Q_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
	[MH_Q_SESSION_DEL] = "DELETE FROM sessions WHERE token_hash = ?1",
	[MH_Q_SESSIONS_PRUNE] = "DELETE FROM sessions WHERE expires_at <= ?1",
	[MH_Q_TOKEN_INSERT] = "INSERT INTO auth_tokens(token_hash, user_id, purpose, created_at, expires_at)"
			      " VALUES (?1, ?2, ?3, ?4, ?5)",
	[MH_Q_TOKEN_PEEK] = "SELECT user_id FROM auth_tokens"
			    " WHERE token_hash = ?1 AND purpose = ?2 AND used_at = 0 AND expires_at > ?3",
	[MH_Q_TOKEN_USE] = "UPDATE auth_tokens SET used_at = ?3"
			   " WHERE token_hash = ?1 AND purpose = ?2 AND used_at = 0 AND expires_at > ?3 RETURNING user_id",
	[MH_Q_SECRET_ADD] = "INSERT INTO site_secrets(name, value, created_at) VALUES (?1, ?2, ?3)"
			    " ON CONFLICT (name) DO NOTHING",
	[MH_Q_SECRET_GET] = "SELECT value FROM site_secrets WHERE name = ?1",
	[MH_Q_SECTION_ARTICLES] = "SELECT count(*) FROM articles WHERE section_id = ?1",
	[MH_Q_SECTION_DEL] = "DELETE FROM sections WHERE id = ?1",
	[MH_Q_REV_REPLACE] = "DELETE FROM article_revisions WHERE id = ?1 AND article_id = ?2 AND kind = 'save'"
			   " AND user_id = ?3 AND status = 'draft' AND created_at >= ?4 AND id = (SELECT max(id)"
			   " FROM article_revisions WHERE article_id = ?2 AND kind <> 'conflict' AND id < ?5)",
	/* (created_at, id) < (?1, ?2) spelled out: media_created serves it */
	[MH_Q_MEDIA_LIST_BEFORE] = "SELECT " MH_STORE_MEDIA_COLS " FROM media"
				   " WHERE created_at < ?1 OR (created_at = ?1 AND id < ?2)"
				   " ORDER BY created_at DESC, id DESC LIMIT ?3",
	[MH_Q_MEDIA_SET_ALT] = "UPDATE media SET alt = ?2 WHERE id = ?1",
	[MH_Q_SITE_SETTINGS] = "SELECT key, value FROM site_settings ORDER BY key",
	[MH_Q_SITE_SETTING_PUT] = "INSERT INTO site_settings(key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)"
				" ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,"
				" updated_by = excluded.updated_by",
	[MH_Q_TOKENS_OF_USER_DEL] = "DELETE FROM auth_tokens WHERE user_id = ?1 AND purpose = ?2",
	[MH_Q_USERS_LAST_SEEN] = "SELECT user_id, max(last_seen_at) FROM sessions GROUP BY user_id ORDER BY user_id",
	[MH_Q_TAGS_LIST] = "SELECT t.id, t.slug, t.name, (SELECT count(*) FROM article_tags x WHERE x.tag_id = t.id)"
			 " FROM tags t WHERE t.slug > ?2 AND (?1 = '' OR instr(lower(t.name), lower(?1)) > 0"
			 " OR instr(t.slug, lower(?1)) > 0) ORDER BY t.slug LIMIT ?3",
	[MH_Q_TAG_BY_ID] = "SELECT " MH_STORE_TAG_COLS " FROM tags WHERE id = ?1",
	[MH_Q_TAG_UPDATE] = "UPDATE tags SET slug = ?1, name = ?2 WHERE id = ?3 RETURNING id",
	[MH_Q_TAG_MERGE_LINKS] = "INSERT INTO article_tags(article_id, tag_id) SELECT article_id, ?2 FROM article_tags"
			       " WHERE tag_id = ?1 AND article_id NOT IN"
			       " (SELECT article_id FROM article_tags WHERE tag_id = ?2)",
	[MH_Q_TAG_LINKS_DEL] = "DELETE FROM article_tags WHERE tag_id = ?1",
	[MH_Q_TAG_DEL] = "DELETE FROM tags WHERE id = ?1",
	[MH_Q_TAG_OLD_SET] = "INSERT INTO tag_slugs(slug, tag_id, created_at) VALUES (?1, ?2, ?3)"
			   " ON CONFLICT (slug) DO UPDATE SET tag_id = excluded.tag_id, created_at = excluded.created_at",
	[MH_Q_TAG_OLD_MOVE] = "UPDATE tag_slugs SET tag_id = ?2 WHERE tag_id = ?1",
	[MH_Q_TAG_OLD_DEL] = "DELETE FROM tag_slugs WHERE slug = ?1",
	[MH_Q_TAG_BY_OLD_SLUG] = "SELECT t.id, t.slug, t.name FROM tags t JOIN tag_slugs o ON o.tag_id = t.id"
			       " WHERE o.slug = ?1",
	[MH_Q_PICK_RANK] = "UPDATE articles SET pick_rank = ?2 WHERE id = ?1",
	[MH_Q_HEADLINE_SEARCH] = "SELECT id, slug, headline, published_at, staff_pick FROM articles"
			       " WHERE status = 'published' AND published_at <= ?2 AND instr(lower(headline), lower(?1)) > 0"
			       " ORDER BY published_at DESC, id DESC LIMIT ?3",
	[MH_Q_VIEWS_ADD_TOTAL] = "INSERT INTO article_views(article_id, views) SELECT ?1, ?2"
				 " WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?1 AND status = 'published')"
				 " ON CONFLICT(article_id) DO UPDATE SET views = article_views.views + excluded.views",
	[MH_Q_VIEWS_ADD_HOUR] = "INSERT INTO article_view_hours(article_id, hour, views) SELECT ?1, ?2, ?3"
				" WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?1 AND status = 'published')"
				" ON CONFLICT(article_id, hour) DO UPDATE SET views = article_view_hours.views + excluded.views",
	[MH_Q_VIEWS_GET] = "SELECT a.views + coalesce((SELECT v.views FROM article_views v WHERE v.article_id = a.id), 0)"
			   " FROM articles a WHERE a.id = ?1 AND a.status = 'published' AND a.published_at <= ?2",
	[MH_Q_VIEWS_TOP] = "SELECT a.id, a.headline, a.slug, sum(h.views) AS n FROM article_view_hours h"
			   " JOIN articles a ON a.id = h.article_id WHERE h.hour >= ?1"
			   " GROUP BY a.id, a.headline, a.slug, a.published_at"
			   " ORDER BY n DESC, a.published_at DESC, a.id DESC LIMIT ?2",
	[MH_Q_VIEWS_DAILY] = "SELECT h.hour - h.hour % 86400 AS day, sum(h.views) FROM article_view_hours h"
			     " WHERE h.article_id = ?1 AND h.hour >= ?2 GROUP BY day ORDER BY day",
	[MH_Q_OWNERS_LOCK] = "SELECT id FROM users WHERE role = 'owner' AND disabled = 0 AND password_hash <> ?1",
	[MH_Q_TAG_REV_MOVE] = "UPDATE article_revisions SET tag_ids ="
			      " trim(replace(',' || tag_ids || ',', ',' || ?1 || ',', ',' || ?2 || ','), ',')"
			      " WHERE ',' || tag_ids || ',' LIKE '%,' || ?1 || ',%'",
	/* issue 9's redirects and issue 11's WordPress import (migration 13) */
	[MH_Q_REDIRECT_PUT] = "INSERT INTO redirects(from_path, to_url, status, prefix, created_at)"
			      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (from_path) DO UPDATE SET"
			      " to_url = excluded.to_url, status = excluded.status, prefix = excluded.prefix",
	[MH_Q_REDIRECT_DEL] = "DELETE FROM redirects WHERE from_path = ?1",
	[MH_Q_REDIRECTS] = "SELECT from_path, to_url, status, prefix, created_at FROM redirects ORDER BY from_path",
	[MH_Q_WP_ITEM_GET] = "SELECT target_id, state, detail FROM wp_import_items"
			     " WHERE source = ?1 AND kind = ?2 AND wp_id = ?3",
	[MH_Q_WP_ITEM_PUT] = "INSERT INTO wp_import_items(source, kind, wp_id, target_id, state, detail, updated_at)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (source, kind, wp_id)"
			     " DO UPDATE SET target_id = excluded.target_id, state = excluded.state,"
			     " detail = excluded.detail, updated_at = excluded.updated_at",
	/* sitemaps (issue 9, feeds): the status and time tests are written as
	 * expressions (no index matches them) so that the planner walks the
	 * primary key's id range; through articles_stream it would read every
	 * published article up to now and sort them */
	[MH_Q_SITEMAP_ARTICLES] = "SELECT a.id, a.slug, a.published_at, a.updated_at, a.image_url FROM articles a"
				  " WHERE a.id > ?1 AND a.id <= ?2"
				  " AND (a.status || '') = 'published' AND a.published_at + 0 <= ?3 ORDER BY a.id LIMIT ?4",
	[MH_Q_SITEMAP_NEXT_ID] = "SELECT a.id FROM articles a WHERE a.id > ?1 AND (a.status || '') = 'published'"
				 " AND a.published_at + 0 <= ?2 ORDER BY a.id LIMIT 1",
	[MH_Q_TRENDING] = "SELECT id, slug, headline, published_at, section_id, views, score FROM ("
			  " SELECT a.id, a.slug, a.headline, a.published_at, a.section_id, t.views, t.score,"
			  " row_number() OVER (PARTITION BY a.section_id"
			  " ORDER BY t.score DESC, a.published_at DESC, a.id DESC) AS rn"
			  " FROM (SELECT h.article_id, sum(h.views) AS views,"
			  " CAST(round(sum(h.views * pow(0.5, (?1 - h.hour) / (3600.0 * ?3))) * 1000000) AS INTEGER) AS score"
			  " FROM article_view_hours h WHERE h.hour >= ?2 AND h.hour <= ?1 GROUP BY h.article_id) t"
			  " JOIN articles a ON a.id = t.article_id"
			  " WHERE a.status = 'published' AND a.published_at <= ?4) r"
			  " WHERE rn <= ?5 ORDER BY score DESC, published_at DESC, id DESC",
	/* issue 8's comments (migration 11) */
	[MH_Q_COMMENT_INSERT] = "INSERT INTO comments(article_id, parent_id, name, email, body, address_hash, status, created_at, updated_at)"
				" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
	[MH_Q_COMMENT_GET] = "SELECT " MH_STORE_COMMENT_COLS MH_STORE_COMMENT_FROM " WHERE c.id = ?1",
	[MH_Q_COMMENTS_OF_ARTICLE] = "SELECT " MH_STORE_COMMENT_COLS MH_STORE_COMMENT_FROM ""
				" WHERE c.article_id = ?1 AND c.status = 'approved' ORDER BY c.created_at, c.id LIMIT ?2",
	[MH_Q_COMMENT_THREAD] = "SELECT comments_closed, approved FROM comment_threads WHERE article_id = ?1",
	[MH_Q_COMMENT_COUNT_ADD] = "INSERT INTO comment_threads(article_id, approved) VALUES (?1, CASE WHEN ?2 > 0 THEN ?2 ELSE 0 END)"
				" ON CONFLICT(article_id) DO UPDATE SET approved = comment_threads.approved + ?2",
	[MH_Q_COMMENT_CLOSE] = "INSERT INTO comment_threads(article_id, comments_closed) VALUES (?1, ?2)"
				" ON CONFLICT(article_id) DO UPDATE SET comments_closed = excluded.comments_closed",
	[MH_Q_COMMENT_STATUS] = "UPDATE comments SET status = ?2, updated_at = ?3 WHERE id = ?1",
	[MH_Q_COMMENT_EDIT] = "UPDATE comments SET name = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
	[MH_Q_COMMENTS_LIST] = "SELECT " MH_STORE_COMMENT_COLS MH_STORE_COMMENT_FROM ""
				" WHERE (?1 = '' OR c.status = ?1) AND (?2 = '' OR c.email = ?2)"
				" AND (?3 = '' OR c.address_hash = ?3) AND (?4 = 0 OR c.article_id = ?4)"
				" AND (?5 = 0 OR c.id < ?5) ORDER BY c.id DESC LIMIT ?6",
	[MH_Q_COMMENT_TRUSTED] = "SELECT count(*) FROM (SELECT 1 FROM comments WHERE status = 'approved'"
				" AND ((?1 <> '' AND email = ?1) OR address_hash = ?2) LIMIT 1) t",
	[MH_Q_COMMENT_DUPLICATE] = "SELECT count(*) FROM comments WHERE article_id = ?1 AND body = ?2"
				" AND created_at >= ?3 AND status <> 'deleted'",
	[MH_Q_COMMENT_BANNED] = "SELECT count(*) FROM comment_bans WHERE (kind = 'email' AND ?1 <> '' AND value = ?1)"
				" OR (kind = 'address' AND value = ?2)",
	[MH_Q_COMMENT_BAN_ADD] = "INSERT INTO comment_bans(kind, value, created_at, created_by) VALUES (?1, ?2, ?3, ?4)"
				" ON CONFLICT(kind, value) DO NOTHING",
	[MH_Q_COMMENT_BAN_DEL] = "DELETE FROM comment_bans WHERE kind = ?1 AND value = ?2",
	[MH_Q_COMMENT_BANS] = "SELECT kind, value, created_at, created_by FROM comment_bans ORDER BY created_at DESC, value",
	/* issue 9's advertisement slots */
	[MH_Q_ARTICLE_NO_ADS] = "UPDATE articles SET no_ads = ?2 WHERE id = ?1",
	[MH_Q_SECTION_NO_ADS] = "UPDATE sections SET no_ads = ?2 WHERE id = ?1",
	/* full-text search (issue 9) */
	[MH_Q_SEARCH_PUT] = "INSERT INTO article_search(article_id, headline, dek, body, authors) VALUES (?1, ?2, ?3, ?4,"
			    " coalesce((SELECT group_concat(au.name, ' ') FROM article_authors aa"
			    " JOIN authors au ON au.id = aa.author_id WHERE aa.article_id = ?1), ''))"
			    " ON CONFLICT(article_id) DO UPDATE SET headline = excluded.headline, dek = excluded.dek,"
			    " body = excluded.body, authors = excluded.authors",
	[MH_Q_SEARCH_DEL] = "DELETE FROM article_search WHERE article_id = ?1",
	[MH_Q_SEARCH_AUTHOR] = "UPDATE article_search SET authors = coalesce((SELECT group_concat(au.name, ' ')"
			       " FROM article_authors aa JOIN authors au ON au.id = aa.author_id"
			       " WHERE aa.article_id = article_search.article_id), '')"
			       " WHERE article_id IN (SELECT article_id FROM article_authors WHERE author_id = ?1)",
	[MH_Q_SEARCH_SOURCE] = "SELECT id, headline, dek, body_html FROM articles WHERE status = 'published' AND id > ?1"
			       " ORDER BY id LIMIT ?2",
	/* MH_SEARCH_WINDOW (store.h): the 2000 newest matches that pass the
	 * filters (cand, the full-text query driving: CROSS JOIN keeps the
	 * planner from walking every published article and running the
	 * MATCH once per row) are the ones ranked; they are exactly the
	 * filtered matches between the first and last of them by rowid, so
	 * bm25 runs over that rowid range only. bm25's weights, by column:
	 * headline 10, dek 4, body 1, authors 2. The snippet (the body's,
	 * column 2) is made for the page's hits only, each found by rowid. */
	[MH_Q_SEARCH] = "WITH cand AS MATERIALIZED (SELECT article_search_fts.rowid AS id FROM article_search_fts"
			" CROSS JOIN articles a ON a.id = article_search_fts.rowid WHERE article_search_fts MATCH ?1 AND"
			" a.status = 'published' AND a.published_at <= ?3 AND (?4 = 0 OR a.section_id = ?4)"
			" AND (?5 = 0 OR EXISTS (SELECT 1 FROM article_authors aa WHERE aa.article_id = a.id"
			" AND aa.author_id = ?5)) AND a.published_at >= ?6 AND a.published_at <= ?7"
			" ORDER BY article_search_fts.rowid DESC LIMIT 2000),"
			" bounds AS MATERIALIZED (SELECT min(id) AS lo, max(id) AS hi FROM cand),"
			" hits AS MATERIALIZED (SELECT article_search_fts.rowid AS id,"
			" bm25(article_search_fts, 10.0, 4.0, 1.0, 2.0) AS rank FROM bounds CROSS JOIN article_search_fts"
			" WHERE article_search_fts MATCH ?1 AND article_search_fts.rowid BETWEEN bounds.lo AND bounds.hi),"
			" top AS MATERIALIZED (SELECT h.id, h.rank, a.published_at FROM hits h"
			" CROSS JOIN articles a ON a.id = h.id WHERE"
			" a.status = 'published' AND a.published_at <= ?3 AND (?4 = 0 OR a.section_id = ?4)"
			" AND (?5 = 0 OR EXISTS (SELECT 1 FROM article_authors aa WHERE aa.article_id = a.id"
			" AND aa.author_id = ?5)) AND a.published_at >= ?6 AND a.published_at <= ?7"
			" ORDER BY h.rank, a.published_at DESC, a.id DESC LIMIT ?8 OFFSET ?9)"
			" SELECT " MH_STORE_ART_COLS ", (SELECT snippet(article_search_fts, 2, char(1), char(2), '…', 24)"
			" FROM article_search_fts WHERE article_search_fts MATCH ?1 AND rowid = t.id)"
			" FROM top t JOIN articles a ON a.id = t.id JOIN sections s ON s.id = a.section_id"
			" ORDER BY t.rank, t.published_at DESC, t.id DESC",
	/* the newsletter (migration 14) */
	[MH_Q_SUB_CONFIRM] = "INSERT INTO subscribers(email, status, created_at, confirmed_at, updated_at)"
			    " VALUES (?1, 'confirmed', ?2, ?2, ?2) ON CONFLICT(email) DO UPDATE SET status = 'confirmed',"
			    " confirmed_at = CASE WHEN subscribers.status = 'confirmed' THEN subscribers.confirmed_at"
			    " ELSE ?2 END, updated_at = ?2 RETURNING id",
	[MH_Q_SUB_BY_EMAIL] = "SELECT " MH_STORE_SUB_COLS " FROM subscribers WHERE email = ?1",
	[MH_Q_SUB_BY_ID] = "SELECT " MH_STORE_SUB_COLS " FROM subscribers WHERE id = ?1",
	[MH_Q_SUB_STATUS] = "UPDATE subscribers SET status = ?2, updated_at = ?3 WHERE id = ?1",
	[MH_Q_SUB_LIST] = "SELECT " MH_STORE_SUB_COLS " FROM subscribers WHERE id > ?3 AND (?2 = '' OR status = ?2)"
			 " AND (?1 = '' OR instr(email, ?1) > 0) ORDER BY id LIMIT ?4",
	[MH_Q_SUB_DEL_DELIVERIES] = "DELETE FROM newsletter_deliveries WHERE subscriber_id = ?1",
	[MH_Q_SUB_DEL] = "DELETE FROM subscribers WHERE id = ?1",
	[MH_Q_SUB_UPSERT] = "INSERT INTO subscribers(email, status, created_at, confirmed_at, updated_at)"
			   " VALUES (?1, ?2, ?3, CASE WHEN ?2 = 'confirmed' THEN ?3 ELSE 0 END, ?3)"
			   " ON CONFLICT(email) DO UPDATE SET status = excluded.status, updated_at = ?3 RETURNING id",
	[MH_Q_NL_INSERT] = "INSERT INTO newsletters(kind, article_id, subject, body_text, body_html, created_at, created_by)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
	[MH_Q_NL_ENQUEUE] = "INSERT INTO newsletter_deliveries(newsletter_id, subscriber_id, state, updated_at)"
			   " SELECT ?1, id, 'queued', ?2 FROM subscribers WHERE status = 'confirmed'"
			   " ON CONFLICT DO NOTHING",
	[MH_Q_NL_EXPIRE] = "UPDATE newsletter_deliveries SET state = 'unknown', owner = '', lease_until = 0, updated_at = ?2,"
			  " last_error = 'the sender stopped during the SMTP exchange: maybe delivered, not sent again'"
			  " WHERE newsletter_id = ?1 AND state = 'sending' AND lease_until < ?2",
	[MH_Q_NL_CLAIM] = "UPDATE newsletter_deliveries SET state = 'sending', owner = ?2, lease_until = ?3,"
			 " attempts = attempts + 1, updated_at = ?4 WHERE newsletter_id = ?1 AND subscriber_id ="
			 " (SELECT d.subscriber_id FROM newsletter_deliveries d WHERE d.newsletter_id = ?1"
			 " AND d.state IN ('queued', 'deferred') AND d.next_at <= ?4 ORDER BY d.next_at, d.subscriber_id LIMIT 1)"
			 " RETURNING subscriber_id, attempts,"
			 " (SELECT s.email FROM subscribers s WHERE s.id = newsletter_deliveries.subscriber_id),"
			 " (SELECT s.status FROM subscribers s WHERE s.id = newsletter_deliveries.subscriber_id)",
	[MH_Q_NL_RESULT] = "UPDATE newsletter_deliveries SET state = ?4, smtp_code = ?5, last_error = ?6, next_at = ?7,"
			  " owner = '', lease_until = 0, updated_at = ?8"
			  " WHERE newsletter_id = ?1 AND subscriber_id = ?2 AND state = 'sending' AND owner = ?3",
	[MH_Q_NL_COUNTS] = "SELECT state, count(*) FROM newsletter_deliveries WHERE newsletter_id = ?1 GROUP BY state",
	[MH_Q_NL_LIST] = "SELECT " MH_STORE_NL_COLS " FROM newsletters ORDER BY id DESC LIMIT ?1",
	[MH_Q_NL_GET] = "SELECT " MH_STORE_NL_COLS ", body_text, body_html FROM newsletters WHERE id = ?1",
	[MH_Q_NL_DELIVERIES] = "SELECT s.email, d.state, d.attempts, d.smtp_code, d.last_error, d.updated_at"
			      " FROM newsletter_deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
			      " WHERE d.newsletter_id = ?1 AND (?2 = '' OR d.state = ?2) ORDER BY s.email LIMIT ?3",
	[MH_Q_NL_PENDING] = "SELECT count(*), coalesce(min(CASE WHEN state = 'sending' THEN lease_until ELSE next_at END), 0)"
			   " FROM newsletter_deliveries WHERE newsletter_id = ?1"
			   " AND state IN ('queued', 'deferred', 'sending')",
	/* issue 10's donations (migration 15) */
	[MH_Q_DON_INSERT] = "INSERT INTO donations(token, provider, provider_ref, amount, currency, monthly, status, email,"
			    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?8)"
			    " RETURNING id",
	[MH_Q_DON_BY_TOKEN] = "SELECT id, token, provider, provider_ref, provider_sub, amount, currency, monthly, status, email, created_at, updated_at, paid_at FROM donations WHERE token = ?1",
	[MH_Q_DON_BY_REF] = "SELECT id, token, provider, provider_ref, provider_sub, amount, currency, monthly, status, email, created_at, updated_at, paid_at FROM donations WHERE provider = ?1 AND provider_ref = ?2",
	[MH_Q_DON_SET] = "UPDATE donations SET status = ?2,"
			 " provider_sub = CASE WHEN ?3 <> '' THEN ?3 ELSE provider_sub END,"
			 " email = CASE WHEN email = '' THEN ?4 ELSE email END, updated_at = ?5,"
			 " paid_at = CASE WHEN ?2 = 'paid' THEN ?5 ELSE paid_at END WHERE id = ?1",
	[MH_Q_DON_EVENT_ADD] = "INSERT INTO donation_events(provider, event_id, donation_id, status, received_at)"
			       " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (provider, event_id) DO NOTHING",
	[MH_Q_DON_RECENT] = "SELECT id, token, provider, provider_ref, provider_sub, amount, currency, monthly, status, email, created_at, updated_at, paid_at FROM donations ORDER BY id DESC LIMIT ?1",
	[MH_Q_DON_TOTALS] = "SELECT strftime('%Y-%m', paid_at, 'unixepoch') AS month, currency, count(*), sum(amount) FROM donations"
			    " WHERE status = 'paid' GROUP BY month, currency ORDER BY month DESC, currency",
	[MH_Q_DON_RECURRING] = "SELECT email, amount, currency, provider, paid_at FROM donations"
			       " WHERE status = 'paid' AND monthly <> 0 ORDER BY paid_at DESC, id DESC",
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
		return mh_store_db_fail(err, MH_DB_BUSY, msg, value, fk);
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
			/* "UNIQUE constraint failed: articles.slug" -> "slug" */
			const char *dot = strrchr(msg, '.');
			return mh_store_db_fail(err, MH_DB_UNIQUE, dot != NULL ? dot + 1 : NULL, value, fk);
		}
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return mh_store_db_fail(err, MH_DB_FOREIGN_KEY, msg, value, fk);
		return mh_store_db_fail(err, MH_DB_REJECTED, msg, value, fk);
	default:
		return mh_store_db_fail(err, MH_DB_OTHER, msg, value, fk);
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

/* ---- rows ---- */

static int64_t row_i64(void *st, int col)
{
	return sqlite3_column_int64(st, col);
}

static bool row_flag(void *st, int col)
{
	return sqlite3_column_int(st, col) != 0;
}

static const char *row_str(void *st, struct mh_arena *a, int col)
{
	return col_str(a, st, col);
}

static const char *row_peek(void *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t != NULL ? (const char *)t : "";
}

static struct mh_str row_blob(void *st, struct mh_arena *a, int col)
{
	const void *b = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *copy = mh_arena_alloc_raw(a, n + 1); /* all written below */
	if (n > 0)
		memcpy(copy, b, n);
	copy[n] = '\0';
	return (struct mh_str){ copy, n };
}

static struct mh_store_row row_of(sqlite3_stmt *st)
{
	return (struct mh_store_row){ st, row_i64, row_flag, row_str, row_peek, row_blob };
}

/* ---- migrations and transactions ---- */

static bool sq_in_transaction(struct mh_store *base)
{
	return SQ(base)->in_tx;
}

/* BEGIN IMMEDIATE takes SQLite's one write lock, which every other
 * migrator waits for (up to the busy timeout). */
static enum mh_store_rc sq_migrate_lock(struct mh_store *base, struct mh_buf *err)
{
	return run_id(SQ(base), ST_BEGIN, err);
}

static const char *sq_migration_sql(const struct mh_store_migration *m)
{
	return m->sqlite_sql;
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
	enum mh_store_rc rc = run_id(s, ST_BEGIN, NULL);
	if (rc == MH_OK)
		s->in_tx = true;
	return rc;
}

static enum mh_store_rc sq_commit(struct mh_store *base)
{
	struct sq *s = SQ(base);
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

static enum mh_store_rc sq_write_begin(struct mh_store *base, struct mh_buf *err)
{
	return write_begin(SQ(base), err);
}

static enum mh_store_rc sq_write_end(struct mh_store *base, enum mh_store_rc rc, struct mh_buf *err)
{
	return write_end(SQ(base), rc, err);
}

/* Named parameters, so each variant binds only what it uses; the staff-pick
 * test is spelled as the articles_picks index's first column is compared. */
static const struct mh_store_list_dialect list_dialect = {
	.param = { ":now", ":section", ":author", ":tag", ":before_at", ":before_id", ":exclude", ":after_at",
		   ":after_id", ":limit", ":offset" },
	.text_param = { ":status", ":headline" },
	.like_nocase = "LIKE", /* SQLite's LIKE ignores ASCII case */
	.any_status = "1",
	.is_pick = "a.staff_pick = 1",
};

static sqlite3_stmt *query_stmt(struct sq *s, unsigned f, bool count)
{
	sqlite3_stmt **slot = count ? &s->counts[f] : &s->lists[f];
	if (*slot != NULL)
		return *slot;
	struct mh_buf sql = MH_BUF_INIT;
	mh_store_list_sql(&sql, &list_dialect, f, count);
	*slot = prepare(s, mh_buf_cstr(&sql), NULL);
	mh_buf_free(&sql);
	return *slot;
}

static void bind_query(sqlite3_stmt *st, const struct mh_article_query *q)
{
	int64_t v[MH_STORE_LIST_NPARAMS];
	mh_store_list_values(q, v);
	for (int i = 0; i < MH_STORE_LIST_NPARAMS; i++) {
		int at = sqlite3_bind_parameter_index(st, list_dialect.param[i]);
		if (at > 0)
			sqlite3_bind_int64(st, at, v[i]);
	}
	struct mh_buf pattern = MH_BUF_INIT;
	const char *t[MH_STORE_LIST_NTEXTS];
	mh_store_list_texts(q, &pattern, t);
	for (int i = 0; i < MH_STORE_LIST_NTEXTS; i++) {
		int at = sqlite3_bind_parameter_index(st, list_dialect.text_param[i]);
		if (at > 0)
			sqlite3_bind_text(st, at, t[i], -1, SQLITE_TRANSIENT);
	}
	mh_buf_free(&pattern);
}

/* ---- running statements ---- */

static void bind_args(sqlite3_stmt *st, const struct mh_store_args *args)
{
	for (int i = 0; args != NULL && i < args->n; i++) {
		const struct mh_store_arg *v = &args->v[i];
		switch (v->kind) {
		case MH_ARG_NULL:
			sqlite3_bind_null(st, i + 1);
			break;
		case MH_ARG_INT:
		case MH_ARG_BOOL:
			sqlite3_bind_int64(st, i + 1, v->i);
			break;
		case MH_ARG_TEXT:
		case MH_ARG_IDS: /* a JSON array, for json_each */
			bind_str(st, i + 1, v->s);
			break;
		case MH_ARG_BLOB:
			sqlite3_bind_blob64(st, i + 1, v->s.ptr != NULL ? v->s.ptr : "", v->s.len, SQLITE_STATIC);
			break;
		}
	}
}

/* Steps st to its end, handing each row over. */
static enum mh_store_rc step_rows(struct sq *s, sqlite3_stmt *st, mh_store_row_fn *row, void *ctx, int64_t *changed,
				  struct mh_buf *err, const char *value, const char *fk)
{
	struct mh_store_row r = row_of(st);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row != NULL)
			row(ctx, &r);
	enum mh_store_rc out = MH_OK;
	if (rc != SQLITE_DONE)
		out = fail(s, rc, err, value, fk);
	else if (changed != NULL)
		*changed = sqlite3_changes64(s->db);
	done(st);
	return out;
}

static enum mh_store_rc sq_exec(struct mh_store *base, enum mh_store_stmt id, const struct mh_store_args *args,
				mh_store_row_fn *row, void *ctx, int64_t *changed, struct mh_buf *err, const char *value,
				const char *fk)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = stmt(s, (enum stmt_id)id, err);
	if (st == NULL)
		return MH_ERROR;
	bind_args(st, args);
	return step_rows(s, st, row, ctx, changed, err, value, fk);
}

static enum mh_store_rc sq_list(struct mh_store *base, unsigned f, bool count, const struct mh_article_query *q,
				mh_store_row_fn *row, void *ctx)
{
	struct sq *s = SQ(base);
	sqlite3_stmt *st = query_stmt(s, f, count);
	if (st == NULL)
		return MH_ERROR;
	bind_query(st, q);
	return step_rows(s, st, row, ctx, NULL, NULL, NULL, NULL);
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

/* SQLite has no notifications: the watcher polls. */
static enum mh_store_rc sq_changes_wait(struct mh_store *base, int timeout_ms)
{
	(void)base;
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

/* mh_unhex(TEXT): the bytes a hex string spells, for mh_store_copy, which
 * carries BLOBs as hex text (every value of raw_rows is text). SQLite has
 * unhex() only from 3.41; Debian 12 ships 3.40. A bad string is an error,
 * never a silently shorter BLOB. */
static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void sql_unhex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	const unsigned char *h = sqlite3_value_text(argv[0]);
	int n = sqlite3_value_bytes(argv[0]);
	if (h == NULL || n % 2 != 0) {
		sqlite3_result_error(ctx, "mh_unhex: expected an even number of hex digits", -1);
		return;
	}
	unsigned char *b = sqlite3_malloc64((sqlite3_uint64)n / 2 + 1);
	if (b == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	for (int i = 0; i < n; i += 2) {
		int hi = hex_digit(h[i]), lo = hex_digit(h[i + 1]);
		if (hi < 0 || lo < 0) {
			sqlite3_free(b);
			sqlite3_result_error(ctx, "mh_unhex: not a hex digit", -1);
			return;
		}
		b[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	sqlite3_result_blob64(ctx, b, (sqlite3_uint64)n / 2, sqlite3_free);
}

/* ---- operations: backup and integrity (backup.c) ---- */

static bool pragma(sqlite3 *db, const char *sql, const char *want, struct mh_buf *err, const char *path);

static enum mh_store_rc sq_backup(struct mh_store *base, const char *path, struct mh_buf *err)
{
	struct sq *s = SQ(base);
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

/* ---- query plans (store.h: mh_store_plan) ---- */

static enum mh_store_rc sq_plan(struct mh_store *base, int id, unsigned f, const struct mh_article_query *q,
				struct mh_buf *out)
{
	struct sq *s = SQ(base);
	/* the very statement the store runs, planned as it is */
	sqlite3_stmt *st = id < 0 ? query_stmt(s, f, false) : stmt(s, (enum stmt_id)id, NULL);
	if (st == NULL)
		return MH_ERROR;
	struct mh_buf sql = MH_BUF_INIT;
	mh_buf_printf(&sql, "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
	sqlite3_stmt *ex = NULL;
	int r = sqlite3_prepare_v2(s->db, mh_buf_cstr(&sql), -1, &ex, NULL);
	mh_buf_free(&sql);
	if (r != SQLITE_OK)
		return fail(s, r, NULL, NULL, NULL);
	if (id < 0)
		bind_query(ex, q);
	while ((r = sqlite3_step(ex)) == SQLITE_ROW)
		mh_buf_printf(out, "%s\n", (const char *)sqlite3_column_text(ex, 3));
	enum mh_store_rc rc = r == SQLITE_DONE ? MH_OK : fail(s, r, NULL, NULL, NULL);
	sqlite3_finalize(ex);
	return rc;
}

/* FTS5's syntax: every word a quoted string (the terms hold no '"'), a
 * prefix "w"*, a phrase "w1 w2"; side by side means all of them. */
static void sq_search_syntax(const struct mh_search_term *t, size_t n, struct mh_buf *match, struct mh_buf *prefixes)
{
	(void)prefixes;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			mh_buf_append_ch(match, ' ');
		mh_buf_append_ch(match, '"');
		mh_buf_append_c(match, t[i].text);
		mh_buf_append_ch(match, '"');
		if (t[i].kind == MH_SEARCH_PREFIX)
			mh_buf_append_ch(match, '*');
	}
}

static const struct mh_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.bulk_load = sq_bulk_load,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.write_begin = sq_write_begin,
	.write_end = sq_write_end,
	.in_transaction = sq_in_transaction,
	.migrate_lock = sq_migrate_lock,
	.migration_sql = sq_migration_sql,
	.schema_table_sql = "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
	.exec = sq_exec,
	.ids_open = '[',
	.ids_close = ']',
	.list = sq_list,
	.changes_wait = sq_changes_wait,
	.count = sq_count,
	.plan = sq_plan,
	.raw_exec = sq_raw_exec,
	.raw_rows = sq_raw_rows,
	.raw_insert = sq_raw_insert,
	.backup = sq_backup,
	.check = sq_check,
	.search_syntax = sq_search_syntax,
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
	sqlite3_create_function(db, "mh_unhex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
				sql_unhex, NULL, NULL);
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
