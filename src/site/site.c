/*
 * The request path of the public site: route, answer from the page cache
 * (ETag/304, gzip/br) with no database access, or render, keep and answer.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/media.h"
#include "site/site.h"

/* What SIGHUP replaced: kept until the site is freed, so a request still
 * reading an older config or theme never meets freed memory (a reload is
 * rare; a config is a few hundred bytes). */
struct retired {
	struct retired *next;
	void *owner;               /* what the settings live in, or NULL */
	void (*owner_free)(void *);
	struct mh_theme *theme;    /* or NULL */
	char *cache_control;       /* or NULL */
};

struct mh_site {
	/* the live settings and theme: swapped whole by mh_site_reload
	 * (atomic pointers; readers load each once per use) */
	const struct mh_site_settings *_Atomic settings;
	const struct mh_http_settings *_Atomic server;
	struct mh_theme *_Atomic theme;
	const char *database, *dir;
	struct mh_cache *cache; /* NULL when [cache] enabled = false */
	struct mh_store **stores; /* one per worker thread */
	/* a worker whose database could not be opened tries again no sooner
	 * than this (monotonic µs), backing off, so requests meanwhile get an
	 * immediate 503 instead of each waiting for a connect timeout */
	int64_t *reopen_at_us;
	int *reopen_backoff_ms;
	int threads;
	bool dev;
	char *default_theme_dir, *override_theme_dir;
	const char *_Atomic cache_control;
	char cache_control_first[160];
	pthread_mutex_t reload_mu; /* one reload at a time */
	struct retired *retired;
	struct mh_site_metrics *metrics;
	struct mh_site_auth *auth; /* sessions, the admin theme, login rate limits */
	struct mh_media_settings media; /* [media], copied at start */
	/* The settings are site.ini's [site] (file: swapped by SIGHUP) with the
	 * database's rows laid over (the admin's settings screen): settings
	 * points at a layer made of both (owned, retired when replaced), or at
	 * file itself before the database was first read. Under reload_mu. */
	const struct mh_site_settings *file;
	struct mh_arena *db_arena; /* holds db_rows */
	struct mh_site_setting *db_rows;
	size_t n_db_rows;
	char *zone; /* the process's display zone (TZ) now: site.ini's, or the admin's over it */
	struct mh_views *views;    /* not owned (serve starts and stops it) */
	const struct mh_views_settings *views_settings;
	struct mh_site_redirects *redirects; /* issue 9: the redirect rules (redirects.c) */
	struct mh_feeds_settings feeds; /* [feeds], copied at start */
	struct mh_trending *trending; /* not owned (serve starts and stops it) */
	const struct mh_trending_settings *trending_settings;
	struct mh_site_comments *comments; /* comments.c's state */
	struct mh_site_ads *ads; /* [ads]: slots, /ads.css, the page CSP (ads.c) */
	struct mh_site_donations *donations; /* the box's state and the pages' CSP */
};

const struct mh_site_ads *mh_site_ads(struct mh_site *s)
{
	return s->ads;
}

struct mh_site_redirects *mh_site_redirects_of(struct mh_site *s)
{
	return s->redirects;
}

const struct mh_media_settings *mh_site_media_settings(struct mh_site *s)
{
	return &s->media;
}

const struct mh_feeds_settings *mh_site_feeds_settings(struct mh_site *s)
{
	return &s->feeds;
}

struct mh_site_auth *mh_site_auth(struct mh_site *s)
{
	return s->auth;
}

bool mh_site_tls(struct mh_site *s)
{
	const struct mh_http_settings *server = s->server;
	const struct mh_site_settings *set = s->settings;
	return (server != NULL && server->tls_cert != NULL && server->tls_cert[0] != '\0') ||
	       strncmp(set->base_url, "https://", 8) == 0;
}

struct mh_views *mh_site_views(struct mh_site *s)
{
	return s->views;
}

const struct mh_views_settings *mh_site_views_settings(struct mh_site *s)
{
	return s->views_settings;
}

struct mh_site_donations *mh_site_donations(struct mh_site *s)
{
	return s->donations;
}

struct mh_trending *mh_site_trending(struct mh_site *s)
{
	return s->trending;
}

const struct mh_trending_settings *mh_site_trending_settings(struct mh_site *s)
{
	return s->trending_settings;
}

