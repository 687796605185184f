/*
 * cache/settings.c: the [cache] section of site.ini, owned here: the page
 * cache in memory, and the Cache-Control the site sends to caches in front.
 */
#include <stddef.h>

#include "cache/cache.h"

#define F(field) offsetof(struct mh_cache_settings, field)
#define YEAR 31536000
static const struct mh_setting rows[] = {
	{ .key = "enabled", .type = MH_SETTING_BOOL, .offset = F(enabled), .def = "true",
	  .comment = "keep rendered pages in memory" },
	{ .key = "max_bytes", .type = MH_SETTING_SIZE, .offset = F(max_bytes), .min = 1,
	  .max = 1024LL * 1024 * 1024 * 1024, .def = "256m",
	  .comment = "memory for cached pages, all encodings together (k, m, g)" },
	{ .key = "max_age", .type = MH_SETTING_INT, .offset = F(max_age_s), .min = 0, .max = YEAR, .def = "60",
	  .comment = "Cache-Control of public pages: seconds browsers keep them" },
	{ .key = "s_maxage", .type = MH_SETTING_INT, .offset = F(s_maxage_s), .min = 0, .max = YEAR, .def = "300",
	  .comment = "seconds shared caches (Varnish, a CDN) keep them" },
	{ .key = "stale_while_revalidate", .type = MH_SETTING_INT, .offset = F(stale_while_revalidate_s),
	  .min = 0, .max = YEAR, .def = "600",
	  .comment = "seconds a cache may serve a stale page while it fetches a new one" },
};
#undef F

const struct mh_settings_table mh_cache_settings_table =
	MH_SETTINGS_TABLE("cache", NULL, rows, struct mh_cache_settings);
