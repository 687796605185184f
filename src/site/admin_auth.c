/*
 * The newsroom's door: sessions, CSRF and the access check every route-table
 * row goes through, and the pages of /admin that need no more than an
 * account — login, logout, "log out everywhere", password reset, and the
 * landing page. Sessions are a random 256-bit token in a cookie, stored
 * only as its hash (store.h); CSRF tokens are MACs of the session's hash
 * with the site secret every node shares (the synchronizer pattern without
 * storing anything), and before a session exists, of a random cookie (a
 * signed double-submit). Logins are rate-limited per client address and
 * per account from that address, and cost the same work (one argon2id
 * verify) whether or not the account exists.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "site/site.h"

#define SESSION_COOKIE "mh_session"
#define LOGIN_COOKIE "mh_login"

static const char ADMIN_CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
				"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

struct mh_site_auth {
	struct mh_auth_settings settings;
	struct mh_theme *theme; /* themes/admin */
	struct mh_ratelimit *per_address, *per_account;
	pthread_mutex_t mu; /* the key's and the dummy hash's first making */
	atomic_bool key_ready;
	struct mh_auth_key key;
	char *_Atomic dummy_hash; /* verified for unknown accounts: the same work */
};

static const struct mh_auth_settings default_settings = {
	.session_idle_hours = 12,
	.session_max_days = 30,
	.login_attempts_address = 30,
	.login_attempts_account = 10,
	.login_refill_seconds = 60,
};

struct mh_site_auth *mh_site_auth_new(const struct mh_auth_settings *settings, const char *themes_dir,
				      struct mh_buf *err)
{
	struct mh_site_auth *a = calloc(1, sizeof(*a));
	MH_ASSERT(a != NULL);
	a->settings = settings != NULL ? *settings : default_settings;
	struct mh_buf dir = MH_BUF_INIT;
	mh_buf_printf(&dir, "%s/admin", themes_dir);
	a->theme = mh_theme_load(mh_buf_cstr(&dir), NULL, err);
	mh_buf_free(&dir);
	if (a->theme == NULL) {
		free(a);
		return NULL;
	}
	double per_s = 1.0 / a->settings.login_refill_seconds;
	a->per_address = mh_ratelimit_new(4096, per_s, a->settings.login_attempts_address);
	a->per_account = mh_ratelimit_new(16384, per_s, a->settings.login_attempts_account);
	pthread_mutex_init(&a->mu, NULL);
	return a;
}

void mh_site_auth_free(struct mh_site_auth *a)
{
	if (a == NULL)
		return;
	mh_theme_free(a->theme);
	mh_ratelimit_free(a->per_address);
	mh_ratelimit_free(a->per_account);
	pthread_mutex_destroy(&a->mu);
	free(a->dummy_hash);
	free(a);
}

/* ---- the site secret and cookies ---- */

/* The key every node shares (the database's site_secrets), loaded once;
 * NULL while the database does not answer. */
static const struct mh_auth_key *site_key(struct mh_site_req *r)
{
	struct mh_site_auth *au = mh_site_auth(r->site);
	if (atomic_load(&au->key_ready))
		return &au->key;
	struct mh_store *st = mh_site_store(r);
	if (st == NULL)
		return NULL;
	pthread_mutex_lock(&au->mu);
	if (!atomic_load(&au->key_ready)) {
		struct mh_buf candidate = MH_BUF_INIT, hex = MH_BUF_INIT;
		mh_auth_key_generate_hex(&candidate);
		if (mh_store_site_secret(st, "auth_key", mh_buf_cstr(&candidate), &hex) == MH_OK &&
		    mh_auth_key_from_hex(mh_buf_str(&hex), &au->key))
			atomic_store(&au->key_ready, true);
		else
			mh_log(MH_LOG_ERROR, "the site secret could not be read from the database");
		mh_buf_free(&candidate);
		mh_buf_free(&hex);
	}
	pthread_mutex_unlock(&au->mu);
	return atomic_load(&au->key_ready) ? &au->key : NULL;
}