/* Trending's lists changed on this node: only /trending shows them as
 * they are (every other page refreshes its copy from /trending.json). */
static void trending_changed(void *ctx)
{
	mh_site_invalidate(ctx, MH_STR("trending"));
}

struct mh_site_comments *mh_site_comments_state(struct mh_site *s)
{
	return s->comments;
}

struct mh_site_metrics *mh_site_metrics(struct mh_site *s)
{
	return s->metrics;
}

const struct mh_theme *mh_site_theme(struct mh_site *s)
{
	return s->theme;
}

const struct mh_site_settings *mh_site_config(struct mh_site *s)
{
	return s->settings;
}

const struct mh_http_settings *mh_site_server(struct mh_site *s)
{
	return s->server;
}

bool mh_site_client_addr(struct mh_site_req *r, struct sockaddr_storage *out)
{
	struct sockaddr_storage peer;
	if (!mh_request_peer(r->http, &peer)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	const struct mh_http_settings *server = mh_site_server(r->site);
	(void)mh_addr_forwarded_client(server != NULL ? server->trusted_proxies : NULL, &peer,
				       mh_request_header(r->http, "x-forwarded-for"), out);
	return true;
}

struct mh_str mh_site_client_key(struct mh_site_req *r)
{
	struct sockaddr_storage ss;
	if (!mh_site_client_addr(r, &ss))
		return MH_STR("");
	if (ss.ss_family == AF_INET)
		return mh_arena_str(r->a, (struct mh_str){ (const char *)&((struct sockaddr_in *)&ss)->sin_addr, 4 });
	if (ss.ss_family == AF_INET6)
		return mh_arena_str(r->a, (struct mh_str){ (const char *)&((struct sockaddr_in6 *)&ss)->sin6_addr, 16 });
	return MH_STR("");
}

const char *mh_site_dir(struct mh_site *s)
{
	return s->dir;
}

enum mh_store_rc mh_site_store_open(struct mh_site *s, struct mh_store **out, struct mh_buf *err)
{
	return mh_store_open(s->database, s->dir, false, out, err);
}

struct mh_cache *mh_site_cache(struct mh_site *s)
{
	return s->cache;
}

const char *mh_site_default_themes_dir(void)
{
	static char found[PATH_MAX];
	const char *env = getenv("MASTHEAD_THEMES");
	if (env != NULL && *env != '\0')
		return env;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			struct stat st;
			static const char rel[] = "/../share/masthead/themes";
			if (strlen(exe) + sizeof(rel) <= sizeof(found)) {
				memcpy(found, exe, strlen(exe));
				memcpy(found + strlen(exe), rel, sizeof(rel));
				if (stat(found, &st) == 0 && S_ISDIR(st.st_mode))
					return found;
			}
		}
	}
	return MH_SOURCE_THEMES;
}

