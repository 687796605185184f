/* site: which cache keys a change of an article makes stale, and the change
 * log follower that drops those pages in a running server. A real site
 * (init.c) on a temporary SQLite database; pages put in the real cache. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "site/site.h"

static char dir[64];
static struct mh_config cfg;
static struct mh_store *st;
static struct mh_arena *ar;
static struct mh_buf err;
static int64_t sec_latest, sec_news, sec_picks, sec_video, au1, au2, tag1;
static int64_t ids[6]; /* ids[0] newest ... ids[5] oldest */

static int64_t NOW; /* set at setup: the articles must be in the past to be listed */

static int64_t add_article(const char *slug, int64_t section, int64_t age, bool pick)
{
	struct mh_author au = { .id = au1 };
	struct mh_tag tg = { .id = tag1 };
	struct mh_article a = {
		.slug = slug, .headline = slug, .body_md = "b", .body_html = "<p>b</p>", .lead_html = "<p>b</p>",
		.section_id = section, .staff_pick = pick, .status = MH_ARTICLE_PUBLISHED,
		.published_at = NOW - age, .authors = &au, .n_authors = 1, .tags = &tg, .n_tags = 1,
	};
	cr_assert_eq(mh_store_article_save(st, &a, &err), MH_OK, "%s", mh_buf_cstr(&err));
	return a.id;
}

