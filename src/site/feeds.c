/*
 * Feeds, sitemaps and robots.txt (issue 9): the lists the public pages show,
 * for feed readers and search engines.
 *   /feed.xml, /atom.xml, /feed.json            the site's newest articles
 *   /section|author|tag/SLUG/feed.xml|atom.xml|feed.json   one list's
 *   /sitemap.xml       the index of the sitemaps below
 *   /sitemaps/articles-N.xml   published articles with ids in ((N-1)*S, N*S]
 *                      (S = [feeds] sitemap_page_size): one primary-key range
 *   /sitemaps/pages.xml        home, sections, authors and tags
 *   /sitemaps/news.xml         Google News: the last 48 hours, at most 1,000
 *   /robots.txt
 * A feed is cached under the keys of the list it follows (home, section:ID,
 * author:ID, tag:ID) and of every article it shows (article:ID, byline:ID,
 * tagged:ID), so a save drops exactly the feeds that list the article, on
 * every node (the change log) and in front (Surrogate-Key), as it drops the
 * pages. XML is written by libxml2's xmlwriter and JSON by jansson: every
 * value is escaped by the library, none is pasted into markup by hand.
 * Item ids are tag: URIs of the article's id (tag:HOST,YEAR:article/ID, the
 * year it was created), so a renamed article keeps its id in every reader.
 */
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlwriter.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "site/site.h"

/* ---- [feeds] in site.ini ---- */

#define F(field) offsetof(struct mh_feeds_settings, field)
static const char *const content_choices[] = { "full", "excerpt", NULL };
static const struct mh_setting rows[] = {
	{ .key = "content", .type = MH_SETTING_CHOICE, .offset = F(content), .choices = content_choices,
	  .def = "full",
	  .comment = "what a feed item carries: the whole article (full) or its opening paragraphs (excerpt)" },
	{ .key = "items", .type = MH_SETTING_INT, .offset = F(items), .min = 1, .max = 100, .def = "20",
	  .comment = "articles in each feed, newest first" },
	{ .key = "sitemap_page_size", .type = MH_SETTING_INT, .offset = F(sitemap_page_size), .min = 1,
	  .max = 50000, .def = "50000",
	  .comment = "article ids each /sitemaps/articles-N.xml covers, so at most this many addresses a page\n"
		     "(sitemaps.org allows 50000)" },
};
#undef F

const struct mh_settings_table mh_feeds_settings_table =
	MH_SETTINGS_TABLE("feeds", "feeds (RSS, Atom, JSON Feed) and sitemaps", rows, struct mh_feeds_settings);

/* ---- addresses, dates, ids ---- */

static const char *base_url(struct mh_site_req *r)
{
	return mh_site_config(r->site)->base_url;
}

/* url as an absolute address: a path on this site gets base_url in front;
 * anything else (an https:// address) is kept. */
static const char *absolute(struct mh_site_req *r, const char *url)
{
	if (url[0] == '/' && url[1] != '/')
		return MH_ARENA_CONCAT(r->a, base_url(r), url);
	return url;
}

/* The host of base_url without scheme, port or path: the authority of the
 * tag: URIs. */
static const char *tag_host(struct mh_site_req *r)
{
	const char *u = base_url(r), *p = strstr(u, "://");
	p = p != NULL ? p + 3 : u;
	size_t n = strcspn(p, ":/");
	if (p[0] == '[') /* [::1]:8080 */
		n = strcspn(p, "]") + (p[strcspn(p, "]")] == ']');
	return mh_arena_strndup(r->a, p, n);
}

static int utc_year(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	return gmtime_r(&tt, &tm) != NULL ? tm.tm_year + 1900 : 1970;
}

/* The article's id in every feed: from its id and the year it was made,
 * neither of which a save changes. */
static const char *article_id_uri(struct mh_site_req *r, const struct mh_article *art)
{
	int64_t made = art->created_at != 0 ? art->created_at : art->published_at;
	return mh_arena_printf(r->a, "tag:%s,%d:article/%lld", tag_host(r), utc_year(made), (long long)art->id);
}

static const char *rfc3339(struct mh_site_req *r, int64_t t)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_time_rfc3339(&b, t);
	const char *s = mh_arena_strndup(r->a, b.ptr, b.len);
	mh_buf_free(&b);
	return s;
}

/* RFC 822 (as RFC 1123 writes it, with a four-digit year) in UTC, for RSS:
 * written from tables, since strftime's names follow the locale. */
