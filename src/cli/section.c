/*
 * masthead section and masthead author: the site's sections (navigation
 * order, name, slug, kind) and authors' profiles from the command line.
 * Each change is logged with the cache keys it makes stale, so a running
 * server drops those pages.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct fields {
	const char *dir, *name, *description, *position, *kind, *slug, *bio, *avatar;
};

static const char *const kinds[] = { [MH_SECTION_PLAIN] = "plain", [MH_SECTION_LATEST] = "latest",
				     [MH_SECTION_PICKS] = "picks" };

/* Parses the options both commands take; returns -1 to go on, else an exit
 * code. f->dir defaults to the current folder. */
static int parse(const char *what, int argc, char **argv, struct fields *f, void (*usage)(FILE *))
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },   { "name", required_argument, NULL, 'n' },
		{ "description", required_argument, NULL, 'd' }, { "position", required_argument, NULL, 'p' },
		{ "kind", required_argument, NULL, 'k' },   { "slug", required_argument, NULL, 'l' },
		{ "bio", required_argument, NULL, 'b' },    { "avatar", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	*f = (struct fields){ .dir = "." };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': f->dir = optarg; break;
		case 'n': f->name = optarg; break;
		case 'd': f->description = optarg; break;
		case 'p': f->position = optarg; break;
		case 'k': f->kind = optarg; break;
		case 'l': f->slug = optarg; break;
		case 'b': f->bio = optarg; break;
		case 'a': f->avatar = optarg; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "masthead %s: unknown or incomplete option '%s'\n", what, argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

/* A slug as the site's addresses take it: a-z, 0-9 and inner '-'. */
static bool slug_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 80 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static int open_site(const char *what, const char *dir, struct mh_config *cfg, struct mh_store **s)
{
	struct mh_buf err = MH_BUF_INIT;
	int rc = mh_cli_site_open(dir, cfg, s, &err);
	if (rc != 0)
		fprintf(stderr, "masthead %s: %s\n", what, mh_buf_cstr(&err));
	mh_buf_free(&err);
	return rc;
}

/* Saves with the change's cache keys logged in the same transaction (and
 * their purge queued for the caches in front), as the admin's screens do. */
static enum mh_store_rc commit_with_keys(struct mh_store *s, enum mh_store_rc rc, const char *keys)
{
	if (rc == MH_OK)
		rc = mh_content_change_log(s, mh_str_c(keys));
	if (rc == MH_OK)
		return mh_store_commit(s);
	mh_store_rollback(s);
	return rc;
}

static void section_usage(FILE *f)
{
	fprintf(f, "usage: masthead section COMMAND [--site DIR] ...\n\n"
		   "  add SLUG --name NAME [--description D] [--position N] [--kind K]\n"
		   "                        a new section at /section/SLUG; K: plain (default: its own\n"
		   "                        articles), latest (every article) or picks (Staff Picks)\n"
		   "  list                  every section in navigation order: slug, name, kind, position\n"
		   "  update SLUG [--slug NEW] [--name NAME] [--description D] [--position N] [--kind K]\n"
		   "  remove SLUG           only a section without articles\n"
		   "  --site DIR            the site folder (default: the current folder)\n");
}

static int section_fields(struct mh_section *sec, const struct fields *f, struct mh_buf *err)
{
	if (f->name != NULL)
		sec->name = f->name;
	if (f->description != NULL)
		sec->description = f->description;
	if (f->slug != NULL) {
		if (!slug_ok(f->slug)) {
			mh_buf_printf(err, "--slug: expected lower-case letters, digits and inner '-', got '%s'", f->slug);
			return 2;
		}
		sec->slug = f->slug;
	}
	if (f->position != NULL) {
		int64_t p;
		if (!mh_str_to_i64(mh_str_c(f->position), &p) || p < 0 || p > 100000) {
			mh_buf_printf(err, "--position: expected a whole number from 0 to 100000, got '%s'", f->position);
			return 2;
		}
		sec->position = (int)p;
	}
	if (f->kind != NULL) {
		int k = -1;
		for (int i = 0; i < 3; i++)
			if (strcmp(f->kind, kinds[i]) == 0)
				k = i;
		if (k < 0) {
			mh_buf_printf(err, "--kind: expected plain, latest or picks, got '%s'", f->kind);
			return 2;
		}
		sec->kind = (enum mh_section_kind)k;
	}
	return 0;
}

int mh_cli_section(int argc, char **argv)
{
	struct fields f;
	int rc = parse("section", argc, argv, &f, section_usage);
	if (rc >= 0)
		return rc;
	rc = 0;
	if (optind >= argc) {
		fprintf(stderr, "masthead section: missing command (add, list, update, remove)\n");
		section_usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	bool add = strcmp(cmd, "add") == 0, list = strcmp(cmd, "list") == 0, update = strcmp(cmd, "update") == 0,
	     remove = strcmp(cmd, "remove") == 0;
	if (!add && !list && !update && !remove) {
		fprintf(stderr, "masthead section: unknown command '%s' (add, list, update, remove)\n", cmd);
		return 2;
	}
	if (nargs != (list ? 0 : 1)) {
		fprintf(stderr, "masthead section %s: expected %s, got %d arguments\n", cmd, list ? "no argument" : "SLUG",
			nargs);
		return 2;
	}
	if (f.bio != NULL || f.avatar != NULL || ((list || remove) && (f.name || f.description || f.position ||
								     f.kind || f.slug)) || (add && f.slug)) {
		fprintf(stderr, "masthead section %s: an option that does not go with it (see --help)\n", cmd);
		return 2;
	}
	if (add && f.name == NULL) {
		fprintf(stderr, "masthead section add: --name NAME is required\n");
		return 2;
	}
	const char *slug = nargs ? argv[optind] : NULL;
	if (add && !slug_ok(slug)) {
		fprintf(stderr, "masthead section add: SLUG: expected lower-case letters, digits and inner '-', got '%s'\n",
			slug);
		return 2;
	}
	struct mh_config cfg;
	struct mh_store *s = NULL;
	if (open_site("section", f.dir, &cfg, &s) != 0)
		return 1;
	struct mh_arena *a = mh_arena_new();
	struct mh_buf err = MH_BUF_INIT;
	struct mh_section *secs = NULL, *sec = NULL;
	size_t n = 0;
	enum mh_store_rc r = MH_OK;
	if (list) {
		r = mh_store_sections(s, a, &secs, &n);
		for (size_t i = 0; r == MH_OK && i < n; i++)
			printf("%s\t%s\t%s\t%d\n", secs[i].slug, secs[i].name, kinds[secs[i].kind], secs[i].position);
		if (r == MH_OK && n == 0)
			fprintf(stderr, "no sections yet: add one with 'masthead section add SLUG --name NAME'\n");
		rc = r == MH_OK ? 0 : 1;
		if (rc)
			mh_buf_printf(&err, "the database did not answer");
		goto out;
	}
	if (add) {
		sec = MH_NEW(a, struct mh_section);
		sec->slug = slug;
		sec->description = "";
		/* a new section goes last in the navigation unless told */
		if (mh_store_sections(s, a, &secs, &n) == MH_OK && n > 0)
			sec->position = secs[n - 1].position + 1;
	} else {
		r = mh_store_section_by_slug(s, a, mh_str_c(slug), &sec);
		if (r == MH_NOT_FOUND) {
			mh_buf_printf(&err, "SLUG: no section '%s' (see 'masthead section list')", slug);
			rc = 1;
			goto out;
		} else if (r != MH_OK) {
			mh_buf_printf(&err, "the database did not answer");
			rc = 1;
			goto out;
		}
	}
	if (remove) {
		int64_t articles = 0;
		if ((r = mh_store_begin(s)) == MH_OK)
			r = commit_with_keys(s, mh_store_section_remove(s, sec->id, &articles, &err),
					     mh_arena_printf(a, "nav section:%lld", (long long)sec->id));
		if (r == MH_CONFLICT) {
			mh_buf_reset(&err);
			mh_buf_printf(&err, "section '%s' still has %lld article%s; move %s to another section first",
				      slug, (long long)articles, articles == 1 ? "" : "s", articles == 1 ? "it" : "them");
		}
		rc = r == MH_OK ? 0 : 1;
		if (rc == 0)
			printf("removed section %s\n", slug);
		goto out;
	}
	if ((rc = section_fields(sec, &f, &err)) != 0)
		goto out;
	if ((r = mh_store_begin(s)) == MH_OK) {
		r = mh_store_section_save(s, sec, &err);
		r = commit_with_keys(s, r, mh_arena_printf(a, "nav section:%lld", (long long)sec->id));
	}
	if (r != MH_OK) {
		if (err.len == 0)
			mh_buf_printf(&err, "the database did not answer");
		rc = 1;
	} else {
		printf("%s section %s (%s)\n", add ? "added" : "updated", sec->slug, sec->name);
	}
out:
	if (rc != 0)
		fprintf(stderr, "masthead section %s: %s\n", cmd, mh_buf_cstr(&err));
	mh_buf_free(&err);
	mh_arena_free(a);
	mh_store_close(s);
	mh_config_free(&cfg);
	return rc;
}

static void author_usage(FILE *f)
{
	fprintf(f, "usage: masthead author COMMAND [--site DIR] ...\n\n"
		   "  add SLUG --name NAME [--bio TEXT] [--avatar URL]\n"
		   "                        a new author, with a page at /author/SLUG\n"
		   "  list                  every author: slug, name\n"
		   "  update SLUG [--name NAME] [--bio TEXT] [--avatar URL]\n"
		   "  --site DIR            the site folder (default: the current folder)\n"
		   "--avatar takes an https:// address or a path on the site such as /media/ana.jpg.\n");
}

int mh_cli_author(int argc, char **argv)
{
	struct fields f;
	int rc = parse("author", argc, argv, &f, author_usage);
	if (rc >= 0)
		return rc;
	rc = 0;
	if (optind >= argc) {
		fprintf(stderr, "masthead author: missing command (add, list, update)\n");
		author_usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	int nargs = argc - optind;
	bool add = strcmp(cmd, "add") == 0, list = strcmp(cmd, "list") == 0, update = strcmp(cmd, "update") == 0;
	if (!add && !list && !update) {
		fprintf(stderr, "masthead author: unknown command '%s' (add, list, update)\n", cmd);
		return 2;
	}
	if (nargs != (list ? 0 : 1)) {
		fprintf(stderr, "masthead author %s: expected %s, got %d arguments\n", cmd, list ? "no argument" : "SLUG",
			nargs);
		return 2;
	}
	if (f.description || f.position || f.kind || f.slug || (list && (f.name || f.bio || f.avatar))) {
		fprintf(stderr, "masthead author %s: an option that does not go with it (see --help)\n", cmd);
		return 2;
	}
	if (add && f.name == NULL) {
		fprintf(stderr, "masthead author add: --name NAME is required\n");
		return 2;
	}
	const char *slug = nargs ? argv[optind] : NULL;
	if (add && !slug_ok(slug)) {
		fprintf(stderr, "masthead author add: SLUG: expected lower-case letters, digits and inner '-', got '%s'\n",
			slug);
		return 2;
	}
	struct mh_config cfg;
	struct mh_store *s = NULL;
	if (open_site("author", f.dir, &cfg, &s) != 0)
		return 1;
	struct mh_arena *a = mh_arena_new();
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc r = MH_OK;
	struct mh_author *au = NULL;
	if (list) {
		size_t n = 0;
		r = mh_store_authors(s, a, &au, &n);
		for (size_t i = 0; r == MH_OK && i < n; i++)
			printf("%s\t%s\n", au[i].slug, au[i].name);
		if (r != MH_OK) {
			mh_buf_printf(&err, "the database did not answer");
			rc = 1;
		}
		goto out;
	}
	if (add) {
		au = MH_NEW(a, struct mh_author);
		*au = (struct mh_author){ .slug = slug, .bio = "", .avatar_url = "" };
	} else if ((r = mh_store_author_by_slug(s, a, mh_str_c(slug), &au)) != MH_OK) {
		if (r == MH_NOT_FOUND)
			mh_buf_printf(&err, "SLUG: no author '%s' (see 'masthead author list')", slug);
		else
			mh_buf_printf(&err, "the database did not answer");
		rc = 1;
		goto out;
	}
	if (f.name != NULL)
		au->name = f.name;
	if (f.bio != NULL)
		au->bio = f.bio;
	if (f.avatar != NULL)
		au->avatar_url = f.avatar;
	if ((r = mh_store_begin(s)) == MH_OK) {
		r = mh_store_author_save(s, au, &err);
		r = commit_with_keys(s, r, mh_arena_printf(a, "author:%lld byline:%lld", (long long)au->id, (long long)au->id));
	}
	if (r != MH_OK) {
		if (err.len == 0)
			mh_buf_printf(&err, "the database did not answer");
		else if (strncmp(mh_buf_cstr(&err), "avatar_url", 10) == 0) {
			/* the store names its field; the command names its option */
			struct mh_buf b = MH_BUF_INIT;
			mh_buf_printf(&b, "--avatar%s", mh_buf_cstr(&err) + 10);
			mh_buf_reset(&err);
			mh_buf_append(&err, b.ptr, b.len);
			mh_buf_free(&b);
		}
		rc = 1;
	} else {
		printf("%s author %s (%s)\n", add ? "added" : "updated", au->slug, au->name);
	}
out:
	if (rc != 0)
		fprintf(stderr, "masthead author %s: %s\n", cmd, mh_buf_cstr(&err));
	mh_buf_free(&err);
	mh_arena_free(a);
	mh_store_close(s);
	mh_config_free(&cfg);
	return rc;
}