/* A hash of a random password nobody knows, verified when the account does
 * not exist, so that the answer takes as long as for a real one. */
static const char *dummy_hash(struct mh_site_auth *au)
{
	char *h = atomic_load(&au->dummy_hash);
	if (h != NULL)
		return h;
	pthread_mutex_lock(&au->mu);
	if (atomic_load(&au->dummy_hash) == NULL) {
		struct mh_buf pw = MH_BUF_INIT, hash = MH_BUF_INIT;
		mh_auth_password_generate(&pw);
		if (mh_auth_password_hash(mh_buf_str(&pw), &hash)) {
			char *copy = strdup(mh_buf_cstr(&hash));
			MH_ASSERT(copy != NULL);
			atomic_store(&au->dummy_hash, copy);
		}
		mh_buf_free(&pw);
		mh_buf_free(&hash);
	}
	pthread_mutex_unlock(&au->mu);
	h = atomic_load(&au->dummy_hash);
	return h != NULL ? h : "";
}

/* Under TLS a cookie is Secure and __Host- prefixed: sent only over
 * HTTPS, only to this host, for the whole site. */
static const char *cookie_name(struct mh_site_req *r, const char *base)
{
	return mh_site_tls(r->site) ? mh_arena_printf(r->a, "__Host-%s", base) : base;
}

/* max_age < 0: a browser-session cookie; 0: deleted. */
static void set_cookie(struct mh_site_req *r, const char *base, const char *value, int64_t max_age)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_printf(&b, "%s=%s; Path=/; HttpOnly; SameSite=Lax", cookie_name(r, base), value);
	if (mh_site_tls(r->site))
		mh_buf_append_c(&b, "; Secure");
	if (max_age >= 0)
		mh_buf_printf(&b, "; Max-Age=%lld", (long long)max_age);
	mh_response_header(r->http, "set-cookie", mh_arena_str(r->a, mh_buf_str(&b)));
	mh_buf_free(&b);
}

static bool is_post(struct mh_site_req *r)
{
	return mh_str_eq_c(r->http->method, "POST");
}

/* ---- pages ---- */

static struct mh_val *admin_ctx(struct mh_site_req *r, const char *title)
{
	struct mh_val *ctx = mh_val_map(r->a);
	struct mh_val *site = mh_val_map(r->a), *page = mh_val_map(r->a);
	mh_val_set_cstr(r->a, site, "title", mh_site_config(r->site)->title);
	mh_val_set_cstr(r->a, page, "title", title);
	mh_val_set(r->a, ctx, "site", site);
	mh_val_set(r->a, ctx, "page", page);
	mh_theme_add_asset_urls(mh_site_auth(r->site)->theme, r->a, ctx);
	if (r->user != NULL) {
		struct mh_val *u = mh_val_map(r->a);
		mh_val_set_cstr(r->a, u, "name", r->user->name);
		mh_val_set_cstr(r->a, u, "email", r->user->email);
		mh_val_set_cstr(r->a, u, "role", mh_role_name(r->user->role));
		/* the owner's screens' links (admin_site.c) */
		mh_val_set_bool(r->a, u, "may_settings", mh_role_may(r->user->role, MH_PERM_SETTINGS));
		mh_val_set_bool(r->a, u, "may_users", mh_role_may(r->user->role, MH_PERM_MANAGE_USERS));
		mh_val_set_bool(r->a, u, "curate", mh_role_may(r->user->role, MH_PERM_CURATE));
		/* for the nav: links to the screens of editors and owners */
		mh_val_set_bool(r->a, u, "may_edit_any", mh_role_may(r->user->role, MH_PERM_EDIT_ANY));
		mh_val_set(r->a, ctx, "user", u);
		mh_val_set_cstr(r->a, ctx, "csrf", r->csrf);
	}
	r->ctx = ctx;
	return ctx;
}

struct mh_val *mh_site_admin_ctx(struct mh_site_req *r, const char *title)
{
	return admin_ctx(r, title);
}

