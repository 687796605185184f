/*
 * store: the database behind one domain-level API. Backends: SQLite (WAL) now,
 * PostgreSQL later behind the same functions; no SQL exists outside src/store/
 * and no backend type appears here. One struct mh_store per thread.
 * Memory: everything a read returns is allocated in the arena passed in and
 * dies with it. Writes run in one transaction each; returning MH_OK means the
 * write is durable (synchronous=FULL in WAL mode survives kill -9).
 * Threads: a struct mh_store is NOT thread-safe; open one per thread (the
 * server opens one per worker). Strings read are never NULL ("" when unset),
 * except body_md/body_html of list results loaded without with_body.
 */
#ifndef MH_STORE_H
#define MH_STORE_H

#include "auth/auth.h"
#include "util/util.h"

enum mh_store_rc {
	MH_OK = 0,
	MH_NOT_FOUND,
	MH_CONFLICT,    /* unique constraint (slug taken, ...) */
	MH_INVALID,     /* rejected input; message in err */
	MH_UNAVAILABLE, /* database down/busy/locked past timeout */
	MH_ERROR,       /* anything else; message in err */
};

struct mh_store;

/* [database] and [schema] in site.ini (settings.c); every field is a row. */
struct mh_store_settings {
	const char *url;    /* for mh_store_open */
	int schema_version; /* as last recorded by mh_store_migrate's caller */
};
extern const struct mh_settings_table mh_store_settings_table;        /* [database] */
extern const struct mh_settings_table mh_store_schema_settings_table; /* [schema] */

/* Opens (creating if asked) the database named by url: a file path or
 * sqlite:PATH (SQLite; relative paths are taken from site_dir), or a
 * postgres:// or postgresql:// URL (libpq's URI form; the database must
 * exist, `create` does not apply). PostgreSQL down: MH_UNAVAILABLE. */
enum mh_store_rc mh_store_open(const char *url, const char *site_dir, bool create, struct mh_store **out,
			       struct mh_buf *err);
void mh_store_close(struct mh_store *s);
/* Runs pending numbered migrations; *version is the schema version after. */
enum mh_store_rc mh_store_migrate(struct mh_store *s, int *version, struct mh_buf *err);
/* Explicit transactions, for batches (demo generation). Nesting is an error.
 * Inside one, each save runs in a savepoint: a failed save undoes itself only. */
enum mh_store_rc mh_store_begin(struct mh_store *s);
enum mh_store_rc mh_store_commit(struct mh_store *s);
/* Brackets the reads that make one page: on SQLite they then see one
 * snapshot and take the file locks once. No writes in between. A no-op
 * inside a write transaction, and on PostgreSQL. */
enum mh_store_rc mh_store_read_begin(struct mh_store *s);
void mh_store_read_end(struct mh_store *s);
void mh_store_rollback(struct mh_store *s);
/* Bulk loading (demo, import): while on, commits are not flushed to disk one
 * by one (a power cut may lose the recent ones; a crashed process loses
 * nothing). Turning it off flushes everything, after which MH_OK means all of
 * it is durable again. Not allowed inside a transaction. */
enum mh_store_rc mh_store_bulk_load(struct mh_store *s, bool on);

/* ---- data ---- */
enum mh_section_kind {
	MH_SECTION_PLAIN = 0, /* articles whose section is this one */
	MH_SECTION_LATEST,    /* every published article */
	MH_SECTION_PICKS,     /* articles with the staff-pick flag */
};
struct mh_section {
	int64_t id;
	const char *slug, *name, *description;
	int position; /* navigation order, ascending */
	enum mh_section_kind kind;
	bool no_ads; /* no advertisements on its pages and articles (issue 9); read by mh_store_sections */
};
struct mh_author {
	int64_t id;
	const char *slug, *name, *bio, *avatar_url;
};
struct mh_tag {
	int64_t id;
	const char *slug, *name;
};
enum mh_article_status {
	MH_ARTICLE_DRAFT = 0,
	MH_ARTICLE_SCHEDULED,
	MH_ARTICLE_PUBLISHED,
	/* submitted for review: a contributor's finished draft, waiting for
	 * an editor to publish it. Like a draft it is never public and has no
	 * publication time. */
	MH_ARTICLE_REVIEW,
};
#define MH_ARTICLE_STATUS_LAST MH_ARTICLE_REVIEW
const char *mh_article_status_name(enum mh_article_status st);
bool mh_article_status_parse(struct mh_str s, enum mh_article_status *out);
/* True for the statuses that carry a publication time (scheduled,
 * published); false for draft and review, which are never public. */
bool mh_article_status_dated(enum mh_article_status st);

struct mh_article {
	int64_t id;
	const char *slug, *headline, *dek;
	const char *body_md;   /* source, kept */
	const char *body_html; /* rendered on save (trusted HTML) */
	const char *lead_html; /* the opening paragraphs, for streams and lists */
	int64_t section_id;
	struct mh_section *section; /* filled on reads */
	struct mh_author *authors;  /* in byline order */
	size_t n_authors;
	struct mh_tag *tags;
	size_t n_tags;
	const char *image_url, *image_alt;
	const char *via_name, *via_url;
	bool staff_pick;
	enum mh_article_status status;
	int64_t published_at; /* unix seconds UTC; 0 if never */
	int64_t updated_at, created_at;
	bool was_published; /* published once, now withdrawn: its URL answers 410 */
	int64_t views;
	bool no_ads; /* no advertisements on its page (issue 9); every save writes it */
};

/* The addresses a save stores (an author's avatar_url, an article's
 * image_url and via_url) are checked by every save, whoever calls it: only
 * an http:// or https:// address with a host, or a path on this site
 * starting with a single '/', in printable ASCII without quotes, angle
 * brackets, backslashes or backquotes, at most 2000 bytes. Anything else
 * (javascript:, data:, //host, a relative path, spaces, control characters)
 * is MH_INVALID with "<field>: <why>". "" means no address and is allowed.
 * This is the check: NULL when url may be stored, else why not (a static
 * string); a caller that wants to tell a person earlier uses it. */
const char *mh_store_url_problem(struct mh_str url);

/* ---- sections, authors, tags ---- */
enum mh_store_rc mh_store_sections(struct mh_store *s, struct mh_arena *a, struct mh_section **out, size_t *n);
enum mh_store_rc mh_store_section_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_section **out);
enum mh_store_rc mh_store_section_save(struct mh_store *s, struct mh_section *sec, struct mh_buf *err); /* id 0 = insert */
enum mh_store_rc mh_store_authors(struct mh_store *s, struct mh_arena *a, struct mh_author **out, size_t *n);
enum mh_store_rc mh_store_author_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					 struct mh_author **out);
enum mh_store_rc mh_store_author_save(struct mh_store *s, struct mh_author *au, struct mh_buf *err);
enum mh_store_rc mh_store_tag_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug, struct mh_tag **out);
/* Finds or creates the tag by slug (tag->slug, or derived from tag->name by
 * a plain ASCII rule when empty: pass mh_content_slugify's result for names
 * with accents); fills tag->id. An existing tag keeps its name. */
enum mh_store_rc mh_store_tag_ensure(struct mh_store *s, struct mh_tag *tag, struct mh_buf *err);

/* Deletes the section with that id. Refused with MH_CONFLICT while any
 * article (of any status) is filed in it: *articles (may be NULL) is then
 * their number and err says "section 'x' still has N articles". An unknown
 * id is MH_NOT_FOUND. */
enum mh_store_rc mh_store_section_remove(struct mh_store *s, int64_t id, int64_t *articles, struct mh_buf *err);

/* The number of articles (any status) filed in the section. */
enum mh_store_rc mh_store_section_articles(struct mh_store *s, int64_t id, int64_t *n);

/* ---- the tags screen (migration 9) ----
 * A renamed tag's slug, and a merged tag's slugs, are kept as old
 * addresses of the tag they became (mh_store_tag_by_old_slug); a slug a
 * tag takes stops being anyone's old address. Rename and merge run in one
 * transaction each (a savepoint inside mh_store_begin). */