static const char *rfc822(struct mh_site_req *r, int64_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL)
		return "Thu, 01 Jan 1970 00:00:00 +0000";
	return mh_arena_printf(r->a, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
			       months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The media type of an image by its name's ending; NULL when unknown. */
static const char *image_type(const char *url)
{
	static const struct {
		const char *ext, *type;
	} types[] = { { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".png", "image/png" },
		      { ".webp", "image/webp" }, { ".gif", "image/gif" },   { ".avif", "image/avif" },
		      { ".svg", "image/svg+xml" } };
	size_t n = strcspn(url, "?#");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);
		if (n >= e && strncasecmp(url + n - e, types[i].ext, e) == 0)
			return types[i].type;
	}
	return NULL;
}

/* The article's HTML with its addresses on this site made absolute (a feed
 * is read away from the site: "/media/x.jpg" means nothing there). The
 * rendered body writes attributes as name="value" (cmark-gfm and our
 * sanitiser), so the attributes holding addresses are found by that form;
 * srcset's candidates are each rewritten. */
static const char *absolute_html(struct mh_site_req *r, const char *html)
{
	static const char *const attrs[] = { " src=\"", " href=\"", " poster=\"", " srcset=\"" };
	const char *base = base_url(r);
	struct mh_buf b = MH_BUF_INIT;
	const char *p = html;
	while (*p != '\0') {
		const char *next = NULL;
		size_t which = 0;
		for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			const char *hit = strstr(p, attrs[i]);
			if (hit != NULL && (next == NULL || hit < next)) {
				next = hit;
				which = i;
			}
		}
		if (next == NULL)
			break;
		const char *v = next + strlen(attrs[which]);
		mh_buf_append(&b, p, (size_t)(v - p));
		const char *end = strchr(v, '"');
		if (end == NULL)
			end = v + strlen(v);
		if (which == 3) { /* srcset: "URL W, URL W" */
			bool start = true;
			for (const char *c = v; c < end; c++) {
				if (start && *c == '/' && c[1] != '/')
					mh_buf_append_c(&b, base);
				start = *c == ',' || (start && *c == ' ');
				mh_buf_append_ch(&b, *c);
			}
		} else {
			if (*v == '/' && v[1] != '/')
				mh_buf_append_c(&b, base);
			mh_buf_append(&b, v, (size_t)(end - v));
		}
		p = end;
	}
	mh_buf_append_c(&b, p);
	const char *out = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return out;
}

/* ---- the XML writer: libxml2's xmlwriter into memory ----
 * A failed call (out of memory) marks the document failed; the page then
 * answers 500 rather than half a feed. */
struct xw {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	bool failed;
};

static void xw_check(struct xw *x, int rc)
{
	if (rc < 0)
		x->failed = true;
}

/* Text for an XML document: XML 1.0 cannot hold C0 control characters
 * other than tab, newline and carriage return, so they are dropped (the
 * store keeps them out of most fields; this keeps a document well-formed
 * whatever an import brought in). */
static const xmlChar *xml_text(struct mh_site_req *r, const char *s)
{
	if (s == NULL)
		return BAD_CAST "";
	size_t n = strlen(s);
	bool clean = true;
	for (size_t i = 0; i < n && clean; i++)
		clean = (unsigned char)s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
	if (clean)
		return BAD_CAST s;
	char *c = mh_arena_alloc(r->a, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x20 || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			c[k++] = s[i];
	c[k] = '\0';
	return BAD_CAST c;
}

/* libxml2's globals are set up once, before any thread writes */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

static void xw_begin(struct xw *x)
{
	pthread_once(&xml_once, xml_init);
	x->buf = xmlBufferCreate();
	MH_ASSERT(x->buf != NULL);
	x->w = xmlNewTextWriterMemory(x->buf, 0);
	MH_ASSERT(x->w != NULL);
	x->failed = false;
	xw_check(x, xmlTextWriterSetIndent(x->w, 1));
	xw_check(x, xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL));
}

static void xw_start(struct xw *x, const char *name)
{
	xw_check(x, xmlTextWriterStartElement(x->w, BAD_CAST name));
}

static void xw_attr(struct xw *x, struct mh_site_req *r, const char *name, const char *value)
{
	xw_check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name, xml_text(r, value)));
}

static void xw_end(struct xw *x)
{
	xw_check(x, xmlTextWriterEndElement(x->w));
}

/* <name>value</name>; nothing for NULL. */
static void xw_elem(struct xw *x, struct mh_site_req *r, const char *name, const char *value)
{
	if (value != NULL)
		xw_check(x, xmlTextWriterWriteElement(x->w, BAD_CAST name, xml_text(r, value)));
}

/* Ends the document into r->body: MH_ERROR when any call failed. */
static enum mh_store_rc xw_finish(struct xw *x, struct mh_site_req *r, const char *content_type)
{
	xw_check(x, xmlTextWriterEndDocument(x->w));
	xmlFreeTextWriter(x->w); /* flushes into buf */
	if (!x->failed)
		mh_buf_append(&r->body, (const char *)xmlBufferContent(x->buf), (size_t)xmlBufferLength(x->buf));
	xmlBufferFree(x->buf);
	if (x->failed)
		return MH_ERROR;
	r->content_type = content_type;
	return MH_OK;
}