static void no_store_headers(struct mh_site_req *r)
{
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "x-robots-tag", "noindex");
	mh_response_header_c(r->http, "x-frame-options", "DENY");
	/* the engine's Referrer-Policy (strict-origin-when-cross-origin) keeps
	 * a reset link's token on this site; no-referrer would not do: with it
	 * Chromium sends "Origin: null" with the page's own forms, which the
	 * CSRF check refuses. Only the admin theme's own files, no inline
	 * style or script, forms to this site only. */
	mh_response_header_c(r->http, "content-security-policy", ADMIN_CSP);
}

void mh_site_admin_send(struct mh_site_req *r, int status, const char *name)
{
	mh_buf_reset(&r->body);
	no_store_headers(r);
	if (!mh_theme_render(mh_site_auth(r->site)->theme, name, r->ctx, &r->body)) {
		mh_log(MH_LOG_ERROR, "the admin theme has no template '%s'", name);
		mh_response_error(r->http, 500, "The admin theme is incomplete. The error is logged.");
		return;
	}
	mh_response_send(r->http, status, "text/html; charset=utf-8", mh_buf_str(&r->body));
}

/* A short page saying why (status 403, 410, 503 ...), for every admin
 * screen (site.h). */
void mh_site_admin_message(struct mh_site_req *r, int status, const char *title, const char *text, const char *link,
			 const char *link_text)
{
	admin_ctx(r, title);
	struct mh_val *m = mh_val_map(r->a);
	mh_val_set_cstr(r->a, m, "title", title);
	mh_val_set_cstr(r->a, m, "text", text);
	if (link != NULL) {
		mh_val_set_cstr(r->a, m, "link", link);
		mh_val_set_cstr(r->a, m, "link_text", link_text);
	}
	mh_val_set(r->a, r->ctx, "message", m);
	if (status == 503)
		mh_response_header_c(r->http, "retry-after", "5");
	mh_site_admin_send(r, status, "message");
}

static void unavailable(struct mh_site_req *r)
{
	mh_site_admin_message(r, 503, "Temporarily unavailable",
		     "The site's database is not answering right now. Please try again in a few seconds.", NULL, NULL);
}

static void redirect(struct mh_site_req *r, const char *to)
{
	no_store_headers(r);
	mh_response_header_c(r->http, "location", to);
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", mh_str_c("See Other\n"));
}

/* Where to go after logging in: an admin address of this site only (no
 * other host, no scheme, nothing a browser would read as one). */