struct mh_tag_use {
	struct mh_tag tag;
	int64_t articles; /* articles carrying it, any status */
};
/* Tags by slug, those with a slug after after_slug ("" = from the first),
 * whose name or slug contains filter (case-insensitive for ASCII; "" =
 * every tag), up to limit (1..1000): the next page starts after the last
 * slug of this one. filter longer than 200 bytes: MH_INVALID. */
enum mh_store_rc mh_store_tags(struct mh_store *s, struct mh_arena *a, struct mh_str filter, struct mh_str after_slug,
			       int limit, struct mh_tag_use **out, size_t *n);
enum mh_store_rc mh_store_tag_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_tag **out);
/* The tag a renamed or merged tag's slug leads to now: MH_NOT_FOUND when
 * none. A tag that has the slug now (mh_store_tag_by_slug) wins. */
enum mh_store_rc mh_store_tag_by_old_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_tag **out);
/* New slug and name for tag->id (both required; the caller checks the
 * slug's shape); the old slug becomes an old address when it changes. A
 * slug another tag has: MH_CONFLICT "slug 'x' is already used"; an unknown
 * id MH_NOT_FOUND. */
enum mh_store_rc mh_store_tag_rename(struct mh_store *s, const struct mh_tag *tag, struct mh_buf *err);
/* Merges tag from into tag into: every article carrying from carries into
 * (once), from is deleted and its slugs (current and old) lead to into.
 * from == into: MH_INVALID "into: a tag cannot be merged into itself";
 * either unknown: MH_NOT_FOUND. */
enum mh_store_rc mh_store_tag_merge(struct mh_store *s, int64_t from, int64_t into, struct mh_buf *err);

/* ---- the Staff Picks' order (migration 9) ----
 * The picks (articles with staff_pick) list in the editors' order: a
 * higher pick_rank first, then newest first; a new pick has rank 0, so it
 * comes after the ordered ones until they are ordered again. A list of
 * picks (mh_article_query.staff_picks_only) without a cursor reads in that
 * order; with one (before or after) it is by time, as every list. */
/* Ranks ids[0..n) n, n-1, ..., 1 (the first shown first), in one
 * transaction; an unknown id: MH_NOT_FOUND and nothing changed. */
enum mh_store_rc mh_store_pick_ranks(struct mh_store *s, const int64_t *ids, size_t n);
/* Published articles whose headline contains text (case-insensitive for
 * ASCII; 1-200 bytes, else MH_INVALID), newest first, up to limit
 * (1..1000): only id, slug, headline, published_at and staff_pick filled. */
enum mh_store_rc mh_store_articles_by_headline(struct mh_store *s, struct mh_arena *a, struct mh_str text, int limit,
					       struct mh_article **out, size_t *n);

/* ---- accounts: users, sessions, one-time links, site secrets ----
 * Roles are auth.h's. An email is stored and looked up lower-cased (ASCII),
 * so it is unique whatever its case. Sessions and links are found by the
 * hash of their token (auth.h's mh_auth_token_hash), never the token. */
struct mh_user {
	int64_t id;
	const char *email, *name;
	enum mh_role role;
	const char *password_hash; /* argon2id string (mh_auth_password_hash) */
	int64_t author_id;         /* the account's byline; 0 = none */
	bool disabled;
	int64_t created_at, updated_at;
	int64_t sessions_valid_after; /* sessions created before this are over ("log out everywhere") */
};
struct mh_session {
	const char *token_hash;
	int64_t user_id, created_at, last_seen_at, expires_at;
};
/* Inserts (id 0) or updates every field but the times and
 * sessions_valid_after; sets id. Checks: email (an address with one '@',
 * no spaces or control characters, at most 254 bytes), name (1-200 bytes,
 * no control characters), role, password_hash (not empty), author_id (an
 * author: MH_INVALID "author_id: no author with id N"). A taken email is
 * MH_CONFLICT "email 'x' is already used". Disabling a user also ends its
 * sessions (in the same transaction). The site keeps an active owner (one
 * not disabled, not only invited): a save that would turn the last one into
 * anything else is MH_INVALID "EMAIL is the site's last owner: make another
 * account an owner first", checked in the save's transaction with the
 * owners locked, so two owners demoting each other at once cannot both win. */
enum mh_store_rc mh_store_user_save(struct mh_store *s, struct mh_user *u, struct mh_buf *err);
enum mh_store_rc mh_store_user_by_email(struct mh_store *s, struct mh_arena *a, struct mh_str email,
					struct mh_user **out);
enum mh_store_rc mh_store_user_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_user **out);
enum mh_store_rc mh_store_users(struct mh_store *s, struct mh_arena *a, struct mh_user **out, size_t *n); /* by email */
/* A new password hash; with end_sessions, every session of the user ends
 * too (a changed or reset password). MH_NOT_FOUND for an unknown id. */
enum mh_store_rc mh_store_user_set_password(struct mh_store *s, int64_t id, const char *password_hash,
					    bool end_sessions);
/* "Log out everywhere": deletes every session of the user and marks
 * sessions created before now as over. MH_NOT_FOUND for an unknown id. */
enum mh_store_rc mh_store_user_end_sessions(struct mh_store *s, int64_t id);

/* Stores a new session: token_hash (64 hex digits), created now, ending at
 * expires_at whatever happens (the absolute lifetime). */
enum mh_store_rc mh_store_session_add(struct mh_store *s, const char *token_hash, int64_t user_id, int64_t expires_at);
/* The live session with that hash and its user: MH_NOT_FOUND (and the row
 * deleted, when there is one) if it is past expires_at, unused for idle_s
 * seconds or more, older than the user's sessions_valid_after, or its user
 * is disabled. Otherwise its last_seen_at becomes now (written at most once
 * a minute, so that reading pages does not mean a write each). */
enum mh_store_rc mh_store_session_get(struct mh_store *s, struct mh_arena *a, const char *token_hash, int64_t now,
				      int64_t idle_s, struct mh_session **session, struct mh_user **user);
enum mh_store_rc mh_store_session_end(struct mh_store *s, const char *token_hash); /* logout; none is MH_OK */
/* Deletes every session past its absolute expiry. */
enum mh_store_rc mh_store_sessions_prune(struct mh_store *s, int64_t now);

/* One-time links: purpose "reset" or "invite", valid until expires_at. */
enum mh_store_rc mh_store_auth_token_add(struct mh_store *s, const char *token_hash, int64_t user_id,
					 const char *purpose, int64_t expires_at);
/* The user of an unused, unexpired link (does not use it): MH_NOT_FOUND. */
enum mh_store_rc mh_store_auth_token_peek(struct mh_store *s, const char *token_hash, const char *purpose,
					  int64_t now, int64_t *user_id);
/* A password reset through a link, in one transaction: the link is used
 * (once: a second use is MH_NOT_FOUND, as is an expired or unknown link),
 * the user gets password_hash and every session of theirs ends. *user_id
 * (may be NULL) is whose password it was. */
enum mh_store_rc mh_store_password_reset(struct mh_store *s, const char *token_hash, const char *password_hash,
					 int64_t now, int64_t *user_id);

/* An account invited from the admin that has not chosen its password yet
 * carries this in password_hash: no argon2id string, so no password ever
 * matches it (the login treats it as an unknown account). */
#define MH_USER_INVITED_HASH "!invited"
/* Every link of that purpose the user has ("invite": a new invitation
 * replaces the old). */
enum mh_store_rc mh_store_auth_tokens_drop(struct mh_store *s, int64_t user_id, const char *purpose);
/* Accepting an invitation, in one transaction: the "invite" link is used
 * (once; a second use, an expired or unknown link are MH_NOT_FOUND) and the
 * user gets password_hash. *user_id (may be NULL) is whose account it is. */
enum mh_store_rc mh_store_invite_accept(struct mh_store *s, const char *token_hash, const char *password_hash,
				       int64_t now, int64_t *user_id);
/* When each account was last seen: the newest last_seen_at of its live
 * sessions (a logged-out account's is gone), by user id. */
struct mh_user_seen {
	int64_t user_id, last_seen_at;
};
enum mh_store_rc mh_store_users_last_seen(struct mh_store *s, struct mh_arena *a, struct mh_user_seen **out,
					  size_t *n);

