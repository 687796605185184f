/* jobs at scale: what start-up (the publishing sweep) and the periodic tasks
 * (claiming jobs, pruning jobs and the change log, following the log) and
 * the list pages ask the database, checked with the backend's own planner
 * (mh_store_plan: EXPLAIN QUERY PLAN / EXPLAIN of the very statements the
 * store runs) to be served by an index; and keyset pages of every list,
 * walked both ways, equal to the full ordered list. The same binary runs on
 * both backends (tests/jobs/meson.build):
 *   MH_TEST_BACKEND unset or "sqlite": a fresh SQLite file per test;
 *   MH_TEST_BACKEND=postgres: a fresh database per test on the cluster named
 *   by MASTHEAD_TEST_PG_URL (scripts/pg-test), dropped afterwards. Without
 *   that URL the run fails (bails out): it did not run on PostgreSQL. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test_pg.h"
#include "content/content.h"
#include "store/store.h"

static char dir[64];
static char url[512];
static char admin_url[512];
static char db_name[64];
static bool on_pg;
static struct mh_store *st;
static struct mh_arena *ar;
static struct mh_buf err;


static void setup(void)
{
	strcpy(dir, "/tmp/mh-scale-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	on_pg = mh_test_pg_wanted();
	if (on_pg)
		mh_test_pg_create("mh_scale", url, admin_url, db_name);
	else
		strcpy(url, "site.db");
	err = MH_BUF_INIT;
	int version = 0;
	cr_assert_eq(mh_store_open(url, dir, true, &st, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(st, &version, &err), MH_OK, "%s", mh_buf_cstr(&err));
	ar = mh_arena_new();
}

static void teardown(void)
{
	mh_store_close(st);
	mh_arena_free(ar);
	mh_buf_free(&err);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	if (on_pg)
		mh_test_pg_drop(admin_url, db_name);
}

TestSuite(scale, .init = setup, .fini = teardown, .timeout = 120);

int main(int argc, char **argv)
{
	if (mh_test_pg_wanted()) {
		const char *u = getenv("MASTHEAD_TEST_PG_URL");
		if (u == NULL || u[0] == '\0') {
			const char *why = "MASTHEAD_TEST_PG_URL is not set: the scale tests did NOT run on PostgreSQL"
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

/* ---- a small archive with every kind of list ---- */

enum { N_ARTS = 330, N_SECTIONS = 2, N_AUTHORS = 3, N_TAGS = 3 };
static int64_t sections[N_SECTIONS], authors[N_AUTHORS], tags[N_TAGS];
static int64_t now;

/* What the test wrote: the ground truth the lists are checked against. */
struct truth {
	int64_t id, published_at, section_id;
	enum mh_article_status status;
	bool pick;
	bool author[N_AUTHORS], tag[N_TAGS];
};
static struct truth truths[N_ARTS];