struct mh_site *mh_site_new(const struct mh_site_options *opt, struct mh_buf *err)
{
	struct mh_site *s = calloc(1, sizeof(*s));
	MH_ASSERT(s != NULL);
	s->settings = opt->settings;
	s->file = opt->settings;
	s->zone = strdup(opt->settings->timezone);
	MH_ASSERT(s->zone != NULL);
	s->server = opt->server;
	s->database = opt->database;
	s->dir = opt->dir;
	s->dev = opt->dev;
	s->threads = opt->threads;
	if (opt->media != NULL) {
		s->media = *opt->media;
	} else { /* [media]'s defaults, from its own table */
		struct mh_settings_slot slot = { &mh_media_settings_table, &s->media };
		mh_settings_defaults(&slot, 1);
	}
	if (opt->feeds != NULL) {
		s->feeds = *opt->feeds;
	} else { /* [feeds]' defaults, from its own table */
		struct mh_settings_slot slot = { &mh_feeds_settings_table, &s->feeds };
		mh_settings_defaults(&slot, 1);
	}
	s->views = opt->views;
	s->views_settings = opt->views_settings;
	s->trending = opt->trending;
	s->trending_settings = opt->trending_settings;
	s->comments = mh_site_comments_new(opt->comments_settings);
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_printf(&b, "%s/default", opt->themes_dir);
	s->default_theme_dir = strdup(mh_buf_cstr(&b));
	mh_buf_reset(&b);
	if (s->settings->theme_dir[0] == '/')
		mh_buf_append_c(&b, s->settings->theme_dir);
	else
		mh_buf_printf(&b, "%s/%s", s->dir, s->settings->theme_dir);
	s->override_theme_dir = strdup(mh_buf_cstr(&b));
	mh_buf_free(&b);
	s->theme = mh_theme_load(s->default_theme_dir, s->override_theme_dir, err);
	if (s->theme == NULL) {
		mh_site_free(s);
		return NULL;
	}
	s->auth = mh_site_auth_new(opt->auth, opt->themes_dir, err);
	if (s->auth == NULL) {
		mh_site_free(s);
		return NULL;
	}
	s->ads = mh_site_ads_new(opt->ads, opt->dir, err);
	if (s->ads == NULL) {
		mh_site_free(s);
		return NULL;
	}
	/* the donations' page CSP is built on the ads' one (ad hosts, then the
	 * providers' form-action) */
	s->donations = mh_site_donations_new(opt->donations, mh_site_ads_csp(s->ads, mh_site_page_csp()));
	if (opt->cache->enabled)
		s->cache = mh_cache_new(opt->cache->max_bytes);
	snprintf(s->cache_control_first, sizeof(s->cache_control_first),
		 "public, max-age=%d, s-maxage=%d, stale-while-revalidate=%d", opt->cache->max_age_s,
		 opt->cache->s_maxage_s, opt->cache->stale_while_revalidate_s);
	s->cache_control = s->cache_control_first;
	pthread_mutex_init(&s->reload_mu, NULL);
	s->metrics = mh_site_metrics_new(s->threads);
	s->redirects = mh_site_redirects_new();
	if (s->trending != NULL)
		mh_trending_listen(s->trending, trending_changed, s);
	s->stores = calloc((size_t)s->threads, sizeof(*s->stores));
	s->reopen_at_us = calloc((size_t)s->threads, sizeof(*s->reopen_at_us));
	s->reopen_backoff_ms = calloc((size_t)s->threads, sizeof(*s->reopen_backoff_ms));
	MH_ASSERT(s->stores != NULL && s->reopen_at_us != NULL && s->reopen_backoff_ms != NULL);
	return s;
}

void mh_site_free(struct mh_site *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->threads && s->stores != NULL; i++)
		if (s->stores[i] != NULL)
			mh_store_close(s->stores[i]);
	free(s->stores);
	free(s->reopen_at_us);
	free(s->reopen_backoff_ms);
	if (s->cache != NULL)
		mh_cache_free(s->cache);
	if (s->theme != NULL)
		mh_theme_free(s->theme);
	mh_site_auth_free(s->auth);
	mh_site_redirects_free(s->redirects);
	mh_site_comments_free(s->comments);
	mh_site_ads_free(s->ads);
	mh_site_donations_free(s->donations);
	free(s->default_theme_dir);
	free(s->override_theme_dir);
	free(s->zone);
	if (s->db_arena != NULL) {
		/* the live settings are a layer of ours (see make_layer) */
		mh_site_settings_layer_free((void *)s->settings);
		mh_arena_free(s->db_arena);
	}
	for (struct retired *r = s->retired, *next; r != NULL; r = next) {
		next = r->next;
		if (r->owner != NULL)
			r->owner_free(r->owner);
		if (r->theme != NULL)
			mh_theme_free(r->theme);
		free(r->cache_control);
		free(r);
	}
	if (s->retired != NULL || s->metrics != NULL)
		pthread_mutex_destroy(&s->reload_mu);
	mh_site_metrics_free(s->metrics);
	free(s);
}

/* The file's settings with the database's rows over them. The time zone is
 * the process's (TZ, util/time.c): when the admin's (or, with none saved,
 * site.ini's) differs from it, it is switched here, so a change reaches
 * dates shown and times scheduled without a restart. Under reload_mu: one
 * switch at a time. */
