/*
 * cli: the masthead command and its subcommands, one file each. Every
 * subcommand returns the process exit code: 0 ok, 1 runtime failure, 2 usage
 * error; errors go to stderr naming the file, setting or argument at fault.
 */
#ifndef MH_CLI_H
#define MH_CLI_H

#include "cache/cache.h"
#include "http/http.h"
#include "audience/newsletter.h"
#include "jobs/jobs.h"
#include "mail/mail.h"
#include "media/media.h"
#include "site/site.h"
#include "store/store.h"
#include "util/util.h"

/* ---- site.ini (config.c) ----
 * The whole site.ini: each section is declared by the module that owns it
 * and lands in that module's struct here. Strings are never NULL, except
 * dir/path (before a load) and server.tls_cert/tls_key (NULL = not set);
 * optional text is "" when unset; URLs have no trailing '/'. */
struct mh_config {
	char *dir;  /* the site folder, absolute (set by mh_config_load) */
	char *path; /* its site.ini */
	struct mh_site_settings site;   /* [site], [theme]: site/settings.c */
	struct mh_store_settings store; /* [database], [schema]: store/settings.c */
	struct mh_http_settings server; /* [server]: http/settings.c */
	struct mh_cache_settings cache; /* [cache]: cache/settings.c */
	struct mh_jobs_settings jobs;   /* [jobs]: jobs/settings.c */
	struct mh_purge_settings purge; /* [purge]: jobs/settings.c */
	struct mh_media_settings media; /* [media]: media/settings.c */
	struct mh_auth_settings auth;   /* [auth]: auth/settings.c */
	struct mh_views_settings views; /* [views]: audience/settings.c */
	struct mh_feeds_settings feeds; /* [feeds]: site/feeds.c */
	struct mh_trending_settings trending; /* [trending]: audience/trending.c */
	struct mh_comments_settings comments; /* [comments]: audience/comments.c */
	struct mh_ads_settings ads;     /* [ads]: site/ads.c */
	struct mh_mail_settings mail;   /* [mail]: mail/settings.c */
	struct mh_newsletter_settings newsletter; /* [newsletter]: audience/newsletter_settings.c */
	struct mh_donations_settings donations; /* [donations], [paypal], [stripe]: donations/settings.c */
};
/* The registry: every section's table, in site.ini's order, bound to c's
 * members (values NULL when c is NULL). Returns how many were written. */
#define MH_CONFIG_SLOTS 40
size_t mh_config_slots(struct mh_config *c, struct mh_settings_slot out[MH_CONFIG_SLOTS]);
/* Defaults for every setting, then DIR/site.ini. On error returns false and
 * writes "FILE:LINE: [section] key: problem (expected ...)" into err (may be
 * NULL); c is then left at defaults. MASTHEAD_DATABASE_URL, when set, wins
 * over [database] url. Free with mh_config_free() (also after a failure). */
bool mh_config_load(struct mh_config *c, const char *dir, struct mh_buf *err);
/* Allocates nothing, so it may be called on uninitialised memory and needs no
 * free; a later mh_config_parse/load does not leak it. */
void mh_config_defaults(struct mh_config *c);
/* Parses ini text (the fuzz entry point); same error contract as load. Starts
 * from the defaults itself: c must not hold parsed strings (free it first). */
bool mh_config_parse(struct mh_config *c, const char *name, const char *text, size_t len, struct mh_buf *err);
void mh_config_free(struct mh_config *c);
/* Rewrites one key of site.ini at path in place (adds section/key if
 * missing), atomically. Comments and other lines are kept; the result must
 * parse before it is written, so a bad value leaves the file as it was and
 * explains why in err. A missing file is created. */
bool mh_config_set(const char *path, const char *section, const char *key, const char *value, struct mh_buf *err);
/* The same on text in memory (name is for messages). */
bool mh_config_edit(struct mh_buf *text, const char *name, const char *section, const char *key, const char *value,
		    struct mh_buf *err);
/* Appends the site.ini a new site starts with, generated from the tables:
 * every section and key at its default, each with its comment. */
void mh_config_write_defaults(struct mh_buf *out);

int mh_cli_init(int argc, char **argv);
int mh_cli_demo(int argc, char **argv);
int mh_cli_serve(int argc, char **argv);
int mh_cli_article(int argc, char **argv);
int mh_cli_jobs(int argc, char **argv);
int mh_cli_media(int argc, char **argv);
int mh_cli_db(int argc, char **argv);
int mh_cli_backup(int argc, char **argv);
int mh_cli_restore(int argc, char **argv);
int mh_cli_user(int argc, char **argv);
int mh_cli_section(int argc, char **argv);
int mh_cli_author(int argc, char **argv);
int mh_cli_settings(int argc, char **argv);
int mh_cli_redirect(int argc, char **argv); /* issue 9 */
int mh_cli_import(int argc, char **argv);   /* issue 11 */
int mh_cli_export(int argc, char **argv);   /* export.c (issue 11): json | static */
int mh_cli_export_json(int argc, char **argv);   /* export_json.c */
int mh_cli_export_static(int argc, char **argv); /* export_static.c */

/* ---- mail and the newsletter (newsletter.c, issue 10) ---- */
int mh_cli_newsletter(int argc, char **argv);
/* Loads the mail theme and configures the newsletter module for this
 * process with cfg's [mail], [newsletter] and [site] (cfg must outlive
 * it): before any mail is made, and before the job runner starts. 1 with
 * err on a broken mail theme. */
int mh_cli_mail_setup(const struct mh_config *cfg, struct mh_buf *err);
void mh_cli_mail_teardown(void);
int mh_cli_donations(int argc, char **argv); /* donations.c (issue 10) */

/* ---- accounts (user.c) ---- */
/* The password for a new account or a changed one: generated (and printed
 * by the caller) with generate; else one line from standard input when it
 * is not a terminal, or asked twice without echo on a terminal. Checked
 * with mh_auth_password_acceptable against email. Returns an exit code
 * (2 for a password the rules refuse) with a message in err. */
int mh_cli_read_password(const char *email, bool generate, struct mh_buf *out, struct mh_buf *err);
/* Creates an account: checks the role name and the author slug (may be
 * NULL), hashes password. Returns an exit code, message in err. */
int mh_cli_user_create(struct mh_store *s, const char *email, const char *name, const char *role,
		       const char *author_slug, struct mh_str password, struct mh_buf *err);

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

/* article revisions SLUG | restore SLUG REVISION_ID | diff SLUG REV_A REV_B |
 * rename SLUG NEW_SLUG (article_revisions.c); args are the command's
 * arguments, their number checked by the caller. */
int mh_cli_article_history(struct mh_store *s, const char *cmd, int nargs, char **args);
/* A revision number argument called name: 0, or 2 with the message on stderr. */
int mh_cli_revision_arg(const char *cmd, const char *name, const char *text, int64_t *out);
/* Who saves from the command line, as revisions keep it: "LOGIN (command
 * line)", in arena memory. */
const char *mh_cli_who(struct mh_arena *a);

/* True when stderr is a terminal: long work shows progress only then. */
bool mh_cli_progress_wanted(void);

#endif
