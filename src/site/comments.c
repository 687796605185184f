/*
 * site/comments.c: readers' comments on the public site (issue 8).
 *   slots.comments     under each article (mh_site_comments_slot, called
 *                      from view.c): the count, the approved comments
 *                      threaded one level, the form; the page keeps its
 *                      cache key comments:ID, which only a change of its
 *                      shown comments names (through the change log)
 *   GET  /comments/ID  a fresh form token for article ID (JSON, never
 *                      cached): comments.js asks for it as the page loads,
 *                      so the minimum time counts from the reader's load
 *                      even on a page cached long before
 *   POST /comments/ID  a comment (or a reply: field parent). Without
 *                      JavaScript: 303 back to the article with ?comment=
 *                      posted or held (both cacheable variants of the
 *                      page); with Accept: application/json, JSON
 * The page is public and cached for everyone, so there is no session to
 * tie a CSRF token to: the form carries a signed timestamp made for the
 * article (audience.h) and the browser's Origin / Sec-Fetch-Site headers
 * must name this site. A forged post from another site fails the second;
 * a script that fetches the page first gets a token, and then meets the
 * minimum time, the honeypot, the per-address rate limit, the link limit,
 * duplicate detection, bans and moderation.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "site/site.h"

#define SHOWN_MAX 1000         /* comments one page shows at most */
#define DUPLICATE_WINDOW 86400 /* the same text on the same article within a day */
#define KEY_SECRET "comments_key"
#define MODERATION_KEY "comments_moderation" /* the site setting (site_settings) */

struct mh_site_comments {
	struct mh_comments_settings set;
	struct mh_ratelimit *rate;
	pthread_mutex_t mu; /* guards key and have_key */
	bool have_key;
	unsigned char key[MH_COMMENTS_KEY_BYTES];
};

