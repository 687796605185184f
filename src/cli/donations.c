/*
 * masthead donations: the ledger's totals per currency per month and the
 * recurring donors (issue 10), as text or CSV. Paid gifts only: a gift is
 * paid once its provider confirmed it (a capture or a verified webhook).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static void donations_usage(FILE *f)
{
	fprintf(f, "usage: masthead donations [totals | recurring] [--csv] [--site DIR]\n\n"
		   "The donations the providers confirmed (paid), from the site's database.\n"
		   "  totals      per month (UTC) and currency: how many gifts and their sum (the default)\n"
		   "  recurring   the monthly donors: email, amount, currency, provider, since\n"
		   "  --csv       comma-separated values with a header line, amounts as 12.50\n"
		   "  --site DIR  the site folder (default: the current folder)\n");
}

/* One CSV field (RFC 4180 quoting; a leading = + - @ is kept as text in
 * spreadsheets by a leading apostrophe). */
static void csv_field(const char *s, bool last)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		putchar('"');
	if (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')
		putchar('\'');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	if (quote)
		putchar('"');
	putchar(last ? '\n' : ',');
}

static const char *amount_text(struct mh_buf *b, int64_t minor)
{
	mh_buf_reset(b);
	mh_buf_printf(b, "%lld.%02lld", (long long)(minor / 100), (long long)(minor % 100));
	return mh_buf_cstr(b);
}

static const char *day_text(char out[16], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		strcpy(out, "?");
	return out;
}

int mh_cli_donations(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "csv", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".", *what = "totals";
	bool csv = false;
	int c;
	opterr = 0;
	optind = 1;
	/* options and the one word in any order */
	int words = 0;
	while (optind < argc) {
		if (argv[optind][0] != '-') {
			if (++words > 1) {
				fprintf(stderr, "masthead donations: unexpected argument '%s'\n", argv[optind]);
				return 2;
			}
			what = argv[optind++];
			continue;
		}
		if ((c = getopt_long(argc, argv, "+h", opts, NULL)) == -1)
			break;
		if (c == 's') {
			dir = optarg;
		} else if (c == 'c') {
			csv = true;
		} else if (c == 'h') {
			donations_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "masthead donations: unknown or incomplete option '%s'\n", argv[optind - 1]);
			donations_usage(stderr);
			return 2;
		}
	}
	bool totals = strcmp(what, "totals") == 0;
	if (!totals && strcmp(what, "recurring") != 0) {
		fprintf(stderr, "masthead donations: unknown report '%s' (expected totals or recurring)\n", what);
		donations_usage(stderr);
		return 2;
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT, b = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead donations: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	int rc = 0;
	struct mh_arena *a = mh_arena_new();
	if (totals) {
		struct mh_donation_total *t = NULL;
		size_t n = 0;
		if (mh_store_donation_totals(store, a, &t, &n) != MH_OK) {
			fprintf(stderr, "masthead donations: the database did not answer\n");
			rc = 1;
		} else if (csv) {
			printf("month,currency,gifts,total\n");
			for (size_t i = 0; i < n; i++)
				printf("%s,%s,%lld,%s\n", t[i].month, t[i].currency, (long long)t[i].count,
				       amount_text(&b, t[i].amount));
		} else if (n == 0) {
			printf("No paid donations yet.\n");
		} else {
			printf("%-8s  %-8s  %6s  %14s\n", "MONTH", "CURRENCY", "GIFTS", "TOTAL");
			for (size_t i = 0; i < n; i++)
				printf("%-8s  %-8s  %6lld  %14s\n", t[i].month, t[i].currency, (long long)t[i].count,
				       amount_text(&b, t[i].amount));
		}
	} else {
		struct mh_donation *d = NULL;
		size_t n = 0;
		char day[16];
		if (mh_store_donation_recurring(store, a, &d, &n) != MH_OK) {
			fprintf(stderr, "masthead donations: the database did not answer\n");
			rc = 1;
		} else if (csv) {
			printf("email,amount,currency,provider,since\n");
			for (size_t i = 0; i < n; i++) {
				csv_field(d[i].email, false);
				csv_field(amount_text(&b, d[i].amount), false);
				csv_field(d[i].currency, false);
				csv_field(d[i].provider, false);
				csv_field(day_text(day, d[i].paid_at), true);
			}
		} else if (n == 0) {
			printf("No recurring donors yet.\n");
		} else {
			printf("%-10s  %-32s  %12s  %-8s  %s\n", "SINCE", "EMAIL", "MONTHLY", "CURRENCY", "PROVIDER");
			for (size_t i = 0; i < n; i++) {
				struct mh_buf e = MH_BUF_INIT;
				mh_log_sanitize(&e, mh_str_c(d[i].email[0] != '\0' ? d[i].email : "(not given)"));
				printf("%-10s  %-32s  %12s  %-8s  %s\n", day_text(day, d[i].paid_at), mh_buf_cstr(&e),
				       amount_text(&b, d[i].amount), d[i].currency, d[i].provider);
				mh_buf_free(&e);
			}
		}
	}
	mh_arena_free(a);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	mh_buf_free(&b);
	return rc;
}