static const char *safe_next(struct mh_str next)
{
	if (next.len < 6 || next.len > 1000 || memcmp(next.ptr, "/admin", 6) != 0)
		return "/admin";
	if (next.len > 6 && next.ptr[6] != '/' && next.ptr[6] != '?')
		return "/admin";
	for (size_t i = 0; i < next.len; i++) {
		unsigned char c = (unsigned char)next.ptr[i];
		if (c <= ' ' || c >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>')
			return "/admin";
		if (c == '/' && i + 1 < next.len && next.ptr[i + 1] == '/')
			return "/admin";
	}
	return NULL; /* next itself */
}

/* ---- sessions ---- */

/* Fills r->user, r->session_hash and r->csrf from the session cookie.
 * MH_NOT_FOUND without a live session. */
static enum mh_store_rc load_session(struct mh_site_req *r)
{
	struct mh_str token;
	if (!mh_request_cookie(r->http, cookie_name(r, SESSION_COOKIE), &token) || !mh_auth_token_valid(token))
		return MH_NOT_FOUND;
	r->store = mh_site_store(r);
	const struct mh_auth_key *key = site_key(r);
	if (r->store == NULL || key == NULL)
		return MH_UNAVAILABLE;
	char *hash = mh_arena_alloc(r->a, MH_TOKEN_HASH_CHARS + 1);
	mh_auth_token_hash(token, hash);
	const struct mh_auth_settings *set = &mh_site_auth(r->site)->settings;
	struct mh_session *ses = NULL;
	struct mh_user *user = NULL;
	enum mh_store_rc rc = mh_store_session_get(r->store, r->a, hash, mh_time_now(),
						   (int64_t)set->session_idle_hours * 3600, &ses, &user);
	if (rc != MH_OK)
		return rc;
	r->user = user;
	r->session_hash = hash;
	struct mh_buf b = MH_BUF_INIT;
	mh_auth_csrf_token(key, mh_str_c(hash), &b);
	r->csrf = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return MH_OK;
}

/* The origin this site is reached at, as a browser's Origin header says it. */
bool mh_site_origin_is_ours(struct mh_site_req *r, struct mh_str origin)
{
	const char *base = mh_site_config(r->site)->base_url;
	const char *host_start = strstr(base, "://");
	if (host_start != NULL) {
		const char *end = strchr(host_start + 3, '/');
		size_t n = end != NULL ? (size_t)(end - base) : strlen(base);
		if (origin.len == n && strncasecmp(origin.ptr, base, n) == 0)
			return true;
	}
	struct mh_str host = mh_request_header(r->http, "host");
	const char *scheme = mh_site_tls(r->site) ? "https://" : "http://";
	size_t sl = strlen(scheme);
	return host.len > 0 && origin.len == sl + host.len && strncasecmp(origin.ptr, scheme, sl) == 0 &&
	       strncasecmp(origin.ptr + sl, host.ptr, host.len) == 0;
}

bool mh_site_same_origin(struct mh_site_req *r)
{
	struct mh_str fetch_site = mh_request_header(r->http, "sec-fetch-site");
	struct mh_str origin = mh_request_header(r->http, "origin");
	return !((fetch_site.ptr != NULL && !mh_str_eq_c(fetch_site, "same-origin")) ||
		 (origin.ptr != NULL && !mh_site_origin_is_ours(r, origin)));
}

/* The token a state-changing request carries: form field csrf, or header. */
static struct mh_str sent_token(struct mh_site_req *r)
{
	struct mh_str t = mh_request_header(r->http, "x-csrf-token");
	if (t.ptr != NULL && t.len > 0)
		return t;
	if (mh_request_form(r->http, "csrf", &t))
		return t;
	return MH_STR("");
}

/* The pre-session token of the login cookie's random value. */
static struct mh_str login_subject(struct mh_site_req *r, struct mh_str nonce)
{
	return mh_str_c(mh_arena_printf(r->a, "login:%.*s", (int)nonce.len, nonce.ptr));
}

/* The login cookie's value (a new one set when there is none) and the
 * token its forms carry. NULL while the database does not answer. */
static const char *login_form_token(struct mh_site_req *r)
{
	const struct mh_auth_key *key = site_key(r);
	if (key == NULL)
		return NULL;
	struct mh_str nonce;
	if (!mh_request_cookie(r->http, cookie_name(r, LOGIN_COOKIE), &nonce) || !mh_auth_token_valid(nonce)) {
		char fresh[MH_TOKEN_CHARS + 1];
		mh_auth_token_new(fresh);
		set_cookie(r, LOGIN_COOKIE, fresh, -1);
		nonce = mh_arena_str(r->a, mh_str_c(fresh));
	}
	struct mh_buf b = MH_BUF_INIT;
	mh_auth_csrf_token(key, login_subject(r, nonce), &b);
	const char *t = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return t;
}

static void refuse(struct mh_site_req *r, const char *why)
{
	mh_site_admin_message(r, 403, "Refused", why, "/admin", "Back to the newsroom");
}

bool mh_site_access_check(struct mh_site_req *r, const struct mh_site_route *rt)
{
	bool post = is_post(r);
	if (rt->access != MH_ACCESS_ANYONE || (post && rt->csrf == MH_CSRF_SESSION)) {
		enum mh_store_rc rc = load_session(r);
		if (rc == MH_UNAVAILABLE || (rc != MH_OK && rc != MH_NOT_FOUND)) {
			unavailable(r);
			return false;
		}
		if (rc == MH_NOT_FOUND) {
			/* no session, an ended one or a stale cookie: log in (again) */
			if (post) {
				redirect(r, "/admin/login");
				return false;
			}
			struct mh_buf to = MH_BUF_INIT, here = MH_BUF_INIT;
			mh_buf_append(&here, r->http->path.ptr, r->http->path.len);
			if (r->http->query.len > 0) {
				mh_buf_append_ch(&here, '?');
				mh_buf_append(&here, r->http->query.ptr, r->http->query.len);
			}
			mh_buf_append_c(&to, "/admin/login?next=");
			mh_escape_url(&to, mh_buf_str(&here));
			redirect(r, mh_arena_strndup(r->a, to.ptr, to.len));
			mh_buf_free(&to);
			mh_buf_free(&here);
			return false;
		}
		if (rt->access == MH_ACCESS_PERMISSION && !mh_role_may(r->user->role, rt->permission)) {
			refuse(r, mh_arena_printf(r->a, "Your role (%s) may not do this. Ask an owner of the site.",
						  mh_role_name(r->user->role)));
			return false;
		}
	}
	if (!post || rt->csrf == MH_CSRF_NONE)
		return true;
	/* the browser says where the request came from: only this site */
	struct mh_str fetch_site = mh_request_header(r->http, "sec-fetch-site");
	struct mh_str origin = mh_request_header(r->http, "origin");
	if ((fetch_site.ptr != NULL && !mh_str_eq_c(fetch_site, "same-origin")) ||
	    (origin.ptr != NULL && !mh_site_origin_is_ours(r, origin))) {
		refuse(r, "This request came from another site, so nothing was changed. Use the form on this site.");
		return false;
	}
	const struct mh_auth_key *key = site_key(r);
	if (key == NULL) {
		unavailable(r);
		return false;
	}
	struct mh_str token = sent_token(r);
	bool ok;
	if (rt->csrf == MH_CSRF_SESSION) {
		ok = mh_auth_csrf_check(key, mh_str_c(r->session_hash), token);
	} else {
		struct mh_str nonce;
		ok = mh_request_cookie(r->http, cookie_name(r, LOGIN_COOKIE), &nonce) && mh_auth_token_valid(nonce) &&
		     mh_auth_csrf_check(key, login_subject(r, nonce), token);
	}
	if (!ok) {
		refuse(r, "The form's security token is missing or out of date, so nothing was changed. Go back, "
			  "reload the page and try again (cookies must be allowed for this site).");
		return false;
	}
	return true;
}

/* ---- /admin ---- */

/* ---- login ---- */

static void login_form(struct mh_site_req *r, int status, struct mh_str email, struct mh_str next,
		       const char *error, const char *notice)
{
	const char *token = login_form_token(r);
	if (token == NULL) {
		unavailable(r);
		return;
	}
	admin_ctx(r, "Log in");
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set(r->a, f, "email", mh_val_str(r->a, email));
	const char *n = safe_next(next);
	mh_val_set(r->a, f, "next", n == NULL ? mh_val_str(r->a, next) : mh_val_cstr(r->a, n));
	mh_val_set_cstr(r->a, f, "csrf", token);
	mh_val_set(r->a, r->ctx, "form", f);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	if (notice != NULL)
		mh_val_set_cstr(r->a, r->ctx, "notice", notice);
	mh_site_admin_send(r, status, "login");
}

/* The client's address as text (behind a trusted proxy, the client it
 * forwards for), for the rate limits' keys. */
static const char *client_address(struct mh_site_req *r)
{
	struct sockaddr_storage ss;
	char buf[INET6_ADDRSTRLEN] = "unknown";
	if (mh_site_client_addr(r, &ss)) {
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, sizeof(buf));
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, sizeof(buf));
	}
	return mh_arena_strndup(r->a, buf, strlen(buf));
}