/* ---- site settings set in the admin (migration 8) ----
 * Text values by key ("title", "timezone", ...), overlaying site.ini's
 * [site] section; what a key may hold is site/'s to check, not the
 * store's. Reads by key order. */
struct mh_site_setting {
	const char *key, *value;
};
enum mh_store_rc mh_store_site_settings(struct mh_store *s, struct mh_arena *a, struct mh_site_setting **out,
					size_t *n);
/* Inserts or replaces one; by is who (an email, or the CLI's login). Key:
 * 1-64 bytes of [a-z_]; value: at most 4000 bytes without control
 * characters (MH_INVALID naming the key otherwise). */
enum mh_store_rc mh_store_site_setting_put(struct mh_store *s, const char *key, const char *value, const char *by,
					   struct mh_buf *err);

/* The site secret called name, shared by every node: the first node to ask
 * stores candidate (e.g. a new random key) and everyone gets the stored
 * one, into out (replaced). */
enum mh_store_rc mh_store_site_secret(struct mh_store *s, const char *name, const char *candidate,
				      struct mh_buf *out);

/* ---- articles ---- */
/* Which published articles to list. Only status=published with
 * published_at <= now are ever returned by list/count. */
struct mh_article_query {
	int64_t section_id; /* 0 = any; a MH_SECTION_PLAIN section's id */
	bool staff_picks_only;
	int64_t author_id; /* 0 = any */
	int64_t tag_id;    /* 0 = any */
	/* keyset cursor: strictly older than (before_published_at, before_id); 0 = none */
	int64_t before_published_at, before_id;
	/* the cursor is given even with before_published_at 0 (the newsroom's
	 * list reaches drafts, which have no publication time) */
	bool before_set;
	int64_t exclude_id; /* 0 = none */
	/* the other way: strictly newer than (after_published_at, after_id),
	 * nearest first (ascending); 0 = none. Not combined with before_*. */
	int64_t after_published_at, after_id;
	int offset, limit;  /* limit 0 = 20, at most 1000; negative = MH_INVALID */
	int64_t now;        /* 0 = mh_time_now() */
	bool with_body;     /* also load body_md/body_html (lists normally skip them) */
	bool any_status;    /* the newsroom's view: drafts, scheduled and future too */
	/* only status=scheduled articles, whatever their time (the publishing
	 * sweep); newest first, through the (status, published_at, id) index,
	 * so with the keyset cursor it reads only the scheduled rows */
	bool scheduled_only;
	/* the newsroom's filters (admin list, dashboard): only articles of
	 * this status, any time (through the (status, published_at, id)
	 * index; any_status is then implied) */
	bool status_only;
	enum mh_article_status status;
	/* only headlines holding this text, as typed (case-insensitive for
	 * ASCII letters; '%' and '_' are plain characters); NULL or "" = any.
	 * A filter on the rows the keyset range reads: no text index. */
	const char *headline_has;
	/* leave authors and tags out (n_authors = n_tags = 0): a page that
	 * reads several lists fills them all at once with
	 * mh_store_articles_relations, one statement each instead of two per
	 * list; a list read only for its cursors needs none */
	bool without_relations;
};
enum mh_store_rc mh_store_articles(struct mh_store *s, struct mh_arena *a, const struct mh_article_query *q,
				   struct mh_article **out, size_t *n);
enum mh_store_rc mh_store_articles_count(struct mh_store *s, const struct mh_article_query *q, int64_t *count);
/* Any status; with body. */
enum mh_store_rc mh_store_article_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					  struct mh_article **out);
/* The same without its authors and tags (n_authors = n_tags = 0): the
 * article page reads them with its stream's, through
 * mh_store_articles_relations. */
enum mh_store_rc mh_store_article_row_by_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					      struct mh_article **out);
/* Fills the authors and tags of arts[0..n) (in arena a) with one statement
 * each, whatever n: the articles of a page's lists, read without them,
 * gathered in one array. */
enum mh_store_rc mh_store_articles_relations(struct mh_store *s, struct mh_arena *a, struct mh_article *arts,
					     size_t n);
enum mh_store_rc mh_store_article_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_article **out);
/* Inserts (id 0) or updates an article with its authors (by id, in order) and
 * tags (by id) in one transaction; sets id, created_at, updated_at. The caller
 * has rendered body_html/lead_html already. Slug clash: MH_CONFLICT ("slug 'x'
 * is already used"); unknown section/author/tag id: MH_INVALID naming it;
 * unknown article id: MH_NOT_FOUND. On insert, created_at/updated_at given
 * nonzero are kept (imports, demo); on update created_at stays and updated_at
 * becomes now. A scheduled/published article without published_at gets now.
 * was_published is kept by the store ("has ever been published") and read
 * back as "was published, is not now". *art changes only on MH_OK. */
enum mh_store_rc mh_store_article_save(struct mh_store *s, struct mh_article *art, struct mh_buf *err);
/* Inside a transaction (mh_store_begin): holds the article's row until
 * commit, so that a read-check-write of it cannot interleave with another
 * writer's (PostgreSQL: SELECT ... FOR UPDATE; SQLite's transaction already
 * excludes every other writer). MH_NOT_FOUND if there is no such article. */
enum mh_store_rc mh_store_article_lock(struct mh_store *s, int64_t id);
/* Sets the stored view count (later issues count views; the demo seeds them). */
enum mh_store_rc mh_store_article_set_views(struct mh_store *s, int64_t id, int64_t views);

/* ---- revisions and old addresses ----
 * Every save of an article (mh_store_article_save and _noted, whoever
 * calls them) keeps a revision in the same transaction: the full editable
 * state as saved (headline, dek, slug, section, authors in order, tags, via,
 * image and its description, staff pick, status, publication time, body
 * Markdown), when, and who. A revision is never changed afterwards. */
enum mh_revision_kind {
	MH_REVISION_SAVE = 0, /* an ordinary save */
	MH_REVISION_RESTORE,  /* a save that brought back an earlier revision */
	MH_REVISION_CONFLICT, /* a save refused as stale, its text kept (never applied) */
};
const char *mh_revision_kind_name(enum mh_revision_kind k);
/* Who saves and why, as the revision keeps it. NULL where one is asked for
 * means: nobody known, an ordinary save. */
struct mh_revision_note {
	int64_t user_id;       /* the account; 0 = none (the CLI, a job): stored NULL */
	const char *user_name; /* the name as shown then (kept even if the account goes); NULL = "" */
	enum mh_revision_kind kind;
	int64_t restored_from; /* MH_REVISION_RESTORE: the revision brought back */
	/* The editor's autosave: the revision this save takes the place of
	 * (0 = none). It is deleted in the save's transaction, and the new
	 * one written with a new id, only when it is still the article's
	 * newest, an ordinary save of a draft by the same user_id (> 0) made
	 * at most MH_STORE_AUTOSAVE_WINDOW_S ago, and this save keeps the
	 * article a draft; otherwise it stays and this save adds a revision
	 * as usual. So a run of autosaves keeps one revision, and the version
	 * token (the newest revision's id) still moves on with every save. */
	int64_t replaces;
};
#define MH_STORE_AUTOSAVE_WINDOW_S 300
struct mh_revision {
	int64_t id, article_id;
	int64_t created_at;
	int64_t user_id; /* 0 when none */
	const char *user_name;
	enum mh_revision_kind kind;
	int64_t restored_from; /* 0 unless a restore */
	/* The article as this revision saved it: id (= article_id), slug,
	 * headline, dek, section_id and section (NULL if that section is gone),
	 * authors in byline order and tags (by id; slug and name as they are
	 * now, "" for one since removed), via_name/url, image_url/alt,
	 * staff_pick, status, published_at, body_md (NULL in lists). Not kept:
	 * body_html and lead_html (""; a restore renders again), views, times. */
	struct mh_article state;
};
/* mh_store_article_save, with who saves (note may be NULL: unknown, an
 * ordinary save) kept in the revision; *revision_id (may be NULL) is set to
 * the revision this save made. On an update of a published (or once
 * published) article whose slug changes, the old slug is kept as an old
 * address of the article (mh_store_article_by_old_slug), in the same
 * transaction; a slug an article takes stops being anyone's old address. */
