/*
 * The newsroom's articles: the list (/admin/articles) and the editor
 * (/admin/articles/new, /admin/articles/ID). Every save goes through
 * mh_content_article_save with the account as the revision's author and the
 * revision the form was read at, so a stale save is refused (409) and kept
 * as a conflict revision. Who may do what (auth.h's permissions):
 * contributors write their own drafts and submit them for review; authors
 * also publish, schedule and unpublish their own; editors and owners do
 * anything to any article, Staff pick included. "Own" means the byline
 * holds the account's linked author. Changing an article that is live or
 * scheduled counts as publishing.
 */
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

#define LIST_PER_PAGE 20

static struct mh_str form(struct mh_site_req *r, const char *name)
{
	struct mh_str v = MH_STR("");
	mh_request_form(r->http, name, &v);
	return mh_arena_str(r->a, v);
}

static bool is_own(const struct mh_site_req *r, const struct mh_article *art)
{
	if (r->user->author_id == 0)
		return false;
	for (size_t i = 0; i < art->n_authors; i++)
		if (art->authors[i].id == r->user->author_id)
			return true;
	return false;
}

static bool may_see(const struct mh_site_req *r, const struct mh_article *art)
{
	return mh_role_may(r->user->role, MH_PERM_EDIT_ANY) || is_own(r, art);
}

/* Publishing, scheduling, unpublishing, or changing a live article. */
static bool may_publish(const struct mh_site_req *r, const struct mh_article *art)
{
	if (mh_role_may(r->user->role, MH_PERM_EDIT_ANY))
		return true;
	return mh_role_may(r->user->role, MH_PERM_PUBLISH_OWN) && (art == NULL || is_own(r, art));
}

static void send_message(struct mh_site_req *r, int status, const char *title, const char *text)
{
	mh_site_admin_message(r, status, title, text, "/admin/articles", "Back to the articles");
}

static void unavailable(struct mh_site_req *r)
{
	send_message(r, 503, "Temporarily unavailable",
		     "The site's database is not answering right now. Nothing was changed. Try again in a few seconds.");
}

static void forbidden(struct mh_site_req *r, const char *why)
{
	send_message(r, 403, "Not allowed", why);
}

