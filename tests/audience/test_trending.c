/* Trending (issue 8) on a real database: the store's ranking (reads in the
 * window, the decay arithmetic, ties to the newer article, only published
 * articles, each section's own list), its plan (an index, no table scan),
 * and the module's snapshots (swapped whole, "changed" only when the lists
 * are). The same binary runs on both backends (tests/audience/meson.build):
 * MH_TEST_BACKEND=postgres uses a fresh database on the cluster named by
 * MASTHEAD_TEST_PG_URL, and fails without it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test_pg.h"
#include "audience/audience.h"
#include "store/store.h"

static char dir[64], url[512], admin_url[512], db_name[64];
static bool on_pg;
static struct mh_store *st;
static struct mh_arena *ar;
static struct mh_buf err;
static int64_t sec_news, sec_sport, now, hour;

static void setup(void)
{
	strcpy(dir, "/tmp/mh-trending-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	on_pg = mh_test_pg_wanted();
	if (on_pg)
		mh_test_pg_create("mh_trending", url, admin_url, db_name);
	else
		snprintf(url, sizeof url, "%s/site.db", dir);
	err = (struct mh_buf)MH_BUF_INIT;
	int version = 0;
	cr_assert_eq(mh_store_open(url, dir, true, &st, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_store_migrate(st, &version, &err), MH_OK, "%s", mh_buf_cstr(&err));
	ar = mh_arena_new();
	struct mh_section s = { .slug = "news", .name = "News", .position = 1 };
	cr_assert_eq(mh_store_section_save(st, &s, &err), MH_OK, "%s", mh_buf_cstr(&err));
	sec_news = s.id;
	struct mh_section s2 = { .slug = "sport", .name = "Sport", .position = 2 };
	cr_assert_eq(mh_store_section_save(st, &s2, &err), MH_OK, "%s", mh_buf_cstr(&err));
	sec_sport = s2.id;
	now = mh_time_now();
	hour = now - now % 3600;
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

TestSuite(trending, .init = setup, .fini = teardown, .timeout = 90);

/* A published article in sec, published age seconds ago. */
static int64_t add(const char *slug, int64_t sec, int64_t age)
{
	struct mh_article a = {
		.slug = slug, .headline = slug, .body_md = "b", .body_html = "<p>b</p>", .lead_html = "<p>b</p>",
		.section_id = sec, .status = MH_ARTICLE_PUBLISHED, .published_at = now - age,
	};
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s: %s", slug, mh_buf_cstr(&err));
	return a.id;
}

/* n reads of id in the hour bucket hours_ago before now's. */
static void reads(int64_t id, int hours_ago, int64_t n)
{
	struct mh_view_count c = { .article_id = id, .hour = hour - (int64_t)hours_ago * 3600, .n = n };
	int64_t added = 0;
	cr_assert_eq(mh_store_views_add(st, &c, 1, &added), MH_OK);
	cr_assert_eq(added, n);
}

static size_t rank(int window, int half_life, size_t per, struct mh_trending_row **rows)
{
	size_t n = 0;
	cr_assert_eq(mh_store_trending(st, ar, now, window, half_life, per, rows, &n), MH_OK);
	return n;
}

Test(trending, ranked_by_decayed_reads_in_the_window)
{
	int64_t a = add("a", sec_news, 3 * 86400), b = add("b", sec_news, 3 * 86400), c = add("c", sec_news, 3 * 86400);
	reads(a, 0, 5);
	reads(b, 0, 9);
	reads(c, 1, 2);
	reads(c, 2, 2);
	struct mh_trending_row *r;
	size_t n = rank(48, 12, 10, &r);
	cr_assert_eq(n, 3);
	cr_assert_eq(r[0].article_id, b);
	cr_assert_eq(r[1].article_id, a);
	cr_assert_eq(r[2].article_id, c);
	cr_assert_eq(r[0].views, 9);
	cr_assert_eq(r[2].views, 4);
	/* the decay arithmetic: each hour's reads times 0.5^(age/half-life),
	 * in millionths */
	cr_assert_eq(r[0].score, 9000000);
	int64_t want = llround(2e6 * pow(0.5, 1.0 / 12) + 2e6 * pow(0.5, 2.0 / 12));
	cr_assert(llabs(r[2].score - want) <= 1, "score %lld, want %lld", (long long)r[2].score, (long long)want);
	cr_assert_str_eq(r[0].slug, "b");
	cr_assert_eq(r[0].section_id, sec_news);
}