/* ---- feeds ---- */

enum scope { SCOPE_SITE, SCOPE_SECTION, SCOPE_AUTHOR, SCOPE_TAG };
enum format { FORMAT_RSS, FORMAT_ATOM, FORMAT_JSON };
static const char *const format_file[] = { "feed.xml", "atom.xml", "feed.json" };

/* One feed: whose it is and what it lists. */
struct feed {
	const char *title, *description;
	const char *page;      /* the list page's absolute address */
	const char *self_base; /* the absolute address the feed files are under ("…/section/x/") */
	struct mh_article *arts;
	size_t n;
	bool full; /* bodies, not excerpts */
};

/* Finds the list (404 when there is none), names its cache keys and reads
 * its newest articles with their bylines and tags. */
static enum mh_store_rc feed_read(struct mh_site_req *r, enum scope scope, struct mh_str slug, struct feed *f)
{
	const struct mh_site_settings *cfg = mh_site_config(r->site);
	const struct mh_feeds_settings *fs = mh_site_feeds_settings(r->site);
	struct mh_article_query q = { .limit = fs->items, .without_relations = true };
	f->full = fs->content == MH_FEEDS_FULL;
	q.with_body = f->full;
	const char *path = "";
	const char *name = NULL;
	f->description = cfg->tagline;
	switch (scope) {
	case SCOPE_SITE:
		mh_site_key(r, "home");
		break;
	case SCOPE_SECTION: {
		const struct mh_section *sec = NULL;
		for (size_t i = 0; i < r->n_sections; i++)
			if (mh_str_eq_c(slug, r->sections[i].slug))
				sec = &r->sections[i];
		if (sec == NULL)
			return MH_NOT_FOUND;
		if (sec->kind == MH_SECTION_PICKS)
			q.staff_picks_only = true;
		else if (sec->kind == MH_SECTION_PLAIN)
			q.section_id = sec->id;
		mh_site_key_id(r, "section:", sec->id);
		path = MH_ARENA_CONCAT(r->a, "/section/", sec->slug);
		name = sec->name;
		if (sec->description[0] != '\0')
			f->description = sec->description;
		break;
	}
	case SCOPE_AUTHOR: {
		struct mh_author *au = NULL;
		enum mh_store_rc rc = mh_store_author_by_slug(r->store, r->a, slug, &au);
		if (rc != MH_OK)
			return rc;
		q.author_id = au->id;
		mh_site_key_id(r, "author:", au->id);
		/* the author's own name, slug and bio: a change of the profile */
		mh_site_key_id(r, "byline:", au->id);
		path = MH_ARENA_CONCAT(r->a, "/author/", au->slug);
		name = au->name;
		if (au->bio[0] != '\0')
			f->description = au->bio;
		break;
	}
	case SCOPE_TAG: {
		struct mh_tag *tag = NULL;
		enum mh_store_rc rc = mh_store_tag_by_slug(r->store, r->a, slug, &tag);
		if (rc != MH_OK)
			return rc;
		q.tag_id = tag->id;
		mh_site_key_id(r, "tag:", tag->id);
		mh_site_key_id(r, "tagged:", tag->id);
		path = MH_ARENA_CONCAT(r->a, "/tag/", tag->slug);
		name = mh_arena_printf(r->a, "Tagged \u201c%s\u201d", tag->name);
		break;
	}
	}
	/* the site's title and the section names (categories) are in it */
	mh_site_key(r, MH_CONTENT_SITE_KEY);
	mh_site_key(r, "nav");
	f->title = name != NULL ? mh_arena_printf(r->a, "%s \u2014 %s", name, cfg->title) : cfg->title;
	f->page = MH_ARENA_CONCAT(r->a, cfg->base_url, path[0] != '\0' ? path : "/");
	f->self_base = MH_ARENA_CONCAT(r->a, cfg->base_url, path, "/");
	enum mh_store_rc rc = mh_store_articles(r->store, r->a, &q, &f->arts, &f->n);
	if (rc == MH_OK)
		rc = mh_store_articles_relations(r->store, r->a, f->arts, f->n);
	if (rc != MH_OK)
		return rc;
	for (size_t i = 0; i < f->n; i++) {
		const struct mh_article *art = &f->arts[i];
		mh_site_key_id(r, "article:", art->id);
		for (size_t k = 0; k < art->n_authors; k++)
			mh_site_key_id(r, "byline:", art->authors[k].id);
		for (size_t k = 0; k < art->n_tags; k++)
			mh_site_key_id(r, "tagged:", art->tags[k].id);
	}
	return MH_OK;
}

