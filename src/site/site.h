/*
 * site: the route table and the handlers of the public site, each a thin glue
 * of store (data), render (templates) and cache (pages in memory).
 * Memory: a struct mh_site lives for the whole server run and is shared by all
 * worker threads; per-request data lives in the request's arena.
 */
#ifndef MH_SITE_H
#define MH_SITE_H

#include "audience/audience.h"
#include "cache/cache.h"
#include "content/content.h"
#include "donations/donations.h"
#include "http/http.h"
#include "render/render.h"
#include "store/store.h"
#include "util/util.h"

/* [site] and [theme] in site.ini (settings.c); every field is a row there. */
struct mh_site_settings {
	const char *title, *tagline, *base_url, *timezone, *language;
	const char *video_channel_url; /* "" = none */
	const char *social_links;      /* "Name=URL;Name=URL", or "" */
	const char *theme_dir;         /* [theme] dir: relative to the site folder, or absolute */
};
extern const struct mh_settings_table mh_site_settings_table;       /* [site] */
extern const struct mh_settings_table mh_site_theme_settings_table; /* [theme] */

/* The [site] keys the admin's settings screen sets: stored in the
 * database (store.h's site settings), they overlay site.ini's. base_url,
 * language, [theme] and every other section stay the file's. */
#define MH_SITE_DB_KEYS 5
extern const char *const mh_site_db_keys[MH_SITE_DB_KEYS]; /* title, tagline, timezone, video_channel_url, social */
/* Whether value may be [site] key (one of mh_site_db_keys), by the same
 * checks as site.ini's; false with the problem, "... (expected ...)", in
 * why. */
bool mh_site_setting_check(const char *key, const char *value, struct mh_buf *why);
/* Lays the database's rows over set (whose strings belong to the settings
 * engine: a loaded config, or a layer below). Keys the admin does not set
 * are skipped; a value that does not pass is logged and skipped. Without
 * with_zone the time zone stays set's (a running server's zone is fixed at
 * its start: it is the process's TZ). */
void mh_site_settings_overlay(struct mh_site_settings *set, const struct mh_site_setting *rows, size_t n,
			      bool with_zone);
/* A new copy of file with rows laid over, owning its strings; free it with
 * mh_site_settings_layer_free. */
struct mh_site_settings *mh_site_settings_layer(const struct mh_site_settings *file,
						const struct mh_site_setting *rows, size_t n, bool with_zone);
void mh_site_settings_layer_free(void *p);

/* Pointers here are kept: what they point to must outlive the site. */
/* [feeds] of site.ini (feeds.c): what the feeds and sitemaps hold. */
enum mh_feeds_content { MH_FEEDS_FULL = 0, MH_FEEDS_EXCERPT };
struct mh_feeds_settings {
	int content;           /* enum mh_feeds_content */
	int items;             /* articles in a feed */
	int sitemap_page_size; /* article ids a sitemap page covers (URLs it holds, at most) */
};
extern const struct mh_settings_table mh_feeds_settings_table;

struct mh_site_options {
	const struct mh_site_settings *settings;
	const struct mh_http_settings *server; /* metrics_allow */
	const struct mh_cache_settings *cache;
	const char *database;         /* the store's URL (mh_store_open) */
	const char *dir;              /* the site folder, absolute */
	const char *themes_dir;       /* folder holding default/ and admin/ */
	const struct mh_auth_settings *auth; /* [auth]; NULL = its defaults */
	const struct mh_media_settings *media; /* [media] (uploads); NULL = its defaults */
	int threads;                  /* worker threads (one store each) */
	bool dev;                     /* reload changed templates (forces one thread) */
	struct mh_views *views;       /* counts reads (beacons); NULL = not counted */
	const struct mh_views_settings *views_settings; /* [views]; NULL with views */
	const struct mh_feeds_settings *feeds; /* [feeds] (feeds, sitemaps); NULL = its defaults */
	/* Trending: the lists this node recomputes (NULL = none shown); the
	 * site listens to it to drop /trending when they change */
	struct mh_trending *trending;
	const struct mh_trending_settings *trending_settings; /* [trending]; NULL with trending */
	const struct mh_comments_settings *comments_settings; /* [comments]; NULL = its defaults */
	const struct mh_ads_settings *ads; /* [ads] (ads.c); NULL = its defaults (off) */
	const struct mh_donations_settings *donations; /* [donations], [paypal], [stripe]; NULL = none */
};

