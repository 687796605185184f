/*
 * store/settings.c: the [database] and [schema] sections of site.ini, owned
 * here: which database the site is, and the schema version Masthead last
 * migrated it to (written by Masthead, not by hand).
 */
#include <limits.h>
#include <stddef.h>

#include "store/store.h"

#define F(field) offsetof(struct mh_store_settings, field)
static const struct mh_setting database_rows[] = {
	{ .key = "url", .type = MH_SETTING_TEXT, .offset = F(url), .def = "masthead.db",
	  .comment = "an SQLite file (relative to this folder, or sqlite:PATH), or postgres://USER@HOST:PORT/DB\n"
		     "(MASTHEAD_DATABASE_URL in the environment wins over this)" },
};
static const struct mh_setting schema_rows[] = {
	{ .key = "version", .type = MH_SETTING_INT, .offset = F(schema_version), .min = 0, .max = INT_MAX,
	  .def = "0", .comment = "written by Masthead: the database's schema version after its last migration" },
};
#undef F

const struct mh_settings_table mh_store_settings_table =
	MH_SETTINGS_TABLE("database", NULL, database_rows, struct mh_store_settings);
const struct mh_settings_table mh_store_schema_settings_table =
	MH_SETTINGS_TABLE("schema", NULL, schema_rows, struct mh_store_settings);