static const char *fmt_time(struct mh_site_req *r, int64_t t, const char *fmt)
{
	if (t <= 0)
		return "";
	struct mh_buf b = MH_BUF_INIT;
	mh_time_format(&b, t, fmt);
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

/* ---- the list ---- */

static struct mh_val *list_row(struct mh_site_req *r, const struct mh_article *art)
{
	struct mh_val *row = mh_val_map(r->a);
	mh_val_set_int(r->a, row, "id", art->id);
	mh_val_set_cstr(r->a, row, "headline", art->headline);
	mh_val_set_cstr(r->a, row, "status", mh_article_status_name(art->status));
	mh_val_set_cstr(r->a, row, "section", art->section != NULL ? art->section->name : "");
	struct mh_buf names = MH_BUF_INIT;
	for (size_t i = 0; i < art->n_authors; i++)
		mh_buf_printf(&names, "%s%s", i > 0 ? ", " : "", art->authors[i].name);
	mh_val_set_cstr(r->a, row, "authors", mh_arena_strndup(r->a, names.ptr != NULL ? names.ptr : "", names.len));
	mh_buf_free(&names);
	/* the list's order: the publication time (the time set for a
	 * scheduled piece; a draft's is when it was started) */
	mh_val_set_cstr(r->a, row, "dated", fmt_time(r, art->published_at, "%Y-%m-%d %H:%M"));
	mh_val_set_cstr(r->a, row, "updated", fmt_time(r, art->updated_at, "%Y-%m-%d %H:%M"));
	return row;
}

static int newest_first(const void *x, const void *y)
{
	const struct mh_article *a = x, *b = y;
	if (a->published_at != b->published_at)
		return a->published_at > b->published_at ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id;
}

/* Every status at once, as the list without a status filter shows them:
 * each status's range read through its index (up to q->limit rows past the
 * cursor), merged newest first and cut at q->limit: the same rows as one
 * query over every status, without a scan and sort of the whole table
 * (there is no index on the publication time alone). */
static enum mh_store_rc list_every_status(struct mh_site_req *r, const struct mh_article_query *q,
					  struct mh_article **out, size_t *n)
{
	size_t max = (size_t)q->limit * (MH_ARTICLE_STATUS_LAST + 1), total = 0;
	struct mh_article *all = MH_NEW_ARRAY(r->a, struct mh_article, max);
	for (int st = 0; st <= MH_ARTICLE_STATUS_LAST; st++) {
		struct mh_article_query one = *q;
		one.status_only = true;
		one.status = (enum mh_article_status)st;
		struct mh_article *arts = NULL;
		size_t k = 0;
		enum mh_store_rc rc = mh_store_articles(r->store, r->a, &one, &arts, &k);
		if (rc != MH_OK)
			return rc;
		MH_ASSERT(total + k <= max);
		memcpy(all + total, arts, k * sizeof(*arts));
		total += k;
	}
	qsort(all, total, sizeof(*all), newest_first);
	*out = all;
	*n = total < (size_t)q->limit ? total : (size_t)q->limit;
	return MH_OK;
}

/* Appends "&name=value" (value percent-encoded) when value is not empty. */
static void query_arg(struct mh_buf *b, const char *name, struct mh_str value)
{
	if (value.len == 0)
		return;
	mh_buf_printf(b, "%s%s=", b->len > 0 ? "&" : "", name);
	mh_escape_url(b, value);
}

/* /admin/articles?status=&section=&author=&q=&before=AT-ID: one keyset
 * page through the store's list query, every filter in its WHERE (status
 * and section through their indexes, the headline text on the rows of that
 * range; without a status, one read per status, merged). Contributors and
 * authors see only articles with their byline. */
void mh_site_admin_articles(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_str status_q = MH_STR(""), before = MH_STR(""), section_q = MH_STR(""), author_q = MH_STR(""),
		      text_q = MH_STR("");
	mh_request_query(r->http, "status", &status_q);
	mh_request_query(r->http, "before", &before);
	mh_request_query(r->http, "section", &section_q);
	mh_request_query(r->http, "author", &author_q);
	mh_request_query(r->http, "q", &text_q);
	enum mh_article_status want = MH_ARTICLE_DRAFT;
	bool filter = status_q.len > 0;
	if (filter && !mh_article_status_parse(status_q, &want)) {
		send_message(r, 400, "Unknown status",
			     "The status filter must be draft, review, scheduled or published.");
		return;
	}
	if (text_q.len > 200 || memchr(text_q.ptr, '\0', text_q.len) != NULL) {
		send_message(r, 400, "Search too long",
			     "Search the headlines with at most 200 characters of text.");
		return;
	}
	struct mh_article_query q = { .any_status = true, .limit = LIST_PER_PAGE + 1, .status_only = filter,
				      .status = want };
	text_q = mh_arena_str(r->a, text_q); /* NUL-terminated for the store */
	q.headline_has = text_q.ptr;
	if (before.len > 0) {
		char *s = mh_arena_strndup(r->a, before.ptr, before.len), *end = NULL;
		long long at = strtoll(s, &end, 10), id = 0;
		if (end != NULL && *end == '-')
			id = strtoll(end + 1, &end, 10);
		if (end == NULL || *end != '\0' || at < 0 || id <= 0) {
			send_message(r, 400, "Bad page address", "The before= value must be two numbers, AT-ID.");
			return;
		}
		q.before_published_at = at;
		q.before_id = id;
		q.before_set = true;
	}
	enum mh_store_rc rc = mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	for (size_t i = 0; section_q.len > 0 && i < r->n_sections; i++)
		if (r->sections[i].kind == MH_SECTION_PLAIN && mh_str_eq_c(section_q, r->sections[i].slug))
			q.section_id = r->sections[i].id;
	if (section_q.len > 0 && q.section_id == 0) {
		send_message(r, 400, "Unknown section",
			     "The section filter must be the short name (slug) of one of the site's sections.");
		return;
	}
	struct mh_author *authors = NULL;
	size_t n_authors = 0;
	if ((rc = mh_store_authors(r->store, r->a, &authors, &n_authors)) != MH_OK) {
		unavailable(r);
		return;
	}
	bool everyone = mh_role_may(r->user->role, MH_PERM_EDIT_ANY);
	if (author_q.len > 0 && everyone) {
		for (size_t i = 0; i < n_authors; i++)
			if (mh_str_eq_c(author_q, authors[i].slug))
				q.author_id = authors[i].id;
		if (q.author_id == 0) {
			send_message(r, 400, "Unknown author",
				     "The author filter must be the short name (slug) of one of the site's authors.");
			return;
		}
	}
	if (!everyone)
		q.author_id = r->user->author_id; /* only their own, whatever was asked */
	struct mh_article *arts = NULL;
	size_t n = 0;
	if (everyone || q.author_id != 0) {
		rc = filter ? mh_store_articles(r->store, r->a, &q, &arts, &n) : list_every_status(r, &q, &arts, &n);
		if (rc != MH_OK) {
			unavailable(r);
			return;
		}
	}
	bool more = n > LIST_PER_PAGE;
	if (more)
		n = LIST_PER_PAGE;
	struct mh_val *rows = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++)
		mh_val_push(r->a, rows, list_row(r, &arts[i]));
	mh_site_admin_ctx(r, "Articles");
	mh_val_set(r->a, r->ctx, "articles", rows);
	mh_val_set_bool(r->a, r->ctx, "empty", n == 0);
	mh_val_set_cstr(r->a, r->ctx, "status", filter ? mh_article_status_name(want) : "");
	mh_val_set(r->a, r->ctx, "q", mh_val_str(r->a, text_q));
	bool filtered = filter || section_q.len > 0 || (everyone && author_q.len > 0) || text_q.len > 0;
	mh_val_set_bool(r->a, r->ctx, "filtered", filtered);
	struct mh_val *filters = mh_val_list(r->a);
	for (int st = 0; st <= MH_ARTICLE_STATUS_LAST; st++) {
		struct mh_val *f = mh_val_map(r->a);
		mh_val_set_cstr(r->a, f, "name", mh_article_status_name((enum mh_article_status)st));
		mh_val_set_bool(r->a, f, "current", filter && (int)want == st);
		mh_val_push(r->a, filters, f);
	}
	mh_val_set(r->a, r->ctx, "statuses", filters);
	struct mh_val *secs = mh_val_list(r->a);
	for (size_t i = 0; i < r->n_sections; i++) {
		if (r->sections[i].kind != MH_SECTION_PLAIN)
			continue;
		struct mh_val *sv = mh_val_map(r->a);
		mh_val_set_cstr(r->a, sv, "slug", r->sections[i].slug);
		mh_val_set_cstr(r->a, sv, "name", r->sections[i].name);
		mh_val_set_bool(r->a, sv, "selected", q.section_id == r->sections[i].id);
		mh_val_push(r->a, secs, sv);
	}
	mh_val_set(r->a, r->ctx, "sections", secs);
	if (everyone) {
		struct mh_val *aus = mh_val_list(r->a);
		for (size_t i = 0; i < n_authors; i++) {
			struct mh_val *av = mh_val_map(r->a);
			mh_val_set_cstr(r->a, av, "slug", authors[i].slug);
			mh_val_set_cstr(r->a, av, "name", authors[i].name);
			mh_val_set_bool(r->a, av, "selected", q.author_id == authors[i].id);
			mh_val_push(r->a, aus, av);
		}
		mh_val_set(r->a, r->ctx, "authors", aus);
	}
	mh_val_set_bool(r->a, r->ctx, "author_filter", everyone);
	if (more) {
		struct mh_buf u = MH_BUF_INIT;
		query_arg(&u, "status", filter ? mh_str_c(mh_article_status_name(want)) : MH_STR(""));
		query_arg(&u, "section", section_q);
		query_arg(&u, "author", everyone ? author_q : MH_STR(""));
		query_arg(&u, "q", text_q);
		mh_buf_printf(&u, "%sbefore=%lld-%lld", u.len > 0 ? "&" : "", (long long)arts[n - 1].published_at,
			      (long long)arts[n - 1].id);
		mh_val_set_cstr(r->a, r->ctx, "older_url",
				mh_arena_printf(r->a, "/admin/articles?%s", mh_buf_cstr(&u)));
		mh_buf_free(&u);
	}
	mh_site_admin_send(r, 200, "articles");
}