/* A new session for user_id: stored (hashed) and its cookie set, the
 * login cookie dropped. False when the database did not take it. */
static bool start_session(struct mh_site_req *r, int64_t user_id)
{
	struct mh_site_auth *au = mh_site_auth(r->site);
	char token[MH_TOKEN_CHARS + 1], thash[MH_TOKEN_HASH_CHARS + 1];
	mh_auth_token_new(token);
	mh_auth_token_hash(mh_str_c(token), thash);
	int64_t now = mh_time_now(), max_age = (int64_t)au->settings.session_max_days * 86400;
	mh_store_sessions_prune(r->store, now);
	if (mh_store_session_add(r->store, thash, user_id, now + max_age) != MH_OK)
		return false;
	set_cookie(r, SESSION_COOKIE, token, max_age);
	set_cookie(r, LOGIN_COOKIE, "", 0);
	return true;
}

static void login_post(struct mh_site_req *r)
{
	struct mh_site_auth *au = mh_site_auth(r->site);
	struct mh_str email = MH_STR(""), password = MH_STR(""), next = MH_STR("");
	mh_request_form(r->http, "email", &email);
	mh_request_form(r->http, "password", &password);
	mh_request_form(r->http, "next", &next);
	if (email.len > 254)
		email.len = 254;
	/* held back: the same answer whether or not the account exists */
	const char *addr = client_address(r);
	char *account = mh_arena_printf(r->a, "%.*s|%s", (int)email.len, email.ptr, addr);
	for (char *p = account; *p != '|' && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	int64_t now_us = mh_time_now_us();
	int wait_s = 0;
	if (!mh_ratelimit_take(au->per_address, mh_str_c(addr), now_us, &wait_s) ||
	    !mh_ratelimit_take(au->per_account, mh_str_c(account), now_us, &wait_s)) {
		mh_response_header_c(r->http, "retry-after", mh_arena_printf(r->a, "%d", wait_s));
		login_form(r, 429, email, next,
			   mh_arena_printf(r->a, "Too many login attempts. Wait %d second%s, then try again.", wait_s,
					   wait_s == 1 ? "" : "s"),
			   NULL);
		return;
	}
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		unavailable(r);
		return;
	}
	struct mh_user *user = NULL;
	enum mh_store_rc rc = mh_store_user_by_email(r->store, r->a, email, &user);
	if (rc != MH_OK && rc != MH_NOT_FOUND) {
		unavailable(r);
		return;
	}
	bool fits = password.len > 0 && password.len <= MH_PASSWORD_MAX_BYTES;
	/* one argon2id verify either way: an unknown email costs what a known one does */
	/* an invited account has no password yet: as if it did not exist */
	bool pending = rc == MH_OK && strcmp(user->password_hash, MH_USER_INVITED_HASH) == 0;
	const char *hash = rc == MH_OK && !pending ? user->password_hash : dummy_hash(au);
	bool right = mh_auth_password_verify(hash, fits ? password : mh_str_c("-")) && fits;
	if (rc != MH_OK || !right || pending || user->disabled) {
		login_form(r, 401, email, next, "Email or password is wrong.", NULL);
		return;
	}
	if (!start_session(r, user->id)) {
		unavailable(r);
		return;
	}
	if (mh_auth_password_needs_rehash(user->password_hash)) {
		struct mh_buf b = MH_BUF_INIT;
		if (mh_auth_password_hash(password, &b))
			mh_store_user_set_password(r->store, user->id, mh_buf_cstr(&b), false);
		mh_buf_free(&b);
	}
	const char *to = safe_next(next);
	redirect(r, to != NULL ? to : mh_arena_strndup(r->a, next.ptr, next.len));
}

