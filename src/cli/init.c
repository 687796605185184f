/*
 * masthead init DIR: a new, empty site — site.ini, media/ and a migrated
 * database. Also the shared open path used by every command that works on
 * an existing site (cli.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"


/* The site.ini a new site starts with: every setting at its default, with a
 * line saying what it does, so an operator edits rather than looks up. */
static void write_default_ini(struct mh_buf *b, const char *title, const char *database)
{
	mh_buf_printf(b,
		      "; Masthead site settings. Times are stored in UTC and shown in [site] timezone.\n"
		      "[site]\n"
		      "title = %s\n"
		      "tagline = Independent news and analysis\n"
		      "; the public address, used in canonical links and feeds\n"
		      "base_url = http://127.0.0.1:8080\n"
		      "; IANA zone name, e.g. Europe/Berlin\n"
		      "timezone = UTC\n"
		      "language = en\n"
		      "; \"Join our video channel\" box and header link (empty: none)\n"
		      "video_channel_url =\n"
		      "; header \"connect with us\" links: Name=URL;Name=URL\n"
		      "social =\n"
		      "\n"
		      "[database]\n"
		      "; an SQLite file (relative to this folder), or postgres://USER@HOST:PORT/DB\n"
		      "; (MASTHEAD_DATABASE_URL in the environment wins over this)\n"
		      "url = %s\n"
		      "\n"
		      "[server]\n"
		      "listen = 127.0.0.1:8080\n"
		      "; worker threads, 0 = one per core\n"
		      "threads = 0\n"
		      "; HTTP/2 stays off: Debian's libh2o 2.2.5 lacks the rapid-reset fix (CVE-2023-44487)\n"
		      "http2 = false\n"
		      "tls_cert =\n"
		      "tls_key =\n"
		      "max_connections = 1024\n"
		      "max_body = 1m\n"
		      "max_header_bytes = 16k\n"
		      "header_timeout = 10\n"
		      "idle_timeout = 60\n"
		      "access_log = true\n"
		      "; text, or json: one object per line for log collectors\n"
		      "log_format = text\n"
		      "; who may read /metrics: addresses and networks, space-separated\n"
		      "metrics_allow = 127.0.0.1 ::1\n"
		      "\n"
		      "[cache]\n"
		      "enabled = true\n"
		      "max_bytes = 256m\n"
		      "; Cache-Control for browsers (max_age) and shared caches (s_maxage)\n"
		      "max_age = 60\n"
		      "s_maxage = 300\n"
		      "stale_while_revalidate = 600\n"
		      "\n"
		      "[theme]\n"
		      "; files here override the default theme file by file\n"
		      "dir = theme\n",
		      title, database);
}

/* Opens the database named in cfg and brings its schema up to date,
 * recording the version in site.ini when it moved. */
static int open_store(struct mh_config *cfg, bool create, struct mh_store **store, struct mh_buf *err)
{
	if (mh_store_open(cfg->database, cfg->dir, create, store, err) != MH_OK)
		return 1;
	int version = 0;
	if (mh_store_migrate(*store, &version, err) != MH_OK) {
		mh_store_close(*store);
		*store = NULL;
		return 1;
	}
	if (version != cfg->schema_version) {
		char v[32];
		snprintf(v, sizeof(v), "%d", version);
		if (!mh_config_set(cfg->path, "schema", "version", v, err)) {
			mh_store_close(*store);
			*store = NULL;
			return 1;
		}
		cfg->schema_version = version;
	}
	return 0;
}

int mh_cli_site_create(const char *dir, const char *title, struct mh_config *cfg, struct mh_store **store,
		       struct mh_buf *err)
{
	return mh_cli_site_create_at(dir, title, NULL, cfg, store, err);
}