static struct mh_site_settings *make_layer(struct mh_site *s)
{
	const char *want = s->file->timezone;
	for (size_t i = 0; i < s->n_db_rows; i++)
		if (strcmp(s->db_rows[i].key, "timezone") == 0)
			want = s->db_rows[i].value;
	if (want != NULL && strcmp(want, s->zone) != 0) {
		if (mh_time_set_zone(want)) {
			char *z = strdup(want);
			MH_ASSERT(z != NULL);
			free(s->zone);
			s->zone = z;
			mh_log(MH_LOG_INFO, "time zone is now %s", z);
		} else {
			mh_log(MH_LOG_ERROR, "time zone '%s' is not known here; dates stay in %s", want, s->zone);
		}
	}
	struct mh_site_settings *set = mh_site_settings_layer(s->file, s->db_rows, s->n_db_rows, false);
	const struct mh_site_setting zone = { "timezone", s->zone };
	mh_site_settings_overlay(set, &zone, 1, true);
	return set;
}

enum mh_store_rc mh_site_settings_reload(struct mh_site *s, struct mh_store *st)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_site_setting *rows = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_site_settings(st, a, &rows, &n);
	if (rc != MH_OK) {
		mh_arena_free(a);
		return rc;
	}
	struct retired *old = calloc(1, sizeof(*old));
	MH_ASSERT(old != NULL);
	old->owner_free = mh_site_settings_layer_free;
	pthread_mutex_lock(&s->reload_mu);
	struct mh_arena *old_rows = s->db_arena;
	bool first = old_rows == NULL;
	s->db_arena = a;
	s->db_rows = rows;
	s->n_db_rows = n;
	const struct mh_site_settings *prev = atomic_exchange(&s->settings, make_layer(s));
	if (!first) {
		/* a request may still read the old layer: kept until the end */
		old->owner = (void *)prev;
		old->next = s->retired;
		s->retired = old;
	}
	pthread_mutex_unlock(&s->reload_mu);
	if (first)
		free(old); /* prev is the file's, owned by the caller */
	if (old_rows != NULL)
		mh_arena_free(old_rows);
	/* pages made with the old settings go; a render that began before
	 * this cannot put its page back (the cache's generation) */
	if (s->cache != NULL)
		mh_cache_clear(s->cache);
	return MH_OK;
}

bool mh_site_reload(struct mh_site *s, const struct mh_site_reload *n, struct mh_buf *err)
{
	struct mh_theme *t = mh_theme_load(s->default_theme_dir, s->override_theme_dir, err);
	if (t == NULL)
		return false;
	struct retired *owned = calloc(1, sizeof(*owned)), *old_theme = calloc(1, sizeof(*old_theme));
	MH_ASSERT(owned != NULL && old_theme != NULL);
	owned->owner = n->owner;
	owned->owner_free = n->owner_free;
	char *cache_control = malloc(160);
	MH_ASSERT(cache_control != NULL);
	snprintf(cache_control, 160, "public, max-age=%d, s-maxage=%d, stale-while-revalidate=%d",
		 n->cache->max_age_s, n->cache->s_maxage_s, n->cache->stale_while_revalidate_s);
	owned->cache_control = cache_control;
	pthread_mutex_lock(&s->reload_mu);
	old_theme->theme = atomic_exchange(&s->theme, t);
	s->file = n->settings;
	if (s->db_arena != NULL) {
		/* the database's settings stay laid over the file's */
		struct retired *old_layer = calloc(1, sizeof(*old_layer));
		MH_ASSERT(old_layer != NULL);
		old_layer->owner = (void *)atomic_exchange(&s->settings, make_layer(s));
		old_layer->owner_free = mh_site_settings_layer_free;
		old_layer->next = owned;
		owned = old_layer;
	} else {
		atomic_store(&s->settings, n->settings);
	}
	atomic_store(&s->server, n->server);
	atomic_store(&s->cache_control, cache_control);
	struct retired *last = owned;
	while (last->next != NULL)
		last = last->next;
	last->next = s->retired;
	old_theme->next = owned;
	s->retired = old_theme;
	pthread_mutex_unlock(&s->reload_mu);
	/* pages made with the old settings or theme go; a render that began
	 * before this cannot put its page back (the cache's generation) */
	if (s->cache != NULL)
		mh_cache_clear(s->cache);
	return true;
}

static struct mh_store *worker_store(struct mh_site_req *r);

struct mh_store *mh_site_store(struct mh_site_req *r)
{
	return worker_store(r);
}