static void setup(void)
{
	NOW = mh_time_now() - 3600;
	strcpy(dir, "/tmp/mh-site-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	err = MH_BUF_INIT;
	cr_assert_eq(mh_cli_site_create(dir, "Test", &cfg, &st, &err), 0, "%s", mh_buf_cstr(&err));
	ar = mh_arena_new();
	struct mh_section s[] = {
		{ .slug = "latest", .name = "Latest", .position = 1, .kind = MH_SECTION_LATEST },
		{ .slug = "news", .name = "News", .position = 2 },
		{ .slug = "picks", .name = "Staff Picks", .position = 3, .kind = MH_SECTION_PICKS },
		{ .slug = "video", .name = "Video", .position = 4 },
	};
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(mh_store_section_save(st, &s[i], &err), MH_OK, "%s", mh_buf_cstr(&err));
	sec_latest = s[0].id;
	sec_news = s[1].id;
	sec_picks = s[2].id;
	sec_video = s[3].id;
	struct mh_author a1 = { .slug = "ann", .name = "Ann" }, a2 = { .slug = "bo", .name = "Bo" };
	cr_assert_eq(mh_store_author_save(st, &a1, &err), MH_OK);
	cr_assert_eq(mh_store_author_save(st, &a2, &err), MH_OK);
	au1 = a1.id;
	au2 = a2.id;
	struct mh_tag t = { .slug = "rail", .name = "Rail" };
	cr_assert_eq(mh_store_tag_ensure(st, &t, &err), MH_OK);
	tag1 = t.id;
	for (int i = 0; i < 6; i++) {
		char slug[8];
		snprintf(slug, sizeof(slug), "a%d", i);
		ids[i] = add_article(slug, sec_news, 100 * (i + 1), false);
	}
}

static void teardown(void)
{
	mh_store_close(st);
	mh_config_free(&cfg);
	mh_arena_free(ar);
	mh_buf_free(&err);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(site, .init = setup, .fini = teardown, .timeout = 60);

/* True if the space-separated keys hold exactly this key. */
static bool has_key(const struct mh_buf *keys, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i + n <= keys->len; i++) {
		if ((i == 0 || keys->ptr[i - 1] == ' ') && memcmp(keys->ptr + i, key, n) == 0 &&
		    (i + n == keys->len || keys->ptr[i + n] == ' '))
			return true;
	}
	return false;
}

static struct mh_article *load(int64_t id)
{
	struct mh_article *a = NULL;
	cr_assert_eq(mh_store_article_by_id(st, ar, id, &a), MH_OK);
	return a;
}

static char key[64];
static const char *k(const char *kind, int64_t id)
{
	snprintf(key, sizeof(key), "%s:%lld", kind, (long long)id);
	return key;
}

Test(site, headline_change_names_the_article_its_lists_and_stream_neighbours)
{
	struct mh_article *before = load(ids[3]), *after = load(ids[3]);
	after->headline = "A new headline";
	struct mh_buf keys = MH_BUF_INIT;
	cr_assert_eq(mh_content_article_change_keys(st, ar, before, after, &keys), MH_OK);
	cr_assert(has_key(&keys, "home"), "%s", mh_buf_cstr(&keys));
	cr_assert(has_key(&keys, k("article", ids[3])));
	cr_assert(has_key(&keys, k("section", sec_latest)));
	cr_assert(has_key(&keys, k("section", sec_news)));
	cr_assert(has_key(&keys, k("author", au1)));
	cr_assert(has_key(&keys, k("tag", tag1)));
	/* the three newer articles carry it in their Continue Reading stream */
	cr_assert(has_key(&keys, k("article", ids[2])));
	cr_assert(has_key(&keys, k("article", ids[1])));
	cr_assert(has_key(&keys, k("article", ids[0])));
	/* nothing it does not touch */
	cr_assert_not(has_key(&keys, k("section", sec_picks)), "not a pick: %s", mh_buf_cstr(&keys));
	cr_assert_not(has_key(&keys, k("section", sec_video)));
	cr_assert_not(has_key(&keys, k("author", au2)));
	cr_assert_not(has_key(&keys, k("article", ids[4])), "older articles' pages do not show it");
	mh_buf_free(&keys);
}

Test(site, moving_sections_authors_and_picks_names_both_sides)
{
	struct mh_article *before = load(ids[1]), *after = load(ids[1]);
	after->section_id = sec_video;
	after->staff_pick = true;
	struct mh_author bo = { .id = au2 };
	after->authors = &bo;
	after->n_authors = 1;
	struct mh_buf keys = MH_BUF_INIT;
	cr_assert_eq(mh_content_article_change_keys(st, ar, before, after, &keys), MH_OK);
	cr_assert(has_key(&keys, k("section", sec_news)), "the old section's list changes");
	cr_assert(has_key(&keys, k("section", sec_video)), "the new section's list changes");
	cr_assert(has_key(&keys, k("section", sec_picks)));
	cr_assert(has_key(&keys, k("author", au1)));
	cr_assert(has_key(&keys, k("author", au2)));
	mh_buf_free(&keys);
}

Test(site, a_new_article_names_its_lists)
{
	int64_t id = add_article("fresh", sec_video, 0, true);
	struct mh_buf keys = MH_BUF_INIT;
	cr_assert_eq(mh_content_article_change_keys(st, ar, NULL, load(id), &keys), MH_OK);
	cr_assert(has_key(&keys, k("article", id)));
	cr_assert(has_key(&keys, "home"));
	cr_assert(has_key(&keys, k("section", sec_video)));
	cr_assert(has_key(&keys, k("section", sec_picks)));
	cr_assert_not(has_key(&keys, k("section", sec_news)));
	mh_buf_free(&keys);
}

static void put(struct mh_cache *c, const char *url, const char *keys)
{
	const struct mh_cache_page *p = mh_cache_put(c, mh_str_c(url), 200, "text/html", MH_STR("<p>page</p>"),
						     mh_str_c(keys), mh_cache_generation(c));
	mh_cache_page_release(p);
}

static bool cached(struct mh_cache *c, const char *url)
{
	const struct mh_cache_page *p = mh_cache_get(c, mh_str_c(url));
	if (p != NULL)
		mh_cache_page_release(p);
	return p != NULL;
}

Test(site, the_watcher_drops_what_the_log_names_and_nothing_else)
{
	struct mh_site_options opt = { .settings = &cfg.site,
					.cache = &cfg.cache,
					.database = cfg.store.url,
					.dir = cfg.dir,
					.themes_dir = MH_SOURCE_THEMES, .threads = 1 };
	struct mh_site *site = mh_site_new(&opt, &err);
	cr_assert_not_null(site, "%s", mh_buf_cstr(&err));
	struct mh_site_watch *w = mh_site_watch_start(site, 3600 * 1000, &err); /* polled by hand */
	cr_assert_not_null(w, "%s", mh_buf_cstr(&err));
	struct mh_cache *c = mh_site_cache(site);
	put(c, "/articles/a3", "article:4");
	put(c, "/section/news", "section:2 article:4 article:5");
	put(c, "/section/video", "section:4");
	put(c, "/", "home article:1");
	cr_assert_eq(mh_site_watch_poll(w), 0, "a new watcher starts at the log's end");

	/* a change committed by another process: the CLI's path */
	struct mh_article *before = load(ids[0]), *after = load(ids[0]);
	after->headline = "Changed";
	cr_assert_eq(mh_content_article_commit(st, ar, before, after, &err), 0, "%s", mh_buf_cstr(&err));
	cr_assert_eq(mh_site_watch_poll(w), 1);
	cr_assert_not(cached(c, "/"), "home shows the changed article");
	cr_assert_not(cached(c, "/section/news"), "its section front");
	cr_assert(cached(c, "/section/video"), "another section's front stays");
	cr_assert_eq(mh_site_watch_poll(w), 0, "each entry is applied once");
	mh_site_watch_stop(w);
	mh_site_free(site);
}

Test(site, a_save_from_a_stale_read_is_refused_and_loses_nothing)
{
	/* two writers read the same article; the first saves */
	struct mh_article *mine = load(ids[2]), *base = load(ids[2]);
	struct mh_article *theirs = load(ids[2]), *their_base = load(ids[2]);
	theirs->headline = "Their headline";
	cr_assert_eq(mh_content_article_commit(st, ar, their_base, theirs, &err), 0, "%s", mh_buf_cstr(&err));
	/* the second, from its stale read, must not undo the first */
	mine->headline = "My headline";
	mh_buf_reset(&err);
	cr_assert_eq(mh_content_article_commit(st, ar, base, mine, &err), 1);
	cr_assert(strstr(mh_buf_cstr(&err), "changed by someone else") != NULL, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(load(ids[2])->headline, "Their headline");
	/* read again, it saves */
	struct mh_article *fresh = load(ids[2]), *fresh_base = load(ids[2]);
	fresh->headline = "My headline";
	cr_assert_eq(mh_content_article_commit(st, ar, fresh_base, fresh, &err), 0, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(load(ids[2])->headline, "My headline");
}

/* ---- the route table's matching (routes.c) ---- */

static const struct mh_site_route *route(const char *path, struct mh_str *arg)
{
	return mh_site_route_find(mh_str_c(path), arg);
}

Test(routes, a_star_stands_for_one_segment_which_is_the_argument)
{
	struct mh_str arg;
	const struct mh_site_route *rt = route("/admin/articles/42/revisions", &arg);
	cr_assert_not_null(rt);
	cr_assert_str_eq(rt->prefix, "/admin/articles/*/revisions");
	cr_assert(mh_str_eq_c(arg, "42"));
	/* the editor keeps its single segment */
	rt = route("/admin/articles/42", &arg);
	cr_assert_not_null(rt);
	cr_assert_str_eq(rt->prefix, "/admin/articles/");
	cr_assert(mh_str_eq_c(arg, "42"));
	/* an empty or a two-segment star, or anything after, matches nothing */
	cr_assert_null(route("/admin/articles//revisions", &arg));
	cr_assert_null(route("/admin/articles/4/2/revisions", &arg));
	cr_assert_null(route("/admin/articles/42/revisions/x", &arg));
	cr_assert_null(route("/admin/articles/42/revision", &arg));
}

Test(site, a_settings_change_in_the_log_reloads_them_and_drops_every_page)
{
	struct mh_site_options opt = { .settings = &cfg.site,
					.cache = &cfg.cache,
					.database = cfg.store.url,
					.dir = cfg.dir,
					.themes_dir = MH_SOURCE_THEMES, .threads = 1 };
	struct mh_site *site = mh_site_new(&opt, &err);
	cr_assert_not_null(site, "%s", mh_buf_cstr(&err));
	struct mh_site_watch *w = mh_site_watch_start(site, 3600 * 1000, &err); /* polled by hand */
	cr_assert_not_null(w, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(mh_site_config(site)->title, "Test");
	struct mh_cache *c = mh_site_cache(site);
	put(c, "/", "home site");
	put(c, "/section/video", "section:4 site");

	/* another node (or the CLI) saves: through the change log */
	struct mh_site_setting kv[] = { { "title", "Renamed" }, { "timezone", "Europe/Berlin" },
					{ "social", "A=https://a.example" } };
	cr_assert_eq(mh_content_site_settings_save(st, kv, 3, "t@example.org", &err), 0, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(mh_site_config(site)->title, "Test", "not before the log is read");
	cr_assert_eq(mh_site_watch_poll(w), 1);
	cr_assert_str_eq(mh_site_config(site)->title, "Renamed");
	cr_assert_str_eq(mh_site_config(site)->social_links, "A=https://a.example");
	cr_assert_str_eq(mh_site_config(site)->timezone, "Europe/Berlin", "the zone is switched at once");
	struct mh_buf when = MH_BUF_INIT;
	mh_time_format(&when, 1800000000, "%H:%M"); /* 2027-01-15 08:00 UTC */
	cr_assert_str_eq(mh_buf_cstr(&when), "09:00", "dates are shown in it");
	mh_buf_free(&when);
	cr_assert_str_eq(mh_site_config(site)->base_url, cfg.site.base_url, "site.ini's own keys stay");
	cr_assert_not(cached(c, "/"));
	cr_assert_not(cached(c, "/section/video"));
	cr_assert_eq(mh_site_watch_poll(w), 0, "each entry is applied once");

	/* a SIGHUP reload of site.ini keeps the database's values over it */
	struct mh_site_reload n = { .settings = &cfg.site, .server = NULL, .cache = &cfg.cache };
	cr_assert(mh_site_reload(site, &n, &err), "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(mh_site_config(site)->title, "Renamed");
	mh_site_watch_stop(w);
	mh_site_free(site);
}

Test(site, the_settings_checks_are_site_ini_s)
{
	struct mh_buf why = MH_BUF_INIT;
	cr_assert(mh_site_setting_check("timezone", "Europe/Berlin", &why));
	cr_assert_not(mh_site_setting_check("timezone", "Mars/Olympus", &why));
	cr_assert(strstr(mh_buf_cstr(&why), "unknown time zone") != NULL, "%s", mh_buf_cstr(&why));
	cr_assert(strstr(mh_buf_cstr(&why), "[site]") == NULL, "the problem only: %s", mh_buf_cstr(&why));
	mh_buf_reset(&why);
	cr_assert_not(mh_site_setting_check("social", "X=javascript:alert(1)", &why));
	cr_assert(strstr(mh_buf_cstr(&why), "link list") != NULL, "%s", mh_buf_cstr(&why));
	cr_assert_not(mh_site_setting_check("title", "", &why));
	cr_assert(mh_site_setting_check("tagline", "", &why));
	cr_assert_not(mh_site_setting_check("base_url", "https://x.example", &why), "not one the admin sets");
	cr_assert_not(mh_site_setting_check("video_channel_url", "ftp://x", &why));
	mh_buf_free(&why);
}