struct mh_media_settings;
struct mh_site;
struct mh_site *mh_site_new(const struct mh_site_options *opt, struct mh_buf *err);
void mh_site_free(struct mh_site *s);

/* The http handler and thread hook to give mh_http_start (ctx = the site). */
void mh_site_handle(struct mh_request *req, void *ctx);
bool mh_site_thread(int worker, bool starting, void *ctx);

/* The http on_response hook to give mh_http_start (ctx = the site): counts
 * each answer for /metrics. */
void mh_site_on_response(struct mh_request *req, int status, size_t bytes, int64_t us, void *ctx);

/* What SIGHUP reloads: the site's title and texts, cache max-age,
 * metrics_allow and the theme (loaded again from its folders). The
 * settings live in owner, which the site keeps (with every earlier one) and
 * frees with owner_free when it is freed, so a request still reading older
 * settings is safe. Settings that need a restart (listen, threads,
 * database, ...) are not read here. */
struct mh_site_reload {
	const struct mh_site_settings *settings;
	const struct mh_http_settings *server;
	const struct mh_cache_settings *cache;
	void *owner;
	void (*owner_free)(void *owner);
};
/* False with a message in err when the new theme does not load; nothing
 * changes then (and owner stays the caller's). */
bool mh_site_reload(struct mh_site *s, const struct mh_site_reload *n, struct mh_buf *err);

/* Reads the site settings the admin set from the database (st: the
 * caller's connection), lays them over site.ini's and drops the whole page
 * cache: what the change-log watcher does when a change names
 * MH_CONTENT_SITE_KEY, and the settings screen after a save. A changed time
 * zone becomes the process's (dates shown, times scheduled) at once. */
enum mh_store_rc mh_site_settings_reload(struct mh_site *s, struct mh_store *st);

/* Drops the cached pages tagged with each space-separated key in keys. */
void mh_site_invalidate(struct mh_site *s, struct mh_str keys);
struct mh_cache *mh_site_cache(struct mh_site *s);

/* Follows the database's change log in a thread of its own, dropping the
 * pages each logged change names, every interval_ms. Starts at the log's
 * end: pages cached before the start do not exist yet. */
struct mh_site_watch;
struct mh_site_watch *mh_site_watch_start(struct mh_site *site, int interval_ms, struct mh_buf *err);
void mh_site_watch_stop(struct mh_site_watch *w);
/* One pass of the watcher (what its thread does each interval); returns how
 * many log entries were applied. For tests. */
size_t mh_site_watch_poll(struct mh_site_watch *w);

/* The themes folder to use: $MASTHEAD_THEMES, else <exe>/../share/masthead/themes,
 * else the source tree's themes/ (a build run from the checkout). */
const char *mh_site_default_themes_dir(void);

/* ---- internal: shared between the files of src/site/ ---- */
struct mh_site_req {
	struct mh_site *site;
	struct mh_request *http;
	struct mh_arena *a;
	struct mh_store *store;
	struct mh_section *sections;
	size_t n_sections;
	struct mh_val *ctx; /* the template context being built */
	/* the page being made */
	int status;
	const char *content_type;
	struct mh_buf keys; /* space-separated cache keys */
	struct mh_buf body;
	bool cacheable;
	/* list pages (site.c parses them): ?before=AT-ID, the page of the
	 * articles older than (published_at AT, id ID), 0 = the newest page;
	 * or an old ?page=N link (0 = none), answered with a redirect to the
	 * ?before= page holding the same articles */
	int64_t before_at, before_id;
	int legacy_page;
	const char *location; /* with status 301: where to */
	/* the signed-in account, filled by the route's access check
	 * (admin_auth.c) for rows that look at the session; else NULL */
	struct mh_user *user;
	const char *session_hash; /* the session's token hash */
	const char *csrf;         /* the session's CSRF token, for forms */
	/* the stored images of the page's cards, read with one statement
	 * (mh_site_media_prefetch) before the cards are made: the names asked
	 * for, and those found */
	struct mh_str *media_asked;
	size_t n_media_asked;
	struct mh_media *media;
	size_t n_media;
};

