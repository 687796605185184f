/*
 * The public pages: home, section fronts, author and tag pages, the article
 * with its Continue Reading stream, and the stream's next batches. Each reads
 * the store, builds the context, renders, and names its cache keys:
 *   article:ID  every article shown (its page, teasers, stream items)
 *   section:ID  a front's list; home  the home page's lists
 *   author:ID, tag:ID  those pages' lists
 */
#include <string.h>

#include "site/site.h"

static const struct mh_section *section_of_kind(struct mh_site_req *r, enum mh_section_kind kind)
{
	for (size_t i = 0; i < r->n_sections; i++)
		if (r->sections[i].kind == kind)
			return &r->sections[i];
	return NULL;
}

enum mh_store_rc mh_site_page_home(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_article *latest = NULL, *picks = NULL;
	size_t n_latest = 0, n_picks = 0;
	struct mh_article_query q = { .limit = 11, .without_relations = true };
	enum mh_store_rc rc = mh_store_articles(r->store, r->a, &q, &latest, &n_latest);
	if (rc != MH_OK)
		return rc;
	struct mh_article_query pq = { .staff_picks_only = true, .limit = 5, .without_relations = true };
	rc = mh_store_articles(r->store, r->a, &pq, &picks, &n_picks);
	if (rc != MH_OK)
		return rc;
	/* both lists' bylines, tags and images with one statement each */
	struct mh_article *all = MH_NEW_ARRAY(r->a, struct mh_article, n_latest + n_picks + 1);
	memcpy(all, latest, n_latest * sizeof(*all));
	memcpy(all + n_latest, picks, n_picks * sizeof(*all));
	rc = mh_store_articles_relations(r->store, r->a, all, n_latest + n_picks);
	if (rc != MH_OK)
		return rc;
	latest = all;
	picks = all + n_latest;
	mh_site_media_prefetch(r, all, n_latest + n_picks);

	mh_site_view_common(r, "home", mh_site_config(r->site)->title, NULL, "/", NULL);
	mh_site_key(r, "home");
	if (n_latest > 0) {
		mh_val_set(r->a, r->ctx, "lead", mh_site_view_article(r, &latest[0], false));
		mh_val_set(r->a, r->ctx, "latest", mh_site_view_articles(r, latest + 1, n_latest - 1));
	}
	mh_val_set(r->a, r->ctx, "picks", mh_site_view_articles(r, picks, n_picks));
	const struct mh_section *pk = section_of_kind(r, MH_SECTION_PICKS);
	if (pk != NULL)
		mh_val_set_cstr(r->a, r->ctx, "picks_url", mh_arena_printf(r->a, "/section/%s", pk->slug));
	return mh_site_render(r, "home");
}

/* A list page's address: base, or base?before=AT-ID for the articles older
 * than art (the cursor names the last article of the page before). */
static const char *page_url(struct mh_site_req *r, const char *base, const struct mh_article *art)
{
	if (art == NULL)
		return base;
	return mh_arena_printf(r->a, "%s?before=%lld-%lld", base, (long long)art->published_at, (long long)art->id);
}

/* An old numbered link, ?page=N: a 301 to the ?before= page that holds the
 * same articles today (page 1: base). The one OFFSET left, over the index
 * only (two rows read back), and a redirect is answered once per old link;
 * the pages themselves never count. Past the end: 404, as before. */
static enum mh_store_rc legacy_redirect(struct mh_site_req *r, struct mh_article_query *q, const char *base)
{
	if (r->legacy_page > 1) {
		/* the last article of page N-1 and the first of page N */
		q->offset = (r->legacy_page - 1) * MH_SITE_PER_PAGE - 1;
		q->limit = 2;
		struct mh_article *arts = NULL;
		size_t n = 0;
		enum mh_store_rc rc = mh_store_articles(r->store, r->a, q, &arts, &n);
		if (rc != MH_OK)
			return rc;
		if (n < 2)
			return MH_NOT_FOUND;
		r->location = page_url(r, base, &arts[0]);
	} else {
		r->location = base;
	}
	r->status = 301;
	r->cacheable = false;
	return MH_OK;
}

/* A list page by keyset: the MH_SITE_PER_PAGE articles older than the
 * cursor (r->before_*; none = the newest), one more read to know whether
 * older ones exist, and for a page past the first the MH_SITE_PER_PAGE + 1
 * just newer (ascending from its first article) to link the page before.
 * Every page reads the same few index rows however deep it is: no count, no
 * OFFSET. Renders template kind with the list, its page links and extra_val
 * under extra_key (the front, author or tag the list belongs to). A cursor
 * with nothing older is 404; one that is not an article of the list, a 301
 * to the page with the same articles. */
