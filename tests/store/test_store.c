/* store: migrations, round trips, conflicts, list queries, counts,
 * durability, the change log, the job queue and bad input — on both
 * backends. The same binary runs twice (tests/store/meson.build):
 *   MH_TEST_BACKEND unset or "sqlite": each test gets a fresh SQLite file;
 *   MH_TEST_BACKEND=postgres: each test gets a fresh database on the cluster
 *   named by MASTHEAD_TEST_PG_URL (scripts/pg-test), dropped afterwards.
 *   Without that URL the run fails (bails out): it did not run on PostgreSQL. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test_pg.h"
#include "store/store.h"
#include "content/content.h" /* saving with revisions, restore, conflicts (content over the store) */
#include "store/store_int.h" /* the migrations, to build a database of an older version */

/* the newest migration: 1 content tables, 2 the change log, 3 the job
 * queue, 4 the change log's time index, 5 review, revisions and old slugs,
 * 6 the media library, 7 accounts, 8 site settings, 9 old tag addresses and the
 * picks' order, 10 view counts, 11 comments, 12 search, 13 redirects and the
 * WordPress import, 14 the newsletter, 15 donations, 16 ads off per article
 * and section */
#define SCHEMA_VERSION 16

static char dir[64];
static char url[512];  /* what every open in this file uses */
static char admin_url[512];
static char db_name[64];
static bool on_pg;
static struct mh_store *st;
static struct mh_arena *ar;
static struct mh_buf err;
static int64_t sec_news, sec_opinion, au_ana, au_ben, tag_rail, tag_court;

static void rm_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void open_store(void)
{
	int version = -1;
	err = MH_BUF_INIT;
	cr_assert_eq(mh_store_open(url, dir, true, &st, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(st, &version, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(version, SCHEMA_VERSION);
}


static void pg_admin(const char *sql)
{
	mh_test_pg_admin(admin_url, sql);
}

static void setup(void)
{
	strcpy(dir, "/tmp/mh-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	on_pg = mh_test_pg_wanted();
	if (on_pg)
		mh_test_pg_create("mh_store", url, admin_url, db_name);
	else
		strcpy(url, "site.db");
	open_store();
	ar = mh_arena_new();
}

static void teardown(void)
{
	mh_store_close(st);
	mh_arena_free(ar);
	mh_buf_free(&err);
	rm_dir();
	if (on_pg)
		mh_test_pg_drop(admin_url, db_name);
}

/* The PostgreSQL run without a cluster fails: never pass or skip quietly. */
int main(int argc, char **argv)
{
	if (mh_test_pg_wanted()) {
		const char *u = getenv("MASTHEAD_TEST_PG_URL");
		if (u == NULL || u[0] == '\0') {
			const char *why = "MASTHEAD_TEST_PG_URL is not set: the store tests did NOT run on PostgreSQL"
					  " (start a cluster with scripts/pg-test start, or run scripts/run-tests)";
			printf("Bail out! %s\n", why);
			return 1;
		}
	}
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}

/* Sections, authors and tags most tests use. */
static void seed(void)
{
	struct mh_section s1 = { .slug = "news", .name = "News", .description = "What happened", .position = 2 };
	struct mh_section s2 = { .slug = "opinion", .name = "Opinion", .position = 1 };
	cr_assert_eq(mh_store_section_save(st, &s1, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_section_save(st, &s2, &err), MH_OK, "%s", mh_buf_cstr(&err));
	sec_news = s1.id;
	sec_opinion = s2.id;
	struct mh_author a1 = { .slug = "ana", .name = "Ana Ortiz", .bio = "Covers courts.", .avatar_url = "/a.svg" };
	struct mh_author a2 = { .slug = "ben", .name = "Ben Marsh" };
	cr_assert_eq(mh_store_author_save(st, &a1, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_author_save(st, &a2, &err), MH_OK, "%s", mh_buf_cstr(&err));
	au_ana = a1.id;
	au_ben = a2.id;
	struct mh_tag t1 = { .slug = "rail", .name = "Rail" }, t2 = { .name = "Courts & Law" };
	cr_assert_eq(mh_store_tag_ensure(st, &t1, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_tag_ensure(st, &t2, &err), MH_OK, "%s", mh_buf_cstr(&err));
	tag_rail = t1.id;
	tag_court = t2.id;
}

#define NOW 1800000000LL

/* Saves a published article in section sec at NOW - age seconds. */
static int64_t add(const char *slug, int64_t sec, int64_t age, bool pick, int64_t author, int64_t tag)
{
	struct mh_author au = { .id = author };
	struct mh_tag tg = { .id = tag };
	struct mh_article a = {
		.slug = slug, .headline = slug, .body_md = "b", .body_html = "<p>b</p>", .lead_html = "<p>b</p>",
		.section_id = sec, .staff_pick = pick, .status = MH_ARTICLE_PUBLISHED, .published_at = NOW - age,
		.authors = author ? &au : NULL, .n_authors = author ? 1 : 0,
		.tags = tag ? &tg : NULL, .n_tags = tag ? 1 : 0,
	};
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s: %s", slug, mh_buf_cstr(&err));
	return a.id;
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, migrations_are_idempotent)
{
	int v = 0;
	cr_assert_eq(mh_store_migrate(st, &v, &err), MH_OK);
	cr_assert_eq(v, SCHEMA_VERSION);
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "schema_migrations", &n), MH_OK);
	/* every migration once, numbered 1, 2, ... without a gap, the newest last */
	cr_assert_eq(n, SCHEMA_VERSION, "every migration, each once");
	cr_assert_eq((int64_t)mh_store_n_migrations, SCHEMA_VERSION);
	for (size_t i = 0; i < mh_store_n_migrations; i++)
		cr_assert_eq(mh_store_migrations[i].version, (int)i + 1, "numbered without a gap");
	mh_store_close(st);
	open_store(); /* reopen + migrate again */
	cr_assert_eq(mh_store_count(st, "schema_migrations", &n), MH_OK);
	cr_assert_eq(n, (int64_t)mh_store_n_migrations);
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	cr_assert_eq(n, 0);
}

Test(store, open_errors)
{
	struct mh_store *s2 = NULL;
	cr_assert_eq(mh_store_open("missing.db", dir, false, &s2, &err), MH_NOT_FOUND);
	cr_assert_null(s2);
	cr_assert(strstr(mh_buf_cstr(&err), "missing.db"), "%s", mh_buf_cstr(&err));
	/* nothing listens on port 1: a refused connection is "unavailable" */
	cr_assert_eq(mh_store_open("postgres://masthead@127.0.0.1:1/x", dir, true, &s2, &err), MH_UNAVAILABLE);
	cr_assert(strstr(mh_buf_cstr(&err), "cannot connect"), "%s", mh_buf_cstr(&err));
	cr_assert_null(s2);
	cr_assert_eq(mh_store_open("", dir, true, &s2, &err), MH_INVALID);
	cr_assert_eq(mh_store_open(NULL, dir, true, &s2, &err), MH_INVALID);
	char path[128];
	snprintf(path, sizeof(path), "%s/junk.db", dir);
	FILE *f = fopen(path, "w");
	fputs("this is not a database, it is a text file long enough to have a header......", f);
	fclose(f);
	enum mh_store_rc rc = mh_store_open("junk.db", dir, false, &s2, &err);
	cr_assert_eq(rc, MH_ERROR, "rc %d", rc);
	cr_assert(strstr(mh_buf_cstr(&err), "not a database"), "%s", mh_buf_cstr(&err));
	cr_assert_null(s2);
	/* an absolute path ignores site_dir */
	snprintf(path, sizeof(path), "%s/abs.db", dir);
	cr_assert_eq(mh_store_open(path, "/nonexistent", true, &s2, &err), MH_OK, "%s", mh_buf_cstr(&err));
	mh_store_close(s2);
}

Test(store, sections_authors_tags)
{
	seed();
	size_t n = 0;
	struct mh_section *secs;
	cr_assert_eq(mh_store_sections(st, ar, &secs, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(secs[0].slug, "opinion"); /* by position */
	cr_assert_str_eq(secs[1].description, "What happened");
	cr_assert_eq(secs[1].kind, MH_SECTION_PLAIN);

	struct mh_section latest = { .slug = "latest", .name = "Latest", .kind = MH_SECTION_LATEST };
	cr_assert_eq(mh_store_section_save(st, &latest, &err), MH_OK);
	struct mh_section *got;
	cr_assert_eq(mh_store_section_by_slug(st, ar, MH_STR("latest"), &got), MH_OK);
	cr_assert_eq(got->kind, MH_SECTION_LATEST);
	cr_assert_eq(got->id, latest.id);
	cr_assert_eq(mh_store_section_by_slug(st, ar, MH_STR("nope"), &got), MH_NOT_FOUND);
	cr_assert_null(got);

	/* update */
	latest.name = "Newest";
	latest.kind = MH_SECTION_PICKS;
	cr_assert_eq(mh_store_section_save(st, &latest, &err), MH_OK);
	cr_assert_eq(mh_store_section_by_slug(st, ar, MH_STR("latest"), &got), MH_OK);
	cr_assert_str_eq(got->name, "Newest");
	cr_assert_eq(got->kind, MH_SECTION_PICKS);

	/* conflicts and bad input */
	struct mh_section dup = { .slug = "news", .name = "Again" };
	cr_assert_eq(mh_store_section_save(st, &dup, &err), MH_CONFLICT);
	cr_assert_str_eq(mh_buf_cstr(&err), "slug 'news' is already used");
	cr_assert_eq(dup.id, 0);
	struct mh_section bad = { .slug = "", .name = "x" };
	cr_assert_eq(mh_store_section_save(st, &bad, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err), "slug: required");
	bad = (struct mh_section){ .slug = "x", .name = "x", .kind = (enum mh_section_kind)9 };
	cr_assert_eq(mh_store_section_save(st, &bad, &err), MH_INVALID);
	bad = (struct mh_section){ .id = 999, .slug = "x", .name = "x" };
	cr_assert_eq(mh_store_section_save(st, &bad, &err), MH_NOT_FOUND);

	struct mh_author *aus;
	cr_assert_eq(mh_store_authors(st, ar, &aus, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(aus[0].name, "Ana Ortiz");
	cr_assert_str_eq(aus[0].bio, "Covers courts.");
	cr_assert_str_eq(aus[1].bio, ""); /* never NULL */
	struct mh_author *au;
	cr_assert_eq(mh_store_author_by_slug(st, ar, MH_STR("ben"), &au), MH_OK);
	cr_assert_eq(au->id, au_ben);
	struct mh_author dupa = { .slug = "ana", .name = "Other Ana" };
	cr_assert_eq(mh_store_author_save(st, &dupa, &err), MH_CONFLICT);
	cr_assert_str_eq(mh_buf_cstr(&err), "slug 'ana' is already used");
	struct mh_author noname = { .slug = "x" };
	cr_assert_eq(mh_store_author_save(st, &noname, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err), "name: required");

	/* tags: ensure finds the existing one */
	struct mh_tag *tg;
	cr_assert_eq(mh_store_tag_by_slug(st, ar, MH_STR("courts-law"), &tg), MH_OK);
	cr_assert_str_eq(tg->name, "Courts & Law");
	struct mh_tag again = { .name = "Courts & Law" };
	cr_assert_eq(mh_store_tag_ensure(st, &again, &err), MH_OK);
	cr_assert_eq(again.id, tag_court);
	struct mh_tag by_slug = { .slug = "rail", .name = "Railways" };
	cr_assert_eq(mh_store_tag_ensure(st, &by_slug, &err), MH_OK);
	cr_assert_eq(by_slug.id, tag_rail);
	struct mh_tag empty = { 0 };
	cr_assert_eq(mh_store_tag_ensure(st, &empty, &err), MH_INVALID);
	int64_t cnt;
	cr_assert_eq(mh_store_count(st, "tags", &cnt), MH_OK);
	cr_assert_eq(cnt, 2);
}

Test(store, article_round_trip)
{
	seed();
	struct mh_author aus[2] = { { .id = au_ben }, { .id = au_ana } };
	struct mh_tag tags[2] = { { .id = tag_rail }, { .id = tag_court } };
	struct mh_article a = {
		.slug = "tram-line-approved",
		.headline = "Tram Line \xe2\x80\x9c" "Approved\xe2\x80\x9d",
		.dek = "The council voted 31 to 12.",
		.body_md = "Body *md*",
		.body_html = "<p>Body <em>md</em></p>\n",
		.lead_html = "<p>Lead</p>\n",
		.section_id = sec_news,
		.authors = aus, .n_authors = 2,
		.tags = tags, .n_tags = 2,
		.image_url = "/media/demo/x.svg", .image_alt = "A tram",
		.via_name = "Example Times", .via_url = "https://example.org/t",
		.staff_pick = true,
		.status = MH_ARTICLE_PUBLISHED,
		.published_at = NOW - 60,
		.created_at = NOW - 3600,
		.views = 7118,
	};
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_gt(a.id, 0);
	cr_assert_eq(a.created_at, NOW - 3600);
	cr_assert_eq(a.updated_at, NOW - 3600);
	cr_assert_not(a.was_published);

	struct mh_article *g;
	cr_assert_eq(mh_store_article_by_id(st, ar, a.id, &g), MH_OK);
	cr_assert_eq(g->id, a.id);
	cr_assert_str_eq(g->slug, a.slug);
	cr_assert_str_eq(g->headline, a.headline);
	cr_assert_str_eq(g->dek, a.dek);
	cr_assert_str_eq(g->body_md, a.body_md);
	cr_assert_str_eq(g->body_html, a.body_html);
	cr_assert_str_eq(g->lead_html, a.lead_html);
	cr_assert_eq(g->section_id, sec_news);
	cr_assert_str_eq(g->section->slug, "news");
	cr_assert_str_eq(g->section->name, "News");
	cr_assert_eq(g->n_authors, 2);
	cr_assert_str_eq(g->authors[0].slug, "ben"); /* byline order kept */
	cr_assert_str_eq(g->authors[1].name, "Ana Ortiz");
	cr_assert_str_eq(g->authors[1].avatar_url, "/a.svg");
	cr_assert_eq(g->n_tags, 2);
	cr_assert_str_eq(g->tags[0].name, "Courts & Law"); /* by name */
	cr_assert_str_eq(g->tags[1].slug, "rail");
	cr_assert_str_eq(g->image_url, a.image_url);
	cr_assert_str_eq(g->image_alt, a.image_alt);
	cr_assert_str_eq(g->via_name, a.via_name);
	cr_assert_str_eq(g->via_url, a.via_url);
	cr_assert(g->staff_pick);
	cr_assert_eq(g->status, MH_ARTICLE_PUBLISHED);
	cr_assert_eq(g->published_at, NOW - 60);
	cr_assert_eq(g->created_at, NOW - 3600);
	cr_assert_eq(g->updated_at, NOW - 3600);
	cr_assert_not(g->was_published);
	cr_assert_eq(g->views, 7118);

	struct mh_article *h;
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("tram-line-approved"), &h), MH_OK);
	cr_assert_eq(h->id, a.id);
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("nope"), &h), MH_NOT_FOUND);
	cr_assert_eq(mh_store_article_by_id(st, ar, 12345, &h), MH_NOT_FOUND);
	cr_assert_eq(mh_store_article_by_id(st, ar, -1, &h), MH_NOT_FOUND);

	/* Update: new authors and tags replace the old; created_at kept, updated_at now. */
	struct mh_author one = { .id = au_ana };
	a.authors = &one;
	a.n_authors = 1;
	a.n_tags = 0;
	a.tags = NULL;
	a.headline = "Changed";
	a.created_at = 5; /* ignored on update */
	int64_t before = mh_time_now();
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_id(st, ar, a.id, &g), MH_OK);
	cr_assert_str_eq(g->headline, "Changed");
	cr_assert_eq(g->n_authors, 1);
	cr_assert_str_eq(g->authors[0].slug, "ana");
	cr_assert_eq(g->n_tags, 0);
	cr_assert_eq(g->created_at, NOW - 3600);
	cr_assert_geq(g->updated_at, before);
	int64_t n;
	cr_assert_eq(mh_store_count(st, "article_authors", &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(mh_store_count(st, "article_tags", &n), MH_OK);
	cr_assert_eq(n, 0);
}

Test(store, article_conflicts_and_bad_input)
{
	seed();
	add("taken", sec_news, 10, false, au_ana, 0);
	struct mh_article a = { .slug = "taken", .headline = "H", .section_id = sec_news };
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_CONFLICT);
	cr_assert_str_eq(mh_buf_cstr(&err), "slug 'taken' is already used");
	cr_assert_eq(a.id, 0, "a failed insert leaves the id alone");

	a.slug = "fresh";
	a.section_id = 999;
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err), "section_id: no section with id 999");

	struct mh_author ghost = { .id = 4242 };
	a.section_id = sec_news;
	a.authors = &ghost;
	a.n_authors = 1;
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err), "authors: no author with id 4242");
	int64_t n;
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	cr_assert_eq(n, 1, "the failed save was rolled back whole");

	struct mh_author twice[2] = { { .id = au_ana }, { .id = au_ana } };
	a.authors = twice;
	a.n_authors = 2;
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "listed twice"));
	a.n_authors = 0;

	struct mh_tag ghost_tag = { .id = 77 };
	a.tags = &ghost_tag;
	a.n_tags = 1;
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err), "tags: no tag with id 77");
	a.n_tags = 0;

	struct mh_article b = a;
	b.slug = NULL;
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err), "slug: required");
	b = a;
	b.headline = "";
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err), "headline: required");
	b = a;
	b.section_id = 0;
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_INVALID);
	b = a;
	b.status = (enum mh_article_status)5;
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_INVALID);
	b = a;
	b.id = 31337;
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_NOT_FOUND);
	b = a;
	b.n_authors = 3;
	b.authors = NULL;
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_INVALID);

	/* Renaming onto a taken slug is a conflict too. */
	int64_t other = add("other", sec_news, 20, false, 0, 0);
	struct mh_article *g;
	cr_assert_eq(mh_store_article_by_id(st, ar, other, &g), MH_OK);
	g->slug = "taken";
	cr_assert_eq(mh_store_article_save(st, g, &err), MH_CONFLICT);
	cr_assert_str_eq(mh_buf_cstr(&err), "slug 'taken' is already used");
}