/* ---- the editor ---- */

/* What the form holds, as typed. */
struct fields {
	struct mh_str headline, dek, slug, section, tags, authors, via, image, image_alt, body, publish_at;
	bool staff_pick;
	int staff_pick_was; /* the box as the editor was first opened (-1: not known): the Staff Picks
			     * screen may have changed the article's pick since */
	bool no_ads; /* issue 9: no advertisements on its page */
};

static void fields_from_article(struct mh_site_req *r, const struct mh_article *art, struct fields *f)
{
	f->headline = mh_str_c(art->headline);
	f->dek = mh_str_c(art->dek);
	f->slug = mh_str_c(art->slug);
	f->section = mh_str_c(art->section != NULL ? art->section->slug : "");
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < art->n_tags; i++)
		mh_buf_printf(&b, "%s%s", i > 0 ? ", " : "", art->tags[i].name);
	f->tags = mh_str_c(mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len));
	mh_buf_reset(&b);
	for (size_t i = 0; i < art->n_authors; i++)
		mh_buf_printf(&b, "%s%s", i > 0 ? ", " : "", art->authors[i].slug);
	f->authors = mh_str_c(mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len));
	mh_buf_free(&b);
	f->via = mh_str_c(art->via_url != NULL && art->via_url[0] != '\0'
				  ? mh_arena_printf(r->a, "%s <%s>", art->via_name, art->via_url)
				  : "");
	f->image = mh_str_c(art->image_url);
	f->image_alt = mh_str_c(art->image_alt);
	f->body = mh_str_c(art->body_md);
	f->staff_pick = art->staff_pick;
	f->staff_pick_was = art->staff_pick;
	f->no_ads = art->no_ads;
	f->publish_at = mh_str_c(art->status == MH_ARTICLE_SCHEDULED ? fmt_time(r, art->published_at, "%Y-%m-%dT%H:%M")
								     : "");
}

static void fields_from_form(struct mh_site_req *r, struct fields *f)
{
	f->headline = form(r, "headline");
	f->dek = form(r, "dek");
	f->slug = form(r, "slug");
	f->section = form(r, "section");
	f->tags = form(r, "tags");
	f->authors = form(r, "authors");
	f->via = form(r, "via");
	f->image = form(r, "image");
	f->image_alt = form(r, "image_alt");
	f->body = form(r, "body");
	f->publish_at = form(r, "publish_at");
	f->staff_pick = form(r, "staff_pick").len > 0;
	struct mh_str was = form(r, "staff_pick_was");
	f->staff_pick_was = mh_str_eq_c(was, "1") ? 1 : mh_str_eq_c(was, "0") ? 0 : -1;
	f->no_ads = form(r, "no_ads").len > 0;
}

/* Renders the editor. art: the stored article (NULL for a new one);
 * theirs: on a conflict, the text that won. */
