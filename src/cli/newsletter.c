/*
 * cli/newsletter.c: `masthead newsletter` (send an article, the sends'
 * status, the subscribers: list, search, export, import, delete).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* ---- masthead newsletter ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: masthead newsletter COMMAND [--site DIR] ...\n\n"
		   "  send SLUG                       sends a published article to every confirmed subscriber\n"
		   "                                  (queued: the server's job runner sends it)\n"
		   "  status [ID]                     every send with its counts; with ID, also who was not\n"
		   "                                  (yet) sent to and why\n"
		   "  subscribers list [--status S]   every subscriber: email, status, since\n"
		   "  subscribers search TEXT         those whose address contains TEXT\n"
		   "  subscribers export FILE         CSV (email,status,created_at,confirmed_at); - = stdout\n"
		   "  subscribers import FILE         CSV with email[,status] (status defaults to confirmed);\n"
		   "                                  every row checked first: one bad row imports nothing\n"
		   "  subscribers delete EMAIL        removes the address and every trace of it\n");
}

static void print_time(int64_t t)
{
	struct mh_buf b = MH_BUF_INIT;
	if (t > 0)
		mh_time_rfc3339(&b, t);
	else
		mh_buf_append_c(&b, "-");
	fputs(mh_buf_cstr(&b), stdout);
	mh_buf_free(&b);
}

static int send_article(struct mh_store *s, const char *slug)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_article *art = NULL;
	struct mh_buf err = MH_BUF_INIT;
	int rc = 1;
	enum mh_store_rc r = mh_store_article_by_slug(s, a, mh_str_c(slug), &art);
	if (r == MH_NOT_FOUND) {
		fprintf(stderr, "masthead newsletter send: SLUG: no article '%s' (see 'masthead article list')\n", slug);
	} else if (r != MH_OK) {
		fprintf(stderr, "masthead newsletter send: the database did not answer\n");
	} else {
		int64_t id = 0, n = 0;
		r = mh_newsletter_queue_article(s, a, art, mh_cli_who(a), &id, &n, &err);
		if (r != MH_OK) {
			fprintf(stderr, "masthead newsletter send: %s\n", mh_buf_cstr(&err));
		} else {
			printf("newsletter %lld queued to %lld subscriber%s; 'masthead newsletter status %lld' follows it\n",
			       (long long)id, (long long)n, n == 1 ? "" : "s", (long long)id);
			rc = 0;
		}
	}
	mh_buf_free(&err);
	mh_arena_free(a);
	return rc;
}

static int status(struct mh_store *s, const char *arg)
{
	struct mh_arena *a = mh_arena_new();
	int rc = 0;
	if (arg == NULL) {
		struct mh_newsletter *nls = NULL;
		size_t n = 0;
		if (mh_store_newsletters(s, a, 100, &nls, &n) != MH_OK) {
			fprintf(stderr, "masthead newsletter status: the database did not answer\n");
			mh_arena_free(a);
			return 1;
		}
		if (n == 0)
			fprintf(stderr, "no newsletters yet: send one with 'masthead newsletter send SLUG'\n");
		for (size_t i = 0; i < n; i++) {
			int64_t c[MH_DELIVERY__COUNT];
			if (mh_store_newsletter_counts(s, nls[i].id, c) != MH_OK) {
				rc = 1;
				break;
			}
			printf("%lld\t%s\t", (long long)nls[i].id, mh_newsletter_state(c));
			print_time(nls[i].created_at);
			printf("\tsent %lld, queued %lld, deferred %lld, failed %lld, bounced %lld, unknown %lld\t%s\n",
			       (long long)c[MH_DELIVERY_SENT], (long long)(c[MH_DELIVERY_QUEUED] + c[MH_DELIVERY_SENDING]),
			       (long long)c[MH_DELIVERY_DEFERRED], (long long)c[MH_DELIVERY_FAILED],
			       (long long)c[MH_DELIVERY_BOUNCED], (long long)c[MH_DELIVERY_UNKNOWN], nls[i].subject);
		}
		mh_arena_free(a);
		return rc;
	}
	int64_t id = 0;
	if (!mh_str_to_i64(mh_str_c(arg), &id) || id <= 0) {
		fprintf(stderr, "masthead newsletter status: ID: expected a newsletter id (a number), got '%s'\n", arg);
		mh_arena_free(a);
		return 2;
	}
	struct mh_newsletter *nl = NULL;
	enum mh_store_rc r = mh_store_newsletter_get(s, a, id, &nl);
	int64_t c[MH_DELIVERY__COUNT];
	if (r == MH_OK)
		r = mh_store_newsletter_counts(s, id, c);
	if (r != MH_OK) {
		fprintf(stderr, "masthead newsletter status: %s\n",
			r == MH_NOT_FOUND ? "no such newsletter (see 'masthead newsletter status')"
					  : "the database did not answer");
		mh_arena_free(a);
		return 1;
	}
	printf("newsletter %lld: %s\nsubject: %s\nstate: %s\n", (long long)id, nl->kind, nl->subject,
	       mh_newsletter_state(c));
	for (int st = 0; st < MH_DELIVERY__COUNT; st++)
		printf("%s: %lld\n", mh_delivery_state_name((enum mh_delivery_state)st), (long long)c[st]);
	/* who was not sent to (yet), and why */
	static const enum mh_delivery_state which[] = { MH_DELIVERY_DEFERRED, MH_DELIVERY_FAILED, MH_DELIVERY_BOUNCED,
							MH_DELIVERY_UNKNOWN, MH_DELIVERY_SENDING };
	for (size_t k = 0; k < sizeof(which) / sizeof(which[0]); k++) {
		struct mh_delivery *d = NULL;
		size_t n = 0;
		if (c[which[k]] == 0)
			continue;
		if (mh_store_newsletter_deliveries(s, a, id, (int)which[k], 100000, &d, &n) != MH_OK) {
			rc = 1;
			break;
		}
		for (size_t i = 0; i < n; i++)
			printf("%s\t%s\tattempts %d\tSMTP %d\t%s\n", mh_delivery_state_name(d[i].state), d[i].email,
			       d[i].attempts, d[i].smtp_code, d[i].last_error);
	}
	mh_arena_free(a);
	return rc;
}

