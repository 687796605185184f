/*
 * site/donations.c: readers' gifts (issue 10). The donation box on every
 * public page (slots.donations, slots.donations_after on articles), /donate,
 * the form's POST that sends the reader to PayPal or Stripe, the reader's
 * return and cancel, the status and thank-you page, and the providers'
 * webhooks. The ledger is the store's; only a verified capture (PayPal, on
 * return) or a verified webhook marks a gift paid.
 *
 * CSRF on a cached page: the box is served from the page cache to everyone,
 * so it cannot carry a session's token. It carries a signed timestamp
 * instead (mh_auth_sign under a site secret every node shares, good for
 * FORM_TTL), and the browser's Sec-Fetch-Site and Origin must say this
 * site. A form left open past FORM_TTL is shown again, filled in, with a
 * fresh token.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "donations/donations.h"
#include "site/site.h"

#define FORM_TTL (7 * 86400) /* longer than any cached page lives unchanged in practice */
#define RECENT_N 100

struct mh_site_donations {
	const struct mh_donations_settings *set; /* NULL: no donations */
	char *csp;                               /* the pages' CSP with the providers in form-action */
	pthread_mutex_t mu;
	atomic_bool key_ready;
	struct mh_auth_key key;
};

struct mh_site_donations *mh_site_donations_new(const struct mh_donations_settings *set, const char *base_csp)
{
	struct mh_site_donations *d = calloc(1, sizeof *d);
	MH_ASSERT(d != NULL);
	d->set = set;
	pthread_mutex_init(&d->mu, NULL);
	/* Chrome applies form-action to the redirect after a POST as well:
	 * the box's redirect to the provider must be allowed on every page
	 * that shows it */
	struct mh_buf b = MH_BUF_INIT;
	const char *fa = strstr(base_csp, "form-action 'self'");
	if (set != NULL && set->enabled && fa != NULL) {
		size_t at = (size_t)(fa - base_csp) + strlen("form-action 'self'");
		mh_buf_append(&b, base_csp, at);
		for (size_t i = 0; mh_donation_providers[i] != NULL; i++)
			if (mh_donation_providers[i]->configured(set))
				mh_buf_printf(&b, " %s", mh_donation_providers[i]->redirect_origin(set));
		mh_buf_append_c(&b, base_csp + at);
	} else {
		mh_buf_append_c(&b, base_csp);
	}
	d->csp = strdup(mh_buf_cstr(&b));
	MH_ASSERT(d->csp != NULL);
	mh_buf_free(&b);
	return d;
}

void mh_site_donations_free(struct mh_site_donations *d)
{
	if (d == NULL)
		return;
	pthread_mutex_destroy(&d->mu);
	free(d->csp);
	free(d);
}

const char *mh_site_donations_csp(const struct mh_site_donations *d)
{
	return d->csp;
}

static struct mh_site_donations *state(struct mh_site_req *r)
{
	return mh_site_donations(r->site);
}

/* Whether the box is offered: enabled, with a provider that has its keys. */
static bool offered(const struct mh_donations_settings *set)
{
	if (set == NULL || !set->enabled)
		return false;
	for (size_t i = 0; mh_donation_providers[i] != NULL; i++)
		if (mh_donation_providers[i]->configured(set))
			return true;
	return false;
}

/* The key of the form's tokens, shared by every node (site_secrets),
 * loaded once per process; NULL while the database does not answer. It is
 * read over a connection of its own: the first page to need it is in the
 * middle of its read snapshot, where the secret's first insert does not
 * belong. */
static const struct mh_auth_key *form_key(struct mh_site_req *r)
{
	struct mh_site_donations *d = state(r);
	if (atomic_load(&d->key_ready))
		return &d->key;
	pthread_mutex_lock(&d->mu);
	if (!atomic_load(&d->key_ready)) {
		struct mh_buf candidate = MH_BUF_INIT, hex = MH_BUF_INIT, err = MH_BUF_INIT;
		struct mh_store *st = NULL;
		mh_auth_key_generate_hex(&candidate);
		if (mh_site_store_open(r->site, &st, &err) == MH_OK &&
		    mh_store_site_secret(st, "donations_key", mh_buf_cstr(&candidate), &hex) == MH_OK &&
		    mh_auth_key_from_hex(mh_buf_str(&hex), &d->key))
			atomic_store(&d->key_ready, true);
		else
			mh_log(MH_LOG_ERROR, "donations: the site secret could not be read from the database");
		if (st != NULL)
			mh_store_close(st);
		mh_buf_free(&candidate);
		mh_buf_free(&hex);
		mh_buf_free(&err);
	}
	pthread_mutex_unlock(&d->mu);
	return atomic_load(&d->key_ready) ? &d->key : NULL;
}