static void editor(struct mh_site_req *r, int status, const struct mh_article *art, const struct fields *f,
		   int64_t base_revision, const char *error, const char *notice, const struct mh_article *theirs)
{
	mh_site_admin_ctx(r, art != NULL ? "Edit article" : "New article");
	struct mh_val *fv = mh_val_map(r->a);
	mh_val_set(r->a, fv, "headline", mh_val_str(r->a, f->headline));
	mh_val_set(r->a, fv, "dek", mh_val_str(r->a, f->dek));
	mh_val_set(r->a, fv, "slug", mh_val_str(r->a, f->slug));
	mh_val_set(r->a, fv, "tags", mh_val_str(r->a, f->tags));
	mh_val_set(r->a, fv, "authors", mh_val_str(r->a, f->authors));
	mh_val_set(r->a, fv, "via", mh_val_str(r->a, f->via));
	mh_val_set(r->a, fv, "image", mh_val_str(r->a, f->image));
	mh_val_set(r->a, fv, "image_alt", mh_val_str(r->a, f->image_alt));
	mh_val_set(r->a, fv, "body", mh_val_str(r->a, f->body));
	mh_val_set(r->a, fv, "publish_at", mh_val_str(r->a, f->publish_at));
	mh_val_set_bool(r->a, fv, "staff_pick", f->staff_pick);
	mh_val_set_bool(r->a, fv, "staff_pick_was", f->staff_pick_was >= 0 ? f->staff_pick_was == 1 : f->staff_pick);
	mh_val_set_bool(r->a, fv, "no_ads", f->no_ads);
	mh_val_set_int(r->a, fv, "base_revision", base_revision);
	mh_val_set_cstr(r->a, fv, "action", art != NULL ? mh_arena_printf(r->a, "/admin/articles/%lld", (long long)art->id)
							: "/admin/articles/new");
	struct mh_val *secs = mh_val_list(r->a);
	for (size_t i = 0; i < r->n_sections; i++) {
		if (r->sections[i].kind != MH_SECTION_PLAIN)
			continue;
		struct mh_val *s = mh_val_map(r->a);
		mh_val_set_cstr(r->a, s, "slug", r->sections[i].slug);
		mh_val_set_cstr(r->a, s, "name", r->sections[i].name);
		mh_val_set_bool(r->a, s, "selected", mh_str_eq_c(f->section, r->sections[i].slug));
		mh_val_push(r->a, secs, s);
	}
	mh_val_set(r->a, fv, "sections", secs);
	mh_val_set(r->a, r->ctx, "form", fv);
	if (art != NULL) {
		struct mh_val *av = mh_val_map(r->a);
		mh_val_set_int(r->a, av, "id", art->id);
		mh_val_set_cstr(r->a, av, "status", mh_article_status_name(art->status));
		mh_val_set_cstr(r->a, av, "slug", art->slug);
		mh_val_set_bool(r->a, av, "public", art->status == MH_ARTICLE_PUBLISHED);
		mh_val_set(r->a, r->ctx, "article", av);
	}
	struct mh_val *can = mh_val_map(r->a);
	bool pub = may_publish(r, art);
	mh_val_set_bool(r->a, can, "publish", pub);
	mh_val_set_bool(r->a, can, "unpublish", pub && art != NULL && mh_article_status_dated(art->status));
	mh_val_set_bool(r->a, can, "staff_pick", mh_role_may(r->user->role, MH_PERM_CURATE));
	mh_val_set(r->a, r->ctx, "can", can);
	mh_val_set_cstr(r->a, r->ctx, "timezone", mh_site_config(r->site)->timezone);
	/* the body's length, as editor.js keeps it while typing */
	size_t words = mh_content_word_count(f->body);
	mh_val_set_int(r->a, fv, "words", (int64_t)words);
	mh_val_set_int(r->a, fv, "minutes", mh_content_reading_minutes(words));
	/* a stored draft is saved as it is typed (editor.js); Ctrl+S is the
	 * article's own save: Submit for review keeps one in review there, Save
	 * draft keeps a draft a draft and saves a live or scheduled one as it is */
	if (art != NULL && art->status == MH_ARTICLE_DRAFT)
		mh_val_set_cstr(r->a, fv, "autosave", mh_arena_printf(r->a, "/admin/autosave/%lld", (long long)art->id));
	mh_val_set_bool(r->a, fv, "save_is_review", art != NULL && art->status == MH_ARTICLE_REVIEW);
	/* a live piece's changes go out with Publish (its date kept), a
	 * scheduled one's with Schedule: neither is turned back into a draft
	 * or sent for review from here, only unpublished */
	bool dated = art != NULL && mh_article_status_dated(art->status);
	mh_val_set_bool(r->a, fv, "dated", dated);
	mh_val_set_bool(r->a, fv, "live", art != NULL && art->status == MH_ARTICLE_PUBLISHED);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	if (notice != NULL)
		mh_val_set_cstr(r->a, r->ctx, "notice", notice);
	if (theirs != NULL) {
		struct mh_val *t = mh_val_map(r->a);
		mh_val_set_cstr(r->a, t, "headline", theirs->headline);
		mh_val_set_cstr(r->a, t, "body", theirs->body_md);
		mh_val_set_cstr(r->a, t, "updated", fmt_time(r, theirs->updated_at, "%Y-%m-%d %H:%M"));
		mh_val_set(r->a, r->ctx, "theirs", t);
	}
	mh_site_admin_send(r, status, "editor");
}

static const char *notice_of(struct mh_site_req *r)
{
	struct mh_str n = MH_STR("");
	mh_request_query(r->http, "saved", &n);
	if (mh_str_eq_c(n, "draft"))
		return "Saved as a draft.";
	if (mh_str_eq_c(n, "review"))
		return "Saved and submitted for review.";
	if (mh_str_eq_c(n, "publish"))
		return "Published.";
	if (mh_str_eq_c(n, "schedule"))
		return "Scheduled.";
	if (mh_str_eq_c(n, "unpublish"))
		return "Unpublished: the article is a draft again.";
	if (mh_str_eq_c(n, "save"))
		return "Saved.";
	return NULL;
}

/* The next comma-separated item of *list, trimmed; false at the end. */
static bool next_item(struct mh_str *list, struct mh_str *item)
{
	while (list->len > 0) {
		const char *comma = memchr(list->ptr, ',', list->len);
		size_t n = comma != NULL ? (size_t)(comma - list->ptr) : list->len;
		struct mh_str it = { list->ptr, n };
		list->ptr += comma != NULL ? n + 1 : n;
		list->len -= comma != NULL ? n + 1 : n;
		while (it.len > 0 && (it.ptr[0] == ' ' || it.ptr[0] == '\t'))
			it.ptr++, it.len--;
		while (it.len > 0 && (it.ptr[it.len - 1] == ' ' || it.ptr[it.len - 1] == '\t'))
			it.len--;
		if (it.len > 0) {
			*item = it;
			return true;
		}
	}
	return false;
}

enum action { ACT_DRAFT, ACT_REVIEW, ACT_PUBLISH, ACT_SCHEDULE, ACT_UNPUBLISH };

/* Builds the article to save from the form onto art (a copy of the stored
 * one, or zeroed). MH_OK, MH_INVALID with a message naming the field in
 * err, or a database error. */
