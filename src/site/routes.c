/*
 * Every URL the site answers, in one table (cgit's cmd.c, lwan's routes).
 * A prefix route takes the rest of the path as its argument, which must be a
 * single non-empty segment: "/articles/a/b" and "/articles/" match nothing.
 * An exact route may hold one '*' standing for one non-empty segment, which
 * becomes its argument ("/admin/articles/ * /revisions" without the spaces);
 * rows are tried in order, so it comes before a prefix it shares.
 */
#include <string.h>

#include "site/site.h"

/* Columns: the prefix, exact, the methods (GET includes HEAD), who may use
 * it (access, and the permission of MH_ACCESS_PERMISSION), what a POST must
 * carry (csrf), then for pages: ?before= lists, the page cache, and the
 * handler (a page through the cache, or raw: answers by itself). The access
 * and csrf columns are checked (site.c, admin_auth.c) before any handler
 * runs. */
#define G MH_SITE_GET
#define P MH_SITE_POST
#define ANYONE MH_ACCESS_ANYONE, 0
#define SIGNED_IN MH_ACCESS_SIGNED_IN, 0
#define NO_CSRF MH_CSRF_NONE
#define WRITERS MH_ACCESS_PERMISSION, MH_PERM_WRITE_OWN
#define CURATORS MH_ACCESS_PERMISSION, MH_PERM_CURATE
static const struct mh_site_route routes[] = {
	/* prefix          exact  methods access     csrf         page   cache  page handler             raw handler */
	{ "/",             true,  G,      ANYONE,    NO_CSRF,     false, true,  mh_site_page_home,    NULL },
	/* feeds, sitemaps and robots.txt (feeds.c, issue 9): cached like the
	 * lists they follow; the news sitemap changes with the clock, so it is
	 * made each time. The starred rows come before the prefixes they share */
	{ "/feed.xml",     true,  G,      ANYONE,    NO_CSRF,     false, true,  mh_site_feed_site_rss, NULL },
	{ "/atom.xml",     true,  G,      ANYONE,    NO_CSRF,     false, true,  mh_site_feed_site_atom, NULL },
	{ "/feed.json",    true,  G,      ANYONE,    NO_CSRF,     false, true,  mh_site_feed_site_json, NULL },
	{ "/section/*/feed.xml", true, G, ANYONE,    NO_CSRF,     false, true,  mh_site_feed_section_rss, NULL },
	{ "/section/*/atom.xml", true, G, ANYONE,    NO_CSRF,     false, true,  mh_site_feed_section_atom, NULL },
	{ "/section/*/feed.json", true, G, ANYONE,   NO_CSRF,     false, true,  mh_site_feed_section_json, NULL },
	{ "/author/*/feed.xml", true, G,  ANYONE,    NO_CSRF,     false, true,  mh_site_feed_author_rss, NULL },
	{ "/author/*/atom.xml", true, G,  ANYONE,    NO_CSRF,     false, true,  mh_site_feed_author_atom, NULL },
	{ "/author/*/feed.json", true, G, ANYONE,    NO_CSRF,     false, true,  mh_site_feed_author_json, NULL },
	{ "/tag/*/feed.xml", true, G,     ANYONE,    NO_CSRF,     false, true,  mh_site_feed_tag_rss, NULL },
	{ "/tag/*/atom.xml", true, G,     ANYONE,    NO_CSRF,     false, true,  mh_site_feed_tag_atom, NULL },
	{ "/tag/*/feed.json", true, G,    ANYONE,    NO_CSRF,     false, true,  mh_site_feed_tag_json, NULL },
	{ "/sitemap.xml",  true,  G,      ANYONE,    NO_CSRF,     false, true,  mh_site_sitemap_index, NULL },
	{ "/sitemaps/news.xml", true, G,  ANYONE,    NO_CSRF,     false, false, mh_site_sitemap_news, NULL },
	{ "/sitemaps/",    false, G,      ANYONE,    NO_CSRF,     false, true,  mh_site_sitemap_page, NULL },
	{ "/robots.txt",   true,  G,      ANYONE,    NO_CSRF,     false, true,  mh_site_robots,       NULL },
	{ "/section/",     false, G,      ANYONE,    NO_CSRF,     true,  true,  mh_site_page_section, NULL },
	{ "/author/",      false, G,      ANYONE,    NO_CSRF,     true,  true,  mh_site_page_author,  NULL },
	{ "/tag/",         false, G,      ANYONE,    NO_CSRF,     true,  true,  mh_site_page_tag,     NULL },
	{ "/articles/",    false, G,      ANYONE,    NO_CSRF,     false, true,  mh_site_page_article, NULL },
	{ "/stream/",      false, G,      ANYONE,    NO_CSRF,     false, true,  mh_site_page_stream,  NULL },
	{ "/static/",      false, G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_static },
	{ "/media/",       false, G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_media },
	/* advertisement slots (ads.c): the height they reserve, from [ads] */
	{ "/ads.css",      true,  G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_ads_css },
	/* views (views.c): the read beacon and a page's count. The beacon's
	 * POST carries no CSRF token: it comes from cached pages with no
	 * session, changes nothing a person owns, and a forged one is held
	 * off by the reader dedupe, the bot list and the rate limit instead */
	{ "/views/",       false, G | P,  ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_views_beacon },
	/* Trending (trending.c): the page (dropped when this node's lists
	 * change) and its JSON (kept <= 60 s by browsers and caches) */
	{ "/trending",     true,  G,      ANYONE,    NO_CSRF,     false, true,  mh_site_page_trending, NULL },
	{ "/trending.json", true, G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_trending_json },
	/* comments (comments.c): a fresh form token (GET) and a comment (POST).
	 * The POST carries no session CSRF token: it comes from cached pages
	 * with no session; it carries a signed form token instead and must
	 * come from this site (Origin / Sec-Fetch-Site), checked there */
	{ "/comments/",    false, G | P,  ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_comments_post },
	/* search (search.c): results are made per request, never kept in
	 * the page cache, never indexed */
	{ "/search",       true,  G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_search_page },
	{ "/api/v1/search", true, G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_search_api },
	/* the newsletter (newsletter.c): sign-up, its confirmation link and the
	 * unsubscribe link. Public and never cached; no session, so no session
	 * CSRF token: the sign-up checks Origin/Sec-Fetch-Site and a signed
	 * timestamp token of its own, and the unsubscribe POST (RFC 8058's
	 * one-click, sent by mail clients from anywhere) is authorised by the
	 * subscriber's signed token in the link */
	{ "/newsletter",   true,  G | P,  ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_newsletter },
	{ "/newsletter/confirm", true, G, ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_newsletter_confirm },
	{ "/newsletter/unsubscribe", true, G | P, ANYONE, NO_CSRF, false, false, NULL,               mh_site_newsletter_unsubscribe },
	/* donations (donations.c): the form and its pages. The form's POST
	 * comes from cached pages with no session: donations.c checks its
	 * signed timestamp token and Origin/Sec-Fetch-Site instead of a
	 * session's token. Webhooks are checked by the provider's signature. */
	{ "/donate",       true,  G | P,  ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_donate },
	{ "/donate/return/", false, G,    ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_donate_return },
	{ "/donate/cancel/", false, G,    ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_donate_cancel },
	{ "/donate/status/", false, G,    ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_donate_status },
	{ "/donate/webhook/", false, P,   ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_donate_webhook },
	/* for operators (ops.c): never cached */
	{ "/healthz",      true,  G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_healthz },
	{ "/readyz",       true,  G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_readyz },
	{ "/metrics",      true,  G,      ANYONE,    NO_CSRF,     false, false, NULL,                 mh_site_metrics_page },
	/* the newsroom (admin_auth.c): never cached, never indexed */
	{ "/admin",        true,  G,      SIGNED_IN, NO_CSRF,     false, false, NULL,                 mh_site_admin_home },
	{ "/admin/login",  true,  G | P,  ANYONE,    MH_CSRF_LOGIN, false, false, NULL,               mh_site_admin_login },
	{ "/admin/logout", true,  P,      SIGNED_IN, MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_logout },
	{ "/admin/logout-everywhere", true, P, SIGNED_IN, MH_CSRF_SESSION, false, false, NULL,        mh_site_admin_logout_everywhere },
	{ "/admin/articles", true, G,     WRITERS,   NO_CSRF,     false, false, NULL,                 mh_site_admin_articles },
	{ "/admin/articles/new", true, G | P, WRITERS, MH_CSRF_SESSION, false, false, NULL,           mh_site_admin_article_new },
	/* the desk (admin_desk.c): an article's revisions, compared and restored */
	{ "/admin/articles/*/revisions", true, G | P, WRITERS, MH_CSRF_SESSION, false, false, NULL,  mh_site_admin_revisions },
	{ "/admin/articles/", false, G | P, WRITERS, MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_article },
	{ "/admin/reset",  true,  G | P,  ANYONE,    MH_CSRF_LOGIN, false, false, NULL,               mh_site_admin_reset },
	/* the editor's preview and autosave (admin_articles.c) */
	{ "/admin/preview", true, P,      WRITERS,   MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_preview },
	{ "/admin/autosave/", false, P,   WRITERS,   MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_autosave },
	/* the media library screen and uploads (admin_media.c): writers upload
	 * and describe, editors and owners remove; exact rows before the
	 * prefix row of an image's page */
	{ "/admin/media",  true,  G,      WRITERS,   NO_CSRF,     false, false, NULL,                 mh_site_admin_media },
	{ "/admin/media/upload", true, P, WRITERS,   MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_media_upload },
	{ "/admin/media/remove", true, P, MH_ACCESS_PERMISSION, MH_PERM_EDIT_ANY, MH_CSRF_SESSION, false, false, NULL,
	  mh_site_admin_media_remove },
	{ "/admin/media/", false, G | P,  WRITERS,   MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_media_item },
	/* site settings, users and invitations (admin_site.c; the invitee's page in admin_auth.c) */
	{ "/admin/settings", true, G | P, MH_ACCESS_PERMISSION, MH_PERM_SETTINGS, MH_CSRF_SESSION, false, false, NULL, mh_site_admin_settings },
	{ "/admin/users",  true,  G | P,  MH_ACCESS_PERMISSION, MH_PERM_MANAGE_USERS, MH_CSRF_SESSION, false, false, NULL, mh_site_admin_users },
	{ "/admin/invite", true,  G | P,  ANYONE,    MH_CSRF_LOGIN, false, false, NULL,               mh_site_admin_invite },
	/* the taxonomy screens (admin_taxonomy.c): sections, tags, authors, Staff Picks */
	{ "/admin/sections", true, G | P, CURATORS, MH_CSRF_SESSION, false, false, NULL,              mh_site_admin_sections },
	{ "/admin/sections/", false, G | P, CURATORS, MH_CSRF_SESSION, false, false, NULL,            mh_site_admin_section },
	{ "/admin/tags",   true,  G,      CURATORS,  NO_CSRF,     false, false, NULL,                 mh_site_admin_tags },
	{ "/admin/tags/",  false, G | P,  CURATORS,  MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_tag },
	{ "/admin/authors", true, G | P,  CURATORS,  MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_authors },
	{ "/admin/authors/", false, G | P, CURATORS, MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_author },
	{ "/admin/picks",  true,  G | P,  CURATORS,  MH_CSRF_SESSION, false, false, NULL,             mh_site_admin_picks },
	/* views (admin_views.c): the most-read articles, a chart per article */
	{ "/admin/views",  true,  G,      MH_ACCESS_PERMISSION, MH_PERM_EDIT_ANY, NO_CSRF, false, false, NULL, mh_site_admin_views },
	/* comments (admin_comments.c): the moderation queue, one comment's edit */
	{ "/admin/comments", true, G | P, MH_ACCESS_PERMISSION, MH_PERM_MODERATE, MH_CSRF_SESSION, false, false, NULL,
	  mh_site_admin_comments },
	{ "/admin/comments/", false, G | P, MH_ACCESS_PERMISSION, MH_PERM_MODERATE, MH_CSRF_SESSION, false, false, NULL,
	  mh_site_admin_comment },
	/* the newsletter screen (admin_newsletter.c): editors and owners send
	 * an article, follow the sends, search the subscribers */
	{ "/admin/newsletter", true, G | P, MH_ACCESS_PERMISSION, MH_PERM_EDIT_ANY, MH_CSRF_SESSION, false, false, NULL,
	  mh_site_admin_newsletter },
	{ "/admin/newsletter/", false, G, MH_ACCESS_PERMISSION, MH_PERM_EDIT_ANY, NO_CSRF, false, false, NULL,
	  mh_site_admin_newsletter_send },
	/* donations (donations.c): the ledger's totals, recurring donors, the latest gifts; owners */
	{ "/admin/donations", true, G,    MH_ACCESS_PERMISSION, MH_PERM_SETTINGS, NO_CSRF, false, false, NULL, mh_site_admin_donations },
};
#undef G
#undef P
#undef ANYONE
#undef SIGNED_IN
#undef NO_CSRF
#undef WRITERS
#undef CURATORS