static size_t list(struct mh_article_query q, struct mh_article **out)
{
	size_t n = 0;
	if (q.now == 0)
		q.now = NOW;
	cr_assert_eq(mh_store_articles(st, ar, &q, out, &n), MH_OK);
	int64_t c = -1;
	q.offset = 0;
	q.limit = 0;
	cr_assert_eq(mh_store_articles_count(st, &q, &c), MH_OK);
	cr_assert_geq(c, (int64_t)n);
	return n;
}

Test(store, list_filters)
{
	seed();
	int64_t a1 = add("a1", sec_news, 100, false, au_ana, tag_rail);
	int64_t a2 = add("a2", sec_news, 200, true, au_ben, tag_court);
	int64_t a3 = add("a3", sec_opinion, 300, true, au_ana, tag_rail);
	int64_t a4 = add("a4", sec_opinion, 400, false, 0, 0);
	/* hidden: a draft, a scheduled one, one published in the future */
	struct mh_article d = { .slug = "draft", .headline = "D", .section_id = sec_news };
	cr_assert_eq(mh_store_article_save(st, &d, &err), MH_OK);
	struct mh_article sch = { .slug = "sched", .headline = "S", .section_id = sec_news,
				  .status = MH_ARTICLE_SCHEDULED, .published_at = NOW + 3600 };
	cr_assert_eq(mh_store_article_save(st, &sch, &err), MH_OK);
	add("future", sec_news, -60, true, au_ana, tag_rail);

	struct mh_article *r;
	size_t n = list((struct mh_article_query){ 0 }, &r);
	cr_assert_eq(n, 4);
	cr_assert_eq(r[0].id, a1);
	cr_assert_eq(r[3].id, a4);
	cr_assert_null(r[0].body_html, "lists skip the body unless asked");
	cr_assert_str_eq(r[0].lead_html, "<p>b</p>");
	cr_assert_str_eq(r[0].section->slug, "news");
	cr_assert_eq(r[0].n_authors, 1);
	cr_assert_str_eq(r[0].authors[0].slug, "ana");
	cr_assert_eq(r[0].n_tags, 1);
	cr_assert_eq(r[3].n_authors, 0);

	n = list((struct mh_article_query){ .with_body = true, .limit = 1 }, &r);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(r[0].body_html, "<p>b</p>");

	n = list((struct mh_article_query){ .section_id = sec_opinion }, &r);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[0].id, a3);
	n = list((struct mh_article_query){ .staff_picks_only = true }, &r);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[0].id, a2);
	cr_assert_eq(r[1].id, a3);
	n = list((struct mh_article_query){ .author_id = au_ana }, &r);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[1].id, a3);
	n = list((struct mh_article_query){ .tag_id = tag_court }, &r);
	cr_assert_eq(n, 1);
	cr_assert_eq(r[0].id, a2);
	n = list((struct mh_article_query){ .exclude_id = a1 }, &r);
	cr_assert_eq(n, 3);
	cr_assert_eq(r[0].id, a2);
	n = list((struct mh_article_query){ .author_id = au_ana, .staff_picks_only = true, .section_id = sec_opinion,
					    .tag_id = tag_rail },
		 &r);
	cr_assert_eq(n, 1);
	cr_assert_eq(r[0].id, a3);

	/* keyset cursor and offset page the same way */
	n = list((struct mh_article_query){ .limit = 2 }, &r);
	cr_assert_eq(n, 2);
	struct mh_article_query next = { .limit = 2, .before_published_at = r[1].published_at, .before_id = r[1].id };
	n = list(next, &r);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[0].id, a3);
	cr_assert_eq(r[1].id, a4);
	n = list((struct mh_article_query){ .limit = 2, .offset = 2 }, &r);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[0].id, a3);
	n = list((struct mh_article_query){ .before_published_at = NOW - 300 }, &r);
	cr_assert_eq(n, 1);
	cr_assert_eq(r[0].id, a4);

	/* the "future" article shows once its time has come */
	n = list((struct mh_article_query){ .now = NOW + 120 }, &r);
	cr_assert_eq(n, 5);
	cr_assert_str_eq(r[0].slug, "future");

	int64_t c;
	cr_assert_eq(mh_store_articles_count(st, &(struct mh_article_query){ .now = NOW }, &c), MH_OK);
	cr_assert_eq(c, 4);
	cr_assert_eq(mh_store_articles_count(st, &(struct mh_article_query){ .now = NOW, .tag_id = tag_rail }, &c),
		     MH_OK);
	cr_assert_eq(c, 2);
	cr_assert_eq(mh_store_count(st, "articles", &c), MH_OK);
	cr_assert_eq(c, 7);
}

Test(store, same_time_keyset_ties)
{
	seed();
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		char slug[16];
		snprintf(slug, sizeof(slug), "t%d", i);
		ids[i] = add(slug, sec_news, 50, false, 0, 0);
	}
	struct mh_article *r;
	struct mh_article_query q = { .limit = 2 };
	size_t seen = 0;
	for (;;) {
		size_t n = list(q, &r);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(r[i].id, ids[4 - seen - i], "page order by id among equal times");
		seen += n;
		if (n < 2)
			break;
		q.before_published_at = r[n - 1].published_at;
		q.before_id = r[n - 1].id;
	}
	cr_assert_eq(seen, 5);
}

Test(store, list_bad_input)
{
	seed();
	struct mh_article *r;
	size_t n;
	int64_t c;
	cr_assert_eq(mh_store_articles(st, ar, &(struct mh_article_query){ .offset = -1 }, &r, &n), MH_INVALID);
	cr_assert_eq(mh_store_articles(st, ar, &(struct mh_article_query){ .limit = -5 }, &r, &n), MH_INVALID);
	cr_assert_eq(mh_store_articles_count(st, &(struct mh_article_query){ .author_id = -1 }, &c), MH_INVALID);
	cr_assert_eq(mh_store_articles(st, ar, &(struct mh_article_query){ .limit = 100000 }, &r, &n), MH_OK);
	cr_assert_eq(n, 0);
}

Test(store, counts_whitelist)
{
	int64_t n = 5;
	cr_assert_eq(mh_store_count(st, "articles; DROP TABLE articles", &n), MH_INVALID);
	cr_assert_eq(n, 0);
	cr_assert_eq(mh_store_count(st, "sqlite_master", &n), MH_INVALID);
	cr_assert_eq(mh_store_count(st, NULL, &n), MH_INVALID);
	const char *ok[] = { "sections", "authors", "tags", "articles", "article_authors", "article_tags" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert_eq(mh_store_count(st, ok[i], &n), MH_OK, "%s", ok[i]);
}

Test(store, was_published_and_views)
{
	seed();
	int64_t id = add("w", sec_news, 10, false, 0, 0);
	struct mh_article *g;
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
	cr_assert_not(g->was_published, "published now: not withdrawn");
	g->status = MH_ARTICLE_DRAFT;
	cr_assert_eq(mh_store_article_save(st, g, &err), MH_OK);
	cr_assert(g->was_published);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
	cr_assert(g->was_published, "withdrawn after publication");
	g->was_published = false; /* cannot be forgotten by a save */
	cr_assert_eq(mh_store_article_save(st, g, &err), MH_OK);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
	cr_assert(g->was_published);
	g->status = MH_ARTICLE_PUBLISHED;
	cr_assert_eq(mh_store_article_save(st, g, &err), MH_OK);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
	cr_assert_not(g->was_published);

	/* A draft that was never published is not withdrawn. */
	struct mh_article d = { .slug = "never", .headline = "N", .section_id = sec_news };
	cr_assert_eq(mh_store_article_save(st, &d, &err), MH_OK);
	cr_assert_eq(mh_store_article_by_id(st, ar, d.id, &g), MH_OK);
	cr_assert_not(g->was_published);
	cr_assert_eq(g->published_at, 0);

	cr_assert_eq(mh_store_article_set_views(st, id, 123456), MH_OK);
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
	cr_assert_eq(g->views, 123456);
	cr_assert_eq(mh_store_article_set_views(st, 99999, 1), MH_NOT_FOUND);
	cr_assert_eq(mh_store_article_set_views(st, id, -1), MH_INVALID);
}

Test(store, publishing_without_a_time_means_now)
{
	seed();
	int64_t before = mh_time_now();
	struct mh_article a = { .slug = "p", .headline = "P", .section_id = sec_news, .status = MH_ARTICLE_PUBLISHED };
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK);
	cr_assert_geq(a.published_at, before);
	cr_assert_leq(a.published_at, mh_time_now());
}

Test(store, transactions)
{
	seed();
	cr_assert_eq(mh_store_begin(st), MH_OK);
	cr_assert_eq(mh_store_begin(st), MH_INVALID, "nesting is an error");
	add("in-batch-1", sec_news, 10, false, au_ana, 0);
	/* a failing save inside the batch undoes itself only */
	struct mh_article dup = { .slug = "in-batch-1", .headline = "x", .section_id = sec_news };
	cr_assert_eq(mh_store_article_save(st, &dup, &err), MH_CONFLICT);
	add("in-batch-2", sec_news, 20, false, au_ana, 0);
	cr_assert_eq(mh_store_commit(st), MH_OK);
	cr_assert_eq(mh_store_commit(st), MH_INVALID, "no transaction open");
	int64_t n;
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	cr_assert_eq(n, 2);

	cr_assert_eq(mh_store_begin(st), MH_OK);
	add("rolled-back", sec_news, 30, false, au_ana, 0);
	mh_store_rollback(st);
	mh_store_rollback(st); /* harmless */
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	cr_assert_eq(n, 2);
}

Test(store, durable_across_reopen)
{
	seed();
	int64_t id = add("durable", sec_news, 10, true, au_ben, tag_rail);
	mh_store_close(st);
	open_store();
	struct mh_article *g;
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("durable"), &g), MH_OK);
	cr_assert_eq(g->id, id);
	cr_assert_str_eq(g->authors[0].slug, "ben");
}

Test(store, durable_after_kill_9)
{
	seed();
	/* on PostgreSQL the child's connection dies with it; the commit stays */
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* The child: its own connection, one save, report, then wait to die. */
		struct mh_store *cs = NULL;
		struct mh_buf e = MH_BUF_INIT;
		if (mh_store_open(url, dir, false, &cs, &e) != MH_OK)
			_exit(3);
		struct mh_article a = { .slug = "survivor", .headline = "S", .section_id = sec_news,
					.status = MH_ARTICLE_PUBLISHED, .published_at = NOW };
		char ok = mh_store_article_save(cs, &a, &e) == MH_OK ? 'y' : 'n';
		if (write(fds[1], &ok, 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(fds[1]);
	char got = 0;
	cr_assert_eq(read(fds[0], &got, 1), 1);
	cr_assert_eq(got, 'y');
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	close(fds[0]);
	mh_store_close(st);
	open_store();
	struct mh_article *g;
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("survivor"), &g), MH_OK);
}

Test(store, busy_database_is_unavailable, .timeout = 30)
{
	/* Cannot apply to PostgreSQL (tests/expected-skips.txt): there is no
	 * database-wide write lock to hold, row locks never block an insert. */
	if (on_pg)
		cr_skip_test("SQLite only: one writer at a time; PostgreSQL locks rows, an insert is never blocked");
	seed();
	/* Another connection holds the write lock; ours gives up after 5 s. */
	struct mh_store *other = NULL;
	cr_assert_eq(mh_store_open(url, dir, false, &other, &err), MH_OK);
	cr_assert_eq(mh_store_begin(other), MH_OK);
	struct mh_article a = { .slug = "blocked", .headline = "B", .section_id = sec_news };
	enum mh_store_rc rc = mh_store_article_save(st, &a, &err);
	cr_assert_eq(rc, MH_UNAVAILABLE, "rc %d: %s", rc, mh_buf_cstr(&err));
	cr_assert(strstr(mh_buf_cstr(&err), "busy"), "%s", mh_buf_cstr(&err));
	/* reads still work in WAL mode */
	int64_t n;
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	mh_store_rollback(other);
	mh_store_close(other);
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
}

Test(store, status_names)
{
	enum mh_article_status s;
	cr_assert_str_eq(mh_article_status_name(MH_ARTICLE_SCHEDULED), "scheduled");
	cr_assert(mh_article_status_parse(MH_STR("published"), &s));
	cr_assert_eq(s, MH_ARTICLE_PUBLISHED);
	cr_assert(mh_article_status_parse(MH_STR("draft"), &s));
	cr_assert_eq(s, MH_ARTICLE_DRAFT);
	cr_assert_not(mh_article_status_parse(MH_STR("Published"), &s));
	cr_assert_not(mh_article_status_parse(MH_STR(""), &s));
	cr_assert_not(mh_article_status_parse(MH_STR("draftx"), &s));
}

Test(store, newer_than_cursor_nearest_first)
{
	seed();
	int64_t a1 = add("n1", sec_news, 100, false, 0, 0);
	int64_t a2 = add("n2", sec_news, 200, false, 0, 0);
	int64_t a3 = add("n3", sec_news, 300, false, 0, 0);
	add("n4", sec_news, 400, false, 0, 0);
	struct mh_article *r;
	size_t n = list((struct mh_article_query){ .after_published_at = NOW - 400, .after_id = 1000000, .limit = 2 },
			&r);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[0].id, a3, "the nearest newer article comes first");
	cr_assert_eq(r[1].id, a2);
	n = list((struct mh_article_query){ .after_published_at = NOW - 200, .after_id = a2 }, &r);
	cr_assert_eq(n, 1);
	cr_assert_eq(r[0].id, a1);
	cr_assert_eq(mh_store_articles(st, ar,
				       &(struct mh_article_query){ .after_published_at = 1, .before_published_at = 2 },
				       &r, &n),
		     MH_INVALID, "both directions at once is refused");
}

