/*
 * masthead db copy --from SRC --to DST [--force]: moves a whole site's
 * database between SQLite and PostgreSQL (either way, or between two of the
 * same kind). SRC and DST are sqlite:PATH or a postgres:// URL. Both are
 * migrated to this program's schema first; the copy is one transaction on
 * the target; a target holding rows is refused unless --force, which
 * replaces everything in it. Row counts are printed and compared per table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"


static void db_usage(FILE *f)
{
	fprintf(f, "usage: masthead db copy --from SRC --to DST [--force]\n\n"
		   "Copies a whole site's database (content, change log, jobs; ids kept) from\n"
		   "SRC to DST, in one transaction on DST, then compares row counts table by table.\n"
		   "SRC and DST are sqlite:PATH or postgres://USER@HOST:PORT/DB. Stop the servers\n"
		   "first. DST must be empty (a new SQLite file is created) unless --force, which\n"
		   "deletes everything in DST first.\n");
}

static bool valid_side(const char *v)
{
	return mh_store_url_is_postgres(v) || (strncmp(v, "sqlite:", 7) == 0 && v[7] != '\0');
}

static void show(void *ctx, const char *table, int64_t from_n, int64_t to_n)
{
	(void)ctx;
	printf("  %-18s %10lld -> %lld%s\n", table, (long long)from_n, (long long)to_n,
	       from_n == to_n ? "" : "   MISMATCH");
}

/* Opens and migrates one side; create for a target SQLite file. */
static struct mh_store *open_side(const char *side, const char *url, bool create)
{
	struct mh_store *s = NULL;
	struct mh_buf err = MH_BUF_INIT;
	int version = 0;
	enum mh_store_rc rc = mh_store_open(url, NULL, create, &s, &err);
	if (rc == MH_OK && (rc = mh_store_migrate(s, &version, &err)) != MH_OK) {
		mh_store_close(s);
		s = NULL;
	}
	if (s == NULL)
		fprintf(stderr, "masthead db copy: %s: %s\n", side, mh_buf_cstr(&err));
	mh_buf_free(&err);
	return s;
}

static int db_copy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *from = NULL, *to = NULL;
	bool force = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'h':
			db_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead db copy: unknown or incomplete option '%s'\n", argv[optind - 1]);
			db_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "masthead db copy: unexpected argument '%s'\n", argv[optind]);
		db_usage(stderr);
		return 2;
	}
	if (from == NULL || to == NULL) {
		fprintf(stderr, "masthead db copy: both --from and --to are required\n");
		db_usage(stderr);
		return 2;
	}
	if (!valid_side(from) || !valid_side(to)) {
		fprintf(stderr, "masthead db copy: --%s: expected sqlite:PATH or postgres://..., got '%s'\n",
			valid_side(from) ? "to" : "from", valid_side(from) ? to : from);
		return 2;
	}
	if (strcmp(from, to) == 0) {
		fprintf(stderr, "masthead db copy: --from and --to name the same database\n");
		return 2;
	}
	if (strncmp(from, "sqlite:", 7) == 0 && access(from + 7, R_OK) != 0) {
		fprintf(stderr, "masthead db copy: source: %s: no such file\n", from + 7);
		return 1;
	}
	struct mh_store *src = open_side("source", from, false);
	if (src == NULL)
		return 1;
	struct mh_store *dst = open_side("target", to, true);
	if (dst == NULL) {
		mh_store_close(src);
		return 1;
	}
	struct mh_buf err = MH_BUF_INIT;
	printf("copying %s -> %s\n", mh_store_backend(src), mh_store_backend(dst));
	enum mh_store_rc rc = mh_store_copy(src, dst, force, show, NULL, &err);
	if (rc != MH_OK)
		fprintf(stderr, "masthead db copy: %s\n", mh_buf_cstr(&err));
	else
		printf("done: every table's row count matches\n");
	mh_buf_free(&err);
	mh_store_close(dst);
	mh_store_close(src);
	return rc == MH_OK ? 0 : 1;
}

int mh_cli_db(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		db_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "copy") == 0)
		return db_copy(argc - 1, argv + 1);
	fprintf(stderr, "masthead db: unknown subcommand '%s' (expected: copy)\n", argv[1]);
	db_usage(stderr);
	return 2;
}