/* ---- the box ---- */

/* What the reader sent, to fill the form again after an error. */
struct form_values {
	const char *amount, *currency, *provider, *email;
	bool monthly;
	const char *error;
};

static const char *money(struct mh_arena *a, int64_t minor, const char *currency)
{
	struct mh_buf b = MH_BUF_INIT;
	const char *sign = mh_donation_currency_sign(currency);
	bool code = strcmp(sign, currency) == 0;
	if (!code)
		mh_buf_append_c(&b, sign);
	mh_donation_amount_format(&b, minor);
	if (code)
		mh_buf_printf(&b, " %s", currency);
	const char *s = mh_arena_strndup(a, b.ptr, b.len);
	mh_buf_free(&b);
	return s;
}

static const struct mh_donation_provider *first_provider(const struct mh_donations_settings *set, bool monthly)
{
	for (size_t i = 0; mh_donation_providers[i] != NULL; i++)
		if (mh_donation_providers[i]->configured(set) && (!monthly || mh_donation_providers[i]->monthly))
			return mh_donation_providers[i];
	return NULL;
}

/* The box's context: {id, token, amounts, currencies, providers, monthly,
 * monthly_note, quick, error, amount, email} (themes/default/donate.mustache).
 * NULL when the token cannot be made (the database is down). */
static struct mh_val *box(struct mh_site_req *r, const char *id, const char *title, const struct form_values *fv)
{
	const struct mh_donations_settings *set = state(r)->set;
	const struct mh_auth_key *key = form_key(r);
	if (key == NULL)
		return NULL;
	struct mh_arena *a = r->a;
	struct mh_val *m = mh_val_map(a);
	mh_val_set_cstr(a, m, "id", id);
	mh_val_set_cstr(a, m, "title", title);
	struct mh_buf tok = MH_BUF_INIT;
	mh_auth_sign(key, "donate", MH_STR("form"), mh_time_now() + FORM_TTL, &tok);
	mh_val_set_cstr(a, m, "token", mh_arena_strndup(a, tok.ptr, tok.len));
	mh_buf_free(&tok);
	const char *cur = fv != NULL && fv->currency != NULL ? fv->currency : NULL;

	struct mh_val *amounts = mh_val_list(a);
	int n = 0;
	for (const char *p = set->amounts; *p != '\0'; n++) {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		struct mh_val *it = mh_val_map(a);
		mh_val_set_cstr(a, it, "value", mh_arena_strndup(a, p, len));
		mh_val_set_cstr(a, it, "n", mh_arena_printf(a, "%d", n));
		/* the second preset is the suggestion (the first without a second) */
		bool checked = (fv == NULL || fv->amount == NULL || fv->amount[0] == '\0') && n == 1;
		mh_val_set_bool(a, it, "checked", checked || (n == 0 && strchr(set->amounts, ',') == NULL));
		mh_val_push(a, amounts, it);
		p += len + (end != NULL);
	}
	mh_val_set(a, m, "amounts", amounts);
	struct mh_val *curs = mh_val_list(a);
	for (const char *p = set->currencies; *p != '\0'; p += (p[3] == ',' ? 4 : 3)) {
		struct mh_val *it = mh_val_map(a);
		const char *code = mh_arena_strndup(a, p, 3);
		mh_val_set_cstr(a, it, "code", code);
		mh_val_set_bool(a, it, "selected", cur != NULL && strcmp(cur, code) == 0);
		mh_val_push(a, curs, it);
	}
	mh_val_set(a, m, "currencies", curs);

