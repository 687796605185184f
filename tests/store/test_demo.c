/* The demo generator: what it creates, that it is deterministic, and the
 * `masthead demo` command's argument handling. Linked with src/cli/demo.c
 * and src/cli/init.c (mh_cli_site_create). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/demo.h"

/* main.c is not linked here. */
bool mh_cli_progress_wanted(void)
{
	return false;
}

#define NOW 1800000000LL

static char tmp[64];

static void setup(void)
{
	strcpy(tmp, "/tmp/mh-demo-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(demo, .init = setup, .fini = teardown, .timeout = 120);

static struct mh_store *site(const char *name, struct mh_config *cfg)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	struct mh_store *s = NULL;
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_cli_site_create(dir, "T", cfg, &s, &err), 0, "%s", mh_buf_cstr(&err));
	mh_buf_free(&err);
	return s;
}

static void generate(struct mh_store *s, struct mh_config *cfg, int n, uint64_t seed, struct mh_demo_stats *st)
{
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_demo_generate(s, cfg->dir, n, seed, NOW, NULL, NULL, st, &err), 0, "%s", mh_buf_cstr(&err));
	mh_buf_free(&err);
}

static int64_t count(struct mh_store *s, const char *table)
{
	int64_t n = -1;
	cr_assert_eq(mh_store_count(s, table, &n), MH_OK);
	return n;
}

/* Every article (any status) serialised, ids and all, for comparisons. */
static void dump(struct mh_store *s, int n, struct mh_buf *out)
{
	struct mh_arena *a = mh_arena_new();
	for (int id = 1; id <= n; id++) {
		struct mh_article *art;
		cr_assert_eq(mh_store_article_by_id(s, a, id, &art), MH_OK, "article %d", id);
		mh_buf_printf(out, "%lld|%s|%s|%s|%s|%s|%s|%lld|%s|%s|%s|%s|%d|%d|%lld|%lld|%lld|%lld|", (long long)art->id,
			      art->slug, art->headline, art->dek, art->body_md, art->body_html, art->lead_html,
			      (long long)art->section_id, art->image_url, art->image_alt, art->via_name, art->via_url,
			      art->staff_pick, art->status, (long long)art->published_at, (long long)art->updated_at,
			      (long long)art->created_at, (long long)art->views);
		for (size_t i = 0; i < art->n_authors; i++)
			mh_buf_printf(out, "a%s,", art->authors[i].slug);
		for (size_t i = 0; i < art->n_tags; i++)
			mh_buf_printf(out, "t%s,", art->tags[i].slug);
		mh_buf_append_ch(out, '\n');
	}
	mh_arena_free(a);
}

