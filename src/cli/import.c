/*
 * masthead import wordpress FILE.xml (issue 11): a WordPress export into
 * the site (porting/wpimport.c), then the report: counts per kind, what was
 * skipped and why, with the item's line.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "porting/porting.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: masthead import wordpress FILE.xml [--site DIR] [--uploads DIR] [--pages]\n"
		   "                 [--categories sections|tags] [--permalink STRUCTURE] [--batch N]\n\n"
		   "  FILE.xml              a WordPress export (Tools > Export; WXR 1.0-1.2)\n"
		   "  --site DIR            the site folder (default: the current folder)\n"
		   "  --uploads DIR         take images from this copy of wp-content/uploads instead of\n"
		   "                        downloading them from their old addresses\n"
		   "  --pages               bring pages too (into a section 'pages')\n"
		   "  --categories sections|tags   categories become sections (default) or tags\n"
		   "  --permalink STRUCTURE the old site's permalink structure, such as\n"
		   "                        /%%year%%/%%monthnum%%/%%postname%%/: those addresses answer 301 too\n"
		   "  --batch N             items per transaction (default 100)\n"
		   "Running it again brings only what is missing (and retries failed downloads).\n");
}

int mh_cli_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },	{ "uploads", required_argument, NULL, 'u' },
		{ "pages", no_argument, NULL, 'p' },		{ "categories", required_argument, NULL, 'c' },
		{ "permalink", required_argument, NULL, 'l' },	{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },		{ 0 },
	};
	const char *dir = ".";
	struct mh_wp_options o = { 0 };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': dir = optarg; break;
		case 'u': o.uploads_dir = optarg; break;
		case 'p': o.pages = true; break;
		case 'c':
			if (strcmp(optarg, "sections") == 0)
				o.categories = MH_WP_CATEGORIES_SECTIONS;
			else if (strcmp(optarg, "tags") == 0)
				o.categories = MH_WP_CATEGORIES_TAGS;
			else {
				fprintf(stderr, "masthead import: --categories: expected sections or tags, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l':
			if (optarg[0] != '/' || strchr(optarg, '%') == NULL) {
				fprintf(stderr, "masthead import: --permalink: expected a structure starting with / such as "
						"/%%year%%/%%monthnum%%/%%postname%%/, got '%s'\n", optarg);
				return 2;
			}
			o.permalink = optarg;
			break;
		case 'b': {
			int64_t n;
			if (!mh_str_to_i64(mh_str_c(optarg), &n) || n < 1 || n > 10000) {
				fprintf(stderr, "masthead import: --batch: expected a whole number from 1 to 10000, got '%s'\n",
					optarg);
				return 2;
			}
			o.batch = (int)n;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead import: unknown or incomplete option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "wordpress") != 0) {
		fprintf(stderr, "masthead import: expected 'wordpress FILE.xml'\n");
		usage(stderr);
		return 2;
	}
	o.file = argv[optind + 1];
	FILE *f = fopen(o.file, "rb");
	if (f == NULL) {
		fprintf(stderr, "masthead import: FILE.xml: cannot read '%s'\n", o.file);
		return 2;
	}
	fclose(f);
	struct mh_config cfg;
	struct mh_store *s = NULL;
	struct mh_buf err = MH_BUF_INIT;
	int rc = mh_cli_site_open(dir, &cfg, &s, &err);
	if (rc != 0) {
		fprintf(stderr, "masthead import: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return rc;
	}
	o.media = &cfg.media;
	o.progress = mh_cli_progress_wanted();
	struct mh_wp_report rep = { .lines = MH_BUF_INIT };
	rc = mh_wp_import(s, &o, &rep, &err);
	int64_t brought = rep.posts + rep.pages + rep.attachments + rep.images;
	printf("imported: %lld posts, %lld pages, %lld attachments, %lld images from bodies, %lld sections, %lld tags, "
	       "%lld authors, %lld redirects\n",
	       (long long)rep.posts, (long long)rep.pages, (long long)rep.attachments, (long long)rep.images,
	       (long long)rep.sections, (long long)rep.tags, (long long)rep.authors, (long long)rep.redirects);
	printf("unchanged: %lld items brought by an earlier run\n", (long long)rep.unchanged);
	printf("skipped: %lld\n", (long long)rep.skipped);
	printf("failed downloads: %lld%s\n", (long long)rep.failed_downloads,
	       rep.failed_downloads > 0 ? " (tried again on the next run)" : "");
	if (rc == 0 && brought == 0 && rep.unchanged > 0 && rep.failed_downloads == 0)
		printf("nothing changed: every item was brought by an earlier run\n");
	if (rep.lines.len > 0)
		fwrite(rep.lines.ptr, 1, rep.lines.len, stdout);
	if (rc != 0)
		fprintf(stderr, "masthead import: %s: %s (what earlier batches brought is kept; run it again once fixed)\n",
			o.file, mh_buf_cstr(&err));
	mh_buf_free(&rep.lines);
	mh_buf_free(&err);
	mh_store_close(s);
	mh_config_free(&cfg);
	return rc;
}
