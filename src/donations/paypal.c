/*
 * donations/paypal.c: PayPal, Orders v2 (developer.paypal.com/docs/api/orders/v2/):
 * an OAuth token from client id and secret, an order with intent CAPTURE
 * made on the server, the reader sent to its approve link, the payment
 * captured when the reader comes back. Webhooks are checked by PayPal
 * itself: POST /v1/notifications/verify-webhook-signature answers SUCCESS
 * or FAILURE for the headers and body we were sent. PayPal takes one-time
 * gifts here; monthly ones go through Stripe (the form says so).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "donations/donations.h"

#define TOLERANCE_S 300

static bool configured(const struct mh_donations_settings *set)
{
	return set->paypal_client_id != NULL && set->paypal_client_id[0] != '\0' && set->paypal_client_secret != NULL &&
	       set->paypal_client_secret[0] != '\0';
}

static const char *redirect_origin(const struct mh_donations_settings *set)
{
	return set->paypal_approve_origin;
}

static enum mh_donation_rc call_json(const struct mh_donations_settings *set, struct mh_arena *a,
				     struct mh_donation_http *q, json_t **out, long *status, struct mh_buf *why)
{
	struct mh_str answer;
	q->timeout_s = set->timeout_s;
	enum mh_donation_rc rc = mh_donation_http(a, q, status, &answer, why);
	json_error_t err;
	*out = json_loadb(answer.ptr, answer.len, 0, &err);
	if (rc == MH_DONATION_OK && *out == NULL) {
		mh_buf_append_c(why, "PayPal's answer is not JSON");
		rc = MH_DONATION_UNAVAILABLE;
	}
	return rc;
}

/* A fresh access token (client credentials), in a. */
static enum mh_donation_rc token(const struct mh_donations_settings *set, struct mh_arena *a, const char **tok,
				 struct mh_buf *why)
{
	struct mh_donation_http q = {
		.method = "POST",
		.url = MH_ARENA_CONCAT(a, set->paypal_api_base, "/v1/oauth2/token"),
		.content_type = "application/x-www-form-urlencoded",
		.body = MH_STR("grant_type=client_credentials"),
		.user = set->paypal_client_id,
		.pass = set->paypal_client_secret,
	};
	json_t *j = NULL;
	long status = 0;
	enum mh_donation_rc rc = call_json(set, a, &q, &j, &status, why);
	const char *t = json_string_value(json_object_get(j, "access_token"));
	if (rc == MH_DONATION_OK && t == NULL) {
		mh_buf_append_c(why, "PayPal's token answer has no access_token");
		rc = MH_DONATION_UNAVAILABLE;
	}
	if (rc == MH_DONATION_OK)
		*tok = mh_arena_strdup(a, t);
	json_decref(j);
	return rc;
}

static enum mh_donation_rc checkout(const struct mh_donations_settings *set, struct mh_arena *a,
				    const struct mh_donation_order *o, const char **ref, const char **url,
				    struct mh_buf *why)
{
	if (o->monthly) {
		mh_buf_append_c(why, "monthly gifts are not taken through PayPal");
		return MH_DONATION_REFUSED;
	}
	const char *tok = NULL;
	enum mh_donation_rc rc = token(set, a, &tok, why);
	if (rc != MH_DONATION_OK)
		return rc;
	struct mh_buf value = MH_BUF_INIT;
	mh_donation_amount_format(&value, o->amount);
	if (o->amount % 100 == 0)
		mh_buf_append_c(&value, ".00");
	json_t *req = json_pack("{s:s, s:[{s:{s:s, s:s}, s:s}], s:{s:s, s:s, s:s, s:s}}", "intent", "CAPTURE",
				"purchase_units", "amount", "currency_code", o->currency, "value", mh_buf_cstr(&value),
				"description", o->description, "application_context", "return_url", o->return_url,
				"cancel_url", o->cancel_url, "shipping_preference", "NO_SHIPPING", "user_action",
				"PAY_NOW");
	mh_buf_free(&value);
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	struct mh_donation_http q = {
		.method = "POST",
		.url = MH_ARENA_CONCAT(a, set->paypal_api_base, "/v2/checkout/orders"),
		.content_type = "application/json",
		.body = mh_str_c(body),
		.bearer = tok,
	};
	json_t *j = NULL;
	long status = 0;
	rc = call_json(set, a, &q, &j, &status, why);
	free(body);
	if (rc == MH_DONATION_OK) {
		const char *id = json_string_value(json_object_get(j, "id")), *approve = NULL;
		json_t *links = json_object_get(j, "links"), *l;
		size_t i;
		json_array_foreach(links, i, l)
		{
			const char *rel = json_string_value(json_object_get(l, "rel"));
			if (rel != NULL && (strcmp(rel, "approve") == 0 || strcmp(rel, "payer-action") == 0))
				approve = json_string_value(json_object_get(l, "href"));
		}
		size_t on = strlen(set->paypal_approve_origin);
		if (id == NULL || id[0] == '\0' || approve == NULL) {
			mh_buf_append_c(why, "PayPal's order has no id or approve link");
			rc = MH_DONATION_UNAVAILABLE;
		} else if (strncmp(approve, set->paypal_approve_origin, on) != 0 || approve[on] != '/') {
			mh_buf_append_c(why, "PayPal's approve link is not under [paypal] approve_origin");
			rc = MH_DONATION_REFUSED;
		} else {
			*ref = mh_arena_strdup(a, id);
			*url = mh_arena_strdup(a, approve);
		}
	}
	json_decref(j);
	return rc;
}