Test(demo, creates_a_newsroom)
{
	struct mh_config cfg;
	struct mh_store *s = site("one", &cfg);
	struct mh_demo_stats st;
	generate(s, &cfg, 300, 7, &st);
	cr_assert_eq(st.articles, 300);
	cr_assert_eq(st.scheduled, 3);
	cr_assert_eq(st.drafts, 3);
	cr_assert_eq(st.published, 294);
	cr_assert_geq(st.picks, 10);
	cr_assert_leq(st.picks, 60);
	cr_assert_eq(count(s, "articles"), 300);
	cr_assert_eq(count(s, "sections"), 5);
	cr_assert_eq(count(s, "authors"), 6);
	cr_assert_geq(count(s, "tags"), 25);
	cr_assert_geq(count(s, "article_authors"), 300);
	cr_assert_geq(count(s, "article_tags"), 300);

	struct mh_arena *a = mh_arena_new();
	struct mh_section *secs;
	size_t n;
	cr_assert_eq(mh_store_sections(s, a, &secs, &n), MH_OK);
	cr_assert_eq(n, 5);
	const char *order[] = { "Latest", "News", "Staff Picks", "Analysis", "Video" };
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(secs[i].name, order[i]);
	cr_assert_eq(secs[0].kind, MH_SECTION_LATEST);
	cr_assert_eq(secs[2].kind, MH_SECTION_PICKS);
	cr_assert_neq(secs[3].description[0], '\0');

	/* Published, visible now: everything but drafts and the scheduled three. */
	int64_t visible;
	cr_assert_eq(mh_store_articles_count(s, &(struct mh_article_query){ .now = NOW }, &visible), MH_OK);
	cr_assert_eq(visible, 294);
	struct mh_article *list;
	cr_assert_eq(mh_store_articles(s, a, &(struct mh_article_query){ .now = NOW, .limit = 1 }, &list, &n), MH_OK);
	cr_assert_eq(list[0].published_at, NOW, "the newest is published now");

	/* Walk everything: video pieces, embeds, via lines, images that exist. */
	int videos = 0, via = 0, images = 0, embeds = 0, quotes = 0, statements = 0;
	for (int id = 1; id <= 300; id++) {
		struct mh_article *art;
		cr_assert_eq(mh_store_article_by_id(s, a, id, &art), MH_OK);
		cr_assert_geq(art->n_authors, 1);
		cr_assert_leq(art->n_authors, 2);
		cr_assert_geq(art->n_tags, 1);
		cr_assert_leq(art->n_tags, 3);
		bool is_video = strcmp(art->section->slug, "video") == 0;
		size_t hl = strlen(art->headline);
		cr_assert_eq(is_video, hl > 8 && strcmp(art->headline + hl - 8, " (Video)") == 0, "%s", art->headline);
		if (is_video) {
			videos++;
			cr_assert(strstr(art->body_html, "<figure class=\"video-embed\""), "%s", art->body_md);
		}
		embeds += strstr(art->body_html, "video-embed") != NULL;
		quotes += strstr(art->body_html, "\xe2\x80\x9c") != NULL; /* curly opening quote */
		statements += strstr(art->body_html, "<blockquote>") != NULL;
		if (art->via_url[0] != '\0') {
			via++;
			cr_assert(strstr(art->via_url, ".example.") != NULL, "%s", art->via_url);
			cr_assert_neq(art->via_name[0], '\0');
		}
		if (art->image_url[0] != '\0') {
			images++;
			cr_assert_neq(art->image_alt[0], '\0');
			char path[256];
			snprintf(path, sizeof(path), "%s%s", cfg.dir, art->image_url);
			cr_assert_eq(access(path, R_OK), 0, "%s", path);
		}
		cr_assert_null(strstr(art->body_html, "youtube.com/embed"), "no iframe before a click");
		cr_assert_neq(art->lead_html[0], '\0');
	}
	cr_assert_gt(videos, 10);
	cr_assert_eq(embeds, videos, "only video pieces embed");
	cr_assert_gt(via, 50);
	cr_assert_lt(via, 150);
	cr_assert_gt(images, 200);
	cr_assert_gt(quotes, 150);
	cr_assert_gt(statements, 30);

	struct mh_author *aus;
	cr_assert_eq(mh_store_authors(s, a, &aus, &n), MH_OK);
	for (size_t i = 0; i < n; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s%s", cfg.dir, aus[i].avatar_url);
		cr_assert_eq(access(path, R_OK), 0, "%s", path);
		cr_assert_gt(strlen(aus[i].bio), 40);
	}
	mh_arena_free(a);
	mh_store_close(s);
	mh_config_free(&cfg);
}

Test(demo, deterministic)
{
	struct mh_config c1, c2, c3;
	struct mh_store *s1 = site("a", &c1), *s2 = site("b", &c2), *s3 = site("c", &c3);
	generate(s1, &c1, 120, 42, NULL);
	generate(s2, &c2, 120, 42, NULL);
	generate(s3, &c3, 120, 43, NULL);
	struct mh_buf d1 = MH_BUF_INIT, d2 = MH_BUF_INIT, d3 = MH_BUF_INIT;
	dump(s1, 120, &d1);
	dump(s2, 120, &d2);
	dump(s3, 120, &d3);
	cr_assert_gt(d1.len, 120 * 1000);
	cr_assert(d1.len == d2.len && memcmp(d1.ptr, d2.ptr, d1.len) == 0, "same seed, same articles");
	cr_assert(d1.len != d3.len || memcmp(d1.ptr, d3.ptr, d1.len) != 0, "another seed, other articles");

	/* The illustrations are the same files too. */
	char p1[256], p2[256];
	snprintf(p1, sizeof(p1), "%s/media/demo/illustration-05.svg", c1.dir);
	snprintf(p2, sizeof(p2), "%s/media/demo/illustration-05.svg", c2.dir);
	struct mh_buf f1 = MH_BUF_INIT, f2 = MH_BUF_INIT;
	cr_assert(mh_file_read(p1, &f1));
	cr_assert(mh_file_read(p2, &f2));
	cr_assert(f1.len > 200 && f1.len == f2.len && memcmp(f1.ptr, f2.ptr, f1.len) == 0);
	cr_assert(strstr(mh_buf_cstr(&f1), "<svg"));
	mh_buf_free(&f1);
	mh_buf_free(&f2);
	mh_buf_free(&d1);
	mh_buf_free(&d2);
	mh_buf_free(&d3);
	mh_store_close(s1);
	mh_store_close(s2);
	mh_store_close(s3);
	mh_config_free(&c1);
	mh_config_free(&c2);
	mh_config_free(&c3);
}

