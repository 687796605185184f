/*
 * site/trending.c: Trending on the public site (issue 8), from the lists
 * audience/trending.c recomputes on this node at most every 60 s:
 *   slots.trending          the sidebar box and the list after each article
 *   slots.trending_section  "Most read in SECTION" on that section's front
 *   GET /trending           the page: the site's list, then each section's
 *   GET /trending.json      the same as JSON, ?section=SLUG for a section's
 * None of this touches the database: a page takes the snapshot of the
 * moment. A cached page keeps the lists as they were when it was made and
 * is NOT dropped when they change (that would empty the page cache every
 * minute): static/trending.js replaces them from /trending.json, which
 * browsers and caches keep no longer than [trending] interval (<= 60 s).
 * The /trending page itself carries the cache key "trending", which this
 * node drops when its lists change (site.c's listener).
 */
#include <string.h>

#include "site/site.h"

/* How many of a list the sidebar, the article's end and a front show. */
#define SHOWN 5

static void release_snapshot(void *p)
{
	mh_trending_release(p);
}

/* The snapshot of this request, held until its arena goes; NULL when the
 * node does not compute Trending (tests' sites without it). */
static const struct mh_trending_snapshot *snapshot(struct mh_site_req *r)
{
	struct mh_trending *t = mh_site_trending(r->site);
	if (t == NULL)
		return NULL;
	const struct mh_trending_snapshot *s = mh_trending_get(t);
	mh_arena_defer(r->a, release_snapshot, (void *)s);
	return s;
}

static const char *published_iso(struct mh_site_req *r, int64_t t)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_time_rfc3339(&b, t);
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

static const char *thousands(struct mh_site_req *r, int64_t n)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_format_thousands(&b, n);
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

/* The theme's list: [{rank, url, headline, views, views_display,
 * published_iso, published}], at most max. */
static struct mh_val *items_val(struct mh_site_req *r, const struct mh_trending_item *items, size_t n, size_t max)
{
	struct mh_arena *a = r->a;
	struct mh_val *list = mh_val_list(a);
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < n && i < max; i++) {
		const struct mh_trending_item *it = &items[i];
		struct mh_val *m = mh_val_map(a);
		mh_val_set_int(a, m, "rank", it->rank);
		mh_val_set_cstr(a, m, "url", MH_ARENA_CONCAT(a, "/articles/", it->slug));
		mh_val_set_cstr(a, m, "headline", it->headline);
		mh_val_set_int(a, m, "views", it->views);
		mh_val_set_cstr(a, m, "views_display", thousands(r, it->views));
		mh_val_set_cstr(a, m, "published_iso", published_iso(r, it->published_at));
		mh_buf_reset(&b);
		mh_time_format(&b, it->published_at, "%B %-d, %Y");
		mh_val_set_cstr(a, m, "published", mh_arena_strndup(a, b.ptr != NULL ? b.ptr : "", b.len));
		mh_val_push(a, list, m);
	}
	mh_buf_free(&b);
	return list;
}

void mh_site_trending_slots(struct mh_site_req *r, const struct mh_section *current)
{
	struct mh_val *slots = mh_val_get(r->ctx, "slots");
	const struct mh_trending_snapshot *s = snapshot(r);
	if (slots == NULL || s == NULL)
		return;
	mh_val_set(r->a, slots, "trending", items_val(r, s->top, s->n_top, SHOWN));
	/* the box is there (hidden while empty) whenever this node computes
	 * Trending, so that trending.js can fill it on a page cached before
	 * the first reads */
	mh_val_set_bool(r->a, slots, "has_trending", true);
	const struct mh_trending_section *sec = current != NULL ? mh_trending_section_by_id(s, current->id) : NULL;
	if (sec != NULL && sec->n > 0) {
		struct mh_val *m = mh_val_map(r->a);
		mh_val_set_cstr(r->a, m, "name", sec->name);
		mh_val_set_cstr(r->a, m, "slug", sec->slug);
		mh_val_set(r->a, m, "articles", items_val(r, sec->items, sec->n, SHOWN));
		mh_val_set(r->a, slots, "trending_section", m);
	}
}