static enum mh_store_rc build(struct mh_site_req *r, const struct fields *f, enum action act,
			      const struct mh_article *before, struct mh_article *art, struct mh_buf *err)
{
	if (f->headline.len == 0 || strspn(f->headline.ptr, " \t\r\n") == f->headline.len) {
		mh_buf_append_c(err, "Headline: a headline is required.");
		return MH_INVALID;
	}
	art->headline = f->headline.ptr;
	art->dek = f->dek.ptr;
	art->slug = f->slug.ptr;
	if (f->slug.len == 0) {
		struct mh_buf b = MH_BUF_INIT;
		mh_content_slugify(&b, f->headline);
		art->slug = mh_arena_strndup(r->a, b.ptr, b.len);
		mh_buf_free(&b);
	}
	art->body_md = f->body.ptr;
	art->section_id = 0;
	for (size_t i = 0; i < r->n_sections; i++)
		if (r->sections[i].kind == MH_SECTION_PLAIN && mh_str_eq_c(f->section, r->sections[i].slug))
			art->section_id = r->sections[i].id;
	if (art->section_id == 0) {
		mh_buf_append_c(err, "Section: choose the section the article belongs in.");
		return MH_INVALID;
	}
	/* via: "Name <URL>" */
	art->via_name = "";
	art->via_url = "";
	if (f->via.len > 0) {
		const char *lt = memchr(f->via.ptr, '<', f->via.len);
		if (lt == NULL || f->via.ptr[f->via.len - 1] != '>' || lt == f->via.ptr) {
			mh_buf_append_c(err, "Via: write the source as Name <https://address>.");
			return MH_INVALID;
		}
		size_t nl = (size_t)(lt - f->via.ptr);
		while (nl > 0 && f->via.ptr[nl - 1] == ' ')
			nl--;
		art->via_name = mh_arena_strndup(r->a, f->via.ptr, nl);
		art->via_url = mh_arena_strndup(r->a, lt + 1, f->via.len - (size_t)(lt - f->via.ptr) - 2);
		const char *why = mh_store_url_problem(mh_str_c(art->via_url));
		if (nl == 0 || why != NULL) {
			mh_buf_printf(err, "Via: %s.", nl == 0 ? "a name is required before the address" : why);
			return MH_INVALID;
		}
	}
	const char *why = mh_store_url_problem(f->image);
	if (why != NULL) {
		mh_buf_printf(err, "Image: %s.", why);
		return MH_INVALID;
	}
	art->image_url = f->image.ptr;
	art->image_alt = f->image_alt.ptr;
	/* the box left as the editor first showed it: the save does not touch
	 * the pick, which the Staff Picks screen may have changed meanwhile */
	bool untouched = before != NULL && f->staff_pick_was >= 0 && (f->staff_pick_was == 1) == f->staff_pick;
	if (mh_role_may(r->user->role, MH_PERM_CURATE) && !untouched)
		art->staff_pick = f->staff_pick;
	if (mh_role_may(r->user->role, MH_PERM_CURATE))
		art->no_ads = f->no_ads; /* issue 9: like the staff pick, the curators' call */
	/* authors, by slug, in byline order */
	size_t n = 0;
	struct mh_str list = f->authors, it;
	while (next_item(&list, &it))
		n++;
	art->authors = MH_NEW_ARRAY(r->a, struct mh_author, n + 1);
	art->n_authors = 0;
	list = f->authors;
	bool own = false;
	while (next_item(&list, &it)) {
		struct mh_author *au = NULL;
		enum mh_store_rc rc = mh_store_author_by_slug(r->store, r->a, it, &au);
		if (rc == MH_NOT_FOUND) {
			mh_buf_printf(err, "Authors: there is no author '%.*s'; use the authors' short names (slugs), "
					   "separated by commas.", (int)it.len, it.ptr);
			return MH_INVALID;
		}
		if (rc != MH_OK)
			return rc;
		bool dup = false;
		for (size_t i = 0; i < art->n_authors; i++)
			dup = dup || art->authors[i].id == au->id;
		if (!dup)
			art->authors[art->n_authors++] = *au;
		own = own || au->id == r->user->author_id;
	}
	if (!mh_role_may(r->user->role, MH_PERM_EDIT_ANY) && !own) {
		mh_buf_append_c(err, r->user->author_id != 0
					     ? "Authors: your own byline must be among the authors."
					     : "Authors: your account has no byline; ask an owner to link one.");
		return MH_INVALID;
	}
	/* tags, by name (made when new) */
	n = 0;
	list = f->tags;
	while (next_item(&list, &it))
		n++;
	art->tags = MH_NEW_ARRAY(r->a, struct mh_tag, n + 1);
	art->n_tags = 0;
	list = f->tags;
	while (next_item(&list, &it)) {
		struct mh_tag tag = { .name = mh_arena_strndup(r->a, it.ptr, it.len) };
		struct mh_buf terr = MH_BUF_INIT;
		enum mh_store_rc rc = mh_store_tag_ensure(r->store, &tag, &terr);
		if (rc != MH_OK) {
			mh_buf_printf(err, "Tags: %s", mh_buf_cstr(&terr));
			mh_buf_free(&terr);
			return rc == MH_INVALID ? MH_INVALID : rc;
		}
		mh_buf_free(&terr);
		bool dup = false;
		for (size_t i = 0; i < art->n_tags; i++)
			dup = dup || art->tags[i].id == tag.id;
		if (!dup)
			art->tags[art->n_tags++] = tag;
	}
	/* the status the button asks for */
	switch (act) {
	case ACT_DRAFT:
		/* a live or scheduled article keeps its status: this saves changes */
		if (before == NULL || !mh_article_status_dated(before->status))
			art->status = MH_ARTICLE_DRAFT;
		break;
	case ACT_REVIEW:
		art->status = MH_ARTICLE_REVIEW;
		art->published_at = 0;
		break;
	case ACT_PUBLISH:
		if (before == NULL || before->status != MH_ARTICLE_PUBLISHED)
			art->published_at = 0; /* now */
		art->status = MH_ARTICLE_PUBLISHED;
		break;
	case ACT_SCHEDULE: {
		int64_t at = 0;
		if (f->publish_at.len == 0 || !mh_time_parse(f->publish_at, &at)) {
			mh_buf_append_c(err, "Publish at: give the date and time to publish, as YYYY-MM-DD HH:MM.");
			return MH_INVALID;
		}
		if (at <= mh_time_now()) {
			mh_buf_append_c(err, "Publish at: that time has passed; use Publish to publish now.");
			return MH_INVALID;
		}
		art->status = MH_ARTICLE_SCHEDULED;
		art->published_at = at;
		break;
	}
	case ACT_UNPUBLISH:
		art->status = MH_ARTICLE_DRAFT;
		art->published_at = 0;
		break;
	}
	if (!mh_article_status_dated(art->status))
		art->published_at = 0;
	if (mh_article_status_dated(art->status) && art->image_url[0] != '\0' &&
	    strspn(art->image_alt, " \t\r\n") == strlen(art->image_alt)) {
		mh_buf_append_c(err, "Image description: describe the image for readers who cannot see it before "
				     "publishing.");
		return MH_INVALID;
	}
	return MH_OK;
}