Test(store, change_log)
{
	int64_t last = -1;
	cr_assert_eq(mh_store_change_last(st, &last), MH_OK);
	cr_assert_eq(last, 0);
	cr_assert_eq(mh_store_change_add(st, MH_STR("article:1 home")), MH_OK);
	cr_assert_eq(mh_store_change_add(st, MH_STR("")), MH_OK, "an empty change is no entry");
	cr_assert_eq(mh_store_begin(st), MH_OK);
	cr_assert_eq(mh_store_change_add(st, MH_STR("section:2")), MH_OK);
	mh_store_rollback(st);
	cr_assert_eq(mh_store_change_add(st, MH_STR("tag:3")), MH_OK);
	struct mh_change *c;
	size_t n;
	cr_assert_eq(mh_store_changes_since(st, ar, 0, 10, &c, &n), MH_OK);
	cr_assert_eq(n, 2, "the rolled-back entry is not there");
	cr_assert_str_eq(c[0].keys, "article:1 home");
	cr_assert_str_eq(c[1].keys, "tag:3");
	cr_assert_gt(c[1].id, c[0].id);
	cr_assert_eq(mh_store_changes_since(st, ar, c[0].id, 10, &c, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(c[0].keys, "tag:3");
	cr_assert_eq(mh_store_change_last(st, &last), MH_OK);
	cr_assert_eq(last, c[0].id);
	cr_assert_eq(mh_store_changes_since(st, ar, 0, 1, &c, &n), MH_OK);
	cr_assert_eq(n, 1, "max bounds the batch");
	cr_assert_eq(mh_store_changes_prune(st, mh_time_now() + 10), MH_OK);
	cr_assert_eq(mh_store_changes_since(st, ar, 0, 10, &c, &n), MH_OK);
	cr_assert_eq(n, 0);
}

Test(store, jobs_claim_lease_done_and_dedupe)
{
	int64_t id1 = 0, id2 = 0, again = 0;
	cr_assert_eq(mh_store_job_add(st, "publish", MH_STR("7"), NOW - 10, "publish:7", &id1), MH_OK);
	cr_assert_eq(mh_store_job_add(st, "purge", MH_STR("home"), NOW + 60, NULL, &id2), MH_OK);
	cr_assert_eq(mh_store_job_add(st, "publish", MH_STR("7"), NOW - 5, "publish:7", &again), MH_OK);
	cr_assert_eq(again, id1, "the same unfinished job is rescheduled, not duplicated");
	int64_t n;
	cr_assert_eq(mh_store_count(st, "jobs", &n), MH_OK);
	cr_assert_eq(n, 2);

	struct mh_job *j = NULL;
	cr_assert_eq(mh_store_job_claim(st, ar, "node-a", NOW, 30, &j), MH_OK);
	cr_assert_eq(j->id, id1);
	cr_assert_str_eq(j->kind, "publish");
	cr_assert_str_eq(j->payload, "7");
	cr_assert_eq(j->state, MH_JOB_RUNNING);
	cr_assert_eq(j->attempts, 1);
	cr_assert_str_eq(j->owner, "node-a");
	cr_assert_eq(mh_store_job_claim(st, ar, "node-b", NOW, 30, &j), MH_NOT_FOUND,
		     "the other job is not due and the first is held");
	/* node-a dies: after its lease, node-b takes the job over */
	cr_assert_eq(mh_store_job_claim(st, ar, "node-b", NOW + 31, 30, &j), MH_OK);
	cr_assert_eq(j->id, id1);
	cr_assert_eq(j->attempts, 2);
	cr_assert_eq(mh_store_job_done(st, id1, "node-a"), MH_CONFLICT, "a lost lease cannot finish the job");
	cr_assert_eq(mh_store_job_done(st, id1, "node-b"), MH_OK);
	cr_assert_eq(mh_store_job_done(st, id1, "node-b"), MH_CONFLICT, "done once");
	/* a finished job no longer blocks its dedupe key */
	cr_assert_eq(mh_store_job_add(st, "publish", MH_STR("7"), NOW, "publish:7", &again), MH_OK);
	cr_assert_neq(again, id1);

	struct mh_job *list;
	size_t ln;
	cr_assert_eq(mh_store_jobs(st, ar, MH_JOB_DONE, 10, &list, &ln), MH_OK);
	cr_assert_eq(ln, 1);
	cr_assert_eq(list[0].id, id1);
	cr_assert_eq(mh_store_jobs(st, ar, -1, 10, &list, &ln), MH_OK);
	cr_assert_eq(ln, 3);
	cr_assert_eq(mh_store_jobs_prune(st, mh_time_now() + 10), MH_OK);
	cr_assert_eq(mh_store_jobs(st, ar, -1, 10, &list, &ln), MH_OK);
	cr_assert_eq(ln, 2, "done jobs pruned, others kept");
	cr_assert_eq(mh_store_job_add(st, "", MH_STR(""), NOW, NULL, NULL), MH_INVALID);
	cr_assert_eq(mh_store_job_add(st, "bad kind", MH_STR(""), NOW, NULL, NULL), MH_INVALID);
	cr_assert_eq(mh_store_job_claim(st, ar, "", NOW, 30, &j), MH_INVALID);
}

Test(store, jobs_fail_retry_then_park)
{
	int64_t id = 0;
	cr_assert_eq(mh_store_job_add(st, "purge", MH_STR("k"), NOW, NULL, &id), MH_OK);
	struct mh_job *j = NULL;
	int64_t t = NOW;
	for (int attempt = 1; attempt <= 8; attempt++) {
		cr_assert_eq(mh_store_job_claim(st, ar, "n", t, 30, &j), MH_OK, "attempt %d", attempt);
		cr_assert_eq(j->attempts, attempt);
		cr_assert_eq(mh_store_job_fail(st, id, "n", "target refused", t + 100), MH_OK);
		cr_assert_eq(mh_store_job_claim(st, ar, "n", t + 50, 30, &j), MH_NOT_FOUND, "backoff holds it");
		t += 100;
	}
	struct mh_job *list;
	size_t n;
	cr_assert_eq(mh_store_jobs(st, ar, MH_JOB_PARKED, 10, &list, &n), MH_OK);
	cr_assert_eq(n, 1, "parked after max_attempts");
	cr_assert_str_eq(list[0].last_error, "target refused");
	cr_assert_eq(mh_store_job_claim(st, ar, "n", t + 1000000, 30, &j), MH_NOT_FOUND, "parked jobs do not run");
	cr_assert_eq(mh_store_job_retry(st, id), MH_OK);
	cr_assert_eq(mh_store_job_claim(st, ar, "n", mh_time_now(), 30, &j), MH_OK, "retried by hand");
	cr_assert_eq(j->attempts, 1);
	cr_assert_eq(mh_store_job_retry(st, 99999), MH_NOT_FOUND);
}

/* Several threads, each with its own connection, claim from one queue:
 * every job is claimed exactly once. */
struct claimer {
	int done;
	int last_rc;
	int64_t ids[64];
};

static void *claim_all(void *arg)
{
	struct claimer *c = arg;
	struct mh_store *mine = NULL;
	struct mh_buf e = MH_BUF_INIT;
	if (mh_store_open(url, dir, false, &mine, &e) != MH_OK)
		return NULL;
	struct mh_arena *a = mh_arena_new();
	char owner[32];
	snprintf(owner, sizeof(owner), "t%p", (void *)c);
	for (;;) {
		struct mh_job *j = NULL;
		enum mh_store_rc rc = mh_store_job_claim(mine, a, owner, mh_time_now(), 60, &j);
		if (rc == MH_UNAVAILABLE)
			continue;
		if (rc != MH_OK) {
			c->last_rc = rc;
			break;
		}
		c->ids[c->done++] = j->id;
		mh_store_job_done(mine, j->id, owner);
	}
	mh_arena_free(a);
	mh_store_close(mine);
	mh_buf_free(&e);
	return NULL;
}

Test(store, jobs_each_claimed_once_across_connections)
{
	for (int i = 0; i < 40; i++)
		cr_assert_eq(mh_store_job_add(st, "purge", MH_STR("x"), mh_time_now() - 100, NULL, NULL), MH_OK);
	struct claimer c[4] = { 0 };
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, claim_all, &c[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	int seen[64] = { 0 }, total = 0;
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < c[i].done; k++) {
			cr_assert_lt(c[i].ids[k], 64);
			seen[c[i].ids[k]]++;
			total++;
		}
	}
	cr_assert_eq(total, 40, "every job ran (%d %d %d %d; rc %d %d %d %d)", c[0].done, c[1].done, c[2].done,
		     c[3].done, c[0].last_rc, c[1].last_rc, c[2].last_rc, c[3].last_rc);
	for (int i = 0; i < 64; i++)
		cr_assert_leq(seen[i], 1, "job %d claimed twice", i);
}

Test(store, article_lock_inside_a_transaction)
{
	seed();
	int64_t id = add("locked", sec_news, 10, false, 0, 0);
	cr_assert_eq(mh_store_begin(st), MH_OK);
	cr_assert_eq(mh_store_article_lock(st, id), MH_OK);
	cr_assert_eq(mh_store_article_lock(st, id + 1000), MH_NOT_FOUND);
	cr_assert_eq(mh_store_article_lock(st, 0), MH_NOT_FOUND);
	cr_assert_eq(mh_store_commit(st), MH_OK);
}

Test(store, a_read_snapshot_sees_one_state)
{
	seed();
	add("before", sec_news, 100, false, 0, 0);
	struct mh_store *other = NULL;
	cr_assert_eq(mh_store_open(url, dir, false, &other, &err), MH_OK, "%s", mh_buf_cstr(&err));
	int64_t n = 0;
	cr_assert_eq(mh_store_read_begin(st), MH_OK);
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	cr_assert_eq(n, 1);
	struct mh_article a = { .slug = "during", .headline = "During", .body_md = "b", .section_id = sec_news,
				.status = MH_ARTICLE_PUBLISHED, .published_at = NOW };
	cr_assert_eq(mh_store_article_save(other, &a, &err), MH_OK, "a writer is not blocked: %s",
		     mh_buf_cstr(&err));
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	/* SQLite: the page's reads see the state they began with; PostgreSQL
	 * reads each see the latest commit (read_begin is a no-op there) */
	cr_assert_eq(n, on_pg ? 2 : 1);
	mh_store_read_end(st);
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	cr_assert_eq(n, 2, "after the snapshot, the new row");
	/* nesting and a write transaction around it are harmless */
	cr_assert_eq(mh_store_begin(st), MH_OK);
	cr_assert_eq(mh_store_read_begin(st), MH_OK);
	mh_store_read_end(st);
	cr_assert_eq(mh_store_commit(st), MH_OK);
	mh_store_close(other);
}

/* ---- the rules store.c holds for both backends ---- */

static const char *const good_urls[] = {
	"https://example.org/a?b=c#d", "http://example.org", "HTTPS://Example.org/x", "http://user@example.org:8080/",
	"/media/demo/x.svg", "/", "/a//b",
};
/* Each refused wherever an address is stored. */
static const char *const bad_urls[] = {
	"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "vbscript:msgbox(1)",
	"data:text/html,<script>alert(1)</script>", "data:image/svg+xml;base64,PHN2Zz4=", "//evil.example/x",
	"///evil.example", "/\\evil.example", "relative/path.svg", "a.svg", "?x=1", "#top", "ftp://example.org/f",
	"mailto:ed@example.org", "http:example.org", "https://", "https:///path", "http://user@/x", "https://:443/x",
	" https://example.org", "https://example.org/a b", "https://example.org/\t", "/media/x.svg\n",
	"/media/\x01x.svg", "https://example.org/\x7f", "https://ex\"ample.org", "/a<b", "https://example.org/\xc2\x85",
};

Test(store, addresses_only_web_or_site_paths)
{
	seed();
	for (size_t i = 0; i < sizeof(good_urls) / sizeof(good_urls[0]); i++)
		cr_assert_null(mh_store_url_problem(mh_str_c(good_urls[i])), "%s", good_urls[i]);
	cr_assert_null(mh_store_url_problem(MH_STR("")), "no address at all is fine");
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++)
		cr_assert_not_null(mh_store_url_problem(mh_str_c(bad_urls[i])), "%s", bad_urls[i]);
	char big[2100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "https://x/", 10);
	cr_assert_str_eq(mh_store_url_problem(mh_str_c(big)), "longer than 2000 bytes");

	/* avatar_url: a new author with a bad one is not created ... */
	int64_t n_authors = 0, n;
	cr_assert_eq(mh_store_count(st, "authors", &n_authors), MH_OK);
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		struct mh_author au = { .slug = "eve", .name = "Eve", .avatar_url = bad_urls[i] };
		cr_assert_eq(mh_store_author_save(st, &au, &err), MH_INVALID, "%s", bad_urls[i]);
		cr_assert(strncmp(mh_buf_cstr(&err), "avatar_url: ", 12) == 0, "%s: %s", bad_urls[i], mh_buf_cstr(&err));
		cr_assert_eq(au.id, 0);
	}
	cr_assert_eq(mh_store_count(st, "authors", &n), MH_OK);
	cr_assert_eq(n, n_authors, "no author was created");
	/* ... and an existing one keeps the address it had */
	struct mh_author *ana;
	cr_assert_eq(mh_store_author_by_slug(st, ar, MH_STR("ana"), &ana), MH_OK);
	ana->avatar_url = "javascript:alert(document.cookie)";
	cr_assert_eq(mh_store_author_save(st, ana, &err), MH_INVALID);
	cr_assert_eq(mh_store_author_by_slug(st, ar, MH_STR("ana"), &ana), MH_OK);
	cr_assert_str_eq(ana->avatar_url, "/a.svg");
	for (size_t i = 0; i < sizeof(good_urls) / sizeof(good_urls[0]); i++) {
		ana->avatar_url = good_urls[i];
		cr_assert_eq(mh_store_author_save(st, ana, &err), MH_OK, "%s: %s", good_urls[i], mh_buf_cstr(&err));
	}

	/* image_url and via_url of an article, new or saved before */
	int64_t id = add("addressed", sec_news, 10, false, au_ana, 0);
	cr_assert_eq(mh_store_count(st, "articles", &n_authors), MH_OK);
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		for (int field = 0; field < 2; field++) {
			struct mh_article a = { .slug = "fresh", .headline = "H", .section_id = sec_news,
						.status = MH_ARTICLE_PUBLISHED, .via_name = "V" };
			if (field == 0)
				a.image_url = bad_urls[i];
			else
				a.via_url = bad_urls[i];
			const char *name = field == 0 ? "image_url: " : "via_url: ";
			cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID, "%s", bad_urls[i]);
			cr_assert(strncmp(mh_buf_cstr(&err), name, strlen(name)) == 0, "%s: %s", bad_urls[i],
				  mh_buf_cstr(&err));
			cr_assert_eq(a.id, 0);
			struct mh_article *g;
			cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
			if (field == 0)
				g->image_url = bad_urls[i];
			else
				g->via_url = bad_urls[i];
			cr_assert_eq(mh_store_article_save(st, g, &err), MH_INVALID, "%s", bad_urls[i]);
			cr_assert(strncmp(mh_buf_cstr(&err), name, strlen(name)) == 0, "%s", mh_buf_cstr(&err));
		}
	}
	cr_assert_eq(mh_store_count(st, "articles", &n), MH_OK);
	cr_assert_eq(n, n_authors, "no article was created");
	struct mh_article *g;
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
	cr_assert_str_eq(g->image_url, "", "the stored article is as it was");
	cr_assert_str_eq(g->via_url, "");
	cr_assert_eq(g->n_authors, 1, "its byline too");
	g->image_url = "/media/x.svg";
	g->image_alt = "A sketch"; /* required of a published article with an image */
	g->via_url = "https://example.org/story";
	g->via_name = "Example";
	cr_assert_eq(mh_store_article_save(st, g, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &g), MH_OK);
	cr_assert_str_eq(g->image_url, "/media/x.svg");
	cr_assert_str_eq(g->via_url, "https://example.org/story");
}

Test(store, save_defaults_and_messages)
{
	seed();
	/* a new article without times: created now, updated when created */
	int64_t before = mh_time_now();
	struct mh_article a = { .slug = "d1", .headline = "D", .section_id = sec_news };
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_geq(a.created_at, before);
	cr_assert_eq(a.updated_at, a.created_at);
	cr_assert_eq(a.published_at, 0, "a draft has no publication time");
	/* scheduling without a time is publishing now, too */
	a.status = MH_ARTICLE_SCHEDULED;
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK);
	cr_assert_geq(a.published_at, before);
	cr_assert_leq(a.published_at, mh_time_now());
	struct mh_article *g;
	cr_assert_eq(mh_store_article_by_id(st, ar, a.id, &g), MH_OK);
	cr_assert_eq(g->published_at, a.published_at);
	cr_assert_eq(g->status, MH_ARTICLE_SCHEDULED);
	cr_assert_not(g->was_published, "scheduled is not withdrawn");
	/* a time given is kept */
	struct mh_article b = { .slug = "d2", .headline = "D", .section_id = sec_news, .status = MH_ARTICLE_SCHEDULED,
				.published_at = NOW + 3600, .updated_at = NOW - 5, .created_at = NOW - 10 };
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_OK);
	cr_assert_eq(b.published_at, NOW + 3600);
	cr_assert_eq(b.created_at, NOW - 10);
	cr_assert_eq(b.updated_at, NOW - 5);

	/* updates of rows that are not there say which */
	b.id = 31337;
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_NOT_FOUND);
	cr_assert_str_eq(mh_buf_cstr(&err), "id: no article with id 31337");
	struct mh_section sec = { .id = 999, .slug = "x", .name = "x" };
	cr_assert_eq(mh_store_section_save(st, &sec, &err), MH_NOT_FOUND);
	cr_assert_str_eq(mh_buf_cstr(&err), "id: no section with id 999");
	struct mh_author au = { .id = 998, .slug = "x", .name = "x" };
	cr_assert_eq(mh_store_author_save(st, &au, &err), MH_NOT_FOUND);
	cr_assert_str_eq(mh_buf_cstr(&err), "id: no author with id 998");
	cr_assert_eq(au.id, 998);

	/* tags: an existing tag keeps its name; a slug alone names a new one */
	struct mh_tag t = { .slug = "rail", .name = "Railways" };
	cr_assert_eq(mh_store_tag_ensure(st, &t, &err), MH_OK);
	cr_assert_eq(t.id, tag_rail);
	struct mh_tag *got;
	cr_assert_eq(mh_store_tag_by_slug(st, ar, MH_STR("rail"), &got), MH_OK);
	cr_assert_str_eq(got->name, "Rail");
	struct mh_tag solo = { .slug = "solo" };
	cr_assert_eq(mh_store_tag_ensure(st, &solo, &err), MH_OK);
	cr_assert_eq(mh_store_tag_by_slug(st, ar, MH_STR("solo"), &got), MH_OK);
	cr_assert_str_eq(got->name, "solo");
	cr_assert_eq(got->id, solo.id);
	struct mh_tag named = { .name = "!!!" };
	cr_assert_eq(mh_store_tag_ensure(st, &named, &err), MH_OK);
	cr_assert_eq(mh_store_tag_by_slug(st, ar, MH_STR("tag"), &got), MH_OK, "a name without letters: 'tag'");
	cr_assert_str_eq(got->name, "!!!");
}

Test(store, transaction_state_rules)
{
	seed();
	int64_t id = add("t", sec_news, 10, false, 0, 0);
	/* a row lock outside a transaction would end at once: refused alike */
	cr_assert_eq(mh_store_article_lock(st, id), MH_INVALID);
	cr_assert_eq(mh_store_commit(st), MH_INVALID);
	cr_assert_eq(mh_store_begin(st), MH_OK);
	cr_assert_eq(mh_store_bulk_load(st, true), MH_INVALID);
	cr_assert_eq(mh_store_changes_wait(st, 10), MH_INVALID);
	int v;
	cr_assert_eq(mh_store_migrate(st, &v, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "inside a transaction"), "%s", mh_buf_cstr(&err));
	char copy[sizeof(dir) + 16];
	snprintf(copy, sizeof(copy), "%s/copy.db", dir);
	cr_assert_eq(mh_store_backup(st, copy, &err), MH_INVALID, "no backup from inside a transaction");
	cr_assert_neq(access(copy, F_OK), 0);
	cr_assert_eq(mh_store_article_lock(st, id), MH_OK);
	cr_assert_eq(mh_store_commit(st), MH_OK);
	cr_assert_eq(mh_store_changes_wait(st, 10), MH_OK);
	cr_assert_eq(mh_store_changes_wait(st, -1), MH_INVALID);
}

/* Runs one statement on the test's own database, behind the store's back. */
static void raw_sql(const char *sql)
{
	if (on_pg) {
		PGconn *c = PQconnectdb(url);
		cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
		PGresult *r = PQexec(c, sql);
		cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	} else {
		char path[sizeof(dir) + sizeof(url) + 1];
		snprintf(path, sizeof(path), "%s/%s", dir, url);
		sqlite3 *db = NULL;
		cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
	}
}

