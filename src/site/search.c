/*
 * Search (issue 9): /search?q= (the theme's search page) and /api/v1/search?q=
 * (the same results as JSON). Both read q, section (a slug), author (a
 * slug), from and to (dates, YYYY-MM-DD, the end day included) and page
 * (1..MH_SITE_SEARCH_PAGES); the reader's text goes through
 * mh_search_parse, so whatever is typed is a search, never an error. A
 * filter that is malformed or names nothing is a 400 saying which.
 * Result pages never enter the page cache (one per query would let anyone
 * fill it): each is made for its request, a bounded number of statements
 * (sections, the filters' lookups, the search, its bylines and tags), and
 * goes out with Cache-Control: no-store and X-Robots-Tag: noindex.
 */
#include <string.h>

#include "site/site.h"

#define SEARCH_PER_PAGE 20

struct search_req {
	struct mh_str q_raw;
	const char *q; /* for showing back: valid UTF-8, no control characters, capped */
	struct mh_search_term terms[MH_SEARCH_MAX_TERMS];
	size_t n_terms;
	const char *section_slug, *author_slug, *from_s, *to_s;
	struct mh_section *section;
	struct mh_author *author;
	struct mh_search_query query;
	int page;
	const char *error; /* a 400's reason, for a person */
	struct mh_search_hit *hits;
	size_t n_hits;
	bool more;
};

/* v as text fit to show back: malformed bytes become U+FFFD, control
 * characters spaces, at most MH_SEARCH_MAX_INPUT bytes. */
static const char *display_text(struct mh_arena *a, struct mh_str v)
{
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < v.len && b.len < MH_SEARCH_MAX_INPUT;) {
		uint32_t cp;
		size_t len = mh_utf8_decode((const unsigned char *)v.ptr + i, v.len - i, &cp);
		if (len == 0) {
			mh_buf_append_c(&b, "\xEF\xBF\xBD");
			i++;
		} else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
			mh_buf_append_ch(&b, ' ');
			i += len;
		} else {
			mh_buf_append(&b, v.ptr + i, len);
			i += len;
		}
	}
	const char *out = mh_arena_strndup(a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return out;
}

static const char *param(struct mh_site_req *r, const char *name)
{
	struct mh_str v;
	if (!mh_request_query(r->http, name, &v) || v.len == 0)
		return NULL;
	return display_text(r->a, v);
}

/* A date of the form YYYY-MM-DD in the site's zone: its first second
 * (end: its last). */
static bool parse_day(const char *s, bool end, int64_t *out)
{
	if (s == NULL || strlen(s) != 10 || !mh_time_parse(mh_str_c(s), out))
		return false;
	if (end)
		*out += 86400 - 1;
	return *out >= 0;
}

/* Reads the request into sr; false with sr->error for a malformed or
 * unknown filter; MH_UNAVAILABLE etc. through *rc. */
static bool read_request(struct mh_site_req *r, struct search_req *sr, enum mh_store_rc *rc)
{
	*rc = MH_OK;
	struct mh_str q = MH_STR("");
	mh_request_query(r->http, "q", &q);
	sr->q_raw = q;
	sr->q = display_text(r->a, q);
	sr->n_terms = mh_search_parse(r->a, q, sr->terms, MH_SEARCH_MAX_TERMS);
	sr->section_slug = param(r, "section");
	sr->author_slug = param(r, "author");
	sr->from_s = param(r, "from");
	sr->to_s = param(r, "to");
	sr->page = 1;
	const char *page = param(r, "page");
	if (page != NULL) {
		int64_t n;
		if (!mh_str_to_i64(mh_str_c(page), &n) || n < 1 || n > MH_SITE_SEARCH_PAGES || page[0] == '+' ||
		    page[0] == '-') {
			sr->error = mh_arena_printf(r->a, "page: expected a whole number from 1 to %d",
						    MH_SITE_SEARCH_PAGES);
			return false;
		}
		sr->page = (int)n;
	}
	if (sr->from_s != NULL && !parse_day(sr->from_s, false, &sr->query.from)) {
		sr->error = "from: expected a date as YYYY-MM-DD";
		return false;
	}
	if (sr->to_s != NULL && !parse_day(sr->to_s, true, &sr->query.to)) {
		sr->error = "to: expected a date as YYYY-MM-DD";
		return false;
	}
	if (sr->from_s != NULL && sr->to_s != NULL && sr->query.from > sr->query.to) {
		sr->error = "from: the first day comes after the last (to)";
		return false;
	}
	if (sr->section_slug != NULL) {
		*rc = mh_store_section_by_slug(r->store, r->a, mh_str_c(sr->section_slug), &sr->section);
		if (*rc == MH_NOT_FOUND) {
			*rc = MH_OK;
			sr->error = mh_arena_printf(r->a, "section: there is no section '%s'", sr->section_slug);
			return false;
		}
		if (*rc != MH_OK)
			return false;
		sr->query.section_id = sr->section->id;
	}
	if (sr->author_slug != NULL) {
		*rc = mh_store_author_by_slug(r->store, r->a, mh_str_c(sr->author_slug), &sr->author);
		if (*rc == MH_NOT_FOUND) {
			*rc = MH_OK;
			sr->error = mh_arena_printf(r->a, "author: there is no author '%s'", sr->author_slug);
			return false;
		}
		if (*rc != MH_OK)
			return false;
		sr->query.author_id = sr->author->id;
	}
	return true;
}

