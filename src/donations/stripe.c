/*
 * donations/stripe.c: Stripe, Checkout Sessions (docs.stripe.com/api/checkout/sessions):
 * a session in payment mode (one-time) or subscription mode (monthly, with
 * price_data[recurring]), made form-encoded with the secret key; the reader
 * goes to its url. Confirmation comes by webhook only (there is no capture
 * on return), signed in Stripe-Signature: t=TIMESTAMP,v1=HMAC-SHA256 of
 * "TIMESTAMP.BODY" under the endpoint's secret, within 300 seconds.
 */
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "donations/donations.h"

#define TOLERANCE_S 300

static bool configured(const struct mh_donations_settings *set)
{
	return set->stripe_secret_key != NULL && set->stripe_secret_key[0] != '\0';
}

static const char *redirect_origin(const struct mh_donations_settings *set)
{
	return set->stripe_checkout_origin;
}

static bool under_origin(const char *url, const char *origin)
{
	size_t n = strlen(origin);
	return strncmp(url, origin, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

static enum mh_donation_rc checkout(const struct mh_donations_settings *set, struct mh_arena *a,
				    const struct mh_donation_order *o, const char **ref, const char **url,
				    struct mh_buf *why)
{
	struct mh_buf form = MH_BUF_INIT;
	char cur[4] = { 0 };
	for (int i = 0; i < 3 && o->currency[i] != '\0'; i++)
		cur[i] = (char)tolower((unsigned char)o->currency[i]);
	char amount[24];
	snprintf(amount, sizeof amount, "%lld", (long long)o->amount);
	mh_donation_form_add(&form, "mode", o->monthly ? "subscription" : "payment");
	mh_donation_form_add(&form, "line_items[0][quantity]", "1");
	mh_donation_form_add(&form, "line_items[0][price_data][currency]", cur);
	mh_donation_form_add(&form, "line_items[0][price_data][unit_amount]", amount);
	mh_donation_form_add(&form, "line_items[0][price_data][product_data][name]", o->description);
	if (o->monthly)
		mh_donation_form_add(&form, "line_items[0][price_data][recurring][interval]", "month");
	else
		mh_donation_form_add(&form, "submit_type", "donate");
	/* Stripe puts the session's id where {CHECKOUT_SESSION_ID} stands */
	mh_donation_form_add(&form, "success_url", o->return_url);
	mh_donation_form_add(&form, "cancel_url", o->cancel_url);
	if (o->email != NULL && o->email[0] != '\0')
		mh_donation_form_add(&form, "customer_email", o->email);
	struct mh_donation_http q = {
		.method = "POST",
		.url = MH_ARENA_CONCAT(a, set->stripe_api_base, "/v1/checkout/sessions"),
		.content_type = "application/x-www-form-urlencoded",
		.body = mh_buf_str(&form),
		.bearer = set->stripe_secret_key,
		.timeout_s = set->timeout_s,
	};
	long status = 0;
	struct mh_str answer;
	enum mh_donation_rc rc = mh_donation_http(a, &q, &status, &answer, why);
	mh_buf_free(&form);
	if (rc != MH_DONATION_OK)
		return rc;
	json_error_t err;
	json_t *root = json_loadb(answer.ptr, answer.len, 0, &err);
	const char *id = json_string_value(json_object_get(root, "id"));
	const char *u = json_string_value(json_object_get(root, "url"));
	if (id == NULL || u == NULL || id[0] == '\0') {
		mh_buf_append_c(why, "Stripe's answer has no session id and url");
		rc = MH_DONATION_UNAVAILABLE;
	} else if (!under_origin(u, set->stripe_checkout_origin)) {
		mh_buf_append_c(why, "Stripe's checkout url is not under [stripe] checkout_origin");
		rc = MH_DONATION_REFUSED;
	} else {
		*ref = mh_arena_strdup(a, id);
		*url = mh_arena_strdup(a, u);
	}
	json_decref(root);
	return rc;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool mh_stripe_sig_parse(const char *buf, size_t len, struct mh_stripe_sig *out)
{
	memset(out, 0, sizeof *out);
	bool have_t = false;
	size_t i = 0;
	while (i <= len) {
		size_t start = i;
		while (i < len && buf[i] != ',')
			i++;
		const char *item = buf + start;
		size_t n = i - start;
		i++; /* past the ',' (or the end) */
		while (n > 0 && item[0] == ' ')
			item++, n--;
		while (n > 0 && item[n - 1] == ' ')
			n--;
		const char *eq = memchr(item, '=', n);
		if (eq == NULL)
			return false;
		size_t klen = (size_t)(eq - item), vlen = n - klen - 1;
		const char *v = eq + 1;
		if (klen == 1 && item[0] == 't') {
			if (have_t || vlen == 0 || vlen > 12)
				return false;
			int64_t t = 0;
			for (size_t k = 0; k < vlen; k++) {
				if (v[k] < '0' || v[k] > '9')
					return false;
				t = t * 10 + (v[k] - '0');
			}
			out->t = t;
			have_t = true;
		} else if (klen == 2 && item[0] == 'v' && item[1] == '1') {
			if (vlen != 64 || out->n == MH_STRIPE_SIG_MAX)
				return false;
			for (size_t k = 0; k < 32; k++) {
				int hi = hexval(v[2 * k]), lo = hexval(v[2 * k + 1]);
				if (hi < 0 || lo < 0)
					return false;
				out->v1[out->n][k] = (unsigned char)(hi << 4 | lo);
			}
			out->n++;
		} else if (klen == 0) {
			return false;
		} /* another scheme (v0, a future one): not ours to check */
	}
	return have_t && out->n > 0;
}

enum mh_donation_rc mh_stripe_sig_verify(struct mh_str header, struct mh_str body, const char *secret, int64_t now,
					 int64_t tolerance, struct mh_buf *why)
{
	struct mh_stripe_sig sig;
	if (secret == NULL || secret[0] == '\0') {
		mh_buf_append_c(why, "no [stripe] webhook_secret is set");
		return MH_DONATION_BAD;
	}
	if (!mh_stripe_sig_parse(header.ptr, header.len, &sig)) {
		mh_buf_append_c(why, "the Stripe-Signature header is missing or malformed");
		return MH_DONATION_BAD;
	}
	if (sig.t < now - tolerance || sig.t > now + tolerance) {
		mh_buf_append_c(why, "the signature's timestamp is outside the 300-second tolerance");
		return MH_DONATION_BAD;
	}
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char ts[24];
	int n = snprintf(ts, sizeof ts, "%lld.", (long long)sig.t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body.ptr, body.len);
	crypto_auth_hmacsha256_final(&st, mac);
	bool ok = false;
	for (size_t i = 0; i < sig.n; i++)
		ok |= sodium_memcmp(mac, sig.v1[i], sizeof mac) == 0;
	if (!ok) {
		mh_buf_append_c(why, "no v1 signature matches the body");
		return MH_DONATION_BAD;
	}
	return MH_DONATION_OK;
}

static enum mh_donation_rc verify(const struct mh_donations_settings *set, struct mh_arena *a,
				  const struct mh_donation_headers *h, struct mh_str body, int64_t now, struct mh_buf *why)
{
	(void)a;
	return mh_stripe_sig_verify(h->get(h->ctx, "stripe-signature"), body, set->stripe_webhook_secret, now,
				    TOLERANCE_S, why);
}

static const char *str_at(struct mh_arena *a, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? mh_arena_strdup(a, s) : NULL;
}

static enum mh_donation_rc parse(struct mh_arena *a, struct mh_str body, struct mh_donation_event *ev,
				 struct mh_buf *why)
{
	memset(ev, 0, sizeof *ev);
	json_error_t err;
	json_t *root = json_loadb(body.ptr, body.len, 0, &err);
	json_t *obj = json_object_get(json_object_get(root, "data"), "object");
	const char *type = json_string_value(json_object_get(root, "type"));
	enum mh_donation_rc rc = MH_DONATION_OK;
	ev->id = str_at(a, root, "id");
	ev->ref = str_at(a, obj, "id");
	if (type == NULL || ev->id == NULL || ev->ref == NULL ||
	    !mh_str_eq_c(mh_str_c(json_string_value(json_object_get(obj, "object"))), "checkout.session")) {
		mh_buf_append_c(why, "not a Checkout Session event (no id, type or data.object)");
		rc = MH_DONATION_UNKNOWN;
		goto out;
	}
	ev->sub = str_at(a, obj, "subscription");
	ev->email = str_at(a, json_object_get(obj, "customer_details"), "email");
	const char *paid = json_string_value(json_object_get(obj, "payment_status"));
	if (strcmp(type, "checkout.session.completed") == 0)
		/* a payment method that settles later stays pending until
		 * async_payment_succeeded */
		ev->status = paid != NULL && strcmp(paid, "paid") == 0 ? MH_DONATION_PAID : MH_DONATION_PENDING;
	else if (strcmp(type, "checkout.session.async_payment_succeeded") == 0)
		ev->status = MH_DONATION_PAID;
	else if (strcmp(type, "checkout.session.async_payment_failed") == 0)
		ev->status = MH_DONATION_FAILED;
	else if (strcmp(type, "checkout.session.expired") == 0)
		ev->status = MH_DONATION_CANCELLED;
	else {
		mh_buf_append_c(why, "an event type this site does not act on");
		rc = MH_DONATION_UNKNOWN;
	}
out:
	json_decref(root);
	return rc;
}

const struct mh_donation_provider mh_donation_stripe = {
	.name = "stripe",
	.label = "Stripe",
	.monthly = true,
	.configured = configured,
	.redirect_origin = redirect_origin,
	.checkout = checkout,
	.capture = NULL,
	.verify = verify,
	.parse = parse,
};
