/*
 * site/meta.c: what search engines and social networks read of a page
 * (issue 9, "Metadata on every page"): the Open Graph type and image, the
 * Twitter card, the JSON-LD blocks (NewsArticle and BreadcrumbList on an
 * article, BreadcrumbList on a section front, WebSite with its SearchAction
 * on the home page) and an article's share links. Everything is read from
 * the finished template context (view.c and pages.c built it), so a page
 * type gets its metadata by rendering, without a call of its own. Strings
 * made here live in the request's arena.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

/* A string value of the context, or NULL when absent, empty or not text. */
static const char *ctx_str(const struct mh_val *map, const char *key)
{
	const struct mh_val *v = map != NULL && map->type == MH_VAL_MAP ? mh_val_get(map, key) : NULL;
	if (v == NULL || v->type != MH_VAL_STRING || v->u.s.len == 0)
		return NULL;
	return v->u.s.ptr;
}

static const struct mh_val *ctx_map(const struct mh_val *map, const char *key)
{
	const struct mh_val *v = map != NULL && map->type == MH_VAL_MAP ? mh_val_get(map, key) : NULL;
	return v != NULL && v->type == MH_VAL_MAP ? v : NULL;
}

/* An address of the site made absolute: "/x" becomes base_url + "/x"; one
 * that already has a scheme is kept. */
static const char *absolute(struct mh_site_req *r, const char *base, const char *url)
{
	if (url == NULL)
		return NULL;
	if (url[0] == '/' && url[1] != '/')
		return MH_ARENA_CONCAT(r->a, base, url);
	return url;
}

/* JSON text (jansson's, valid) made safe as the content of a <script>
 * element: '<', '>' and '&' (so "</script>" and "<!--" cannot appear) and
 * U+2028/U+2029 (line breaks to older JavaScript parsers) as \u escapes.
 * Each of them can only stand inside a JSON string, where the escape means
 * the same character, so the data does not change. util's mh_escape_json
 * escapes a raw string; this escapes a whole document jansson wrote. */
static struct mh_val *script_safe_json(struct mh_site_req *r, const char *json)
{
	struct mh_buf b = MH_BUF_INIT;
	for (const unsigned char *p = (const unsigned char *)json; *p != '\0'; p++) {
		if (*p == '<')
			mh_buf_append_c(&b, "\\u003c");
		else if (*p == '>')
			mh_buf_append_c(&b, "\\u003e");
		else if (*p == '&')
			mh_buf_append_c(&b, "\\u0026");
		else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
			mh_buf_append_c(&b, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
			p += 2;
		} else
			mh_buf_append(&b, (const char *)p, 1);
	}
	struct mh_val *v = mh_val_html(r->a, (struct mh_str){ mh_arena_strndup(r->a, b.ptr ? b.ptr : "", b.len), b.len });
	mh_buf_free(&b);
	return v;
}

/* Adds {json} (trusted: escaped above) to the page's list of JSON-LD
 * blocks, and frees doc. */
static void add_block(struct mh_site_req *r, struct mh_val *list, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	MH_ASSERT(text != NULL); /* only out of memory */
	struct mh_val *m = mh_val_map(r->a);
	mh_val_set(r->a, m, "json", script_safe_json(r, text));
	free(text);
	mh_val_push(r->a, list, m);
}

/* A string member, skipped when s is NULL. */
static void set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL)
		json_object_set_new(o, key, json_string(s));
}

static json_t *crumb(int pos, const char *name, const char *url)
{
	json_t *c = json_object();
	set_str(c, "@type", "ListItem");
	json_object_set_new(c, "position", json_integer(pos));
	set_str(c, "name", name);
	set_str(c, "item", url);
	return c;
}

/* BreadcrumbList: the home page, then each (name, url) pair given. */
static json_t *breadcrumbs(const char *site_title, const char *home, int n, const char *const *pairs)
{
	json_t *doc = json_object();
	set_str(doc, "@context", "https://schema.org");
	set_str(doc, "@type", "BreadcrumbList");
	json_t *items = json_array();
	json_array_append_new(items, crumb(1, site_title, home));
	for (int i = 0; i < n; i++)
		json_array_append_new(items, crumb(i + 2, pairs[2 * i], pairs[2 * i + 1]));
	json_object_set_new(doc, "itemListElement", items);
	return doc;
}

static json_t *publisher(const char *site_title, const char *home, const char *logo)
{
	json_t *p = json_object();
	set_str(p, "@type", "NewsMediaOrganization");
	set_str(p, "name", site_title);
	set_str(p, "url", home);
	if (logo != NULL) {
		json_t *l = json_object();
		set_str(l, "@type", "ImageObject");
		set_str(l, "url", logo);
		json_object_set_new(p, "logo", l);
	}
	return p;
}