Test(demo, article_k_does_not_depend_on_n)
{
	struct mh_config c1, c2;
	struct mh_store *s1 = site("small", &c1), *s2 = site("big", &c2);
	generate(s1, &c1, 30, 9, NULL);
	generate(s2, &c2, 60, 9, NULL);
	struct mh_arena *a = mh_arena_new();
	for (int id = 1; id <= 30; id++) {
		struct mh_article *x, *y;
		cr_assert_eq(mh_store_article_by_id(s1, a, id, &x), MH_OK);
		cr_assert_eq(mh_store_article_by_id(s2, a, id, &y), MH_OK);
		cr_assert_str_eq(x->headline, y->headline);
		cr_assert_str_eq(x->body_md, y->body_md);
	}
	mh_arena_free(a);
	mh_store_close(s1);
	mh_store_close(s2);
	mh_config_free(&c1);
	mh_config_free(&c2);
}

Test(demo, generate_rejects_bad_counts)
{
	struct mh_config cfg;
	struct mh_store *s = site("bad", &cfg);
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_demo_generate(s, cfg.dir, 0, 1, NOW, NULL, NULL, NULL, &err), 1);
	cr_assert(strstr(mh_buf_cstr(&err), "articles:"), "%s", mh_buf_cstr(&err));
	cr_assert_eq(count(s, "articles"), 0);
	mh_buf_free(&err);
	mh_store_close(s);
	mh_config_free(&cfg);
}

/* Runs `masthead demo ARGS...` with stdout/stderr captured; returns the exit
 * code and what went to stderr. */