static enum mh_store_rc list_page(struct mh_site_req *r, struct mh_article_query *q, const char *base,
				  const char *kind, const char *title, const char *description,
				  const struct mh_section *current, const char *extra_key, struct mh_val *extra_val)
{
	if (r->legacy_page > 0)
		return legacy_redirect(r, q, base);
	struct mh_article_query newer_q = *q;
	q->limit = MH_SITE_PER_PAGE + 1;
	q->before_published_at = r->before_at;
	q->before_id = r->before_id;
	struct mh_article *arts = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_articles(r->store, r->a, q, &arts, &n);
	if (rc != MH_OK)
		return rc;
	bool has_older = n > MH_SITE_PER_PAGE;
	if (has_older)
		n = MH_SITE_PER_PAGE;
	bool first = r->before_at == 0;
	if (!first && n == 0)
		return MH_NOT_FOUND;
	const char *newer_url = NULL;
	if (!first) {
		newer_q.after_published_at = arts[0].published_at;
		newer_q.after_id = arts[0].id;
		newer_q.limit = MH_SITE_PER_PAGE + 1;
		newer_q.without_relations = true; /* read for its cursors only */
		struct mh_article *newer = NULL;
		size_t m = 0;
		rc = mh_store_articles(r->store, r->a, &newer_q, &newer, &m);
		if (rc != MH_OK)
			return rc;
		/* A cursor is one of the list's articles, the one just newer
		 * than this page; any other (hand-made, or its article since
		 * withdrawn or moved) shows the same articles as that one's
		 * page: 301 there, so that only real pages are cached. */
		const struct mh_article *own = m > 0 ? &newer[0] : NULL;
		if (own == NULL || own->published_at != r->before_at || own->id != r->before_id) {
			r->location = page_url(r, base, own);
			r->status = 301;
			r->cacheable = false;
			return MH_OK;
		}
		/* the page before ends just past the next MH_SITE_PER_PAGE:
		 * its cursor is the article after them, or it is the first */
		newer_url = page_url(r, base, m > MH_SITE_PER_PAGE ? &newer[MH_SITE_PER_PAGE] : NULL);
	}
	const char *older_url = has_older ? page_url(r, base, &arts[n - 1]) : NULL;
	const char *canonical = first ? base : mh_arena_printf(r->a, "%s?before=%lld-%lld", base,
							      (long long)r->before_at, (long long)r->before_id);
	const char *full_title = first ? title : mh_arena_printf(r->a, "%s (older articles)", title);
	mh_site_view_common(r, kind, full_title, description, canonical, current);
	mh_val_set(r->a, extra_val, "url", mh_val_cstr(r->a, base));
	mh_val_set(r->a, r->ctx, extra_key, extra_val);
	mh_site_media_prefetch(r, arts, n);
	mh_val_set(r->a, r->ctx, "articles", mh_site_view_articles(r, arts, n));
	mh_site_view_pagination(r, newer_url, older_url);
	return mh_site_render(r, kind);
}

/* The Staff Picks front: the picks in the editors' order (store.h), one
 * page of at most MH_SITE_PICKS_MAX. A ?before= or ?page= address (from
 * before the picks had an order) answers 301 to it. */
static enum mh_store_rc picks_page(struct mh_site_req *r, const struct mh_section *sec, struct mh_val *front)
{
	const char *base = mh_arena_printf(r->a, "/section/%s", sec->slug);
	if (r->before_at != 0 || r->legacy_page > 0) {
		r->location = base;
		r->status = 301;
		r->cacheable = false;
		return MH_OK;
	}
	struct mh_article_query q = { .staff_picks_only = true, .limit = MH_SITE_PICKS_MAX };
	struct mh_article *arts = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_articles(r->store, r->a, &q, &arts, &n);
	if (rc != MH_OK)
		return rc;
	mh_site_view_common(r, "front", sec->name, sec->description, base, sec);
	mh_val_set(r->a, front, "url", mh_val_cstr(r->a, base));
	mh_val_set(r->a, r->ctx, "front", front);
	mh_val_set(r->a, r->ctx, "articles", mh_site_view_articles(r, arts, n));
	mh_site_view_pagination(r, NULL, NULL);
	return mh_site_render(r, "front");
}

