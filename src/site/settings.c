/*
 * site/settings.c: the [site] and [theme] sections of site.ini, owned here:
 * what the pages show about the site, and where its theme overrides live.
 * A new key is one row below and one field in struct mh_site_settings.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

/* A BCP 47 tag's letters, digits and inner hyphens: "en", "pt-BR". */
static bool check_language(const char *v, struct mh_buf *why)
{
	size_t n = strlen(v);
	bool ok = n <= 35 && v[0] != '-' && v[n - 1] != '-';
	for (size_t i = 0; ok && i < n; i++) {
		char c = v[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
	}
	if (!ok)
		mh_buf_printf(why, "bad language tag \"%s\" (expected a BCP 47 tag like en or pt-BR)", v);
	return ok;
}

/* Items "Name=URL" separated by ';'. Spaces around an item ("A=u; B=v")
 * are allowed, as the renderer trims them. */
static bool check_social(const char *v, struct mh_buf *why)
{
	const char *p = v;
	bool ok = true;
	while (ok && *p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && *p == ' ')
			p++, n--;
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p) {
			ok = false;
			break;
		}
		const char *u = eq + 1, *uend = p + n;
		while (u < uend && *u == ' ')
			u++;
		while (uend > u && uend[-1] == ' ')
			uend--;
		char url[4096];
		size_t un = (size_t)(uend - u);
		if (un >= sizeof url)
			un = sizeof url - 1; /* lines are at most 4000 bytes */
		memcpy(url, u, un);
		url[un] = '\0';
		ok = mh_settings_is_web_url(url);
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			ok = false; /* trailing ';' */
	}
	if (!ok)
		mh_buf_append_c(why, "bad link list (expected Name=https://...;Name=https://...)");
	return ok;
}

#define F(field) offsetof(struct mh_site_settings, field)
static const struct mh_setting site_rows[] = {
	{ .key = "title", .type = MH_SETTING_TEXT, .offset = F(title), .def = "Masthead",
	  .comment = "the site's name" },
	{ .key = "tagline", .type = MH_SETTING_TEXT, .flags = MH_SETTING_OPTIONAL, .offset = F(tagline), .def = "",
	  .comment = "one line under the name, and the description of pages that have none" },
	{ .key = "base_url", .type = MH_SETTING_URL, .offset = F(base_url), .def = "http://127.0.0.1:8080",
	  .comment = "the public address, used in canonical links and feeds" },
	{ .key = "timezone", .type = MH_SETTING_ZONE, .offset = F(timezone), .def = "UTC",
	  .comment = "IANA zone dates are shown in, e.g. Europe/Berlin (stored times are UTC)" },
	{ .key = "language", .type = MH_SETTING_TEXT, .offset = F(language), .def = "en", .check = check_language,
	  .comment = "the pages' lang, a BCP 47 tag like en or pt-BR" },
	{ .key = "video_channel_url", .type = MH_SETTING_URL, .flags = MH_SETTING_OPTIONAL,
	  .offset = F(video_channel_url), .def = "",
	  .comment = "the \"Join our video channel\" box and header link (empty: none)" },
	{ .key = "social", .type = MH_SETTING_TEXT, .flags = MH_SETTING_OPTIONAL, .offset = F(social_links),
	  .def = "", .check = check_social, .comment = "header \"connect with us\" links: Name=URL;Name=URL" },
};
static const struct mh_setting theme_rows[] = {
	{ .key = "dir", .type = MH_SETTING_TEXT, .offset = F(theme_dir), .def = "theme",
	  .comment = "files in this folder (relative to the site's) override the default theme file by file" },
};
#undef F

const struct mh_settings_table mh_site_settings_table =
	MH_SETTINGS_TABLE("site", NULL, site_rows, struct mh_site_settings);
const struct mh_settings_table mh_site_theme_settings_table =
	MH_SETTINGS_TABLE("theme", NULL, theme_rows, struct mh_site_settings);

/* ---- the settings the admin sets (stored in the database) ---- */

