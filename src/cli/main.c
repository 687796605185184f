/*
 * masthead: the command. Dispatches to one file per subcommand (cli.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#ifndef MH_VERSION
#define MH_VERSION "0.0.0"
#endif


static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "init", mh_cli_init, "create an empty site in a folder" },
	{ "demo", mh_cli_demo, "create a site filled with generated articles" },
	{ "serve", mh_cli_serve, "serve a site over HTTP" },
	{ "article", mh_cli_article, "list, publish, add and update articles; their revisions" },
	{ "jobs", mh_cli_jobs, "list the background job queue, retry parked jobs" },
	{ "media", mh_cli_media, "add, list and remove images in the media library" },
	{ "db", mh_cli_db, "copy a site's database between SQLite and PostgreSQL" },
	{ "backup", mh_cli_backup, "copy a running site (database, media, site.ini) into a folder" },
	{ "restore", mh_cli_restore, "put a backup back as a site" },
	{ "user", mh_cli_user, "the newsroom's accounts: add, list, passwd, role, disable, reset" },
	{ "section", mh_cli_section, "the site's sections: add, list, update, remove" },
	{ "author", mh_cli_author, "authors' profiles: add, list, update" },
	{ "settings", mh_cli_settings, "the site settings the admin sets: list, get, set" },
	/* issue 9's redirects, issue 11's WordPress import */
	{ "redirect", mh_cli_redirect, "redirects of old addresses: add, list, remove" },
	{ "import", mh_cli_import, "bring a site in: import wordpress FILE.xml" },
	{ "export", mh_cli_export, "the site out: export json FILE, export static DIR" },
	{ "newsletter", mh_cli_newsletter, "send articles as newsletters, their status, the subscribers" },
	{ "donations", mh_cli_donations, "donation totals per month and currency, recurring donors (--csv)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: masthead COMMAND [ARGS]\n\n"
		   "A news publishing platform: one binary serving a newsroom's whole site.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'masthead COMMAND --help' describes each command.\n"
		   "  --version   print the version\n");
}

bool mh_cli_progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("masthead %s\n", MH_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "masthead: unknown command '%s' (see 'masthead --help')\n", cmd);
	return 2;
}