static void seed(void)
{
	now = mh_time_now();
	static const char *const sec_slugs[] = { "news", "analysis" };
	for (int i = 0; i < N_SECTIONS; i++) {
		struct mh_section s = { .slug = sec_slugs[i], .name = sec_slugs[i], .position = i };
		cr_assert_eq(mh_store_section_save(st, &s, &err), MH_OK, "%s", mh_buf_cstr(&err));
		sections[i] = s.id;
	}
	for (int i = 0; i < N_AUTHORS; i++) {
		char slug[16];
		snprintf(slug, sizeof(slug), "author-%d", i);
		struct mh_author au = { .slug = slug, .name = slug };
		cr_assert_eq(mh_store_author_save(st, &au, &err), MH_OK, "%s", mh_buf_cstr(&err));
		authors[i] = au.id;
	}
	for (int i = 0; i < N_TAGS; i++) {
		char slug[16];
		snprintf(slug, sizeof(slug), "tag-%d", i);
		struct mh_tag tg = { .slug = slug, .name = slug };
		cr_assert_eq(mh_store_tag_ensure(st, &tg, &err), MH_OK, "%s", mh_buf_cstr(&err));
		tags[i] = tg.id;
	}
	cr_assert_eq(mh_store_begin(st), MH_OK);
	for (int i = 0; i < N_ARTS; i++) {
		struct truth *t = &truths[i];
		char slug[32];
		snprintf(slug, sizeof(slug), "art-%d", i);
		t->status = i % 11 == 0 ? MH_ARTICLE_DRAFT : i % 13 == 0 ? MH_ARTICLE_SCHEDULED : MH_ARTICLE_PUBLISHED;
		/* runs of 4 share a second (ties cut across page edges); a few
		 * published ones lie in the future (not listed yet) */
		t->published_at = i % 17 == 0 || t->status == MH_ARTICLE_SCHEDULED ? now + 1000 + i : now - 100000 + (i / 4) * 60;
		t->section_id = sections[i % N_SECTIONS];
		t->pick = i % 5 == 0;
		struct mh_author au[N_AUTHORS];
		struct mh_tag tg[N_TAGS];
		size_t na = 0, nt = 0;
		for (int k = 0; k < N_AUTHORS; k++)
			if ((t->author[k] = (i + k) % (k + 2) == 0))
				au[na++] = (struct mh_author){ .id = authors[k] };
		for (int k = 0; k < N_TAGS; k++)
			if ((t->tag[k] = (i * 7 + k) % (k + 3) == 0))
				tg[nt++] = (struct mh_tag){ .id = tags[k] };
		struct mh_article a = {
			.slug = slug, .headline = slug, .body_md = "Body.", .section_id = t->section_id,
			.status = t->status, .published_at = t->published_at, .staff_pick = t->pick,
			.authors = na ? au : NULL, .n_authors = na, .tags = nt ? tg : NULL, .n_tags = nt,
		};
		cr_assert_eq(mh_content_prepare_article(ar, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
		cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
		t->id = a.id;
	}
	cr_assert_eq(mh_store_commit(st), MH_OK);
}

/* ---- plans ---- */

/* The plan of which (q for the article lists), checked to use an index and
 * no full scan of the table named. */
static void check_plan(const char *what, enum mh_store_plan_of which, const struct mh_article_query *q,
		       const char *table, const char *must_name)
{
	struct mh_buf plan = MH_BUF_INIT;
	cr_assert_eq(mh_store_plan(st, which, q, &plan), MH_OK, "%s: no plan", what);
	const char *p = mh_buf_cstr(&plan);
	cr_assert(plan.len > 0, "%s: empty plan", what);
	if (on_pg) {
		/* enable_seqscan is off: a Seq Scan left means no index serves it */
		char seq[64];
		snprintf(seq, sizeof(seq), "Seq Scan on %s", table);
		cr_assert_null(strstr(p, seq), "%s: a sequential scan on PostgreSQL:\n%s", what, p);
		/* and an index walked whole is a scan too: every node that
		 * reads the table must carry a condition on its index */
		char on[64];
		snprintf(on, sizeof(on), " on %s", table);
		int nodes = 0;
		for (const char *line = p; *line != '\0';) {
			const char *end = strchr(line, '\n');
			size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
			char buf[512];
			snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
			line += len + (end != NULL);
			char *hit = strstr(buf, on);
			if (strstr(buf, "Scan") == NULL || hit == NULL ||
			    (hit[strlen(on)] != ' ' && hit[strlen(on)] != '\0'))
				continue;
			nodes++;
			bool cond = false;
			/* the node's own detail lines, up to the next node */
			for (const char *d = line; *d != '\0';) {
				const char *e = strchr(d, '\n');
				size_t dl = e != NULL ? (size_t)(e - d) : strlen(d);
				if (memmem(d, dl, "->", 2) != NULL)
					break;
				if (memmem(d, dl, "Index Cond", 10) != NULL || memmem(d, dl, "Recheck Cond", 12) != NULL)
					cond = true;
				d += dl + (e != NULL);
			}
			cr_assert(cond, "%s: %s read without an index condition on PostgreSQL:\n%s", what, table, p);
		}
		cr_assert(nodes > 0, "%s: no node reads %s on PostgreSQL:\n%s", what, table, p);
	} else {
		/* SQLite: "SCAN t" (with or without an index) walks all of it;
		 * "SEARCH t USING ... INDEX" reads a range */
		for (const char *line = p; *line != '\0';) {
			const char *end = strchr(line, '\n');
			cr_assert(strncmp(line, "SCAN", 4) != 0, "%s: a full scan on SQLite:\n%s", what, p);
			line = end != NULL ? end + 1 : line + strlen(line);
		}
		cr_assert(strstr(p, "SEARCH") != NULL, "%s: no index search on SQLite:\n%s", what, p);
	}
	if (must_name != NULL)
		cr_assert(strstr(p, must_name) != NULL, "%s: not through %s:\n%s", what, must_name, p);
	mh_buf_free(&plan);
}

Test(scale, the_sweep_and_every_periodic_statement_are_served_by_an_index)
{
	seed();
	struct mh_article_query q = { .scheduled_only = true, .limit = 200 };
	check_plan("sweep, first batch", MH_STORE_PLAN_ARTICLES, &q, "articles", "articles_stream");
	q.before_published_at = now + 5000;
	q.before_id = 77;
	check_plan("sweep, next batch", MH_STORE_PLAN_ARTICLES, &q, "articles", "articles_stream");
	check_plan("sweep, unfinished jobs", MH_STORE_PLAN_JOBS_BY_STATE, NULL, "jobs", "jobs_due");
	check_plan("job claim", MH_STORE_PLAN_JOB_CLAIM, NULL, "jobs", "jobs_due");
	check_plan("jobs prune", MH_STORE_PLAN_JOBS_PRUNE, NULL, "jobs", "jobs_due");
	check_plan("change log: newest", MH_STORE_PLAN_CHANGE_LAST, NULL, "changes", NULL);
	check_plan("change log: since", MH_STORE_PLAN_CHANGES_SINCE, NULL, "changes", NULL);
	check_plan("change log: prune", MH_STORE_PLAN_CHANGES_PRUNE, NULL, "changes", "changes_created");
}

Test(scale, a_deep_page_of_every_list_is_an_index_range_without_offset)
{
	seed();
	struct {
		const char *what;
		struct mh_article_query q;
	} lists[] = {
		{ "latest", { 0 } },
		{ "section", { .section_id = sections[1] } },
		{ "picks", { .staff_picks_only = true } },
		{ "author", { .author_id = authors[2] } },
		{ "tag", { .tag_id = tags[1] } },
	};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct mh_article_query q = lists[i].q;
		q.limit = 21;
		q.before_published_at = now - 50000;
		q.before_id = 100;
		check_plan(lists[i].what, MH_STORE_PLAN_ARTICLES, &q, "articles", NULL);
		/* the Newer link's read, ascending from a page's first article */
		struct mh_article_query nq = lists[i].q;
		nq.limit = 21;
		nq.after_published_at = now - 50000;
		nq.after_id = 100;
		check_plan(lists[i].what, MH_STORE_PLAN_ARTICLES, &nq, "articles", NULL);
	}
}

/* ---- keyset pages against the full list ---- */

static bool listed(const struct truth *t, const struct mh_article_query *q)
{
	if (t->status != MH_ARTICLE_PUBLISHED || t->published_at > now)
		return false;
	if (q->section_id && t->section_id != q->section_id)
		return false;
	if (q->staff_picks_only && !t->pick)
		return false;
	for (int k = 0; k < N_AUTHORS; k++)
		if (q->author_id == authors[k] && !t->author[k])
			return false;
	for (int k = 0; k < N_TAGS; k++)
		if (q->tag_id == tags[k] && !t->tag[k])
			return false;
	return true;
}

static int newest_first(const void *x, const void *y)
{
	const struct truth *a = *(const struct truth *const *)x, *b = *(const struct truth *const *)y;
	if (a->published_at != b->published_at)
		return a->published_at > b->published_at ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

Test(scale, keyset_pages_of_every_list_walked_both_ways_equal_the_full_ordered_list)
{
	seed();
	struct {
		const char *what;
		struct mh_article_query q;
	} lists[] = {
		{ "latest", { 0 } },
		{ "section", { .section_id = sections[0] } },
		{ "picks", { .staff_picks_only = true } },
		{ "author", { .author_id = authors[1] } },
		{ "tag", { .tag_id = tags[0] } },
	};
	enum { PER_PAGE = 20 };
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		/* the truth, newest first */
		const struct truth *want[N_ARTS];
		size_t nw = 0;
		for (int i = 0; i < N_ARTS; i++)
			if (listed(&truths[i], &lists[l].q))
				want[nw++] = &truths[i];
		qsort(want, nw, sizeof(want[0]), newest_first);
		cr_assert(nw > 2 * PER_PAGE, "%s: only %zu articles, too few pages to test", lists[l].what, nw);
		/* older, page by page, from the newest */
		int64_t got[N_ARTS];
		size_t ng = 0;
		struct mh_article_query q = lists[l].q;
		q.limit = PER_PAGE;
		q.now = now;
		for (int pages = 0;; pages++) {
			cr_assert(pages <= N_ARTS / PER_PAGE + 1, "%s: the walk does not end", lists[l].what);
			struct mh_article *arts = NULL;
			size_t n = 0;
			cr_assert_eq(mh_store_articles(st, ar, &q, &arts, &n), MH_OK);
			for (size_t i = 0; i < n; i++) {
				cr_assert(ng < N_ARTS, "%s: more articles than exist", lists[l].what);
				got[ng++] = arts[i].id;
			}
			if (n < PER_PAGE)
				break;
			q.before_published_at = arts[n - 1].published_at;
			q.before_id = arts[n - 1].id;
		}
		cr_assert_eq(ng, nw, "%s: %zu listed, %zu expected", lists[l].what, ng, nw);
		for (size_t i = 0; i < nw; i++)
			cr_assert_eq(got[i], want[i]->id, "%s: position %zu", lists[l].what, i);
		/* newer, page by page, from the oldest: the same list reversed */
		struct mh_article_query nq = lists[l].q;
		nq.limit = PER_PAGE;
		nq.now = now;
		nq.after_published_at = want[nw - 1]->published_at;
		nq.after_id = want[nw - 1]->id;
		size_t pos = nw - 1; /* the next one expected is want[pos - 1] */
		for (;;) {
			struct mh_article *arts = NULL;
			size_t n = 0;
			cr_assert_eq(mh_store_articles(st, ar, &nq, &arts, &n), MH_OK);
			for (size_t i = 0; i < n; i++) {
				cr_assert(pos > 0, "%s: newer walk goes past the newest", lists[l].what);
				pos--;
				cr_assert_eq(arts[i].id, want[pos]->id, "%s: newer walk at %zu", lists[l].what, pos);
			}
			if (n < PER_PAGE)
				break;
			nq.after_published_at = arts[n - 1].published_at;
			nq.after_id = arts[n - 1].id;
		}
		cr_assert_eq(pos, 0, "%s: the newer walk stopped at %zu", lists[l].what, pos);
	}
}

/* ---- the newsroom's list (/admin/articles): status, section, author, headline ---- */

/* Each filter of the admin list, first page and a deep one, is an index
 * range: the status through (status, published_at, id), with a section
 * through (section_id, status, ...); the headline is a condition on the rows
 * of that range, never a scan of the table. */
Test(scale, the_newsroom_filters_are_served_by_an_index)
{
	seed();
	static const enum mh_article_status statuses[] = { MH_ARTICLE_DRAFT, MH_ARTICLE_REVIEW, MH_ARTICLE_SCHEDULED,
							   MH_ARTICLE_PUBLISHED };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "newsroom: %s", mh_article_status_name(statuses[i]));
		struct mh_article_query q = { .any_status = true, .status_only = true, .status = statuses[i],
					      .limit = 21 };
		check_plan(what, MH_STORE_PLAN_ARTICLES, &q, "articles", "articles_stream");
		q.before_set = true;
		q.before_published_at = now - 50000;
		q.before_id = 100;
		check_plan(what, MH_STORE_PLAN_ARTICLES, &q, "articles", "articles_stream");
		q.headline_has = "art-1";
		check_plan(what, MH_STORE_PLAN_ARTICLES, &q, "articles", "articles_stream");
		q.section_id = sections[1];
		check_plan(what, MH_STORE_PLAN_ARTICLES, &q, "articles", "articles_section");
		q.section_id = 0;
		q.author_id = authors[1];
		check_plan(what, MH_STORE_PLAN_ARTICLES, &q, "articles", NULL);
		/* the dashboard's lists: a few rows of one status, newest
		 * first, or soonest first (Scheduled), anyone's or one byline's */
		struct mh_article_query d = { .any_status = true, .status_only = true, .status = statuses[i], .limit = 5 };
		check_plan(what, MH_STORE_PLAN_ARTICLES, &d, "articles", "articles_stream");
		d.after_published_at = 1;
		check_plan(what, MH_STORE_PLAN_ARTICLES, &d, "articles", "articles_stream");
		d.author_id = authors[2];
		check_plan(what, MH_STORE_PLAN_ARTICLES, &d, "articles", NULL);
	}
}