	struct mh_val *provs = mh_val_list(a);
	const struct mh_donation_provider *monthly_by = first_provider(set, true), *dflt = first_provider(set, false);
	size_t np = 0;
	for (size_t i = 0; mh_donation_providers[i] != NULL; i++) {
		const struct mh_donation_provider *p = mh_donation_providers[i];
		if (!p->configured(set))
			continue;
		struct mh_val *it = mh_val_map(a);
		mh_val_set_cstr(a, it, "name", p->name);
		mh_val_set_cstr(a, it, "label", p->label);
		bool chosen = fv != NULL && fv->provider != NULL ? strcmp(fv->provider, p->name) == 0 : p == dflt;
		mh_val_set_bool(a, it, "checked", chosen);
		mh_val_push(a, provs, it);
		np++;
	}
	mh_val_set(a, m, "providers", provs);
	mh_val_set_bool(a, m, "choice", np > 1);
	if (np == 1)
		mh_val_set_cstr(a, m, "provider", dflt->name);
	mh_val_set_bool(a, m, "monthly", monthly_by != NULL);
	mh_val_set_bool(a, m, "monthly_checked", fv != NULL && fv->monthly);
	if (monthly_by != NULL && np > 1)
		mh_val_set_cstr(a, m, "monthly_note",
				mh_arena_printf(a, "Monthly gifts are taken by card through %s.", monthly_by->label));

	struct mh_val *q = mh_val_map(a);
	mh_val_set_cstr(a, q, "amount", mh_arena_printf(a, "%d", set->quick_amount));
	mh_val_set_cstr(a, q, "currency", set->quick_currency);
	mh_val_set_cstr(a, q, "provider", dflt->name);
	mh_val_set_cstr(a, q, "label", money(a, (int64_t)set->quick_amount * 100, set->quick_currency));
	mh_val_set(a, m, "quick", q);
	if (fv != NULL) {
		mh_val_set_cstr(a, m, "error", fv->error);
		mh_val_set_cstr(a, m, "amount", fv->amount);
		mh_val_set_cstr(a, m, "email", fv->email);
	}
	return m;
}

static bool on_donate_pages(struct mh_site_req *r)
{
	return mh_str_has_prefix(r->http->path, "/donate");
}

void mh_site_donations_slot(struct mh_site_req *r, struct mh_val *slots)
{
	struct mh_site_donations *d = state(r);
	if (slots == NULL || d == NULL || !offered(d->set) || on_donate_pages(r))
		return;
	struct mh_val *side = box(r, "donate-side", "Support independent journalism", NULL);
	if (side == NULL)
		return; /* the database is down: the page goes without the box */
	mh_val_set(r->a, slots, "donations", side);
	mh_val_set(r->a, slots, "donations_after", box(r, "donate-after", "Liked this article? Support our reporting", NULL));
}

/* A gift has just become paid (once, on one node: the store says so). The
 * receipt mail hook: the optional receipt to d->email goes out from here
 * once the outgoing mail of the newsletter (src/mail/) has landed; until
 * then only a log line without personal data. */
static void became_paid_hook(const struct mh_donation *d)
{
	mh_log(MH_LOG_INFO, "donation %lld paid through %s", (long long)d->id, d->provider);
}

/* ---- pages ---- */

static void page_headers(struct mh_site_req *r)
{
	mh_response_header_c(r->http, "content-security-policy", state(r)->csp);
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "x-robots-tag", "noindex");
}

/* A themed page (donate-page.mustache) with what fill puts in r->ctx. */
static void send_page(struct mh_site_req *r, int status, const char *title, struct mh_val *form,
		      struct mh_val *st)
{
	struct mh_arena *a = r->a;
	page_headers(r);
	enum mh_store_rc rc = MH_OK;
	if (r->store == NULL)
		r->store = mh_site_store(r);
	bool reading = false;
	if (r->store != NULL && mh_store_read_begin(r->store) == MH_OK) {
		reading = true;
		rc = mh_store_sections(r->store, a, &r->sections, &r->n_sections);
	}
	if (!reading || rc != MH_OK) {
		r->sections = NULL;
		r->n_sections = 0;
	}
	mh_site_view_common(r, "donate", title, NULL, "/donate", NULL);
	if (form != NULL)
		mh_val_set(a, r->ctx, "form", form);
	if (st != NULL)
		mh_val_set(a, r->ctx, "state", st);
	rc = mh_site_render(r, "donate-page");
	if (reading)
		mh_store_read_end(r->store);
	if (rc != MH_OK) {
		mh_response_error(r->http, 500, "The donation page could not be made. The error is logged.");
		return;
	}
	mh_response_send(r->http, status, "text/html; charset=utf-8", mh_buf_str(&r->body));
}