enum mh_store_rc mh_store_article_save_noted(struct mh_store *s, struct mh_article *art,
					     const struct mh_revision_note *note, int64_t *revision_id,
					     struct mh_buf *err);
/* An article's revisions, newest first, without body_md, authors or tags:
 * up to limit (1..1000; 0 = 20) with id < before_id (0 = from the newest),
 * so the next page starts before the last id of this one. An article with
 * none (or no such article): *n = 0. */
enum mh_store_rc mh_store_revisions(struct mh_store *s, struct mh_arena *a, int64_t article_id, int64_t before_id,
				    int limit, struct mh_revision **out, size_t *n);
/* One revision with everything (body, authors, tags, section): MH_NOT_FOUND. */
enum mh_store_rc mh_store_revision_get(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_revision **out);
/* The newest revision of the article as stored (the conflict ones, never
 * applied, left out): 0 when it has none. */
enum mh_store_rc mh_store_revision_latest(struct mh_store *s, int64_t article_id, int64_t *id);
/* Keeps art (a save refused because it was made from a stale read) as a
 * revision of kind MH_REVISION_CONFLICT of article art->id, without
 * changing the article: nothing either writer typed is lost. note's kind is
 * ignored. MH_NOT_FOUND when there is no such article. */
enum mh_store_rc mh_store_revision_keep_conflict(struct mh_store *s, const struct mh_article *art,
						 const struct mh_revision_note *note, int64_t *id, struct mh_buf *err);
/* The article that had slug before a rename (any status, with body), found
 * through the old addresses the saves kept: MH_NOT_FOUND when none. An
 * article that has the slug now is mh_store_article_by_slug's, and wins:
 * look that up first. However many renames followed, it is the article as
 * it is now (its current slug). */
enum mh_store_rc mh_store_article_by_old_slug(struct mh_store *s, struct mh_arena *a, struct mh_str slug,
					      struct mh_article **out);

/* ---- the change log ----
 * Each write that makes cached pages stale appends the space-separated cache
 * keys it touched; every server process reads the log from where it last was
 * and drops those pages. Call it inside the write's transaction
 * (mh_store_begin ... mh_store_commit) so the keys are logged exactly when the
 * change is committed. */
struct mh_change {
	int64_t id;
	const char *keys;
	int64_t created_at;
};
enum mh_store_rc mh_store_change_add(struct mh_store *s, struct mh_str keys);
/* The newest id in the log (0 when empty): where a new reader starts. */
enum mh_store_rc mh_store_change_last(struct mh_store *s, int64_t *id);
/* Up to max entries with id > after, oldest first. */
enum mh_store_rc mh_store_changes_since(struct mh_store *s, struct mh_arena *a, int64_t after, size_t max,
					struct mh_change **out, size_t *n);
/* Deletes entries older than before (unix seconds); readers further behind
 * than that must drop their whole cache (their next id is missing). */
enum mh_store_rc mh_store_changes_prune(struct mh_store *s, int64_t before);
/* Waits until a change may have been logged, at most timeout_ms (0..60000),
 * then returns MH_OK; the caller then reads the log from its cursor.
 * PostgreSQL: LISTENs on this connection (change_add NOTIFYs on commit) and
 * returns as soon as a notification comes. SQLite: sleeps timeout_ms.
 * MH_UNAVAILABLE when the connection is lost (or still down: it then waits
 * timeout_ms first, so a loop on it does not spin); notifications may have
 * been missed meanwhile. Not inside a transaction (MH_INVALID). */
enum mh_store_rc mh_store_changes_wait(struct mh_store *s, int timeout_ms);

/* ---- the job queue ----
 * Background work that must run once across every node: scheduled
 * publishing, purges, later mail, image sizes and view flushing. A node
 * claims a due job with a lease; if it dies, the lease runs out and another
 * node takes the job over. Failures are retried with backoff, then parked.
 * PostgreSQL claims with FOR UPDATE SKIP LOCKED; SQLite by one immediate
 * transaction (one writer at a time). */
enum mh_job_state {
	MH_JOB_QUEUED = 0,
	MH_JOB_RUNNING,
	MH_JOB_DONE,
	MH_JOB_PARKED, /* failed max_attempts times: waits for `masthead jobs retry` */
};
const char *mh_job_state_name(enum mh_job_state st);
bool mh_job_state_parse(struct mh_str s, enum mh_job_state *out);
struct mh_job {
	int64_t id;
	const char *kind;    /* "publish", "purge", ... */
	const char *payload; /* the kind's own text (an id, keys, JSON) */
	enum mh_job_state state;
	int64_t run_at;      /* not before (unix seconds) */
	int attempts;        /* claims so far, this one included */
	int max_attempts;
	const char *owner;   /* node that holds it ("" when none) */
	int64_t lease_until; /* the owner's claim ends then */
	const char *last_error;
	const char *dedupe;  /* "" or a key unique among unfinished jobs */
	int64_t created_at, updated_at;
};
/* Queues a job. With dedupe (may be NULL), an unfinished job with the same
 * key is updated instead (new payload and run_at, attempts reset): e.g. an
 * article rescheduled keeps one publishing job. *id (may be NULL) is set. */
enum mh_store_rc mh_store_job_add(struct mh_store *s, const char *kind, struct mh_str payload, int64_t run_at,
				  const char *dedupe, int64_t *id);
/* Claims the most overdue job that is queued and due, or running with an
 * expired lease; it becomes running, owned by owner until now + lease_s, with
 * attempts + 1. MH_NOT_FOUND when nothing is due. Exactly one claimer wins. */
enum mh_store_rc mh_store_job_claim(struct mh_store *s, struct mh_arena *a, const char *owner, int64_t now,
				    int lease_s, struct mh_job **out);
/* Ends a claimed job. MH_CONFLICT if owner no longer holds it (the lease ran
 * out and another node took it). */
enum mh_store_rc mh_store_job_done(struct mh_store *s, int64_t id, const char *owner);
/* A failed attempt: queued again for retry_at, or parked once attempts have
 * reached max_attempts. error is kept as last_error. */
enum mh_store_rc mh_store_job_fail(struct mh_store *s, int64_t id, const char *owner, const char *error,
				   int64_t retry_at);
/* Lists jobs (newest first), all states when state < 0. */
enum mh_store_rc mh_store_jobs(struct mh_store *s, struct mh_arena *a, int state, int limit, struct mh_job **out,
			       size_t *n);
/* Puts a parked (or queued) job back in the queue, due now, attempts reset. */
enum mh_store_rc mh_store_job_retry(struct mh_store *s, int64_t id);
/* Deletes done jobs finished before the given time. */
enum mh_store_rc mh_store_jobs_prune(struct mh_store *s, int64_t before);

/* ---- the media library (migration 5) ----
 * Uploaded images, originals and derived sizes, kept in the database (the
 * single source of truth every node serves from). The store checks the
 * shape of what it keeps; what an image is (its type from its bytes, its
 * dimensions) is src/media's business. */
struct mh_media {
	int64_t id;
	/* "HEX.EXT": lowercase [0-9a-z] (1-64) then .jpg, .png, .webp or .gif;
	 * unique; its address is /media/NAME */
	const char *name;
	const char *type; /* image/jpeg, image/png, image/webp or image/gif */
	int width, height; /* pixels, > 0 */
	int64_t size;      /* bytes of the original */
	const char *alt;   /* the description offered as the default alt text */
	int64_t uploader_id; /* the account that uploaded it, 0 = none */
	int64_t created_at;
	struct mh_str bytes; /* the original: given to media_add; reads leave it empty */
};
/* Stores m (m->id must be 0; size becomes bytes.len); sets id and
 * created_at (now unless given). A name already stored is MH_CONFLICT ("name
 * 'x' is already used"); a bad field MH_INVALID naming it. */
enum mh_store_rc mh_store_media_add(struct mh_store *s, struct mh_media *m, struct mh_buf *err);
/* Without the bytes; MH_NOT_FOUND when there is none. */
enum mh_store_rc mh_store_media_by_name(struct mh_store *s, struct mh_arena *a, struct mh_str name,
					struct mh_media **out);