Test(store, a_newer_schema_is_refused)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations(version, applied_at) VALUES (%d, 0)",
		 SCHEMA_VERSION + 40);
	raw_sql(sql);
	int v = 0;
	cr_assert_eq(mh_store_migrate(st, &v, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "is newer than this program knows"), "%s", mh_buf_cstr(&err));
	cr_assert_eq(v, SCHEMA_VERSION + 40);
}

/* ---- issue 7: the review status, revisions, old slugs ---- */

static int64_t save_noted(struct mh_article *a, const char *who, int64_t user_id)
{
	struct mh_revision_note note = { .user_id = user_id, .user_name = who };
	int64_t rev = 0;
	cr_assert_eq(mh_store_article_save_noted(st, a, &note, &rev, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_gt(rev, 0);
	return rev;
}

Test(store, review_is_never_listed_and_has_no_time)
{
	seed();
	add("public-one", sec_news, 100, false, au_ana, 0);
	struct mh_article a = { .slug = "in-review", .headline = "In review", .body_md = "b", .section_id = sec_news,
				.status = MH_ARTICLE_REVIEW };
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(a.published_at, 0, "review is not dated: no publication time is given to it");
	struct mh_article *g = NULL;
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("in-review"), &g), MH_OK);
	cr_assert_eq(g->status, MH_ARTICLE_REVIEW);
	cr_assert_str_eq(mh_article_status_name(g->status), "review");
	enum mh_article_status parsed = MH_ARTICLE_DRAFT;
	cr_assert(mh_article_status_parse(MH_STR("review"), &parsed));
	cr_assert_eq(parsed, MH_ARTICLE_REVIEW);
	cr_assert_not(mh_article_status_dated(MH_ARTICLE_REVIEW));
	cr_assert_not(mh_article_status_dated(MH_ARTICLE_DRAFT));
	cr_assert(mh_article_status_dated(MH_ARTICLE_PUBLISHED));
	/* the public lists: only the published one, whatever the filter */
	struct mh_article_query q = { .now = NOW + 10 };
	struct mh_article *arts = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_articles(st, ar, &q, &arts, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(arts[0].slug, "public-one");
	q.section_id = sec_news;
	int64_t c = 0;
	cr_assert_eq(mh_store_articles_count(st, &q, &c), MH_OK);
	cr_assert_eq(c, 1);
	/* the newsroom's view sees it */
	struct mh_article_query all = { .any_status = true };
	cr_assert_eq(mh_store_articles(st, ar, &all, &arts, &n), MH_OK);
	cr_assert_eq(n, 2);
	/* and a status past the last one is refused */
	a.status = (enum mh_article_status)(MH_ARTICLE_STATUS_LAST + 1);
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_INVALID);
}

Test(store, every_save_keeps_a_revision)
{
	seed();
	struct mh_author byline[2] = { { .id = au_ben }, { .id = au_ana } };
	struct mh_tag tags[2] = { { .id = tag_rail }, { .id = tag_court } };
	struct mh_article a = {
		.slug = "ferry", .headline = "Ferry v1", .dek = "d1", .body_md = "line one\nline two\n",
		.section_id = sec_news, .authors = byline, .n_authors = 2, .tags = tags, .n_tags = 2,
		.image_url = "/media/f.jpg", .image_alt = "A ferry", .via_name = "Radio",
		.via_url = "https://radio.example.org/", .staff_pick = true, .status = MH_ARTICLE_DRAFT,
	};
	int64_t r1 = save_noted(&a, "Ana Ortiz", 7);
	a.headline = "Ferry v2";
	a.body_md = "line one\nline 2\n";
	a.n_authors = 1; /* ben only */
	a.status = MH_ARTICLE_PUBLISHED;
	a.published_at = NOW;
	int64_t r2 = save_noted(&a, "Ben Marsh", 0);
	a.headline = "Ferry v3";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err)); /* no note */
	cr_assert_gt(r2, r1);
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 3);
	int64_t latest = 0;
	cr_assert_eq(mh_store_revision_latest(st, a.id, &latest), MH_OK);
	cr_assert_gt(latest, r2);

	/* newest first, keyset pages of 2 */
	struct mh_revision *revs = NULL;
	size_t got = 0;
	cr_assert_eq(mh_store_revisions(st, ar, a.id, 0, 2, &revs, &got), MH_OK);
	cr_assert_eq(got, 2);
	cr_assert_eq(revs[0].id, latest);
	cr_assert_str_eq(revs[0].state.headline, "Ferry v3");
	cr_assert_str_eq(revs[0].user_name, "");
	cr_assert_eq(revs[0].user_id, 0);
	cr_assert_null(revs[0].state.body_md, "lists leave the body out");
	cr_assert_eq(revs[1].id, r2);
	cr_assert_str_eq(revs[1].user_name, "Ben Marsh");
	cr_assert_eq(revs[1].user_id, 0, "no account: NULL, read as 0");
	cr_assert_eq(revs[1].state.status, MH_ARTICLE_PUBLISHED);
	cr_assert_eq(revs[1].kind, MH_REVISION_SAVE);
	cr_assert_eq(mh_store_revisions(st, ar, a.id, revs[1].id, 2, &revs, &got), MH_OK);
	cr_assert_eq(got, 1);
	cr_assert_eq(revs[0].id, r1);
	cr_assert_eq(revs[0].user_id, 7);
	cr_assert_str_eq(revs[0].user_name, "Ana Ortiz");
	cr_assert_eq(mh_store_revisions(st, ar, a.id, r1, 2, &revs, &got), MH_OK);
	cr_assert_eq(got, 0);
	cr_assert_eq(mh_store_revisions(st, ar, a.id, 0, 1001, &revs, &got), MH_INVALID);
	cr_assert_eq(mh_store_revisions(st, ar, a.id, -1, 10, &revs, &got), MH_INVALID);
	cr_assert_eq(mh_store_revisions(st, ar, 99999, 0, 10, &revs, &got), MH_OK);
	cr_assert_eq(got, 0);

	/* one revision, whole: the first save's state exactly */
	struct mh_revision *one = NULL;
	cr_assert_eq(mh_store_revision_get(st, ar, r1, &one), MH_OK);
	cr_assert_eq(one->article_id, a.id);
	const struct mh_article *s1 = &one->state;
	cr_assert_str_eq(s1->headline, "Ferry v1");
	cr_assert_str_eq(s1->dek, "d1");
	cr_assert_str_eq(s1->slug, "ferry");
	cr_assert_str_eq(s1->body_md, "line one\nline two\n");
	cr_assert_eq(s1->section_id, sec_news);
	cr_assert_not_null(s1->section);
	cr_assert_str_eq(s1->section->slug, "news");
	cr_assert_eq(s1->n_authors, 2);
	cr_assert_str_eq(s1->authors[0].slug, "ben", "byline order kept");
	cr_assert_str_eq(s1->authors[1].name, "Ana Ortiz");
	cr_assert_eq(s1->n_tags, 2);
	cr_assert(s1->tags[0].id == tag_rail && s1->tags[1].id == tag_court);
	cr_assert_str_eq(s1->tags[1].name, "Courts & Law");
	cr_assert_str_eq(s1->image_url, "/media/f.jpg");
	cr_assert_str_eq(s1->image_alt, "A ferry");
	cr_assert_str_eq(s1->via_name, "Radio");
	cr_assert_str_eq(s1->via_url, "https://radio.example.org/");
	cr_assert(s1->staff_pick);
	cr_assert_eq(s1->status, MH_ARTICLE_DRAFT);
	cr_assert_eq(s1->published_at, 0);
	cr_assert_eq(mh_store_revision_get(st, ar, r2, &one), MH_OK);
	cr_assert_eq(one->state.n_authors, 1);
	cr_assert_eq(one->state.published_at, NOW);
	cr_assert_eq(mh_store_revision_get(st, ar, 999999, &one), MH_NOT_FOUND);
	cr_assert_eq(mh_store_revision_get(st, ar, 0, &one), MH_NOT_FOUND);

	/* a restore names what it brings back; a bad note saves nothing */
	struct mh_revision_note bad = { .kind = MH_REVISION_RESTORE };
	a.headline = "Not saved";
	cr_assert_eq(mh_store_article_save_noted(st, &a, &bad, NULL, &err), MH_INVALID);
	bad = (struct mh_revision_note){ .kind = MH_REVISION_CONFLICT };
	cr_assert_eq(mh_store_article_save_noted(st, &a, &bad, NULL, &err), MH_INVALID);
	struct mh_revision_note restore = { .kind = MH_REVISION_RESTORE, .restored_from = r1, .user_name = "Ed" };
	int64_t r4 = 0;
	cr_assert_eq(mh_store_article_save_noted(st, &a, &restore, &r4, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_revision_get(st, ar, r4, &one), MH_OK);
	cr_assert_eq(one->kind, MH_REVISION_RESTORE);
	cr_assert_eq(one->restored_from, r1);
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 4, "the refused saves left no revision");

	/* a failed save (slug taken) leaves no revision either */
	add("other", sec_news, 5, false, 0, 0);
	a.slug = "other";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_CONFLICT);
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 5, "4 of ferry and 1 of 'other'");
}

/* The editor's autosave (mh_revision_note.replaces): a save may take the
 * place of the same user's newest revision of a draft, made within the
 * window; the new one always has a new id (the version token). */
Test(store, an_autosave_replaces_only_its_own_recent_draft_revision)
{
	seed();
	struct mh_article a = { .slug = "tide", .headline = "Tide", .body_md = "v1", .section_id = sec_news,
				.status = MH_ARTICLE_DRAFT };
	int64_t r1 = save_noted(&a, "Ana", 7);
	int64_t n = 0, latest = 0;
	struct mh_revision_note auto7 = { .user_id = 7, .user_name = "Ana", .replaces = r1 };
	a.body_md = "v2";
	int64_t r2 = 0;
	cr_assert_eq(mh_store_article_save_noted(st, &a, &auto7, &r2, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_gt(r2, r1, "a new id, never the replaced one's");
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 1, "r1 replaced by r2");
	struct mh_revision *one = NULL;
	cr_assert_eq(mh_store_revision_get(st, ar, r1, &one), MH_NOT_FOUND);
	cr_assert_eq(mh_store_revision_get(st, ar, r2, &one), MH_OK);
	cr_assert_str_eq(one->state.body_md, "v2");
	/* the next autosave of the run: r2 goes, r3 is new (SQLite would reuse
	 * a deleted newest id if the delete came first) */
	auto7.replaces = r2;
	a.body_md = "v3";
	int64_t r3 = 0;
	cr_assert_eq(mh_store_article_save_noted(st, &a, &auto7, &r3, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_gt(r3, r2);
	cr_assert_eq(mh_store_revision_latest(st, a.id, &latest), MH_OK);
	cr_assert_eq(latest, r3);
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 1);
	/* another user's revision stays */
	struct mh_revision_note auto8 = { .user_id = 8, .user_name = "Ben", .replaces = r3 };
	int64_t r4 = 0;
	cr_assert_eq(mh_store_article_save_noted(st, &a, &auto8, &r4, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 2, "Ben may not replace Ana's");
	/* one that is not the newest stays */
	auto7.replaces = r3;
	int64_t r5 = 0;
	cr_assert_eq(mh_store_article_save_noted(st, &a, &auto7, &r5, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 3, "r3 is no longer the newest: kept");
	/* a save that publishes keeps what it would replace */
	auto7.replaces = r5;
	a.status = MH_ARTICLE_PUBLISHED;
	int64_t r6 = 0;
	cr_assert_eq(mh_store_article_save_noted(st, &a, &auto7, &r6, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 4, "publishing is never folded into an autosave");
	/* nor is a revision of a published article replaced */
	auto7.replaces = r6;
	a.status = MH_ARTICLE_DRAFT;
	cr_assert_eq(mh_store_article_save_noted(st, &a, &auto7, NULL, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_count(st, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 5);
	/* only an ordinary save replaces */
	struct mh_revision_note bad = { .kind = MH_REVISION_RESTORE, .restored_from = r1, .replaces = r6 };
	cr_assert_eq(mh_store_article_save_noted(st, &a, &bad, NULL, &err), MH_INVALID);
	bad = (struct mh_revision_note){ .replaces = -1 };
	cr_assert_eq(mh_store_article_save_noted(st, &a, &bad, NULL, &err), MH_INVALID);
}

Test(store, a_refused_text_is_kept_as_a_conflict_revision)
{
	seed();
	struct mh_article a = { .slug = "budget", .headline = "Budget", .body_md = "mine", .section_id = sec_news };
	int64_t r1 = save_noted(&a, "Ana", 1);
	struct mh_article theirs = a;
	theirs.body_md = "theirs, refused";
	struct mh_revision_note who = { .user_id = 2, .user_name = "Ben", .kind = MH_REVISION_RESTORE };
	int64_t kept = 0;
	cr_assert_eq(mh_store_revision_keep_conflict(st, &theirs, &who, &kept, &err), MH_OK, "%s",
		     mh_buf_cstr(&err));
	struct mh_revision *rev = NULL;
	cr_assert_eq(mh_store_revision_get(st, ar, kept, &rev), MH_OK);
	cr_assert_eq(rev->kind, MH_REVISION_CONFLICT);
	cr_assert_eq(rev->restored_from, 0);
	cr_assert_eq(rev->user_id, 2);
	cr_assert_str_eq(rev->state.body_md, "theirs, refused");
	/* never applied: the article and its newest applied revision stay */
	struct mh_article *g = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, a.id, &g), MH_OK);
	cr_assert_str_eq(g->body_md, "mine");
	int64_t latest = 0;
	cr_assert_eq(mh_store_revision_latest(st, a.id, &latest), MH_OK);
	cr_assert_eq(latest, r1);
	theirs.id = 424242;
	cr_assert_eq(mh_store_revision_keep_conflict(st, &theirs, &who, &kept, &err), MH_NOT_FOUND);
	theirs.id = 0;
	cr_assert_eq(mh_store_revision_keep_conflict(st, &theirs, NULL, &kept, &err), MH_INVALID);
}

Test(store, old_slugs_lead_to_the_article)
{
	seed();
	struct mh_article a = { .slug = "first", .headline = "H", .body_md = "b", .section_id = sec_news,
				.status = MH_ARTICLE_PUBLISHED, .published_at = NOW };
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	a.slug = "second";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	a.slug = "third";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "article_slugs", &n), MH_OK);
	cr_assert_eq(n, 2);
	/* every old slug, however many renames ago, is the article as it is now */
	struct mh_article *g = NULL;
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("first"), &g), MH_OK);
	cr_assert_eq(g->id, a.id);
	cr_assert_str_eq(g->slug, "third");
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("second"), &g), MH_OK);
	cr_assert_str_eq(g->slug, "third");
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("third"), &g), MH_NOT_FOUND);
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR(""), &g), MH_NOT_FOUND);
	/* a save that changes nothing of the slug keeps nothing */
	a.headline = "H2";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_count(st, "article_slugs", &n), MH_OK);
	cr_assert_eq(n, 2);

	/* a new article taking an old slug wins: it is a live address again */
	struct mh_article b = { .slug = "first", .headline = "New", .body_md = "b", .section_id = sec_news,
				.status = MH_ARTICLE_PUBLISHED, .published_at = NOW };
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_slug(st, ar, MH_STR("first"), &g), MH_OK);
	cr_assert_eq(g->id, b.id);
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("first"), &g), MH_NOT_FOUND);
	/* and when that one moves on, its old slug leads to it, not to a */
	b.slug = "new-home";
	cr_assert_eq(mh_store_article_save(st, &b, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("first"), &g), MH_OK);
	cr_assert_eq(g->id, b.id);

	/* back to an old slug of its own: that slug is live, the others still lead there */
	a.slug = "second";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("second"), &g), MH_NOT_FOUND);
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("third"), &g), MH_OK);
	cr_assert_str_eq(g->slug, "second");

	/* a draft never had an address: renaming it keeps none */
	struct mh_article d = { .slug = "draft-a", .headline = "D", .section_id = sec_news };
	cr_assert_eq(mh_store_article_save(st, &d, &err), MH_OK, "%s", mh_buf_cstr(&err));
	d.slug = "draft-b";
	cr_assert_eq(mh_store_article_save(st, &d, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("draft-a"), &g), MH_NOT_FOUND);
	/* a failed rename (slug taken) keeps none either: one transaction */
	int64_t before_n = 0;
	cr_assert_eq(mh_store_count(st, "article_slugs", &before_n), MH_OK);
	a.slug = "new-home";
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_CONFLICT);
	cr_assert_eq(mh_store_count(st, "article_slugs", &n), MH_OK);
	cr_assert_eq(n, before_n);
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("second"), &g), MH_NOT_FOUND);
}

/* Runs sql on the database at u (a SQLite path, or a postgres:// URL). */
static void raw_sql_at(const char *u, const char *sql)
{
	if (on_pg) {
		PGconn *c = PQconnectdb(u);
		cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
		PGresult *r = PQexec(c, sql);
		cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%.200s: %s",
			  sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = NULL;
		cr_assert_eq(sqlite3_open(u, &db), SQLITE_OK);
		sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
		cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%.200s: %s", sql,
			     sqlite3_errmsg(db));
		sqlite3_close(db);
	}
}

/* A second database beside the test's, empty: its URL in out. */
static void second_db(const char *suffix, char *out, size_t size)
{
	if (on_pg) {
		char sql[160];
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s_%s", db_name, suffix);
		pg_admin(sql);
		const char *slash = strrchr(url, '/');
		snprintf(out, size, "%.*s/%s_%s", (int)(slash - url), url, db_name, suffix);
	} else {
		snprintf(out, size, "%s/%s.db", dir, suffix);
	}
}