/* What a page handler returns: MH_OK with status/body filled, or an error
 * that the dispatcher turns into the themed error page. */
typedef enum mh_store_rc (*mh_site_page_fn)(struct mh_site_req *r, struct mh_str arg);

/* routes.c */
/* The methods a row takes (GET includes HEAD). */
#define MH_SITE_GET 1u
#define MH_SITE_POST 2u
/* Who may use a row, checked before its handler runs. */
enum mh_site_access {
	MH_ACCESS_ANYONE = 0,
	MH_ACCESS_SIGNED_IN,  /* a live session; else a redirect to /admin/login?next=... */
	MH_ACCESS_PERMISSION, /* a live session whose role has the row's permission; else 403 */
};
/* What a POST to the row must carry (GET and HEAD never change anything). */
enum mh_site_csrf {
	MH_CSRF_NONE = 0,
	MH_CSRF_SESSION, /* the session's token (form field csrf or X-CSRF-Token header) */
	MH_CSRF_LOGIN,   /* no session yet: the signed double-submit token of the login cookie */
};
struct mh_site_route {
	const char *prefix; /* "/section/": arg is the rest, one path segment */
	bool exact;         /* prefix must match the whole path; no arg */
	unsigned methods;   /* MH_SITE_GET, MH_SITE_POST; others get 405 with Allow */
	enum mh_site_access access;
	enum mh_permission permission; /* with MH_ACCESS_PERMISSION */
	enum mh_site_csrf csrf;        /* for POST; also checks Origin and Sec-Fetch-Site */
	bool page_param;    /* a list: takes ?before=AT-ID (part of the cache
			     * key) and the old ?page=N (redirected) */
	bool cacheable;     /* a public page kept in the page cache */
	mh_site_page_fn page;
	void (*raw)(struct mh_site_req *r, struct mh_str arg); /* answers by itself */
};
const struct mh_site_route *mh_site_route_find(struct mh_str path, struct mh_str *arg);
/* Routes are numbered 1..count in table order (0: none), for metrics. */
size_t mh_site_route_count(void);
int mh_site_route_number(const struct mh_site_route *rt);
const char *mh_site_route_name(size_t number); /* its prefix */

/* redirects.c (issue 9): the node's redirect rules */
struct mh_site_redirects;
struct mh_site_redirects *mh_site_redirects_new(void);
void mh_site_redirects_free(struct mh_site_redirects *sr);
struct mh_site_redirects *mh_site_redirects_of(struct mh_site *s); /* site.c */
/* Loads the rules from st and swaps them in (the watcher, at its start and
 * when a change names MH_CONTENT_REDIRECTS_KEY). */
enum mh_store_rc mh_site_redirects_reload(struct mh_site *s, struct mh_store *st);
size_t mh_site_redirects_count(struct mh_site *s);
/* Where a page would be a 404 (and on "/" with a query): answers the
 * redirect a rule gives and returns true; false when no rule matches. */
bool mh_site_redirect(struct mh_site_req *r);