enum mh_store_rc mh_site_page_section(struct mh_site_req *r, struct mh_str slug)
{
	const struct mh_section *sec = NULL;
	for (size_t i = 0; i < r->n_sections; i++)
		if (mh_str_eq_c(slug, r->sections[i].slug))
			sec = &r->sections[i];
	if (sec == NULL)
		return MH_NOT_FOUND;
	struct mh_article_query q = { 0 };
	if (sec->kind == MH_SECTION_PICKS)
		q.staff_picks_only = true;
	else if (sec->kind == MH_SECTION_PLAIN)
		q.section_id = sec->id;
	mh_site_key(r, "section:%lld", (long long)sec->id);
	struct mh_val *front = mh_val_map(r->a);
	mh_val_set_cstr(r->a, front, "name", sec->name);
	mh_val_set_cstr(r->a, front, "slug", sec->slug);
	mh_val_set_cstr(r->a, front, "description", sec->description);
	if (sec->kind == MH_SECTION_PICKS)
		return picks_page(r, sec, front);
	return list_page(r, &q, mh_arena_printf(r->a, "/section/%s", sec->slug), "front", sec->name,
			 sec->description, sec, "front", front);
}

enum mh_store_rc mh_site_page_author(struct mh_site_req *r, struct mh_str slug)
{
	struct mh_author *au = NULL;
	enum mh_store_rc rc = mh_store_author_by_slug(r->store, r->a, slug, &au);
	if (rc != MH_OK)
		return rc;
	struct mh_article_query q = { .author_id = au->id };
	mh_site_key(r, "author:%lld", (long long)au->id);
	struct mh_val *v = mh_val_map(r->a);
	mh_val_set_cstr(r->a, v, "name", au->name);
	mh_val_set_cstr(r->a, v, "slug", au->slug);
	mh_val_set_cstr(r->a, v, "bio", au->bio);
	if (au->avatar_url != NULL && au->avatar_url[0] != '\0')
		mh_val_set_cstr(r->a, v, "avatar_url", au->avatar_url);
	return list_page(r, &q, mh_arena_printf(r->a, "/author/%s", au->slug), "author", au->name, au->bio, NULL,
			 "author", v);
}

enum mh_store_rc mh_site_page_tag(struct mh_site_req *r, struct mh_str slug)
{
	struct mh_tag *tag = NULL;
	enum mh_store_rc rc = mh_store_tag_by_slug(r->store, r->a, slug, &tag);
	if (rc == MH_NOT_FOUND) {
		/* a renamed or merged tag's address: 301 to the tag it became.
		 * Not cached: a new tag may take the slug any time. */
		rc = mh_store_tag_by_old_slug(r->store, r->a, slug, &tag);
		if (rc != MH_OK)
			return rc;
		r->location = mh_arena_printf(r->a, "/tag/%s", tag->slug);
		r->status = 301;
		r->cacheable = false;
		return MH_OK;
	}
	if (rc != MH_OK)
		return rc;
	struct mh_article_query q = { .tag_id = tag->id };
	mh_site_key(r, "tag:%lld", (long long)tag->id);
	struct mh_val *v = mh_val_map(r->a);
	mh_val_set_cstr(r->a, v, "name", tag->name);
	mh_val_set_cstr(r->a, v, "slug", tag->slug);
	return list_page(r, &q, mh_arena_printf(r->a, "/tag/%s", tag->slug), "tag",
			 mh_arena_printf(r->a, "Tagged \u201c%s\u201d", tag->name), NULL, NULL, "tag", v);
}

static bool is_public(const struct mh_article *art, int64_t now)
{
	return art->status == MH_ARTICLE_PUBLISHED && art->published_at <= now;
}

/* The next batch of the Latest stream after art, without authors and tags
 * (the caller reads them, with its own article's when it shows one). */
static enum mh_store_rc read_stream(struct mh_site_req *r, const struct mh_article *art, struct mh_article **next,
				    size_t *n)
{
	struct mh_article_query q = {
		.before_published_at = art->published_at,
		.before_id = art->id,
		.limit = MH_SITE_STREAM_BATCH,
		.without_relations = true,
	};
	return mh_store_articles(r->store, r->a, &q, next, n);
}

/* The stream's context keys "stream", "stream_more_url" (absent at the end)
 * and "next_article". */
