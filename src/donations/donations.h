/*
 * donations: readers' gifts through payment providers (issue 10). The
 * [donations], [paypal] and [stripe] sections of site.ini, the form's rules
 * (amounts in minor units, the currencies offered), and the providers behind
 * one interface (provider.h): no card number ever reaches this server.
 * Memory: strings the providers hand back live in the caller's arena;
 * settings belong to the config that loaded them. Uses util/ alone (and
 * libcurl, jansson and libsodium), so its parsers are fuzzable on their own.
 */
#ifndef MH_DONATIONS_H
#define MH_DONATIONS_H

#include "util/util.h"

/* [donations], [paypal] and [stripe] (settings.c): one struct, three
 * sections, every field a row there. */
struct mh_donations_settings {
	bool enabled;
	const char *amounts;        /* preset amounts in major units: "5,10,25,100" */
	const char *currencies;     /* ISO 4217 codes: "USD,EUR,GBP" (the first is the default) */
	int maximum;                /* the largest gift, in major units */
	int quick_amount;           /* Quick Donate's fixed gift, major units */
	const char *quick_currency; /* and its currency */
	int timeout_s;              /* a provider call's whole time, connect included */
	/* [paypal] */
	const char *paypal_api_base, *paypal_approve_origin;
	const char *paypal_client_id, *paypal_client_secret, *paypal_webhook_id;
	/* [stripe] */
	const char *stripe_api_base, *stripe_checkout_origin;
	const char *stripe_secret_key, *stripe_webhook_secret;
};
extern const struct mh_settings_table mh_donations_settings_table; /* [donations] */
extern const struct mh_settings_table mh_paypal_settings_table;    /* [paypal] */
extern const struct mh_settings_table mh_stripe_settings_table;    /* [stripe] */

/* The largest gift any setting may allow, major units (keeps minor units
 * far inside int64 and every provider's own limits). */
#define MH_DONATION_MAX 1000000

/* A gift's amount as typed ("25", "25.5", "25.50", " 10 "): its value in
 * minor units (cents), currencies having two decimals. False for anything
 * that is not a positive number with at most two decimals, and for more
 * than max major units; *why says which in words for the form. */
bool mh_donation_amount_parse(struct mh_str s, int max, int64_t *minor, const char **why);
/* Whether code (exactly as sent) is one of list's ("USD,EUR,GBP"). */
bool mh_donation_currency_ok(const char *list, struct mh_str code);
/* "25.00" or "25" (no cents when whole) into b, appended. */
void mh_donation_amount_format(struct mh_buf *b, int64_t minor);
/* The currency's sign for the box ("$", "€", "£"), or the code itself. */
const char *mh_donation_currency_sign(const char *code);

#include "donations/provider.h"

#endif