bool mh_site_thread(int worker, bool starting, void *ctx)
{
	struct mh_site *s = ctx;
	MH_ASSERT(worker >= 0 && worker < s->threads);
	if (!starting) {
		if (s->stores[worker] != NULL)
			mh_store_close(s->stores[worker]);
		s->stores[worker] = NULL;
		return true;
	}
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_site_store_open(s, &s->stores[worker], &err);
	if (rc != MH_OK) {
		int *b = &s->reopen_backoff_ms[worker];
		*b = *b == 0 ? 100 : *b >= 5000 ? 5000 : *b * 2;
		s->reopen_at_us[worker] = mh_time_now_us() + (int64_t)*b * 1000;
		mh_log(MH_LOG_ERROR, "worker %d: cannot open the database (next try in %d ms): %s", worker, *b,
		       mh_buf_cstr(&err));
	} else {
		s->reopen_backoff_ms[worker] = 0;
		mh_site_comments_thread_start(s, s->stores[worker]); /* comments.c's key */
	}
	mh_buf_free(&err);
	/* a worker without a database still serves cached pages and answers
	 * 503 for the rest; it opens the database again later */
	return true;
}

void mh_site_invalidate(struct mh_site *s, struct mh_str keys)
{
	if (s->cache == NULL)
		return;
	size_t i = 0;
	while (i < keys.len) {
		while (i < keys.len && keys.ptr[i] == ' ')
			i++;
		size_t start = i;
		while (i < keys.len && keys.ptr[i] != ' ')
			i++;
		if (i > start)
			mh_cache_invalidate(s->cache, (struct mh_str){ keys.ptr + start, i - start });
	}
}

void mh_site_key_id(struct mh_site_req *r, const char *prefix, int64_t id)
{
	if (r->keys.len > 0)
		mh_buf_append_ch(&r->keys, ' ');
	mh_buf_append_c(&r->keys, prefix);
	mh_buf_append_i64(&r->keys, id);
}

void mh_site_key(struct mh_site_req *r, const char *fmt, ...)
{
	if (r->keys.len > 0)
		mh_buf_append_ch(&r->keys, ' ');
	va_list ap;
	va_start(ap, fmt);
	mh_buf_vprintf(&r->keys, fmt, ap);
	va_end(ap);
}

/* ---- answering ---- */

static void release_page(void *p)
{
	mh_cache_page_release(p);
}

/* Sends a page (cached or just rendered): ETag/304, the encoding the client
 * takes, and the headers a CDN needs. Takes over the page reference. */
static void send_page(struct mh_site_req *r, const struct mh_cache_page *p)
{
	struct mh_request *req = r->http;
	bool public_page = p->status == 200;
	/* The encoding first: each has its own ETag, and a 304 is only right
	 * for the variant this request would get. */
	struct mh_str ae = mh_request_header(req, "accept-encoding");
	enum mh_cache_encoding enc = MH_ENC_IDENTITY;
	if (ae.ptr != NULL)
		enc = mh_cache_choose(p, mh_http_accepts_encoding(ae, "gzip"), mh_http_accepts_encoding(ae, "br"));
	mh_response_header(req, "etag", p->etag[enc]);
	mh_response_header_c(req, "vary", "Accept-Encoding");
	if (public_page) {
		mh_response_header_c(req, "cache-control", r->site->cache_control);
		if (p->keys.len > 0)
			mh_response_header(req, "surrogate-key", p->keys);
	} else {
		mh_response_header_c(req, "cache-control", "no-store");
	}
	struct mh_str inm = mh_request_header(req, "if-none-match");
	if (public_page && inm.ptr != NULL && mh_http_etag_matches(inm, p->etag[enc])) {
		mh_cache_page_release(p);
		mh_response_send(req, 304, NULL, MH_STR(""));
		return;
	}
	const char *name = mh_cache_encoding_name(enc);
	if (name != NULL)
		mh_response_header_c(req, "content-encoding", name);
	mh_response_send_shared(req, p->status, p->content_type.ptr, p->body[enc], release_page, (void *)p);
}

/* With the page cache off ([cache] enabled = false) a page is rendered for
 * every request and sent as it is: compressing it each time would cost more
 * than it saves on the links this mode is for (behind a CDN, or benchmarks). */