/* The search itself, when there is something to look for: one more than a
 * page, to know whether a next one exists. */
static enum mh_store_rc run_search(struct mh_site_req *r, struct search_req *sr)
{
	if (sr->n_terms == 0)
		return MH_OK;
	sr->query.terms = sr->terms;
	sr->query.n_terms = sr->n_terms;
	sr->query.limit = SEARCH_PER_PAGE + 1;
	sr->query.offset = (sr->page - 1) * SEARCH_PER_PAGE;
	enum mh_store_rc rc = mh_store_search(r->store, r->a, &sr->query, &sr->hits, &sr->n_hits);
	if (rc == MH_OK && sr->n_hits > SEARCH_PER_PAGE) {
		sr->more = true;
		sr->n_hits = SEARCH_PER_PAGE;
	}
	return rc;
}

/* This search's address on another page (filters kept). */
static const char *page_url(struct mh_site_req *r, const char *base, const struct search_req *sr, int page)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, base);
	mh_buf_append_c(&b, "?q=");
	mh_escape_url(&b, mh_str_c(sr->q));
	const char *names[] = { "section", "author", "from", "to" };
	const char *values[] = { sr->section_slug, sr->author_slug, sr->from_s, sr->to_s };
	for (size_t i = 0; i < 4; i++) {
		if (values[i] == NULL)
			continue;
		mh_buf_printf(&b, "&%s=", names[i]);
		mh_escape_url(&b, mh_str_c(values[i]));
	}
	if (page > 1)
		mh_buf_printf(&b, "&page=%d", page);
	const char *out = mh_arena_strndup(r->a, b.ptr, b.len);
	mh_buf_free(&b);
	return out;
}

static void store_failed(struct mh_site_req *r, enum mh_store_rc rc, bool json)
{
	mh_site_metrics_db_error(mh_site_metrics(r->site), r->http->worker, rc);
	bool down = rc == MH_UNAVAILABLE;
	if (down)
		mh_response_header_c(r->http, "retry-after", "5");
	const char *msg = down ? "The site's database is not answering right now. Please try again in a few seconds."
			       : "The search could not be made. The error is logged.";
	if (!down)
		mh_log(MH_LOG_ERROR, "search failed (store error %d)", (int)rc);
	if (json) {
		struct mh_buf b = MH_BUF_INIT;
		mh_buf_append_c(&b, "{\"error\":\"");
		mh_escape_json(&b, mh_str_c(msg));
		mh_buf_append_c(&b, "\"}\n");
		mh_response_send(r->http, down ? 503 : 500, "application/json", mh_buf_str(&b));
		mh_buf_free(&b);
		return;
	}
	mh_response_error(r->http, down ? 503 : 500, msg);
}

/* ---- the page ---- */

static struct mh_val *snippet_val(struct mh_site_req *r, const char *snippet)
{
	struct mh_str *parts;
	bool *marked;
	size_t n = mh_search_snippet_parts(r->a, snippet, &parts, &marked);
	struct mh_val *list = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++) {
		struct mh_val *p = mh_val_map(r->a);
		mh_val_set(r->a, p, "text", mh_val_str(r->a, parts[i]));
		mh_val_set_bool(r->a, p, "mark", marked[i]);
		mh_val_push(r->a, list, p);
	}
	return list;
}