/* The items of several names with one statement (the stored images of a
 * page's cards), without their bytes, in no particular order; names that are
 * malformed or not stored are left out. None well-formed: no statement. */
enum mh_store_rc mh_store_media_by_names(struct mh_store *s, struct mh_arena *a, const struct mh_str *names,
					 size_t n, struct mh_media **out, size_t *n_out);
/* The item whose name is stem plus any of the four extensions (a size's
 * address names the stem and the format it wants). */
enum mh_store_rc mh_store_media_by_stem(struct mh_store *s, struct mh_arena *a, struct mh_str stem,
					struct mh_media **out);
enum mh_store_rc mh_store_media_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_media **out);
/* The original's bytes (in a's memory). */
enum mh_store_rc mh_store_media_bytes(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_str *out);
/* Newest first, without bytes; limit 1..1000. */
enum mh_store_rc mh_store_media_list(struct mh_store *s, struct mh_arena *a, int limit, struct mh_media **out,
				     size_t *n);
/* A page of the library for the admin's screen: up to limit (1..1000)
 * items older than (before_at, before_id) in (created_at, id) order, newest
 * first (keyset paging; before_id 0: from the newest). Without bytes. */
enum mh_store_rc mh_store_media_page(struct mh_store *s, struct mh_arena *a, int64_t before_at, int64_t before_id,
				     int limit, struct mh_media **out, size_t *n);
/* Sets item id's description (the default alt text); the caller has
 * checked the text (src/media's mh_media_set_alt). MH_NOT_FOUND when there
 * is no such item. */
enum mh_store_rc mh_store_media_set_alt(struct mh_store *s, int64_t id, const char *alt);
/* The articles (any status) that show the address url ("/media/NAME"): as
 * their image or anywhere in their Markdown body. Only id, slug, headline
 * and status are filled. */
enum mh_store_rc mh_store_media_users(struct mh_store *s, struct mh_arena *a, struct mh_str url,
				      struct mh_article **out, size_t *n);
/* Deletes the item and its sizes. MH_NOT_FOUND when it is not there. The
 * caller checks mh_store_media_users first (src/media does). */
enum mh_store_rc mh_store_media_remove(struct mh_store *s, int64_t id);
/* A derived size: width is the nominal width asked for (480, 960, ...),
 * format "jpg", "png", "webp" or "gif". Putting one that exists keeps the
 * stored one and is MH_OK (the makers are idempotent); an unknown media id
 * is MH_INVALID. */
struct mh_media_size {
	int width;
	const char *format;
	int64_t size; /* bytes */
};
enum mh_store_rc mh_store_media_size_put(struct mh_store *s, int64_t media_id, int width, const char *format,
					 struct mh_str bytes, struct mh_buf *err);
/* MH_NOT_FOUND when that size has not been made. */
enum mh_store_rc mh_store_media_size_get(struct mh_store *s, struct mh_arena *a, int64_t media_id, int width,
					 const char *format, struct mh_str *out);
/* The sizes made so far, by width then format. */
enum mh_store_rc mh_store_media_sizes(struct mh_store *s, struct mh_arena *a, int64_t media_id,
				      struct mh_media_size **out, size_t *n);

/* ---- query plans, for tests (tests/jobs/test_scale.c) ----
 * The statements that start-up and the periodic tasks run, by name, so a
 * test can check each is served by an index on both backends. */
enum mh_store_plan_of {
	MH_STORE_PLAN_ARTICLES = 0, /* the list query for q (the sweep, list pages) */
	MH_STORE_PLAN_JOBS_BY_STATE, /* mh_store_jobs with a state (the sweep) */
	MH_STORE_PLAN_JOB_CLAIM,
	MH_STORE_PLAN_JOBS_PRUNE,
	MH_STORE_PLAN_CHANGE_LAST,
	MH_STORE_PLAN_CHANGES_SINCE,
	MH_STORE_PLAN_CHANGES_PRUNE,
	/* sitemaps (issue 9, feeds) */
	MH_STORE_PLAN_SITEMAP_ARTICLES,
	MH_STORE_PLAN_SITEMAP_NEXT_ID,
	MH_STORE_PLAN_TRENDING, /* mh_store_trending (issue 8's Trending, every minute on every node) */
	/* new plans go above this line */
	MH_STORE_PLAN_LAST = MH_STORE_PLAN_TRENDING,
};
/* Appends to out the plan the backend chooses for that statement (q only for
 * MH_STORE_PLAN_ARTICLES, with its values bound), one step per line:
 * SQLite's EXPLAIN QUERY PLAN details; PostgreSQL's EXPLAIN, planned with
 * enable_seqscan off, so that a "Seq Scan" left in it means that no index
 * can serve the statement (on a small table the planner would otherwise
 * pick a scan for any). */
enum mh_store_rc mh_store_plan(struct mh_store *s, enum mh_store_plan_of which, const struct mh_article_query *q,
			       struct mh_buf *out);

/* How many statements this handle has run since it was opened (each one
 * store.c hands to the backend: a page's cost, for /metrics and the tests
 * that hold a page to its count). Any thread may read it. */
uint64_t mh_store_statements(struct mh_store *s);

/* Which backend s talks to: "sqlite" or "postgres" (for messages and
 * tests; callers must not branch on it). */
const char *mh_store_backend(const struct mh_store *s);
bool mh_store_url_is_postgres(const char *url);

/* Copies a whole site's database from one store to another (`masthead db
 * copy`): every table (content, joins, change log, jobs) with ids kept, in
 * one transaction on the target, which must be migrated to the same schema
 * version. A target holding any row is refused (MH_CONFLICT) unless force,
 * which empties it first (in the same transaction). After the commit, row
 * counts are compared table by table. report (may be NULL) is called once per
 * table with the counts. Errors name the side ("source"/"target") and table. */
enum mh_store_rc mh_store_copy(struct mh_store *from, struct mh_store *to, bool force,
			       void (*report)(void *ctx, const char *table, int64_t from_n, int64_t to_n), void *ctx,
			       struct mh_buf *err);

/* ---- operations (backup.c): health, queue depth, backup ---- */
/* A trivial query (SELECT 1): MH_OK when the database answers. On
 * PostgreSQL a lost connection is opened again first (within its backoff). */
enum mh_store_rc mh_store_ping(struct mh_store *s, struct mh_buf *err);
/* Jobs per state (indexed by enum mh_job_state) and, of the queued ones,
 * how many wait to retry after a failed attempt. */
enum mh_store_rc mh_store_job_counts(struct mh_store *s, int64_t by_state[4], int64_t *retrying);
/* SQLite: a consistent copy of the whole database, taken with SQLite's
 * online backup API in one read transaction (writers go on meanwhile; the
 * copy holds every transaction committed before it started and none
 * after), into a new file at path (which must not exist). PostgreSQL:
 * MH_INVALID (pg_dump is its tool). */
enum mh_store_rc mh_store_backup(struct mh_store *s, const char *path, struct mh_buf *err);
/* The database's own consistency check: SQLite's PRAGMA integrity_check
 * (MH_ERROR with its first findings in err unless "ok"); PostgreSQL: a
 * ping. */
enum mh_store_rc mh_store_check(struct mh_store *s, struct mh_buf *err);

/* Row counts per table, for tests and `db copy` verification. Only sections,
 * authors, tags, articles, article_authors, article_tags, schema_migrations,
 * changes, jobs, article_revisions, article_slugs, media, media_sizes, users, sessions, auth_tokens,
 * site_secrets, tag_slugs, article_views, article_view_hours, comments, comment_bans,
 * comment_threads;
 * site_secrets, tag_slugs, article_views, article_view_hours, article_search;
 * site_secrets, tag_slugs, article_views, article_view_hours, subscribers, newsletters,
 * newsletter_deliveries;
 * site_secrets, tag_slugs, article_views, article_view_hours, donations, donation_events;
 * any other name is MH_INVALID. */
enum mh_store_rc mh_store_count(struct mh_store *s, const char *table, int64_t *n);

