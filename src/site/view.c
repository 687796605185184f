/*
 * The template context: turns store rows into the value tree the theme reads
 * (themes/default/README.md is the contract). Only Markdown-rendered fields go
 * in as trusted HTML; everything else is text and is escaped by the engine.
 */
#include <stdio.h>
#include <string.h>

#include "content/content.h"
#include "site/site.h"

/* b: scratch space the caller reuses across calls (one allocation a card) */
static const char *fmt_time(struct mh_site_req *r, struct mh_buf *b, int64_t t, const char *fmt)
{
	mh_buf_reset(b);
	if (fmt == NULL)
		mh_time_rfc3339(b, t);
	else
		mh_time_format(b, t, fmt);
	return mh_arena_strndup(r->a, b->ptr ? b->ptr : "", b->len);
}

static struct mh_val *link(struct mh_site_req *r, const char *name, const char *url)
{
	struct mh_val *m = mh_val_map(r->a);
	mh_val_set_cstr(r->a, m, "name", name);
	mh_val_set_cstr(r->a, m, "url", url);
	return m;
}

/* Social links come from site.ini as "Name=URL;Name=URL". */
static struct mh_val *social_links(struct mh_site_req *r, const char *spec)
{
	struct mh_val *list = mh_val_list(r->a);
	if (spec == NULL)
		return list;
	char *copy = mh_arena_strdup(r->a, spec), *save = NULL;
	for (char *item = strtok_r(copy, ";", &save); item != NULL; item = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		while (*item == ' ')
			item++;
		mh_val_push(r->a, list, link(r, item, eq + 1));
	}
	return list;
}

static const char *section_url(struct mh_site_req *r, const struct mh_section *sec)
{
	return MH_ARENA_CONCAT(r->a, "/section/", sec->slug);
}

void mh_site_view_common(struct mh_site_req *r, const char *kind, const char *title, const char *description,
			 const char *canonical_path, const struct mh_section *current)
{
	const struct mh_site_settings *cfg = mh_site_config(r->site);
	struct mh_arena *a = r->a;
	/* the header lists the sections: a section change drops every page */
	mh_site_key(r, "nav");
	r->ctx = mh_val_map(a);

	struct mh_val *site = mh_val_map(a);
	mh_val_set_cstr(a, site, "title", cfg->title);
	mh_val_set_cstr(a, site, "tagline", cfg->tagline);
	mh_val_set_cstr(a, site, "base_url", cfg->base_url);
	mh_val_set_cstr(a, site, "language", cfg->language);
	if (cfg->video_channel_url != NULL && cfg->video_channel_url[0] != '\0')
		mh_val_set_cstr(a, site, "video_channel_url", cfg->video_channel_url);
	mh_val_set(a, site, "social", social_links(r, cfg->social_links));
	mh_val_set(a, r->ctx, "site", site);
	/* every page shows the site settings: a change of them names this */
	mh_site_key(r, MH_CONTENT_SITE_KEY);

	struct mh_val *nav = mh_val_list(a);
	for (size_t i = 0; i < r->n_sections; i++) {
		if (r->sections[i].kind == MH_SECTION_LATEST)
			mh_val_set_cstr(a, r->ctx, "latest_url", section_url(r, &r->sections[i]));
		struct mh_val *item = link(r, r->sections[i].name, section_url(r, &r->sections[i]));
		mh_val_set_bool(a, item, "current", current != NULL && current->id == r->sections[i].id);
		mh_val_push(a, nav, item);
	}
	mh_val_set(a, r->ctx, "nav", nav);
	mh_theme_add_asset_urls(mh_site_theme(r->site), a, r->ctx);

	struct mh_val *page = mh_val_map(a);
	mh_val_set_cstr(a, page, "kind", kind);
	mh_val_set_cstr(a, page, "title", title);
	mh_val_set_cstr(a, page, "description", description != NULL ? description : cfg->tagline);
	if (canonical_path != NULL)
		mh_val_set_cstr(a, page, "canonical", MH_ARENA_CONCAT(a, cfg->base_url, canonical_path));
	mh_val_set(a, r->ctx, "page", page);

	struct mh_buf y = MH_BUF_INIT;
	mh_time_format(&y, mh_time_now(), "%Y");
	mh_val_set_cstr(a, r->ctx, "year", mh_arena_strndup(a, y.ptr, y.len));
	mh_buf_free(&y);

	/* Filled by later features (trending, newsletter, donations, ads,
	 * comments); the theme shows nothing for an empty slot. */
	struct mh_val *slots = mh_val_map(a);
	mh_val_set(a, r->ctx, "slots", slots);
	mh_site_ads_fill(r, slots, kind, current); /* ads.c: advertisement slots */
	mh_site_trending_slots(r, current); /* Trending (trending.c) */
	mh_site_newsletter_slot(r, slots);
	mh_site_donations_slot(r, slots); /* donations.c */
}

/* The body cut at the renderer's slot markers, for advertisements between
 * blocks: [{html, slot}], slot true after every part but the last. */
static struct mh_val *body_parts(struct mh_site_req *r, const char *html)
{
	struct mh_val *parts = mh_val_list(r->a);
	const char *p = html;
	for (;;) {
		const char *mark = strstr(p, MH_CONTENT_SLOT_MARK);
		struct mh_val *part = mh_val_map(r->a);
		size_t len = mark != NULL ? (size_t)(mark - p) : strlen(p);
		mh_val_set(r->a, part, "html", mh_val_html(r->a, (struct mh_str){ p, len }));
		mh_val_set_bool(r->a, part, "slot", mark != NULL);
		mh_val_push(r->a, parts, part);
		if (mark == NULL)
			return parts;
		p = mark + strlen(MH_CONTENT_SLOT_MARK);
	}
}