/* The field a message of the save path names, as the form labels it. */
static const char *save_error(struct mh_site_req *r, const char *msg)
{
	static const struct {
		const char *prefix, *label;
	} names[] = {
		{ "headline", "Headline" }, { "dek", "Dek" },         { "slug", "Slug" },
		{ "body", "Body" },         { "section", "Section" }, { "image_alt", "Image description" },
		{ "image", "Image" },       { "via", "Via" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(msg, names[i].prefix, strlen(names[i].prefix)) == 0)
			return mh_arena_printf(r->a, "%s%s", names[i].label, msg + strlen(names[i].prefix));
	return msg;
}

static void editor_page(struct mh_site_req *r, int64_t id)
{
	enum mh_store_rc rc = mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	struct mh_article *before = NULL;
	int64_t base = 0;
	if (id > 0) {
		rc = mh_store_article_by_id(r->store, r->a, id, &before);
		if (rc == MH_NOT_FOUND) {
			send_message(r, 404, "No such article", "There is no article with that number.");
			return;
		}
		if (rc == MH_OK)
			rc = mh_store_revision_latest(r->store, id, &base);
		if (rc != MH_OK) {
			unavailable(r);
			return;
		}
		if (!may_see(r, before)) {
			forbidden(r, "This is another person's article: you may edit only articles with your byline.");
			return;
		}
	}
	bool post = mh_str_eq_c(r->http->method, "POST");
	struct fields f = { 0 };
	if (!post) {
		if (before != NULL) {
			fields_from_article(r, before, &f);
		} else {
			struct mh_author *au = NULL;
			/* a new article's byline: the account's own author */
			if (r->user->author_id != 0) {
				struct mh_author *all = NULL;
				size_t n = 0;
				if (mh_store_authors(r->store, r->a, &all, &n) == MH_OK)
					for (size_t i = 0; i < n; i++)
						if (all[i].id == r->user->author_id)
							au = &all[i];
			}
			f.authors = mh_str_c(au != NULL ? au->slug : "");
		}
		editor(r, 200, before, &f, base, NULL, notice_of(r), NULL);
		return;
	}
	fields_from_form(r, &f);
	struct mh_str act_s = form(r, "action"), base_s = form(r, "base_revision");
	enum action act;
	if (mh_str_eq_c(act_s, "draft"))
		act = ACT_DRAFT;
	else if (mh_str_eq_c(act_s, "review"))
		act = ACT_REVIEW;
	else if (mh_str_eq_c(act_s, "publish"))
		act = ACT_PUBLISH;
	else if (mh_str_eq_c(act_s, "schedule"))
		act = ACT_SCHEDULE;
	else if (mh_str_eq_c(act_s, "unpublish"))
		act = ACT_UNPUBLISH;
	else {
		editor(r, 400, before, &f, base, "Use one of the form's buttons: Save draft, Submit for review, Publish, "
						 "Schedule or Unpublish.", NULL, NULL);
		return;
	}
	bool publishing = act == ACT_PUBLISH || act == ACT_SCHEDULE || act == ACT_UNPUBLISH ||
			  (before != NULL && mh_article_status_dated(before->status));
	if (publishing && !may_publish(r, before)) {
		forbidden(r, mh_arena_printf(r->a, "Your role (%s) may not publish, schedule or unpublish %s, or change "
						    "a published one. Nothing was changed; use Submit for review.",
					      mh_role_name(r->user->role),
					      mh_role_may(r->user->role, MH_PERM_PUBLISH_OWN) ? "another person's article"
											      : "articles"));
		return;
	}
	int64_t form_base = base_s.len > 0 ? strtoll(base_s.ptr, NULL, 10) : 0;
	struct mh_article art = { 0 };
	if (before != NULL)
		art = *before;
	struct mh_buf err = MH_BUF_INIT;
	rc = build(r, &f, act, before, &art, &err);
	if (rc == MH_INVALID) {
		editor(r, 422, before, &f, form_base, mh_arena_strndup(r->a, err.ptr, err.len), NULL, NULL);
		mh_buf_free(&err);
		return;
	}
	if (rc != MH_OK) {
		mh_buf_free(&err);
		unavailable(r);
		return;
	}
	/* the body's HTML and lead, rendered from the Markdown as every other
	 * writer does (without it the public page showed an empty body) */
	if (mh_content_prepare_article(r->a, &art, &err) != MH_OK) {
		const char *msg = save_error(r, mh_arena_strndup(r->a, err.ptr != NULL ? err.ptr : "", err.len));
		mh_buf_free(&err);
		editor(r, 422, before, &f, form_base, msg, NULL, NULL);
		return;
	}
	struct mh_revision_note note = { .user_id = r->user->id, .user_name = r->user->name };
	struct mh_content_save sv = { .note = &note, .base_revision_id = before != NULL ? form_base : 0 };
	int res = mh_content_article_save(r->store, r->a, before, &art, &sv, &err);
	if (res != 0 && sv.conflict) {
		struct mh_revision *rev = NULL;
		const struct mh_article *theirs = NULL;
		if (mh_store_revision_get(r->store, r->a, sv.current_revision_id, &rev) == MH_OK) {
			rev->state.updated_at = sv.current_updated_at;
			theirs = &rev->state;
		}
		editor(r, 409, before, &f, sv.current_revision_id,
		       "Someone else saved this article after you opened it, so your save was refused. Both texts are "
		       "kept: yours is below (and stored as a conflict revision), theirs beside it. Merge them and save "
		       "again.",
		       NULL, theirs);
		mh_buf_free(&err);
		return;
	}
	if (res != 0) {
		const char *msg = save_error(r, mh_arena_strndup(r->a, err.ptr != NULL ? err.ptr : "", err.len));
		mh_buf_free(&err);
		editor(r, 422, before, &f, form_base, msg, NULL, NULL);
		return;
	}
	mh_buf_free(&err);
	static const char *const saved[] = { "draft", "review", "publish", "schedule", "unpublish" };
	const char *what = act == ACT_DRAFT && before != NULL && mh_article_status_dated(before->status) ? "save"
													   : saved[act];
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "location",
			     mh_arena_printf(r->a, "/admin/articles/%lld?saved=%s", (long long)art.id, what));
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", mh_str_c("See Other\n"));
}