/* A state: {name, title, message, donation?, check_url?, again_url?}. */
static struct mh_val *state_val(struct mh_site_req *r, const char *name, const char *title, const char *message)
{
	struct mh_val *s = mh_val_map(r->a);
	mh_val_set_cstr(r->a, s, "name", name);
	mh_val_set_cstr(r->a, s, "title", title);
	mh_val_set_cstr(r->a, s, "message", message);
	mh_val_set_bool(r->a, s, name, true);
	return s;
}

static void send_state(struct mh_site_req *r, int status, const char *name, const char *title, const char *message)
{
	struct mh_val *s = state_val(r, name, title, message);
	if (strcmp(name, "retry") == 0)
		mh_response_header_c(r->http, "retry-after", "30");
	send_page(r, status, title, NULL, s);
}

static void send_form(struct mh_site_req *r, int status, const struct form_values *fv)
{
	struct mh_val *form = box(r, "donate-main", "Support independent journalism", fv);
	if (form == NULL) {
		send_state(r, 503, "retry", "Please try again",
			   "The site's database is not answering right now, so no gift was started. Please try again "
			   "in a minute.");
		return;
	}
	send_page(r, status, fv != NULL && fv->error != NULL ? "Check your gift" : "Support our journalism", form,
		  NULL);
}

/* The browser says the form came from this site (or says nothing: a
 * client that sends neither header still needs the signed token). */