struct mh_site_comments *mh_site_comments_new(const struct mh_comments_settings *set)
{
	struct mh_site_comments *c = calloc(1, sizeof(*c));
	MH_ASSERT(c != NULL);
	if (set != NULL) {
		c->set = *set;
	} else {
		struct mh_settings_slot slot = { &mh_comments_settings_table, &c->set };
		mh_settings_defaults(&slot, 1);
	}
	c->rate = mh_ratelimit_new(65536, c->set.per_minute / 60.0, c->set.burst);
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void mh_site_comments_free(struct mh_site_comments *c)
{
	if (c == NULL)
		return;
	mh_ratelimit_free(c->rate);
	pthread_mutex_destroy(&c->mu);
	sodium_memzero(c->key, sizeof c->key);
	free(c);
}

const struct mh_comments_settings *mh_site_comments_settings(struct mh_site *s)
{
	return &mh_site_comments_state(s)->set;
}

/* Reads (or, on a new site, makes) the comments key once: a store that
 * cannot give it now leaves it for the next call. */
static void key_load(struct mh_site_comments *c, struct mh_store *st)
{
	if (c->have_key || st == NULL)
		return;
	unsigned char fresh[MH_COMMENTS_KEY_BYTES];
	char hex[2 * MH_COMMENTS_KEY_BYTES + 1];
	randombytes_buf(fresh, sizeof fresh);
	sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
	struct mh_buf got = MH_BUF_INIT;
	size_t n = 0;
	if (mh_store_site_secret(st, KEY_SECRET, hex, &got) == MH_OK &&
	    sodium_hex2bin(c->key, sizeof c->key, got.ptr, got.len, NULL, &n, NULL) == 0 && n == sizeof c->key)
		c->have_key = true;
	mh_buf_free(&got);
	sodium_memzero(fresh, sizeof fresh);
}

void mh_site_comments_thread_start(struct mh_site *s, struct mh_store *st)
{
	struct mh_site_comments *c = mh_site_comments_state(s);
	pthread_mutex_lock(&c->mu);
	key_load(c, st);
	pthread_mutex_unlock(&c->mu);
}

/* The site's comments key (the same on every node). Read when a worker
 * opens its database (mh_site_thread), so that no page render writes;
 * false while the database has not given it. */
static bool comments_key(struct mh_site_req *r, struct mh_store *st, unsigned char key[MH_COMMENTS_KEY_BYTES])
{
	struct mh_site_comments *c = mh_site_comments_state(r->site);
	pthread_mutex_lock(&c->mu);
	key_load(c, st);
	bool ok = c->have_key;
	if (ok)
		memcpy(key, c->key, MH_COMMENTS_KEY_BYTES);
	pthread_mutex_unlock(&c->mu);
	return ok;
}

/* ---- the thread under an article ---- */

static const char *when(struct mh_site_req *r, int64_t t, const char *fmt)
{
	struct mh_buf b = MH_BUF_INIT;
	if (fmt == NULL)
		mh_time_rfc3339(&b, t);
	else
		mh_time_format(&b, t, fmt);
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

static struct mh_val *comment_val(struct mh_site_req *r, const struct mh_comment *c)
{
	struct mh_val *m = mh_val_map(r->a);
	mh_val_set_int(r->a, m, "id", c->id);
	mh_val_set_cstr(r->a, m, "name", c->name);
	struct mh_buf html = MH_BUF_INIT;
	mh_comment_text_render(&html, mh_str_c(c->body));
	/* the renderer's output is the one trusted HTML a stranger's text becomes */
	mh_val_set(r->a, m, "html", mh_val_html(r->a, mh_arena_str(r->a, mh_buf_str(&html))));
	mh_buf_free(&html);
	mh_val_set_cstr(r->a, m, "time_iso", when(r, c->created_at, NULL));
	mh_val_set_cstr(r->a, m, "time", when(r, c->created_at, "%B %-d, %Y at %-H:%M"));
	return m;
}

static int by_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

/* The approved comments as threads: [{comment..., replies: [...]}], a top
 * comment no longer shown (its replies still are) as {removed, replies}. */
static struct mh_val *threads(struct mh_site_req *r, const struct mh_comment *cs, size_t n, bool newest)
{
	/* each top comment's slot, by id (binary search: n may be 1000) */
	int64_t *ids = MH_NEW_ARRAY(r->a, int64_t, 2 * n + 2);
	size_t n_tops = 0;
	struct mh_val **order = MH_NEW_ARRAY(r->a, struct mh_val *, 2 * n + 1);
	size_t n_order = 0;
	for (size_t i = 0; i < n; i++) {
		if (cs[i].parent_id != 0)
			continue;
		struct mh_val *v = comment_val(r, &cs[i]);
		mh_val_set(r->a, v, "replies", mh_val_list(r->a));
		ids[2 * n_tops] = cs[i].id;
		ids[2 * n_tops + 1] = (int64_t)n_order;
		order[n_order++] = v;
		n_tops++;
	}
	qsort(ids, n_tops, 2 * sizeof(int64_t), by_id);
	for (size_t i = 0; i < n; i++) {
		if (cs[i].parent_id == 0)
			continue;
		int64_t key[2] = { cs[i].parent_id, 0 };
		int64_t *hit = bsearch(key, ids, n_tops, 2 * sizeof(int64_t), by_id);
		struct mh_val *parent;
		if (hit != NULL) {
			parent = order[hit[1]];
		} else {
			/* its top comment is not shown (held, spam, deleted): a
			 * placeholder keeps the replies together, once */
			parent = mh_val_map(r->a);
			mh_val_set_bool(r->a, parent, "removed", true);
			mh_val_set_int(r->a, parent, "id", cs[i].parent_id);
			mh_val_set(r->a, parent, "replies", mh_val_list(r->a));
			ids[2 * n_tops] = cs[i].parent_id;
			ids[2 * n_tops + 1] = (int64_t)n_order;
			order[n_order++] = parent;
			n_tops++;
			qsort(ids, n_tops, 2 * sizeof(int64_t), by_id);
		}
		mh_val_push(r->a, mh_val_get(parent, "replies"), comment_val(r, &cs[i]));
	}
	struct mh_val *list = mh_val_list(r->a);
	for (size_t i = 0; i < n_order; i++)
		mh_val_push(r->a, list, order[newest ? n_order - 1 - i : i]);
	return list;
}

/* "?comments=newest" and "?comment=posted|held": the page's variants (each
 * cached as itself, keyed by this canonical suffix; anything else is the
 * plain page). */
static bool want_newest(struct mh_request *req)
{
	struct mh_str v;
	return mh_request_query(req, "comments", &v) && mh_str_eq_c(v, "newest");
}

static const char *notice_of(struct mh_request *req)
{
	struct mh_str v;
	if (!mh_request_query(req, "comment", &v))
		return NULL;
	if (mh_str_eq_c(v, "posted"))
		return "posted";
	if (mh_str_eq_c(v, "held"))
		return "held";
	return NULL;
}

struct mh_str mh_site_comments_page_url(struct mh_site_req *r, struct mh_str path)
{
	bool newest = want_newest(r->http);
	const char *notice = notice_of(r->http);
	if (!newest && notice == NULL)
		return path;
	return mh_str_c(mh_arena_printf(r->a, "%.*s?%s%s%s%s", (int)path.len, path.ptr,
					newest ? "comments=newest" : "", newest && notice ? "&" : "",
					notice ? "comment=" : "", notice ? notice : ""));
}

/* Whether the article takes comments now; why not in *why. */
static bool open_for_comments(const struct mh_comments_settings *set, const struct mh_article *art, bool closed,
			      int64_t now, const char **why)
{
	if (closed) {
		*why = "Comments on this article are closed.";
		return false;
	}
	if (set->close_after_days > 0 && art->published_at + (int64_t)set->close_after_days * 86400 < now) {
		*why = "Comments on this article closed after it had been out for a while.";
		return false;
	}
	return true;
}

void mh_site_comments_slot(struct mh_site_req *r, const struct mh_article *art)
{
	const struct mh_comments_settings *set = mh_site_comments_settings(r->site);
	struct mh_val *slots = r->ctx != NULL ? mh_val_get(r->ctx, "slots") : NULL;
	if (!set->enabled || slots == NULL || art->id == 0 || r->store == NULL)
		return;
	bool closed = false;
	int64_t count = 0;
	if (mh_store_comment_thread(r->store, art->id, &closed, &count) != MH_OK)
		return; /* the page without its comments, rather than no page */
	struct mh_comment *cs = NULL;
	size_t n = 0;
	if (count > 0 && mh_store_comments_of_article(r->store, r->a, art->id, SHOWN_MAX, &cs, &n) != MH_OK)
		return;
	/* the page shows these comments: an approval or removal names it */
	mh_site_key_id(r, "comments:", art->id);
	struct mh_arena *a = r->a;
	struct mh_val *m = mh_val_map(a);
	mh_val_set_int(a, m, "article_id", art->id);
	struct mh_buf b = MH_BUF_INIT;
	mh_format_thousands(&b, count);
	mh_val_set_cstr(a, m, "count_display", mh_arena_strndup(a, b.ptr, b.len));
	mh_buf_free(&b);
	mh_val_set_int(a, m, "count", count);
	mh_val_set_cstr(a, m, "count_label", count == 1 ? "Comment" : "Comments");
	bool newest = want_newest(r->http);
	mh_val_set_bool(a, m, "newest", newest);
	const char *base = mh_arena_printf(a, "/articles/%s", art->slug);
	mh_val_set_cstr(a, m, "oldest_url", mh_arena_printf(a, "%s#comments", base));
	mh_val_set_cstr(a, m, "newest_url", mh_arena_printf(a, "%s?comments=newest#comments", base));
	mh_val_set(a, m, "threads", threads(r, cs, n, newest));
	mh_val_set_bool(a, m, "more", count > (int64_t)n);
	const char *notice = notice_of(r->http);
	if (notice != NULL && strcmp(notice, "posted") == 0)
		mh_val_set_cstr(a, m, "notice", "Thank you: your comment is posted.");
	else if (notice != NULL)
		mh_val_set_cstr(a, m, "notice", "Thank you: your comment is awaiting moderation and will appear once "
						"approved.");
	const char *why = NULL;
	unsigned char key[MH_COMMENTS_KEY_BYTES];
	if (open_for_comments(set, art, closed, mh_time_now(), &why) && comments_key(r, r->store, key)) {
		struct mh_val *form = mh_val_map(a);
		mh_val_set_cstr(a, form, "action", mh_arena_printf(a, "/comments/%lld", (long long)art->id));
		struct mh_buf t = MH_BUF_INIT;
		/* the time of the render; comments.js swaps in one of the load */
		mh_comments_token_make(&t, key, art->id, mh_time_now());
		mh_val_set_cstr(a, form, "token", mh_arena_strndup(a, t.ptr, t.len));
		mh_buf_free(&t);
		mh_val_set_int(a, form, "max_length", set->max_length);
		mh_val_set(a, m, "form", form);
		sodium_memzero(key, sizeof key);
	} else {
		mh_val_set_cstr(a, m, "closed", why != NULL ? why : "Comments cannot be taken right now.");
	}
	mh_val_set(a, slots, "comments", m);
}

/* ---- posting ---- */

static bool wants_json(struct mh_site_req *r)
{
	struct mh_str acc = mh_request_header(r->http, "accept");
	return acc.ptr != NULL && memmem(acc.ptr, acc.len, "application/json", 16) != NULL;
}

/* Answers a refused comment: JSON {"error": message} for the page's script,
 * else a short page saying why, with a link back (the browser's Back keeps
 * what was typed). Nothing was stored. */
static void refuse(struct mh_site_req *r, int status, const char *message, const char *back)
{
	mh_response_header_c(r->http, "cache-control", "no-store");
	struct mh_buf b = MH_BUF_INIT;
	if (wants_json(r)) {
		mh_buf_append_c(&b, "{\"error\":\"");
		mh_escape_json(&b, mh_str_c(message));
		mh_buf_append_c(&b, "\"}");
		mh_response_send(r->http, status, "application/json", mh_buf_str(&b));
	} else {
		mh_response_header_c(r->http, "content-security-policy", mh_site_page_csp());
		mh_buf_append_c(&b, "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">"
				    "<meta name=\"viewport\" content=\"width=device-width\"><title>Your comment was not "
				    "posted</title><h1>Your comment was not posted</h1><p>");
		mh_escape_html(&b, mh_str_c(message));
		mh_buf_append_c(&b, "</p>");
		if (back != NULL) {
			mh_buf_append_c(&b, "<p><a href=\"");
			mh_escape_attr(&b, mh_str_c(back));
			mh_buf_append_c(&b, "#comments\">Back to the article</a></p>");
		}
		mh_response_send(r->http, status, "text/html; charset=utf-8", mh_buf_str(&b));
	}
	mh_buf_free(&b);
}

static bool parse_id(struct mh_str arg, int64_t *id)
{
	if (arg.len == 0 || arg.len > 18)
		return false;
	for (size_t i = 0; i < arg.len; i++)
		if (arg.ptr[i] < '0' || arg.ptr[i] > '9')
			return false;
	return mh_str_to_i64(arg, id) && *id > 0;
}

/* A form field, trimmed of surrounding spaces; "" when absent. */
static struct mh_str field(struct mh_site_req *r, const char *name)
{
	struct mh_str v = MH_STR("");
	if (!mh_request_form(r->http, name, &v) || v.ptr == NULL)
		return MH_STR("");
	while (v.len > 0 && (v.ptr[0] == ' ' || v.ptr[0] == '\t' || v.ptr[0] == '\n' || v.ptr[0] == '\r')) {
		v.ptr++;
		v.len--;
	}
	while (v.len > 0 && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t' || v.ptr[v.len - 1] == '\n' ||
			     v.ptr[v.len - 1] == '\r'))
		v.len--;
	return v;
}

/* Why a name or email may not be taken (NULL: it may). */
static const char *name_problem(struct mh_str name)
{
	if (name.len == 0)
		return "Please give a name in Name.";
	if (name.len > 200)
		return "The name is too long: at most 200 bytes.";
	for (size_t i = 0; i < name.len;) {
		uint32_t cp;
		size_t k = mh_utf8_decode((const unsigned char *)name.ptr + i, name.len - i, &cp);
		if (k == 0 || cp < 0x20 || cp == 0x7f)
			return "The name must be plain text on one line.";
		i += k;
	}
	return NULL;
}

static const char *email_problem(struct mh_str email)
{
	if (email.len == 0)
		return NULL; /* optional */
	if (email.len > 254)
		return "The email address is too long: at most 254 characters.";
	const char *at = memchr(email.ptr, '@', email.len);
	if (at == NULL || at == email.ptr || at == email.ptr + email.len - 1 ||
	    memchr(at + 1, '@', (size_t)(email.ptr + email.len - at - 1)) != NULL)
		return "The email address does not look like one (name@example.org); it may also be left empty.";
	for (size_t i = 0; i < email.len; i++)
		if ((unsigned char)email.ptr[i] <= 0x20 || email.ptr[i] == 0x7f || email.ptr[i] == '<' ||
		    email.ptr[i] == '>')
			return "The email address does not look like one (name@example.org); it may also be left empty.";
	return NULL;
}

/* The moderation mode: the admin's setting, else site.ini's. */
static int moderation_mode(struct mh_site_req *r, struct mh_store *st)
{
	int mode = mh_site_comments_settings(r->site)->moderation;
	struct mh_site_setting *kv = NULL;
	size_t n = 0;
	if (mh_store_site_settings(st, r->a, &kv, &n) == MH_OK)
		for (size_t i = 0; i < n; i++)
			if (strcmp(kv[i].key, MODERATION_KEY) == 0)
				(void)mh_comments_moderation_parse(mh_str_c(kv[i].value), &mode);
	return mode;
}

int mh_site_comments_moderation(struct mh_site_req *r, struct mh_store *st)
{
	return moderation_mode(r, st);
}

static void unavailable(struct mh_site_req *r)
{
	mh_response_header_c(r->http, "retry-after", "5");
	refuse(r, 503, "The site's database is not answering right now; your comment was not saved. Please try "
		       "again in a few seconds.", NULL);
}

/* The answer to a comment taken (or quietly dropped: the honeypot's answer
 * is the held one, so a robot learns nothing). */
static void accepted(struct mh_site_req *r, const struct mh_article *art, const struct mh_comment *c, bool shown)
{
	if (wants_json(r)) {
		struct mh_buf b = MH_BUF_INIT;
		mh_buf_printf(&b, "{\"status\":\"%s\",\"message\":\"%s\"", shown ? "approved" : "pending",
			      shown ? "Thank you: your comment is posted."
				    : "Thank you: your comment is awaiting moderation and will appear once approved.");
		if (shown && c != NULL) {
			mh_buf_printf(&b, ",\"id\":%lld,\"parent\":%lld,\"name\":\"", (long long)c->id,
				      (long long)c->parent_id);
			mh_escape_json(&b, mh_str_c(c->name));
			mh_buf_append_c(&b, "\",\"html\":\"");
			struct mh_buf html = MH_BUF_INIT;
			mh_comment_text_render(&html, mh_str_c(c->body));
			mh_escape_json(&b, mh_buf_str(&html));
			mh_buf_free(&html);
			mh_buf_append_c(&b, "\"");
		}
		mh_buf_append_c(&b, "}");
		mh_response_header_c(r->http, "cache-control", "no-store");
		mh_response_send(r->http, 201, "application/json", mh_buf_str(&b));
		mh_buf_free(&b);
		return;
	}
	const char *to = mh_arena_printf(r->a, "/articles/%s?comment=%s#comments", art->slug, shown ? "posted" : "held");
	mh_response_header_c(r->http, "location", to);
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", MH_STR("Your comment was received.\n"));
}

static void token_json(struct mh_site_req *r, int64_t id)
{
	struct mh_store *st = mh_site_store(r);
	unsigned char key[MH_COMMENTS_KEY_BYTES];
	mh_response_header_c(r->http, "cache-control", "no-store");
	if (st == NULL || !comments_key(r, st, key)) {
		unavailable(r);
		return;
	}
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "{\"token\":\"");
	mh_comments_token_make(&b, key, id, mh_time_now()); /* digits, '.' and hex: nothing to escape */
	mh_buf_append_c(&b, "\"}");
	sodium_memzero(key, sizeof key);
	mh_response_send(r->http, 200, "application/json", mh_buf_str(&b));
	mh_buf_free(&b);
}

