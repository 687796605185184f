/*
 * jobs/settings.c: the [jobs] and [purge] sections of site.ini, owned here:
 * each node's job runner, and the caches in front (Varnish, a CDN) that a
 * purge job tells about changed pages.
 */
#include <stddef.h>
#include <string.h>

#include "jobs/jobs.h"

/* An http(s) URL holding {key}, replaced by each URL-escaped cache key. */
static bool check_url_template(const char *v, struct mh_buf *why)
{
	if (mh_settings_is_web_url(v) && strstr(v, "{key}") != NULL)
		return true;
	mh_buf_printf(why,
		      "\"%s\" is not a purge address (expected an http:// or https:// URL holding {key}, like "
		      "https://cdn.example/purge?key={key})",
		      v);
	return false;
}

static bool check_method(const char *v, struct mh_buf *why)
{
	size_t n = strlen(v);
	bool ok = n > 0 && n <= 20;
	for (const char *p = v; ok && *p; p++)
		ok = *p >= 'A' && *p <= 'Z';
	if (!ok)
		mh_buf_printf(why, "\"%s\" is not an HTTP method (expected upper-case letters like POST or PURGE)", v);
	return ok;
}

/* "Name: value": a header name of token characters, then a printable value. */
static bool check_header(const char *v, struct mh_buf *why)
{
	const char *colon = strchr(v, ':');
	bool ok = colon != NULL && colon != v;
	for (const char *p = v; ok && p < colon; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		     *p == '_';
	if (ok) {
		const char *value = colon + 1;
		while (*value == ' ')
			value++;
		ok = *value != '\0';
	}
	if (!ok)
		mh_buf_printf(why, "\"%s\" is not a header (expected Name: value, like Authorization: Bearer abc)", v);
	return ok;
}

#define F(field) offsetof(struct mh_jobs_settings, field)
static const struct mh_setting jobs_rows[] = {
	{ .key = "workers", .type = MH_SETTING_INT, .offset = F(workers), .min = 0, .max = 64, .def = "1",
	  .comment = "runner threads on this node, each with its own connection (0 = this node runs no jobs)" },
	{ .key = "lease", .type = MH_SETTING_INT, .offset = F(lease_s), .min = 1, .max = 86400, .def = "60",
	  .comment = "seconds a claimed job stays this node's; then another node may take it over" },
};
#undef F

#define F(field) offsetof(struct mh_purge_settings, field)
static const struct mh_setting purge_rows[] = {
	{ .key = "varnish", .type = MH_SETTING_URL_LIST, .offset = F(varnish), .def = "",
	  .comment = "Varnish addresses, separated by spaces, each sent a BAN with the changed keys\n"
		     "(see contrib/varnish/masthead.vcl), e.g. http://127.0.0.1:6081" },
	{ .key = "url_template", .type = MH_SETTING_TEXT, .flags = MH_SETTING_OPTIONAL, .offset = F(url_template),
	  .def = "", .check = check_url_template,
	  .comment = "a CDN's purge API: one request per changed key, {key} replaced,\n"
		     "e.g. https://cdn.example/purge?key={key}" },
	{ .key = "method", .type = MH_SETTING_TEXT, .offset = F(method), .def = "POST", .check = check_method,
	  .comment = "the HTTP method of url_template's requests" },
	{ .key = "header", .type = MH_SETTING_TEXT, .flags = MH_SETTING_OPTIONAL, .offset = F(header), .def = "",
	  .check = check_header, .comment = "sent with every purge request, e.g. Authorization: Bearer abc" },
	{ .key = "timeout", .type = MH_SETTING_INT, .offset = F(timeout_s), .min = 1, .max = 300, .def = "5",
	  .comment = "seconds per purge request, connecting included; a failed purge is retried later" },
};
#undef F

const struct mh_settings_table mh_jobs_settings_table =
	MH_SETTINGS_TABLE("jobs", "background jobs (scheduled publishing, purges), one queue in the database for every node",
			  jobs_rows, struct mh_jobs_settings);
const struct mh_settings_table mh_purge_settings_table =
	MH_SETTINGS_TABLE("purge", "caches in front told which pages each change made stale; none set: nothing is sent",
			  purge_rows, struct mh_purge_settings);