Test(trending, old_reads_weigh_less_than_fewer_new_ones)
{
	int64_t old = add("old", sec_news, 3 * 86400), fresh = add("fresh", sec_news, 3 * 86400);
	/* 40 reads 40 hours ago weigh 40 * 0.5^(40/12) = 3.97 with a 12 h half-life */
	reads(old, 40, 40);
	reads(fresh, 0, 5);
	struct mh_trending_row *r;
	size_t n = rank(48, 12, 10, &r);
	cr_assert_eq(n, 2);
	cr_assert_eq(r[0].article_id, fresh, "5 reads now beat 40 reads 40 hours ago");
	cr_assert_eq(r[1].article_id, old);
	cr_assert_eq(r[1].views, 40, "views are the plain reads of the window");
	/* a longer half-life turns it round: 40 * 0.5^(40/48) = 22.4 */
	n = rank(48, 48, 10, &r);
	cr_assert_eq(r[0].article_id, old);
	/* outside the window they do not count at all */
	n = rank(24, 12, 10, &r);
	cr_assert_eq(n, 1);
	cr_assert_eq(r[0].article_id, fresh);
}

Test(trending, ties_go_to_the_newer_article)
{
	int64_t older = add("older", sec_news, 5 * 3600), newer = add("newer", sec_news, 2 * 3600),
		newest_unread = add("unread", sec_news, 60);
	(void)newest_unread;
	reads(older, 1, 7);
	reads(newer, 1, 7);
	struct mh_trending_row *r;
	size_t n = rank(48, 12, 10, &r);
	cr_assert_eq(n, 2, "an article nobody read is not trending");
	cr_assert_eq(r[0].article_id, newer);
	cr_assert_eq(r[1].article_id, older);
	cr_assert_eq(r[0].score, r[1].score);
}

Test(trending, only_published_articles)
{
	int64_t live = add("live", sec_news, 3600), gone = add("gone", sec_news, 3600);
	reads(live, 0, 1);
	reads(gone, 0, 50);
	/* withdrawn after it was read: back to a draft */
	struct mh_article *g = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, gone, &g), MH_OK);
	g->status = MH_ARTICLE_DRAFT;
	cr_assert_eq(mh_store_article_save(st, g, &err), MH_OK, "%s", mh_buf_cstr(&err));
	/* and one scheduled for later, read while it was out (forged or not) */
	int64_t later = add("later", sec_news, 3600);
	reads(later, 0, 60);
	struct mh_article *l = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, later, &l), MH_OK);
	l->status = MH_ARTICLE_SCHEDULED;
	l->published_at = now + 86400;
	cr_assert_eq(mh_store_article_save(st, l, &err), MH_OK, "%s", mh_buf_cstr(&err));
	struct mh_trending_row *r;
	size_t n = rank(48, 12, 10, &r);
	cr_assert_eq(n, 1);
	cr_assert_eq(r[0].article_id, live);
}

Test(trending, every_section_has_its_own_best)
{
	int64_t news[12], sport[3];
	char slug[32];
	for (int i = 0; i < 12; i++) {
		snprintf(slug, sizeof slug, "news-%d", i);
		news[i] = add(slug, sec_news, 86400);
		reads(news[i], 0, 100 + i);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(slug, sizeof slug, "sport-%d", i);
		sport[i] = add(slug, sec_sport, 86400);
		reads(sport[i], 0, 1 + i);
	}
	struct mh_trending_row *r;
	size_t n = rank(48, 12, 10, &r);
	/* at most 10 a section: news' 10 best and sport's 3 */
	cr_assert_eq(n, 13);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(r[i].article_id, news[11 - i], "site rank %d", i + 1);
	size_t in_sport = 0;
	for (size_t i = 0; i < n; i++)
		if (r[i].section_id == sec_sport)
			cr_assert_eq(r[i].article_id, sport[2 - in_sport++]);
	cr_assert_eq(in_sport, 3);
	cr_assert_eq(mh_store_trending(st, ar, now, 0, 12, 10, &r, &n), MH_INVALID);
	cr_assert_eq(mh_store_trending(st, ar, now, 48, 0, 10, &r, &n), MH_INVALID);
	cr_assert_eq(mh_store_trending(st, ar, now, 48, 12, 0, &r, &n), MH_INVALID);
}

