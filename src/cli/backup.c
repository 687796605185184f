/*
 * masthead backup DEST / masthead restore SRC: a whole site in one folder.
 *
 * A backup folder holds backup.ini (what it is: backend, schema version,
 * row counts), site.ini, the database — masthead.db, a consistent copy of a
 * live SQLite database made with SQLite's online backup API while the
 * server goes on serving and writing, or database.pgdump, pg_dump's custom
 * format of the PostgreSQL database — and copies of media/ and theme/.
 * The database is copied first and media after, so every file a backed-up
 * row refers to is there. The backup is built in DEST.partial-PID and
 * renamed to DEST at the end: a failed one leaves nothing that looks whole.
 *
 * Restore refuses a folder that is not empty unless --force; it copies the
 * database to a temporary name, checks it (SQLite's integrity_check and the
 * row counts of backup.ini) and only then puts it in place, followed by
 * media/, theme/ and site.ini.
 *
 * Processes run here: pg_dump and pg_restore (PostgreSQL's own tools; the
 * password travels in PGPASSWORD, never on their command line), and `cp -a`
 * for the media tree (coreutils keeps modes, times and links; no library we
 * use copies trees).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

extern char **environ;

static const char *const counted[] = {
	"sections", "authors", "tags", "articles", "article_authors", "article_tags", "changes", "jobs",
	"users",
};
#define N_COUNTED (sizeof(counted) / sizeof(counted[0]))

/* ---- small helpers ---- */

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* True when dir does not exist or holds nothing. */
static bool empty_or_missing(const char *dir)
{
	if (!exists(dir))
		return true;
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	bool empty = true;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -r: false (errno set) if something stayed. */
static bool remove_tree(const char *path)
{
	if (!exists(path))
		return true;
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

/* Runs argv (PATH searched) with extra "NAME=value" environment entries;
 * its output goes to ours. Returns its exit status, or -1 if it could not
 * run (message in err). */
static int run(char *const argv[], const char *const *extra_env, struct mh_buf *err)
{
	size_t n = 0, k = 0;
	while (environ[n] != NULL)
		n++;
	while (extra_env != NULL && extra_env[k] != NULL)
		k++;
	char **env = calloc(n + k + 1, sizeof(*env));
	MH_ASSERT(env != NULL);
	size_t j = 0;
	for (size_t i = 0; i < k; i++)
		env[j++] = (char *)extra_env[i];
	for (size_t i = 0; i < n; i++) {
		bool overridden = false;
		for (size_t x = 0; x < k; x++) {
			size_t len = strcspn(extra_env[x], "=") + 1;
			if (strncmp(environ[i], extra_env[x], len) == 0)
				overridden = true;
		}
		if (!overridden)
			env[j++] = environ[i];
	}
	env[j] = NULL;
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, env);
	free(env);
	if (rc != 0) {
		mh_buf_printf(err, "cannot run %s: %s%s", argv[0], strerror(rc),
			      rc == ENOENT ? " (is it installed? Debian: postgresql-client)" : "");
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			mh_buf_printf(err, "waiting for %s: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	mh_buf_printf(err, "%s was killed by signal %d", argv[0], WTERMSIG(status));
	return -1;
}

/* cp -a SRC DST (DST must not exist). */
static bool copy_tree(const char *src, const char *dst, struct mh_buf *err)
{
	char *argv[] = { "cp", "-a", "--", (char *)src, (char *)dst, NULL };
	int rc = run(argv, NULL, err);
	if (rc == 0)
		return true;
	if (rc > 0)
		mh_buf_printf(err, "copying %s to %s failed (cp exited %d)", src, dst, rc);
	return false;
}

static bool copy_file(const char *src, const char *dst, struct mh_buf *err)
{
	struct mh_buf b = MH_BUF_INIT;
	bool ok = mh_file_read(src, &b);
	if (!ok)
		mh_buf_printf(err, "%s: cannot read: %s", src, strerror(errno));
	else if (!(ok = mh_file_write_atomic(dst, b.ptr != NULL ? b.ptr : "", b.len)))
		mh_buf_printf(err, "%s: cannot write: %s", dst, strerror(errno));
	mh_buf_free(&b);
	return ok;
}

/* The SQLite file a site's database URL names (relative to the site). */
static void sqlite_path(struct mh_buf *out, const char *url, const char *site_dir)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	if (url[0] != '/')
		mh_buf_printf(out, "%s/", site_dir);
	mh_buf_append_c(out, url);
}

/* Splits a postgres:// URL into the URL without its password and the
 * password (decoded; empty when there is none), so the password can go to
 * pg_dump in PGPASSWORD instead of its command line (visible in ps). */
static void pg_split_password(const char *url, struct mh_buf *no_pw, struct mh_buf *pw)
{
	const char *scheme = strstr(url, "://");
	mh_buf_reset(no_pw);
	mh_buf_reset(pw);
	if (scheme == NULL) {
		mh_buf_append_c(no_pw, url);
		return;
	}
	const char *auth = scheme + 3;
	size_t auth_len = strcspn(auth, "/?");
	const char *at = NULL;
	for (const char *p = auth; p < auth + auth_len; p++)
		if (*p == '@')
			at = p;
	const char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL) {
		mh_buf_append_c(no_pw, url);
		return;
	}
	mh_buf_append(no_pw, url, (size_t)(colon - url));
	mh_buf_append_c(no_pw, at);
	struct mh_arena *a = mh_arena_new();
	struct mh_str dec;
	struct mh_str raw = { colon + 1, (size_t)(at - colon - 1) };
	if (mh_url_decode(a, raw, false, &dec))
		mh_buf_append_str(pw, dec);
	else
		mh_buf_append_str(pw, raw);
	mh_arena_free(a);
}

/* Runs a PostgreSQL tool against url: args go before the URL's --dbname. */
static int run_pg_tool(const char *tool, const char *const *args, const char *url, struct mh_buf *err)
{
	struct mh_buf no_pw = MH_BUF_INIT, pw = MH_BUF_INIT, dbname = MH_BUF_INIT, env_pw = MH_BUF_INIT;
	pg_split_password(url, &no_pw, &pw);
	mh_buf_printf(&dbname, "--dbname=%s", mh_buf_cstr(&no_pw));
	char *argv[16];
	int n = 0;
	argv[n++] = (char *)tool;
	for (size_t i = 0; args[i] != NULL && n < 14; i++)
		argv[n++] = (char *)args[i];
	argv[n++] = (char *)mh_buf_cstr(&dbname);
	argv[n] = NULL;
	const char *env[2] = { NULL, NULL };
	if (pw.len > 0) {
		mh_buf_printf(&env_pw, "PGPASSWORD=%s", mh_buf_cstr(&pw));
		env[0] = mh_buf_cstr(&env_pw);
	}
	int rc = run(argv, env, err);
	if (rc > 0)
		mh_buf_printf(err, "%s exited %d (its message is above)", tool, rc);
	mh_buf_free(&no_pw);
	mh_buf_free(&pw);
	mh_buf_free(&dbname);
	mh_buf_free(&env_pw);
	return rc;
}

/* ---- backup.ini ---- */

struct manifest {
	char backend[16];
	int schema;
	bool has_counts;
	int64_t counts[N_COUNTED];
};

static bool manifest_write(const char *path, const struct manifest *m, struct mh_buf *err)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "# masthead backup: restore it with 'masthead restore FOLDER --site DIR'\n");
	mh_buf_printf(&b, "format = 1\nversion = %s\ncreated = ", MH_VERSION);
	mh_time_rfc3339(&b, mh_time_now());
	mh_buf_printf(&b, "\nbackend = %s\nschema = %d\ndatabase = %s\n", m->backend, m->schema,
		      strcmp(m->backend, "sqlite") == 0 ? "masthead.db" : "database.pgdump");
	if (m->has_counts)
		for (size_t i = 0; i < N_COUNTED; i++)
			mh_buf_printf(&b, "rows.%s = %lld\n", counted[i], (long long)m->counts[i]);
	bool ok = mh_file_write_atomic(path, b.ptr, b.len);
	if (!ok)
		mh_buf_printf(err, "%s: cannot write: %s", path, strerror(errno));
	mh_buf_free(&b);
	return ok;
}

