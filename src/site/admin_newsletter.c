/*
 * site/admin_newsletter.c: /admin/newsletter (issue 10), for editors and
 * owners: send a published article as a newsletter (queued, as `masthead
 * newsletter send` does), every send with its counts and state (never
 * "done" before every delivery is settled), one send's undelivered
 * addresses and why (/admin/newsletter/ID), and the subscribers: how many,
 * and a search.
 */
#include <string.h>

#include "audience/newsletter.h"
#include "site/site.h"

static void message(struct mh_site_req *r, int status, const char *title, const char *text)
{
	mh_site_admin_message(r, status, title, text, "/admin/newsletter", "Back to the newsletter");
}

static struct mh_val *counts_val(struct mh_site_req *r, const int64_t c[MH_DELIVERY__COUNT])
{
	struct mh_val *m = mh_val_map(r->a);
	for (int st = 0; st < MH_DELIVERY__COUNT; st++)
		mh_val_set_int(r->a, m, mh_delivery_state_name((enum mh_delivery_state)st), c[st]);
	mh_val_set_int(r->a, m, "waiting", c[MH_DELIVERY_QUEUED] + c[MH_DELIVERY_SENDING]);
	mh_val_set_cstr(r->a, m, "state", mh_newsletter_state(c));
	mh_val_set_bool(r->a, m, "done", strcmp(mh_newsletter_state(c), "done") == 0);
	return m;
}

static const char *when(struct mh_site_req *r, int64_t t)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_time_format(&b, t, "%Y-%m-%d %H:%M");
	const char *s = mh_arena_strndup(r->a, b.ptr, b.len);
	mh_buf_free(&b);
	return s;
}

/* The screen: sends, the send form (with slug and error after a refusal),
 * subscribers (a search's results when q is given). */
static void screen(struct mh_site_req *r, int status, const char *notice, const char *error, const char *slug)
{
	mh_site_admin_ctx(r, "Newsletter");
	struct mh_newsletter *nls = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_newsletters(r->store, r->a, 50, &nls, &n);
	struct mh_val *sends = mh_val_list(r->a);
	for (size_t i = 0; rc == MH_OK && i < n; i++) {
		int64_t c[MH_DELIVERY__COUNT];
		rc = mh_store_newsletter_counts(r->store, nls[i].id, c);
		struct mh_val *s = counts_val(r, c);
		mh_val_set_int(r->a, s, "id", nls[i].id);
		mh_val_set_cstr(r->a, s, "subject", nls[i].subject);
		mh_val_set_cstr(r->a, s, "created", when(r, nls[i].created_at));
		mh_val_set_cstr(r->a, s, "by", nls[i].created_by);
		mh_val_set_cstr(r->a, s, "url", mh_arena_printf(r->a, "/admin/newsletter/%lld", (long long)nls[i].id));
		mh_val_push(r->a, sends, s);
	}
	int64_t total = 0;
	if (rc == MH_OK)
		rc = mh_store_count(r->store, "subscribers", &total);
	struct mh_str q = MH_STR("");
	mh_request_query(r->http, "q", &q);
	struct mh_val *found = mh_val_list(r->a);
	if (rc == MH_OK && q.len > 0 && q.len <= 254) {
		struct mh_subscriber *subs = NULL;
		size_t ns = 0;
		rc = mh_store_subscribers(r->store, r->a, q, "", 0, 50, &subs, &ns);
		for (size_t i = 0; rc == MH_OK && i < ns; i++) {
			struct mh_val *s = mh_val_map(r->a);
			mh_val_set_cstr(r->a, s, "email", subs[i].email);
			mh_val_set_cstr(r->a, s, "status", subs[i].status);
			mh_val_set_cstr(r->a, s, "since", when(r, subs[i].created_at));
			mh_val_push(r->a, found, s);
		}
	}
	if (rc != MH_OK) {
		message(r, rc == MH_UNAVAILABLE ? 503 : 500, "Temporarily unavailable",
			"The newsletter could not be read from the database. Please try again in a few seconds.");
		return;
	}
	struct mh_val *nl = mh_val_map(r->a);
	mh_val_set(r->a, nl, "sends", sends);
	mh_val_set_bool(r->a, nl, "no_sends", n == 0);
	mh_val_set_int(r->a, nl, "subscribers", total);
	mh_val_set_cstr(r->a, nl, "q", mh_arena_strndup(r->a, q.ptr, q.len));
	mh_val_set_bool(r->a, nl, "searched", q.len > 0);
	mh_val_set(r->a, nl, "found", found);
	const struct mh_newsletter_env *env = mh_newsletter_env();
	mh_val_set_bool(r->a, nl, "no_relay", env == NULL || !mh_mail_enabled(env->mail));
	if (notice != NULL)
		mh_val_set_cstr(r->a, nl, "notice", notice);
	if (error != NULL)
		mh_val_set_cstr(r->a, nl, "error", error);
	mh_val_set_cstr(r->a, nl, "slug", slug != NULL ? slug : "");
	mh_val_set(r->a, r->ctx, "newsletter", nl);
	mh_site_admin_send(r, status, "newsletter");
}

