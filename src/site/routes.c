/*
 * Every URL the site answers, in one table (cgit's cmd.c, lwan's routes).
 * A prefix route takes the rest of the path as its argument, which must be a
 * single non-empty segment: "/articles/a/b" and "/articles/" match nothing.
 */
#include <string.h>

#include "site/site.h"

static const struct mh_site_route routes[] = {
	/* prefix          exact  page   cache  page handler             raw handler */
	{ "/",             true,  false, true,  mh_site_page_home,    NULL },
	{ "/section/",     false, true,  true,  mh_site_page_section, NULL },
	{ "/author/",      false, true,  true,  mh_site_page_author,  NULL },
	{ "/tag/",         false, true,  true,  mh_site_page_tag,     NULL },
	{ "/articles/",    false, false, true,  mh_site_page_article, NULL },
	{ "/stream/",      false, false, true,  mh_site_page_stream,  NULL },
	{ "/static/",      false, false, false, NULL,                 mh_site_static },
	{ "/media/",       false, false, false, NULL,                 mh_site_media },
	/* for operators (ops.c): never cached */
	{ "/healthz",      true,  false, false, NULL,                 mh_site_healthz },
	{ "/readyz",       true,  false, false, NULL,                 mh_site_readyz },
	{ "/metrics",      true,  false, false, NULL,                 mh_site_metrics_page },
};

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
