/*
 * site/views.c: /views/ID, the addresses of issue 8's view counting.
 *   POST /views/ID       the beacon a page sends once read (navigator.sendBeacon):
 *                        204, never cached, whatever the verdict (an unknown
 *                        or forged id is dropped at the flush, unseen);
 *                        429 with Retry-After past the address's rate limit
 *   GET  /views/ID.gif   the same for a page read without JavaScript (an
 *                        image in <noscript>): a 1x1 transparent GIF
 *   GET  /views/ID.json  the article's count as the page shows it:
 *                        {"id":ID,"views":N,"display":"7,118"}, kept by
 *                        browsers and caches for [views] refresh seconds
 *                        (never purged per read: its Surrogate-Key is
 *                        "views", which nothing purges), 404 for an article
 *                        that is not published
 * The beacon never touches the database: it is judged and counted in
 * memory (audience/), so a flood costs no more than a cached page.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "site/site.h"

/* the smallest transparent GIF (43 bytes) */
static const unsigned char PIXEL_GIF[] = {
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

/* "42" of "42.json": a positive id followed by exactly ext ("" for none). */
static bool parse_id(struct mh_str arg, const char *ext, int64_t *id)
{
	size_t elen = strlen(ext);
	if (arg.len <= elen || memcmp(arg.ptr + arg.len - elen, ext, elen) != 0)
		return false;
	struct mh_str digits = { arg.ptr, arg.len - elen };
	if (digits.len == 0 || digits.len > 18)
		return false;
	for (size_t i = 0; i < digits.len; i++)
		if (digits.ptr[i] < '0' || digits.ptr[i] > '9')
			return false;
	return mh_str_to_i64(digits, id) && *id > 0;
}

/* Judges and counts one beacon; false when it has answered 429. */
static bool beacon(struct mh_site_req *r, int64_t id)
{
	struct mh_views *v = mh_site_views(r->site);
	if (v == NULL)
		return true;
	struct mh_str purpose = mh_request_header(r->http, "sec-purpose");
	if (purpose.ptr == NULL)
		purpose = mh_request_header(r->http, "purpose");
	if (purpose.ptr == NULL)
		purpose = mh_request_header(r->http, "x-moz");
	struct mh_view_read rd = {
		.article_id = id,
		.address = mh_site_client_key(r),
		.user_agent = mh_request_header(r->http, "user-agent"),
		.purpose = purpose,
		.fetch_dest = mh_request_header(r->http, "sec-fetch-dest"),
		.now = mh_time_now(),
		.now_us = mh_time_now_us(),
	};
	int retry = 1;
	if (mh_views_count(v, r->http->worker, &rd, &retry) == MH_VIEW_LIMITED) {
		mh_response_header(r->http, "retry-after", mh_str_c(mh_arena_printf(r->a, "%d", retry)));
		mh_response_error(r->http, 429, "Too many view beacons from this address; try again later.");
		return false;
	}
	return true;
}

static void count_json(struct mh_site_req *r, int64_t id)
{
	struct mh_store *st = mh_site_store(r);
	int64_t total = 0;
	enum mh_store_rc rc = st != NULL ? mh_store_views_get(st, id, &total) : MH_UNAVAILABLE;
	struct mh_buf b = MH_BUF_INIT;
	if (rc == MH_NOT_FOUND) {
		mh_response_header_c(r->http, "cache-control", "no-store");
		mh_buf_append_c(&b, "{\"error\":\"There is no published article with this id.\"}");
		mh_response_send(r->http, 404, "application/json", mh_buf_str(&b));
	} else if (rc != MH_OK) {
		mh_site_metrics_db_error(mh_site_metrics(r->site), r->http->worker, rc);
		mh_response_header_c(r->http, "retry-after", "5");
		mh_response_error(r->http, 503, "The site's database is not answering right now.");
	} else {
		const struct mh_views_settings *set = mh_site_views_settings(r->site);
		int age = set != NULL ? set->refresh_s : 60;
		mh_response_header(r->http, "cache-control",
				   mh_str_c(mh_arena_printf(r->a, "public, max-age=%d, s-maxage=%d", age, age)));
		mh_response_header_c(r->http, "surrogate-key", "views");
		struct mh_buf d = MH_BUF_INIT;
		mh_format_thousands(&d, total);
		/* digits and commas only: nothing to escape */
		mh_buf_printf(&b, "{\"id\":%lld,\"views\":%lld,\"display\":\"%.*s\",\"refresh\":%d}", (long long)id,
			      (long long)total, (int)d.len, d.ptr, age);
		mh_buf_free(&d);
		mh_response_send(r->http, 200, "application/json", mh_buf_str(&b));
	}
	mh_buf_free(&b);
}

void mh_site_views_beacon(struct mh_site_req *r, struct mh_str arg)
{
	bool post = mh_str_eq_c(r->http->method, "POST");
	int64_t id = 0;
	if (!post && parse_id(arg, ".json", &id)) {
		count_json(r, id);
		return;
	}
	if (!post && parse_id(arg, ".gif", &id)) {
		if (!beacon(r, id))
			return;
		mh_response_header_c(r->http, "cache-control", "no-store");
		mh_response_send(r->http, 200, "image/gif", (struct mh_str){ (const char *)PIXEL_GIF, sizeof PIXEL_GIF });
		return;
	}
	if (post && parse_id(arg, "", &id)) {
		if (!beacon(r, id))
			return;
		mh_response_header_c(r->http, "cache-control", "no-store");
		mh_response_send(r->http, 204, NULL, MH_STR(""));
		return;
	}
	mh_response_header_c(r->http, "cache-control", "no-store");
	if (!post && parse_id(arg, "", &id)) {
		mh_response_header_c(r->http, "allow", "POST");
		mh_response_error(r->http, 405, "A view beacon is sent with POST (or as /views/ID.gif).");
		return;
	}
	mh_response_error(r->http, 404,
			  "View addresses are /views/ID (POST), /views/ID.gif and /views/ID.json, ID an article's number.");
}