struct mh_val *mh_site_view_article(struct mh_site_req *r, const struct mh_article *art, bool with_body)
{
	struct mh_arena *a = r->a;
	struct mh_val *m = mh_val_map(a);
	mh_val_set_cstr(a, m, "url", MH_ARENA_CONCAT(a, "/articles/", art->slug));
	if (art->id > 0) /* the views beacon's /views/ID; none in the editor's preview */
		mh_val_set_int(a, m, "id", art->id);
	mh_val_set_cstr(a, m, "slug", art->slug);
	mh_val_set_cstr(a, m, "headline", art->headline);
	mh_val_set_cstr(a, m, "dek", art->dek);
	if (art->section != NULL) {
		struct mh_val *sec = link(r, art->section->name, section_url(r, art->section));
		mh_val_set_cstr(a, sec, "slug", art->section->slug);
		mh_val_set(a, m, "section", sec);
	}
	struct mh_val *authors = mh_val_list(a);
	for (size_t i = 0; i < art->n_authors; i++) {
		const struct mh_author *au = &art->authors[i];
		struct mh_val *v = link(r, au->name, MH_ARENA_CONCAT(a, "/author/", au->slug));
		mh_val_set_bool(a, v, "first", i == 0);
		mh_val_set_bool(a, v, "last", i + 1 == art->n_authors);
		mh_val_push(a, authors, v);
	}
	mh_val_set(a, m, "authors", authors);
	struct mh_buf v = MH_BUF_INIT;
	mh_val_set_cstr(a, m, "published_iso", fmt_time(r, &v, art->published_at, NULL));
	mh_val_set_cstr(a, m, "published", fmt_time(r, &v, art->published_at, "%B %-d, %Y"));
	mh_val_set_cstr(a, m, "updated_iso", fmt_time(r, &v, art->updated_at, NULL));
	mh_val_set_cstr(a, m, "updated", fmt_time(r, &v, art->updated_at, "%B %-d, %Y"));
	mh_val_set_int(a, m, "views", art->views);
	mh_buf_reset(&v);
	mh_format_thousands(&v, art->views);
	mh_val_set_cstr(a, m, "views_display", mh_arena_strndup(a, v.ptr, v.len));
	mh_buf_free(&v);
	if (art->image_url != NULL && art->image_url[0] != '\0')
		mh_val_set(a, m, "image", mh_site_view_image(r, art->image_url, art->image_alt));
	if (art->via_name != NULL && art->via_name[0] != '\0')
		mh_val_set(a, m, "via", link(r, art->via_name, art->via_url));
	mh_val_set_bool(a, m, "staff_pick", art->staff_pick);
	mh_val_set_bool(a, m, "no_ads", art->no_ads); /* ads.c: advertisements off on its page */
	struct mh_val *tags = mh_val_list(a);
	for (size_t i = 0; i < art->n_tags; i++)
		mh_val_push(a, tags, link(r, art->tags[i].name, MH_ARENA_CONCAT(a, "/tag/", art->tags[i].slug)));
	mh_val_set(a, m, "tags", tags);
	if (art->lead_html != NULL)
		mh_val_set(a, m, "lead_html", mh_val_html(a, mh_str_c(art->lead_html)));
	if (with_body && art->body_html != NULL) {
		mh_val_set(a, m, "body_html", mh_val_html(a, mh_str_c(art->body_html)));
		mh_val_set(a, m, "body_parts", body_parts(r, art->body_html));
		/* a piece with one of our videos ends with the channel's call */
		mh_val_set_bool(a, m, "has_video", strstr(art->body_html, "data-video-id=") != NULL);
		mh_site_comments_slot(r, art); /* the article's own page: its comments (comments.c) */
	}
	/* the page shows this article: any change to it makes the page stale */
	mh_site_key_id(r, "article:", art->id);
	/* and its byline's and tags' names: a renamed author or tag too */
	for (size_t i = 0; i < art->n_authors; i++)
		mh_site_key_id(r, "byline:", art->authors[i].id);
	for (size_t i = 0; i < art->n_tags; i++)
		mh_site_key_id(r, "tagged:", art->tags[i].id);
	return m;
}

struct mh_val *mh_site_view_articles(struct mh_site_req *r, const struct mh_article *arts, size_t n)
{
	struct mh_val *list = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++)
		mh_val_push(r->a, list, mh_site_view_article(r, &arts[i], false));
	return list;
}

void mh_site_view_pagination(struct mh_site_req *r, const char *newer_url, const char *older_url)
{
	struct mh_arena *a = r->a;
	struct mh_val *p = mh_val_map(a);
	if (newer_url == NULL)
		mh_val_set(a, p, "newest", mh_val_bool(a, true));
	if (newer_url != NULL)
		mh_val_set_cstr(a, p, "prev_url", newer_url);
	if (older_url != NULL)
		mh_val_set_cstr(a, p, "next_url", older_url);
	mh_val_set(a, r->ctx, "pagination", p);
	struct mh_val *pg = mh_val_get(r->ctx, "page");
	if (newer_url != NULL)
		mh_val_set_cstr(a, pg, "rel_prev", newer_url);
	if (older_url != NULL)
		mh_val_set_cstr(a, pg, "rel_next", older_url);
}

enum mh_store_rc mh_site_render(struct mh_site_req *r, const char *name)
{
	mh_site_meta_finish(r); /* meta.c: Open Graph, JSON-LD, share links */
	mh_site_ads_finish(r);  /* ads.c: the slots' places in the body and stream */
	if (!mh_theme_render(mh_site_theme(r->site), name, r->ctx, &r->body)) {
		mh_log(MH_LOG_ERROR, "the theme has no template '%s'", name);
		return MH_ERROR;
	}
	return MH_OK;
}