size_t mh_site_route_count(void)
{
	return sizeof(routes) / sizeof(routes[0]);
}

int mh_site_route_number(const struct mh_site_route *rt)
{
	return rt != NULL ? (int)(rt - routes) + 1 : 0;
}

const char *mh_site_route_name(size_t number)
{
	MH_ASSERT(number >= 1 && number <= mh_site_route_count());
	return routes[number - 1].prefix;
}

const struct mh_site_route *mh_site_route_find(struct mh_str path, struct mh_str *arg)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct mh_site_route *rt = &routes[i];
		size_t plen = strlen(rt->prefix);
		const char *star = rt->exact ? strchr(rt->prefix, '*') : NULL;
		if (star != NULL) {
			size_t head = (size_t)(star - rt->prefix), tail = plen - head - 1;
			if (path.len <= head + tail || memcmp(path.ptr, rt->prefix, head) != 0 ||
			    memcmp(path.ptr + path.len - tail, star + 1, tail) != 0)
				continue;
			struct mh_str seg = { path.ptr + head, path.len - head - tail };
			if (memchr(seg.ptr, '/', seg.len) != NULL)
				continue;
			*arg = seg;
			return rt;
		}
		if (rt->exact) {
			if (path.len == plen && memcmp(path.ptr, rt->prefix, plen) == 0) {
				*arg = MH_STR("");
				return rt;
			}
			continue;
		}
		if (path.len <= plen || memcmp(path.ptr, rt->prefix, plen) != 0)
			continue;
		struct mh_str rest = { path.ptr + plen, path.len - plen };
		/* media may have sub-folders; everything else is one segment */
		if (rt->raw != mh_site_media && memchr(rest.ptr, '/', rest.len) != NULL)
			return NULL;
		*arg = rest;
		return rt;
	}
	return NULL;
}
