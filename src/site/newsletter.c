/*
 * site/newsletter.c: the newsletter's public side (issue 10). The sign-up
 * box (slots.newsletter, in the sidebar and after an article) and
 * /newsletter take an address and queue a confirmation mail (the
 * "newsletter_confirm" job): the answer is the same whether the address
 * is new, pending or already subscribed, and nothing is stored until its
 * signed link is followed (/newsletter/confirm). /newsletter/unsubscribe
 * shows a button for the link in a mail's footer and takes RFC 8058's
 * one-click POST; both are authorised by the subscriber's signed token,
 * without logging in.
 * CSRF on a page kept in the page cache (no session): a browser that says
 * where a POST comes from (Sec-Fetch-Site, Origin) must say this site; one
 * that says nothing must carry the form's signed timestamp (30 days).
 */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "audience/newsletter.h"
#include "site/site.h"

/* How old a sign-up form's token may be (a page may stay cached long). */
#define FORM_MAX_AGE_S (30 * 24 * 3600)

/* The sign-up rate limit, per client address; made at the first sign-up
 * from [newsletter] (a restart applies a change). */
static pthread_once_t limit_once = PTHREAD_ONCE_INIT;
static struct mh_ratelimit *limit;

static void limit_make(void)
{
	const struct mh_newsletter_env *env = mh_newsletter_env();
	double per_hour = env != NULL ? env->settings->signups_per_hour : 20;
	double burst = env != NULL ? env->settings->signup_burst : 5;
	limit = mh_ratelimit_new(4096, per_hour / 3600.0, burst);
}

/* Whether the box is offered: the newsletter is on and mail can go out. */
static bool offered(void)
{
	const struct mh_newsletter_env *env = mh_newsletter_env();
	return env != NULL && env->settings->enabled && mh_mail_enabled(env->mail) && env->mail_theme != NULL;
}

/* The form's data: the signed timestamp (needs the site key, so a store). */
static struct mh_val *form_val(struct mh_site_req *r, const char *id)
{
	struct mh_val *f = mh_val_map(r->a);
	mh_val_set_cstr(r->a, f, "newsletter_id", id);
	struct mh_store *st = r->store != NULL ? r->store : mh_site_store(r);
	struct mh_auth_key k;
	if (st != NULL && mh_newsletter_key(st, &k) == MH_OK) {
		struct mh_buf tok = MH_BUF_INIT;
		mh_newsletter_form_token(&k, mh_time_now(), &tok);
		mh_val_set_cstr(r->a, f, "newsletter_token", mh_arena_strndup(r->a, tok.ptr, tok.len));
		mh_buf_free(&tok);
	}
	return f;
}

void mh_site_newsletter_slot(struct mh_site_req *r, struct mh_val *slots)
{
	if (!offered())
		return;
	/* two boxes on an article page: each its own element ids */
	mh_val_set(r->a, slots, "newsletter", form_val(r, "newsletter-side"));
	mh_val_set(r->a, slots, "newsletter_after", form_val(r, "newsletter-after"));
}

/* The /newsletter page in one of its states (themes/default/newsletter_page). */
static void page_with(struct mh_site_req *r, int status, const char *state, const char *title, const char *message,
		      const char *email, const char *error, const char *unsubscribe_token)
{
	r->store = r->store != NULL ? r->store : mh_site_store(r);
	if (r->store != NULL && r->sections == NULL)
		mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
	mh_site_view_common(r, "newsletter", title, message, "/newsletter", NULL);
	struct mh_val *nl = form_val(r, "newsletter-page");
	mh_val_set_bool(r->a, nl, state, true);
	mh_val_set_cstr(r->a, nl, "title", title);
	mh_val_set_cstr(r->a, nl, "message", message);
	if (email != NULL)
		mh_val_set_cstr(r->a, nl, "email", email);
	if (error != NULL)
		mh_val_set_cstr(r->a, nl, "error", error);
	if (unsubscribe_token != NULL)
		mh_val_set_cstr(r->a, nl, "unsubscribe_token", unsubscribe_token);
	mh_val_set_bool(r->a, nl, "offered", offered());
	mh_val_set(r->a, r->ctx, "newsletter", nl);
	mh_buf_reset(&r->body);
	if (mh_site_render(r, "newsletter_page") != MH_OK) {
		mh_buf_reset(&r->body);
		mh_buf_append_c(&r->body, "<!doctype html><title>Newsletter</title><h1>");
		mh_escape_html(&r->body, mh_str_c(title));
		mh_buf_append_c(&r->body, "</h1><p>");
		mh_escape_html(&r->body, mh_str_c(message));
		mh_buf_append_c(&r->body, "</p>");
	}
	mh_response_header_c(r->http, "content-security-policy", mh_site_page_csp());
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_send(r->http, status, "text/html; charset=utf-8", mh_buf_str(&r->body));
}