static void drop_second_db(const char *suffix)
{
	if (on_pg) {
		char sql[160];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s_%s WITH (FORCE)", db_name, suffix);
		pg_admin(sql);
	}
}

Test(store, migration_5_keeps_every_article_and_gives_each_a_first_revision)
{
	char old_url[600];
	second_db("old", old_url, sizeof(old_url));
	/* a database as version 4 left it, with an article, its byline and tags */
	raw_sql_at(old_url, on_pg ? "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
				     " applied_at BIGINT NOT NULL)"
				   : "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
				     " applied_at INTEGER NOT NULL)");
	for (size_t i = 0; i < mh_store_n_migrations && mh_store_migrations[i].version <= 4; i++) {
		raw_sql_at(old_url, on_pg ? mh_store_migrations[i].postgres_sql : mh_store_migrations[i].sqlite_sql);
		char rec[96];
		snprintf(rec, sizeof(rec), "INSERT INTO schema_migrations VALUES (%d, 0)",
			 mh_store_migrations[i].version);
		raw_sql_at(old_url, rec);
	}
	raw_sql_at(old_url, "INSERT INTO sections(id, slug, name) VALUES (3, 'news', 'News');"
			    "INSERT INTO authors(id, slug, name) VALUES (5, 'ana', 'Ana'), (6, 'ben', 'Ben');"
			    "INSERT INTO tags(id, slug, name) VALUES (8, 'rail', 'Rail'), (9, 'bus', 'Bus');"
			    "INSERT INTO articles(id, slug, headline, body_md, section_id, status, published_at,"
			    " updated_at, created_at, was_published) VALUES"
			    " (11, 'old-one', 'Old one', 'old body', 3, 'published', 100, 200, 50, TRUE),"
			    " (12, 'old-two', 'Old two', '', 3, 'draft', 0, 300, 300, FALSE);"
			    "INSERT INTO article_authors VALUES (11, 6, 0), (11, 5, 1);"
			    "INSERT INTO article_tags VALUES (11, 9), (11, 8);");
	struct mh_store *old = NULL;
	int v = 0;
	cr_assert_eq(mh_store_open(old_url, dir, false, &old, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(old, &v, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(v, SCHEMA_VERSION);
	/* everything is still there, joins included */
	struct mh_article *g = NULL;
	cr_assert_eq(mh_store_article_by_id(old, ar, 11, &g), MH_OK);
	cr_assert_str_eq(g->slug, "old-one");
	cr_assert_eq(g->n_authors, 2);
	cr_assert_str_eq(g->authors[0].slug, "ben");
	cr_assert_eq(g->n_tags, 2);
	cr_assert_eq(g->status, MH_ARTICLE_PUBLISHED);
	/* each article's state as its first revision */
	struct mh_revision *revs = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_revisions(old, ar, 11, 0, 10, &revs, &n), MH_OK);
	cr_assert_eq(n, 1);
	struct mh_revision *r = NULL;
	cr_assert_eq(mh_store_revision_get(old, ar, revs[0].id, &r), MH_OK);
	cr_assert_str_eq(r->state.body_md, "old body");
	cr_assert_eq(r->created_at, 200);
	cr_assert_eq(r->state.n_authors, 2);
	cr_assert_eq(r->state.authors[0].id, 6, "byline order from position");
	cr_assert_eq(r->state.authors[1].id, 5);
	cr_assert_eq(r->state.n_tags, 2);
	cr_assert_eq(mh_store_revisions(old, ar, 12, 0, 10, &revs, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(revs[0].state.n_authors, 0);
	/* the new status is accepted now, and the joins still cascade */
	g->status = MH_ARTICLE_REVIEW;
	cr_assert_eq(mh_store_article_save(old, g, &err), MH_OK, "%s", mh_buf_cstr(&err));
	raw_sql_at(old_url, "DELETE FROM articles WHERE id = 11");
	int64_t c = 0;
	cr_assert_eq(mh_store_count(old, "article_authors", &c), MH_OK);
	cr_assert_eq(c, 0);
	cr_assert_eq(mh_store_count(old, "article_revisions", &c), MH_OK);
	cr_assert_eq(c, 1, "article 11's revisions went with it");
	mh_store_close(old);
	drop_second_db("old");
}

Test(store, db_copy_takes_revisions_and_old_slugs)
{
	seed();
	struct mh_article a = { .slug = "a1", .headline = "H", .body_md = "b", .section_id = sec_news,
				.status = MH_ARTICLE_PUBLISHED, .published_at = NOW };
	save_noted(&a, "Ana", 3);
	a.slug = "a2";
	save_noted(&a, "Ben", 0);
	char to_url[600];
	second_db("copy", to_url, sizeof(to_url));
	struct mh_store *to = NULL;
	int v = 0;
	cr_assert_eq(mh_store_open(to_url, dir, true, &to, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(to, &v, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_copy(st, to, false, NULL, NULL, &err), MH_OK, "%s", mh_buf_cstr(&err));
	int64_t n = 0;
	cr_assert_eq(mh_store_count(to, "article_revisions", &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(mh_store_count(to, "article_slugs", &n), MH_OK);
	cr_assert_eq(n, 1);
	struct mh_article *g = NULL;
	cr_assert_eq(mh_store_article_by_old_slug(to, ar, MH_STR("a1"), &g), MH_OK);
	cr_assert_str_eq(g->slug, "a2");
	struct mh_revision *revs = NULL;
	size_t got = 0;
	cr_assert_eq(mh_store_revisions(to, ar, a.id, 0, 10, &revs, &got), MH_OK);
	cr_assert_eq(got, 2);
	cr_assert_eq(revs[1].user_id, 3);
	cr_assert_eq(revs[0].user_id, 0, "a NULL user stays NULL");
	/* a new revision on the copy gets a fresh id (the sequence followed) */
	save_noted(g, "Cy", 0);
	mh_store_close(to);
	drop_second_db("copy");
}

/* Media bytes travel as hex through db copy: every byte value, a NUL
 * included, and the derived sizes with them. */
Test(store, db_copy_takes_media_bytes)
{
	seed();
	unsigned char raw[512];
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + (i >> 8));
	struct mh_media m = { .name = "c0ffee.png", .type = "image/png", .width = 3, .height = 2, .alt = "A cup",
			      .created_at = NOW, .bytes = { (const char *)raw, sizeof(raw) } };
	cr_assert_eq(mh_store_media_add(st, &m, &err), MH_OK, "%s", mh_buf_cstr(&err));
	const char small[] = "\x00\xff\x00webp";
	cr_assert_eq(mh_store_media_size_put(st, m.id, 480, "webp", (struct mh_str){ small, sizeof(small) - 1 }, &err),
		     MH_OK, "%s", mh_buf_cstr(&err));
	char to_url[600];
	second_db("copym", to_url, sizeof(to_url));
	struct mh_store *to = NULL;
	int v = 0;
	cr_assert_eq(mh_store_open(to_url, dir, true, &to, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(to, &v, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_copy(st, to, false, NULL, NULL, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_media *got = NULL;
	cr_assert_eq(mh_store_media_by_name(to, ar, MH_STR("c0ffee.png"), &got), MH_OK);
	cr_assert_eq(got->id, m.id);
	cr_assert_str_eq(got->alt, "A cup");
	cr_assert_eq(got->size, (int64_t)sizeof(raw));
	struct mh_str bytes = { 0 };
	cr_assert_eq(mh_store_media_bytes(to, ar, m.id, &bytes), MH_OK);
	cr_assert_eq(bytes.len, sizeof(raw));
	cr_assert(memcmp(bytes.ptr, raw, sizeof(raw)) == 0, "the original's bytes, every one");
	cr_assert_eq(mh_store_media_size_get(to, ar, m.id, 480, "webp", &bytes), MH_OK);
	cr_assert_eq(bytes.len, sizeof(small) - 1);
	cr_assert(memcmp(bytes.ptr, small, sizeof(small) - 1) == 0, "the derived size's bytes");
	/* the next upload on the copy gets a fresh id (the sequence followed) */
	struct mh_media m2 = { .name = "beef.gif", .type = "image/gif", .width = 1, .height = 1, .created_at = NOW,
			       .bytes = { "GIF89a", 6 } };
	cr_assert_eq(mh_store_media_add(to, &m2, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_gt(m2.id, m.id);
	mh_store_close(to);
	drop_second_db("copym");
}

/* ---- content over the store: a stale save, a restore (both backends) ---- */

static struct mh_article *prepared(const char *slug, const char *headline, const char *body)
{
	struct mh_article *a = MH_NEW(ar, struct mh_article);
	*a = (struct mh_article){ .slug = slug, .headline = headline, .body_md = body, .section_id = sec_news,
				  .status = MH_ARTICLE_PUBLISHED, .published_at = NOW };
	cr_assert_eq(mh_content_prepare_article(ar, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	return a;
}

Test(store, a_stale_save_is_refused_and_both_texts_are_kept)
{
	seed();
	struct mh_article *a = prepared("council", "Council", "first text\n");
	struct mh_revision_note ana = { .user_id = 1, .user_name = "Ana" }, ben = { .user_id = 2, .user_name = "Ben" };
	struct mh_content_save sv = { .note = &ana };
	cr_assert_eq(mh_content_article_save(st, ar, NULL, a, &sv, &err), 0, "%s", mh_buf_cstr(&err));
	int64_t base = sv.revision_id;
	cr_assert_gt(base, 0);
	/* two editors open revision `base`; Ana saves first */
	struct mh_article *before_ana = NULL, *before_ben = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &before_ana), MH_OK);
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &before_ben), MH_OK);
	struct mh_article mine = *before_ana;
	mine.body_md = "Ana's text\n";
	cr_assert_eq(mh_content_prepare_article(ar, &mine, &err), MH_OK);
	sv = (struct mh_content_save){ .note = &ana, .base_revision_id = base };
	cr_assert_eq(mh_content_article_save(st, ar, before_ana, &mine, &sv, &err), 0, "%s", mh_buf_cstr(&err));
	int64_t anas = sv.revision_id;
	cr_assert_not(sv.conflict);
	/* Ben's save, from the same read, is refused */
	struct mh_article his = *before_ben;
	his.body_md = "Ben's text\n";
	his.headline = "Council (Ben)";
	cr_assert_eq(mh_content_prepare_article(ar, &his, &err), MH_OK);
	mh_buf_reset(&err);
	sv = (struct mh_content_save){ .note = &ben, .base_revision_id = base };
	cr_assert_eq(mh_content_article_save(st, ar, before_ben, &his, &sv, &err), 1);
	cr_assert(strstr(mh_buf_cstr(&err), "changed by someone else"), "%s", mh_buf_cstr(&err));
	cr_assert(sv.conflict);
	cr_assert_eq(sv.current_revision_id, anas, "the text that won");
	cr_assert_gt(sv.current_updated_at, 0);
	cr_assert_gt(sv.conflict_revision_id, anas);
	cr_assert_eq(sv.revision_id, 0);
	/* nothing lost: Ana's text is the article, Ben's is a revision */
	struct mh_article *now = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &now), MH_OK);
	cr_assert_str_eq(now->body_md, "Ana's text\n");
	struct mh_revision *kept = NULL;
	cr_assert_eq(mh_store_revision_get(st, ar, sv.conflict_revision_id, &kept), MH_OK);
	cr_assert_eq(kept->kind, MH_REVISION_CONFLICT);
	cr_assert_str_eq(kept->state.body_md, "Ben's text\n");
	cr_assert_str_eq(kept->state.headline, "Council (Ben)");
	cr_assert_str_eq(kept->user_name, "Ben");
	struct mh_revision *won = NULL;
	cr_assert_eq(mh_store_revision_get(st, ar, sv.current_revision_id, &won), MH_OK);
	cr_assert_str_eq(won->state.body_md, "Ana's text\n");
	/* the base revision alone also catches it (an editor's form carries only that) */
	struct mh_article again = *now;
	again.body_md = "late\n";
	cr_assert_eq(mh_content_prepare_article(ar, &again, &err), MH_OK);
	sv = (struct mh_content_save){ .note = &ben, .base_revision_id = base };
	mh_buf_reset(&err);
	cr_assert_eq(mh_content_article_save(st, ar, NULL, &again, &sv, &err), 1);
	cr_assert(sv.conflict);
	/* Ben resolves it by restoring his kept text: a new save, the article is his */
	sv = (struct mh_content_save){ .note = &ben };
	cr_assert_eq(mh_content_revision_restore(st, ar, a->id, kept->id, &sv, &err), 0, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &now), MH_OK);
	cr_assert_str_eq(now->body_md, "Ben's text\n");
	cr_assert(strstr(now->body_html, "Ben") != NULL, "the body is rendered again");
}

Test(store, a_restore_brings_the_text_back_not_the_status)
{
	seed();
	struct mh_author ana = { .id = au_ana }, ben = { .id = au_ben };
	struct mh_tag rail = { .id = tag_rail };
	struct mh_article *a = prepared("tram", "Tram v1", "one\n");
	a->status = MH_ARTICLE_DRAFT;
	a->published_at = 0;
	a->authors = &ana;
	a->n_authors = 1;
	a->tags = &rail;
	a->n_tags = 1;
	struct mh_content_save sv = { 0 };
	cr_assert_eq(mh_content_article_save(st, ar, NULL, a, &sv, &err), 0, "%s", mh_buf_cstr(&err));
	int64_t r1 = sv.revision_id;
	/* edited, renamed and published since */
	struct mh_article *before = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &before), MH_OK);
	struct mh_article b = *before;
	b.headline = "Tram v2";
	b.slug = "tram-two";
	b.body_md = "two\n";
	b.authors = &ben;
	b.n_tags = 0;
	b.status = MH_ARTICLE_PUBLISHED;
	b.published_at = NOW;
	b.staff_pick = true;
	cr_assert_eq(mh_content_prepare_article(ar, &b, &err), MH_OK);
	cr_assert_eq(mh_content_article_save(st, ar, before, &b, &sv, &err), 0, "%s", mh_buf_cstr(&err));
	int64_t changes_before = 0, changes_after = 0;
	cr_assert_eq(mh_store_change_last(st, &changes_before), MH_OK);
	struct mh_revision_note ed = { .user_name = "Ed", .user_id = 9 };
	sv = (struct mh_content_save){ .note = &ed };
	cr_assert_eq(mh_content_revision_restore(st, ar, a->id, r1, &sv, &err), 0, "%s", mh_buf_cstr(&err));
	struct mh_article *now = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &now), MH_OK);
	cr_assert_str_eq(now->headline, "Tram v1");
	cr_assert_str_eq(now->slug, "tram");
	cr_assert_str_eq(now->body_md, "one\n");
	cr_assert_eq(now->n_authors, 1);
	cr_assert_eq(now->authors[0].id, au_ana);
	cr_assert_eq(now->n_tags, 1);
	cr_assert_eq(now->status, MH_ARTICLE_PUBLISHED, "a restore does not unpublish");
	cr_assert_eq(now->published_at, NOW);
	cr_assert(now->staff_pick);
	/* its own revision, saying what it restored and who did */
	struct mh_revision *rev = NULL;
	cr_assert_eq(mh_store_revision_get(st, ar, sv.revision_id, &rev), MH_OK);
	cr_assert_eq(rev->kind, MH_REVISION_RESTORE);
	cr_assert_eq(rev->restored_from, r1);
	cr_assert_eq(rev->user_id, 9);
	cr_assert_str_eq(ed.user_name, "Ed");
	cr_assert_eq(ed.kind, MH_REVISION_SAVE, "the caller's note is not changed");
	/* the published address it had is kept: /articles/tram-two leads back */
	struct mh_article *g = NULL;
	cr_assert_eq(mh_store_article_by_old_slug(st, ar, MH_STR("tram-two"), &g), MH_OK);
	cr_assert_eq(g->id, a->id);
	/* and the pages it was on are dropped like for any save */
	cr_assert_eq(mh_store_change_last(st, &changes_after), MH_OK);
	cr_assert_gt(changes_after, changes_before);
	struct mh_change *ch = NULL;
	size_t nch = 0;
	cr_assert_eq(mh_store_changes_since(st, ar, changes_before, 10, &ch, &nch), MH_OK);
	cr_assert_eq(nch, 1);
	char key[48];
	snprintf(key, sizeof(key), "article:%lld", (long long)a->id);
	cr_assert(strstr(ch[0].keys, key) != NULL, "%s", ch[0].keys);

	/* bad input: another article's revision, a missing one; nothing saved */
	struct mh_article *other = prepared("other-piece", "Other", "x\n");
	cr_assert_eq(mh_content_article_save(st, ar, NULL, other, NULL, &err), 0, "%s", mh_buf_cstr(&err));
	int64_t n_before = 0, n_after = 0;
	cr_assert_eq(mh_store_count(st, "article_revisions", &n_before), MH_OK);
	mh_buf_reset(&err);
	cr_assert_eq(mh_content_revision_restore(st, ar, other->id, r1, NULL, &err), 1);
	cr_assert(strstr(mh_buf_cstr(&err), "another article"), "%s", mh_buf_cstr(&err));
	mh_buf_reset(&err);
	cr_assert_eq(mh_content_revision_restore(st, ar, a->id, 987654, NULL, &err), 1);
	cr_assert(strstr(mh_buf_cstr(&err), "no revision 987654"), "%s", mh_buf_cstr(&err));
	/* a restore to a slug another article took since: refused, named */
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &before), MH_OK);
	b = *before;
	b.slug = "tram-four";
	cr_assert_eq(mh_content_article_save(st, ar, before, &b, &sv, &err), 0, "%s", mh_buf_cstr(&err));
	struct mh_article *taker = prepared("tram", "Taker", "x\n");
	cr_assert_eq(mh_content_article_save(st, ar, NULL, taker, NULL, &err), 0, "%s", mh_buf_cstr(&err));
	mh_buf_reset(&err);
	cr_assert_eq(mh_content_revision_restore(st, ar, a->id, r1, NULL, &err), 1);
	cr_assert(strstr(mh_buf_cstr(&err), "slug 'tram' is already used"), "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_article_by_id(st, ar, a->id, &now), MH_OK);
	cr_assert_str_eq(now->slug, "tram-four");
	cr_assert_eq(mh_store_count(st, "article_revisions", &n_after), MH_OK);
	cr_assert_eq(n_after, n_before + 2, "only the two saves made revisions");
}

/* ---- accounts (migration 5) ---- */

static int64_t add_user(const char *email, enum mh_role role)
{
	struct mh_user u = { .email = email, .name = "Some One", .role = role, .password_hash = "$argon2id$x" };
	cr_assert_eq(mh_store_user_save(st, &u, &err), MH_OK, "%s: %s", email, mh_buf_cstr(&err));
	cr_assert_gt(u.id, 0);
	return u.id;
}

static const char *hash_of(char c)
{
	static char h[65];
	memset(h, c, 64);
	h[64] = '\0';
	return h;
}

/* The account as stored now, to change and save again. */
static struct mh_user *user_now(int64_t id)
{
	struct mh_user *u = NULL;
	cr_assert_eq(mh_store_user_by_id(st, ar, id, &u), MH_OK);
	return u;
}

Test(store, the_site_keeps_an_active_owner)
{
	seed();
	int64_t a = add_user("a@owner.example", MH_ROLE_OWNER);
	struct mh_user invited = { .email = "c@owner.example", .name = "Invited", .role = MH_ROLE_OWNER,
				   .password_hash = MH_USER_INVITED_HASH };
	cr_assert_eq(mh_store_user_save(st, &invited, &err), MH_OK, "%s", mh_buf_cstr(&err));
	/* the only active owner (an invited one does not count) */
	struct mh_user *u = user_now(a);
	u->role = MH_ROLE_EDITOR;
	mh_buf_reset(&err);
	cr_assert_eq(mh_store_user_save(st, u, &err), MH_INVALID);
	cr_assert_str_eq(mh_buf_cstr(&err),
			 "a@owner.example is the site's last owner: make another account an owner first");
	u = user_now(a);
	cr_assert_eq(u->role, MH_ROLE_OWNER, "nothing changed");
	u->disabled = true;
	cr_assert_eq(mh_store_user_save(st, u, &err), MH_INVALID);
	cr_assert(!user_now(a)->disabled);
	/* other changes to the last owner are fine */
	u = user_now(a);
	u->name = "Renamed Owner";
	cr_assert_eq(mh_store_user_save(st, u, &err), MH_OK, "%s", mh_buf_cstr(&err));
	/* with a second owner, one may go; then the other is the last */
	int64_t b = add_user("b@owner.example", MH_ROLE_OWNER);
	u = user_now(a);
	u->role = MH_ROLE_AUTHOR;
	cr_assert_eq(mh_store_user_save(st, u, &err), MH_OK, "%s", mh_buf_cstr(&err));
	u = user_now(b);
	u->disabled = true;
	cr_assert_eq(mh_store_user_save(st, u, &err), MH_INVALID);
	cr_assert_eq(user_now(b)->role, MH_ROLE_OWNER);
}

struct demote {
	int64_t id;
	enum mh_store_rc rc;
	char err[200];
};

/* Demotes one owner through the suite's connection. */
static void *demote_main(void *arg)
{
	struct demote *d = arg;
	struct mh_arena *a = mh_arena_new();
	struct mh_buf e = MH_BUF_INIT;
	struct mh_user *u = NULL;
	d->rc = mh_store_user_by_id(st, a, d->id, &u);
	if (d->rc == MH_OK) {
		u->role = MH_ROLE_EDITOR;
		d->rc = mh_store_user_save(st, u, &e);
	}
	snprintf(d->err, sizeof(d->err), "%s", mh_buf_cstr(&e));
	mh_buf_free(&e);
	mh_arena_free(a);
	return NULL;
}

Test(store, two_owners_demoting_each_other_at_once_leave_one, .timeout = 60)
{
	seed();
	int64_t a = add_user("a@owner.example", MH_ROLE_OWNER);
	int64_t b = add_user("b@owner.example", MH_ROLE_OWNER);
	/* one connection demotes A inside a transaction it keeps open ... */
	struct mh_store *other = NULL;
	cr_assert_eq(mh_store_open(url, dir, false, &other, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_begin(other), MH_OK);
	struct mh_user *u = NULL;
	cr_assert_eq(mh_store_user_by_id(other, ar, a, &u), MH_OK);
	u->role = MH_ROLE_EDITOR;
	cr_assert_eq(mh_store_user_save(other, u, &err), MH_OK, "%s", mh_buf_cstr(&err));
	/* ... while another demotes B: it waits for the first (a lock, not a
	 * read of A as it was), whether it starts before the commit or after */
	struct demote d = { .id = b };
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, demote_main, &d), 0);
	usleep(300 * 1000);
	cr_assert_eq(mh_store_commit(other), MH_OK);
	pthread_join(th, NULL);
	mh_store_close(other);
	cr_assert_eq(d.rc, MH_INVALID, "the second demotion is refused: %s", d.err);
	cr_assert(strstr(d.err, "last owner") != NULL, "%s", d.err);
	cr_assert_eq(user_now(b)->role, MH_ROLE_OWNER, "B is still an owner");
	cr_assert_eq(user_now(a)->role, MH_ROLE_EDITOR);
}

Test(store, users_round_trip_with_email_unique_whatever_its_case)
{
	seed();
	struct mh_user u = { .email = "Ana@Example.ORG", .name = "Ana <b>Ortiz</b>", .role = MH_ROLE_EDITOR,
			     .password_hash = "$argon2id$v=19$x", .author_id = au_ana };
	cr_assert_eq(mh_store_user_save(st, &u, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_user *got = NULL;
	cr_assert_eq(mh_store_user_by_email(st, ar, mh_str_c("ANA@example.org"), &got), MH_OK);
	cr_assert_str_eq(got->email, "ana@example.org");
	cr_assert_str_eq(got->name, "Ana <b>Ortiz</b>");
	cr_assert_eq(got->role, MH_ROLE_EDITOR);
	cr_assert_eq(got->author_id, au_ana);
	cr_assert(!got->disabled);
	cr_assert_gt(got->created_at, 0);
	struct mh_user dup = { .email = "ana@EXAMPLE.org", .name = "Other", .role = MH_ROLE_AUTHOR,
			       .password_hash = "h" };
	cr_assert_eq(mh_store_user_save(st, &dup, &err), MH_CONFLICT);
	cr_assert_str_eq(mh_buf_cstr(&err), "email 'ana@example.org' is already used");
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "users", &n), MH_OK);
	cr_assert_eq(n, 1, "the refused account was not stored");
	/* an update keeps the id; the role changes */
	got->role = MH_ROLE_OWNER;
	got->author_id = 0;
	cr_assert_eq(mh_store_user_save(st, got, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_user *again = NULL;
	cr_assert_eq(mh_store_user_by_id(st, ar, u.id, &again), MH_OK);
	cr_assert_eq(again->role, MH_ROLE_OWNER);
	cr_assert_eq(again->author_id, 0);
	struct mh_user *list = NULL;
	size_t nl = 0;
	add_user("zed@example.org", MH_ROLE_CONTRIBUTOR);
	cr_assert_eq(mh_store_users(st, ar, &list, &nl), MH_OK);
	cr_assert_eq(nl, 2);
	cr_assert_str_eq(list[0].email, "ana@example.org");
	cr_assert_eq(list[1].role, MH_ROLE_CONTRIBUTOR);
}

Test(store, bad_users_are_refused_naming_the_field)
{
	seed();
	struct { const char *email, *name, *hash; int64_t author; const char *want; } cases[] = {
		{ "no-at-sign", "N", "h", 0, "email: " },
		{ "a b@example.org", "N", "h", 0, "email: " },
		{ "a@example.org", "", "h", 0, "name: required" },
		{ "a@example.org", "Line\nbreak", "h", 0, "name: " },
		{ "a@example.org", "N", "", 0, "password_hash: required" },
		{ "a@example.org", "N", "h", 999, "author_id: no author with id 999" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mh_user u = { .email = cases[i].email, .name = cases[i].name, .role = MH_ROLE_AUTHOR,
				     .password_hash = cases[i].hash, .author_id = cases[i].author };
		cr_assert_eq(mh_store_user_save(st, &u, &err), MH_INVALID, "case %zu", i);
		cr_assert(strncmp(mh_buf_cstr(&err), cases[i].want, strlen(cases[i].want)) == 0, "case %zu: %s", i,
			  mh_buf_cstr(&err));
	}
	struct mh_user bad_role = { .email = "r@example.org", .name = "R", .role = (enum mh_role)9, .password_hash = "h" };
	cr_assert_eq(mh_store_user_save(st, &bad_role, &err), MH_INVALID);
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "users", &n), MH_OK);
	cr_assert_eq(n, 0);
}

Test(store, sessions_end_at_logout_idle_absolute_expiry_everywhere_and_disable)
{
	int64_t uid = add_user("s@example.org", MH_ROLE_AUTHOR);
	int64_t now = mh_time_now();
	struct mh_session *ses = NULL;
	struct mh_user *u = NULL;
	cr_assert_eq(mh_store_session_add(st, hash_of('a'), uid, now + 3600), MH_OK);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('a'), now, 600, &ses, &u), MH_OK);
	cr_assert_eq(u->id, uid);
	cr_assert_str_eq(ses->token_hash, hash_of('a'));
	cr_assert_eq(ses->expires_at, now + 3600);
	/* idle: unused for the idle time */
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('a'), now + 600, 600, &ses, &u), MH_NOT_FOUND);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('a'), now, 600, &ses, &u), MH_NOT_FOUND,
		     "an idle session is deleted");
	/* absolute: whatever the use */
	cr_assert_eq(mh_store_session_add(st, hash_of('b'), uid, now + 100), MH_OK);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('b'), now + 90, 600, &ses, &u), MH_OK);
	cr_assert_eq(ses->last_seen_at, now + 90, "use is recorded (at most once a minute)");
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('b'), now + 100, 600, &ses, &u), MH_NOT_FOUND);
	/* logout */
	cr_assert_eq(mh_store_session_add(st, hash_of('c'), uid, now + 3600), MH_OK);
	cr_assert_eq(mh_store_session_end(st, hash_of('c')), MH_OK);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('c'), now, 600, &ses, &u), MH_NOT_FOUND);
	/* everywhere: every session of this user, no other user's */
	int64_t other = add_user("o@example.org", MH_ROLE_AUTHOR);
	cr_assert_eq(mh_store_session_add(st, hash_of('d'), uid, now + 3600), MH_OK);
	cr_assert_eq(mh_store_session_add(st, hash_of('e'), uid, now + 3600), MH_OK);
	cr_assert_eq(mh_store_session_add(st, hash_of('f'), other, now + 3600), MH_OK);
	cr_assert_eq(mh_store_user_end_sessions(st, uid), MH_OK);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('d'), now, 600, &ses, &u), MH_NOT_FOUND);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('e'), now, 600, &ses, &u), MH_NOT_FOUND);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('f'), now, 600, &ses, &u), MH_OK);
	struct mh_user *uu = NULL;
	cr_assert_eq(mh_store_user_by_id(st, ar, uid, &uu), MH_OK);
	cr_assert_geq(uu->sessions_valid_after, now);
	/* disabling ends the sessions too */
	cr_assert_eq(mh_store_user_by_id(st, ar, other, &uu), MH_OK);
	uu->disabled = true;
	cr_assert_eq(mh_store_user_save(st, uu, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('f'), now, 600, &ses, &u), MH_NOT_FOUND);
	/* pruning removes what is past its absolute expiry */
	cr_assert_eq(mh_store_session_add(st, hash_of('9'), uid, now + 5), MH_OK);
	cr_assert_eq(mh_store_sessions_prune(st, now + 10), MH_OK);
	int64_t n = -1;
	cr_assert_eq(mh_store_count(st, "sessions", &n), MH_OK);
	cr_assert_eq(n, 0);
	/* bad input */
	cr_assert_eq(mh_store_session_add(st, "short", uid, now + 10), MH_INVALID);
	cr_assert_eq(mh_store_session_add(st, hash_of('1'), uid, now - 1), MH_INVALID);
	cr_assert_eq(mh_store_session_get(st, ar, "' OR 1=1 --", now, 600, &ses, &u), MH_NOT_FOUND);
}

