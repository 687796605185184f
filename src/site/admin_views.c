/*
 * site/admin_views.c: /admin/views, the newsroom's view counts (issue 8),
 * for editors and owners: the most-read articles today, this week and this
 * month, and one article's reads per day over the last 30 days as a chart
 * (SVG made here and filled in by the admin theme: no script). Days are
 * UTC days, as the hourly buckets are stored.
 */
#include <string.h>
#include <time.h>

#include "site/site.h"

#define DAY 86400
#define CHART_DAYS 30
#define TOP_N 10
/* the chart's drawing area, in SVG user units */
#define CHART_W 600
#define CHART_H 160
#define BAR_GAP 2

static const char *thousands(struct mh_arena *a, int64_t n)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_format_thousands(&b, n);
	const char *s = mh_arena_strndup(a, b.ptr, b.len);
	mh_buf_free(&b);
	return s;
}

/* A UTC day as text (the buckets' days are UTC, whatever the site's zone). */
static const char *day_text(struct mh_arena *a, int64_t day, const char *fmt)
{
	time_t t = (time_t)day;
	struct tm tm;
	char out[64];
	if (gmtime_r(&t, &tm) == NULL || strftime(out, sizeof out, fmt, &tm) == 0)
		return "?";
	return mh_arena_strdup(a, out);
}

static void message(struct mh_site_req *r, int status, const char *title, const char *text)
{
	mh_site_admin_message(r, status, title, text, "/admin/views", "Back to the views");
}

/* One top list: {title, rows: [{headline, url, chart_url, views}], empty}. */
static enum mh_store_rc top_list(struct mh_site_req *r, struct mh_val *lists, const char *title, int64_t since,
				 int64_t *first_id)
{
	struct mh_view_top *top = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_views_top(r->store, r->a, since, TOP_N, &top, &n);
	if (rc != MH_OK)
		return rc;
	struct mh_val *l = mh_val_map(r->a), *rows = mh_val_list(r->a);
	mh_val_set_cstr(r->a, l, "title", title);
	for (size_t i = 0; i < n; i++) {
		struct mh_val *row = mh_val_map(r->a);
		mh_val_set_cstr(r->a, row, "headline", top[i].headline);
		mh_val_set_cstr(r->a, row, "url", mh_arena_printf(r->a, "/articles/%s", top[i].slug));
		mh_val_set_cstr(r->a, row, "chart_url",
				mh_arena_printf(r->a, "/admin/views?article=%lld", (long long)top[i].article_id));
		mh_val_set_cstr(r->a, row, "views", thousands(r->a, top[i].views));
		mh_val_push(r->a, rows, row);
	}
	mh_val_set(r->a, l, "rows", rows);
	mh_val_set_bool(r->a, l, "empty", n == 0);
	mh_val_push(r->a, lists, l);
	if (first_id != NULL && *first_id == 0 && n > 0)
		*first_id = top[0].article_id;
	return MH_OK;
}

/* The chart of one article: {headline, url, bars: [{x, y, w, h, label}],
 * days: [{date, views}], total, max, first, last}. */
