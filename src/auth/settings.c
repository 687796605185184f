/*
 * auth/settings.c: the [auth] section of site.ini, owned here: how long a
 * newsroom session lasts and how many login attempts a client gets.
 */
#include <stddef.h>

#include "auth/auth.h"

#define F(field) offsetof(struct mh_auth_settings, field)
static const struct mh_setting rows[] = {
	{ .key = "session_idle_hours", .type = MH_SETTING_INT, .offset = F(session_idle_hours), .min = 1,
	  .max = 720, .def = "12", .comment = "a session unused this long ends (the user logs in again)" },
	{ .key = "session_max_days", .type = MH_SETTING_INT, .offset = F(session_max_days), .min = 1, .max = 365,
	  .def = "30", .comment = "a session ends this long after login, however much it is used" },
	{ .key = "login_attempts_address", .type = MH_SETTING_INT, .offset = F(login_attempts_address), .min = 1,
	  .max = 100000, .def = "30",
	  .comment = "login attempts one client address may make at once; then one more per login_refill_seconds" },
	{ .key = "login_attempts_account", .type = MH_SETTING_INT, .offset = F(login_attempts_account), .min = 1,
	  .max = 100000, .def = "10",
	  .comment = "login attempts on one account from one address at once (its owner elsewhere still gets in)" },
	{ .key = "login_refill_seconds", .type = MH_SETTING_INT, .offset = F(login_refill_seconds), .min = 1,
	  .max = 86400, .def = "60", .comment = "seconds until a held-back client gets one more attempt" },
};
#undef F

const struct mh_settings_table mh_auth_settings_table =
	MH_SETTINGS_TABLE("auth", NULL, rows, struct mh_auth_settings);