/* ---- view counts (issue 8): src/audience/ counts, these keep ---- */
struct mh_view_count {
	int64_t article_id;
	int64_t hour; /* unix seconds of the hour's start (a multiple of 3600) */
	int64_t n;    /* reads counted, > 0 */
};
/* Adds every count to its article's total and hour bucket, in one
 * transaction (all or nothing), as increments: several nodes adding at once
 * add up exactly. A count for an id that is not a published article is
 * dropped (a forged beacon); *added (may be NULL) is how many reads were
 * kept. Empty: MH_OK, nothing written. */
enum mh_store_rc mh_store_views_add(struct mh_store *s, const struct mh_view_count *c, size_t n, int64_t *added);
/* Admin's views (since: unix seconds): the most-read articles since then
 * (at most limit, 1..1000, most read first, newer first on a tie), and one
 * article's reads per UTC day since then (days without reads left out).
 * Arrays in a. */
struct mh_view_top {
	int64_t article_id;
	const char *headline, *slug;
	int64_t views;
};
struct mh_view_day {
	int64_t day; /* unix seconds of 00:00 UTC */
	int64_t views;
};
enum mh_store_rc mh_store_views_top(struct mh_store *s, struct mh_arena *a, int64_t since, size_t limit,
				    struct mh_view_top **out, size_t *n);
enum mh_store_rc mh_store_views_daily(struct mh_store *s, struct mh_arena *a, int64_t article_id, int64_t since,
				      struct mh_view_day **out, size_t *n);
/* The total shown for a published article: its starting views (the demo's,
 * an import's) plus every read counted. MH_NOT_FOUND unless published by now. */
enum mh_store_rc mh_store_views_get(struct mh_store *s, int64_t article_id, int64_t *total);

/* ---- redirects (issue 9) and the WordPress import's bookkeeping (issue 11), migration 13 ---- */
/* An old address answered with a redirect before the 404: from is a site
 * path (exact: the whole path, or the path and its query for "/?p=1"; or a
 * prefix: every path starting with it, the rest appended to to). to is an
 * http(s):// address or a site path. */
struct mh_redirect {
	const char *from, *to;
	int status; /* 301 or 302 */
	bool prefix;
	int64_t created_at;
};
/* Why r may not be stored, or NULL: from must start with a single '/', in
 * printable ASCII without spaces, quotes, angle brackets, backslashes,
 * backquotes or '#' (a prefix also without '?'), at most 2000 bytes; to as
 * mh_store_url_problem and not empty; status 301 or 302; and no loop on
 * itself (to == from, or a prefix whose to starts with it on this site).
 * *field is "FROM", "TO" or "--status". */
const char *mh_store_redirect_problem(const struct mh_redirect *r, const char **field);
/* Inserts or replaces the rule for r->from (checked as above: MH_INVALID
 * "FIELD: why"). */
enum mh_store_rc mh_store_redirect_put(struct mh_store *s, const struct mh_redirect *r, struct mh_buf *err);
/* MH_NOT_FOUND when there is no rule for from. */
enum mh_store_rc mh_store_redirect_remove(struct mh_store *s, struct mh_str from);
/* Every rule (in a), in no promised order. */
enum mh_store_rc mh_store_redirects(struct mh_store *s, struct mh_arena *a, struct mh_redirect **out, size_t *n);

/* One item a WordPress import brought (or failed to): keyed by source (the
 * WordPress site's address), kind ("post", "page", "attachment", ...) and
 * the WordPress id. target_id: the article or media id made; state "done"
 * or "failed" (detail says why; the next run tries again). */
struct mh_wp_item {
	int64_t target_id;
	const char *state, *detail;
};
/* MH_NOT_FOUND when the item was never seen. */
enum mh_store_rc mh_store_wp_item_get(struct mh_store *s, struct mh_arena *a, const char *source, const char *kind,
				      int64_t wp_id, struct mh_wp_item *out);
enum mh_store_rc mh_store_wp_item_put(struct mh_store *s, const char *source, const char *kind, int64_t wp_id,
				      const struct mh_wp_item *item);
/* ---- sitemaps (issue 9, feeds) ----
 * Pages of published articles by id, so that a page of a sitemap reads one
 * range of the primary key, never the whole table (the plans are
 * MH_STORE_PLAN_SITEMAP_*). */
/* The published articles (published_at <= now) with after_id < id <=
 * upto_id, by id, at most limit (1..50000): only id, slug, published_at,
 * updated_at and image_url filled (the rest ""). Array in a. */
enum mh_store_rc mh_store_sitemap_articles(struct mh_store *s, struct mh_arena *a, int64_t after_id, int64_t upto_id,
					   int limit, struct mh_article **out, size_t *n);
/* The smallest id of a published article above after_id; 0 when none. */
enum mh_store_rc mh_store_sitemap_next_id(struct mh_store *s, int64_t after_id, int64_t *id);
/* ---- Trending (issue 8): the most-read published articles now ----
 * Each published (by now) article read in the last window_hours hours (the
 * hour bucket now falls in and the window_hours - 1 before it): views, its
 * reads in that window; score, the same reads each weighed by
 * 0.5^(age / half_life_hours), age the bucket's whole hours before now's,
 * in millionths of a read (an integer, so both backends order alike). At
 * most per_section rows per section, ordered by score, then the newer
 * published_at, then the higher id. Every section's best are there, so the
 * site's own best per_section are the first per_section rows. Arrays and
 * strings in a. window_hours 1..168, half_life_hours 1..168, per_section
 * 1..100; else MH_INVALID. */
struct mh_trending_row {
	int64_t article_id;
	const char *slug, *headline;
	int64_t published_at;
	int64_t section_id;
	int64_t views;
	int64_t score;
};
enum mh_store_rc mh_store_trending(struct mh_store *s, struct mh_arena *a, int64_t now, int window_hours,
				   int half_life_hours, size_t per_section, struct mh_trending_row **out, size_t *n);
/* ---- comments (issue 8, migration 11) ----
 * Readers' comments under articles, one level deep: a reply to a reply is
 * stored as a reply to the top comment. An article's approved count
 * (comment_threads) changes in the same transaction as the comment whose
 * status made it change, so it is always exact. The store keeps the
 * commenter's keyed address hash, never an address; what a comment may say
 * (length, links) is src/audience's to check, not the store's. */
enum mh_comment_status {
	MH_COMMENT_PENDING = 0,
	MH_COMMENT_APPROVED,
	MH_COMMENT_SPAM,
	MH_COMMENT_DELETED,
};
const char *mh_comment_status_name(enum mh_comment_status st);
bool mh_comment_status_parse(struct mh_str s, enum mh_comment_status *out);
struct mh_comment {
	int64_t id, article_id;
	int64_t parent_id; /* the top comment this replies to; 0 = none */
	const char *name;
	const char *email;        /* "" when not given; never shown on the site */
	const char *body;         /* the text as typed (rendered when shown) */
	const char *address_hash; /* keyed hash of the address (hex) */
	enum mh_comment_status status;
	int64_t created_at, updated_at;
	const char *article_slug, *article_headline; /* filled on reads */
};
/* Stores c (id 0) with created_at now; sets id, and parent_id to the top
 * comment when c replies to a reply. Checks: name 1-200 bytes, email at most
 * 254, body 1-100000 bytes (none with control characters but newlines and
 * tabs in the body), address_hash not empty, a parent of the same article
 * (MH_INVALID "parent_id: ..."), an article that exists (MH_INVALID
 * "article_id: no article N"). An approved one counts at once. */
enum mh_store_rc mh_store_comment_add(struct mh_store *s, struct mh_comment *c, struct mh_buf *err);
enum mh_store_rc mh_store_comment_by_id(struct mh_store *s, struct mh_arena *a, int64_t id, struct mh_comment **out);
/* An article's approved comments, oldest first, at most limit (1..10000). */
enum mh_store_rc mh_store_comments_of_article(struct mh_store *s, struct mh_arena *a, int64_t article_id, int limit,
					      struct mh_comment **out, size_t *n);
/* Whether the article's comments are closed by an editor, and how many are
 * approved (0 and false for an article nobody has commented on). */
enum mh_store_rc mh_store_comment_thread(struct mh_store *s, int64_t article_id, bool *closed, int64_t *approved);
enum mh_store_rc mh_store_comments_close(struct mh_store *s, int64_t article_id, bool closed);
/* A new status (and the approved count with it); *article_id (may be NULL)
 * is the comment's article. MH_NOT_FOUND for an unknown id. */
