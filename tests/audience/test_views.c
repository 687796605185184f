/* View counting: the bot list against real user agents, each verdict of a
 * beacon (bot, prefetch, repeat, rate limit), and the flush into a real
 * SQLite database, where counts for unknown articles are dropped. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "audience/audience.h"
#include "store/store.h"

static const char *const bots[] = {
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/120.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
	"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
	"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)",
	"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
	"Twitterbot/1.0",
	"curl/7.88.1",
	"Wget/1.21.3",
	"python-requests/2.31.0",
	"Python-urllib/3.11",
	"Go-http-client/1.1",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
	"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
	"",
};

static const char *const browsers[] = {
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 "
	"Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
	"Version/17.2 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile "
	"Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
	"Safari/537.36 Edg/120.0.0.0",
};

Test(views, the_bot_list_knows_bots_and_not_browsers)
{
	for (size_t i = 0; i < sizeof(bots) / sizeof(bots[0]); i++)
		cr_expect(mh_views_is_bot(mh_str_c(bots[i])), "a bot: '%s'", bots[i]);
	for (size_t i = 0; i < sizeof(browsers) / sizeof(browsers[0]); i++)
		cr_expect_not(mh_views_is_bot(mh_str_c(browsers[i])), "a browser: '%s'", browsers[i]);
	/* bytes that are not UTF-8, NULs, a long one: an answer, no crash */
	char odd[5000];
	for (size_t i = 0; i < sizeof odd; i++)
		odd[i] = (char)(i * 7 + 0x80);
	(void)mh_views_is_bot((struct mh_str){ odd, sizeof odd });
}

static char dir[256], url[512];

static void make_db(void)
{
	snprintf(dir, sizeof dir, "/tmp/mh-views-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(url, sizeof url, "%s/masthead.db", dir);
	struct mh_store *st = NULL;
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_eq(mh_store_open(url, dir, true, &st, &err), MH_OK, "%s", mh_buf_cstr(&err));
	int v = 0;
	cr_assert_eq(mh_store_migrate(st, &v, &err), MH_OK, "%s", mh_buf_cstr(&err));
	mh_store_close(st);
	mh_buf_free(&err);
}

static void drop_db(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static struct mh_view_read rd_of(int64_t id, const char *addr, const char *ua, int64_t now)
{
	return (struct mh_view_read){
		.article_id = id,
		.address = mh_str_c(addr),
		.user_agent = mh_str_c(ua),
		.now = now,
		.now_us = now * 1000000,
	};
}

Test(views, verdicts, .init = make_db, .fini = drop_db)
{
	struct mh_views_settings set = { .enabled = true, .flush_interval_s = 300, .refresh_s = 60,
					 .beacon_rate = 1, .beacon_burst = 4 };
	struct mh_buf err = MH_BUF_INIT;
	struct mh_views *v = mh_views_start(&set, 2, url, dir, &err);
	cr_assert_not_null(v, "%s", mh_buf_cstr(&err));
	const char *ua = browsers[0];
	int64_t now = 1700000000;
	struct mh_view_read rd = rd_of(7, "10.0.0.1", ua, now);
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_COUNTED);
	/* the same reader again, on another worker, 29 minutes later: a repeat */
	rd.now += 29 * 60;
	cr_assert_eq(mh_views_count(v, 1, &rd, NULL), MH_VIEW_REPEAT);
	/* another user agent from the same address is another reader */
	rd = rd_of(7, "10.0.0.1", browsers[1], now);
	cr_assert_eq(mh_views_count(v, 1, &rd, NULL), MH_VIEW_COUNTED);
	/* the address's burst (4) is spent: limited, with a time to come back */
	int retry = 0;
	rd = rd_of(8, "10.0.0.1", ua, now);
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_COUNTED);
	cr_assert_eq(mh_views_count(v, 0, &rd, &retry), MH_VIEW_LIMITED);
	cr_assert(retry >= 1);
	/* another address: a bot, a prefetch, a page that is no beacon */
	rd = rd_of(7, "10.0.0.2", bots[0], now);
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_BOT);
	rd = rd_of(7, "10.0.0.2", ua, now);
	rd.purpose = MH_STR("prefetch;prerender");
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_PREFETCH);
	rd.purpose = MH_STR("");
	rd.fetch_dest = MH_STR("document");
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_PREFETCH);
	/* 30 minutes after the first read, the first reader counts again */
	rd = rd_of(7, "10.0.0.3", ua, now);
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_COUNTED);
	rd.now += 30 * 60;
	rd.now_us = rd.now * 1000000LL;
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_COUNTED);
	rd.article_id = 0;
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_INVALID);
	/* no article 7 or 8 in this empty database: the flush drops them all */
	cr_assert_eq(mh_views_flush(v), 0);
	mh_views_stop(v);

	struct mh_store *st = NULL;
	cr_assert_eq(mh_store_open(url, dir, false, &st, &err), MH_OK);
	int64_t n = -1;
	cr_assert_eq(mh_store_count(st, "article_views", &n), MH_OK);
	cr_assert_eq(n, 0);
	cr_assert_eq(mh_store_count(st, "article_view_hours", &n), MH_OK);
	cr_assert_eq(n, 0);
	/* the reader key is one site secret, shared by every node */
	cr_assert_eq(mh_store_count(st, "site_secrets", &n), MH_OK);
	cr_assert_eq(n, 1);
	/* bad counts are refused whole */
	struct mh_view_count bad = { .article_id = 1, .hour = 3601, .n = 1 };
	cr_assert_eq(mh_store_views_add(st, &bad, 1, NULL), MH_INVALID);
	bad.hour = 3600;
	bad.n = 0;
	cr_assert_eq(mh_store_views_add(st, &bad, 1, NULL), MH_INVALID);
	int64_t total = 0;
	cr_assert_eq(mh_store_views_get(st, 1, &total), MH_NOT_FOUND);
	mh_store_close(st);
	mh_buf_free(&err);
}

Test(views, off_counts_nothing, .init = make_db, .fini = drop_db)
{
	struct mh_views_settings set = { .enabled = false, .flush_interval_s = 1, .refresh_s = 60,
					 .beacon_rate = 10, .beacon_burst = 10 };
	struct mh_buf err = MH_BUF_INIT;
	struct mh_views *v = mh_views_start(&set, 1, url, dir, &err);
	cr_assert_not_null(v, "%s", mh_buf_cstr(&err));
	struct mh_view_read rd = rd_of(7, "10.0.0.1", browsers[0], 1700000000);
	cr_assert_eq(mh_views_count(v, 0, &rd, NULL), MH_VIEW_OFF);
	mh_views_stop(v);
	mh_buf_free(&err);
}
