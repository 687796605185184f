/*
 * masthead redirect (issue 9): the site's redirect rules from the command
 * line. add FROM TO [--status 301|302] [--prefix], list, remove FROM. Each
 * change is logged, so every running node loads the rules again.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: masthead redirect COMMAND [--site DIR] ...\n\n"
		   "  add FROM TO [--status 301|302] [--prefix]\n"
		   "                        answer FROM (a path on this site, such as /old-page or\n"
		   "                        /?p=123) with a redirect to TO (a path on this site or an\n"
		   "                        http(s):// address); 301 (permanent, the default) or 302.\n"
		   "                        --prefix: every path starting with FROM, the rest of the\n"
		   "                        path appended to TO. A second add of FROM replaces it.\n"
		   "  list                  every rule: from, to, status, exact or prefix\n"
		   "  remove FROM           the rule for FROM\n"
		   "  --site DIR            the site folder (default: the current folder)\n"
		   "Rules are checked only where a page would be 404: they never hide a page.\n");
}

int mh_cli_redirect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' }, { "status", required_argument, NULL, 'S' },
		{ "prefix", no_argument, NULL, 'p' },     { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".", *status_arg = NULL;
	bool prefix = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': dir = optarg; break;
		case 'S': status_arg = optarg; break;
		case 'p': prefix = true; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead redirect: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "masthead redirect: missing command (add, list, remove)\n");
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	bool add = strcmp(cmd, "add") == 0, list = strcmp(cmd, "list") == 0, remove = strcmp(cmd, "remove") == 0;
	if (!add && !list && !remove) {
		fprintf(stderr, "masthead redirect: unknown command '%s' (add, list, remove)\n", cmd);
		return 2;
	}
	int want = add ? 2 : remove ? 1 : 0;
	if (nargs != want) {
		fprintf(stderr, "masthead redirect %s: expected %s, got %d argument%s\n", cmd,
			add ? "FROM TO" : remove ? "FROM" : "no argument", nargs, nargs == 1 ? "" : "s");
		return 2;
	}
	if (!add && (status_arg != NULL || prefix)) {
		fprintf(stderr, "masthead redirect %s: --status and --prefix go with add only\n", cmd);
		return 2;
	}
	struct mh_redirect r = { .status = 301, .prefix = prefix };
	if (status_arg != NULL) {
		if (strcmp(status_arg, "301") == 0)
			r.status = 301;
		else if (strcmp(status_arg, "302") == 0)
			r.status = 302;
		else {
			fprintf(stderr, "masthead redirect add: --status: expected 301 or 302, got '%s'\n", status_arg);
			return 2;
		}
	}
	if (add) {
		r.from = argv[optind];
		r.to = argv[optind + 1];
		const char *field, *why = mh_store_redirect_problem(&r, &field);
		if (why != NULL) {
			/* before opening anything: nothing is touched */
			fprintf(stderr, "masthead redirect add: %s: %s\n", field, why);
			return 2;
		}
	}
	struct mh_config cfg;
	struct mh_store *s = NULL;
	struct mh_buf err = MH_BUF_INIT;
	int rc = mh_cli_site_open(dir, &cfg, &s, &err);
	if (rc != 0) {
		fprintf(stderr, "masthead redirect: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return rc;
	}
	if (list) {
		struct mh_arena *a = mh_arena_new();
		struct mh_redirect *rules = NULL;
		size_t n = 0;
		if (mh_store_redirects(s, a, &rules, &n) != MH_OK) {
			mh_buf_printf(&err, "the database did not answer");
			rc = 1;
		}
		for (size_t i = 0; i < n; i++)
			printf("%s\t%s\t%d\t%s\n", rules[i].from, rules[i].to, rules[i].status,
			       rules[i].prefix ? "prefix" : "exact");
		if (rc == 0)
			fprintf(stderr, "%zu redirect%s\n", n, n == 1 ? "" : "s");
		mh_arena_free(a);
	} else if (add) {
		rc = mh_content_redirect_add(s, &r, &err);
		if (rc == 0)
			printf("%s %s -> %s (%d%s)\n", "added", r.from, r.to, r.status, r.prefix ? ", prefix" : "");
	} else {
		rc = mh_content_redirect_remove(s, mh_str_c(argv[optind]), &err);
		if (rc == 0)
			printf("removed redirect %s\n", argv[optind]);
	}
	if (rc != 0)
		fprintf(stderr, "masthead redirect %s: %s\n", cmd, mh_buf_cstr(&err));
	mh_buf_free(&err);
	mh_store_close(s);
	mh_config_free(&cfg);
	return rc;
}
