/* Donations' pure pieces and the ledger's rules: the form's amounts, the
 * Stripe-Signature parser and check (a vector made with Python's hmac), and
 * on a real SQLite database: a webhook event applied once, paid final, an
 * unknown checkout refused with nothing written. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "donations/donations.h"
#include "store/store.h"

Test(donations, amounts)
{
	struct {
		const char *in;
		bool ok;
		int64_t minor;
	} cases[] = {
		{ "25", true, 2500 },     { " 10 ", true, 1000 },    { "12.5", true, 1250 }, { "12.50", true, 1250 },
		{ "0.01", true, 1 },      { "500", true, 50000 },    { "500.01", false, 0 }, { "501", false, 0 },
		{ "0", false, 0 },        { "0.00", false, 0 },      { "-5", false, 0 },     { "ten", false, 0 },
		{ "", false, 0 },         { "1e3", false, 0 },       { "1.234", false, 0 },  { "12.", true, 1200 },
		{ ".5", true, 50 },       { "99999999999999999999", false, 0 }, { "5,00", false, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t m = -1;
		const char *why = NULL;
		bool ok = mh_donation_amount_parse(mh_str_c(cases[i].in), 500, &m, &why);
		cr_assert_eq(ok, cases[i].ok, "%s", cases[i].in);
		if (ok)
			cr_assert_eq(m, cases[i].minor, "%s", cases[i].in);
		else
			cr_assert(why != NULL && why[0] != '\0', "%s: a reason", cases[i].in);
	}
	cr_assert(mh_donation_currency_ok("USD,EUR,GBP", MH_STR("EUR")));
	cr_assert(mh_donation_currency_ok("USD,EUR,GBP", MH_STR("GBP")));
	cr_assert(!mh_donation_currency_ok("USD,EUR,GBP", MH_STR("JPY")));
	cr_assert(!mh_donation_currency_ok("USD,EUR,GBP", MH_STR("eur")));
	cr_assert(!mh_donation_currency_ok("USD,EUR,GBP", MH_STR("US")));
}

Test(donations, stripe_signature_parse)
{
	struct mh_stripe_sig s;
	const char *h = "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925,"
			"v0=00,v1=0000000000000000000000000000000000000000000000000000000000000000";
	cr_assert(mh_stripe_sig_parse(h, strlen(h), &s));
	cr_assert_eq(s.t, 1700000000);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.v1[0][0], 0xc8);
	cr_assert_eq(s.v1[0][31], 0x25);
	const char *bad[] = { "", "t=1", "v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925",
			      "t=1,t=2,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925",
			      "t=x,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925",
			      "t=1,v1=zz9214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925", "t=1,v1=ab",
			      "t=1,,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert(!mh_stripe_sig_parse(bad[i], strlen(bad[i]), &s), "%s", bad[i]);
}

Test(donations, stripe_signature_verify)
{
	struct mh_buf why = MH_BUF_INIT;
	struct mh_str body = MH_STR("{\"id\":\"evt_1\"}");
	struct mh_str h = MH_STR("t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925");
	cr_assert_eq(mh_stripe_sig_verify(h, body, "whsec_test", 1700000000, 300, &why), MH_DONATION_OK);
	cr_assert_eq(mh_stripe_sig_verify(h, body, "whsec_test", 1700000300, 300, &why), MH_DONATION_OK);
	cr_assert_eq(mh_stripe_sig_verify(h, body, "whsec_test", 1700000301, 300, &why), MH_DONATION_BAD, "too old");
	cr_assert_eq(mh_stripe_sig_verify(h, body, "whsec_other", 1700000000, 300, &why), MH_DONATION_BAD);
	cr_assert_eq(mh_stripe_sig_verify(h, MH_STR("{\"id\":\"evt_2\"}"), "whsec_test", 1700000000, 300, &why),
		     MH_DONATION_BAD);
	cr_assert_eq(mh_stripe_sig_verify(h, body, "", 1700000000, 300, &why), MH_DONATION_BAD, "no secret");
	mh_buf_free(&why);
}

static char dir[256], url[512];
static struct mh_store *st;

static void make_db(void)
{
	snprintf(dir, sizeof dir, "/tmp/mh-donations-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(url, sizeof url, "%s/masthead.db", dir);
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_store_open(url, dir, true, &st, &err), MH_OK, "%s", mh_buf_cstr(&err));
	int v = 0;
	cr_assert_eq(mh_store_migrate(st, &v, &err), MH_OK, "%s", mh_buf_cstr(&err));
	mh_buf_free(&err);
}

static void drop_db(void)
{
	mh_store_close(st);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(donations, ledger_applies_each_event_once, .init = make_db, .fini = drop_db)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_donation d = { .token = "tok-1", .provider = "stripe", .provider_ref = "cs_1", .amount = 2500,
				 .currency = "EUR", .monthly = true, .email = "" };
	int64_t id = 0;
	cr_assert_eq(mh_store_donation_add(st, &d, &id), MH_OK);
	cr_assert(id > 0);
	struct mh_donation got;
	bool applied = true, paid_now = true;
	/* an unknown checkout: nothing written, the event not kept */
	cr_assert_eq(mh_store_donation_apply(st, a, "stripe", "evt_x", "cs_nope", "paid", NULL, NULL, &applied, &paid_now, NULL),
		     MH_NOT_FOUND);
	int64_t n = -1;
	cr_assert_eq(mh_store_count(st, "donation_events", &n), MH_OK);
	cr_assert_eq(n, 0);
	/* pending: no change of status, but the event is kept */
	cr_assert_eq(mh_store_donation_apply(st, a, "stripe", "evt_0", "cs_1", "pending", NULL, NULL, &applied, &paid_now, &got),
		     MH_OK);
	cr_assert(applied);
	cr_assert_str_eq(got.status, "pending");
	cr_assert_eq(mh_store_donation_apply(st, a, "stripe", "evt_1", "cs_1", "paid", "sub_1", "d@example.org",
					     &applied, &paid_now, &got),
		     MH_OK);
	cr_assert(applied);
	cr_assert(paid_now);
	cr_assert_str_eq(got.status, "paid");
	cr_assert_str_eq(got.provider_sub, "sub_1");
	cr_assert_str_eq(got.email, "d@example.org");
	int64_t paid_at = got.paid_at;
	cr_assert(paid_at > 0);
	/* the replay */
	cr_assert_eq(mh_store_donation_apply(st, a, "stripe", "evt_1", "cs_1", "paid", NULL, NULL, &applied, &paid_now, &got),
		     MH_OK);
	cr_assert(!applied);
	cr_assert(!paid_now, "paid once");
	cr_assert_eq(got.paid_at, paid_at);
	/* paid is final: a later expiry or failure changes nothing */
	cr_assert_eq(mh_store_donation_apply(st, a, "stripe", "evt_2", "cs_1", "cancelled", NULL, NULL, &applied, &paid_now, &got),
		     MH_OK);
	cr_assert_str_eq(got.status, "paid");
	cr_assert_eq(mh_store_count(st, "donation_events", &n), MH_OK);
	cr_assert_eq(n, 3);
	/* the same event id from another provider is another event */
	struct mh_donation e = d;
	e.token = "tok-2";
	e.provider = "paypal";
	e.provider_ref = "ORDER2";
	e.monthly = false;
	cr_assert_eq(mh_store_donation_add(st, &e, &id), MH_OK);
	cr_assert_eq(mh_store_donation_apply(st, a, "paypal", "evt_1", "ORDER2", "failed", NULL, NULL, &applied, &paid_now, &got),
		     MH_OK);
	cr_assert(applied);
	cr_assert_str_eq(got.status, "failed");
	/* a failed one can still be paid by a later event; a capture (no event id) too */
	cr_assert_eq(mh_store_donation_apply(st, a, "paypal", NULL, "ORDER2", "paid", NULL, NULL, &applied, &paid_now, &got), MH_OK);
	cr_assert_str_eq(got.status, "paid");
	struct mh_donation_total *t = NULL;
	size_t nt = 0;
	cr_assert_eq(mh_store_donation_totals(st, a, &t, &nt), MH_OK);
	cr_assert_eq(nt, 1);
	cr_assert_str_eq(t[0].currency, "EUR");
	cr_assert_eq(t[0].count, 2);
	cr_assert_eq(t[0].amount, 5000);
	struct mh_donation *rec = NULL;
	cr_assert_eq(mh_store_donation_recurring(st, a, &rec, &nt), MH_OK);
	cr_assert_eq(nt, 1);
	cr_assert_str_eq(rec[0].email, "d@example.org");
	/* bad input */
	cr_assert_eq(mh_store_donation_apply(st, a, "stripe", "evt_9", "cs_1", "refunded", NULL, NULL, &applied, &paid_now, NULL),
		     MH_INVALID);
	e.token = "tok-3";
	e.amount = 0;
	cr_assert_eq(mh_store_donation_add(st, &e, &id), MH_INVALID);
	mh_arena_free(a);
}