/* Writes one CSV field (quoted when it holds a comma, quote or line end). */
static void csv_field(FILE *f, const char *v)
{
	if (strpbrk(v, ",\"\r\n") == NULL) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

static int list(struct mh_store *s, const char *cmd, const char *filter, const char *status, FILE *out, bool csv)
{
	int64_t after = 0;
	int rc = 0;
	size_t total = 0;
	if (csv)
		fputs("email,status,created_at,confirmed_at\r\n", out);
	for (;;) {
		struct mh_arena *a = mh_arena_new();
		struct mh_subscriber *subs = NULL;
		size_t n = 0;
		enum mh_store_rc r = mh_store_subscribers(s, a, mh_str_c(filter), status, after, 1000, &subs, &n);
		if (r != MH_OK) {
			fprintf(stderr, "masthead newsletter subscribers %s: %s\n", cmd,
				r == MH_INVALID ? "--status: expected pending, confirmed, unsubscribed or bounced"
						: "the database did not answer");
			mh_arena_free(a);
			return r == MH_INVALID ? 2 : 1;
		}
		for (size_t i = 0; i < n; i++) {
			struct mh_buf t1 = MH_BUF_INIT, t2 = MH_BUF_INIT;
			mh_time_rfc3339(&t1, subs[i].created_at);
			if (subs[i].confirmed_at > 0)
				mh_time_rfc3339(&t2, subs[i].confirmed_at);
			if (csv) {
				csv_field(out, subs[i].email);
				fputc(',', out);
				csv_field(out, subs[i].status);
				fprintf(out, ",%s,%s\r\n", mh_buf_cstr(&t1), mh_buf_cstr(&t2));
			} else {
				fprintf(out, "%s\t%s\t%s\n", subs[i].email, subs[i].status, mh_buf_cstr(&t1));
			}
			mh_buf_free(&t1);
			mh_buf_free(&t2);
		}
		total += n;
		if (n > 0)
			after = subs[n - 1].id;
		mh_arena_free(a);
		if (n < 1000)
			break;
	}
	if (total == 0 && !csv)
		fprintf(stderr, "no subscribers%s\n", filter[0] != '\0' ? " match" : " yet");
	return rc;
}

struct import {
	struct mh_store *s;
	bool write;      /* second pass: store the rows */
	size_t good, bad;
	bool header_seen;
	struct mh_buf problems;
	enum mh_store_rc rc;
};

static bool import_row(void *ctx, size_t line, const struct mh_str *f, size_t n)
{
	struct import *im = ctx;
	if (line == 1 && n >= 1 && mh_str_case_eq_c(f[0], "email"))
		return true; /* the header */
	const char *why = NULL;
	char status[16] = "confirmed";
	struct mh_str email = n >= 1 ? f[0] : MH_STR("");
	while (email.len > 0 && (email.ptr[0] == ' ' || email.ptr[0] == '\t'))
		email.ptr++, email.len--;
	while (email.len > 0 && (email.ptr[email.len - 1] == ' ' || email.ptr[email.len - 1] == '\t'))
		email.len--;
	if (n == 0)
		why = "more than 32 fields";
	else if (email.len == 0)
		why = "email: missing";
	else if (!mh_mail_address_valid(email))
		why = "email: not a mail address";
	else if (n >= 2 && f[1].len > 0) {
		if (!mh_store_subscriber_status_valid(f[1]))
			why = "status: expected pending, confirmed, unsubscribed or bounced";
		else
			snprintf(status, sizeof(status), "%.*s", (int)f[1].len, f[1].ptr);
	}
	if (why != NULL) {
		im->bad++;
		mh_buf_printf(&im->problems, "line %zu: %s\n", line, why);
		return true;
	}
	im->good++;
	if (im->write) {
		struct mh_buf err = MH_BUF_INIT;
		im->rc = mh_store_subscriber_put(im->s, email, status, &err);
		if (im->rc != MH_OK)
			mh_buf_printf(&im->problems, "line %zu: %s\n", line,
				      err.len > 0 ? mh_buf_cstr(&err) : "the database did not answer");
		mh_buf_free(&err);
		return im->rc == MH_OK;
	}
	return true;
}

static int import(struct mh_store *s, const char *path)
{
	struct mh_buf text = MH_BUF_INIT, err = MH_BUF_INIT;
	if (!mh_file_read(path, &text)) {
		fprintf(stderr, "masthead newsletter subscribers import: %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct import im = { .s = s, .problems = MH_BUF_INIT, .rc = MH_OK };
	int rc = 0;
	bool ok = mh_newsletter_csv_parse(mh_buf_str(&text), import_row, &im, &err);
	if (!ok || im.bad > 0) {
		fprintf(stderr, "masthead newsletter subscribers import: %s: nothing imported:\n%s", path,
			mh_buf_cstr(&im.problems));
		if (!ok)
			fprintf(stderr, "%s\n", mh_buf_cstr(&err));
		rc = 1;
	} else {
		/* every row passed: store them, in one transaction */
		im.write = true;
		im.good = 0;
		enum mh_store_rc r = mh_store_begin(s);
		if (r == MH_OK) {
			mh_newsletter_csv_parse(mh_buf_str(&text), import_row, &im, &err);
			r = im.rc;
			if (r == MH_OK)
				r = mh_store_commit(s);
			else
				mh_store_rollback(s);
		}
		if (r != MH_OK) {
			fprintf(stderr, "masthead newsletter subscribers import: %s: nothing imported: %s\n", path,
				im.problems.len > 0 ? mh_buf_cstr(&im.problems) : "the database did not answer");
			rc = 1;
		} else {
			printf("imported %zu subscriber%s\n", im.good, im.good == 1 ? "" : "s");
		}
	}
	mh_buf_free(&im.problems);
	mh_buf_free(&text);
	mh_buf_free(&err);
	return rc;
}

static int subscribers(struct mh_store *s, int nargs, char **args, const char *status)
{
	if (nargs < 1) {
		fprintf(stderr, "masthead newsletter subscribers: missing command (list, search, export, import, delete)\n");
		return 2;
	}
	const char *cmd = args[0];
	int want = strcmp(cmd, "list") == 0 ? 0 : 1;
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "search") != 0 && strcmp(cmd, "export") != 0 &&
	    strcmp(cmd, "import") != 0 && strcmp(cmd, "delete") != 0) {
		fprintf(stderr, "masthead newsletter subscribers: unknown command '%s' (list, search, export, import, "
				"delete)\n",
			cmd);
		return 2;
	}
	if (nargs - 1 != want) {
		fprintf(stderr, "masthead newsletter subscribers %s: expected %d argument%s, got %d\n", cmd, want,
			want == 1 ? "" : "s", nargs - 1);
		return 2;
	}
	if (strcmp(cmd, "list") == 0)
		return list(s, cmd, "", status != NULL ? status : "", stdout, false);
	if (strcmp(cmd, "search") == 0)
		return list(s, cmd, args[1], status != NULL ? status : "", stdout, false);
	if (strcmp(cmd, "export") == 0) {
		FILE *f = strcmp(args[1], "-") == 0 ? stdout : fopen(args[1], "wx");
		if (f == NULL) {
			fprintf(stderr, "masthead newsletter subscribers export: %s: %s%s\n", args[1], strerror(errno),
				errno == EEXIST ? " (it is not overwritten: name a new file)" : "");
			return 1;
		}
		int rc = list(s, cmd, "", status != NULL ? status : "", f, true);
		if (f != stdout && fclose(f) != 0) {
			fprintf(stderr, "masthead newsletter subscribers export: %s: %s\n", args[1], strerror(errno));
			rc = 1;
		}
		return rc;
	}
	if (strcmp(cmd, "import") == 0)
		return import(s, args[1]);
	enum mh_store_rc r = mh_store_subscriber_delete(s, mh_str_c(args[1]));
	if (r == MH_NOT_FOUND) {
		fprintf(stderr, "masthead newsletter subscribers delete: EMAIL: no subscriber '%s'\n", args[1]);
		return 1;
	}
	if (r != MH_OK) {
		fprintf(stderr, "masthead newsletter subscribers delete: the database did not answer\n");
		return 1;
	}
	printf("%s: deleted, with every delivery record of it\n", args[1]);
	return 0;
}

int mh_cli_newsletter(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".", *status_arg = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 't':
			status_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead newsletter: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "masthead newsletter: missing command (send, status, subscribers)\n");
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	if (strcmp(cmd, "send") != 0 && strcmp(cmd, "status") != 0 && strcmp(cmd, "subscribers") != 0) {
		fprintf(stderr, "masthead newsletter: unknown command '%s' (send, status, subscribers)\n", cmd);
		return 2;
	}
	if ((strcmp(cmd, "send") == 0 && nargs != 1) || (strcmp(cmd, "status") == 0 && nargs > 1)) {
		fprintf(stderr, "masthead newsletter %s: expected %s, got %d arguments\n", cmd,
			strcmp(cmd, "send") == 0 ? "SLUG" : "at most an ID", nargs);
		return 2;
	}
	if (!mh_auth_init()) {
		fprintf(stderr, "masthead newsletter: libsodium could not start (no randomness source)\n");
		return 1;
	}
	struct mh_config cfg;
	struct mh_store *s = NULL;
	struct mh_buf err = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &s, &err) != 0) {
		fprintf(stderr, "masthead newsletter: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	int rc;
	if (strcmp(cmd, "send") == 0) {
		rc = mh_cli_mail_setup(&cfg, &err);
		if (rc != 0)
			fprintf(stderr, "masthead newsletter: mail theme: %s\n", mh_buf_cstr(&err));
		else
			rc = send_article(s, args[0]);
		mh_cli_mail_teardown();
	} else if (strcmp(cmd, "status") == 0) {
		rc = status(s, nargs == 1 ? args[0] : NULL);
	} else {
		rc = subscribers(s, nargs, args, status_arg);
	}
	mh_store_close(s);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
