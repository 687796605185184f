/*
 * cli/db.h: the database side of the command line: `masthead db` and site
 * creation on a chosen database. (These belong in cli.h; kept here until its
 * owner moves them.)
 */
#ifndef MH_CLI_DB_H
#define MH_CLI_DB_H

#include "cli/cli.h"

/* masthead db copy --from SRC --to DST [--force] (db.c). */
int mh_cli_db(int argc, char **argv);

/* mh_cli_site_create with the database to use: NULL keeps the default
 * (masthead.db in the folder); else a path, sqlite:PATH or a postgres:// URL,
 * written to site.ini's [database] url. A site.ini this call wrote is removed
 * again when the database cannot be opened, so the command can be retried. */
int mh_cli_site_create_at(const char *dir, const char *title, const char *database, struct mh_config *cfg,
			  struct mh_store **store, struct mh_buf *err);

#endif
