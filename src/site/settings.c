/*
 * site/settings.c: the [site] and [theme] sections of site.ini, owned here:
 * what the pages show about the site, and where its theme overrides live.
 * A new key is one row below and one field in struct mh_site_settings.
 */
#include <stddef.h>
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
