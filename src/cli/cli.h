/*
 * cli: the masthead command and its subcommands, one file each. Every
 * subcommand returns the process exit code: 0 ok, 1 runtime failure, 2 usage
 * error; errors go to stderr naming the file, setting or argument at fault.
 */
#ifndef MH_CLI_H
#define MH_CLI_H

#include "store/store.h"
#include "util/util.h"

int mh_cli_init(int argc, char **argv);
int mh_cli_demo(int argc, char **argv);
int mh_cli_serve(int argc, char **argv);
int mh_cli_article(int argc, char **argv);
int mh_cli_jobs(int argc, char **argv);
int mh_cli_db(int argc, char **argv);
int mh_cli_backup(int argc, char **argv);
int mh_cli_restore(int argc, char **argv);

/* Creates the site folder dir (must not hold a site.ini yet): site.ini with
 * defaults (title given), media/, and a migrated database whose schema version
 * is recorded in site.ini. On success *cfg is loaded and *store is open (the
 * caller closes both). Returns an exit code; message in err on failure. */
int mh_cli_site_create(const char *dir, const char *title, struct mh_config *cfg, struct mh_store **store,
		       struct mh_buf *err);

/* mh_cli_site_create with the database to use: NULL keeps the default
 * (masthead.db in the folder); else a path, sqlite:PATH or a postgres:// URL,
 * written to site.ini's [database] url. A site.ini this call wrote is removed
 * again when the database cannot be opened, so the command can be retried. */
int mh_cli_site_create_at(const char *dir, const char *title, const char *database, struct mh_config *cfg,
			  struct mh_store **store, struct mh_buf *err);

/* Opens the site in dir: loads site.ini, opens and migrates the database
 * (recording the schema version in site.ini when it changed). */
int mh_cli_site_open(const char *dir, struct mh_config *cfg, struct mh_store **store, struct mh_buf *err);

/* article add|update: one FILE.md, or every *.md in from_dir (article_file.c). */
int mh_cli_article_files(struct mh_store *s, const struct mh_config *cfg, bool add, const char *from_dir,
			 const char *file);

/* True when stderr is a terminal: long work shows progress only then. */
bool mh_cli_progress_wanted(void);

#endif