static bool manifest_read(const char *dir, struct manifest *m, struct mh_buf *err)
{
	memset(m, 0, sizeof(*m));
	struct mh_buf path = MH_BUF_INIT, text = MH_BUF_INIT;
	mh_buf_printf(&path, "%s/backup.ini", dir);
	bool ok = mh_file_read(mh_buf_cstr(&path), &text);
	if (!ok) {
		mh_buf_printf(err, "%s: not a masthead backup (%s: %s)", dir, mh_buf_cstr(&path), strerror(errno));
		goto out;
	}
	int format = 0, seen_counts = 0;
	const char *p = mh_buf_cstr(&text);
	while (*p) {
		size_t n = strcspn(p, "\n");
		char line[256];
		if (n < sizeof(line) && p[0] != '#') {
			memcpy(line, p, n);
			line[n] = '\0';
			char key[64], val[128];
			if (sscanf(line, "%63[^ =] = %127[^\n]", key, val) == 2) {
				if (strcmp(key, "format") == 0)
					format = atoi(val);
				else if (strcmp(key, "backend") == 0)
					snprintf(m->backend, sizeof(m->backend), "%.15s", val);
				else if (strcmp(key, "schema") == 0)
					m->schema = atoi(val);
				for (size_t i = 0; i < N_COUNTED; i++) {
					if (strncmp(key, "rows.", 5) == 0 && strcmp(key + 5, counted[i]) == 0) {
						m->counts[i] = strtoll(val, NULL, 10);
						seen_counts++;
					}
				}
			}
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	m->has_counts = seen_counts == (int)N_COUNTED;
	if (format != 1 || (strcmp(m->backend, "sqlite") != 0 && strcmp(m->backend, "postgres") != 0)) {
		mh_buf_printf(err, "%s: not a backup this version can read (format %d, backend '%s')",
			      mh_buf_cstr(&path), format, m->backend);
		ok = false;
	}
out:
	mh_buf_free(&path);
	mh_buf_free(&text);
	return ok;
}

/* Row counts of the tables backup.ini records. */
static bool count_rows(struct mh_store *s, int64_t counts[N_COUNTED], struct mh_buf *err)
{
	for (size_t i = 0; i < N_COUNTED; i++) {
		if (mh_store_count(s, counted[i], &counts[i]) != MH_OK) {
			mh_buf_printf(err, "cannot count the rows of %s", counted[i]);
			return false;
		}
	}
	return true;
}

/* Compares s's rows with the backup's; false with the first difference. */
static bool counts_match(struct mh_store *s, const struct manifest *m, struct mh_buf *err)
{
	int64_t got[N_COUNTED];
	if (!count_rows(s, got, err))
		return false;
	for (size_t i = 0; i < N_COUNTED; i++) {
		if (got[i] != m->counts[i]) {
			mh_buf_printf(err, "table %s holds %lld rows, the backup recorded %lld", counted[i],
				      (long long)got[i], (long long)m->counts[i]);
			return false;
		}
	}
	return true;
}

/* ---- masthead backup ---- */

static void backup_usage(FILE *f)
{
	fprintf(f, "usage: masthead backup DEST [--site DIR]\n\n"
		   "Copies the site in DIR (default: the current folder) into the new folder DEST,\n"
		   "while the server goes on serving: the database (SQLite: a consistent copy by\n"
		   "SQLite's online backup API; PostgreSQL: pg_dump's custom format), then media/,\n"
		   "theme/ and site.ini. DEST must not exist (or be an empty folder).\n"
		   "Put it back with 'masthead restore DEST --site DIR'.\n");
}

static bool parse_site_args(const char *cmd, int argc, char **argv, const char **dir, const char **folder,
			    bool *force, void (*usage)(FILE *), int *rc)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			*dir = optarg;
			break;
		case 'f':
			if (force == NULL)
				goto bad;
			*force = true;
			break;
		case 'h':
			usage(stdout);
			*rc = 0;
			return false;
		default:
		bad:
			fprintf(stderr, "masthead %s: unknown or incomplete option '%s'\n", cmd, argv[optind - 1]);
			usage(stderr);
			*rc = 2;
			return false;
		}
	}
	if (optind + 1 != argc) {
		if (optind == argc)
			fprintf(stderr, "masthead %s: which folder? (%s)\n", cmd,
				force == NULL ? "the backup's new folder" : "the backup to restore");
		else
			fprintf(stderr, "masthead %s: unexpected argument '%s'\n", cmd, argv[optind + 1]);
		usage(stderr);
		*rc = 2;
		return false;
	}
	*folder = argv[optind];
	if ((*folder)[0] == '\0') {
		fprintf(stderr, "masthead %s: the folder name is empty\n", cmd);
		*rc = 2;
		return false;
	}
	return true;
}

