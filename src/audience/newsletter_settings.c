/*
 * audience/newsletter_settings.c: the [newsletter] section of site.ini, owned here.
 */
#include <stddef.h>

#include "audience/newsletter.h"

static const char *const digests[] = { "off", "daily", "weekly", NULL };

#define F(field) offsetof(struct mh_newsletter_settings, field)
static const struct mh_setting rows[] = {
	{ .key = "enabled", .type = MH_SETTING_BOOL, .offset = F(enabled), .def = "true",
	  .comment = "show the sign-up box (sidebar, after articles) and /newsletter" },
	{ .key = "digest", .type = MH_SETTING_CHOICE, .offset = F(digest), .def = "off", .choices = digests,
	  .comment = "a digest of new articles to every subscriber: off, daily or weekly" },
	{ .key = "rate", .type = MH_SETTING_INT, .offset = F(rate), .min = 1, .max = 100000, .def = "20",
	  .comment = "messages per second each sending job hands to the relay" },
	{ .key = "senders", .type = MH_SETTING_INT, .offset = F(senders), .min = 1, .max = 64, .def = "2",
	  .comment = "sending jobs per newsletter (any node's job runner takes them)" },
	{ .key = "max_attempts", .type = MH_SETTING_INT, .offset = F(max_attempts), .min = 1, .max = 50, .def = "6",
	  .comment = "tries of a message the relay defers (4xx), with backoff, before it counts as failed" },
	{ .key = "retry_after", .type = MH_SETTING_INT, .offset = F(retry_after_s), .min = 1, .max = 86400,
	  .def = "300", .comment = "seconds before a deferred message is tried again (doubling each time)" },
	{ .key = "confirm_hours", .type = MH_SETTING_INT, .offset = F(confirm_hours), .min = 1, .max = 720,
	  .def = "48", .comment = "hours a sign-up's confirmation link works" },
	{ .key = "signup_burst", .type = MH_SETTING_INT, .offset = F(signup_burst), .min = 1, .max = 100000,
	  .def = "5", .comment = "sign-ups one client address may make at once" },
	{ .key = "signups_per_hour", .type = MH_SETTING_INT, .offset = F(signups_per_hour), .min = 1,
	  .max = 1000000, .def = "20", .comment = "then sign-ups per hour per client address (more get 429)" },
};
#undef F

const struct mh_settings_table mh_newsletter_settings_table =
	MH_SETTINGS_TABLE("newsletter", NULL, rows, struct mh_newsletter_settings);