static const char *article_url(struct mh_site_req *r, const struct mh_article *art)
{
	return MH_ARENA_CONCAT(r->a, base_url(r), "/articles/", art->slug);
}

/* The item's HTML: the whole body, or the opening paragraphs. */
static const char *item_html(struct mh_site_req *r, const struct feed *f, const struct mh_article *art)
{
	const char *html = f->full && art->body_html != NULL ? art->body_html : art->lead_html;
	return absolute_html(r, html != NULL ? html : "");
}

/* The newest change of the feed's articles (the feed's own updated time). */
static int64_t feed_updated(const struct feed *f)
{
	int64_t t = 0;
	for (size_t i = 0; i < f->n; i++) {
		int64_t u = f->arts[i].updated_at > f->arts[i].published_at ? f->arts[i].updated_at
									      : f->arts[i].published_at;
		if (u > t)
			t = u;
	}
	return t;
}

static int64_t item_updated(const struct mh_article *art)
{
	return art->updated_at > art->published_at ? art->updated_at : art->published_at;
}

static const char *byline(struct mh_site_req *r, const struct mh_article *art)
{
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < art->n_authors; i++) {
		if (i > 0)
			mh_buf_append_c(&b, i + 1 == art->n_authors ? " and " : ", ");
		mh_buf_append_c(&b, art->authors[i].name);
	}
	const char *s = b.len > 0 ? mh_arena_strndup(r->a, b.ptr, b.len) : NULL;
	mh_buf_free(&b);
	return s;
}

/* RSS 2.0 (www.rssboard.org/rss-specification), with content:encoded for
 * the HTML, dc:creator for bylines (RSS's author wants an email address),
 * media:content for the lead image and atom:link rel=self. */