int mh_cli_site_create_at(const char *dir, const char *title, const char *database, struct mh_config *cfg,
			  struct mh_store **store, struct mh_buf *err)
{
	struct stat st;
	if (database == NULL)
		database = "masthead.db";
	for (const char *p = database; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			mh_buf_printf(err, "--database: control characters are not allowed");
			return 2;
		}
	}
	if (database[0] == '\0' || database[0] == ' ' || database[strlen(database) - 1] == ' ') {
		mh_buf_printf(err, "--database: expected a file path or a postgres:// URL, got '%s'", database);
		return 2;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		mh_buf_printf(err, "%s: cannot create folder: %s", dir, strerror(errno));
		return 1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		mh_buf_printf(err, "%s: not a folder", dir);
		return 1;
	}
	struct mh_buf path = MH_BUF_INIT;
	mh_buf_printf(&path, "%s/site.ini", dir);
	if (access(mh_buf_cstr(&path), F_OK) == 0) {
		mh_buf_printf(err, "%s: a site already exists here (remove it or choose another folder)",
			      mh_buf_cstr(&path));
		mh_buf_free(&path);
		return 1;
	}
	struct mh_buf ini = MH_BUF_INIT;
	write_default_ini(&ini, title, database);
	bool ok = mh_file_write_atomic(mh_buf_cstr(&path), ini.ptr, ini.len);
	mh_buf_free(&ini);
	if (!ok) {
		mh_buf_printf(err, "%s: cannot write: %s", mh_buf_cstr(&path), strerror(errno));
		mh_buf_free(&path);
		return 1;
	}
	mh_buf_reset(&path);
	mh_buf_printf(&path, "%s/media", dir);
	if (mkdir(mh_buf_cstr(&path), 0755) != 0 && errno != EEXIST) {
		mh_buf_printf(err, "%s: cannot create folder: %s", mh_buf_cstr(&path), strerror(errno));
		mh_buf_free(&path);
		return 1;
	}
	mh_buf_free(&path);
	if (!mh_config_load(cfg, dir, err)) {
		mh_buf_printf(&path, "%s/site.ini", dir);
		unlink(mh_buf_cstr(&path));
		mh_buf_free(&path);
		return 1;
	}
	if (open_store(cfg, true, store, err) != 0) {
		mh_config_free(cfg);
		mh_buf_printf(&path, "%s/site.ini", dir);
		unlink(mh_buf_cstr(&path)); /* so that the command can simply be run again */
		mh_buf_free(&path);
		return 1;
	}
	return 0;
}

int mh_cli_site_open(const char *dir, struct mh_config *cfg, struct mh_store **store, struct mh_buf *err)
{
	struct mh_buf path = MH_BUF_INIT;
	mh_buf_printf(&path, "%s/site.ini", dir);
	if (access(mh_buf_cstr(&path), R_OK) != 0) {
		mh_buf_printf(err, "%s: no site here (%s); create one with 'masthead init %s'", dir, strerror(errno),
			      dir);
		mh_buf_free(&path);
		return 1;
	}
	mh_buf_free(&path);
	if (!mh_config_load(cfg, dir, err))
		return 1;
	if (open_store(cfg, false, store, err) != 0) {
		mh_config_free(cfg);
		return 1;
	}
	return 0;
}

static void init_usage(FILE *f)
{
	fprintf(f, "usage: masthead init DIR [--title TITLE] [--database URL]\n\n"
		   "Creates an empty site in DIR: site.ini (settings), the database and media/.\n"
		   "  --title TITLE     the site's name (default \"Masthead\")\n"
		   "  --database URL    masthead.db in DIR (default), a file path, sqlite:PATH, or\n"
		   "                    postgres://USER@HOST:PORT/DB (the database must exist)\n");
}

int mh_cli_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 't' },
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *title = "Masthead", *database = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			title = optarg;
			break;
		case 'd':
			database = optarg;
			break;
		case 'h':
			init_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead init: unknown or incomplete option '%s'\n", argv[optind - 1]);
			init_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "masthead init: expected one folder, got %d arguments\n", argc - optind);
		init_usage(stderr);
		return 2;
	}
	const char *dir = argv[optind];
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT;
	int rc = mh_cli_site_create_at(dir, title, database, &cfg, &store, &err);
	if (rc != 0) {
		fprintf(stderr, "masthead init: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return rc;
	}
	printf("created an empty site in %s (schema version %d)\n"
	       "serve it with: masthead serve --site %s\n",
	       cfg.dir, cfg.schema_version, dir);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return 0;
}