const char *const mh_site_db_keys[MH_SITE_DB_KEYS] = { "title", "tagline", "timezone", "video_channel_url", "social" };

static bool db_key(const char *key)
{
	for (size_t i = 0; i < MH_SITE_DB_KEYS; i++)
		if (strcmp(key, mh_site_db_keys[i]) == 0)
			return true;
	return false;
}

/* mh_settings_apply's message is "NAME: [site] key: problem"; the form
 * names the field itself, so only the problem is kept. */
static void problem_only(struct mh_buf *why, struct mh_buf *msg, const char *key)
{
	const char *m = mh_buf_cstr(msg);
	const char *p = strstr(m, "] ");
	if (p != NULL && strncmp(p + 2, key, strlen(key)) == 0 && strncmp(p + 2 + strlen(key), ": ", 2) == 0)
		m = p + 2 + strlen(key) + 2;
	mh_buf_append_c(why, m);
}

bool mh_site_setting_check(const char *key, const char *value, struct mh_buf *why)
{
	if (!db_key(key)) {
		mh_buf_append_c(why, "not a setting the admin sets (expected title, tagline, timezone, "
				     "video_channel_url or social)");
		return false;
	}
	struct mh_site_settings scratch;
	struct mh_settings_slot slot = { &mh_site_settings_table, &scratch };
	mh_settings_defaults(&slot, 1);
	struct mh_buf msg = MH_BUF_INIT;
	bool ok = mh_settings_apply(&slot, 1, "database", "site", key, value, &msg);
	if (!ok)
		problem_only(why, &msg, key);
	mh_buf_free(&msg);
	mh_settings_free(&slot, 1);
	return ok;
}

void mh_site_settings_overlay(struct mh_site_settings *set, const struct mh_site_setting *rows, size_t n,
			      bool with_zone)
{
	struct mh_settings_slot slot = { &mh_site_settings_table, set };
	for (size_t i = 0; i < n; i++) {
		if (!db_key(rows[i].key) || (!with_zone && strcmp(rows[i].key, "timezone") == 0))
			continue;
		struct mh_buf err = MH_BUF_INIT;
		/* checked when saved; a value an older or newer version let in
		 * and this one refuses keeps site.ini's, said in the log */
		if (!mh_settings_apply(&slot, 1, "database", "site", rows[i].key, rows[i].value, &err))
			mh_log(MH_LOG_WARN, "site settings: %s (site.ini's value stays)", mh_buf_cstr(&err));
		mh_buf_free(&err);
	}
}

struct mh_site_settings *mh_site_settings_layer(const struct mh_site_settings *file,
						const struct mh_site_setting *rows, size_t n, bool with_zone)
{
	struct mh_site_settings *set = calloc(1, sizeof(*set));
	MH_ASSERT(set != NULL);
	const struct mh_settings_table *tables[] = { &mh_site_settings_table, &mh_site_theme_settings_table };
	struct mh_settings_slot slots[] = { { tables[0], set }, { tables[1], set } };
	mh_settings_defaults(slots, 2);
	/* a copy of every value (each table's rows are all text), so this
	 * struct owns its strings whatever happens to file's */
	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < tables[t]->n_rows; i++) {
			const struct mh_setting *row = &tables[t]->rows[i];
			const char *v = *(const char *const *)((const char *)file + row->offset);
			struct mh_buf err = MH_BUF_INIT;
			bool ok = mh_settings_apply(&slots[t], 1, "site.ini", tables[t]->section, row->key, v != NULL ? v : "",
						    &err);
			MH_ASSERT(ok); /* file's values passed these very checks */
			mh_buf_free(&err);
		}
	}
	mh_site_settings_overlay(set, rows, n, with_zone);
	return set;
}

void mh_site_settings_layer_free(void *p)
{
	struct mh_site_settings *set = p;
	if (set == NULL)
		return;
	struct mh_settings_slot slots[] = { { &mh_site_settings_table, set }, { &mh_site_theme_settings_table, set } };
	mh_settings_free(slots, 2);
	free(set);
}