Test(store, a_reset_link_works_once_and_not_after_it_expires)
{
	int64_t uid = add_user("r@example.org", MH_ROLE_AUTHOR);
	int64_t now = mh_time_now(), who = 0;
	cr_assert_eq(mh_store_session_add(st, hash_of('5'), uid, now + 3600), MH_OK);
	cr_assert_eq(mh_store_auth_token_add(st, hash_of('a'), uid, "reset", now + 3600), MH_OK);
	cr_assert_eq(mh_store_auth_token_peek(st, hash_of('a'), "reset", now, &who), MH_OK);
	cr_assert_eq(who, uid);
	cr_assert_eq(mh_store_auth_token_peek(st, hash_of('a'), "invite", now, &who), MH_NOT_FOUND,
		     "a link is for its purpose only");
	cr_assert_eq(mh_store_password_reset(st, hash_of('a'), "$argon2id$new", now, &who), MH_OK);
	cr_assert_eq(who, uid);
	struct mh_user *u = NULL;
	cr_assert_eq(mh_store_user_by_id(st, ar, uid, &u), MH_OK);
	cr_assert_str_eq(u->password_hash, "$argon2id$new");
	struct mh_session *ses = NULL;
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('5'), now, 600, &ses, &u), MH_NOT_FOUND,
		     "a reset ends the sessions");
	cr_assert_eq(mh_store_password_reset(st, hash_of('a'), "$argon2id$again", now, &who), MH_NOT_FOUND,
		     "the second use");
	cr_assert_eq(mh_store_user_by_id(st, ar, uid, &u), MH_OK);
	cr_assert_str_eq(u->password_hash, "$argon2id$new");
	/* expired */
	cr_assert_eq(mh_store_auth_token_add(st, hash_of('b'), uid, "reset", now + 60), MH_OK);
	cr_assert_eq(mh_store_auth_token_peek(st, hash_of('b'), "reset", now + 60, &who), MH_NOT_FOUND);
	cr_assert_eq(mh_store_password_reset(st, hash_of('b'), "$argon2id$late", now + 61, &who), MH_NOT_FOUND);
	cr_assert_eq(mh_store_auth_token_add(st, hash_of('c'), uid, "bogus", now + 60), MH_INVALID);
	/* set_password: with and without ending sessions */
	cr_assert_eq(mh_store_session_add(st, hash_of('6'), uid, now + 3600), MH_OK);
	cr_assert_eq(mh_store_user_set_password(st, uid, "$argon2id$rehash", false), MH_OK);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('6'), now, 600, &ses, &u), MH_OK);
	cr_assert_eq(mh_store_user_set_password(st, uid, "$argon2id$changed", true), MH_OK);
	cr_assert_eq(mh_store_session_get(st, ar, hash_of('6'), now, 600, &ses, &u), MH_NOT_FOUND);
	cr_assert_eq(mh_store_user_set_password(st, 4242, "x", false), MH_NOT_FOUND);
}

Test(store, the_site_secret_is_the_first_one_stored)
{
	struct mh_buf a = MH_BUF_INIT, b = MH_BUF_INIT;
	cr_assert_eq(mh_store_site_secret(st, "auth_key", "first", &a), MH_OK);
	cr_assert_str_eq(mh_buf_cstr(&a), "first");
	/* another node (another connection) asking later gets the same */
	struct mh_store *other = NULL;
	cr_assert_eq(mh_store_open(url, dir, false, &other, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_site_secret(other, "auth_key", "second", &b), MH_OK);
	cr_assert_str_eq(mh_buf_cstr(&b), "first");
	mh_store_close(other);
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "site_secrets", &n), MH_OK);
	cr_assert_eq(n, 1);
	mh_buf_free(&a);
	mh_buf_free(&b);
}