void mh_site_admin_article_new(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	editor_page(r, 0);
}

void mh_site_admin_article(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = 0;
	for (size_t i = 0; i < arg.len; i++) {
		if (arg.ptr[i] < '0' || arg.ptr[i] > '9' || id > 100000000000LL) {
			send_message(r, 404, "No such article", "An article's address is /admin/articles/ and its number.");
			return;
		}
		id = id * 10 + (arg.ptr[i] - '0');
	}
	if (id <= 0) {
		send_message(r, 404, "No such article", "An article's address is /admin/articles/ and its number.");
		return;
	}
	editor_page(r, id);
}

bool mh_site_admin_may_open(const struct mh_site_req *r, const struct mh_article *art)
{
	return may_see(r, art);
}

bool mh_site_admin_may_change(const struct mh_site_req *r, const struct mh_article *art)
{
	return may_see(r, art) && (!mh_article_status_dated(art->status) || may_publish(r, art));
}

/* ---- the live preview ---- */

/* The form's fields as the reader would see the article, without a write:
 * unlike build(), nothing is required, a tag is not made (shown by its
 * name), an unknown author or an unsafe address is left out, and the body
 * goes through the same Markdown renderer as a save. */
static void preview_article(struct mh_site_req *r, const struct fields *f, struct mh_article *art)
{
	art->status = MH_ARTICLE_PUBLISHED;
	art->headline = f->headline.ptr;
	art->dek = f->dek.ptr;
	art->slug = f->slug.ptr;
	if (f->slug.len == 0) {
		struct mh_buf b = MH_BUF_INIT;
		mh_content_slugify(&b, f->headline);
		art->slug = mh_arena_strndup(r->a, b.ptr, b.len);
		mh_buf_free(&b);
	}
	int64_t now = mh_time_now(), at = 0;
	art->published_at = f->publish_at.len > 0 && mh_time_parse(f->publish_at, &at) ? at : now;
	art->created_at = art->updated_at = now;
	for (size_t i = 0; i < r->n_sections; i++)
		if (r->sections[i].kind == MH_SECTION_PLAIN && mh_str_eq_c(f->section, r->sections[i].slug)) {
			art->section = &r->sections[i];
			art->section_id = r->sections[i].id;
		}
	size_t n = 0;
	struct mh_str list = f->authors, it;
	while (next_item(&list, &it))
		n++;
	art->authors = MH_NEW_ARRAY(r->a, struct mh_author, n + 1);
	for (list = f->authors; next_item(&list, &it);) {
		struct mh_author *au = NULL;
		if (mh_store_author_by_slug(r->store, r->a, it, &au) == MH_OK)
			art->authors[art->n_authors++] = *au;
	}
	n = 0;
	for (list = f->tags; next_item(&list, &it);)
		n++;
	art->tags = MH_NEW_ARRAY(r->a, struct mh_tag, n + 1);
	for (list = f->tags; next_item(&list, &it);) {
		struct mh_buf b = MH_BUF_INIT;
		mh_content_slugify(&b, it);
		art->tags[art->n_tags].name = mh_arena_strndup(r->a, it.ptr, it.len);
		art->tags[art->n_tags].slug = mh_arena_strndup(r->a, b.ptr, b.len);
		art->n_tags++;
		mh_buf_free(&b);
	}
	art->via_name = art->via_url = "";
	const char *lt = f->via.len > 0 ? memchr(f->via.ptr, '<', f->via.len) : NULL;
	if (lt != NULL && lt != f->via.ptr && f->via.ptr[f->via.len - 1] == '>') {
		size_t nl = (size_t)(lt - f->via.ptr);
		while (nl > 0 && f->via.ptr[nl - 1] == ' ')
			nl--;
		const char *url = mh_arena_strndup(r->a, lt + 1, f->via.len - (size_t)(lt - f->via.ptr) - 2);
		if (nl > 0 && mh_store_url_problem(mh_str_c(url)) == NULL) {
			art->via_name = mh_arena_strndup(r->a, f->via.ptr, nl);
			art->via_url = url;
		}
	}
	art->image_url = mh_store_url_problem(f->image) == NULL ? f->image.ptr : "";
	art->image_alt = f->image_alt.ptr;
	art->staff_pick = f->staff_pick;
	art->no_ads = f->no_ads;
	art->body_md = f->body.ptr;
	struct mh_buf html = MH_BUF_INIT, lead = MH_BUF_INIT;
	mh_content_markdown(f->body, &html, &lead, 2);
	art->body_html = mh_arena_strndup(r->a, html.ptr != NULL ? html.ptr : "", html.len);
	art->lead_html = mh_arena_strndup(r->a, lead.ptr != NULL ? lead.ptr : "", lead.len);
	mh_buf_free(&html);
	mh_buf_free(&lead);
}

void mh_site_admin_preview(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	enum mh_store_rc rc = mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	struct fields f = { 0 };
	fields_from_form(r, &f);
	struct mh_article art = { 0 };
	preview_article(r, &f, &art);
	/* the public article page's own view code and template; r->keys and
	 * the page cache are never looked at here */
	mh_site_view_common(r, "article", art.headline, art.dek, mh_arena_printf(r->a, "/articles/%s", art.slug),
			    art.section);
	mh_val_set(r->a, r->ctx, "article", mh_site_view_article(r, &art, true));
	mh_buf_reset(&r->body);
	if (mh_site_render(r, "article") != MH_OK) {
		mh_response_error(r->http, 500, "The site theme has no article template. The error is logged.");
		return;
	}
	/* as the public page is served, except that it is never kept by
	 * anyone nor indexed; framed only by the editor (frame-ancestors
	 * 'self'), in a sandbox that runs no script */
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "x-robots-tag", "noindex");
	mh_response_header_c(r->http, "content-security-policy", mh_site_page_csp());
	mh_response_send(r->http, 200, "text/html; charset=utf-8", mh_buf_str(&r->body));
}