static json_t *news_article(struct mh_site_req *r, const struct mh_val *art, const char *base, const char *canonical,
			    const char *site_title, const char *home, const char *logo, const char *image)
{
	json_t *doc = json_object();
	set_str(doc, "@context", "https://schema.org");
	set_str(doc, "@type", "NewsArticle");
	set_str(doc, "headline", ctx_str(art, "headline"));
	set_str(doc, "description", ctx_str(art, "dek"));
	if (canonical != NULL) {
		json_t *main = json_object();
		set_str(main, "@type", "WebPage");
		set_str(main, "@id", canonical);
		json_object_set_new(doc, "mainEntityOfPage", main);
		set_str(doc, "url", canonical);
	}
	if (image != NULL) {
		json_t *imgs = json_array();
		json_array_append_new(imgs, json_string(image));
		json_object_set_new(doc, "image", imgs);
	}
	set_str(doc, "datePublished", ctx_str(art, "published_iso"));
	set_str(doc, "dateModified", ctx_str(art, "updated_iso"));
	json_t *authors = json_array();
	const struct mh_val *list = mh_val_get(art, "authors");
	for (size_t i = 0; list != NULL && list->type == MH_VAL_LIST && i < list->u.list.len; i++) {
		json_t *p = json_object();
		set_str(p, "@type", "Person");
		set_str(p, "name", ctx_str(list->u.list.items[i], "name"));
		set_str(p, "url", absolute(r, base, ctx_str(list->u.list.items[i], "url")));
		json_array_append_new(authors, p);
	}
	json_object_set_new(doc, "author", authors);
	json_object_set_new(doc, "publisher", publisher(site_title, home, logo));
	set_str(doc, "articleSection", ctx_str(ctx_map(art, "section"), "name"));
	/* no paywall: every article is free to read */
	json_object_set_new(doc, "isAccessibleForFree", json_true());
	return doc;
}

static json_t *web_site(struct mh_site_req *r, const char *site_title, const char *home, const char *base,
		       const char *description)
{
	json_t *doc = json_object();
	set_str(doc, "@context", "https://schema.org");
	set_str(doc, "@type", "WebSite");
	set_str(doc, "name", site_title);
	set_str(doc, "url", home);
	set_str(doc, "description", description);
	/* the search page is /search?q= (issue 9, Search) */
	json_t *target = json_object();
	set_str(target, "@type", "EntryPoint");
	set_str(target, "urlTemplate", MH_ARENA_CONCAT(r->a, base, "/search?q={search_term_string}"));
	json_t *action = json_object();
	set_str(action, "@type", "SearchAction");
	json_object_set_new(action, "target", target);
	set_str(action, "query-input", "required name=search_term_string");
	json_object_set_new(doc, "potentialAction", action);
	return doc;
}

/* The share links of an article: [{name, label, url}] plus copy_url. The
 * article's absolute address and headline are percent-encoded into each. */
static void share_links(struct mh_site_req *r, struct mh_val *art, const char *url, const char *headline)
{
	struct mh_arena *a = r->a;
	struct mh_buf u = MH_BUF_INIT, h = MH_BUF_INIT, both = MH_BUF_INIT;
	mh_escape_url(&u, mh_str_c(url));
	mh_escape_url(&h, mh_str_c(headline != NULL ? headline : ""));
	mh_buf_printf(&both, "%s %s", headline != NULL ? headline : "", url);
	struct mh_buf hb = MH_BUF_INIT;
	mh_escape_url(&hb, mh_buf_str(&both));
	const char *eu = mh_arena_strndup(a, u.ptr, u.len), *eh = mh_arena_strndup(a, h.ptr ? h.ptr : "", h.len),
		   *ehb = mh_arena_strndup(a, hb.ptr, hb.len);
	mh_buf_free(&u);
	mh_buf_free(&h);
	mh_buf_free(&both);
	mh_buf_free(&hb);
	static const struct {
		const char *name, *label, *fmt; /* fmt: %1 url, %2 headline, %3 both */
	} nets[] = {
		{ "x", "Share on X (Twitter)", "https://x.com/intent/tweet?url=%1&text=%2" },
		{ "facebook", "Share on Facebook", "https://www.facebook.com/sharer/sharer.php?u=%1" },
		{ "telegram", "Share on Telegram", "https://t.me/share/url?url=%1&text=%2" },
		{ "whatsapp", "Share on WhatsApp", "https://wa.me/?text=%3" },
		{ "email", "Share by email", "mailto:?subject=%2&body=%1" },
	};
	struct mh_val *list = mh_val_list(a);
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct mh_buf b = MH_BUF_INIT;
		for (const char *f = nets[i].fmt; *f != '\0'; f++) {
			if (f[0] == '%' && f[1] >= '1' && f[1] <= '3') {
				mh_buf_append_c(&b, f[1] == '1' ? eu : f[1] == '2' ? eh : ehb);
				f++;
			} else {
				mh_buf_append(&b, f, 1);
			}
		}
		struct mh_val *m = mh_val_map(a);
		mh_val_set_cstr(a, m, "name", nets[i].name);
		mh_val_set_cstr(a, m, "label", nets[i].label);
		mh_val_set_cstr(a, m, "url", mh_arena_strndup(a, b.ptr, b.len));
		mh_buf_free(&b);
		mh_val_push(a, list, m);
	}
	mh_val_set(a, art, "share", list);
	mh_val_set_cstr(a, art, "share_url", url);
}