void mh_site_admin_login(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	if (is_post(r)) {
		login_post(r);
		return;
	}
	struct mh_str next = MH_STR(""), reset = MH_STR("");
	mh_request_query(r->http, "next", &next);
	/* already signed in: straight on */
	enum mh_store_rc rc = load_session(r);
	if (rc == MH_OK) {
		const char *to = safe_next(next);
		redirect(r, to != NULL ? to : mh_arena_strndup(r->a, next.ptr, next.len));
		return;
	}
	r->user = NULL;
	bool was_reset = mh_request_query(r->http, "reset", &reset) && mh_str_eq_c(reset, "done");
	login_form(r, 200, MH_STR(""), next, NULL,
		   was_reset ? "Your new password is set. Log in with it." : NULL);
}

/* ---- logout ---- */

void mh_site_admin_logout(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	if (mh_store_session_end(r->store, r->session_hash) != MH_OK) {
		unavailable(r);
		return;
	}
	set_cookie(r, SESSION_COOKIE, "", 0);
	redirect(r, "/admin/login");
}

void mh_site_admin_logout_everywhere(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	if (mh_store_user_end_sessions(r->store, r->user->id) != MH_OK) {
		unavailable(r);
		return;
	}
	set_cookie(r, SESSION_COOKIE, "", 0);
	redirect(r, "/admin/login");
}

