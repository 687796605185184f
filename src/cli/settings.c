/*
 * masthead settings: the site settings an owner sets at /admin/settings
 * (title, tagline, time zone, social links, video channel), from the
 * command line. They live in the database over site.ini's [site] values;
 * `set` saves as the admin screen does (checked by site.ini's own rows,
 * through the change log), so running servers show it within a second.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void settings_usage(FILE *f)
{
	fprintf(f, "usage: masthead settings list | get KEY | set KEY VALUE [--site DIR]\n\n"
		   "The site settings an owner also sets at /admin/settings. They are kept in the\n"
		   "database and win over site.ini's [site] values (site.ini is not changed).\n"
		   "  list             every such setting: KEY, VALUE and where it comes from\n"
		   "                   (database or site.ini)\n"
		   "  get KEY          the value in effect\n"
		   "  set KEY VALUE    save it in the database; running servers show it within a\n"
		   "                   second (a time zone: at their next start)\n"
		   "KEY is one of: title, tagline, timezone, video_channel_url, social.\n"
		   "  --site DIR       the site folder (default: the current folder)\n");
}

/* The value in effect of key (one of mh_site_db_keys) in set. */
static const char *value_of(const struct mh_site_settings *set, const char *key)
{
	const struct mh_settings_table *t = &mh_site_settings_table;
	for (size_t i = 0; i < t->n_rows; i++) {
		if (strcmp(t->rows[i].key, key) == 0) {
			const char *v = *(const char *const *)((const char *)set + t->rows[i].offset);
			return v != NULL ? v : "";
		}
	}
	return "";
}

static bool known_key(const char *key)
{
	for (size_t i = 0; i < MH_SITE_DB_KEYS; i++)
		if (strcmp(key, mh_site_db_keys[i]) == 0)
			return true;
	return false;
}

int mh_cli_settings(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".";
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 's') {
			dir = optarg;
		} else if (c == 'h') {
			settings_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "masthead settings: unknown or incomplete option '%s'\n", argv[optind - 1]);
			settings_usage(stderr);
			return 2;
		}
	}
	/* options may also follow the words: gather what is not an option */
	const char *words[3];
	int nw = 0;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--site") == 0 && i + 1 < argc) {
			dir = argv[++i];
			continue;
		}
		if (strncmp(argv[i], "--site=", 7) == 0) {
			dir = argv[i] + 7;
			continue;
		}
		if (nw == 3) {
			fprintf(stderr, "masthead settings: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
		words[nw++] = argv[i];
	}
	const char *cmd = nw > 0 ? words[0] : "";
	int want = strcmp(cmd, "list") == 0 ? 1 : strcmp(cmd, "get") == 0 ? 2 : strcmp(cmd, "set") == 0 ? 3 : 0;
	if (want == 0) {
		fprintf(stderr, nw == 0 ? "masthead settings: expected list, get or set\n"
					: "masthead settings: unknown subcommand '%s' (expected list, get or set)\n",
			cmd);
		settings_usage(stderr);
		return 2;
	}
	if (nw != want) {
		fprintf(stderr, "masthead settings %s: expected %s\n", cmd,
			want == 1 ? "no argument" : want == 2 ? "one argument, KEY" : "two arguments, KEY and VALUE");
		return 2;
	}
	if (want > 1 && !known_key(words[1])) {
		fprintf(stderr,
			"masthead settings %s: KEY: unknown setting '%s' (expected title, tagline, timezone, "
			"video_channel_url or social; the rest of site.ini is edited in the file)\n",
			cmd, words[1]);
		return 2;
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead settings: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	int rc = 0;
	struct mh_arena *a = mh_arena_new();
	if (want == 1) {
		struct mh_site_setting *rows = NULL;
		size_t n = 0;
		if (mh_store_site_settings(store, a, &rows, &n) != MH_OK) {
			fprintf(stderr, "masthead settings list: the database did not answer\n");
			rc = 1;
		}
		for (size_t i = 0; rc == 0 && i < MH_SITE_DB_KEYS; i++) {
			bool stored = false;
			for (size_t k = 0; k < n; k++)
				stored = stored || strcmp(rows[k].key, mh_site_db_keys[i]) == 0;
			printf("%s\t%s\t%s\n", mh_site_db_keys[i], value_of(&cfg.site, mh_site_db_keys[i]),
			       stored ? "database" : "site.ini");
		}
	} else if (want == 2) {
		printf("%s\n", value_of(&cfg.site, words[1]));
	} else {
		struct mh_buf why = MH_BUF_INIT;
		if (!mh_site_setting_check(words[1], words[2], &why)) {
			fprintf(stderr, "masthead settings set: %s: %s\n", words[1], mh_buf_cstr(&why));
			rc = 2;
		} else {
			struct mh_site_setting kv = { words[1], words[2] };
			if (mh_content_site_settings_save(store, &kv, 1, mh_cli_who(a), &err) != 0) {
				fprintf(stderr, "masthead settings set: %s\n", mh_buf_cstr(&err));
				rc = 1;
			} else {
				printf("%s = %s (saved in the database)\n", words[1], words[2]);
			}
		}
		mh_buf_free(&why);
	}
	mh_arena_free(a);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