static void send_uncached(struct mh_site_req *r)
{
	struct mh_request *req = r->http;
	struct mh_buf etag = MH_BUF_INIT;
	mh_cache_etag(&etag, mh_buf_str(&r->body));
	struct mh_str et = mh_arena_str(r->a, mh_buf_str(&etag));
	mh_buf_free(&etag);
	mh_response_header(req, "etag", et);
	mh_response_header_c(req, "cache-control", r->status == 200 ? r->site->cache_control : "no-store");
	if (r->keys.len > 0)
		mh_response_header(req, "surrogate-key", mh_arena_str(r->a, mh_buf_str(&r->keys)));
	struct mh_str inm = mh_request_header(req, "if-none-match");
	if (r->status == 200 && inm.ptr != NULL && mh_http_etag_matches(inm, et)) {
		mh_response_send(req, 304, NULL, MH_STR(""));
		return;
	}
	mh_response_send(req, r->status, r->content_type, mh_buf_str(&r->body));
}

static void send_error_page(struct mh_site_req *r, int status, const char *title, const char *message);

static struct mh_store *worker_store(struct mh_site_req *r)
{
	struct mh_site *s = r->site;
	int w = r->http->worker;
	if (s->stores[w] == NULL && mh_time_now_us() >= s->reopen_at_us[w])
		mh_site_thread(w, true, s); /* never opened: try again, backing off */
	return s->stores[w];
}

/* Parses a list page's query into r: ?before=AT-ID (two positive whole
 * numbers: the cursor of the page links) or the old ?page=N (N >= 1).
 * *given tells whether either was there. False for anything malformed. */
static bool parse_list_query(struct mh_request *req, struct mh_site_req *r, bool *given)
{
	struct mh_str v;
	*given = false;
	if (mh_request_query(req, "before", &v)) {
		*given = true;
		const char *dash = memchr(v.ptr, '-', v.len);
		if (dash == NULL)
			return false;
		struct mh_str at = { v.ptr, (size_t)(dash - v.ptr) };
		struct mh_str id = { dash + 1, v.len - at.len - 1 };
		int64_t a, b;
		/* digits only: mh_str_to_i64 would take a sign */
		for (size_t k = 0; k < v.len; k++)
			if (v.ptr[k] != '-' && (v.ptr[k] < '0' || v.ptr[k] > '9'))
				return false;
		if (!mh_str_to_i64(at, &a) || !mh_str_to_i64(id, &b) || a < 1 || b < 1)
			return false;
		r->before_at = a;
		r->before_id = b;
	}
	if (mh_request_query(req, "page", &v)) {
		int64_t n;
		if (*given || !mh_str_to_i64(v, &n) || n < 1 || n > 1000000)
			return false;
		*given = true;
		r->legacy_page = (int)n;
	}
	return true;
}

static void render_error(struct mh_site_req *r, int status, const char *title, const char *message)
{
	r->status = status;
	r->keys.len = 0;
	mh_buf_reset(&r->body);
	/* the error page still has the site's header and navigation when the
	 * database answers; without it, the bare page */
	if (r->store != NULL && r->sections == NULL)
		mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
	mh_site_view_common(r, "error", title, message, NULL, NULL);
	struct mh_val *e = mh_val_map(r->a);
	mh_val_set_int(r->a, e, "status", status);
	mh_val_set_cstr(r->a, e, "title", title);
	mh_val_set_cstr(r->a, e, "message", message);
	mh_val_set(r->a, r->ctx, "error", e);
	if (mh_site_render(r, "error") != MH_OK) {
		mh_buf_reset(&r->body);
		mh_buf_printf(&r->body, "<!doctype html><title>%d</title><h1>", status);
		mh_escape_html(&r->body, mh_str_c(title));
		mh_buf_append_c(&r->body, "</h1>");
	}
}

static void send_error_page(struct mh_site_req *r, int status, const char *title, const char *message)
{
	render_error(r, status, title, message);
	if (status == 503)
		mh_response_header_c(r->http, "retry-after", "5");
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_send(r->http, status, "text/html; charset=utf-8", mh_buf_str(&r->body));
}

/* Every page (error pages too): scripts, styles and fonts only from our own
 * files — no inline script, so an injected <script> or on* attribute does
 * not run; images from anywhere over https (lead images may be remote);
 * frames only from the YouTube click-to-load embed; framed only by us. */
