/*
 * donations/settings.c: [donations], [paypal] and [stripe] of site.ini,
 * owned here. The API bases are settings so that tests run against
 * stand-ins on localhost (tests/standins/).
 */
#include <stddef.h>
#include <string.h>

#include "donations/donations.h"

/* "5,10,25,100": whole numbers from 1 to MH_DONATION_MAX, comma-separated */
static bool check_amounts(const char *v, struct mh_buf *why)
{
	int n = 0;
	for (const char *p = v; *p != '\0';) {
		long long x = 0;
		const char *start = p;
		while (*p >= '0' && *p <= '9' && x <= MH_DONATION_MAX)
			x = x * 10 + (*p++ - '0');
		if (p == start || x < 1 || x > MH_DONATION_MAX || (*p != ',' && *p != '\0')) {
			mh_buf_printf(why, "not a list of whole amounts (expected e.g. 5,10,25,100, each 1 to %d)",
				      MH_DONATION_MAX);
			return false;
		}
		n++;
		if (*p == ',')
			p++;
	}
	if (n == 0 || n > 8) {
		mh_buf_append_c(why, "1 to 8 amounts (expected e.g. 5,10,25,100)");
		return false;
	}
	return true;
}

static bool is_code(const char *p)
{
	return p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z' && p[2] >= 'A' && p[2] <= 'Z';
}

/* "USD,EUR,GBP": three-letter upper-case codes */
static bool check_currencies(const char *v, struct mh_buf *why)
{
	size_t len = strlen(v), n = 0;
	for (size_t i = 0; i < len; i += 4, n++)
		if (len - i < 3 || !is_code(v + i) || (v[i + 3] != ',' && v[i + 3] != '\0') ||
		    (v[i + 3] == ',' && i + 4 >= len)) {
			mh_buf_append_c(why, "not a list of currency codes (expected e.g. USD,EUR,GBP)");
			return false;
		}
	if (n == 0 || n > 8) {
		mh_buf_append_c(why, "1 to 8 currencies (expected e.g. USD,EUR,GBP)");
		return false;
	}
	return true;
}

static bool check_currency(const char *v, struct mh_buf *why)
{
	if (strlen(v) != 3 || !is_code(v)) {
		mh_buf_append_c(why, "not a currency code (expected three capitals, e.g. EUR)");
		return false;
	}
	return true;
}

#define F(field) offsetof(struct mh_donations_settings, field)
static const struct mh_setting donation_rows[] = {
	{ .key = "enabled", .type = MH_SETTING_BOOL, .offset = F(enabled), .def = "false",
	  .comment = "show the donation box (sidebar, after articles, /donate) and take gifts;\n"
		     "needs [paypal] or [stripe] keys" },
	{ .key = "amounts", .type = MH_SETTING_TEXT, .offset = F(amounts), .def = "5,10,25,100",
	  .check = check_amounts, .comment = "the preset amounts offered, in whole units of the currency" },
	{ .key = "currencies", .type = MH_SETTING_TEXT, .offset = F(currencies), .def = "USD,EUR,GBP",
	  .check = check_currencies,
	  .comment = "the currencies offered (ISO 4217, two-decimal ones), the first preselected" },
	{ .key = "maximum", .type = MH_SETTING_INT, .offset = F(maximum), .def = "10000", .min = 1,
	  .max = MH_DONATION_MAX, .comment = "the largest gift taken, in whole units" },
	{ .key = "quick_amount", .type = MH_SETTING_INT, .offset = F(quick_amount), .def = "10", .min = 1,
	  .max = MH_DONATION_MAX, .comment = "Quick Donate's fixed amount" },
	{ .key = "quick_currency", .type = MH_SETTING_TEXT, .offset = F(quick_currency), .def = "EUR",
	  .check = check_currency, .comment = "Quick Donate's currency" },
	{ .key = "timeout", .type = MH_SETTING_INT, .offset = F(timeout_s), .def = "10", .min = 1, .max = 60,
	  .comment = "seconds a call to a provider may take (the reader gets a try-again page after)" },
};

static const struct mh_setting paypal_rows[] = {
	{ .key = "api_base", .type = MH_SETTING_URL, .offset = F(paypal_api_base), .def = "https://api-m.paypal.com",
	  .comment = "PayPal's REST API (https://api-m.sandbox.paypal.com for the sandbox)" },
	{ .key = "approve_origin", .type = MH_SETTING_URL, .offset = F(paypal_approve_origin),
	  .def = "https://www.paypal.com",
	  .comment = "where PayPal's approve page is (https://www.sandbox.paypal.com for the sandbox):\n"
		     "the only place the form may send a reader, and the pages' CSP form-action" },
	{ .key = "client_id", .type = MH_SETTING_TEXT, .offset = F(paypal_client_id), .def = "",
	  .flags = MH_SETTING_OPTIONAL, .comment = "the REST app's client id; empty = PayPal not offered" },
	{ .key = "client_secret", .type = MH_SETTING_TEXT, .offset = F(paypal_client_secret), .def = "",
	  .flags = MH_SETTING_OPTIONAL, .comment = "the REST app's secret" },
	{ .key = "webhook_id", .type = MH_SETTING_TEXT, .offset = F(paypal_webhook_id), .def = "",
	  .flags = MH_SETTING_OPTIONAL,
	  .comment = "the id of the webhook pointing at /donate/webhook/paypal (for verify-webhook-signature)" },
};

static const struct mh_setting stripe_rows[] = {
	{ .key = "api_base", .type = MH_SETTING_URL, .offset = F(stripe_api_base), .def = "https://api.stripe.com",
	  .comment = "Stripe's API" },
	{ .key = "checkout_origin", .type = MH_SETTING_URL, .offset = F(stripe_checkout_origin),
	  .def = "https://checkout.stripe.com",
	  .comment = "where Stripe Checkout's pages are: the only place the form may send a reader,\n"
		     "and the pages' CSP form-action" },
	{ .key = "secret_key", .type = MH_SETTING_TEXT, .offset = F(stripe_secret_key), .def = "",
	  .flags = MH_SETTING_OPTIONAL, .comment = "the secret API key (sk_...); empty = Stripe not offered" },
	{ .key = "webhook_secret", .type = MH_SETTING_TEXT, .offset = F(stripe_webhook_secret), .def = "",
	  .flags = MH_SETTING_OPTIONAL,
	  .comment = "the signing secret (whsec_...) of the endpoint /donate/webhook/stripe" },
};
#undef F

const struct mh_settings_table mh_donations_settings_table =
	MH_SETTINGS_TABLE("donations", NULL, donation_rows, struct mh_donations_settings);
const struct mh_settings_table mh_paypal_settings_table =
	MH_SETTINGS_TABLE("paypal", NULL, paypal_rows, struct mh_donations_settings);
const struct mh_settings_table mh_stripe_settings_table =
	MH_SETTINGS_TABLE("stripe", NULL, stripe_rows, struct mh_donations_settings);