static bool from_this_site(struct mh_site_req *r)
{
	struct mh_str fetch_site = mh_request_header(r->http, "sec-fetch-site");
	if (fetch_site.ptr != NULL && !mh_str_eq_c(fetch_site, "same-origin"))
		return false;
	struct mh_str origin = mh_request_header(r->http, "origin");
	if (origin.ptr == NULL)
		return true;
	const char *base = mh_site_config(r->site)->base_url;
	const char *hs = base != NULL ? strstr(base, "://") : NULL;
	if (hs != NULL) {
		const char *end = strchr(hs + 3, '/');
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

static const char *form_text(struct mh_site_req *r, const char *name)
{
	struct mh_str v;
	if (!mh_request_form(r->http, name, &v))
		return NULL;
	return mh_arena_str(r->a, v).ptr;
}

static bool email_ok(const char *e)
{
	size_t n = strlen(e);
	const char *at = strchr(e, '@');
	if (n > 254 || at == NULL || at == e || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strchr(at + 1, '.') == NULL)
		return false;
	for (const char *p = e; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',')
			return false;
	return true;
}

static void log_provider(const struct mh_donation_provider *p, const char *what, struct mh_buf *why)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_log_sanitize(&b, mh_buf_str(why));
	mh_log(MH_LOG_WARN, "donations: %s %s: %s", p->label, what, mh_buf_cstr(&b));
	mh_buf_free(&b);
}

static void donate_post(struct mh_site_req *r)
{
	const struct mh_donations_settings *set = state(r)->set;
	if (!from_this_site(r)) {
		send_state(r, 403, "refused", "Gift not started",
			   "This form was sent from another site, so nothing was started. Use the donation form on "
			   "this site.");
		return;
	}
	const struct mh_auth_key *key = form_key(r);
	if (key == NULL) {
		send_state(r, 503, "retry", "Please try again",
			   "The site's database is not answering right now, so no gift was started. Please try again "
			   "in a minute.");
		return;
	}
	struct form_values fv = {
		.amount = form_text(r, "amount"),
		.currency = form_text(r, "currency"),
		.provider = form_text(r, "provider"),
		.email = form_text(r, "email"),
	};
	const char *freq = form_text(r, "frequency");
	fv.monthly = freq != NULL && strcmp(freq, "monthly") == 0;
	struct mh_str tok = MH_STR_NULL, value;
	int64_t expires = 0;
	mh_request_form(r->http, "token", &tok);
	enum mh_auth_signed sg = mh_auth_verify(key, "donate", tok, mh_time_now(), &value, &expires);
	if (sg == MH_SIGNED_BAD) {
		send_state(r, 403, "refused", "Gift not started",
			   "This form's security token is missing or wrong, so nothing was started. Open the "
			   "donation form again and press Donate.");
		return;
	}
	if (sg == MH_SIGNED_EXPIRED) {
		fv.error = "This form was open for a long time. Check your gift and press Donate again.";
		send_form(r, 400, &fv);
		return;
	}
	/* the preset's radio, unless an amount was typed */
	const char *amount = fv.amount;
	if (amount == NULL || amount[0] == '\0')
		amount = form_text(r, "preset");
	int64_t minor = 0;
	const char *why = NULL;
	const struct mh_donation_provider *p = mh_donation_provider_find(mh_str_c(fv.provider));
	if (!mh_donation_amount_parse(mh_str_c(amount), set->maximum, &minor, &why)) {
		if (strcmp(why, "That is more than this site takes in one gift.") == 0)
			why = mh_arena_printf(r->a, "The amount can be at most %d.", set->maximum);
		fv.error = why;
	} else if (fv.currency == NULL || !mh_donation_currency_ok(set->currencies, mh_str_c(fv.currency))) {
		struct mh_buf b = MH_BUF_INIT;
		mh_buf_append_c(&b, "Choose one of the currencies offered: ");
		for (const char *c = set->currencies; *c != '\0'; c++)
			mh_buf_append_c(&b, *c == ',' ? ", " : (char[]){ *c, 0 });
		mh_buf_append_ch(&b, '.');
		fv.error = mh_arena_strndup(r->a, b.ptr, b.len);
		mh_buf_free(&b);
		fv.currency = NULL;
	} else if (p == NULL || !p->configured(set)) {
		fv.error = "Choose how to pay.";
		fv.provider = NULL;
	} else if (fv.monthly && !p->monthly) {
		const struct mh_donation_provider *m = first_provider(set, true);
		fv.error = m != NULL ? mh_arena_printf(r->a, "Monthly gifts are taken by card through %s: choose %s, "
							     "or a one-time gift.",
						       m->label, m->label)
				     : "This site takes one-time gifts only.";
	} else if (fv.email != NULL && fv.email[0] != '\0' && !email_ok(fv.email)) {
		fv.error = "That email address does not look right (leave it empty if you want no receipt).";
	}
	if (fv.error != NULL) {
		send_form(r, 400, &fv);
		return;
	}

	char token[MH_TOKEN_CHARS + 1];
	mh_auth_token_new(token);
	const char *base = mh_site_config(r->site)->base_url;
	struct mh_donation_order o = {
		.amount = minor,
		.currency = fv.currency,
		.monthly = fv.monthly,
		.email = fv.email != NULL ? fv.email : "",
		.return_url = MH_ARENA_CONCAT(r->a, base, "/donate/return/", token),
		.cancel_url = MH_ARENA_CONCAT(r->a, base, "/donate/cancel/", token),
		.description = MH_ARENA_CONCAT(r->a, "Donation to ", mh_site_config(r->site)->title),
	};
	const char *ref = NULL, *url = NULL;
	struct mh_buf pwhy = MH_BUF_INIT;
	enum mh_donation_rc prc = p->checkout(set, r->a, &o, &ref, &url, &pwhy);
	if (prc != MH_DONATION_OK) {
		log_provider(p, "checkout failed", &pwhy);
		mh_buf_free(&pwhy);
		send_state(r, prc == MH_DONATION_UNAVAILABLE ? 503 : 502, "retry", "Please try again",
			   mh_arena_printf(r->a,
					   "%s did not answer as it should, so no gift was started and nothing was "
					   "charged. Please try again in a few minutes.",
					   p->label));
		return;
	}
	mh_buf_free(&pwhy);
	struct mh_donation d = {
		.token = token,
		.provider = p->name,
		.provider_ref = ref,
		.amount = minor,
		.currency = fv.currency,
		.monthly = fv.monthly,
		.email = o.email,
	};
	int64_t id = 0;
	struct mh_store *st = mh_site_store(r);
	enum mh_store_rc rc = st != NULL ? mh_store_donation_add(st, &d, &id) : MH_UNAVAILABLE;
	if (rc != MH_OK) {
		/* the provider's checkout is left unpaid: nobody is sent to it */
		send_state(r, 503, "retry", "Please try again",
			   "The site's database is not answering right now, so no gift was started and nothing was "
			   "charged. Please try again in a minute.");
		return;
	}
	/* on the way to the provider */
	page_headers(r);
	mh_response_header_c(r->http, "location", url);
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_printf(&b, "<!doctype html><title>On the way to %s</title><p>Taking you to %s… <a href=\"", p->label,
		      p->label);
	mh_escape_attr(&b, mh_str_c(url));
	mh_buf_append_c(&b, "\">Continue</a></p>");
	mh_response_send(r->http, 303, "text/html; charset=utf-8", mh_buf_str(&b));
	mh_buf_free(&b);
}

void mh_site_donate(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	if (!offered(state(r)->set)) {
		send_state(r, 404, "off", "Donations are not open", "This site does not take donations at the moment.");
		return;
	}
	if (mh_str_eq_c(r->http->method, "POST"))
		donate_post(r);
	else
		send_form(r, 200, NULL);
}

/* The donation a return, cancel or status address names; false when it
 * has answered (404, 503). */
static bool find(struct mh_site_req *r, struct mh_str arg, struct mh_donation *d)
{
	struct mh_store *st = mh_site_store(r);
	r->store = st;
	enum mh_store_rc rc = MH_UNAVAILABLE;
	if (st != NULL && mh_auth_token_valid(arg))
		rc = mh_store_donation_get(st, r->a, mh_arena_str(r->a, arg).ptr, d);
	else if (st != NULL)
		rc = MH_NOT_FOUND;
	if (rc == MH_NOT_FOUND) {
		send_state(r, 404, "unknown", "No such gift", "There is no donation at this address.");
		return false;
	}
	if (rc != MH_OK) {
		send_state(r, 503, "retry", "Please try again",
			   "The site's database is not answering right now. Please reload this page in a minute.");
		return false;
	}
	return true;
}

static void see_status(struct mh_site_req *r, const struct mh_donation *d)
{
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "location", MH_ARENA_CONCAT(r->a, "/donate/status/", d->token));
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", MH_STR("See the donation's status.\n"));
}