static const char PAGE_CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
			       "media-src 'self' https:; frame-src https://www.youtube-nocookie.com; "
			       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

const char *mh_site_page_csp(void)
{
	return PAGE_CSP;
}

static void cleanup_req(void *arg)
{
	struct mh_site_req *r = arg;
	mh_buf_free(&r->keys);
	mh_buf_free(&r->body);
}

void mh_site_handle(struct mh_request *req, void *ctx)
{
	struct mh_site *s = ctx;
	struct mh_site_req *r = MH_NEW(req->arena, struct mh_site_req);
	r->site = s;
	r->http = req;
	r->a = req->arena;
	r->status = 200;
	r->content_type = "text/html; charset=utf-8";
	mh_arena_defer(req->arena, cleanup_req, r);

	struct mh_str arg;
	const struct mh_site_route *rt = mh_site_route_find(req->path, &arg);
	req->route = mh_site_route_number(rt);
	bool get = mh_str_eq_c(req->method, "GET") || mh_str_eq_c(req->method, "HEAD");
	bool post = mh_str_eq_c(req->method, "POST");
	if (rt != NULL && !((get && (rt->methods & MH_SITE_GET)) || (post && (rt->methods & MH_SITE_POST)))) {
		bool reads = rt->methods & MH_SITE_GET, writes = rt->methods & MH_SITE_POST;
		mh_response_header_c(req, "allow", reads && writes ? "GET, HEAD, POST" : writes ? "POST" : "GET, HEAD");
		mh_response_error(req, 405, writes && !reads ? "This address only takes forms (POST)."
					    : writes ? "This address takes GET, HEAD or POST."
						     : "This address can only be read (GET or HEAD).");
		return;
	}
	/* the row's access and CSRF columns, before any handler runs */
	if (rt != NULL && (rt->access != MH_ACCESS_ANYONE || rt->csrf != MH_CSRF_NONE) &&
	    !mh_site_access_check(r, rt))
		return;
	if (rt != NULL && rt->raw != NULL) {
		rt->raw(r, arg);
		return;
	}
	/* the page CSP: the ad hosts' (ads.c) with the providers' form-action (donations.c) */
	mh_response_header_c(req, "content-security-policy", mh_site_donations_csp(s->donations));
	if (rt == NULL) {
		if (!get) {
			mh_response_header_c(req, "allow", "GET, HEAD");
			mh_response_error(req, 405, "This address can only be read (GET or HEAD).");
			return;
		}
		if (mh_site_redirect(r)) /* issue 9: an old address */
			return;
		r->store = worker_store(r);
		send_error_page(r, 404, "Page not found", "There is no page at this address.");
		return;
	}
	/* issue 11: an imported site's "/?p=123" (a query on the home page
	 * only; a lookup in memory) */
	if (rt->page == mh_site_page_home && req->query.len > 0 && mh_site_redirect(r))
		return;
	bool list_query;
	bool parsed = parse_list_query(req, r, &list_query);
	if (parsed && !rt->page_param && r->legacy_page == 1 && r->before_at == 0) {
		r->legacy_page = 0; /* ?page=1 on any page was always that page */
		list_query = false;
	}
	if (!parsed || (!rt->page_param && list_query)) {
		send_error_page(r, 400, "Bad page address",
				"Lists take ?before=TIME-ID (as in their Older and Newer links) or ?page=N with N "
				"a whole number of 1 or more; other pages take neither.");
		return;
	}

	/* The cache key is the canonical URL: the path, plus the cursor as
	 * printed here — so unknown query parameters cannot fill the cache. An
	 * old ?page=N link is a redirect, never cached (r->cacheable is
	 * cleared by the list page). */
	struct mh_str url = req->path;
	if (r->before_at != 0)
		url = mh_str_c(mh_arena_printf(r->a, "%.*s?before=%lld-%lld", (int)req->path.len, req->path.ptr,
					       (long long)r->before_at, (long long)r->before_id));
	/* an article page's comment variants (?comments=newest, the notice
	 * after posting) are pages of their own (comments.c) */
	if (rt->page == mh_site_page_article)
		url = mh_site_comments_page_url(r, url);
	bool cache_lookup = r->legacy_page == 0;

	if (s->dev && mh_theme_changed(s->theme)) {
		/* --dev runs one worker thread, so nobody else is rendering now;
		 * the lock keeps a SIGHUP reload (mh_site_reload) out meanwhile */
		pthread_mutex_lock(&s->reload_mu);
		struct mh_buf err = MH_BUF_INIT;
		struct mh_theme *t = mh_theme_load(s->default_theme_dir, s->override_theme_dir, &err);
		if (t != NULL) {
			mh_theme_free(s->theme);
			s->theme = t;
			if (s->cache != NULL)
				mh_cache_clear(s->cache);
			mh_log(MH_LOG_INFO, "theme reloaded");
		} else {
			mh_log(MH_LOG_ERROR, "theme not reloaded: %s", mh_buf_cstr(&err));
		}
		mh_buf_free(&err);
		pthread_mutex_unlock(&s->reload_mu);
	}

	if (s->cache != NULL && rt->cacheable && cache_lookup) {
		const struct mh_cache_page *p = mh_cache_get(s->cache, url);
		if (p != NULL) {
			req->cache_hit = true;
			send_page(r, p);
			return;
		}
	}

	req->cache_miss = true;
	uint64_t generation = s->cache != NULL ? mh_cache_generation(s->cache) : 0;
	r->store = worker_store(r);
	enum mh_store_rc rc = r->store == NULL ? MH_UNAVAILABLE : MH_OK;
	if (rc == MH_OK)
		rc = mh_store_read_begin(r->store);
	if (rc == MH_OK) {
		uint64_t statements = mh_store_statements(r->store);
		rc = mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
		if (rc == MH_OK) {
			r->cacheable = rt->cacheable;
			rc = rt->page(r, arg);
		}
		mh_store_read_end(r->store);
		/* what making this page cost the database (tests hold each
		 * kind of page to its count) */
		mh_site_metrics_statements(s->metrics, req, mh_store_statements(r->store) - statements);
	}
	switch (rc) {
	case MH_OK:
		break;
	case MH_NOT_FOUND:
		if (mh_site_redirect(r)) /* issue 9: an old address */
			return;
		send_error_page(r, 404, "Page not found", "There is no page at this address.");
		return;
	case MH_UNAVAILABLE:
		mh_site_metrics_db_error(s->metrics, req->worker, rc);
		send_error_page(r, 503, "Temporarily unavailable",
				"The site's database is not answering right now. Please try again in a few seconds.");
		return;
	default:
		mh_site_metrics_db_error(s->metrics, req->worker, rc);
		mh_log(MH_LOG_ERROR, "rendering %.*s failed", (int)req->path.len, req->path.ptr);
		send_error_page(r, 500, "Something went wrong", "This page could not be made. The error is logged.");
		return;
	}
	if (r->status == 301) {
		/* an old ?page=N link, or a cursor that is not one of the
		 * list's articles: where those articles are now */
		mh_response_header_c(req, "location", r->location);
		mh_response_header_c(req, "cache-control", r->site->cache_control);
		/* a cache in front may keep it: until what it points at changes */
		if (r->keys.len > 0)
			mh_response_header(req, "surrogate-key", mh_arena_str(r->a, mh_buf_str(&r->keys)));
		mh_buf_reset(&r->body);
		mh_buf_append_c(&r->body, "<!doctype html><title>Moved</title><a href=\"");
		mh_escape_attr(&r->body, mh_str_c(r->location));
		mh_buf_append_c(&r->body, "\">Moved here</a>");
		mh_response_send(req, 301, "text/html; charset=utf-8", mh_buf_str(&r->body));
		return;
	}
	if (r->status == 410) {
		/* a withdrawn article: the themed page, never cached */
		render_error(r, 410, "This article has been withdrawn",
			     "It was published here once and has since been taken down.");
		mh_response_header_c(req, "cache-control", "no-store");
		mh_response_send(req, 410, "text/html; charset=utf-8", mh_buf_str(&r->body));
		return;
	}
	if (s->cache != NULL && r->cacheable) {
		send_page(r, mh_cache_put(s->cache, url, r->status, r->content_type, mh_buf_str(&r->body),
					  mh_buf_str(&r->keys), generation));
		return;
	}
	send_uncached(r);
}
