/*
 * cli/config.c: the site's whole site.ini — the one place that lists every
 * module's settings tables, in the order a new site.ini shows them. Each
 * module owns its sections (their keys, types, defaults, comments and
 * checks); util/config.c is the engine that reads and writes them. This
 * file is built into the library with the modules, so tests and the config
 * fuzzer load exactly what `masthead serve` loads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The registry: a table per section, each bound to its module's struct in
 * struct mh_config (values NULL when c is NULL: checking only). Adding a
 * section is a row here and a member of struct mh_config; adding a key to a
 * section touches only its module. */
size_t mh_config_slots(struct mh_config *c, struct mh_settings_slot out[MH_CONFIG_SLOTS])
{
	const struct mh_settings_slot slots[] = {
		{ &mh_site_settings_table, c ? &c->site : NULL },
		{ &mh_store_settings_table, c ? &c->store : NULL },
		{ &mh_http_settings_table, c ? &c->server : NULL },
		{ &mh_cache_settings_table, c ? &c->cache : NULL },
		{ &mh_jobs_settings_table, c ? &c->jobs : NULL },
		{ &mh_purge_settings_table, c ? &c->purge : NULL },
		{ &mh_media_settings_table, c ? &c->media : NULL },
		{ &mh_auth_settings_table, c ? &c->auth : NULL },
		{ &mh_views_settings_table, c ? &c->views : NULL },
		{ &mh_comments_settings_table, c ? &c->comments : NULL },
		{ &mh_feeds_settings_table, c ? &c->feeds : NULL },
		{ &mh_trending_settings_table, c ? &c->trending : NULL }, /* Trending */
		{ &mh_ads_settings_table, c ? &c->ads : NULL }, /* [ads]: site/ads.c */
		/* the newsletter (issue 10): outgoing mail, and the newsletter's own */
		{ &mh_mail_settings_table, c ? &c->mail : NULL },
		{ &mh_newsletter_settings_table, c ? &c->newsletter : NULL },
		/* donations (issue 10) */
		{ &mh_donations_settings_table, c ? &c->donations : NULL },
		{ &mh_paypal_settings_table, c ? &c->donations : NULL },
		{ &mh_stripe_settings_table, c ? &c->donations : NULL },
		{ &mh_site_theme_settings_table, c ? &c->site : NULL },
		{ &mh_store_schema_settings_table, c ? &c->store : NULL },
	};
	size_t n = sizeof(slots) / sizeof(slots[0]);
	MH_ASSERT(n <= MH_CONFIG_SLOTS);
	memcpy(out, slots, sizeof(slots));
	return n;
}

void mh_config_defaults(struct mh_config *c)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(c, slots);
	c->dir = c->path = NULL;
	mh_settings_defaults(slots, n);
}

void mh_config_free(struct mh_config *c)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(c, slots);
	mh_settings_free(slots, n);
	free(c->dir);
	free(c->path);
	c->dir = c->path = NULL;
}

bool mh_config_parse(struct mh_config *c, const char *name, const char *text, size_t len, struct mh_buf *err)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(c, slots);
	c->dir = c->path = NULL;
	return mh_settings_parse(slots, n, name, text, len, err);
}

bool mh_config_load(struct mh_config *c, const char *dir, struct mh_buf *err)
{
	mh_config_defaults(c);
	char *abs = realpath(dir, NULL);
	if (!abs) {
		if (err)
			mh_buf_printf(err, "%s: cannot open site folder: %s", dir, strerror(errno));
		return false;
	}
	struct mh_buf path = MH_BUF_INIT, text = MH_BUF_INIT;
	mh_buf_printf(&path, "%s/site.ini", abs);
	free(abs);
	if (!mh_file_read(mh_buf_cstr(&path), &text)) {
		if (err)
			mh_buf_printf(err, "%s: cannot read: %s", path.ptr, strerror(errno));
		mh_buf_free(&path);
		return false;
	}
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(c, slots);
	bool ok = mh_settings_parse(slots, n, path.ptr, text.ptr ? text.ptr : "", text.len, err);
	/* The environment wins over [database] url: one site.ini for every node,
	 * the database (and its password) from the service's environment. */
	const char *env = getenv("MASTHEAD_DATABASE_URL");
	if (ok && env != NULL && env[0] != '\0')
		ok = mh_settings_apply(slots, n, "MASTHEAD_DATABASE_URL", "database", "url", env, err);
	mh_buf_free(&text);
	if (!ok) {
		mh_buf_free(&path);
		mh_config_free(c);
		mh_config_defaults(c);
		return false;
	}
	c->path = strdup(path.ptr);
	MH_ASSERT(c->path != NULL);
	char *slash = strrchr(path.ptr, '/');
	*slash = '\0';
	c->dir = strdup(path.ptr);
	MH_ASSERT(c->dir != NULL);
	mh_buf_free(&path);
	return true;
}

bool mh_config_edit(struct mh_buf *text, const char *name, const char *section, const char *key, const char *value,
		    struct mh_buf *err)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(NULL, slots);
	return mh_settings_edit(slots, n, text, name, section, key, value, err);
}

bool mh_config_set(const char *path, const char *section, const char *key, const char *value, struct mh_buf *err)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(NULL, slots);
	return mh_settings_set(slots, n, path, section, key, value, err);
}

void mh_config_write_defaults(struct mh_buf *out)
{
	struct mh_settings_slot slots[MH_CONFIG_SLOTS];
	size_t n = mh_config_slots(NULL, slots);
	mh_buf_append_c(out, "; Masthead site settings: every setting, at its default, with what it does.\n"
			     "; Change a value here; a key left out keeps its default. Times are stored\n"
			     "; in UTC and shown in [site] timezone.\n\n");
	mh_settings_write_defaults(slots, n, out);
}