/* ---- password reset through a one-time link ---- */

static void link_gone(struct mh_site_req *r)
{
	mh_site_admin_message(r, 410, "This link no longer works",
		     "A password link works once and for 24 hours; this one has been used or has expired. Ask an "
		     "owner of the site for a new one.",
		     "/admin/login", "Log in");
}

static void reset_form(struct mh_site_req *r, int status, struct mh_str token, const struct mh_user *u,
		       const char *error)
{
	const char *csrf = login_form_token(r);
	if (csrf == NULL) {
		unavailable(r);
		return;
	}
	admin_ctx(r, "Set a new password");
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set_cstr(r->a, f, "email", u->email);
	mh_val_set(r->a, f, "token", mh_val_str(r->a, token));
	mh_val_set_cstr(r->a, f, "csrf", csrf);
	mh_val_set_int(r->a, f, "min_chars", MH_PASSWORD_MIN_CHARS);
	mh_val_set(r->a, r->ctx, "form", f);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	mh_site_admin_send(r, status, "reset");
}

/* The one-time link of a reset or an invitation: its token (from the form
 * on POST, else the query), that token's hash, and the account it is for
 * while unused and unexpired. MH_NOT_FOUND for a malformed, unknown, used
 * or expired link; MH_UNAVAILABLE (or another code) when the database is
 * not answering. Reading it does not use it up. */
static enum mh_store_rc one_time_link(struct mh_site_req *r, bool post, const char *purpose, int64_t now,
				      struct mh_str *token, char hash[MH_TOKEN_HASH_CHARS + 1], struct mh_user **user)
{
	*token = MH_STR("");
	if (post)
		mh_request_form(r->http, "token", token);
	else
		mh_request_query(r->http, "token", token);
	if (!mh_auth_token_valid(*token))
		return MH_NOT_FOUND;
	r->store = mh_site_store(r);
	if (r->store == NULL)
		return MH_UNAVAILABLE;
	mh_auth_token_hash(*token, hash);
	int64_t uid = 0;
	enum mh_store_rc rc = mh_store_auth_token_peek(r->store, hash, purpose, now, &uid);
	if (rc == MH_OK)
		rc = mh_store_user_by_id(r->store, r->a, uid, user);
	return rc;
}