int mh_cli_backup(int argc, char **argv)
{
	const char *dir = ".", *dest = NULL;
	int rc = 1;
	if (!parse_site_args("backup", argc, argv, &dir, &dest, NULL, backup_usage, &rc))
		return rc;
	if (!empty_or_missing(dest)) {
		fprintf(stderr, "masthead backup: %s: already exists and is not empty (choose a new folder)\n", dest);
		return 1;
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT, tmp = MH_BUF_INIT, path = MH_BUF_INIT, src = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead backup: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	rc = 1;
	struct manifest m = { 0 };
	bool pg = mh_store_url_is_postgres(cfg.store.url);
	snprintf(m.backend, sizeof(m.backend), "%s", pg ? "postgres" : "sqlite");
	m.schema = cfg.store.schema_version;
	mh_buf_printf(&tmp, "%s.partial-%d", dest, (int)getpid());
	if (mkdir(mh_buf_cstr(&tmp), 0700) != 0) {
		fprintf(stderr, "masthead backup: %s: cannot create folder: %s\n", mh_buf_cstr(&tmp), strerror(errno));
		goto out;
	}

	/* 1. the database */
	if (pg) {
		mh_buf_printf(&path, "--file=%s/database.pgdump", mh_buf_cstr(&tmp));
		const char *args[] = { "--format=custom", "--no-password", mh_buf_cstr(&path), NULL };
		if (run_pg_tool("pg_dump", args, cfg.store.url, &err) != 0) {
			fprintf(stderr, "masthead backup: database: %s\n", mh_buf_cstr(&err));
			goto out;
		}
	} else {
		mh_buf_printf(&path, "%s/masthead.db", mh_buf_cstr(&tmp));
		if (mh_store_backup(store, mh_buf_cstr(&path), &err) != MH_OK) {
			fprintf(stderr, "masthead backup: database: %s\n", mh_buf_cstr(&err));
			goto out;
		}
		/* the copy checked, and its rows counted for restore to compare */
		struct mh_store *copy = NULL;
		mh_buf_reset(&src);
		mh_buf_printf(&src, "sqlite:%s", mh_buf_cstr(&path));
		bool ok = mh_store_open(mh_buf_cstr(&src), NULL, false, &copy, &err) == MH_OK &&
			  mh_store_check(copy, &err) == MH_OK && count_rows(copy, m.counts, &err);
		mh_store_close(copy);
		if (!ok) {
			fprintf(stderr, "masthead backup: the copy of the database: %s\n", mh_buf_cstr(&err));
			goto out;
		}
		m.has_counts = true;
		/* no -wal/-shm beside it: the copy is one self-contained file */
		mh_buf_append_c(&path, "-shm");
		unlink(mh_buf_cstr(&path));
	}

	/* 2. media/ and theme/, after the database: every file a copied row
	 * names was there before the copy began */
	const char *trees[2] = { "media", cfg.site.theme_dir };
	const char *names[2] = { "media", "theme" };
	for (int i = 0; i < 2; i++) {
		mh_buf_reset(&src);
		if (trees[i][0] == '/')
			mh_buf_append_c(&src, trees[i]);
		else
			mh_buf_printf(&src, "%s/%s", cfg.dir, trees[i]);
		if (!is_dir(mh_buf_cstr(&src)))
			continue;
		mh_buf_reset(&path);
		mh_buf_printf(&path, "%s/%s", mh_buf_cstr(&tmp), names[i]);
		if (!copy_tree(mh_buf_cstr(&src), mh_buf_cstr(&path), &err)) {
			fprintf(stderr, "masthead backup: %s\n", mh_buf_cstr(&err));
			goto out;
		}
	}

	/* 3. site.ini and what the folder is */
	mh_buf_reset(&path);
	mh_buf_printf(&path, "%s/site.ini", mh_buf_cstr(&tmp));
	if (!copy_file(cfg.path, mh_buf_cstr(&path), &err)) {
		fprintf(stderr, "masthead backup: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	mh_buf_reset(&path);
	mh_buf_printf(&path, "%s/backup.ini", mh_buf_cstr(&tmp));
	if (!manifest_write(mh_buf_cstr(&path), &m, &err)) {
		fprintf(stderr, "masthead backup: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	if (exists(dest))
		rmdir(dest); /* empty, checked above */
	if (rename(mh_buf_cstr(&tmp), dest) != 0) {
		fprintf(stderr, "masthead backup: %s: cannot rename to %s: %s\n", mh_buf_cstr(&tmp), dest,
			strerror(errno));
		goto out;
	}
	if (m.has_counts)
		printf("backed up %s (sqlite, schema %d: %lld articles) to %s\n", cfg.dir, m.schema,
		       (long long)m.counts[3], dest);
	else
		printf("backed up %s (postgres, schema %d, pg_dump custom format) to %s\n", cfg.dir, m.schema, dest);
	rc = 0;
out:
	if (rc != 0 && tmp.len > 0)
		remove_tree(mh_buf_cstr(&tmp));
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	mh_buf_free(&tmp);
	mh_buf_free(&path);
	mh_buf_free(&src);
	return rc;
}

/* ---- masthead restore ---- */

static void restore_usage(FILE *f)
{
	fprintf(f, "usage: masthead restore SRC [--site DIR] [--force]\n\n"
		   "Puts the backup in folder SRC (made by 'masthead backup') back as the site in\n"
		   "DIR (default: the current folder): site.ini, the database (checked before it\n"
		   "replaces anything), media/ and theme/. Stop the servers of DIR first.\n"
		   "  --site DIR   the site folder to restore into (created if missing)\n"
		   "  --force      replace the site already in DIR (a folder that is not empty,\n"
		   "               or a PostgreSQL database that holds rows)\n");
}

/* Puts the tree SRC/name in place of DIR/name (old one removed after). */
static bool replace_tree(const char *src_dir, const char *name, const char *dst, struct mh_buf *err)
{
	struct mh_buf from = MH_BUF_INIT, fresh = MH_BUF_INIT, old = MH_BUF_INIT;
	mh_buf_printf(&from, "%s/%s", src_dir, name);
	bool ok = true;
	if (!is_dir(mh_buf_cstr(&from)))
		goto out;
	mh_buf_printf(&fresh, "%s.restoring-%d", dst, (int)getpid());
	mh_buf_printf(&old, "%s.old-%d", dst, (int)getpid());
	remove_tree(mh_buf_cstr(&fresh));
	ok = copy_tree(mh_buf_cstr(&from), mh_buf_cstr(&fresh), err);
	if (ok && exists(dst) && rename(dst, mh_buf_cstr(&old)) != 0) {
		mh_buf_printf(err, "%s: cannot move it aside: %s", dst, strerror(errno));
		ok = false;
	}
	if (ok && rename(mh_buf_cstr(&fresh), dst) != 0) {
		mh_buf_printf(err, "%s: cannot put it in place: %s", dst, strerror(errno));
		ok = false;
	}
	if (ok)
		remove_tree(mh_buf_cstr(&old));
	else
		remove_tree(mh_buf_cstr(&fresh));
out:
	mh_buf_free(&from);
	mh_buf_free(&fresh);
	mh_buf_free(&old);
	return ok;
}

/* Does the PostgreSQL database at url hold any row of ours? A database
 * without our tables is empty. */
static enum mh_store_rc pg_holds_rows(const char *url, bool *holds, struct mh_buf *err)
{
	struct mh_store *s = NULL;
	*holds = false;
	enum mh_store_rc rc = mh_store_open(url, NULL, false, &s, err);
	if (rc != MH_OK)
		return rc;
	for (size_t i = 0; i < N_COUNTED && !*holds; i++) {
		int64_t n = 0;
		if (mh_store_count(s, counted[i], &n) == MH_OK && n > 0)
			*holds = true;
	}
	int64_t n = 0;
	if (mh_store_count(s, "schema_migrations", &n) == MH_OK && n > 0)
		*holds = true;
	mh_store_close(s);
	return MH_OK;
}

int mh_cli_restore(int argc, char **argv)
{
	const char *dir = ".", *from = NULL;
	bool force = false;
	int rc = 1;
	if (!parse_site_args("restore", argc, argv, &dir, &from, &force, restore_usage, &rc))
		return rc;
	struct manifest m;
	struct mh_buf err = MH_BUF_INIT, path = MH_BUF_INIT, tmpdb = MH_BUF_INIT, target = MH_BUF_INIT;
	struct mh_config bcfg, cfg;
	mh_config_defaults(&bcfg);
	mh_config_defaults(&cfg);
	struct mh_store *store = NULL;
	rc = 1;
	if (!is_dir(from)) {
		fprintf(stderr, "masthead restore: %s: no such folder\n", from);
		goto out;
	}
	if (!manifest_read(from, &m, &err)) {
		fprintf(stderr, "masthead restore: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	/* the backup's own site.ini says where the database goes (the
	 * environment's MASTHEAD_DATABASE_URL winning, as for every command) */
	if (!mh_config_load(&bcfg, from, &err)) {
		fprintf(stderr, "masthead restore: the backup's site.ini: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	bool pg = mh_store_url_is_postgres(bcfg.store.url);
	if (pg != (strcmp(m.backend, "postgres") == 0)) {
		fprintf(stderr,
			"masthead restore: the backup holds a %s database but the site's database is %s ('%s'); "
			"restore to its own kind, then move it with 'masthead db copy'\n",
			m.backend, pg ? "PostgreSQL" : "SQLite", pg ? "postgres://..." : bcfg.store.url);
		goto out;
	}
	if (!force && !empty_or_missing(dir)) {
		fprintf(stderr, "masthead restore: %s: not empty (a site may be there); use --force to replace it\n",
			dir);
		goto out;
	}
	if (pg) {
		bool holds = false;
		if (pg_holds_rows(bcfg.store.url, &holds, &err) != MH_OK) {
			fprintf(stderr, "masthead restore: database: %s\n", mh_buf_cstr(&err));
			goto out;
		}
		if (holds && !force) {
			fprintf(stderr,
				"masthead restore: the database of the backup's site.ini already holds a site; "
				"use --force to replace it\n");
			goto out;
		}
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "masthead restore: %s: cannot create folder: %s\n", dir, strerror(errno));
		goto out;
	}
	char *abs = realpath(dir, NULL);
	if (abs == NULL) {
		fprintf(stderr, "masthead restore: %s: %s\n", dir, strerror(errno));
		goto out;
	}

	/* 1. the database: checked under a temporary name before it replaces
	 * anything (SQLite); PostgreSQL's pg_restore runs in one transaction */
	if (pg) {
		mh_buf_printf(&path, "%s/database.pgdump", from);
		const char *plain[] = { "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
					"--no-password", mh_buf_cstr(&path), NULL };
		const char *clean[] = { "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
					"--no-password", "--clean", "--if-exists", mh_buf_cstr(&path), NULL };
		bool holds = false;
		pg_holds_rows(bcfg.store.url, &holds, &err);
		/* --dbname goes last: pg_restore takes the file as its argument */
		if (run_pg_tool("pg_restore", holds ? clean : plain, bcfg.store.url, &err) != 0) {
			fprintf(stderr, "masthead restore: database: %s\n", mh_buf_cstr(&err));
			free(abs);
			goto out;
		}
	} else {
		sqlite_path(&target, bcfg.store.url, abs);
		mh_buf_printf(&tmpdb, "%s.restoring-%d", mh_buf_cstr(&target), (int)getpid());
		mh_buf_printf(&path, "%s/masthead.db", from);
		unlink(mh_buf_cstr(&tmpdb));
		struct mh_store *copy = NULL;
		struct mh_buf url = MH_BUF_INIT;
		mh_buf_printf(&url, "sqlite:%s", mh_buf_cstr(&tmpdb));
		bool ok = copy_file(mh_buf_cstr(&path), mh_buf_cstr(&tmpdb), &err) &&
			  mh_store_open(mh_buf_cstr(&url), NULL, false, &copy, &err) == MH_OK &&
			  mh_store_check(copy, &err) == MH_OK && (!m.has_counts || counts_match(copy, &m, &err));
		mh_store_close(copy);
		mh_buf_free(&url);
		if (!ok) {
			fprintf(stderr, "masthead restore: the backup's database: %s (nothing was replaced)\n",
				mh_buf_cstr(&err));
			mh_buf_reset(&url);
			unlink(mh_buf_cstr(&tmpdb));
			mh_buf_printf(&url, "%s-wal", mh_buf_cstr(&tmpdb));
			unlink(mh_buf_cstr(&url));
			mh_buf_reset(&url);
			mh_buf_printf(&url, "%s-shm", mh_buf_cstr(&tmpdb));
			unlink(mh_buf_cstr(&url));
			mh_buf_free(&url);
			free(abs);
			goto out;
		}
		/* the old database's journal goes with it */
		static const char *const sfx[] = { "-wal", "-shm" };
		for (int i = 0; i < 2; i++) {
			mh_buf_reset(&url);
			mh_buf_printf(&url, "%s%s", mh_buf_cstr(&target), sfx[i]);
			unlink(mh_buf_cstr(&url));
			mh_buf_reset(&url);
			mh_buf_printf(&url, "%s%s", mh_buf_cstr(&tmpdb), sfx[i]);
			unlink(mh_buf_cstr(&url));
		}
		mh_buf_free(&url);
		if (rename(mh_buf_cstr(&tmpdb), mh_buf_cstr(&target)) != 0) {
			fprintf(stderr, "masthead restore: %s: cannot put the database in place: %s\n",
				mh_buf_cstr(&target), strerror(errno));
			free(abs);
			goto out;
		}
	}

	/* 2. media/ and theme/, then site.ini */
	const char *names[2] = { "media", "theme" };
	for (int i = 0; i < 2; i++) {
		mh_buf_reset(&path);
		if (i == 1 && bcfg.site.theme_dir[0] == '/')
			mh_buf_append_c(&path, bcfg.site.theme_dir);
		else
			mh_buf_printf(&path, "%s/%s", abs, i == 0 ? "media" : bcfg.site.theme_dir);
		if (!replace_tree(from, names[i], mh_buf_cstr(&path), &err)) {
			fprintf(stderr, "masthead restore: %s\n", mh_buf_cstr(&err));
			free(abs);
			goto out;
		}
	}
	mh_buf_reset(&path);
	mh_buf_printf(&path, "%s/media", abs);
	mkdir(mh_buf_cstr(&path), 0755);
	mh_buf_reset(&path);
	mh_buf_printf(&path, "%s/site.ini", from);
	mh_buf_reset(&target);
	mh_buf_printf(&target, "%s/site.ini", abs);
	free(abs);
	if (!copy_file(mh_buf_cstr(&path), mh_buf_cstr(&target), &err)) {
		fprintf(stderr, "masthead restore: %s\n", mh_buf_cstr(&err));
		goto out;
	}

	/* 3. the site as a server would open it (migrated if the backup is
	 * older), checked once more */
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead restore: the restored site: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	if (mh_store_check(store, &err) != MH_OK) {
		fprintf(stderr, "masthead restore: the restored database: %s\n", mh_buf_cstr(&err));
		goto out;
	}
	int64_t articles = 0;
	mh_store_count(store, "articles", &articles);
	printf("restored %s (%s, schema %d: %lld articles) into %s; integrity check ok\n", from, m.backend,
	       m.schema, (long long)articles, cfg.dir);
	rc = 0;
out:
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_config_free(&bcfg);
	mh_buf_free(&err);
	mh_buf_free(&path);
	mh_buf_free(&tmpdb);
	mh_buf_free(&target);
	return rc;
}