enum mh_store_rc mh_site_page_trending(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	mh_site_view_common(r, "trending", "Trending", "The most-read articles right now.", "/trending", NULL);
	/* dropped by this node when its lists change, never by a read */
	mh_site_key(r, "trending");
	const struct mh_trending_snapshot *s = snapshot(r);
	struct mh_arena *a = r->a;
	struct mh_val *t = mh_val_map(a);
	mh_val_set(a, t, "articles", items_val(r, s != NULL ? s->top : NULL, s != NULL ? s->n_top : 0, MH_TRENDING_MAX));
	struct mh_val *secs = mh_val_list(a);
	for (size_t i = 0; s != NULL && i < s->n_sections; i++) {
		const struct mh_trending_section *sec = &s->sections[i];
		if (sec->n == 0)
			continue;
		struct mh_val *m = mh_val_map(a);
		mh_val_set_cstr(a, m, "name", sec->name);
		mh_val_set_cstr(a, m, "slug", sec->slug);
		mh_val_set_cstr(a, m, "url", MH_ARENA_CONCAT(a, "/section/", sec->slug));
		mh_val_set(a, m, "articles", items_val(r, sec->items, sec->n, SHOWN));
		mh_val_push(a, secs, m);
	}
	mh_val_set(a, t, "sections", secs);
	mh_val_set_bool(a, t, "empty", s == NULL || s->n_top == 0);
	mh_val_set(a, r->ctx, "trending", t);
	return mh_site_render(r, "trending-page");
}

/* ---- /trending.json ---- */

struct json_query {
	struct mh_str section;
	bool has_section, other;
};

static bool json_param(struct mh_str name, struct mh_str value, void *arg)
{
	struct json_query *q = arg;
	if (mh_str_eq_c(name, "section") && !q->has_section) {
		q->section = value;
		q->has_section = true;
	} else {
		q->other = true;
	}
	return true;
}

static void json_error(struct mh_site_req *r, int status, const char *message)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "{\"error\":\"");
	mh_escape_json(&b, mh_str_c(message));
	mh_buf_append_c(&b, "\"}");
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_send(r->http, status, "application/json", mh_buf_str(&b));
	mh_buf_free(&b);
}

static void json_items(struct mh_site_req *r, struct mh_buf *b, const struct mh_trending_item *items, size_t n)
{
	mh_buf_append_c(b, "[");
	for (size_t i = 0; i < n; i++) {
		const struct mh_trending_item *it = &items[i];
		mh_buf_printf(b, "%s{\"rank\":%d,\"id\":%lld,\"headline\":\"", i > 0 ? "," : "", it->rank,
			      (long long)it->article_id);
		mh_escape_json(b, mh_str_c(it->headline));
		mh_buf_append_c(b, "\",\"url\":\"/articles/");
		mh_escape_json(b, mh_str_c(it->slug));
		mh_buf_printf(b, "\",\"views\":%lld,\"views_display\":\"%s\",\"published\":\"%s\"}",
			      (long long)it->views, thousands(r, it->views), published_iso(r, it->published_at));
	}
	mh_buf_append_c(b, "]");
}

void mh_site_trending_json(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct json_query q = { 0 };
	bool ok = mh_http_parse_urlencoded(r->a, r->http->query, json_param, &q);
	/* strict, like the list pages' ?before=: an unknown parameter is a
	 * mistake worth saying, and cache-busting strings get no cache entry
	 * of their own in a cache in front */
	if (!ok || q.other) {
		json_error(r, 400, "/trending.json takes only ?section=SLUG (a section's address name), or nothing.");
		return;
	}
	const struct mh_trending_snapshot *s = snapshot(r);
	if (s == NULL) {
		json_error(r, 503, "Trending is not computed on this server.");
		return;
	}
	const struct mh_trending_section *sec = NULL;
	if (q.has_section) {
		sec = mh_trending_section_by_slug(s, q.section);
		if (sec == NULL) {
			json_error(r, 404, "There is no section with this address name.");
			return;
		}
	}
	const struct mh_trending_settings *set = mh_site_trending_settings(r->site);
	int age = set != NULL ? set->interval_s : 60;
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_printf(&b, "{\"computed_at\":\"%s\",\"refresh\":%d,\"section\":",
		      s->computed_at > 0 ? published_iso(r, s->computed_at) : "", age);
	if (sec != NULL) {
		mh_buf_append_c(&b, "{\"slug\":\"");
		mh_escape_json(&b, mh_str_c(sec->slug));
		mh_buf_append_c(&b, "\",\"name\":\"");
		mh_escape_json(&b, mh_str_c(sec->name));
		mh_buf_append_c(&b, "\"}");
	} else {
		mh_buf_append_c(&b, "null");
	}
	mh_buf_append_c(&b, ",\"articles\":");
	if (sec != NULL)
		json_items(r, &b, sec->items, sec->n);
	else
		json_items(r, &b, s->top, s->n_top);
	mh_buf_append_c(&b, "}");
	/* a cache in front keeps it at most one recomputation; nothing purges
	 * it (each node recomputes on its own, so no node could say when) */
	mh_response_header(r->http, "cache-control",
			   mh_str_c(mh_arena_printf(r->a, "public, max-age=%d, s-maxage=%d", age, age)));
	mh_response_header_c(r->http, "surrogate-key", "trending");
	mh_response_send(r->http, 200, "application/json", mh_buf_str(&b));
	mh_buf_free(&b);
}