void mh_site_meta_finish(struct mh_site_req *r)
{
	struct mh_arena *a = r->a;
	struct mh_val *page = r->ctx != NULL ? mh_val_get(r->ctx, "page") : NULL;
	if (page == NULL || page->type != MH_VAL_MAP)
		return;
	const struct mh_val *site = ctx_map(r->ctx, "site");
	const char *base = ctx_str(site, "base_url");
	const char *site_title = ctx_str(site, "title");
	if (base == NULL)
		base = "";
	const char *home = MH_ARENA_CONCAT(a, base, "/");
	const char *kind = ctx_str(page, "kind");
	const char *canonical = ctx_str(page, "canonical");
	const char *logo = absolute(r, base, ctx_str(ctx_map(r->ctx, "assets"), "logo_svg"));
	struct mh_val *art = kind != NULL && strcmp(kind, "article") == 0 ? mh_val_get(r->ctx, "article") : NULL;
	if (art != NULL && art->type != MH_VAL_MAP)
		art = NULL;

	/* the document title: the page's, then the site's (the home page
	 * is the site's title alone) */
	const char *title = ctx_str(page, "title");
	bool is_home = kind != NULL && strcmp(kind, "home") == 0;
	mh_val_set_cstr(a, page, "document_title",
			is_home || title == NULL || site_title == NULL || strcmp(title, site_title) == 0
				? (title != NULL ? title : site_title)
				: mh_arena_printf(a, "%s \u00b7 %s", title, site_title));

	const char *image = art != NULL ? ctx_str(ctx_map(art, "image"), "og_url") : NULL;
	image = absolute(r, base, image);
	mh_val_set_cstr(a, page, "og_type", art != NULL ? "article" : "website");
	if (image != NULL)
		mh_val_set_cstr(a, page, "og_image", image);
	mh_val_set_cstr(a, page, "twitter_card", image != NULL ? "summary_large_image" : "summary");

	struct mh_val *blocks = mh_val_list(a);
	if (art != NULL) {
		add_block(r, blocks, news_article(r, art, base, canonical, site_title, home, logo, image));
		const struct mh_val *sec = ctx_map(art, "section");
		const char *pairs[4];
		int n = 0;
		if (ctx_str(sec, "name") != NULL && ctx_str(sec, "url") != NULL) {
			pairs[2 * n] = ctx_str(sec, "name");
			pairs[2 * n + 1] = absolute(r, base, ctx_str(sec, "url"));
			n++;
		}
		pairs[2 * n] = ctx_str(art, "headline");
		pairs[2 * n + 1] = canonical;
		n++;
		add_block(r, blocks, breadcrumbs(site_title, home, n, pairs));
		share_links(r, art, canonical != NULL ? canonical : absolute(r, base, ctx_str(art, "url")),
			    ctx_str(art, "headline"));
	} else if (kind != NULL && strcmp(kind, "front") == 0) {
		const struct mh_val *front = ctx_map(r->ctx, "front");
		const char *pairs[2] = { ctx_str(front, "name"), absolute(r, base, ctx_str(front, "url")) };
		if (pairs[0] != NULL && pairs[1] != NULL)
			add_block(r, blocks, breadcrumbs(site_title, home, 1, pairs));
	} else if (is_home) {
		add_block(r, blocks, web_site(r, site_title, home, base, ctx_str(site, "tagline")));
	}
	mh_val_set(a, page, "jsonld", blocks);
}