static enum mh_store_rc write_rss(struct mh_site_req *r, const struct feed *f)
{
	const struct mh_site_settings *cfg = mh_site_config(r->site);
	struct xw x;
	xw_begin(&x);
	xw_start(&x, "rss");
	xw_attr(&x, r, "version", "2.0");
	xw_attr(&x, r, "xmlns:atom", "http://www.w3.org/2005/Atom");
	xw_attr(&x, r, "xmlns:content", "http://purl.org/rss/1.0/modules/content/");
	xw_attr(&x, r, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
	xw_attr(&x, r, "xmlns:media", "http://search.yahoo.com/mrss/");
	xw_start(&x, "channel");
	xw_elem(&x, r, "title", f->title);
	xw_elem(&x, r, "link", f->page);
	xw_elem(&x, r, "description", f->description[0] != '\0' ? f->description : f->title);
	xw_elem(&x, r, "language", cfg->language);
	if (f->n > 0)
		xw_elem(&x, r, "lastBuildDate", rfc822(r, feed_updated(f)));
	xw_elem(&x, r, "generator", "Masthead");
	xw_start(&x, "atom:link");
	xw_attr(&x, r, "href", MH_ARENA_CONCAT(r->a, f->self_base, format_file[FORMAT_RSS]));
	xw_attr(&x, r, "rel", "self");
	xw_attr(&x, r, "type", "application/rss+xml");
	xw_end(&x);
	for (size_t i = 0; i < f->n; i++) {
		const struct mh_article *art = &f->arts[i];
		xw_start(&x, "item");
		xw_elem(&x, r, "title", art->headline);
		xw_elem(&x, r, "link", article_url(r, art));
		xw_start(&x, "guid");
		xw_attr(&x, r, "isPermaLink", "false");
		xw_check(&x, xmlTextWriterWriteString(x.w, xml_text(r, article_id_uri(r, art))));
		xw_end(&x);
		xw_elem(&x, r, "pubDate", rfc822(r, art->published_at));
		xw_elem(&x, r, "dc:creator", byline(r, art));
		if (art->section != NULL)
			xw_elem(&x, r, "category", art->section->name);
		for (size_t k = 0; k < art->n_tags; k++)
			xw_elem(&x, r, "category", art->tags[k].name);
		const char *html = item_html(r, f, art);
		xw_elem(&x, r, "description", art->dek[0] != '\0' ? art->dek : html);
		xw_elem(&x, r, "content:encoded", html);
		if (art->image_url[0] != '\0') {
			xw_start(&x, "media:content");
			xw_attr(&x, r, "url", absolute(r, art->image_url));
			xw_attr(&x, r, "medium", "image");
			const char *type = image_type(art->image_url);
			if (type != NULL)
				xw_attr(&x, r, "type", type);
			if (art->image_alt[0] != '\0')
				xw_elem(&x, r, "media:description", art->image_alt);
			xw_end(&x);
		}
		xw_end(&x);
	}
	xw_end(&x);
	xw_end(&x);
	return xw_finish(&x, r, "application/rss+xml; charset=utf-8");
}

/* Atom 1.0 (RFC 4287): the feed's author is the site (every entry has one
 * then, bylined or not); the lead image is a link rel=enclosure. */
static enum mh_store_rc write_atom(struct mh_site_req *r, const struct feed *f)
{
	const struct mh_site_settings *cfg = mh_site_config(r->site);
	struct xw x;
	xw_begin(&x);
	xw_start(&x, "feed");
	xw_attr(&x, r, "xmlns", "http://www.w3.org/2005/Atom");
	xw_attr(&x, r, "xml:lang", cfg->language);
	xw_elem(&x, r, "id", f->page);
	xw_elem(&x, r, "title", f->title);
	if (f->description[0] != '\0')
		xw_elem(&x, r, "subtitle", f->description);
	xw_elem(&x, r, "updated", rfc3339(r, feed_updated(f)));
	xw_start(&x, "link");
	xw_attr(&x, r, "rel", "alternate");
	xw_attr(&x, r, "type", "text/html");
	xw_attr(&x, r, "href", f->page);
	xw_end(&x);
	xw_start(&x, "link");
	xw_attr(&x, r, "rel", "self");
	xw_attr(&x, r, "type", "application/atom+xml");
	xw_attr(&x, r, "href", MH_ARENA_CONCAT(r->a, f->self_base, format_file[FORMAT_ATOM]));
	xw_end(&x);
	xw_start(&x, "author");
	xw_elem(&x, r, "name", cfg->title[0] != '\0' ? cfg->title : "Masthead");
	xw_elem(&x, r, "uri", MH_ARENA_CONCAT(r->a, cfg->base_url, "/"));
	xw_end(&x);
	xw_elem(&x, r, "generator", "Masthead");
	for (size_t i = 0; i < f->n; i++) {
		const struct mh_article *art = &f->arts[i];
		xw_start(&x, "entry");
		xw_elem(&x, r, "id", article_id_uri(r, art));
		xw_elem(&x, r, "title", art->headline);
		xw_start(&x, "link");
		xw_attr(&x, r, "rel", "alternate");
		xw_attr(&x, r, "type", "text/html");
		xw_attr(&x, r, "href", article_url(r, art));
		xw_end(&x);
		xw_elem(&x, r, "published", rfc3339(r, art->published_at));
		xw_elem(&x, r, "updated", rfc3339(r, item_updated(art)));
		for (size_t k = 0; k < art->n_authors; k++) {
			xw_start(&x, "author");
			xw_elem(&x, r, "name", art->authors[k].name);
			xw_elem(&x, r, "uri", MH_ARENA_CONCAT(r->a, cfg->base_url, "/author/", art->authors[k].slug));
			xw_end(&x);
		}
		if (art->section != NULL) {
			xw_start(&x, "category");
			xw_attr(&x, r, "term", art->section->slug);
			xw_attr(&x, r, "label", art->section->name);
			xw_end(&x);
		}
		for (size_t k = 0; k < art->n_tags; k++) {
			xw_start(&x, "category");
			xw_attr(&x, r, "term", art->tags[k].slug);
			xw_attr(&x, r, "label", art->tags[k].name);
			xw_end(&x);
		}
		if (art->dek[0] != '\0')
			xw_elem(&x, r, "summary", art->dek);
		xw_start(&x, "content");
		xw_attr(&x, r, "type", "html");
		xw_check(&x, xmlTextWriterWriteString(x.w, xml_text(r, item_html(r, f, art))));
		xw_end(&x);
		if (art->image_url[0] != '\0') {
			xw_start(&x, "link");
			xw_attr(&x, r, "rel", "enclosure");
			const char *type = image_type(art->image_url);
			if (type != NULL)
				xw_attr(&x, r, "type", type);
			xw_attr(&x, r, "href", absolute(r, art->image_url));
			xw_end(&x);
		}
		xw_end(&x);
	}
	xw_end(&x);
	return xw_finish(&x, r, "application/atom+xml; charset=utf-8");
}

static void json_set_str(json_t *o, const char *key, const char *value)
{
	json_object_set_new(o, key, json_string(value));
}

/* JSON Feed 1.1 (jsonfeed.org/version/1.1). */
static enum mh_store_rc write_json(struct mh_site_req *r, const struct feed *f)
{
	const struct mh_site_settings *cfg = mh_site_config(r->site);
	json_t *root = json_object();
	json_set_str(root, "version", "https://jsonfeed.org/version/1.1");
	json_set_str(root, "title", f->title);
	json_set_str(root, "home_page_url", f->page);
	json_set_str(root, "feed_url", MH_ARENA_CONCAT(r->a, f->self_base, format_file[FORMAT_JSON]));
	if (f->description[0] != '\0')
		json_set_str(root, "description", f->description);
	json_set_str(root, "language", cfg->language);
	json_t *site_author = json_object();
	json_set_str(site_author, "name", cfg->title[0] != '\0' ? cfg->title : "Masthead");
	json_set_str(site_author, "url", MH_ARENA_CONCAT(r->a, cfg->base_url, "/"));
	json_object_set_new(root, "authors", json_pack("[o]", site_author));
	json_t *items = json_array();
	for (size_t i = 0; i < f->n; i++) {
		const struct mh_article *art = &f->arts[i];
		json_t *it = json_object();
		json_set_str(it, "id", article_id_uri(r, art));
		json_set_str(it, "url", article_url(r, art));
		json_set_str(it, "title", art->headline);
		if (art->dek[0] != '\0')
			json_set_str(it, "summary", art->dek);
		json_set_str(it, "content_html", item_html(r, f, art));
		if (art->image_url[0] != '\0')
			json_set_str(it, "image", absolute(r, art->image_url));
		json_set_str(it, "date_published", rfc3339(r, art->published_at));
		json_set_str(it, "date_modified", rfc3339(r, item_updated(art)));
		if (art->n_authors > 0) {
			json_t *authors = json_array();
			for (size_t k = 0; k < art->n_authors; k++) {
				json_t *au = json_object();
				json_set_str(au, "name", art->authors[k].name);
				json_set_str(au, "url",
					     MH_ARENA_CONCAT(r->a, cfg->base_url, "/author/", art->authors[k].slug));
				json_array_append_new(authors, au);
			}
			json_object_set_new(it, "authors", authors);
		}
		if (art->n_tags > 0) {
			json_t *tags = json_array();
			for (size_t k = 0; k < art->n_tags; k++)
				json_array_append_new(tags, json_string(art->tags[k].name));
			json_object_set_new(it, "tags", tags);
		}
		json_array_append_new(items, it);
	}
	json_object_set_new(root, "items", items);
	/* a string that is not UTF-8 became NULL above and was left out */
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		return MH_ERROR;
	mh_buf_append_c(&r->body, text);
	free(text);
	r->content_type = "application/feed+json; charset=utf-8";
	return MH_OK;
}

static enum mh_store_rc feed_page(struct mh_site_req *r, enum scope scope, struct mh_str slug, enum format fmt)
{
	struct feed f = { 0 };
	enum mh_store_rc rc = feed_read(r, scope, slug, &f);
	if (rc != MH_OK)
		return rc;
	switch (fmt) {
	case FORMAT_RSS:
		return write_rss(r, &f);
	case FORMAT_ATOM:
		return write_atom(r, &f);
	case FORMAT_JSON:
		return write_json(r, &f);
	}
	return MH_ERROR;
}

#define FEED_HANDLER(name, scope, fmt)                                                  \
	enum mh_store_rc mh_site_feed_##name(struct mh_site_req *r, struct mh_str arg) \
	{                                                                               \
		return feed_page(r, scope, arg, fmt);                                   \
	}
FEED_HANDLER(site_rss, SCOPE_SITE, FORMAT_RSS)
FEED_HANDLER(site_atom, SCOPE_SITE, FORMAT_ATOM)
FEED_HANDLER(site_json, SCOPE_SITE, FORMAT_JSON)
FEED_HANDLER(section_rss, SCOPE_SECTION, FORMAT_RSS)
FEED_HANDLER(section_atom, SCOPE_SECTION, FORMAT_ATOM)
FEED_HANDLER(section_json, SCOPE_SECTION, FORMAT_JSON)
FEED_HANDLER(author_rss, SCOPE_AUTHOR, FORMAT_RSS)
FEED_HANDLER(author_atom, SCOPE_AUTHOR, FORMAT_ATOM)
FEED_HANDLER(author_json, SCOPE_AUTHOR, FORMAT_JSON)
FEED_HANDLER(tag_rss, SCOPE_TAG, FORMAT_RSS)
FEED_HANDLER(tag_atom, SCOPE_TAG, FORMAT_ATOM)
FEED_HANDLER(tag_json, SCOPE_TAG, FORMAT_JSON)
#undef FEED_HANDLER

/* ---- sitemaps (sitemaps.org) ---- */

#define SITEMAP_NS "http://www.sitemaps.org/schemas/sitemap/0.9"
#define SITEMAP_TYPE "application/xml; charset=utf-8"
/* Google News: articles of the last 48 hours, at most 1,000 */
#define NEWS_SECONDS (48 * 3600)
#define NEWS_MAX 1000

/* The index: the pages sitemap, one articles-N.xml per range of ids that
 * holds a published article, and the news sitemap. Ranges are found by
 * walking the primary key: from each range's end, the next published id
 * names the next range (one indexed read per range, however long the
 * archive). Any article save drops it (home): a range can fill or empty. */
enum mh_store_rc mh_site_sitemap_index(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	int64_t size = mh_site_feeds_settings(r->site)->sitemap_page_size;
	const char *base = base_url(r);
	mh_site_key(r, "home");
	struct xw x;
	xw_begin(&x);
	xw_start(&x, "sitemapindex");
	xw_attr(&x, r, "xmlns", SITEMAP_NS);
	xw_start(&x, "sitemap");
	xw_elem(&x, r, "loc", MH_ARENA_CONCAT(r->a, base, "/sitemaps/pages.xml"));
	xw_end(&x);
	int64_t cursor = 0;
	for (;;) {
		int64_t id = 0;
		enum mh_store_rc rc = mh_store_sitemap_next_id(r->store, cursor, &id);
		if (rc != MH_OK) {
			xmlFreeTextWriter(x.w);
			xmlBufferFree(x.buf);
			return rc;
		}
		if (id == 0)
			break;
		int64_t page = (id - 1) / size + 1;
		xw_start(&x, "sitemap");
		xw_elem(&x, r, "loc", mh_arena_printf(r->a, "%s/sitemaps/articles-%lld.xml", base, (long long)page));
		xw_end(&x);
		cursor = page * size;
	}
	xw_start(&x, "sitemap");
	xw_elem(&x, r, "loc", MH_ARENA_CONCAT(r->a, base, "/sitemaps/news.xml"));
	xw_end(&x);
	xw_end(&x);
	return xw_finish(&x, r, SITEMAP_TYPE);
}

static void sitemap_url(struct xw *x, struct mh_site_req *r, const char *loc, int64_t lastmod)
{
	xw_start(x, "url");
	xw_elem(x, r, "loc", loc);
	if (lastmod > 0)
		xw_elem(x, r, "lastmod", rfc3339(r, lastmod));
	xw_end(x);
}

/* articles-N.xml: the published articles with ids in ((N-1)*S, N*S], by id,
 * with when each last changed and its lead image (Google's image
 * extension). One range of the primary key; 404 when it holds none. */
static enum mh_store_rc sitemap_articles(struct mh_site_req *r, int64_t page)
{
	int64_t size = mh_site_feeds_settings(r->site)->sitemap_page_size;
	if (page < 1 || page > INT64_MAX / size)
		return MH_NOT_FOUND;
	struct mh_article *arts = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_sitemap_articles(r->store, r->a, (page - 1) * size, page * size, (int)size,
							&arts, &n);
	if (rc != MH_OK)
		return rc;
	if (n == 0)
		return MH_NOT_FOUND;
	mh_site_key(r, "home");
	struct xw x;
	xw_begin(&x);
	xw_start(&x, "urlset");
	xw_attr(&x, r, "xmlns", SITEMAP_NS);
	xw_attr(&x, r, "xmlns:image", "http://www.google.com/schemas/sitemap-image/1.1");
	for (size_t i = 0; i < n; i++) {
		const struct mh_article *art = &arts[i];
		xw_start(&x, "url");
		xw_elem(&x, r, "loc", article_url(r, art));
		xw_elem(&x, r, "lastmod", rfc3339(r, item_updated(art)));
		if (art->image_url[0] != '\0') {
			xw_start(&x, "image:image");
			xw_elem(&x, r, "image:loc", absolute(r, art->image_url));
			xw_end(&x);
		}
		xw_end(&x);
	}
	xw_end(&x);
	return xw_finish(&x, r, SITEMAP_TYPE);
}

/* pages.xml: the home page, every section front, author and tag page. Tags
 * are read by slug a thousand at a time, up to the page size. A renamed
 * tag's old address answers 301 to its new one, so the file may lag a tag
 * rename until the next article save; a renamed author drops it (byline). */
static enum mh_store_rc sitemap_pages(struct mh_site_req *r)
{
	int64_t size = mh_site_feeds_settings(r->site)->sitemap_page_size;
	const char *base = base_url(r);
	struct mh_author *authors = NULL;
	size_t n_authors = 0;
	enum mh_store_rc rc = mh_store_authors(r->store, r->a, &authors, &n_authors);
	if (rc != MH_OK)
		return rc;
	mh_site_key(r, "home");
	mh_site_key(r, "nav");
	struct xw x;
	xw_begin(&x);
	xw_start(&x, "urlset");
	xw_attr(&x, r, "xmlns", SITEMAP_NS);
	int64_t count = 1;
	sitemap_url(&x, r, MH_ARENA_CONCAT(r->a, base, "/"), 0);
	for (size_t i = 0; i < r->n_sections && count < size; i++, count++)
		sitemap_url(&x, r, MH_ARENA_CONCAT(r->a, base, "/section/", r->sections[i].slug), 0);
	for (size_t i = 0; i < n_authors && count < size; i++, count++) {
		mh_site_key_id(r, "byline:", authors[i].id);
		sitemap_url(&x, r, MH_ARENA_CONCAT(r->a, base, "/author/", authors[i].slug), 0);
	}
	const char *after = "";
	while (count < size) {
		struct mh_tag_use *tags = NULL;
		size_t n = 0;
		rc = mh_store_tags(r->store, r->a, MH_STR(""), mh_str_c(after), 1000, &tags, &n);
		if (rc != MH_OK) {
			xmlFreeTextWriter(x.w);
			xmlBufferFree(x.buf);
			return rc;
		}
		for (size_t i = 0; i < n && count < size; i++, count++)
			sitemap_url(&x, r, MH_ARENA_CONCAT(r->a, base, "/tag/", tags[i].tag.slug), 0);
		if (n < 1000)
			break;
		after = tags[n - 1].tag.slug;
	}
	xw_end(&x);
	return xw_finish(&x, r, SITEMAP_TYPE);
}

/* /sitemaps/NAME.xml: pages.xml or articles-N.xml (N a whole number). */
enum mh_store_rc mh_site_sitemap_page(struct mh_site_req *r, struct mh_str arg)
{
	if (mh_str_eq_c(arg, "pages.xml"))
		return sitemap_pages(r);
	static const char head[] = "articles-", tail[] = ".xml";
	size_t h = sizeof(head) - 1, t = sizeof(tail) - 1;
	if (arg.len <= h + t || memcmp(arg.ptr, head, h) != 0 || memcmp(arg.ptr + arg.len - t, tail, t) != 0)
		return MH_NOT_FOUND;
	struct mh_str num = { arg.ptr + h, arg.len - h - t };
	for (size_t i = 0; i < num.len; i++)
		if (num.ptr[i] < '0' || num.ptr[i] > '9')
			return MH_NOT_FOUND;
	int64_t page = 0;
	if (num.ptr[0] == '0' || !mh_str_to_i64(num, &page))
		return MH_NOT_FOUND; /* one address per page: no leading zeros */
	return sitemap_articles(r, page);
}

/* news.xml (Google News): the articles published in the last 48 hours,
 * newest first, at most 1,000, with the publication's name and language.
 * Not cached (the route): what it holds changes with the clock, and it is
 * one read of at most 1,000 index rows. With nothing that recent it is an
 * empty urlset, which Google reads as "no news now". */
enum mh_store_rc mh_site_sitemap_news(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	const struct mh_site_settings *cfg = mh_site_config(r->site);
	int64_t now = mh_time_now();
	struct mh_article_query q = { .limit = NEWS_MAX, .without_relations = true, .now = now };
	struct mh_article *arts = NULL;
	size_t n = 0;
	enum mh_store_rc rc = mh_store_articles(r->store, r->a, &q, &arts, &n);
	if (rc != MH_OK)
		return rc;
	struct xw x;
	xw_begin(&x);
	xw_start(&x, "urlset");
	xw_attr(&x, r, "xmlns", SITEMAP_NS);
	xw_attr(&x, r, "xmlns:news", "http://www.google.com/schemas/sitemap-news/0.9");
	for (size_t i = 0; i < n && arts[i].published_at > now - NEWS_SECONDS; i++) {
		const struct mh_article *art = &arts[i];
		xw_start(&x, "url");
		xw_elem(&x, r, "loc", article_url(r, art));
		xw_start(&x, "news:news");
		xw_start(&x, "news:publication");
		xw_elem(&x, r, "news:name", cfg->title[0] != '\0' ? cfg->title : "Masthead");
		xw_elem(&x, r, "news:language", cfg->language);
		xw_end(&x);
		xw_elem(&x, r, "news:publication_date", rfc3339(r, art->published_at));
		xw_elem(&x, r, "news:title", art->headline);
		xw_end(&x);
		xw_end(&x);
	}
	xw_end(&x);
	return xw_finish(&x, r, SITEMAP_TYPE);
}

/* /robots.txt: the sitemap, and the addresses that are not for indexes:
 * the newsroom (previews included, under /admin), the API, search results. */
enum mh_store_rc mh_site_robots(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	mh_buf_printf(&r->body,
		      "User-agent: *\n"
		      "Disallow: /admin\n"
		      "Disallow: /api/\n"
		      "Disallow: /search\n"
		      "Disallow: /views/\n"
		      "\n"
		      "Sitemap: %s/sitemap.xml\n",
		      base_url(r));
	r->content_type = "text/plain; charset=utf-8";
	return MH_OK;
}