static enum mh_donation_rc capture(const struct mh_donations_settings *set, struct mh_arena *a, const char *ref,
				   const char **st, struct mh_buf *why)
{
	*st = NULL;
	const char *tok = NULL;
	enum mh_donation_rc rc = token(set, a, &tok, why);
	if (rc != MH_DONATION_OK)
		return rc;
	struct mh_buf path = MH_BUF_INIT;
	mh_buf_append_c(&path, set->paypal_api_base);
	mh_buf_append_c(&path, "/v2/checkout/orders/");
	mh_escape_url(&path, mh_str_c(ref));
	mh_buf_append_c(&path, "/capture");
	struct mh_donation_http q = {
		.method = "POST",
		.url = mh_arena_strdup(a, mh_buf_cstr(&path)),
		.content_type = "application/json",
		.body = MH_STR("{}"),
		.bearer = tok,
		/* a second capture of the same order (a reload of the
		 * return page) is the same request to PayPal */
		.idempotency = MH_ARENA_CONCAT(a, "masthead-capture-", ref),
		.idempotency_header = "PayPal-Request-Id",
	};
	mh_buf_free(&path);
	json_t *j = NULL;
	long status = 0;
	rc = call_json(set, a, &q, &j, &status, why);
	const char *order_status = json_string_value(json_object_get(j, "status"));
	if (rc == MH_DONATION_REFUSED && status == 422) {
		/* ORDER_NOT_APPROVED: the reader came back without approving;
		 * ORDER_ALREADY_CAPTURED: an earlier return took it */
		const char *issue = json_string_value(
			json_object_get(json_array_get(json_object_get(j, "details"), 0), "issue"));
		rc = MH_DONATION_OK;
		if (issue != NULL && strcmp(issue, "ORDER_ALREADY_CAPTURED") == 0)
			*st = MH_DONATION_PAID;
	} else if (rc == MH_DONATION_OK) {
		json_t *cap = json_array_get(
			json_object_get(json_object_get(json_array_get(json_object_get(j, "purchase_units"), 0),
							"payments"),
					"captures"),
			0);
		const char *cs = json_string_value(json_object_get(cap, "status"));
		if (order_status != NULL && strcmp(order_status, "COMPLETED") == 0 && cs != NULL &&
		    strcmp(cs, "COMPLETED") == 0)
			*st = MH_DONATION_PAID;
		else if (cs != NULL && (strcmp(cs, "DECLINED") == 0 || strcmp(cs, "FAILED") == 0))
			*st = MH_DONATION_FAILED;
		/* PENDING: the webhook says when it completes */
	}
	json_decref(j);
	return rc;
}