void mh_site_donate_return(struct mh_site_req *r, struct mh_str arg)
{
	struct mh_donation d;
	if (!find(r, arg, &d))
		return;
	const struct mh_donation_provider *p = mh_donation_provider_find(mh_str_c(d.provider));
	const struct mh_donations_settings *set = state(r)->set;
	/* coming back is no proof of payment: PayPal's capture answer is */
	if (p != NULL && p->capture != NULL && set != NULL && p->configured(set) &&
	    strcmp(d.status, MH_DONATION_PENDING) == 0) {
		const char *status = NULL;
		struct mh_buf why = MH_BUF_INIT;
		enum mh_donation_rc prc = p->capture(set, r->a, d.provider_ref, &status, &why);
		if (prc != MH_DONATION_OK) {
			log_provider(p, "capture failed", &why);
			mh_buf_free(&why);
			struct mh_val *s = state_val(
				r, "retry", "Please try again",
				mh_arena_printf(r->a,
						"We could not reach %s to confirm your gift, so it is not taken yet. "
						"Please try again in a minute.",
						p->label));
			mh_val_set_cstr(r->a, s, "again_url", MH_ARENA_CONCAT(r->a, "/donate/return/", d.token));
			mh_response_header_c(r->http, "retry-after", "30");
			send_page(r, 503, "Please try again", NULL, s);
			return;
		}
		mh_buf_free(&why);
		bool applied = false, became_paid = false;
		struct mh_donation now;
		if (status != NULL &&
		    mh_store_donation_apply(r->store, r->a, d.provider, NULL, d.provider_ref, status, NULL, NULL,
					    &applied, &became_paid, &now) != MH_OK) {
			send_state(r, 503, "retry", "Please try again",
				   "The site's database is not answering right now. Please reload this page in a "
				   "minute.");
			return;
		}
		if (became_paid)
			became_paid_hook(&now);
	}
	see_status(r, &d);
}

void mh_site_donate_cancel(struct mh_site_req *r, struct mh_str arg)
{
	struct mh_donation d;
	if (!find(r, arg, &d))
		return;
	bool applied = false, became_paid = false;
	if (strcmp(d.status, MH_DONATION_PENDING) == 0 &&
	    mh_store_donation_apply(r->store, r->a, d.provider, NULL, d.provider_ref, MH_DONATION_CANCELLED, NULL,
				    NULL, &applied, &became_paid, NULL) != MH_OK) {
		send_state(r, 503, "retry", "Please try again",
			   "The site's database is not answering right now. Please reload this page in a minute.");
		return;
	}
	see_status(r, &d);
}