static struct mh_val *hit_val(struct mh_site_req *r, const struct mh_search_hit *h)
{
	struct mh_arena *a = r->a;
	const struct mh_article *art = &h->article;
	struct mh_val *m = mh_val_map(a);
	mh_val_set_cstr(a, m, "url", MH_ARENA_CONCAT(a, "/articles/", art->slug));
	mh_val_set_cstr(a, m, "headline", art->headline);
	mh_val_set_cstr(a, m, "dek", art->dek);
	if (art->section != NULL) {
		struct mh_val *sec = mh_val_map(a);
		mh_val_set_cstr(a, sec, "name", art->section->name);
		mh_val_set_cstr(a, sec, "url", MH_ARENA_CONCAT(a, "/section/", art->section->slug));
		mh_val_set(a, m, "section", sec);
	}
	struct mh_val *authors = mh_val_list(a);
	for (size_t i = 0; i < art->n_authors; i++) {
		struct mh_val *v = mh_val_map(a);
		mh_val_set_cstr(a, v, "name", art->authors[i].name);
		mh_val_set_cstr(a, v, "url", MH_ARENA_CONCAT(a, "/author/", art->authors[i].slug));
		mh_val_set_bool(a, v, "last", i + 1 == art->n_authors);
		mh_val_push(a, authors, v);
	}
	mh_val_set(a, m, "authors", authors);
	mh_val_set_bool(a, m, "has_authors", art->n_authors > 0);
	struct mh_buf t = MH_BUF_INIT;
	mh_time_rfc3339(&t, art->published_at);
	mh_val_set_cstr(a, m, "published_iso", mh_arena_strndup(a, t.ptr, t.len));
	mh_buf_reset(&t);
	mh_time_format(&t, art->published_at, "%B %-d, %Y");
	mh_val_set_cstr(a, m, "published", mh_arena_strndup(a, t.ptr, t.len));
	mh_buf_free(&t);
	mh_val_set(a, m, "snippet", snippet_val(r, h->snippet));
	return m;
}

static void send_page(struct mh_site_req *r, struct search_req *sr, int status)
{
	struct mh_arena *a = r->a;
	const char *title = sr->n_terms > 0 ? mh_arena_printf(a, "Search: %s", sr->q) : "Search";
	mh_site_view_common(r, "search", title, NULL, NULL, NULL);
	struct mh_val *s = mh_val_map(a);
	mh_val_set_cstr(a, s, "q", sr->q);
	mh_val_set_cstr(a, s, "from", sr->from_s);
	mh_val_set_cstr(a, s, "to", sr->to_s);
	if (sr->author != NULL) {
		mh_val_set_cstr(a, s, "author", sr->author->slug);
		mh_val_set_cstr(a, s, "author_name", sr->author->name);
	}
	struct mh_val *sections = mh_val_list(a);
	for (size_t i = 0; i < r->n_sections; i++) {
		if (r->sections[i].kind != MH_SECTION_PLAIN)
			continue;
		struct mh_val *v = mh_val_map(a);
		mh_val_set_cstr(a, v, "slug", r->sections[i].slug);
		mh_val_set_cstr(a, v, "name", r->sections[i].name);
		mh_val_set_bool(a, v, "selected", sr->section != NULL && sr->section->id == r->sections[i].id);
		mh_val_push(a, sections, v);
	}
	mh_val_set(a, s, "sections", sections);
	if (sr->error != NULL)
		mh_val_set_cstr(a, s, "error", sr->error);
	mh_val_set_bool(a, s, "searched", sr->error == NULL && sr->n_terms > 0);
	mh_val_set_bool(a, s, "has_results", sr->n_hits > 0);
	mh_val_set_int(a, s, "first_number", (int64_t)(sr->page - 1) * SEARCH_PER_PAGE + 1);
	struct mh_val *results = mh_val_list(a);
	for (size_t i = 0; i < sr->n_hits; i++)
		mh_val_push(a, results, hit_val(r, &sr->hits[i]));
	mh_val_set(a, s, "results", results);
	if (sr->page > 1)
		mh_val_set_cstr(a, s, "prev_url", page_url(r, "/search", sr, sr->page - 1));
	if (sr->more && sr->page < MH_SITE_SEARCH_PAGES)
		mh_val_set_cstr(a, s, "next_url", page_url(r, "/search", sr, sr->page + 1));
	mh_val_set_int(a, s, "page", sr->page);
	mh_val_set(a, r->ctx, "search", s);
	if (mh_site_render(r, "search") != MH_OK) {
		store_failed(r, MH_ERROR, false);
		return;
	}
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "x-robots-tag", "noindex");
	mh_response_send(r->http, status, "text/html; charset=utf-8", mh_buf_str(&r->body));
}

/* The page's and the API's common start: the store, the sections (the
 * page's header), the request read. False when it has answered. */
static bool begin(struct mh_site_req *r, struct search_req *sr, bool json, bool *bad)
{
	*bad = false;
	r->store = mh_site_store(r);
	enum mh_store_rc rc = r->store == NULL ? MH_UNAVAILABLE : mh_store_read_begin(r->store);
	if (rc == MH_OK) {
		uint64_t before = mh_store_statements(r->store);
		rc = mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
		if (rc == MH_OK && !read_request(r, sr, &rc) && rc == MH_OK)
			*bad = true;
		if (rc == MH_OK && !*bad)
			rc = run_search(r, sr);
		mh_store_read_end(r->store);
		mh_site_metrics_statements(mh_site_metrics(r->site), r->http, mh_store_statements(r->store) - before);
	}
	if (rc != MH_OK) {
		store_failed(r, rc, json);
		return false;
	}
	return true;
}