enum mh_store_rc mh_store_comment_set_status(struct mh_store *s, int64_t id, enum mh_comment_status st,
					     int64_t *article_id);
/* A moderator's edit of name and body (checked as by comment_add). */
enum mh_store_rc mh_store_comment_edit(struct mh_store *s, int64_t id, const char *name, const char *body,
				       struct mh_buf *err);
/* The moderation queue: newest first, ids below before_id (0: from the
 * newest), at most limit (1..1000); each filter "" / 0 / -1 for any. */
struct mh_comment_filter {
	int status; /* enum mh_comment_status, or -1 for any */
	const char *email, *address_hash;
	int64_t article_id;
};
enum mh_store_rc mh_store_comments_list(struct mh_store *s, struct mh_arena *a, const struct mh_comment_filter *f,
					int64_t before_id, int limit, struct mh_comment **out, size_t *n);
/* Whether a commenter has an approved comment: by email (when not "") or
 * by address hash (hold-first moderation trusts them after one). */
enum mh_store_rc mh_store_comment_trusted(struct mh_store *s, const char *email, const char *address_hash,
					  bool *trusted);
/* Whether the article has a comment (not deleted) with exactly this body
 * since since (unix seconds). */
enum mh_store_rc mh_store_comment_duplicate(struct mh_store *s, int64_t article_id, const char *body, int64_t since,
					    bool *dup);
/* Bans: kind "email" (stored lower-case) or "address" (a hash). */
struct mh_comment_ban {
	const char *kind, *value, *created_by;
	int64_t created_at;
};
enum mh_store_rc mh_store_comment_ban_add(struct mh_store *s, const char *kind, const char *value, const char *by,
					  struct mh_buf *err);
enum mh_store_rc mh_store_comment_ban_remove(struct mh_store *s, const char *kind, const char *value);
enum mh_store_rc mh_store_comment_bans(struct mh_store *s, struct mh_arena *a, struct mh_comment_ban **out,
				       size_t *n);
/* Whether email (may be "") or address_hash is banned. */
enum mh_store_rc mh_store_comment_banned(struct mh_store *s, const char *email, const char *address_hash,
					 bool *banned);
/* ---- full-text search (issue 9, migration 12) ----
 * The index holds every published article's headline, dek, body as plain
 * text (tags stripped, entities decoded, control characters dropped) and
 * its authors' names, and follows every save (publish, edit, withdrawal) and
 * author rename in the write's own transaction. SQLite: an FTS5 table
 * (unicode61, diacritics removed) ranked by bm25 with the headline weighted
 * above the dek, the authors and the body; PostgreSQL: a weighted tsvector
 * (headline A, dek B, body C, authors D) under a GIN index, with unaccent.
 * A reader's text never reaches either engine's syntax as typed: it is
 * first cut into terms (mh_search_parse) that each backend writes quoted. */
#define MH_SEARCH_MAX_INPUT 256 /* bytes of a reader's text looked at; the rest is ignored */
#define MH_SEARCH_MAX_TERMS 12  /* terms kept (words, prefixes, phrases) */
#define MH_SEARCH_MAX_WORDS 24  /* words kept over all terms */
#define MH_SEARCH_MAX_WORD 64   /* bytes of one word kept (cut at a character) */
enum mh_search_term_kind {
	MH_SEARCH_WORD = 0, /* a plain word */
	MH_SEARCH_PREFIX,   /* word* : any word starting with it (2+ characters) */
	MH_SEARCH_PHRASE,   /* "w1 w2 ...": these words in this order (2+ words) */
};
struct mh_search_term {
	enum mh_search_term_kind kind;
	/* one word, or a phrase's words joined by single spaces; a word is a
	 * run of letters and digits (ASCII alphanumerics and any non-ASCII
	 * character but spaces and punctuation), never quotes, operators,
	 * control characters or malformed UTF-8 */
	const char *text;
};
/* Cuts a reader's text into at most max terms (in a's memory) and returns
 * how many. Only the first MH_SEARCH_MAX_INPUT bytes count. A '"' opens a
 * phrase only when another closes it; a '*' right after a word of 2+
 * characters makes it a prefix; everything else that is not a letter or
 * digit separates words, so that unbalanced quotes, operators (AND, OR,
 * NOT, NEAR( ...), a lone '*', control characters and malformed bytes all
 * end up as plain words or nothing. 0 terms: nothing to search for. */
size_t mh_search_parse(struct mh_arena *a, struct mh_str input, struct mh_search_term *out, size_t max);

struct mh_search_query {
	const struct mh_search_term *terms; /* from mh_search_parse; n_terms > 0 */
	size_t n_terms;
	int64_t section_id; /* 0 = any */
	int64_t author_id;  /* 0 = any */
	int64_t from, to;   /* published_at within [from, to] (unix seconds); 0 = open */
	int offset, limit;  /* limit 1..100 (0 = 20), offset 0..10000 */
	int64_t now;        /* 0 = mh_time_now(): only articles published by then */
};
/* A hit: the article as a list reads it (authors and tags filled, no body)
 * and a snippet of its body around the matches: plain text in which
 * MH_SEARCH_MARK_START and MH_SEARCH_MARK_END (control characters, which
 * the indexed text never holds) surround each matched word. The caller
 * escapes the text between them (mh_search_snippet_parts). */
#define MH_SEARCH_MARK_START '\x01'
#define MH_SEARCH_MARK_END '\x02'
struct mh_search_hit {
	struct mh_article article;
	const char *snippet;
};
/* The best matches first (headline above dek above body and authors; ties
 * newest first), in a. Bad limits: MH_INVALID. The work is bounded: of the
 * articles that match and pass the filters, the MH_SEARCH_WINDOW newest
 * (by id, i.e. as created) are the ones ranked, so a word found in most
 * of a big archive costs what a rarer one does. */
#define MH_SEARCH_WINDOW 2000 /* written in both backends' MH_Q_SEARCH */
enum mh_store_rc mh_store_search(struct mh_store *s, struct mh_arena *a, const struct mh_search_query *q,
				 struct mh_search_hit **out, size_t *n);
/* A snippet cut at its marks: parts[i] is text (NUL-terminated, in a, with
 * any other control character made a space) and marked[i] whether it was
 * between marks. Returns the number of parts. */
size_t mh_search_snippet_parts(struct mh_arena *a, const char *snippet, struct mh_str **parts, bool **marked);
/* The plain text the index keeps of a rendered body (tags out, entities
 * decoded, block boundaries as spaces, control characters dropped),
 * appended to out. Our renderer's HTML only: see search.c. */
void mh_search_plain_text(struct mh_buf *out, struct mh_str html);
/* ---- the newsletter (migration 14) ----
 * Subscribers are stored once they confirm (double opt-in: a sign-up stores
 * nothing, its signed link carries the address), by address lower-cased
 * (ASCII). A newsletter is its rendered bodies and one delivery row per
 * subscriber confirmed when it was queued (unique per subscriber per
 * newsletter). A delivery is claimed with a lease (FOR UPDATE SKIP LOCKED
 * on PostgreSQL; SQLite's single writer) and marked 'sending' before the
 * SMTP exchange: a sender that dies then leaves it 'sending', and once its
 * lease is over it becomes 'unknown', never queued again (at most once). */
struct mh_subscriber {
	int64_t id;
	const char *email;
	const char *status; /* "pending", "confirmed", "unsubscribed", "bounced" */
	int64_t created_at, confirmed_at, updated_at;
};
/* True for the four statuses above. */
bool mh_store_subscriber_status_valid(struct mh_str status);
/* Stores email as confirmed (inserted, or an existing row made confirmed:
 * a returning reader after an unsubscribe); *id (may be NULL) is its id.
 * A malformed address: MH_INVALID "email: ...". */
enum mh_store_rc mh_store_subscriber_confirm(struct mh_store *s, struct mh_str email, int64_t *id, struct mh_buf *err);
enum mh_store_rc mh_store_subscriber_by_email(struct mh_store *s, struct mh_arena *a, struct mh_str email,
					      struct mh_subscriber **out);