static void send_article(struct mh_site_req *r)
{
	struct mh_str slug = MH_STR("");
	mh_request_form(r->http, "slug", &slug);
	while (slug.len > 0 && slug.ptr[0] == ' ')
		slug.ptr++, slug.len--;
	while (slug.len > 0 && slug.ptr[slug.len - 1] == ' ')
		slug.len--;
	const char *shown = mh_arena_strndup(r->a, slug.ptr, slug.len < 200 ? slug.len : 200);
	const struct mh_newsletter_env *env = mh_newsletter_env();
	if (env == NULL || !mh_mail_enabled(env->mail)) {
		screen(r, 409, NULL, "Nothing was sent: the site has no mail relay ([mail] smtp_url in site.ini).",
		       shown);
		return;
	}
	struct mh_article *art = NULL;
	enum mh_store_rc rc = slug.len == 0 ? MH_NOT_FOUND : mh_store_article_by_slug(r->store, r->a, slug, &art);
	if (rc == MH_NOT_FOUND) {
		screen(r, 422, NULL,
		       slug.len == 0 ? "Article: enter the address (slug) of a published article. Nothing was sent."
				     : "Article: no article has this address (slug). Nothing was sent.",
		       shown);
		return;
	}
	if (rc != MH_OK) {
		message(r, 503, "Temporarily unavailable", "The database did not answer. Nothing was sent.");
		return;
	}
	struct mh_buf err = MH_BUF_INIT;
	int64_t id = 0, n = 0;
	rc = mh_newsletter_queue_article(r->store, r->a, art, r->user->email, &id, &n, &err);
	if (rc == MH_INVALID) {
		const char *why = mh_arena_printf(r->a, "Article: %s. Nothing was sent.", mh_buf_cstr(&err));
		mh_buf_free(&err);
		screen(r, 422, NULL, why, shown);
		return;
	}
	mh_buf_free(&err);
	if (rc != MH_OK) {
		message(r, 503, "Temporarily unavailable", "The newsletter could not be queued. Nothing was sent.");
		return;
	}
	screen(r, 200,
	       mh_arena_printf(r->a, "\"%s\" is queued to %lld subscriber%s: follow it below.", art->headline,
			       (long long)n, n == 1 ? "" : "s"),
	       NULL, NULL);
}

void mh_site_admin_newsletter(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		message(r, 503, "Temporarily unavailable", "The site's database is not answering right now.");
		return;
	}
	if (mh_str_eq_c(r->http->method, "POST")) {
		send_article(r);
		return;
	}
	screen(r, 200, NULL, NULL, NULL);
}

void mh_site_admin_newsletter_send(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = 0;
	if (arg.len == 0 || arg.len > 18 || !mh_str_to_i64(arg, &id) || id <= 0) {
		message(r, 404, "Unknown newsletter", "The address must end in a newsletter's number, as in the list.");
		return;
	}
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		message(r, 503, "Temporarily unavailable", "The site's database is not answering right now.");
		return;
	}
	struct mh_newsletter *nl = NULL;
	int64_t c[MH_DELIVERY__COUNT];
	enum mh_store_rc rc = mh_store_newsletter_get(r->store, r->a, id, &nl);
	if (rc == MH_OK)
		rc = mh_store_newsletter_counts(r->store, id, c);
	if (rc == MH_NOT_FOUND) {
		message(r, 404, "Unknown newsletter", "There is no newsletter with this number.");
		return;
	}
	struct mh_val *undelivered = mh_val_list(r->a);
	static const enum mh_delivery_state which[] = { MH_DELIVERY_DEFERRED, MH_DELIVERY_FAILED, MH_DELIVERY_BOUNCED,
							MH_DELIVERY_UNKNOWN };
	for (size_t k = 0; rc == MH_OK && k < sizeof(which) / sizeof(which[0]); k++) {
		struct mh_delivery *d = NULL;
		size_t n = 0;
		if (c[which[k]] == 0)
			continue;
		rc = mh_store_newsletter_deliveries(r->store, r->a, id, (int)which[k], 1000, &d, &n);
		for (size_t i = 0; rc == MH_OK && i < n; i++) {
			struct mh_val *v = mh_val_map(r->a);
			mh_val_set_cstr(r->a, v, "email", d[i].email);
			mh_val_set_cstr(r->a, v, "state", mh_delivery_state_name(d[i].state));
			mh_val_set_int(r->a, v, "attempts", d[i].attempts);
			mh_val_set_int(r->a, v, "code", d[i].smtp_code);
			mh_val_set_cstr(r->a, v, "error", d[i].last_error);
			mh_val_push(r->a, undelivered, v);
		}
	}
	if (rc != MH_OK) {
		message(r, rc == MH_UNAVAILABLE ? 503 : 500, "Temporarily unavailable",
			"The newsletter could not be read from the database. Please try again in a few seconds.");
		return;
	}
	mh_site_admin_ctx(r, nl->subject);
	struct mh_val *s = counts_val(r, c);
	mh_val_set_int(r->a, s, "id", id);
	mh_val_set_cstr(r->a, s, "subject", nl->subject);
	mh_val_set_cstr(r->a, s, "created", when(r, nl->created_at));
	mh_val_set_cstr(r->a, s, "by", nl->created_by);
	mh_val_set(r->a, s, "undelivered", undelivered);
	mh_val_set(r->a, r->ctx, "send", s);
	mh_site_admin_send(r, 200, "newsletter_send");
}