static void add_stream(struct mh_site_req *r, const struct mh_article *next, size_t n)
{
	mh_val_set(r->a, r->ctx, "stream", mh_site_view_articles(r, next, n));
	if (n == MH_SITE_STREAM_BATCH)
		mh_val_set_cstr(r->a, r->ctx, "stream_more_url",
				mh_arena_printf(r->a, "/stream/%s", next[n - 1].slug));
	if (n > 0) {
		struct mh_val *na = mh_val_map(r->a);
		mh_val_set_cstr(r->a, na, "url", mh_arena_printf(r->a, "/articles/%s", next[0].slug));
		mh_val_set_cstr(r->a, na, "headline", next[0].headline);
		mh_val_set(r->a, r->ctx, "next_article", na);
	}
}

enum mh_store_rc mh_site_page_article(struct mh_site_req *r, struct mh_str slug)
{
	struct mh_article *art = NULL;
	enum mh_store_rc rc = mh_store_article_row_by_slug(r->store, r->a, slug, &art);
	if (rc == MH_NOT_FOUND) {
		/* A renamed article's address before the rename: 301 to where it
		 * is now (any chain of renames in one step). An article that has
		 * the slug now was found above and wins. Not cached here: the
		 * slug may be taken by a new article any time. */
		rc = mh_store_article_by_old_slug(r->store, r->a, slug, &art);
		if (rc != MH_OK)
			return rc;
		if (!is_public(art, mh_time_now())) {
			/* withdrawn (410) or never out: as its page answers,
			 * without telling where it went */
			if (!art->was_published)
				return MH_NOT_FOUND;
			r->status = 410;
			return MH_OK;
		}
		r->location = mh_arena_printf(r->a, "/articles/%s", art->slug);
		/* it points elsewhere until the article is renamed again or
		 * withdrawn (its key), or any save gives the slug to another
		 * article (every save names home) */
		mh_site_key(r, "article:%lld", (long long)art->id);
		mh_site_key(r, "home");
		r->status = 301;
		r->cacheable = false;
		return MH_OK;
	}
	if (rc != MH_OK)
		return rc;
	if (!is_public(art, mh_time_now())) {
		if (!art->was_published)
			return MH_NOT_FOUND;
		r->status = 410;
		return MH_OK;
	}
	struct mh_article *next = NULL;
	size_t n = 0;
	rc = read_stream(r, art, &next, &n);
	if (rc != MH_OK)
		return rc;
	/* the article and its stream: bylines, tags and images with one
	 * statement each */
	struct mh_article *all = MH_NEW_ARRAY(r->a, struct mh_article, n + 1);
	all[0] = *art;
	memcpy(all + 1, next, n * sizeof(*all));
	rc = mh_store_articles_relations(r->store, r->a, all, n + 1);
	if (rc != MH_OK)
		return rc;
	art = &all[0];
	mh_site_media_prefetch(r, all, n + 1);
	/* the total as of this render: the starting views plus every read
	 * counted (issue 8); the page's script keeps it fresh afterwards */
	rc = mh_store_views_get(r->store, art->id, &art->views);
	if (rc != MH_OK)
		return rc;
	const struct mh_section *sec = NULL;
	for (size_t i = 0; i < r->n_sections; i++)
		if (r->sections[i].id == art->section_id)
			sec = &r->sections[i];
	mh_site_view_common(r, "article", art->headline, art->dek,
			    mh_arena_printf(r->a, "/articles/%s", art->slug), sec);
	mh_val_set(r->a, r->ctx, "article", mh_site_view_article(r, art, true));
	add_stream(r, all + 1, n);
	return mh_site_render(r, "article");
}

enum mh_store_rc mh_site_page_stream(struct mh_site_req *r, struct mh_str slug)
{
	/* only art's place in the stream is needed, not its byline or tags */
	struct mh_article *art = NULL;
	enum mh_store_rc rc = mh_store_article_row_by_slug(r->store, r->a, slug, &art);
	if (rc != MH_OK)
		return rc;
	if (!is_public(art, mh_time_now()))
		return MH_NOT_FOUND;
	struct mh_article *next = NULL;
	size_t n = 0;
	rc = read_stream(r, art, &next, &n);
	if (rc == MH_OK)
		rc = mh_store_articles_relations(r->store, r->a, next, n);
	if (rc != MH_OK)
		return rc;
	mh_site_media_prefetch(r, next, n);
	mh_site_view_common(r, "stream", art->headline, NULL, NULL, NULL);
	/* the batch follows art: it changes when art moves or goes */
	mh_site_key(r, "article:%lld", (long long)art->id);
	add_stream(r, next, n);
	return mh_site_render(r, "stream");
}
