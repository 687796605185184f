/*
 * audience/settings.c: the [views] section of site.ini, owned here.
 */
#include <stddef.h>

#include "audience/audience.h"

#define F(field) offsetof(struct mh_views_settings, field)
static const struct mh_setting rows[] = {
	{ .key = "enabled", .type = MH_SETTING_BOOL, .offset = F(enabled), .def = "true",
	  .comment = "count reads of articles (beacons from the page)" },
	{ .key = "flush_interval", .type = MH_SETTING_INT, .offset = F(flush_interval_s), .min = 1, .max = 300,
	  .def = "5",
	  .comment = "seconds between writes of the counts to the database (kill -9 loses at most this much)" },
	{ .key = "refresh", .type = MH_SETTING_INT, .offset = F(refresh_s), .min = 1, .max = 60, .def = "60",
	  .comment = "seconds a page's view count may be kept before the page asks again" },
	{ .key = "beacon_rate", .type = MH_SETTING_INT, .offset = F(beacon_rate), .min = 1, .max = 1000000,
	  .def = "2", .comment = "beacons per second one address may send (more get 429)" },
	{ .key = "beacon_burst", .type = MH_SETTING_INT, .offset = F(beacon_burst), .min = 1, .max = 1000000,
	  .def = "30", .comment = "beacons one address may send at once" },
};
#undef F

const struct mh_settings_table mh_views_settings_table =
	MH_SETTINGS_TABLE("views", NULL, rows, struct mh_views_settings);