static void page(struct mh_site_req *r, int status, const char *state, const char *title, const char *message,
		 const char *email, const char *error)
{
	page_with(r, status, state, title, message, email, error, NULL);
}

static void unavailable(struct mh_site_req *r)
{
	mh_response_header_c(r->http, "retry-after", "5");
	page(r, 503, "unavailable", "Please try again",
	     "The site cannot take this right now. Nothing was changed; please try again in a minute.", NULL, NULL);
}

static void signup(struct mh_site_req *r)
{
	/* the browser says where the form came from: only this site */
	if (!mh_site_same_origin(r)) {
		page(r, 403, "refused", "Not signed up",
		     "This sign-up came from another site, so nothing was done. Use the form on this site.", NULL,
		     NULL);
		return;
	}
	struct mh_str origin = mh_request_header(r->http, "origin");
	struct mh_str fetch_site = mh_request_header(r->http, "sec-fetch-site");
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		unavailable(r);
		return;
	}
	struct mh_auth_key k;
	if (mh_newsletter_key(r->store, &k) != MH_OK) {
		unavailable(r);
		return;
	}
	if (origin.ptr == NULL && fetch_site.ptr == NULL) {
		struct mh_str tok = MH_STR("");
		mh_request_form(r->http, "token", &tok);
		if (!mh_newsletter_form_check(&k, tok, mh_time_now(), FORM_MAX_AGE_S)) {
			page(r, 403, "refused", "Not signed up",
			     "The form's security token is missing or out of date, so nothing was done. Reload the page "
			     "and try again.",
			     NULL, NULL);
			return;
		}
	}
	pthread_once(&limit_once, limit_make);
	int wait_s = 1;
	if (!mh_ratelimit_take(limit, mh_site_client_key(r), mh_time_now_us(), &wait_s)) {
		mh_response_header_c(r->http, "retry-after", mh_arena_printf(r->a, "%d", wait_s));
		page(r, 429, "limited", "Too many sign-ups",
		     mh_arena_printf(r->a,
				     "Too many sign-ups came from your address. Nothing was done; please try again in "
				     "%d second%s.",
				     wait_s, wait_s == 1 ? "" : "s"),
		     NULL, NULL);
		return;
	}
	struct mh_str email = MH_STR("");
	mh_request_form(r->http, "email", &email);
	while (email.len > 0 && (email.ptr[0] == ' ' || email.ptr[0] == '\t'))
		email.ptr++, email.len--;
	while (email.len > 0 && (email.ptr[email.len - 1] == ' ' || email.ptr[email.len - 1] == '\t'))
		email.len--;
	const char *shown = mh_arena_strndup(r->a, email.ptr, email.len < 300 ? email.len : 300);
	if (!mh_mail_address_valid(email)) {
		page(r, 422, "form", "Sign up for our newsletter", "Nothing was stored.", shown,
		     email.len == 0 ? "Email: enter your address, e.g. name@example.org."
				    : "Email: that is not an address we can send to; enter one like name@example.org.");
		return;
	}
	if (!offered()) {
		page(r, 503, "unavailable", "Sign-ups are closed",
		     "The newsletter takes no sign-ups right now (the site sends no mail). Nothing was stored.", NULL,
		     NULL);
		return;
	}
	/* lower-cased, as it will be stored; the mail goes out from the job
	 * queue so the answer neither waits for the relay nor tells by its
	 * timing whether the address is known */
	char *lower = mh_arena_strndup(r->a, email.ptr, email.len);
	for (char *p = lower; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	if (mh_store_job_add(r->store, "newsletter_confirm", mh_str_c(lower), mh_time_now(),
			     mh_arena_printf(r->a, "newsletter_confirm:%s", lower), NULL) != MH_OK) {
		unavailable(r);
		return;
	}
	page(r, 200, "pending", "Check your inbox",
	     mh_arena_printf(r->a,
			     "If %s can take mail, a message with a link to confirm is on its way. Follow it to "
			     "start receiving the newsletter.",
			     lower),
	     NULL, NULL);
}