static enum mh_donation_rc verify(const struct mh_donations_settings *set, struct mh_arena *a,
				  const struct mh_donation_headers *h, struct mh_str body, int64_t now, struct mh_buf *why)
{
	static const char *const names[] = { "paypal-auth-algo", "paypal-cert-url", "paypal-transmission-id",
					     "paypal-transmission-sig", "paypal-transmission-time" };
	static const char *const keys[] = { "auth_algo", "cert_url", "transmission_id", "transmission_sig",
					    "transmission_time" };
	struct mh_str v[5];
	for (size_t i = 0; i < 5; i++) {
		v[i] = h->get(h->ctx, names[i]);
		if (v[i].len == 0) {
			mh_buf_printf(why, "the %s header is missing", names[i]);
			return MH_DONATION_BAD;
		}
	}
	int64_t sent = 0;
	if (!mh_time_parse(v[4], &sent) || sent < now - TOLERANCE_S || sent > now + TOLERANCE_S) {
		mh_buf_append_c(why, "the transmission time is malformed or outside the 300-second tolerance");
		return MH_DONATION_BAD;
	}
	if (set->paypal_webhook_id == NULL || set->paypal_webhook_id[0] == '\0') {
		mh_buf_append_c(why, "no [paypal] webhook_id is set");
		return MH_DONATION_BAD;
	}
	json_error_t err;
	json_t *ev = json_loadb(body.ptr, body.len, 0, &err);
	if (!json_is_object(ev)) {
		json_decref(ev);
		mh_buf_append_c(why, "the body is not a JSON object");
		return MH_DONATION_BAD;
	}
	json_decref(ev);
	/* the event goes back byte for byte: PayPal checks the signature over
	 * what it sent */
	struct mh_buf q_body = MH_BUF_INIT;
	mh_buf_append_ch(&q_body, '{');
	for (size_t i = 0; i < 5; i++) {
		mh_buf_printf(&q_body, "\"%s\":\"", keys[i]);
		mh_escape_json(&q_body, v[i]);
		mh_buf_append_c(&q_body, "\",");
	}
	mh_buf_append_c(&q_body, "\"webhook_id\":\"");
	mh_escape_json(&q_body, mh_str_c(set->paypal_webhook_id));
	mh_buf_append_c(&q_body, "\",\"webhook_event\":");
	mh_buf_append_str(&q_body, body);
	mh_buf_append_ch(&q_body, '}');
	const char *tok = NULL;
	enum mh_donation_rc rc = token(set, a, &tok, why);
	json_t *j = NULL;
	if (rc == MH_DONATION_OK) {
		struct mh_donation_http q = {
			.method = "POST",
			.url = MH_ARENA_CONCAT(a, set->paypal_api_base, "/v1/notifications/verify-webhook-signature"),
			.content_type = "application/json",
			.body = mh_buf_str(&q_body),
			.bearer = tok,
		};
		long status = 0;
		rc = call_json(set, a, &q, &j, &status, why);
	}
	mh_buf_free(&q_body);
	if (rc == MH_DONATION_OK) {
		const char *vs = json_string_value(json_object_get(j, "verification_status"));
		if (vs == NULL || strcmp(vs, "SUCCESS") != 0) {
			mh_buf_append_c(why, "PayPal did not verify the signature");
			rc = MH_DONATION_BAD;
		}
	}
	json_decref(j);
	return rc;
}

static enum mh_donation_rc parse(struct mh_arena *a, struct mh_str body, struct mh_donation_event *ev,
				 struct mh_buf *why)
{
	memset(ev, 0, sizeof *ev);
	json_error_t err;
	json_t *root = json_loadb(body.ptr, body.len, 0, &err);
	json_t *res = json_object_get(root, "resource");
	const char *id = json_string_value(json_object_get(root, "id"));
	const char *type = json_string_value(json_object_get(root, "event_type"));
	const char *order = json_string_value(
		json_object_get(json_object_get(json_object_get(res, "supplementary_data"), "related_ids"), "order_id"));
	enum mh_donation_rc rc = MH_DONATION_OK;
	if (id == NULL || type == NULL) {
		mh_buf_append_c(why, "not a PayPal event (no id or event_type)");
		rc = MH_DONATION_UNKNOWN;
	} else if (strcmp(type, "PAYMENT.CAPTURE.COMPLETED") == 0 && order != NULL) {
		ev->status = MH_DONATION_PAID;
	} else if ((strcmp(type, "PAYMENT.CAPTURE.DENIED") == 0 || strcmp(type, "PAYMENT.CAPTURE.DECLINED") == 0) &&
		   order != NULL) {
		ev->status = MH_DONATION_FAILED;
	} else if (strcmp(type, "CHECKOUT.ORDER.VOIDED") == 0) {
		order = json_string_value(json_object_get(res, "id"));
		ev->status = MH_DONATION_CANCELLED;
	} else {
		mh_buf_append_c(why, "an event type this site does not act on");
		rc = MH_DONATION_UNKNOWN;
	}
	if (rc == MH_DONATION_OK && order == NULL) {
		mh_buf_append_c(why, "the event names no order");
		rc = MH_DONATION_UNKNOWN;
	}
	if (rc == MH_DONATION_OK) {
		ev->id = mh_arena_strdup(a, id);
		ev->ref = mh_arena_strdup(a, order);
		const char *email = json_string_value(json_object_get(json_object_get(res, "payer"), "email_address"));
		ev->email = email != NULL ? mh_arena_strdup(a, email) : NULL;
	}
	json_decref(root);
	return rc;
}

const struct mh_donation_provider mh_donation_paypal = {
	.name = "paypal",
	.label = "PayPal",
	.monthly = false,
	.configured = configured,
	.redirect_origin = redirect_origin,
	.checkout = checkout,
	.capture = capture,
	.verify = verify,
	.parse = parse,
};