void mh_site_admin_reset(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	bool post = is_post(r);
	struct mh_str token;
	char hash[MH_TOKEN_HASH_CHARS + 1];
	struct mh_user *u = NULL;
	int64_t now = mh_time_now();
	enum mh_store_rc rc = one_time_link(r, post, "reset", now, &token, hash, &u);
	if (rc == MH_NOT_FOUND) {
		link_gone(r);
		return;
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	if (!post) {
		reset_form(r, 200, token, u, NULL);
		return;
	}
	struct mh_str pw = MH_STR(""), pw2 = MH_STR("");
	mh_request_form(r->http, "password", &pw);
	mh_request_form(r->http, "password2", &pw2);
	struct mh_buf why = MH_BUF_INIT;
	if (pw.len != pw2.len || memcmp(pw.ptr, pw2.ptr, pw.len) != 0) {
		reset_form(r, 422, token, u, "The two passwords differ. Type the same one twice.");
	} else if (!mh_auth_password_acceptable(pw, mh_str_c(u->email), &why)) {
		reset_form(r, 422, token, u, mh_arena_strndup(r->a, why.ptr != NULL ? why.ptr : "", why.len));
	} else {
		struct mh_buf h = MH_BUF_INIT;
		if (!mh_auth_password_hash(pw, &h))
			rc = MH_ERROR;
		else
			rc = mh_store_password_reset(r->store, hash, mh_buf_cstr(&h), now, NULL);
		mh_buf_free(&h);
		if (rc == MH_NOT_FOUND)
			link_gone(r);
		else if (rc != MH_OK)
			unavailable(r);
		else {
			set_cookie(r, SESSION_COOKIE, "", 0);
			redirect(r, "/admin/login?reset=done");
		}
	}
	mh_buf_free(&why);
}

/* ---- accepting an invitation (admin_site.c makes them) ---- */

static void invite_gone(struct mh_site_req *r)
{
	mh_site_admin_message(r, 410, "This invitation no longer works",
		     "An invitation link works once and for a few days; this one has been used, has expired, has been "
		     "replaced by a newer one, or is not a link we made. Nothing was changed. Ask an owner of the "
		     "site to invite you again.",
		     "/admin/login", "Log in");
}

static void invite_form(struct mh_site_req *r, int status, struct mh_str token, const struct mh_user *u,
			const char *error)
{
	const char *csrf = login_form_token(r);
	if (csrf == NULL) {
		unavailable(r);
		return;
	}
	admin_ctx(r, "Welcome: choose your password");
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set_cstr(r->a, f, "email", u->email);
	mh_val_set_cstr(r->a, f, "name", u->name);
	mh_val_set_cstr(r->a, f, "role", mh_role_name(u->role));
	mh_val_set(r->a, f, "token", mh_val_str(r->a, token));
	mh_val_set_cstr(r->a, f, "csrf", csrf);
	mh_val_set_int(r->a, f, "min_chars", MH_PASSWORD_MIN_CHARS);
	mh_val_set(r->a, r->ctx, "form", f);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	mh_site_admin_send(r, status, "invite");
}

void mh_site_admin_invite(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	bool post = is_post(r);
	struct mh_str token;
	char hash[MH_TOKEN_HASH_CHARS + 1];
	struct mh_user *u = NULL;
	int64_t now = mh_time_now();
	enum mh_store_rc rc = one_time_link(r, post, "invite", now, &token, hash, &u);
	if (rc == MH_OK && u->disabled)
		rc = MH_NOT_FOUND; /* disabled since: the invitation is withdrawn */
	if (rc == MH_NOT_FOUND) {
		invite_gone(r);
		return;
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	if (!post) {
		invite_form(r, 200, token, u, NULL);
		return;
	}
	struct mh_str pw = MH_STR(""), pw2 = MH_STR("");
	mh_request_form(r->http, "password", &pw);
	mh_request_form(r->http, "password2", &pw2);
	struct mh_buf why = MH_BUF_INIT;
	if (pw.len != pw2.len || memcmp(pw.ptr, pw2.ptr, pw.len) != 0) {
		invite_form(r, 422, token, u, "The two passwords differ. Type the same one twice.");
	} else if (!mh_auth_password_acceptable(pw, mh_str_c(u->email), &why)) {
		invite_form(r, 422, token, u, mh_arena_strndup(r->a, why.ptr != NULL ? why.ptr : "", why.len));
	} else {
		struct mh_buf h = MH_BUF_INIT;
		if (!mh_auth_password_hash(pw, &h))
			rc = MH_ERROR;
		else
			rc = mh_store_invite_accept(r->store, hash, mh_buf_cstr(&h), now, NULL);
		mh_buf_free(&h);
		if (rc == MH_NOT_FOUND)
			invite_gone(r);
		else if (rc != MH_OK || !start_session(r, u->id))
			unavailable(r);
		else
			redirect(r, "/admin");
	}
	mh_buf_free(&why);
}

const struct mh_theme *mh_site_admin_theme(struct mh_site *s)
{
	return mh_site_auth(s)->theme;
}