void mh_site_donate_status(struct mh_site_req *r, struct mh_str arg)
{
	struct mh_donation d;
	if (!find(r, arg, &d))
		return;
	const struct mh_donation_provider *p = mh_donation_provider_find(mh_str_c(d.provider));
	const char *label = p != NULL ? p->label : d.provider;
	struct mh_val *s;
	const char *title;
	if (strcmp(d.status, MH_DONATION_PAID) == 0) {
		title = "Thank you!";
		s = state_val(r, "confirmed", title,
			      mh_arena_printf(r->a, "Your gift is confirmed. It keeps our reporting free for everyone."));
	} else if (strcmp(d.status, MH_DONATION_CANCELLED) == 0) {
		title = "Donation cancelled";
		s = state_val(r, "cancelled", title, "You cancelled this gift. Nothing was charged.");
	} else if (strcmp(d.status, MH_DONATION_FAILED) == 0) {
		title = "The payment did not go through";
		s = state_val(r, "failed", title,
			      mh_arena_printf(r->a, "%s could not take this payment. Nothing was charged.", label));
	} else {
		title = "Waiting for confirmation";
		s = state_val(r, "waiting", title,
			      mh_arena_printf(r->a,
					      "We are waiting for %s to confirm your gift. This page shows it as soon "
					      "as it does.",
					      label));
		mh_val_set_cstr(r->a, s, "check_url", MH_ARENA_CONCAT(r->a, "/donate/status/", d.token));
	}
	struct mh_val *g = mh_val_map(r->a);
	mh_val_set_cstr(r->a, g, "amount", money(r->a, d.amount, d.currency));
	mh_val_set_cstr(r->a, g, "currency", d.currency);
	mh_val_set_bool(r->a, g, "monthly", d.monthly);
	mh_val_set_cstr(r->a, g, "provider", label);
	mh_val_set(r->a, s, "donation", g);
	send_page(r, 200, title, NULL, s);
}

/* ---- webhooks ---- */

static struct mh_str header_of(void *ctx, const char *lname)
{
	struct mh_str v = mh_request_header(ctx, lname);
	return v.ptr != NULL ? v : MH_STR("");
}

static void webhook_answer(struct mh_site_req *r, int status, const char *error, bool applied)
{
	struct mh_buf b = MH_BUF_INIT;
	if (error != NULL) {
		mh_buf_append_c(&b, "{\"error\":\"");
		mh_escape_json(&b, mh_str_c(error));
		mh_buf_append_c(&b, "\"}");
	} else {
		mh_buf_printf(&b, "{\"received\":true,\"applied\":%s}", applied ? "true" : "false");
	}
	mh_response_header_c(r->http, "cache-control", "no-store");
	if (status == 503)
		mh_response_header_c(r->http, "retry-after", "30");
	mh_response_send(r->http, status, "application/json", mh_buf_str(&b));
	mh_buf_free(&b);
}