void mh_site_comments_post(struct mh_site_req *r, struct mh_str arg)
{
	const struct mh_comments_settings *set = mh_site_comments_settings(r->site);
	int64_t id = 0;
	if (!parse_id(arg, &id)) {
		refuse(r, 404, "Comments are posted to /comments/ID, ID an article's number.", NULL);
		return;
	}
	if (!set->enabled) {
		refuse(r, 404, "Comments are turned off on this site.", NULL);
		return;
	}
	if (!mh_str_eq_c(r->http->method, "POST")) {
		token_json(r, id);
		return;
	}
	/* only this site's own pages post here (see the opening comment) */
	struct mh_str fetch_site = mh_request_header(r->http, "sec-fetch-site");
	struct mh_str origin = mh_request_header(r->http, "origin");
	if ((fetch_site.ptr != NULL && !mh_str_eq_c(fetch_site, "same-origin")) ||
	    (origin.ptr != NULL && !mh_str_eq_c(origin, "null") && !mh_site_origin_is_ours(r, origin))) {
		refuse(r, 403, "This comment came from another site's page, so it was not posted. Use the form under "
			       "the article on this site.", NULL);
		return;
	}
	struct mh_str address = mh_site_client_key(r);
	int retry = 1;
	struct mh_site_comments *state = mh_site_comments_state(r->site);
	if (!mh_ratelimit_take(state->rate, address, mh_time_now_us(), &retry)) {
		mh_response_header(r->http, "retry-after", mh_str_c(mh_arena_printf(r->a, "%d", retry)));
		refuse(r, 429, mh_arena_printf(r->a, "You are sending comments too quickly. Please wait %d seconds and "
						     "send it again.", retry), NULL);
		return;
	}
	struct mh_store *st = mh_site_store(r);
	if (st == NULL) {
		unavailable(r);
		return;
	}
	struct mh_article *art = NULL;
	enum mh_store_rc rc = mh_store_article_by_id(st, r->a, id, &art);
	if (rc == MH_NOT_FOUND || (rc == MH_OK && (art->status != MH_ARTICLE_PUBLISHED ||
						   art->published_at > mh_time_now()))) {
		refuse(r, 404, "There is no published article with this number to comment on.", NULL);
		return;
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	const char *back = mh_arena_printf(r->a, "/articles/%s", art->slug);
	bool closed = false;
	int64_t count = 0;
	if (mh_store_comment_thread(st, id, &closed, &count) != MH_OK) {
		unavailable(r);
		return;
	}
	const char *why = NULL;
	int64_t now = mh_time_now();
	if (!open_for_comments(set, art, closed, now, &why)) {
		refuse(r, 403, mh_arena_printf(r->a, "%s Your comment was not posted.", why), back);
		return;
	}
	unsigned char key[MH_COMMENTS_KEY_BYTES];
	if (!comments_key(r, st, key)) {
		unavailable(r);
		return;
	}
	int64_t age = 0;
	enum mh_comments_token tok = mh_comments_token_check(key, id, field(r, "token"), now, set->min_seconds, &age);
	struct mh_buf hash = MH_BUF_INIT;
	mh_comments_address_hash(&hash, key, address);
	sodium_memzero(key, sizeof key);
	const char *address_hash = mh_arena_strndup(r->a, hash.ptr, hash.len);
	mh_buf_free(&hash);
	if (tok == MH_TOKEN_BAD) {
		refuse(r, 403, "The form's token is missing or was not made by this site, so the comment was not "
			       "posted. Reload the article and send it again.", back);
		return;
	}
	/* the honeypot: a field people never see (hidden by the theme's CSS,
	 * labelled "leave empty"); a robot fills it. Dropped, answered as held */
	if (field(r, "website").len > 0) {
		accepted(r, art, NULL, false);
		return;
	}
	if (tok == MH_TOKEN_TOO_FAST) {
		refuse(r, 422, mh_arena_printf(r->a, "That was very quick: please wait at least %d seconds after the page "
						     "loads before posting a comment, then send it again.",
					       set->min_seconds), back);
		return;
	}
	struct mh_str name = field(r, "name"), email = field(r, "email"), text = field(r, "comment");
	const char *problem = name_problem(name);
	if (problem == NULL)
		problem = email_problem(email);
	if (problem == NULL)
		problem = mh_comment_text_problem(r->a, text, set);
	if (problem != NULL) {
		refuse(r, 422, problem, back);
		return;
	}
	int64_t parent = 0;
	struct mh_str pv = field(r, "parent");
	if (pv.len > 0 && !parse_id(pv, &parent)) {
		refuse(r, 422, "The comment this replies to is not a comment's number.", back);
		return;
	}
	char *email_low = mh_arena_strndup(r->a, email.ptr, email.len);
	for (char *p = email_low; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	struct mh_comment c = {
		.article_id = id,
		.parent_id = parent,
		.name = mh_arena_strndup(r->a, name.ptr, name.len),
		.email = email_low,
		.body = mh_arena_strndup(r->a, text.ptr, text.len),
		.address_hash = address_hash,
	};
	bool banned = false, dup = false, trusted = false;
	rc = mh_store_comment_banned(st, c.email, c.address_hash, &banned);
	if (rc == MH_OK && !banned)
		rc = mh_store_comment_duplicate(st, id, c.body, now - DUPLICATE_WINDOW, &dup);
	int mode = rc == MH_OK ? moderation_mode(r, st) : MH_COMMENTS_HOLD_ALL;
	if (rc == MH_OK && !banned && !dup && mode == MH_COMMENTS_HOLD_FIRST)
		rc = mh_store_comment_trusted(st, c.email, c.address_hash, &trusted);
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	if (banned) {
		refuse(r, 403, "Comments from this address or email are not accepted on this site.", back);
		return;
	}
	if (dup) {
		refuse(r, 409, "You have already posted this comment on this article.", back);
		return;
	}
	c.status = mode == MH_COMMENTS_OPEN || (mode == MH_COMMENTS_HOLD_FIRST && trusted) ? MH_COMMENT_APPROVED
											      : MH_COMMENT_PENDING;
	struct mh_buf err = MH_BUF_INIT;
	rc = mh_store_begin(st);
	if (rc == MH_OK)
		rc = mh_store_comment_add(st, &c, &err);
	/* a comment shown at once changes the article's pages, on every node
	 * and in the caches in front: the log and the purge, in this
	 * transaction */
	if (rc == MH_OK && c.status == MH_COMMENT_APPROVED)
		rc = mh_content_change_log(st, mh_str_c(mh_arena_printf(r->a, "comments:%lld", (long long)id)));
	if (rc == MH_OK)
		rc = mh_store_commit(st);
	else
		mh_store_rollback(st);
	if (rc == MH_INVALID) {
		/* a parent from another article, or gone */
		refuse(r, 422, "The comment this replies to is not one of this article's.", back);
	} else if (rc != MH_OK) {
		unavailable(r);
	} else {
		accepted(r, art, &c, c.status == MH_COMMENT_APPROVED);
	}
	mh_buf_free(&err);
}