Test(store, a_section_with_articles_is_not_removed)
{
	seed();
	add("kept", sec_news, 10, false, 0, 0);
	int64_t n = -1;
	cr_assert_eq(mh_store_section_remove(st, sec_news, &n, &err), MH_CONFLICT);
	cr_assert_eq(n, 1);
	cr_assert(strstr(mh_buf_cstr(&err), "1 article") != NULL, "%s", mh_buf_cstr(&err));
	struct mh_section *sec = NULL;
	cr_assert_eq(mh_store_section_by_slug(st, ar, mh_str_c("news"), &sec), MH_OK, "still there");
	cr_assert_eq(mh_store_section_remove(st, sec_opinion, &n, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_section_by_slug(st, ar, mh_str_c("opinion"), &sec), MH_NOT_FOUND);
	cr_assert_eq(mh_store_section_remove(st, sec_opinion, &n, &err), MH_NOT_FOUND);
}

Test(store, an_invite_link_works_once_and_a_new_one_replaces_it)
{
	int64_t uid = add_user("i@example.org", MH_ROLE_AUTHOR);
	int64_t now = mh_time_now(), who = 0;
	cr_assert_eq(mh_store_auth_token_add(st, hash_of('a'), uid, "invite", now + 3600), MH_OK);
	cr_assert_eq(mh_store_auth_token_add(st, hash_of('e'), uid, "reset", now + 3600), MH_OK);
	/* inviting again: the old invitation goes, the reset link stays */
	cr_assert_eq(mh_store_auth_tokens_drop(st, uid, "invite"), MH_OK);
	cr_assert_eq(mh_store_auth_token_add(st, hash_of('b'), uid, "invite", now + 3600), MH_OK);
	cr_assert_eq(mh_store_auth_token_peek(st, hash_of('a'), "invite", now, &who), MH_NOT_FOUND);
	cr_assert_eq(mh_store_auth_token_peek(st, hash_of('e'), "reset", now, &who), MH_OK);
	cr_assert_eq(mh_store_invite_accept(st, hash_of('e'), "$argon2id$x", now, &who), MH_NOT_FOUND,
		     "a reset link is no invitation");
	cr_assert_eq(mh_store_invite_accept(st, hash_of('b'), "$argon2id$mine", now, &who), MH_OK);
	cr_assert_eq(who, uid);
	struct mh_user *u = NULL;
	cr_assert_eq(mh_store_user_by_id(st, ar, uid, &u), MH_OK);
	cr_assert_str_eq(u->password_hash, "$argon2id$mine");
	cr_assert_eq(mh_store_invite_accept(st, hash_of('b'), "$argon2id$again", now, &who), MH_NOT_FOUND,
		     "the second use");
	cr_assert_eq(mh_store_auth_tokens_drop(st, uid, "bogus"), MH_INVALID);
	/* expired */
	cr_assert_eq(mh_store_auth_token_add(st, hash_of('c'), uid, "invite", now + 60), MH_OK);
	cr_assert_eq(mh_store_invite_accept(st, hash_of('c'), "$argon2id$late", now + 61, &who), MH_NOT_FOUND);
	cr_assert_eq(mh_store_user_by_id(st, ar, uid, &u), MH_OK);
	cr_assert_str_eq(u->password_hash, "$argon2id$mine");
}

Test(store, last_seen_is_the_newest_session_of_each_account)
{
	int64_t a = add_user("a@example.org", MH_ROLE_AUTHOR), b = add_user("b@example.org", MH_ROLE_EDITOR);
	add_user("c@example.org", MH_ROLE_EDITOR); /* never logged in */
	int64_t now = mh_time_now();
	cr_assert_eq(mh_store_session_add(st, hash_of('1'), a, now + 3600), MH_OK);
	cr_assert_eq(mh_store_session_add(st, hash_of('2'), a, now + 3600), MH_OK);
	cr_assert_eq(mh_store_session_add(st, hash_of('3'), b, now + 3600), MH_OK);
	struct mh_user_seen *seen = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_users_last_seen(st, ar, &seen, &n), MH_OK);
	cr_assert_eq(n, 2, "one row per account with a session");
	cr_assert_eq(seen[0].user_id, a);
	cr_assert_eq(seen[1].user_id, b);
	cr_assert(seen[0].last_seen_at >= now && seen[1].last_seen_at >= now);
}