static enum mh_store_rc chart(struct mh_site_req *r, const struct mh_article *art, int64_t today)
{
	int64_t since = today - (CHART_DAYS - 1) * DAY;
	struct mh_view_day *days = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_views_daily(r->store, r->a, art->id, since, &days, &n);
	if (rc != MH_OK)
		return rc;
	int64_t per_day[CHART_DAYS] = { 0 }, max = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t k = (days[i].day - since) / DAY;
		if (k >= 0 && k < CHART_DAYS)
			per_day[k] += days[i].views;
	}
	for (int k = 0; k < CHART_DAYS; k++) {
		total += per_day[k];
		if (per_day[k] > max)
			max = per_day[k];
	}
	struct mh_val *c = mh_val_map(r->a), *bars = mh_val_list(r->a), *list = mh_val_list(r->a);
	int bw = CHART_W / CHART_DAYS;
	for (int k = 0; k < CHART_DAYS; k++) {
		int64_t day = since + (int64_t)k * DAY;
		/* a bar's height in proportion to the busiest day; a day with
		 * reads gets at least one unit, so that it shows */
		int64_t h = max > 0 ? per_day[k] * CHART_H / max : 0;
		if (per_day[k] > 0 && h == 0)
			h = 1;
		struct mh_val *b = mh_val_map(r->a);
		mh_val_set_int(r->a, b, "x", k * bw + BAR_GAP / 2);
		mh_val_set_int(r->a, b, "w", bw - BAR_GAP);
		mh_val_set_int(r->a, b, "y", CHART_H - h);
		mh_val_set_int(r->a, b, "h", h);
		const char *date = day_text(r->a, day, "%Y-%m-%d");
		mh_val_set_cstr(r->a, b, "label",
				mh_arena_printf(r->a, "%s: %s views", date, thousands(r->a, per_day[k])));
		mh_val_push(r->a, bars, b);
		struct mh_val *d = mh_val_map(r->a);
		mh_val_set_cstr(r->a, d, "date", date);
		mh_val_set_cstr(r->a, d, "views", thousands(r->a, per_day[k]));
		mh_val_push(r->a, list, d);
	}
	mh_val_set_cstr(r->a, c, "headline", art->headline);
	mh_val_set_cstr(r->a, c, "url", mh_arena_printf(r->a, "/articles/%s", art->slug));
	mh_val_set(r->a, c, "bars", bars);
	mh_val_set(r->a, c, "days", list);
	mh_val_set_cstr(r->a, c, "total", thousands(r->a, total));
	mh_val_set_cstr(r->a, c, "max", thousands(r->a, max));
	mh_val_set_cstr(r->a, c, "first", day_text(r->a, since, "%B %-d"));
	mh_val_set_cstr(r->a, c, "last", day_text(r->a, today, "%B %-d"));
	mh_val_set_int(r->a, c, "width", CHART_W);
	mh_val_set_int(r->a, c, "height", CHART_H);
	mh_val_set(r->a, r->ctx, "chart", c);
	return MH_OK;
}

void mh_site_admin_views(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_str want = MH_STR("");
	int64_t article_id = 0;
	if (mh_request_query(r->http, "article", &want) &&
	    (want.len == 0 || want.len > 18 || !mh_str_to_i64(want, &article_id) || article_id <= 0)) {
		message(r, 400, "Unknown article", "The article= value must be an article's number, as in the lists.");
		return;
	}
	r->store = mh_site_store(r);
	if (r->store == NULL) {
		message(r, 503, "Temporarily unavailable", "The site's database is not answering right now.");
		return;
	}
	int64_t now = mh_time_now(), today = now - now % DAY;
	mh_site_admin_ctx(r, "Views");
	struct mh_val *lists = mh_val_list(r->a);
	int64_t top_month = 0;
	enum mh_store_rc rc = top_list(r, lists, "Today", today, NULL);
	if (rc == MH_OK)
		rc = top_list(r, lists, "This week", today - 6 * DAY, NULL);
	if (rc == MH_OK)
		rc = top_list(r, lists, "This month", today - 29 * DAY, &top_month);
	struct mh_article *art = NULL;
	if (rc == MH_OK && (article_id != 0 || top_month != 0)) {
		rc = mh_store_article_by_id(r->store, r->a, article_id != 0 ? article_id : top_month, &art);
		if (rc == MH_NOT_FOUND && article_id != 0) {
			message(r, 404, "Unknown article", "There is no article with this number.");
			return;
		}
		if (rc == MH_OK)
			rc = chart(r, art, today);
	}
	if (rc != MH_OK) {
		message(r, rc == MH_UNAVAILABLE ? 503 : 500, "Temporarily unavailable",
			"The view counts could not be read from the database. Please try again in a few seconds.");
		return;
	}
	mh_val_set(r->a, r->ctx, "lists", lists);
	mh_site_admin_send(r, 200, "views");
}