Test(trending, planned_on_an_index)
{
	struct mh_buf plan = MH_BUF_INIT;
	cr_assert_eq(mh_store_plan(st, MH_STORE_PLAN_TRENDING, NULL, &plan), MH_OK);
	const char *p = mh_buf_cstr(&plan);
	if (on_pg) {
		/* planned with enable_seqscan off: a Seq Scan left means no index */
		cr_assert_null(strstr(p, "Seq Scan on article_view_hours"), "%s", p);
		cr_assert_null(strstr(p, "Seq Scan on articles"), "%s", p);
		cr_assert_not_null(strstr(p, "article_view_hours_hour"), "the hour index reads the window:\n%s", p);
	} else {
		cr_assert_not_null(strstr(p, "SEARCH h USING INDEX article_view_hours_hour (hour>? AND hour<?)"),
				   "the hour index reads the window:\n%s", p);
		cr_assert_null(strstr(p, "SCAN h"), "%s", p);
		cr_assert_null(strstr(p, "SCAN a"), "%s", p);
	}
	mh_buf_free(&plan);
}

static int changes;
static void on_change(void *ctx)
{
	(void)ctx;
	changes++;
}

Test(trending, snapshots_swap_whole_and_change_only_when_the_lists_do)
{
	int64_t a = add("a", sec_news, 3600), b = add("b", sec_sport, 3600);
	reads(a, 0, 3);
	struct mh_trending_settings set = { .interval_s = 60, .half_life_hours = 12, .window_hours = 48 };
	struct mh_trending *t = mh_trending_start(&set, url, dir, &err);
	cr_assert_not_null(t, "%s", mh_buf_cstr(&err));
	mh_trending_listen(t, on_change, NULL);
	const struct mh_trending_snapshot *s1 = mh_trending_get(t);
	cr_assert_eq(s1->n_top, 1);
	cr_assert_eq(s1->top[0].article_id, a);
	cr_assert_eq(s1->top[0].rank, 1);
	cr_assert_eq(s1->n_sections, 2);
	const struct mh_trending_section *news = mh_trending_section_by_slug(s1, MH_STR("news"));
	cr_assert_not_null(news);
	cr_assert_str_eq(news->name, "News");
	cr_assert_eq(news->n, 1);
	cr_assert_eq(mh_trending_section_by_id(s1, sec_sport)->n, 0);
	cr_assert_null(mh_trending_section_by_slug(s1, MH_STR("nope")));
	/* nothing new: no change */
	bool changed = true;
	cr_assert_eq(mh_trending_recompute(t, &changed), MH_OK);
	cr_assert_not(changed);
	cr_assert_eq(changes, 0);
	/* b overtakes a: a new snapshot; the one held stays as it was */
	reads(b, 0, 5);
	cr_assert_eq(mh_trending_recompute(t, &changed), MH_OK);
	cr_assert(changed);
	cr_assert_eq(changes, 1);
	const struct mh_trending_snapshot *s2 = mh_trending_get(t);
	cr_assert_eq(s2->n_top, 2);
	cr_assert_eq(s2->top[0].article_id, b);
	cr_assert_eq(s2->top[1].rank, 2);
	cr_assert_eq(s2->version, s1->version + 1);
	cr_assert_eq(mh_trending_section_by_id(s2, sec_sport)->items[0].article_id, b);
	cr_assert_eq(s1->n_top, 1);
	cr_assert_eq(s1->top[0].article_id, a);
	mh_trending_release(s1);
	/* one more read changes a count, not the order: still a change */
	reads(a, 0, 1);
	cr_assert_eq(mh_trending_recompute(t, &changed), MH_OK);
	cr_assert(changed);
	mh_trending_stop(t);
	/* a snapshot held past the stop is still good */
	cr_assert_eq(s2->top[0].article_id, b);
	mh_trending_release(s2);
}
