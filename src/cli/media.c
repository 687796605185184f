/*
 * masthead media: the media library from the command line — add an image
 * (printing the address an article's image: takes), list the library,
 * remove an item no article shows. The same checks as an upload: the type
 * from the bytes, [media] max_upload, the pixel limits.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "media/media.h"

int mh_cli_media(int argc, char **argv);

static void media_usage(FILE *f)
{
	fprintf(f, "usage: masthead media [--site DIR] COMMAND\n\n"
		   "  add FILE [--alt TEXT]  add a JPEG, PNG, WebP or GIF image to the library and\n"
		   "                         print its address, for an article's image:\n"
		   "  list                   the library, newest first\n"
		   "  remove NAME            remove an image no article shows (NAME or /media/NAME)\n"
		   "  --site DIR             the site folder (default: the current folder)\n"
		   "Images are kept in the database; their 480, 960 and 1600 px sizes (WebP and\n"
		   "the original's format) are made in the background by `masthead serve`.\n");
}

static int add_media(struct mh_store *s, const struct mh_config *cfg, const char *path, const char *alt)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "masthead media add: %s: %s\n", path, errno != 0 ? strerror(errno) : "not a file");
		return 1;
	}
	/* refused before reading a file far over the limit */
	if ((size_t)sb.st_size > cfg->media.max_upload) {
		fprintf(stderr,
			"masthead media add: %s: the image is %lld bytes; this site takes at most %zu ([media] "
			"max_upload in site.ini)\n",
			path, (long long)sb.st_size, cfg->media.max_upload);
		return 1;
	}
	struct mh_buf bytes = MH_BUF_INIT, err = MH_BUF_INIT;
	if (!mh_file_read(path, &bytes)) {
		fprintf(stderr, "masthead media add: %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct mh_arena *a = mh_arena_new();
	struct mh_media *m = NULL;
	enum mh_store_rc rc = mh_media_add(s, &cfg->media, a, (struct mh_str){ bytes.ptr, bytes.len }, alt, 0, &m,
					   NULL, &err);
	int code = 0;
	if (rc == MH_OK) {
		printf("added %s (%d x %d, %s, %lld bytes)\n", m->name, m->width, m->height, m->type,
		       (long long)m->size);
		printf("image: /media/%s\n", m->name);
	} else {
		fprintf(stderr, "masthead media add: %s: %s\n", path,
			err.len > 0 ? mh_buf_cstr(&err) : "the database did not answer");
		code = 1;
	}
	mh_arena_free(a);
	mh_buf_free(&bytes);
	mh_buf_free(&err);
	return code;
}

static int list_media(struct mh_store *s)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_media *items = NULL;
	size_t n = 0;
	if (mh_store_media_list(s, a, 1000, &items, &n) != MH_OK) {
		fprintf(stderr, "masthead media list: the database did not answer\n");
		mh_arena_free(a);
		return 1;
	}
	printf("%-41s %-10s %-11s %-10s %-16s %s\n", "NAME", "TYPE", "PIXELS", "BYTES", "ADDED", "ALT");
	for (size_t i = 0; i < n; i++) {
		const struct mh_media *m = &items[i];
		struct mh_buf when = MH_BUF_INIT, dims = MH_BUF_INIT, alt = MH_BUF_INIT;
		mh_time_format(&when, m->created_at, "%Y-%m-%d %H:%M");
		mh_buf_printf(&dims, "%dx%d", m->width, m->height);
		mh_log_sanitize(&alt, mh_str_c(m->alt));
		printf("%-41s %-10s %-11s %-10lld %-16s %s\n", m->name, m->type + 6, mh_buf_cstr(&dims),
		       (long long)m->size, mh_buf_cstr(&when), alt.len > 0 ? mh_buf_cstr(&alt) : "-");
		mh_buf_free(&when);
		mh_buf_free(&dims);
		mh_buf_free(&alt);
	}
	mh_arena_free(a);
	return 0;
}

static int remove_media(struct mh_store *s, const char *arg)
{
	const char *name = strncmp(arg, "/media/", 7) == 0 ? arg + 7 : arg;
	struct mh_arena *a = mh_arena_new();
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_media_remove(s, a, mh_str_c(name), &err);
	int code = 0;
	if (rc == MH_OK) {
		printf("removed %s\n", name);
	} else {
		fprintf(stderr, "masthead media remove: %s\n", err.len > 0 ? mh_buf_cstr(&err) : "the database did not answer");
		code = 1;
	}
	mh_buf_free(&err);
	mh_arena_free(a);
	return code;
}

int mh_cli_media(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "alt", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = ".", *alt = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'a':
			alt = optarg;
			break;
		case 'h':
			media_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead media: unknown or incomplete option '%s'\n", argv[optind - 1]);
			media_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "masthead media: a command is needed (add, list, remove)\n");
		media_usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	bool is_add = strcmp(cmd, "add") == 0, is_list = strcmp(cmd, "list") == 0;
	bool is_remove = strcmp(cmd, "remove") == 0;
	if (!is_add && !is_list && !is_remove) {
		fprintf(stderr, "masthead media: unknown command '%s' (add, list, remove)\n", cmd);
		return 2;
	}
	if ((is_list && nargs != 0) || (!is_list && nargs != 1)) {
		fprintf(stderr, "masthead media %s: wrong number of arguments%s\n", cmd,
			is_add ? " (expected one FILE)" : is_remove ? " (expected one NAME)" : " (none expected)");
		return 2;
	}
	if (alt != NULL && !is_add) {
		fprintf(stderr, "masthead media %s: --alt goes with add\n", cmd);
		return 2;
	}
	struct mh_config cfg;
	struct mh_store *store = NULL;
	struct mh_buf err = MH_BUF_INIT;
	if (mh_cli_site_open(dir, &cfg, &store, &err) != 0) {
		fprintf(stderr, "masthead media: %s\n", mh_buf_cstr(&err));
		mh_buf_free(&err);
		return 1;
	}
	mh_time_set_zone(cfg.site.timezone);
	int rc = is_add ? add_media(store, &cfg, argv[optind], alt)
			: is_list ? list_media(store) : remove_media(store, argv[optind]);
	mh_store_close(store);
	mh_config_free(&cfg);
	mh_buf_free(&err);
	return rc;
}
