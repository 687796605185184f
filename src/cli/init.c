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


/* Opens the database named in cfg and brings its schema up to date,
 * recording the version in site.ini when it moved. */
static int open_store(struct mh_config *cfg, bool create, struct mh_store **store, struct mh_buf *err)
{
	if (mh_store_open(cfg->store.url, cfg->dir, create, store, err) != MH_OK)
		return 1;
	int version = 0;
	if (mh_store_migrate(*store, &version, err) != MH_OK) {
		mh_store_close(*store);
		*store = NULL;
		return 1;
	}
	if (version != cfg->store.schema_version) {
		char v[32];
		snprintf(v, sizeof(v), "%d", version);
		if (!mh_config_set(cfg->path, "schema", "version", v, err)) {
			mh_store_close(*store);
			*store = NULL;
			return 1;
		}
		cfg->store.schema_version = version;
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
	/* every setting at its default with its comment, from the modules'
	 * own tables, so an operator edits rather than looks up */
	struct mh_buf ini = MH_BUF_INIT, why = MH_BUF_INIT;
	mh_config_write_defaults(&ini);
	const char *bad = NULL;
	if (!mh_config_edit(&ini, "site.ini", "site", "title", title, &why))
		bad = "--title";
	else if (!mh_config_edit(&ini, "site.ini", "database", "url", database, &why))
		bad = "--database";
	if (bad != NULL) {
		mh_buf_printf(err, "%s: %s", bad, mh_buf_cstr(&why));
		mh_buf_free(&ini);
		mh_buf_free(&why);
		mh_buf_free(&path);
		return 2;
	}
	mh_buf_free(&why);
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
	/* what the admin set in the database wins over site.ini's [site] */
	struct mh_arena *a = mh_arena_new();
	struct mh_site_setting *rows = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_site_settings(*store, a, &rows, &n);
	if (rc == MH_OK)
		mh_site_settings_overlay(&cfg->site, rows, n, true);
	mh_arena_free(a);
	if (rc != MH_OK) {
		mh_buf_printf(err, "cannot read the site settings from the database");
		mh_store_close(*store);
		*store = NULL;
		mh_config_free(cfg);
		return 1;
	}
	return 0;
}

static void init_usage(FILE *f)
{
	fprintf(f, "usage: masthead init DIR [--title TITLE] [--database URL] [--owner EMAIL [--name NAME] [--generate]]\n\n"
		   "Creates a site in DIR: site.ini (settings), the database, media/, a 'news'\n"
		   "section and the first owner account.\n"
		   "  --title TITLE     the site's name (default \"Masthead\")\n"
		   "  --database URL    masthead.db in DIR (default), a file path, sqlite:PATH, or\n"
		   "                    postgres://USER@HOST:PORT/DB (the database must exist)\n"
		   "  --owner EMAIL     the first owner's email (asked for on a terminal when left out;\n"
		   "                    without a terminal, no account is made: add one with 'user add')\n"
		   "  --name NAME       the owner's name (default: the part of EMAIL before '@')\n"
		   "  --generate        make up the owner's password and print it; else it is read\n"
		   "                    from standard input (one line), or asked for on a terminal\n");
}

int mh_cli_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 't' },
		{ "database", required_argument, NULL, 'd' },
		{ "owner", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "generate", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *title = "Masthead", *database = NULL, *owner = NULL, *owner_name = NULL;
	bool generate = false;
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
		case 'o':
			owner = optarg;
			break;
		case 'n':
			owner_name = optarg;
			break;
		case 'g':
			generate = true;
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
	/* asked for only when a person is at a terminal (input and output):
	 * scripts and tests never wait on a prompt */
	bool interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if ((owner_name != NULL || generate) && owner == NULL && !interactive) {
		fprintf(stderr, "masthead init: --name and --generate go with --owner EMAIL\n");
		return 2;
	}
	if (!mh_auth_init()) {
		fprintf(stderr, "masthead init: libsodium could not start (no randomness source)\n");
		return 1;
	}
	const char *dir = argv[optind];
	struct mh_buf err = MH_BUF_INIT, asked = MH_BUF_INIT, password = MH_BUF_INIT, name = MH_BUF_INIT;
	/* Everything about the owner is settled before the site exists, so a
	 * refused password leaves no half-made site behind. */
	if (owner == NULL && interactive) {
		printf("The site's first owner (an account that may do everything).\nEmail: ");
		fflush(stdout);
		char line[512];
		if (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			mh_buf_append_c(&asked, line);
		}
		if (asked.len > 0)
			owner = mh_buf_cstr(&asked);
	}
	int rc = 0;
	if (owner != NULL) {
		if (owner_name == NULL) {
			mh_buf_append(&name, owner, strcspn(owner, "@"));
			owner_name = mh_buf_cstr(&name);
		}
		if ((rc = mh_cli_read_password(owner, generate, &password, &err)) != 0) {
			fprintf(stderr, "masthead init: %s\n", mh_buf_cstr(&err));
			goto done;
		}
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	rc = mh_cli_site_create_at(dir, title, database, &cfg, &store, &err);
	if (rc != 0) {
		fprintf(stderr, "masthead init: %s\n", mh_buf_cstr(&err));
		goto done;
	}
	/* a site with a section takes articles at once */
	struct mh_section news = { .slug = "news", .name = "News", .description = "", .position = 0 };
	if (mh_store_section_save(store, &news, &err) != MH_OK) {
		fprintf(stderr, "masthead init: section 'news': %s\n", mh_buf_cstr(&err));
		rc = 1;
	} else if (owner != NULL &&
		   (rc = mh_cli_user_create(store, owner, owner_name, "owner", NULL, mh_buf_str(&password), &err)) != 0) {
		fprintf(stderr, "masthead init: --owner: %s\n(the site was made without an owner: add one with "
				"'masthead user add EMAIL --name NAME --role owner --site %s')\n",
			mh_buf_cstr(&err), dir);
	}
	if (rc == 0) {
		printf("created a site in %s (schema version %d) with the section 'news'\n", cfg.dir,
		       cfg.store.schema_version);
		if (owner != NULL) {
			printf("owner: %s\n", owner);
			if (generate)
				printf("password: %s\n", mh_buf_cstr(&password));
			printf("log in at: %s/admin/login\n", cfg.site.base_url);
		} else {
			printf("no owner account yet: add one with\n"
			       "  masthead user add EMAIL --name NAME --role owner --site %s\n",
			       dir);
		}
		printf("serve it with: masthead serve --site %s\n", dir);
	}
	mh_store_close(store);
	mh_config_free(&cfg);
done:
	mh_buf_free(&err);
	mh_buf_free(&asked);
	mh_buf_free(&password);
	mh_buf_free(&name);
	return rc;
}