static int run_demo(struct mh_buf *errout, int argc, ...)
{
	char *argv[16];
	va_list ap;
	va_start(ap, argc);
	argv[0] = "demo";
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	char errpath[128];
	snprintf(errpath, sizeof(errpath), "%s/stderr", tmp);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	int null = open("/dev/null", O_WRONLY);
	int ef = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(null, 1);
	dup2(ef, 2);
	int rc = mh_cli_demo(argc + 1, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(null);
	close(ef);
	close(saved_out);
	close(saved_err);
	mh_buf_reset(errout);
	mh_file_read(errpath, errout);
	mh_buf_cstr(errout);
	return rc;
}

Test(demo, command_line)
{
	struct mh_buf e = MH_BUF_INIT;
	char dir[128], ini[160];
	snprintf(dir, sizeof(dir), "%s/site", tmp);
	snprintf(ini, sizeof(ini), "%s/site.ini", dir);

	cr_assert_eq(run_demo(&e, 1, "--help"), 0);
	cr_assert_eq(run_demo(&e, 0), 2);
	cr_assert(strstr(e.ptr, "usage:"), "%s", e.ptr);
	cr_assert_eq(run_demo(&e, 3, dir, "--articles", "x"), 2);
	cr_assert(strstr(e.ptr, "--articles: expected a positive number, got 'x'"), "%s", e.ptr);
	cr_assert_eq(run_demo(&e, 3, dir, "--articles", "0"), 2);
	cr_assert(strstr(e.ptr, "got '0'"), "%s", e.ptr);
	cr_assert_eq(run_demo(&e, 3, dir, "--articles", "-5"), 2);
	cr_assert_eq(run_demo(&e, 3, dir, "--articles", "99999999"), 2);
	cr_assert(strstr(e.ptr, "--articles: at most"), "%s", e.ptr);
	cr_assert_eq(run_demo(&e, 3, dir, "--seed", "abc"), 2);
	cr_assert(strstr(e.ptr, "--seed: expected a whole number, got 'abc'"), "%s", e.ptr);
	cr_assert_eq(run_demo(&e, 2, dir, "--articles"), 2);
	cr_assert(strstr(e.ptr, "--articles: needs a value"), "%s", e.ptr);
	cr_assert_eq(run_demo(&e, 2, dir, "--bogus"), 2);
	cr_assert(strstr(e.ptr, "unknown option '--bogus'"), "%s", e.ptr);
	cr_assert_eq(run_demo(&e, 2, dir, "second"), 2);
	cr_assert_neq(access(ini, F_OK), 0, "usage errors create nothing");

	cr_assert_eq(run_demo(&e, 5, dir, "--articles", "25", "--seed", "3"), 0, "%s", e.ptr);
	cr_assert_eq(access(ini, F_OK), 0);
	struct mh_config cfg;
	struct mh_store *s = NULL;
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_cli_site_open(dir, &cfg, &s, &err), 0, "%s", mh_buf_cstr(&err));
	cr_assert_eq(count(s, "articles"), 25);
	cr_assert_str_eq(cfg.site.title, MH_DEMO_TITLE);
	cr_assert_str_eq(cfg.site.video_channel_url, MH_DEMO_VIDEO_CHANNEL);
	mh_store_close(s);
	mh_config_free(&cfg);
	mh_buf_free(&err);

	/* A folder with a site already is refused, and left alone. */
	cr_assert_eq(run_demo(&e, 1, dir), 1);
	cr_assert(strstr(e.ptr, "already"), "%s", e.ptr);
	mh_buf_free(&e);
}

/* init writes the site.ini generated from the modules' tables (every
 * section and key, at its default, with its comment: test_config checks
 * that text), changed only where init has something to say; demo's
 * site.ini is init's with its own title, tagline and links. */
Test(demo, init_and_demo_write_the_generated_site_ini)
{
	struct mh_config cfg;
	struct mh_store *s = site("fresh", &cfg);
	struct mh_buf want = MH_BUF_INIT, got = MH_BUF_INIT, err = MH_BUF_INIT;
	char version[16];
	snprintf(version, sizeof(version), "%d", cfg.store.schema_version);
	cr_assert_gt(cfg.store.schema_version, 0);
	mh_config_write_defaults(&want);
	cr_assert(mh_config_edit(&want, "x", "site", "title", "T", &err), "%s", mh_buf_cstr(&err));
	cr_assert(mh_config_edit(&want, "x", "schema", "version", version, &err), "%s", mh_buf_cstr(&err));
	cr_assert(mh_file_read(cfg.path, &got));
	cr_assert_str_eq(mh_buf_cstr(&got), mh_buf_cstr(&want));
	mh_store_close(s);
	mh_config_free(&cfg);

	char dir[128];
	snprintf(dir, sizeof(dir), "%s/demo-ini", tmp);
	cr_assert_eq(run_demo(&err, 3, "--articles", "3", dir), 0, "%s", mh_buf_cstr(&err));
	snprintf(dir, sizeof(dir), "%s/demo-ini/site.ini", tmp);
	mh_buf_reset(&got);
	cr_assert(mh_file_read(dir, &got));
	const char *sec = "site\0database\0server\0cache\0jobs\0purge\0theme\0schema\0";
	for (; *sec; sec += strlen(sec) + 1) {
		char line[32];
		snprintf(line, sizeof(line), "\n[%s]\n", sec);
		cr_assert_not_null(strstr(mh_buf_cstr(&got), line), "demo's site.ini lacks %s", line + 1);
	}
	cr_assert_not_null(strstr(mh_buf_cstr(&got), "\n; the HTTP method of url_template's requests\nmethod = POST\n"));
	mh_buf_free(&want);
	mh_buf_free(&got);
	mh_buf_free(&err);
}