void mh_site_donate_webhook(struct mh_site_req *r, struct mh_str arg)
{
	const struct mh_donations_settings *set = state(r)->set;
	const struct mh_donation_provider *p = mh_donation_provider_find(arg);
	if (p == NULL || set == NULL || !p->configured(set)) {
		webhook_answer(r, 404, "No such payment provider here (webhooks are /donate/webhook/paypal and "
				       "/donate/webhook/stripe, for configured providers).",
			       false);
		return;
	}
	struct mh_donation_headers h = { header_of, r->http };
	struct mh_buf why = MH_BUF_INIT;
	enum mh_donation_rc prc = p->verify(set, r->a, &h, r->http->body, mh_time_now(), &why);
	if (prc != MH_DONATION_OK) {
		log_provider(p, "webhook refused", &why);
		webhook_answer(r, prc == MH_DONATION_BAD ? 400 : 503,
			       prc == MH_DONATION_BAD ? mh_arena_printf(r->a, "Not verified: %s.", mh_buf_cstr(&why))
						      : "The provider's verification could not be reached; send it again.",
			       false);
		mh_buf_free(&why);
		return;
	}
	struct mh_donation_event ev;
	prc = p->parse(r->a, r->http->body, &ev, &why);
	if (prc != MH_DONATION_OK) {
		webhook_answer(r, 400, mh_arena_printf(r->a, "Event not acted on: %s.", mh_buf_cstr(&why)), false);
		mh_buf_free(&why);
		return;
	}
	mh_buf_free(&why);
	struct mh_store *st = mh_site_store(r);
	bool applied = false, became_paid = false;
	struct mh_donation got;
	enum mh_store_rc rc = st != NULL ? mh_store_donation_apply(st, r->a, p->name, ev.id, ev.ref, ev.status, ev.sub,
								     ev.email, &applied, &became_paid, &got)
					 : MH_UNAVAILABLE;
	if (rc == MH_NOT_FOUND) {
		webhook_answer(r, 400, "Event not acted on: no donation of this site has that checkout.", false);
		return;
	}
	if (rc != MH_OK) {
		webhook_answer(r, 503, "The site's database is not answering; send it again.", false);
		return;
	}
	if (became_paid)
		became_paid_hook(&got);
	webhook_answer(r, 200, NULL, applied);
}

/* ---- the admin's screen: owners ---- */

static struct mh_val *donation_row(struct mh_site_req *r, const struct mh_donation *d)
{
	struct mh_val *m = mh_val_map(r->a);
	struct mh_buf t = MH_BUF_INIT;
	mh_time_format(&t, d->paid_at != 0 ? d->paid_at : d->created_at, "%Y-%m-%d %H:%M");
	mh_val_set_cstr(r->a, m, "when", mh_arena_strndup(r->a, t.ptr, t.len));
	mh_buf_free(&t);
	mh_val_set_cstr(r->a, m, "amount", money(r->a, d->amount, d->currency));
	mh_val_set_cstr(r->a, m, "currency", d->currency);
	mh_val_set_cstr(r->a, m, "provider", d->provider);
	mh_val_set_cstr(r->a, m, "status", d->status);
	mh_val_set_cstr(r->a, m, "email", d->email);
	mh_val_set_bool(r->a, m, "monthly", d->monthly);
	return m;
}

void mh_site_admin_donations(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_store *st = mh_site_store(r);
	struct mh_donation_total *tot = NULL;
	struct mh_donation *rec = NULL, *recent = NULL;
	size_t nt = 0, nr = 0, nrec = 0;
	enum mh_store_rc rc = st == NULL ? MH_UNAVAILABLE : mh_store_donation_totals(st, r->a, &tot, &nt);
	if (rc == MH_OK)
		rc = mh_store_donation_recurring(st, r->a, &rec, &nr);
	if (rc == MH_OK)
		rc = mh_store_donations_recent(st, r->a, RECENT_N, &recent, &nrec);
	if (rc != MH_OK) {
		mh_site_admin_message(r, 503, "Donations", "The site's database is not answering right now.", "/admin",
				      "Back to the dashboard");
		return;
	}
	struct mh_val *ctx = mh_site_admin_ctx(r, "Donations");
	struct mh_val *totals = mh_val_list(r->a);
	for (size_t i = 0; i < nt; i++) {
		struct mh_val *m = mh_val_map(r->a);
		mh_val_set_cstr(r->a, m, "month", tot[i].month);
		mh_val_set_cstr(r->a, m, "currency", tot[i].currency);
		mh_val_set_int(r->a, m, "count", tot[i].count);
		mh_val_set_cstr(r->a, m, "amount", money(r->a, tot[i].amount, tot[i].currency));
		mh_val_push(r->a, totals, m);
	}
	mh_val_set(r->a, ctx, "totals", totals);
	struct mh_val *donors = mh_val_list(r->a), *list = mh_val_list(r->a);
	for (size_t i = 0; i < nr; i++)
		mh_val_push(r->a, donors, donation_row(r, &rec[i]));
	for (size_t i = 0; i < nrec; i++)
		mh_val_push(r->a, list, donation_row(r, &recent[i]));
	mh_val_set(r->a, ctx, "recurring", donors);
	mh_val_set(r->a, ctx, "recent", list);
	mh_val_set_bool(r->a, ctx, "offered", offered(state(r)->set));
	mh_site_admin_send(r, 200, "donations");
}