void mh_site_newsletter(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	if (mh_str_eq_c(r->http->method, "POST")) {
		signup(r);
		return;
	}
	if (!offered()) {
		page(r, 404, "closed", "No newsletter", "This site sends no newsletter.", NULL, NULL);
		return;
	}
	page(r, 200, "form", "Sign up for our newsletter", "The day's stories in your inbox.", NULL, NULL);
}

void mh_site_newsletter_confirm(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	r->store = mh_site_store(r);
	struct mh_auth_key k;
	if (r->store == NULL || mh_newsletter_key(r->store, &k) != MH_OK) {
		unavailable(r);
		return;
	}
	struct mh_str tok = MH_STR("");
	mh_request_query(r->http, "token", &tok);
	const char *email = NULL;
	enum mh_auth_signed v = mh_newsletter_confirm_check(&k, r->a, tok, mh_time_now(), &email);
	if (v == MH_SIGNED_EXPIRED) {
		page(r, 410, "expired", "This link has expired",
		     "Confirmation links work for a limited time. Nothing was changed: sign up again below and "
		     "follow the new link.",
		     NULL, NULL);
		return;
	}
	if (v != MH_SIGNED_OK) {
		page(r, 400, "invalid", "This link is not valid",
		     "It was not made by this site, or it was cut short when copied. Nothing was changed: copy the "
		     "whole link from the mail, or sign up again below.",
		     NULL, NULL);
		return;
	}
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_store_subscriber_confirm(r->store, mh_str_c(email), NULL, &err);
	mh_buf_free(&err);
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	page(r, 200, "confirmed", "You are subscribed",
	     mh_arena_printf(r->a, "%s will receive our newsletter. Every issue has a link to unsubscribe.", email),
	     NULL, NULL);
}

void mh_site_newsletter_unsubscribe(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	r->store = mh_site_store(r);
	struct mh_auth_key k;
	if (r->store == NULL || mh_newsletter_key(r->store, &k) != MH_OK) {
		unavailable(r);
		return;
	}
	struct mh_str tok = MH_STR("");
	if (!mh_request_query(r->http, "token", &tok))
		mh_request_form(r->http, "token", &tok);
	int64_t id = 0;
	struct mh_subscriber *sub = NULL;
	enum mh_store_rc rc = MH_NOT_FOUND;
	if (mh_newsletter_unsubscribe_check(&k, tok, &id))
		rc = mh_store_subscriber_by_id(r->store, r->a, id, &sub);
	if (rc == MH_NOT_FOUND) {
		page(r, 400, "invalid", "This link is not valid",
		     "It was not made by this site, was cut short when copied, or its address was deleted from the "
		     "list. Nothing was changed.",
		     NULL, NULL);
		return;
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	if (!mh_str_eq_c(r->http->method, "POST")) {
		/* a link followed (or fetched by a mail scanner) changes nothing:
		 * the button below does */
		page_with(r, 200, strcmp(sub->status, "confirmed") == 0 ? "unsubscribe" : "unsubscribed",
		     strcmp(sub->status, "confirmed") == 0 ? "Unsubscribe?" : "You are not subscribed",
		     strcmp(sub->status, "confirmed") == 0
			     ? mh_arena_printf(r->a, "%s will receive no more newsletters once you press the button.",
					       sub->email)
			     : mh_arena_printf(r->a, "%s receives no newsletters.", sub->email),
		     NULL, NULL, mh_arena_strndup(r->a, tok.ptr, tok.len));
		return;
	}
	if (strcmp(sub->status, "confirmed") == 0 || strcmp(sub->status, "pending") == 0)
		rc = mh_store_subscriber_set_status(r->store, sub->id, "unsubscribed");
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	page(r, 200, "unsubscribed", "You are unsubscribed",
	     mh_arena_printf(r->a, "%s will receive no more newsletters.", sub->email), NULL, NULL);
}