/* Walking the pages of a status filter with a headline search and a
 * section, as /admin/articles does, gives exactly the matching articles,
 * each once, newest first; and a headline's '%' and '_' are plain text. */
Test(scale, newsroom_filter_pages_equal_the_matching_articles)
{
	seed();
	static const enum mh_article_status statuses[] = { MH_ARTICLE_DRAFT, MH_ARTICLE_SCHEDULED,
							   MH_ARTICLE_PUBLISHED };
	for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
		for (int with_q = 0; with_q < 2; with_q++) {
			const struct truth *want[N_ARTS];
			size_t nw = 0;
			for (int i = 0; i < N_ARTS; i++) {
				char slug[32];
				snprintf(slug, sizeof(slug), "art-%d", i);
				if (truths[i].status != statuses[s] || truths[i].section_id != sections[0])
					continue;
				if (with_q && strstr(slug, "ART-1") == NULL && strncmp(slug, "art-1", 5) != 0)
					continue;
				want[nw++] = &truths[i];
			}
			cr_assert(nw > 0, "%s: the seed has none", mh_article_status_name(statuses[s]));
			qsort(want, nw, sizeof(want[0]), newest_first);
			struct mh_article_query q = { .any_status = true, .status_only = true, .status = statuses[s],
						      .section_id = sections[0], .limit = 7,
						      .headline_has = with_q ? "ART-1" : NULL };
			size_t got = 0;
			for (int page = 0; page < 100; page++) {
				struct mh_article *arts = NULL;
				size_t n = 0;
				cr_assert_eq(mh_store_articles(st, ar, &q, &arts, &n), MH_OK);
				for (size_t k = 0; k < n; k++, got++) {
					cr_assert(got < nw, "%s: more rows than match", mh_article_status_name(statuses[s]));
					cr_assert_eq(arts[k].id, want[got]->id, "%s%s: row %zu is %lld, not %lld",
						     mh_article_status_name(statuses[s]), with_q ? " q" : "", got,
						     (long long)arts[k].id, (long long)want[got]->id);
				}
				if (n < 7)
					break;
				q.before_set = true;
				q.before_published_at = arts[n - 1].published_at;
				q.before_id = arts[n - 1].id;
			}
			cr_assert_eq(got, nw, "%s: %zu of %zu", mh_article_status_name(statuses[s]), got, nw);
		}
	}
	struct mh_article_query q = { .any_status = true, .status_only = true, .status = MH_ARTICLE_PUBLISHED,
				      .headline_has = "art_1" };
	struct mh_article *arts = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_articles(st, ar, &q, &arts, &n), MH_OK);
	cr_assert_eq(n, 0, "'_' matched any character");
	q.headline_has = "%";
	cr_assert_eq(mh_store_articles(st, ar, &q, &arts, &n), MH_OK);
	cr_assert_eq(n, 0, "'%%' matched anything");
}