/* pages.c */
enum mh_store_rc mh_site_page_home(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_page_section(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_page_author(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_page_tag(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_page_article(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_page_stream(struct mh_site_req *r, struct mh_str arg);

/* ops.c: /healthz, /readyz, /metrics */
void mh_site_healthz(struct mh_site_req *r, struct mh_str arg);
void mh_site_readyz(struct mh_site_req *r, struct mh_str arg);
void mh_site_metrics_page(struct mh_site_req *r, struct mh_str arg);

/* metrics.c: per-thread counters, summed when /metrics is read */
struct mh_site_metrics;
struct mh_site_metrics_extra {
	uint64_t cache_bytes, cache_pages;
	bool jobs_known; /* the database answered the job counts */
	int64_t jobs[4], jobs_retrying;
};
struct mh_site_metrics *mh_site_metrics_new(int threads);
void mh_site_metrics_free(struct mh_site_metrics *m);
void mh_site_metrics_response(struct mh_site_metrics *m, const struct mh_request *req, int status, size_t bytes,
			      int64_t us);
void mh_site_metrics_db_error(struct mh_site_metrics *m, int worker, enum mh_store_rc rc);
/* n more database statements run to make a page of req's route. */
void mh_site_metrics_statements(struct mh_site_metrics *m, const struct mh_request *req, uint64_t n);
void mh_site_metrics_write(const struct mh_site_metrics *m, struct mh_buf *b, const struct mh_site_metrics_extra *x);
struct mh_site_metrics *mh_site_metrics(struct mh_site *s);
/* The worker's database connection (opened again if it failed before), or
 * NULL while it cannot be. */
struct mh_store *mh_site_store(struct mh_site_req *r);

/* admin_auth.c: sessions, CSRF, login, logout, password reset, /admin */
/* The access check of a row (its access and csrf columns), run before its
 * handler: true to go on (r->user and r->csrf filled when a session was
 * needed); false when it has answered (a redirect to the login page, 403,
 * 503). */
bool mh_site_access_check(struct mh_site_req *r, const struct mh_site_route *rt);
void mh_site_admin_home(struct mh_site_req *r, struct mh_str arg); /* in admin_desk.c */
/* False when the browser says the request came from another site
 * (Sec-Fetch-Site other than same-origin, or an Origin not ours); true
 * when it does not say (an old client) or says ours. */
bool mh_site_same_origin(struct mh_site_req *r);
void mh_site_admin_login(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_logout(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_logout_everywhere(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_reset(struct mh_site_req *r, struct mh_str arg);
/* /admin/invite?token=...: an invited account chooses its password and is
 * signed in (the link works once, until it expires) */
void mh_site_admin_invite(struct mh_site_req *r, struct mh_str arg);
/* Renders admin template name (themes/admin/) with r->ctx into r->body
 * and sends it with status, never cached, never indexed. */
void mh_site_admin_send(struct mh_site_req *r, int status, const char *name);
/* A new admin template context in r->ctx (site, page.title, assets, and for
 * a signed-in account user and csrf); returns it. */
/* A short admin page saying why (403, 404, 409, 410, 503 ...), with a link
 * back (link NULL: none); 503 says Retry-After. */
void mh_site_admin_message(struct mh_site_req *r, int status, const char *title, const char *text, const char *link,
			   const char *link_text);
struct mh_val *mh_site_admin_ctx(struct mh_site_req *r, const char *title);
/* admin_articles.c: the article list and the editor */
void mh_site_admin_articles(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_article_new(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_article(struct mh_site_req *r, struct mh_str arg);
/* The editor's rules, for the other screens of an article: whether the
 * account may open art (its byline, or any for editors and owners), and
 * may change it as it stands (a live or scheduled article counts as
 * publishing: authors their own, editors and owners any). */
bool mh_site_admin_may_open(const struct mh_site_req *r, const struct mh_article *art);
bool mh_site_admin_may_change(const struct mh_site_req *r, const struct mh_article *art);
/* admin_desk.c: the dashboard (/admin, mh_site_admin_home) and an
 * article's revisions (/admin/articles/ID/revisions: list, compare, restore) */
void mh_site_admin_revisions(struct mh_site_req *r, struct mh_str arg);
/* the editor's live preview (POST /admin/preview: the form's fields through
 * the site theme's article page, nothing stored, nothing cached) and
 * autosave of a draft (POST /admin/autosave/ID, answered in JSON) */
void mh_site_admin_preview(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_autosave(struct mh_site_req *r, struct mh_str arg);
/* The Content-Security-Policy of every public page (site.c). */
const char *mh_site_page_csp(void);
/* admin_media.c: the media library screen and uploads */
void mh_site_admin_media(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_media_upload(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_media_remove(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_media_item(struct mh_site_req *r, struct mh_str arg);
/* admin_site.c: the owner's screens, site settings and users (invitations) */
void mh_site_admin_settings(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_users(struct mh_site_req *r, struct mh_str arg);
/* admin_taxonomy.c: sections, tags, authors' profiles and Staff Picks */
void mh_site_admin_sections(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_section(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_tags(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_tag(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_authors(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_author(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_picks(struct mh_site_req *r, struct mh_str arg);
/* admin_views.c: the most-read articles and a chart of one's daily reads */
void mh_site_admin_views(struct mh_site_req *r, struct mh_str arg);
/* The site's state for accounts (site.c owns it; admin_auth.c uses it). */
struct mh_site_auth;
struct mh_site_auth *mh_site_auth_new(const struct mh_auth_settings *settings, const char *themes_dir,
				      struct mh_buf *err);
void mh_site_auth_free(struct mh_site_auth *a);
struct mh_site_auth *mh_site_auth(struct mh_site *s);
/* The admin theme (themes/admin/): its assets are served under /static/
 * beside the site theme's. Loaded once; never reloaded. */
const struct mh_theme *mh_site_admin_theme(struct mh_site *s);
/* Whether the site is served over TLS (server tls_cert set, or base_url https):
 * cookies are then Secure and __Host- prefixed. */
bool mh_site_tls(struct mh_site *s);

/* views.c: the view-count beacon and a page's count (issue 8) */
void mh_site_views_beacon(struct mh_site_req *r, struct mh_str arg);
struct mh_views *mh_site_views(struct mh_site *s); /* NULL: not counting */
const struct mh_views_settings *mh_site_views_settings(struct mh_site *s);

/* feeds.c: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the site and of each
 * section, author and tag (arg: its slug), cached under the keys of the list
 * they follow (issue 9) */
enum mh_store_rc mh_site_feed_site_rss(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_site_atom(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_site_json(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_section_rss(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_section_atom(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_section_json(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_author_rss(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_author_atom(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_author_json(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_tag_rss(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_tag_atom(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_feed_tag_json(struct mh_site_req *r, struct mh_str arg);
/* feeds.c too: /sitemap.xml (the index), /sitemaps/NAME.xml (its pages:
 * articles-N, pages, news) and /robots.txt */
enum mh_store_rc mh_site_sitemap_index(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_sitemap_page(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_sitemap_news(struct mh_site_req *r, struct mh_str arg);
enum mh_store_rc mh_site_robots(struct mh_site_req *r, struct mh_str arg);
const struct mh_feeds_settings *mh_site_feeds_settings(struct mh_site *s);
/* trending.c: Trending in the sidebar, after articles, on section fronts,
 * /trending and /trending.json (issue 8) */
void mh_site_trending_slots(struct mh_site_req *r, const struct mh_section *current);
enum mh_store_rc mh_site_page_trending(struct mh_site_req *r, struct mh_str arg);
void mh_site_trending_json(struct mh_site_req *r, struct mh_str arg);
struct mh_trending *mh_site_trending(struct mh_site *s); /* NULL: not shown */
const struct mh_trending_settings *mh_site_trending_settings(struct mh_site *s);
/* comments.c: readers' comments under articles (issue 8) */
/* The site's comment state (settings, rate limit, key): site.c owns it. */
struct mh_site_comments;
struct mh_site_comments *mh_site_comments_new(const struct mh_comments_settings *set); /* NULL: defaults */
void mh_site_comments_free(struct mh_site_comments *c);
struct mh_site_comments *mh_site_comments_state(struct mh_site *s);
const struct mh_comments_settings *mh_site_comments_settings(struct mh_site *s);
/* A worker has opened st: the comments key is read (made on a new site)
 * then, not by the first page that shows a form. */
void mh_site_comments_thread_start(struct mh_site *s, struct mh_store *st);
/* Fills slots.comments of an article page (view.c calls it for the page
 * with the body) and names its cache key comments:ID. */
void mh_site_comments_slot(struct mh_site_req *r, const struct mh_article *art);
/* The article page's cache address: path plus the comment variants it
 * shows (?comments=newest, ?comment=posted|held), in one spelling. */
struct mh_str mh_site_comments_page_url(struct mh_site_req *r, struct mh_str path);
/* GET /comments/ID (a fresh form token) and POST /comments/ID (a comment) */
void mh_site_comments_post(struct mh_site_req *r, struct mh_str arg);
/* The moderation mode in force (enum mh_comments_moderation): the admin's
 * site setting comments_moderation, else [comments] moderation. */
int mh_site_comments_moderation(struct mh_site_req *r, struct mh_store *st);
/* admin_comments.c: the moderation queue (/admin/comments) */
void mh_site_admin_comments(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_comment(struct mh_site_req *r, struct mh_str arg);
/* Whether a browser's Origin header names this site (admin_auth.c). */
bool mh_site_origin_is_ours(struct mh_site_req *r, struct mh_str origin);
/* search.c: /search and /api/v1/search (issue 9), never in the page cache */
#define MH_SITE_SEARCH_PAGES 50 /* pages of results a search reaches (20 each) */
void mh_site_search_page(struct mh_site_req *r, struct mh_str arg);
void mh_site_search_api(struct mh_site_req *r, struct mh_str arg);

/* api.c: the JSON APIs' error answer (issue 11), never cached:
 * {"error": {"status": S, "field": F, "message": M}}; field may be NULL
 * (then absent). message is for a person: say what to change. */
void mh_site_api_error(struct mh_site_req *r, int status, const char *field, const char *message);
/* newsletter.c: the sign-up box and /newsletter, its confirmation and
 * unsubscribe links (issue 10) */
void mh_site_newsletter_slot(struct mh_site_req *r, struct mh_val *slots);
void mh_site_newsletter(struct mh_site_req *r, struct mh_str arg);
void mh_site_newsletter_confirm(struct mh_site_req *r, struct mh_str arg);
void mh_site_newsletter_unsubscribe(struct mh_site_req *r, struct mh_str arg);
/* admin_newsletter.c: /admin/newsletter (send, sends, subscribers) and
 * /admin/newsletter/ID (one send's undelivered addresses) */
void mh_site_admin_newsletter(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_newsletter_send(struct mh_site_req *r, struct mh_str arg);
/* donations.c: the donation box, /donate and its pages, the providers'
 * webhooks, /admin/donations (issue 10). The site keeps one
 * mh_site_donations (made from the settings and the base CSP); the pages'
 * CSP is its, with the providers' checkout origins in form-action. */
struct mh_site_donations;
struct mh_site_donations *mh_site_donations_new(const struct mh_donations_settings *set, const char *base_csp);
void mh_site_donations_free(struct mh_site_donations *d);
const char *mh_site_donations_csp(const struct mh_site_donations *d);
struct mh_site_donations *mh_site_donations(struct mh_site *s);
/* Fills slots.donations (the sidebar) and slots.donations_after (after
 * an article) when the box is offered. */
void mh_site_donations_slot(struct mh_site_req *r, struct mh_val *slots);
void mh_site_donate(struct mh_site_req *r, struct mh_str arg);
void mh_site_donate_return(struct mh_site_req *r, struct mh_str arg);
void mh_site_donate_cancel(struct mh_site_req *r, struct mh_str arg);
void mh_site_donate_status(struct mh_site_req *r, struct mh_str arg);
void mh_site_donate_webhook(struct mh_site_req *r, struct mh_str arg);
void mh_site_admin_donations(struct mh_site_req *r, struct mh_str arg);

/* files.c */
void mh_site_static(struct mh_site_req *r, struct mh_str arg);
void mh_site_media(struct mh_site_req *r, struct mh_str arg);

/* media.c: the media library's images */
/* Answers /media/ARG from the database when ARG is a stored original or
 * one of its sizes (true); false when it is not (files.c looks in the
 * site's media/ folder then). */
bool mh_site_media_stored(struct mh_site_req *r, struct mh_str arg);
/* The theme's data for an article image: {url, alt, og_url} for any
 * address; for a stored item also stored, width, height, srcset,
 * webp_srcset, og_width, og_height, og_type (themes/default/README.md). */
struct mh_val *mh_site_view_image(struct mh_site_req *r, const char *url, const char *alt);
/* Reads the stored images of arts' lead images with one statement, for
 * mh_site_view_image to find (an image it was not asked about costs a
 * statement of its own). A failed read is left to mh_site_view_image. */
void mh_site_media_prefetch(struct mh_site_req *r, const struct mh_article *arts, size_t n);

/* ads.c: advertisement slots (issue 9). [ads] in site.ini; the slots'
 * names, in the order of struct mh_ads_settings' slot[]. */
#define MH_ADS_N_SLOTS 4
extern const char *const mh_ads_slot_names[MH_ADS_N_SLOTS]; /* article, sidebar_top, sidebar_bottom, stream */
struct mh_ads_slot_settings {
	const char *html_file;   /* the owner's HTML snippet; NULL: none */
	const char *house_image; /* a house ad: /media/NAME, link, text ("" = none) */
	const char *house_link, *house_text;
};
struct mh_ads_settings {
	bool enabled;
	int after_paragraph; /* the article slot: after this many body blocks */
	int min_height;      /* px every slot reserves */
	int stream_every;    /* the stream slot: after every this many items */
	const char *csp_hosts; /* host-sources added to the page CSP, or "" */
	struct mh_ads_slot_settings slot[MH_ADS_N_SLOTS];
};
extern const struct mh_settings_table mh_ads_settings_table; /* [ads] */
/* Whether v is a list of CSP host-sources ([https://][*.]host[:port]
 * separated by spaces); false with the problem in why. */
bool mh_ads_csp_hosts_check(const char *v, struct mh_buf *why);
struct mh_site_ads;
/* Reads the snippet files (relative to site_dir) and builds /ads.css and
 * the page CSP; NULL with the problem in err when a file cannot be read.
 * set NULL: [ads]' defaults (ads off). */
struct mh_site_ads *mh_site_ads_new(const struct mh_ads_settings *set, const char *site_dir, struct mh_buf *err);
void mh_site_ads_free(struct mh_site_ads *ads);
const struct mh_site_ads *mh_site_ads(struct mh_site *s);
/* The page CSP: default_csp with [ads] csp_hosts added to script-src,
 * img-src and frame-src; default_csp itself when there are none. */
const char *mh_site_ads_csp(const struct mh_site_ads *ads, const char *default_csp);
/* view.c's common context: slots.ads = {SLOT: {name, html, house}} for the
 * slots that hold an ad, unless ads are off (the setting, an error page,
 * a section that turned them off). */
void mh_site_ads_fill(struct mh_site_req *r, struct mh_val *slots, const char *kind, const struct mh_section *current);
/* Before rendering: drops the ads of an article that turned them off,
 * places the article slot in body_parts (part.ad) and the stream slot
 * between stream items (item.ad_after). */
void mh_site_ads_finish(struct mh_site_req *r);
/* GET /ads.css: the height the slots reserve ([ads] min_height) */
void mh_site_ads_css(struct mh_site_req *r, struct mh_str arg);

/* meta.c: search-engine and social metadata (issue 9): from the finished
 * context, adds page.document_title, og_type, og_image, twitter_card and
 * jsonld ([{json}] trusted, safe inside <script>), and an article's share
 * links (article.share, article.share_url). mh_site_render calls it. */
void mh_site_meta_finish(struct mh_site_req *r);

/* view.c: template context */
void mh_site_view_common(struct mh_site_req *r, const char *kind, const char *title, const char *description,
			 const char *canonical_path, const struct mh_section *current);
struct mh_val *mh_site_view_article(struct mh_site_req *r, const struct mh_article *art, bool with_body);
struct mh_val *mh_site_view_articles(struct mh_site_req *r, const struct mh_article *arts, size_t n);
/* The list's page links: newer_url NULL on the newest page, older_url NULL
 * on the oldest. */
void mh_site_view_pagination(struct mh_site_req *r, const char *newer_url, const char *older_url);
void mh_site_key(struct mh_site_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for "<prefix><id>" ("article:12"), without a format string: a
 * list page names one key per card. */
void mh_site_key_id(struct mh_site_req *r, const char *prefix, int64_t id);
/* Renders template name into r->body; MH_ERROR if the theme lacks it. */
enum mh_store_rc mh_site_render(struct mh_site_req *r, const char *name);
const struct mh_theme *mh_site_theme(struct mh_site *s);
const struct mh_site_settings *mh_site_config(struct mh_site *s); /* [site], [theme] */
const char *mh_site_dir(struct mh_site *s); /* the site folder, absolute */
const struct mh_http_settings *mh_site_server(struct mh_site *s); /* [server]: metrics_allow */
/* The reader's address: the connection's peer, or behind a proxy listed in
 * [server] trusted_proxies the client X-Forwarded-For names
 * (mh_addr_forwarded_client). For view counts and rate limits; never
 * stored. False when the connection has no address. */
bool mh_site_client_addr(struct mh_site_req *r, struct sockaddr_storage *out);
/* The same address's bytes (4 for IPv4, 16 for IPv6) in the request's
 * arena, "" when there is none: the key of per-reader counts, hashes and
 * rate limits (views, comments, the newsletter). Never stored or logged. */
struct mh_str mh_site_client_key(struct mh_site_req *r);
/* Opens a new connection to the site's database (mh_store_open). */
enum mh_store_rc mh_site_store_open(struct mh_site *s, struct mh_store **out, struct mh_buf *err);

/* [media] as the site was started with (uploads' size limit). */
const struct mh_media_settings *mh_site_media_settings(struct mh_site *s);
/* An upload into the media library (mh_site_media_upload without the
 * JSON): the HTTP status, with *out the stored item on 201 (also when the
 * same bytes were stored before) or *why a sentence for a person. */
int mh_site_media_take(struct mh_store *s, const struct mh_media_settings *settings, struct mh_arena *a,
		       struct mh_str content_type, struct mh_str body, int64_t uploader_id, struct mh_media **out,
		       const char **why);
/* An upload into the media library, for the admin's route (which adds the
 * login and CSRF gate; there is no public route): body is a
 * multipart/form-data request body (content_type its header) with the
 * image in the file field "file" and an optional "alt" field. Returns the
 * HTTP status, with json set to {"name","url","width","height"} on 201 or
 * {"error": a sentence} otherwise: 413 too large (bytes or pixels), 415
 * not a JPEG, PNG, WebP or GIF (SVG included) or not multipart, 400 a
 * malformed body or no file, 503 the database down. Nothing is stored on
 * an error. */
struct mh_media_settings;
int mh_site_media_upload(struct mh_store *s, const struct mh_media_settings *settings, struct mh_arena *a,
			 struct mh_str content_type, struct mh_str body, int64_t uploader_id, struct mh_buf *json);

/* Articles per page on fronts, and per batch of the Continue Reading stream. */
#define MH_SITE_PER_PAGE 20
#define MH_SITE_STREAM_BATCH MH_CONTENT_STREAM_BATCH
/* Staff Picks on their front (one page, in the editors' order), and the
 * most the Staff Picks screen orders. */
#define MH_SITE_PICKS_MAX 100

#endif