void mh_site_search_page(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	mh_response_header_c(r->http, "content-security-policy", mh_site_page_csp());
	struct search_req *sr = MH_NEW(r->a, struct search_req);
	bool bad;
	if (!begin(r, sr, false, &bad))
		return;
	send_page(r, sr, bad ? 400 : 200);
}

/* ---- the API ---- */

static void json_str(struct mh_buf *b, const char *key, const char *v)
{
	mh_buf_printf(b, "\"%s\":\"", key);
	mh_escape_json(b, mh_str_c(v != NULL ? v : ""));
	mh_buf_append_ch(b, '"');
}

static void json_hit(struct mh_site_req *r, struct mh_buf *b, const struct mh_search_hit *h)
{
	const struct mh_article *art = &h->article;
	const char *base = mh_site_config(r->site)->base_url;
	mh_buf_printf(b, "{\"id\":%lld,", (long long)art->id);
	json_str(b, "url", MH_ARENA_CONCAT(r->a, base, "/articles/", art->slug));
	mh_buf_append_ch(b, ',');
	json_str(b, "slug", art->slug);
	mh_buf_append_ch(b, ',');
	json_str(b, "headline", art->headline);
	mh_buf_append_ch(b, ',');
	json_str(b, "dek", art->dek);
	mh_buf_append_ch(b, ',');
	struct mh_buf t = MH_BUF_INIT;
	mh_time_rfc3339(&t, art->published_at);
	json_str(b, "published_at", mh_buf_cstr(&t));
	mh_buf_free(&t);
	mh_buf_append_c(b, ",\"section\":");
	if (art->section != NULL) {
		mh_buf_append_ch(b, '{');
		json_str(b, "slug", art->section->slug);
		mh_buf_append_ch(b, ',');
		json_str(b, "name", art->section->name);
		mh_buf_append_ch(b, '}');
	} else {
		mh_buf_append_c(b, "null");
	}
	mh_buf_append_c(b, ",\"authors\":[");
	for (size_t i = 0; i < art->n_authors; i++) {
		mh_buf_append_c(b, i > 0 ? ",{" : "{");
		json_str(b, "slug", art->authors[i].slug);
		mh_buf_append_ch(b, ',');
		json_str(b, "name", art->authors[i].name);
		mh_buf_append_ch(b, '}');
	}
	mh_buf_append_c(b, "],");
	/* the snippet twice: as HTML (its text escaped, only <mark> markup)
	 * and as its plain text */
	struct mh_str *parts;
	bool *marked;
	size_t n = mh_search_snippet_parts(r->a, h->snippet, &parts, &marked);
	struct mh_buf html = MH_BUF_INIT, text = MH_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (marked[i])
			mh_buf_append_c(&html, "<mark>");
		mh_escape_html(&html, parts[i]);
		if (marked[i])
			mh_buf_append_c(&html, "</mark>");
		mh_buf_append_str(&text, parts[i]);
	}
	json_str(b, "snippet_html", mh_buf_cstr(&html));
	mh_buf_append_ch(b, ',');
	json_str(b, "snippet_text", mh_buf_cstr(&text));
	mh_buf_free(&html);
	mh_buf_free(&text);
	mh_buf_append_ch(b, '}');
}

void mh_site_search_api(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct search_req *sr = MH_NEW(r->a, struct search_req);
	bool bad;
	if (!begin(r, sr, true, &bad))
		return;
	struct mh_buf b = MH_BUF_INIT;
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "x-robots-tag", "noindex");
	if (bad) {
		mh_buf_append_ch(&b, '{');
		json_str(&b, "error", sr->error);
		mh_buf_append_c(&b, "}\n");
		mh_response_send(r->http, 400, "application/json", mh_buf_str(&b));
		mh_buf_free(&b);
		return;
	}
	mh_buf_append_ch(&b, '{');
	json_str(&b, "query", sr->q);
	mh_buf_printf(&b, ",\"page\":%d,\"per_page\":%d,\"results\":[", sr->page, SEARCH_PER_PAGE);
	for (size_t i = 0; i < sr->n_hits; i++) {
		if (i > 0)
			mh_buf_append_ch(&b, ',');
		json_hit(r, &b, &sr->hits[i]);
	}
	mh_buf_append_c(&b, "],\"next_page\":");
	if (sr->more && sr->page < MH_SITE_SEARCH_PAGES)
		mh_buf_printf(&b, "%d", sr->page + 1);
	else
		mh_buf_append_c(&b, "null");
	mh_buf_append_c(&b, "}\n");
	mh_response_send(r->http, 200, "application/json", mh_buf_str(&b));
	mh_buf_free(&b);
}