Test(store, site_settings_are_replaced_by_key_and_checked)
{
	struct mh_site_setting *kv = NULL;
	size_t n = 9;
	cr_assert_eq(mh_store_site_settings(st, ar, &kv, &n), MH_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(mh_store_site_setting_put(st, "title", "First", "o@example.org", &err), MH_OK, "%s",
		     mh_buf_cstr(&err));
	cr_assert_eq(mh_store_site_setting_put(st, "tagline", "", "o@example.org", &err), MH_OK);
	cr_assert_eq(mh_store_site_setting_put(st, "title", "Second <b>", "p@example.org", &err), MH_OK);
	cr_assert_eq(mh_store_site_settings(st, ar, &kv, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(kv[0].key, "tagline");
	cr_assert_str_eq(kv[0].value, "");
	cr_assert_str_eq(kv[1].key, "title");
	cr_assert_str_eq(kv[1].value, "Second <b>");
	mh_buf_reset(&err);
	cr_assert_eq(mh_store_site_setting_put(st, "title", "line\nbreak", NULL, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "title") != NULL, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_site_setting_put(st, "Bad Key", "x", NULL, &err), MH_INVALID);
	cr_assert_eq(mh_store_site_setting_put(st, "", "x", NULL, &err), MH_INVALID);
	cr_assert_eq(mh_store_site_settings(st, ar, &kv, &n), MH_OK);
	cr_assert_eq(n, 2, "nothing refused was stored");
	cr_assert_str_eq(kv[1].value, "Second <b>");
	int64_t rows = 0;
	cr_assert_eq(mh_store_count(st, "site_settings", &rows), MH_OK);
	cr_assert_eq(rows, 2);
}

/* ---- migration 9: the tags screen and the picks' order ---- */

Test(store, tags_listed_by_slug_with_counts_and_a_filter)
{
	seed();
	add("t1", sec_news, 10, false, 0, tag_rail);
	add("t2", sec_news, 20, false, 0, tag_rail);
	add("t3", sec_news, 30, false, 0, tag_court);
	struct mh_tag_use *tags = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_tags(st, ar, mh_str_c(""), mh_str_c(""), 10, &tags, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(tags[0].tag.slug, "courts-law");
	cr_assert_eq(tags[0].articles, 1);
	cr_assert_str_eq(tags[1].tag.slug, "rail");
	cr_assert_eq(tags[1].articles, 2);
	/* the next page starts after the last slug; the filter ignores case */
	cr_assert_eq(mh_store_tags(st, ar, mh_str_c(""), mh_str_c("courts-law"), 10, &tags, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(tags[0].tag.slug, "rail");
	cr_assert_eq(mh_store_tags(st, ar, mh_str_c("LAW"), mh_str_c(""), 10, &tags, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(tags[0].tag.name, "Courts & Law");
	cr_assert_eq(mh_store_tags(st, ar, mh_str_c(""), mh_str_c(""), 0, &tags, &n), MH_INVALID);
}

Test(store, a_renamed_tag_keeps_its_old_address)
{
	seed();
	add("r1", sec_news, 10, false, 0, tag_rail);
	struct mh_tag t = { .id = tag_rail, .slug = "railways", .name = "Railways" };
	cr_assert_eq(mh_store_tag_rename(st, &t, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_tag *got = NULL;
	cr_assert_eq(mh_store_tag_by_slug(st, ar, mh_str_c("railways"), &got), MH_OK);
	cr_assert_str_eq(got->name, "Railways");
	cr_assert_eq(mh_store_tag_by_slug(st, ar, mh_str_c("rail"), &got), MH_NOT_FOUND);
	cr_assert_eq(mh_store_tag_by_old_slug(st, ar, mh_str_c("rail"), &got), MH_OK);
	cr_assert_eq(got->id, tag_rail);
	/* a taken slug, an empty name, an unknown tag: refused, nothing changed */
	struct mh_tag clash = { .id = tag_rail, .slug = "courts-law", .name = "X" };
	cr_assert_eq(mh_store_tag_rename(st, &clash, &err), MH_CONFLICT);
	cr_assert(strstr(mh_buf_cstr(&err), "slug 'courts-law' is already used"), "%s", mh_buf_cstr(&err));
	struct mh_tag empty = { .id = tag_rail, .slug = "x", .name = "" };
	cr_assert_eq(mh_store_tag_rename(st, &empty, &err), MH_INVALID);
	struct mh_tag nobody = { .id = 99999, .slug = "x", .name = "X" };
	cr_assert_eq(mh_store_tag_rename(st, &nobody, &err), MH_NOT_FOUND);
	cr_assert_eq(mh_store_tag_by_id(st, ar, tag_rail, &got), MH_OK);
	cr_assert_str_eq(got->slug, "railways");
	/* a tag that takes an old slug wins it: it is nobody's old address any more */
	struct mh_tag again = { .slug = "rail", .name = "Rail again" };
	cr_assert_eq(mh_store_tag_ensure(st, &again, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_tag_by_old_slug(st, ar, mh_str_c("rail"), &got), MH_NOT_FOUND);
}

Test(store, a_merged_tag_gives_its_articles_and_addresses_to_the_other)
{
	seed();
	int64_t both = add("m1", sec_news, 10, false, 0, tag_rail);
	int64_t only = add("m2", sec_news, 20, false, 0, tag_court);
	struct mh_article *a = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, both, &a), MH_OK);
	struct mh_tag two[2] = { { .id = tag_rail }, { .id = tag_court } };
	a->tags = two;
	a->n_tags = 2;
	cr_assert_eq(mh_store_article_save(st, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_tag t = { .id = tag_court, .slug = "law", .name = "Law" };
	cr_assert_eq(mh_store_tag_rename(st, &t, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_tag_merge(st, tag_court, tag_court, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "into itself"), "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_tag_merge(st, tag_court, 99999, &err), MH_NOT_FOUND);
	int64_t links = 0;
	cr_assert_eq(mh_store_count(st, "article_tags", &links), MH_OK);
	cr_assert_eq(links, 3, "nothing changed by the refusals");
	cr_assert_eq(mh_store_tag_merge(st, tag_court, tag_rail, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_tag *got = NULL;
	cr_assert_eq(mh_store_tag_by_id(st, ar, tag_court, &got), MH_NOT_FOUND, "A is gone");
	cr_assert_eq(mh_store_count(st, "article_tags", &links), MH_OK);
	cr_assert_eq(links, 2, "each article carries B once");
	for (int64_t id = both; id != 0; id = id == both ? only : 0) {
		cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
		cr_assert_eq(a->n_tags, 1);
		cr_assert_eq(a->tags[0].id, tag_rail);
	}
	/* both of A's addresses, its slug and its old one, lead to B */
	cr_assert_eq(mh_store_tag_by_old_slug(st, ar, mh_str_c("law"), &got), MH_OK);
	cr_assert_eq(got->id, tag_rail);
	cr_assert_eq(mh_store_tag_by_old_slug(st, ar, mh_str_c("courts-law"), &got), MH_OK);
	cr_assert_eq(got->id, tag_rail);
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "tag_slugs", &n), MH_OK);
	cr_assert_eq(n, 2);
}

Test(store, picks_list_in_the_editors_order_then_newest)
{
	seed();
	int64_t p1 = add("p1", sec_news, 10, true, 0, 0);
	int64_t p2 = add("p2", sec_news, 20, true, 0, 0);
	int64_t p3 = add("p3", sec_news, 30, true, 0, 0);
	int64_t p4 = add("p4", sec_news, 40, true, 0, 0);
	struct mh_article *arts = NULL;
	cr_assert_eq(list((struct mh_article_query){ .staff_picks_only = true }, &arts), 4);
	cr_assert_eq(arts[0].id, p1, "unordered: newest first");
	int64_t order[] = { p3, p1 };
	cr_assert_eq(mh_store_pick_ranks(st, order, 2), MH_OK);
	cr_assert_eq(list((struct mh_article_query){ .staff_picks_only = true }, &arts), 4);
	int64_t want[] = { p3, p1, p2, p4 };
	for (int i = 0; i < 4; i++)
		cr_assert_eq(arts[i].id, want[i], "position %d", i);
	/* an unknown id: nothing changed */
	int64_t bad[] = { p4, 99999 };
	cr_assert_eq(mh_store_pick_ranks(st, bad, 2), MH_NOT_FOUND);
	cr_assert_eq(list((struct mh_article_query){ .staff_picks_only = true }, &arts), 4);
	cr_assert_eq(arts[0].id, p3);
	/* the headline search finds articles that are public now (p1-p4 are
	 * dated NOW, still ahead), newest first, whatever the case */
	struct mh_article past = {
		.slug = "past", .headline = "The Past Pick", .body_md = "b", .body_html = "<p>b</p>",
		.lead_html = "<p>b</p>", .section_id = sec_news, .staff_pick = true, .status = MH_ARTICLE_PUBLISHED,
		.published_at = mh_time_now() - 60,
	};
	cr_assert_eq(mh_store_article_save(st, &past, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_article draft = past;
	draft.id = 0;
	draft.slug = "past-draft";
	draft.status = MH_ARTICLE_DRAFT;
	draft.published_at = 0;
	cr_assert_eq(mh_store_article_save(st, &draft, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_article *found = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_articles_by_headline(st, ar, mh_str_c("past p"), 10, &found, &n), MH_OK);
	cr_assert_eq(n, 1, "the published one only");
	cr_assert_str_eq(found[0].slug, "past");
	cr_assert(found[0].staff_pick);
	cr_assert_eq(mh_store_articles_by_headline(st, ar, mh_str_c("p1"), 10, &found, &n), MH_OK);
	cr_assert_eq(n, 0, "not public yet");
	cr_assert_eq(mh_store_articles_by_headline(st, ar, mh_str_c(""), 10, &found, &n), MH_INVALID);
}

/* ---- comments (migration 11) ---- */

static int64_t comment(int64_t art, int64_t parent, const char *body, enum mh_comment_status st_)
{
	struct mh_comment c = { .article_id = art, .parent_id = parent, .name = "Reader", .email = "r@example.org",
				.body = body, .address_hash = "abc123", .status = st_ };
	cr_assert_eq(mh_store_comment_add(st, &c, &err), MH_OK, "%s", mh_buf_cstr(&err));
	return c.id;
}

static int64_t approved_count(int64_t art)
{
	bool closed = true;
	int64_t n = -1;
	cr_assert_eq(mh_store_comment_thread(st, art, &closed, &n), MH_OK);
	return n;
}

Test(store, comments_count_exactly_what_is_approved_and_replies_stay_one_level)
{
	seed();
	int64_t art = add("commented", sec_news, 10, false, 0, 0), other = add("other", sec_news, 20, false, 0, 0);
	cr_assert_eq(approved_count(art), 0, "nobody has commented");
	int64_t top = comment(art, 0, "first", MH_COMMENT_APPROVED);
	int64_t reply = comment(art, top, "a reply", MH_COMMENT_APPROVED);
	int64_t deeper = comment(art, reply, "a reply to the reply", MH_COMMENT_PENDING);
	cr_assert_eq(approved_count(art), 2);
	struct mh_comment *c = NULL;
	cr_assert_eq(mh_store_comment_by_id(st, ar, deeper, &c), MH_OK);
	cr_assert_eq(c->parent_id, top, "a reply to a reply joins the top comment");
	cr_assert_str_eq(c->article_slug, "commented");
	int64_t at = 0;
	cr_assert_eq(mh_store_comment_set_status(st, deeper, MH_COMMENT_APPROVED, &at), MH_OK);
	cr_assert_eq(at, art);
	cr_assert_eq(approved_count(art), 3);
	/* the same status again changes nothing; spam, deleted and back */
	cr_assert_eq(mh_store_comment_set_status(st, deeper, MH_COMMENT_APPROVED, NULL), MH_OK);
	cr_assert_eq(approved_count(art), 3);
	cr_assert_eq(mh_store_comment_set_status(st, reply, MH_COMMENT_SPAM, NULL), MH_OK);
	cr_assert_eq(mh_store_comment_set_status(st, top, MH_COMMENT_DELETED, NULL), MH_OK);
	cr_assert_eq(approved_count(art), 1);
	cr_assert_eq(mh_store_comment_set_status(st, reply, MH_COMMENT_DELETED, NULL), MH_OK);
	cr_assert_eq(approved_count(art), 1, "spam to deleted: neither counted");
	cr_assert_eq(mh_store_comment_set_status(st, 999999, MH_COMMENT_APPROVED, NULL), MH_NOT_FOUND);
	struct mh_comment *list = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_comments_of_article(st, ar, art, 100, &list, &n), MH_OK);
	cr_assert_eq(n, 1, "only approved ones are shown");
	cr_assert_eq(list[0].id, deeper);
	/* a parent from another article is refused, nothing stored */
	struct mh_comment bad = { .article_id = other, .parent_id = top, .name = "X", .body = "y", .address_hash = "h" };
	cr_assert_eq(mh_store_comment_add(st, &bad, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "parent_id") != NULL, "%s", mh_buf_cstr(&err));
	struct mh_comment none = { .article_id = 987654, .name = "X", .body = "y", .address_hash = "h" };
	cr_assert_eq(mh_store_comment_add(st, &none, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "article_id") != NULL, "%s", mh_buf_cstr(&err));
	int64_t rows = 0;
	cr_assert_eq(mh_store_count(st, "comments", &rows), MH_OK);
	cr_assert_eq(rows, 3);
	cr_assert_eq(approved_count(other), 0);
}

Test(store, comment_bad_fields_are_refused_naming_the_field)
{
	seed();
	int64_t art = add("c", sec_news, 10, false, 0, 0);
	struct mh_comment c = { .article_id = art, .name = "", .body = "x", .address_hash = "h" };
	cr_assert_eq(mh_store_comment_add(st, &c, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "name") != NULL);
	c.name = "Bad\x01name";
	cr_assert_eq(mh_store_comment_add(st, &c, &err), MH_INVALID);
	c.name = "Fine";
	c.body = "";
	cr_assert_eq(mh_store_comment_add(st, &c, &err), MH_INVALID);
	cr_assert(strstr(mh_buf_cstr(&err), "body") != NULL);
	c.body = "two\nlines\tand a tab";
	cr_assert_eq(mh_store_comment_add(st, &c, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_comment_edit(st, c.id, "Edited", "new text", &err), MH_OK);
	struct mh_comment *got = NULL;
	cr_assert_eq(mh_store_comment_by_id(st, ar, c.id, &got), MH_OK);
	cr_assert_str_eq(got->name, "Edited");
	cr_assert_str_eq(got->body, "new text");
	cr_assert_eq(mh_store_comment_edit(st, c.id, "", "x", &err), MH_INVALID);
	cr_assert_eq(mh_store_comment_edit(st, 424242, "A", "x", &err), MH_NOT_FOUND);
}

Test(store, comment_queue_filters_trust_duplicates_bans_and_closing)
{
	seed();
	int64_t art = add("q", sec_news, 10, false, 0, 0);
	int64_t a1 = comment(art, 0, "one", MH_COMMENT_PENDING);
	int64_t a2 = comment(art, 0, "two", MH_COMMENT_APPROVED);
	struct mh_comment other = { .article_id = art, .name = "O", .email = "", .body = "three",
				    .address_hash = "ffff", .status = MH_COMMENT_SPAM };
	cr_assert_eq(mh_store_comment_add(st, &other, &err), MH_OK);
	struct mh_comment *l = NULL;
	size_t n = 0;
	struct mh_comment_filter f = { .status = MH_COMMENT_PENDING };
	cr_assert_eq(mh_store_comments_list(st, ar, &f, 0, 50, &l, &n), MH_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(l[0].id, a1);
	f = (struct mh_comment_filter){ .status = -1, .email = "r@example.org" };
	cr_assert_eq(mh_store_comments_list(st, ar, &f, 0, 50, &l, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(l[0].id, a2, "newest first");
	cr_assert_eq(mh_store_comments_list(st, ar, &f, a2, 50, &l, &n), MH_OK);
	cr_assert_eq(n, 1, "a page before an id");
	f = (struct mh_comment_filter){ .status = -1, .address_hash = "ffff" };
	cr_assert_eq(mh_store_comments_list(st, ar, &f, 0, 50, &l, &n), MH_OK);
	cr_assert_eq(n, 1);
	bool yes = false;
	cr_assert_eq(mh_store_comment_trusted(st, "r@example.org", "zzz", &yes), MH_OK);
	cr_assert(yes, "an approved comment with that email");
	cr_assert_eq(mh_store_comment_trusted(st, "", "ffff", &yes), MH_OK);
	cr_assert(!yes, "only a spam one from that address");
	cr_assert_eq(mh_store_comment_duplicate(st, art, "two", NOW - 100000000, &yes), MH_OK);
	cr_assert(yes);
	cr_assert_eq(mh_store_comment_duplicate(st, art, "Two", NOW - 100000000, &yes), MH_OK);
	cr_assert(!yes);
	cr_assert_eq(mh_store_comment_ban_add(st, "email", "Troll@Example.org", "ed@x", &err), MH_OK);
	cr_assert_eq(mh_store_comment_ban_add(st, "email", "troll@example.org", "ed@x", &err), MH_OK, "twice is fine");
	cr_assert_eq(mh_store_comment_ban_add(st, "address", "ffff", "ed@x", &err), MH_OK);
	cr_assert_eq(mh_store_comment_ban_add(st, "ip", "1.2.3.4", "ed@x", &err), MH_INVALID);
	cr_assert_eq(mh_store_comment_banned(st, "troll@example.org", "x", &yes), MH_OK);
	cr_assert(yes);
	cr_assert_eq(mh_store_comment_banned(st, "", "ffff", &yes), MH_OK);
	cr_assert(yes);
	cr_assert_eq(mh_store_comment_banned(st, "", "x", &yes), MH_OK);
	cr_assert(!yes, "an empty email matches no ban");
	struct mh_comment_ban *b = NULL;
	cr_assert_eq(mh_store_comment_bans(st, ar, &b, &n), MH_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(mh_store_comment_ban_remove(st, "address", "ffff"), MH_OK);
	cr_assert_eq(mh_store_comment_ban_remove(st, "address", "ffff"), MH_NOT_FOUND);
	bool closed = false;
	int64_t cnt = 0;
	cr_assert_eq(mh_store_comments_close(st, art, true), MH_OK);
	cr_assert_eq(mh_store_comment_thread(st, art, &closed, &cnt), MH_OK);
	cr_assert(closed);
	cr_assert_eq(cnt, 1, "closing keeps the count");
	cr_assert_eq(mh_store_comments_close(st, art, false), MH_OK);
	cr_assert_eq(mh_store_comment_thread(st, art, &closed, &cnt), MH_OK);
	cr_assert(!closed);
	/* db copy carries all three tables */
	cr_assert_eq(mh_store_comments_close(st, art, true), MH_OK);
	char to_url[600];
	second_db("copyc", to_url, sizeof(to_url));
	struct mh_store *to = NULL;
	int v = 0;
	cr_assert_eq(mh_store_open(to_url, dir, true, &to, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(to, &v, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_copy(st, to, false, NULL, NULL, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_comment_thread(to, art, &closed, &cnt), MH_OK);
	cr_assert(closed);
	cr_assert_eq(cnt, 1);
	cr_assert_eq(mh_store_comment_banned(to, "troll@example.org", "", &yes), MH_OK);
	cr_assert(yes);
	struct mh_comment *cc = NULL;
	cr_assert_eq(mh_store_comment_by_id(to, ar, a2, &cc), MH_OK);
	cr_assert_str_eq(cc->body, "two");
	mh_store_close(to);
	drop_second_db("copyc");
}

/* ---- full-text search (issue 9) ---- */

/* The terms of text, as "kind:text|kind:text" (w word, p prefix, q phrase). */
static const char *terms_of(const char *text, size_t len)
{
	struct mh_search_term t[MH_SEARCH_MAX_TERMS];
	size_t n = mh_search_parse(ar, (struct mh_str){ text, len }, t, MH_SEARCH_MAX_TERMS);
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			mh_buf_append_ch(&b, '|');
		mh_buf_append_c(&b, t[i].kind == MH_SEARCH_WORD ? "w:" : t[i].kind == MH_SEARCH_PREFIX ? "p:" : "q:");
		mh_buf_append_c(&b, t[i].text);
	}
	const char *out = mh_arena_strndup(ar, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return out;
}
#define TERMS(lit) terms_of((lit), sizeof(lit) - 1)

Test(store, search_parse_turns_any_text_into_safe_terms)
{
	cr_assert_str_eq(TERMS("harbour lamps"), "w:harbour|w:lamps");
	cr_assert_str_eq(TERMS("\"harbour lamps\" quay"), "q:harbour lamps|w:quay", "a phrase");
	cr_assert_str_eq(TERMS("\"harbour\""), "w:harbour", "a phrase of one word is a word");
	cr_assert_str_eq(TERMS("harb* q*"), "p:harb|w:q", "prefixes of 2+ characters");
	cr_assert_str_eq(TERMS("caf\xc3\xa9* caf\xc3\xa9"), "p:caf\xc3\xa9|w:caf\xc3\xa9", "UTF-8 letters");
	/* what the engines would take for syntax is plain words or nothing */
	cr_assert_str_eq(TERMS("\"unbalanced quote"), "w:unbalanced|w:quote");
	cr_assert_str_eq(TERMS("a \"b c\" \"d"), "w:a|q:b c|w:d", "the last quote stays open");
	cr_assert_str_eq(TERMS("harbour NEAR(lamps, 3)"), "w:harbour|w:NEAR|w:lamps|w:3");
	cr_assert_str_eq(TERMS("AND OR NOT -x +y ^z col:w {a b}: c"), "w:AND|w:OR|w:NOT|w:x|w:y|w:z|w:col|w:w|w:a|w:b|w:c");
	cr_assert_str_eq(TERMS("* ** \" \"\" ( ) : ; ' \\"), "", "symbols alone: nothing to search");
	cr_assert_str_eq(TERMS("x'; DROP TABLE articles; --"), "w:x|w:DROP|w:TABLE|w:articles");
	cr_assert_str_eq(TERMS("a\x00" "b\x01" "c\x1b[31m"), "w:a|w:b|w:c|w:31m", "control characters separate");
	cr_assert_str_eq(TERMS("ok\xff\xfe" "bad\xc3"), "w:ok|w:bad", "malformed bytes separate");
	cr_assert_str_eq(TERMS("one\xe2\x80\x94two\xc2\xa0three"), "w:one|w:two|w:three", "dashes and spaces");
	/* bounded: words, terms and the text looked at */
	char big[4000];
	memset(big, 'x', sizeof(big));
	struct mh_search_term t[MH_SEARCH_MAX_TERMS];
	size_t n = mh_search_parse(ar, (struct mh_str){ big, sizeof(big) }, t, MH_SEARCH_MAX_TERMS);
	cr_assert_eq(n, 1);
	cr_assert_eq(strlen(t[0].text), MH_SEARCH_MAX_WORD);
	for (size_t i = 0; i < sizeof(big); i += 2)
		big[i] = ' ';
	n = mh_search_parse(ar, (struct mh_str){ big, sizeof(big) }, t, MH_SEARCH_MAX_TERMS);
	cr_assert_eq(n, MH_SEARCH_MAX_TERMS);
	/* the cut at MH_SEARCH_MAX_INPUT never splits a character */
	char wide[MH_SEARCH_MAX_INPUT + 8];
	wide[0] = 'a'; /* then é's from an odd offset: the cut falls inside one */
	for (size_t i = 1; i + 1 < sizeof(wide); i += 2) {
		wide[i] = (char)0xc3;
		wide[i + 1] = (char)0xa9;
	}
	n = mh_search_parse(ar, (struct mh_str){ wide, sizeof(wide) }, t, MH_SEARCH_MAX_TERMS);
	cr_assert_eq(n, 1);
	for (const char *p = t[0].text; *p != '\0'; p++)
		cr_assert((unsigned char)*p != 0xc3 || (unsigned char)p[1] == 0xa9, "a whole character");
}

Test(store, search_plain_text_of_a_body)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_search_plain_text(&b, mh_str_c("<p>One <em>word</em>s &amp; two</p><p>Three&#39;s <code>&lt;script&gt;</code>"
					  "</p><!-- ad --><ul><li>a</li><li>b&#x2014;c</li></ul>\x01\x02"));
	cr_assert_str_eq(mh_buf_cstr(&b), "One words & two Three's <script> a b\xe2\x80\x94" "c");
	mh_buf_free(&b);
	/* snippets: the marks cut the text, other control characters are spaces */
	struct mh_str *parts;
	bool *marked;
	size_t n = mh_search_snippet_parts(ar, "a \x01<b>\x02 c\x03", &parts, &marked);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(parts[0].ptr, "a ");
	cr_assert_not(marked[0]);
	cr_assert_str_eq(parts[1].ptr, "<b>");
	cr_assert(marked[1]);
	cr_assert_str_eq(parts[2].ptr, " c ");
	cr_assert_eq(mh_search_snippet_parts(ar, "", &parts, &marked), 0);
}

/* The slugs a search for text finds, best first, joined by spaces. */
static const char *found(const char *text, int64_t section, int64_t author)
{
	struct mh_search_term t[MH_SEARCH_MAX_TERMS];
	struct mh_search_query q = { .terms = t, .section_id = section, .author_id = author, .now = NOW };
	q.n_terms = mh_search_parse(ar, mh_str_c(text), t, MH_SEARCH_MAX_TERMS);
	struct mh_search_hit *hits = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_search(st, ar, &q, &hits, &n), MH_OK, "%s", text);
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			mh_buf_append_ch(&b, ' ');
		mh_buf_append_c(&b, hits[i].article.slug);
	}
	const char *out = mh_arena_strndup(ar, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return out;
}

static int64_t add_text(const char *slug, const char *headline, const char *body_html, int64_t author,
			enum mh_article_status status)
{
	struct mh_author au = { .id = author };
	struct mh_article a = {
		.slug = slug, .headline = headline, .body_md = "b", .body_html = body_html, .lead_html = "",
		.section_id = sec_news, .status = status, .published_at = status == MH_ARTICLE_DRAFT ? 0 : NOW - 100,
		.authors = &au, .n_authors = 1,
	};
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s: %s", slug, mh_buf_cstr(&err));
	return a.id;
}

Test(store, search_follows_saves_withdrawals_and_author_renames)
{
	seed();
	int64_t h = add_text("head", "Zorblax plan", "<p>Lamps.</p>", au_ana, MH_ARTICLE_PUBLISHED);
	add_text("body", "Council", "<p>The <em>zorblax</em> committee.</p>", au_ben, MH_ARTICLE_PUBLISHED);
	add_text("draft", "Zorblax draft", "<p>Not public.</p>", au_ana, MH_ARTICLE_DRAFT);
	const char *got = found("zorblax", 0, 0);
	cr_assert_str_eq(got, "head body", "headline first; no draft: %s", got);
	cr_assert_str_eq(found("zorblax", 0, au_ben), "body");
	cr_assert_str_eq(found("zorblax", sec_opinion, 0), "");
	cr_assert_str_eq(found("ortiz zorblax", 0, 0), "head", "the byline is indexed");
	/* an edit */
	struct mh_article *a = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, h, &a), MH_OK);
	a->headline = "Quinklewort plan";
	cr_assert_eq(mh_store_article_save(st, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(found("quinklewort", 0, 0), "head");
	cr_assert_str_eq(found("zorblax", 0, 0), "body");
	/* an author renamed: found by the new name, not the old */
	struct mh_author *au = NULL;
	cr_assert_eq(mh_store_author_by_slug(st, ar, mh_str_c("ana"), &au), MH_OK);
	au->name = "Ana Wexley";
	cr_assert_eq(mh_store_author_save(st, au, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(found("wexley", 0, 0), "head");
	cr_assert_str_eq(found("ortiz", 0, 0), "");
	/* withdrawn, then back */
	a->status = MH_ARTICLE_DRAFT;
	cr_assert_eq(mh_store_article_save(st, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(found("quinklewort", 0, 0), "");
	int64_t n = 0;
	cr_assert_eq(mh_store_count(st, "article_search", &n), MH_OK);
	cr_assert_eq(n, 1, "only the published one is kept");
	a->status = MH_ARTICLE_PUBLISHED;
	cr_assert_eq(mh_store_article_save(st, a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(found("quinklewort", 0, 0), "head");
	/* a save that fails changes nothing in the index either */
	a->headline = "Flimflam plan";
	a->section_id = 999999;
	cr_assert_neq(mh_store_article_save(st, a, &err), MH_OK);
	cr_assert_str_eq(found("flimflam", 0, 0), "");
	cr_assert_str_eq(found("quinklewort", 0, 0), "head");
	/* snippets carry the marks */
	struct mh_search_term t[4];
	struct mh_search_query q = { .terms = t, .n_terms = mh_search_parse(ar, mh_str_c("committee"), t, 4),
				     .now = NOW };
	struct mh_search_hit *hits = NULL;
	size_t k = 0;
	cr_assert_eq(mh_store_search(st, ar, &q, &hits, &k), MH_OK);
	cr_assert_eq(k, 1);
	cr_assert(strstr(hits[0].snippet, "\x01" "committee\x02") != NULL, "%s", hits[0].snippet);
	cr_assert_eq(hits[0].article.n_authors, 1, "bylines filled");
	/* bad queries */
	q.limit = 101;
	cr_assert_eq(mh_store_search(st, ar, &q, &hits, &k), MH_INVALID);
	q.limit = 0;
	q.n_terms = 0;
	cr_assert_eq(mh_store_search(st, ar, &q, &hits, &k), MH_INVALID);
}

Test(store, migration_12_indexes_the_published_articles)
{
	char old_url[600];
	second_db("old12", old_url, sizeof(old_url));
	raw_sql_at(old_url, on_pg ? "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
				     " applied_at BIGINT NOT NULL)"
				   : "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
				     " applied_at INTEGER NOT NULL)");
	for (size_t i = 0; i < mh_store_n_migrations && mh_store_migrations[i].version < 12; i++) {
		raw_sql_at(old_url, on_pg ? mh_store_migrations[i].postgres_sql : mh_store_migrations[i].sqlite_sql);
		char rec[96];
		snprintf(rec, sizeof(rec), "INSERT INTO schema_migrations VALUES (%d, 0)",
			 mh_store_migrations[i].version);
		raw_sql_at(old_url, rec);
	}
	raw_sql_at(old_url, "INSERT INTO sections(id, slug, name) VALUES (3, 'news', 'News');"
			    "INSERT INTO authors(id, slug, name) VALUES (5, 'ana', 'Ana Ortiz');"
			    "INSERT INTO articles(id, slug, headline, body_md, body_html, section_id, status, published_at,"
			    " updated_at, created_at, was_published) VALUES"
			    " (11, 'old-one', 'Old one', 'x', '<p>The caf&eacute; &amp; the quay</p>', 3, 'published',"
			    " 100, 200, 50, TRUE),"
			    " (12, 'old-two', 'Old two', 'x', '<p>The quay draft</p>', 3, 'draft', 0, 300, 300, FALSE);"
			    "INSERT INTO article_authors VALUES (11, 5, 0);");
	struct mh_store *old = NULL;
	int v = 0;
	cr_assert_eq(mh_store_open(old_url, dir, false, &old, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(old, &v, &err), MH_OK, "%s", mh_buf_cstr(&err));
	int64_t n = 0;
	cr_assert_eq(mh_store_count(old, "article_search", &n), MH_OK);
	cr_assert_eq(n, 1, "the published article, not the draft");
	struct mh_search_term t[4];
	struct mh_search_query q = { .terms = t, .n_terms = mh_search_parse(ar, mh_str_c("quay ortiz"), t, 4) };
	struct mh_search_hit *hits = NULL;
	size_t k = 0;
	cr_assert_eq(mh_store_search(old, ar, &q, &hits, &k), MH_OK);
	cr_assert_eq(k, 1);
	cr_assert_str_eq(hits[0].article.slug, "old-one");
	mh_store_close(old);
	drop_second_db("old12");
}