enum mh_store_rc mh_store_subscriber_by_id(struct mh_store *s, struct mh_arena *a, int64_t id,
					   struct mh_subscriber **out);
/* A new status for subscriber id (unsubscribed, bounced, ...);
 * MH_NOT_FOUND when there is none. */
enum mh_store_rc mh_store_subscriber_set_status(struct mh_store *s, int64_t id, const char *status);
/* Subscribers by id after after_id whose address contains filter (""
 * = all; compared lower-cased) and whose status is status ("" = any), up
 * to limit (1..10000). */
enum mh_store_rc mh_store_subscribers(struct mh_store *s, struct mh_arena *a, struct mh_str filter,
				      const char *status, int64_t after_id, int limit, struct mh_subscriber **out,
				      size_t *n);
/* Deletes the subscriber with that address and its delivery rows (the
 * personal data: nothing keeps the address after). MH_NOT_FOUND if none. */
enum mh_store_rc mh_store_subscriber_delete(struct mh_store *s, struct mh_str email);
/* An imported row: inserted with status, or an existing one's status
 * replaced. MH_INVALID naming the field on a bad address or status. */
enum mh_store_rc mh_store_subscriber_put(struct mh_store *s, struct mh_str email, const char *status,
					 struct mh_buf *err);

struct mh_newsletter {
	int64_t id;
	const char *kind;     /* "article" or "digest" */
	int64_t article_id;   /* 0 = none */
	const char *subject;
	const char *body_text, *body_html; /* "" unless read with mh_store_newsletter_get */
	int64_t created_at;
	const char *created_by;
};
/* The delivery states, in the order counts are given. */
enum mh_delivery_state {
	MH_DELIVERY_QUEUED = 0,
	MH_DELIVERY_SENDING,  /* claimed: the SMTP exchange may be under way */
	MH_DELIVERY_SENT,
	MH_DELIVERY_DEFERRED, /* a 4xx (or no relay): tried again at next_at */
	MH_DELIVERY_FAILED,   /* deferred too often, or refused before sending */
	MH_DELIVERY_BOUNCED,  /* a 5xx: the subscriber is marked bounced */
	MH_DELIVERY_UNKNOWN,  /* its sender died mid-exchange: maybe delivered, never re-sent */
	MH_DELIVERY_SKIPPED,  /* the subscriber left before their turn */
	MH_DELIVERY__COUNT
};
const char *mh_delivery_state_name(enum mh_delivery_state st);
bool mh_delivery_state_parse(struct mh_str s, enum mh_delivery_state *out);
/* Stores nl (id 0; fills id and created_at) and queues a delivery for
 * every confirmed subscriber, in one transaction; *recipients (may be
 * NULL) is how many. */
enum mh_store_rc mh_store_newsletter_add(struct mh_store *s, struct mh_newsletter *nl, int64_t *recipients,
					 struct mh_buf *err);
/* With its bodies; MH_NOT_FOUND when there is none. */
enum mh_store_rc mh_store_newsletter_get(struct mh_store *s, struct mh_arena *a, int64_t id,
					 struct mh_newsletter **out);
/* Newest first, without bodies; limit 1..1000. */
enum mh_store_rc mh_store_newsletters(struct mh_store *s, struct mh_arena *a, int limit, struct mh_newsletter **out,
				      size_t *n);
/* How many deliveries of newsletter id are in each state. */
enum mh_store_rc mh_store_newsletter_counts(struct mh_store *s, int64_t id, int64_t counts[MH_DELIVERY__COUNT]);
struct mh_delivery {
	int64_t subscriber_id;
	const char *email;
	enum mh_delivery_state state;
	int attempts;
	int smtp_code;
	const char *last_error;
	int64_t updated_at;
	const char *subscriber_status; /* claims only */
};
/* Newsletter id's deliveries in state (< 0: any), by address, up to limit. */
enum mh_store_rc mh_store_newsletter_deliveries(struct mh_store *s, struct mh_arena *a, int64_t id, int state,
						int limit, struct mh_delivery **out, size_t *n);
/* First turns the deliveries of newsletter id left 'sending' past their
 * lease into 'unknown'; then claims the next due one (queued, or deferred
 * with next_at <= now) for owner until lease_until, as 'sending', with
 * attempts + 1. MH_NOT_FOUND when none is due. */
enum mh_store_rc mh_store_newsletter_claim(struct mh_store *s, struct mh_arena *a, int64_t id, const char *owner,
					   int64_t now, int64_t lease_until, struct mh_delivery *out);
/* Ends owner's claim on a delivery with state (sent, deferred with
 * next_at, failed, bounced, skipped), the relay's reply code and error; a
 * bounce also marks the subscriber bounced, in the same transaction.
 * MH_CONFLICT when owner no longer holds it. */
enum mh_store_rc mh_store_newsletter_result(struct mh_store *s, int64_t id, int64_t subscriber_id, const char *owner,
					    enum mh_delivery_state state, int smtp_code, const char *error,
					    int64_t next_at);
/* How many deliveries are still to go (queued, deferred, sending) and
 * the earliest time one of them may be worked on (0 when none). */
enum mh_store_rc mh_store_newsletter_pending(struct mh_store *s, int64_t id, int64_t *left, int64_t *next_at);
/* ---- donations (issue 10): src/donations/ talks to the providers, these
 * keep the ledger. A donation is made pending when the reader is sent to
 * the provider; only a verified capture or webhook makes it paid, and paid
 * is final. ---- */
struct mh_donation {
	int64_t id;
	const char *token;    /* the reader's handle on it (/donate/status/TOKEN): random, unguessable */
	const char *provider; /* "paypal", "stripe" */
	const char *provider_ref, *provider_sub; /* checkout (order, session) id; subscription id or "" */
	int64_t amount;       /* minor units */
	const char *currency; /* "USD" */
	bool monthly;
	const char *status;   /* pending, paid, cancelled, failed */
	const char *email;    /* "" = not given */
	int64_t created_at, updated_at, paid_at; /* paid_at 0 = not paid */
};
/* Records a gift sent to its provider (status pending): token, provider,
 * provider_ref, amount > 0, currency, monthly and email are read.
 * MH_INVALID on a missing field. */
enum mh_store_rc mh_store_donation_add(struct mh_store *s, const struct mh_donation *d, int64_t *id);
/* By its token; MH_NOT_FOUND when there is none. Strings in a. */
enum mh_store_rc mh_store_donation_get(struct mh_store *s, struct mh_arena *a, const char *token,
				       struct mh_donation *out);
/* What a provider said about checkout ref, in one transaction: status
 * (pending: no change of status), a subscription id and the payer's email
 * when known (NULL: none). With event_id (a webhook's), the event is
 * recorded and applied once: a replay, on any node, changes nothing
 * (*applied false). Paid is final: nothing moves a paid donation.
 * MH_NOT_FOUND (nothing written) when no donation has that ref. out (may
 * be NULL) gets the donation as it stands after; *became_paid (may be
 * NULL) is true when this call made it paid (on one call only, on any node:
 * the receipt's moment). */
enum mh_store_rc mh_store_donation_apply(struct mh_store *s, struct mh_arena *a, const char *provider,
					 const char *event_id, const char *ref, const char *status, const char *sub,
					 const char *email, bool *applied, bool *became_paid, struct mh_donation *out);
/* The newest donations (limit 1..1000), newest first. */
enum mh_store_rc mh_store_donations_recent(struct mh_store *s, struct mh_arena *a, size_t limit,
					   struct mh_donation **out, size_t *n);
/* Paid gifts per month (UTC) and currency, newest month first. */
struct mh_donation_total {
	const char *month; /* "2026-12" */
	const char *currency;
	int64_t count, amount; /* amount in minor units */
};
enum mh_store_rc mh_store_donation_totals(struct mh_store *s, struct mh_arena *a, struct mh_donation_total **out,
					  size_t *n);
/* Paid monthly gifts (recurring donors), newest first. */
enum mh_store_rc mh_store_donation_recurring(struct mh_store *s, struct mh_arena *a, struct mh_donation **out,
					     size_t *n);

#endif