/* ---- autosave ---- */

/* {"error": why, ...extra} with status: what editor.js shows as the reason. */
static void autosave_answer(struct mh_site_req *r, int status, const char *error, int64_t revision,
			    const char *saved_at, size_t words)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "{");
	if (error != NULL) {
		mh_buf_append_c(&b, "\"error\":\"");
		mh_escape_json(&b, mh_str_c(error));
		mh_buf_append_c(&b, "\"");
	} else {
		mh_buf_append_c(&b, "\"saved\":\"");
		mh_escape_json(&b, mh_str_c(saved_at));
		mh_buf_printf(&b, "\",\"words\":%zu,\"minutes\":%d", words, mh_content_reading_minutes(words));
	}
	if (revision > 0)
		mh_buf_printf(&b, ",\"revision\":%lld", (long long)revision);
	mh_buf_append_c(&b, "}\n");
	mh_response_header_c(r->http, "cache-control", "no-store");
	if (status == 503)
		mh_response_header_c(r->http, "retry-after", "5");
	mh_response_send(r->http, status, "application/json", mh_arena_str(r->a, mh_buf_str(&b)));
	mh_buf_free(&b);
}

/* POST /admin/autosave/ID with the editor's form (csrf, base_revision,
 * the fields) and replaces=REV, the revision the page's previous autosave
 * made (0 or absent: none). Saves a stored draft as Save draft would,
 * keeping it a draft: 200 {"saved": "HH:MM" in the site's zone, "revision":
 * the new version token, "words", "minutes"}; 409 {"error", "revision":
 * the newest} when someone saved since base_revision (their text stays,
 * this one is kept as a conflict revision); 422 {"error"} for a field to
 * fix or an article that is not a draft; 403, 404, 503.
 *
 * Revisions: an autosave replaces the one the page's previous autosave
 * made (store.h, mh_revision_note.replaces), so typing for an hour does not
 * leave hundreds; editor.js stops naming it once its run of autosaves is
 * MH_STORE_AUTOSAVE_WINDOW_S old, so a draft keeps one revision per five
 * minutes of writing, and every save with a button keeps its own. */
void mh_site_admin_autosave(struct mh_site_req *r, struct mh_str arg)
{
	int64_t id = 0;
	if (!mh_str_to_i64(arg, &id) || id <= 0 || arg.ptr[0] == '+' || arg.ptr[0] == '-') {
		autosave_answer(r, 404, "There is no article with that number.", 0, NULL, 0);
		return;
	}
	struct mh_article *before = NULL;
	enum mh_store_rc rc = mh_store_sections(r->store, r->a, &r->sections, &r->n_sections);
	if (rc == MH_OK)
		rc = mh_store_article_by_id(r->store, r->a, id, &before);
	if (rc == MH_NOT_FOUND) {
		autosave_answer(r, 404, "There is no article with that number.", 0, NULL, 0);
		return;
	}
	if (rc != MH_OK) {
		autosave_answer(r, 503, "Not saved: the database is not answering. Trying again shortly.", 0, NULL, 0);
		return;
	}
	if (!may_see(r, before)) {
		autosave_answer(r, 403, "Not saved: this is another person's article.", 0, NULL, 0);
		return;
	}
	if (before->status != MH_ARTICLE_DRAFT) {
		autosave_answer(r, 422,
				mh_arena_printf(r->a, "Not saved automatically: the article is %s, not a draft; use "
						      "the buttons to save it.",
						mh_article_status_name(before->status)),
				0, NULL, 0);
		return;
	}
	struct fields f = { 0 };
	fields_from_form(r, &f);
	struct mh_str base_s = form(r, "base_revision"), repl_s = form(r, "replaces");
	int64_t base = 0, replaces = 0;
	if (!mh_str_to_i64(base_s, &base) || base <= 0 || (repl_s.len > 0 && !mh_str_to_i64(repl_s, &replaces)) ||
	    replaces < 0) {
		autosave_answer(r, 422, "Not saved: the page lacks its version (base_revision); reload it.", 0, NULL,
				0);
		return;
	}
	struct mh_article art = *before;
	struct mh_buf err = MH_BUF_INIT;
	rc = build(r, &f, ACT_DRAFT, before, &art, &err);
	if (rc != MH_OK) {
		if (rc == MH_INVALID)
			autosave_answer(r, 422, mh_arena_printf(r->a, "Not saved: %s", mh_buf_cstr(&err)), 0, NULL, 0);
		else
			autosave_answer(r, 503, "Not saved: the database is not answering. Trying again shortly.", 0,
					NULL, 0);
		mh_buf_free(&err);
		return;
	}
	struct mh_revision_note note = { .user_id = r->user->id, .user_name = r->user->name, .replaces = replaces };
	struct mh_content_save sv = { .note = &note, .base_revision_id = base };
	int res = mh_content_article_save(r->store, r->a, before, &art, &sv, &err);
	if (res != 0 && sv.conflict) {
		autosave_answer(r, 409,
				"Not saved: someone else saved this article after you opened it. Your text is kept "
				"as a conflict revision; save with a button to compare both texts.",
				sv.current_revision_id, NULL, 0);
	} else if (res != 0) {
		const char *msg = save_error(r, mh_arena_strndup(r->a, err.ptr != NULL ? err.ptr : "", err.len));
		autosave_answer(r, 422, mh_arena_printf(r->a, "Not saved: %s", msg), 0, NULL, 0);
	} else {
		autosave_answer(r, 200, NULL, sv.revision_id, fmt_time(r, mh_time_now(), "%H:%M"),
				mh_content_word_count(f.body));
	}
	mh_buf_free(&err);
}