/* Issue 9's sitemaps: a page of the articles sitemap, and the index's step
 * to the next page, each read one range of the primary key (no page of a
 * sitemap reads the whole table, however long the archive). */
Test(scale, a_sitemap_page_reads_one_range_of_the_primary_key)
{
	seed();
	static const struct {
		const char *what;
		enum mh_store_plan_of which;
	} plans[] = {
		{ "sitemap: a page of articles", MH_STORE_PLAN_SITEMAP_ARTICLES },
		{ "sitemap: the next page's first id", MH_STORE_PLAN_SITEMAP_NEXT_ID },
	};
	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		check_plan(plans[i].what, plans[i].which, NULL, "articles", NULL);
		struct mh_buf plan = MH_BUF_INIT;
		cr_assert_eq(mh_store_plan(st, plans[i].which, NULL, &plan), MH_OK);
		const char *p = mh_buf_cstr(&plan);
		/* SQLite: "SEARCH a USING INTEGER PRIMARY KEY (rowid>? ...)";
		 * PostgreSQL: an index scan of articles_pkey with an Index Cond */
		cr_assert(strstr(p, on_pg ? "articles_pkey" : "INTEGER PRIMARY KEY (rowid>?") != NULL,
			  "%s: not a range of the primary key:\n%s", plans[i].what, p);
		mh_buf_free(&plan);
	}
	/* and what it reads: the published ones of the range, by id */
	struct mh_arena *a = mh_arena_new();
	struct mh_article *arts = NULL;
	size_t n = 0;
	cr_assert_eq(mh_store_sitemap_articles(st, a, 0, 1000000, 50000, &arts, &n), MH_OK);
	cr_assert(n > 0);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(arts[i].status, MH_ARTICLE_PUBLISHED);
		cr_assert(arts[i].published_at <= mh_time_now());
		cr_assert(i == 0 || arts[i - 1].id < arts[i].id, "not by id");
	}
	int64_t first = 0;
	cr_assert_eq(mh_store_sitemap_next_id(st, 0, &first), MH_OK);
	cr_assert_eq(first, arts[0].id);
	int64_t next = 0;
	cr_assert_eq(mh_store_sitemap_next_id(st, arts[n - 1].id, &next), MH_OK);
	cr_assert_eq(next, 0, "a published article after the last one read: %lld", (long long)next);
	size_t m = 0;
	struct mh_article *part = NULL;
	cr_assert_eq(mh_store_sitemap_articles(st, a, arts[0].id, arts[n - 1].id, 50000, &part, &m), MH_OK);
	cr_assert_eq(m, n - 1, "the range (after, upto] read %zu of %zu", m, n - 1);
	cr_assert_eq(mh_store_sitemap_articles(st, a, 0, 10, 50001, &part, &m), MH_INVALID);
	cr_assert_eq(mh_store_sitemap_articles(st, a, 10, 5, 10, &part, &m), MH_INVALID);
	mh_arena_free(a);
}
