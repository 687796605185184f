/*
 * site/ads.c: advertisement slots (issue 9): the [ads] section of site.ini,
 * what each named slot of the default theme holds, the stylesheet that
 * reserves the slots' height (/ads.css) and the page CSP with the ad
 * networks' hosts the owner allowed.
 *
 * Slots: "article" (in the body, after paragraph after_paragraph),
 * "sidebar_top", "sidebar_bottom" and "stream" (between the items of the
 * Continue Reading stream). A slot holds the owner's HTML snippet (a file
 * named in site.ini: trusted, owner-only, never reader input) or a house ad
 * (an image of our media, a link, a line of text); a slot with neither is
 * left out. Ads are off on a page of a section that turned them off and
 * on an article that did (the section and article columns no_ads).
 * The settings and the files are read once, at start (a restart applies a
 * change). struct mh_site_ads lives as long as the site.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

const char *const mh_ads_slot_names[MH_ADS_N_SLOTS] = { "article", "sidebar_top", "sidebar_bottom", "stream" };

/* ---- [ads] ---- */

/* "/media/..." only: a house ad's image comes from our own media. */
static bool check_media_path(const char *v, struct mh_buf *why)
{
	if (strncmp(v, "/media/", 7) == 0 && v[7] != '\0' && strstr(v, "..") == NULL && strpbrk(v, " \"'<>") == NULL)
		return true;
	mh_buf_append_c(why, "not an address of our media (expected /media/NAME, e.g. /media/house-ad.png)");
	return false;
}

/* A site path "/..." or an http(s) address. */
static bool check_link(const char *v, struct mh_buf *why)
{
	bool ok = (v[0] == '/' && v[1] != '/') || strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0;
	if (ok && strpbrk(v, " \"'<>") == NULL)
		return true;
	mh_buf_append_c(why, "not a link (expected a path such as /subscribe or an https:// address)");
	return false;
}

/* One CSP host-source: [https://][*.]host.name[:port], letters, digits,
 * '-' and '.', at least one dot. Nothing else (no quotes, no ';', no '*'
 * alone) can reach the policy. */
static bool csp_host_ok(const char *p, size_t n)
{
	if (n > 8 && strncmp(p, "https://", 8) == 0)
		p += 8, n -= 8;
	if (n > 2 && p[0] == '*' && p[1] == '.')
		p += 2, n -= 2;
	size_t host = 0;
	bool dot = false;
	while (host < n && p[host] != ':') {
		char c = p[host];
		if (c == '.') {
			if (host == 0 || p[host - 1] == '.')
				return false;
			dot = true;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
			return false;
		}
		host++;
	}
	if (host == 0 || !dot || p[host - 1] == '.')
		return false;
	if (host < n) { /* :port */
		if (host + 1 == n || n - host - 1 > 5)
			return false;
		for (size_t i = host + 1; i < n; i++)
			if (p[i] < '0' || p[i] > '9')
				return false;
	}
	return true;
}

bool mh_ads_csp_hosts_check(const char *v, struct mh_buf *why)
{
	for (const char *p = v; *p != '\0';) {
		size_t sp = strspn(p, " ");
		p += sp;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (!csp_host_ok(p, n)) {
			mh_buf_printf(why, "'%.*s' is not a host (expected host names separated by spaces, e.g. "
					   "ads.example.net *.adcdn.example https://static.example.com:8443)",
				      (int)(n > 80 ? 80 : n), p);
			return false;
		}
		p += n;
	}
	return true;
}

#define F(field) offsetof(struct mh_ads_settings, field)
#define SLOT_ROWS(i, name)                                                                                          \
	{ .key = name "_html_file", .type = MH_SETTING_PATH, .offset = F(slot[i].html_file), .def = "",              \
	  .flags = MH_SETTING_OPTIONAL,                                                                             \
	  .comment = "the " name " slot: a file of HTML (an ad network's tag), relative to the site folder" },      \
	{ .key = name "_house_image", .type = MH_SETTING_TEXT, .offset = F(slot[i].house_image), .def = "",          \
	  .flags = MH_SETTING_OPTIONAL, .check = check_media_path,                                                  \
	  .comment = "or a house ad: its image (/media/NAME), link and text" },                                     \
	{ .key = name "_house_link", .type = MH_SETTING_TEXT, .offset = F(slot[i].house_link), .def = "",            \
	  .flags = MH_SETTING_OPTIONAL, .check = check_link,                                                        \
	  .comment = "where the house ad leads: a path (/subscribe) or an https:// address" },                      \
	{ .key = name "_house_text", .type = MH_SETTING_TEXT, .offset = F(slot[i].house_text), .def = "",            \
	  .flags = MH_SETTING_OPTIONAL, .comment = "the house ad's text (also its image's description)" }
static const struct mh_setting rows[] = {
	{ .key = "enabled", .type = MH_SETTING_BOOL, .offset = F(enabled), .def = "false",
	  .comment = "show advertisement slots (each slot below shows only when it has an ad)" },
	{ .key = "after_paragraph", .type = MH_SETTING_INT, .offset = F(after_paragraph), .min = 1, .max = 1000,
	  .def = "4",
	  .comment = "the article slot goes after this many blocks of the body (rounded up to the renderer's "
		     "places between blocks, every 4; none when the article is shorter)" },
	{ .key = "min_height", .type = MH_SETTING_INT, .offset = F(min_height), .min = 0, .max = 2000, .def = "250",
	  .comment = "pixels every slot reserves, so the page does not shift when an ad loads" },
	{ .key = "stream_every", .type = MH_SETTING_INT, .offset = F(stream_every), .min = 1, .max = 100,
	  .def = "3", .comment = "the stream slot goes after every this many Continue Reading items" },
	{ .key = "csp_hosts", .type = MH_SETTING_TEXT, .offset = F(csp_hosts), .def = "",
	  .flags = MH_SETTING_OPTIONAL, .check = mh_ads_csp_hosts_check,
	  .comment = "ad networks' hosts the pages' Content-Security-Policy allows scripts, images and frames "
		     "from, separated by spaces (empty: our own files only)" },
	SLOT_ROWS(0, "article"),
	SLOT_ROWS(1, "sidebar_top"),
	SLOT_ROWS(2, "sidebar_bottom"),
	SLOT_ROWS(3, "stream"),
};
#undef SLOT_ROWS
#undef F

const struct mh_settings_table mh_ads_settings_table =
	MH_SETTINGS_TABLE("ads", "advertisement slots (see the README, \"Advertisements\")", rows,
			  struct mh_ads_settings);

/* ---- the site's ads, as loaded at start ---- */

struct mh_site_ads {
	bool enabled;
	int after_paragraph, stream_every;
	char *html[MH_ADS_N_SLOTS]; /* the snippet files' text; NULL: none */
	char *image[MH_ADS_N_SLOTS], *link[MH_ADS_N_SLOTS], *text[MH_ADS_N_SLOTS];
	char *css; /* /ads.css */
	char *csp; /* the page CSP with csp_hosts; NULL: the default one */
};

static char *dup_or_null(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return NULL;
	char *d = strdup(s);
	MH_ASSERT(d != NULL);
	return d;
}

struct mh_site_ads *mh_site_ads_new(const struct mh_ads_settings *set, const char *site_dir, struct mh_buf *err)
{
	struct mh_ads_settings defaults;
	if (set == NULL) {
		struct mh_settings_slot slot = { &mh_ads_settings_table, &defaults };
		mh_settings_defaults(&slot, 1);
		set = &defaults;
	}
	struct mh_site_ads *ads = calloc(1, sizeof(*ads));
	MH_ASSERT(ads != NULL);
	ads->enabled = set->enabled;
	ads->after_paragraph = set->after_paragraph;
	ads->stream_every = set->stream_every;
	struct mh_buf b = MH_BUF_INIT;
	for (int i = 0; i < MH_ADS_N_SLOTS; i++) {
		const struct mh_ads_slot_settings *s = &set->slot[i];
		if (s->html_file != NULL && s->html_file[0] != '\0') {
			mh_buf_reset(&b);
			if (s->html_file[0] == '/' || site_dir == NULL)
				mh_buf_append_c(&b, s->html_file);
			else
				mh_buf_printf(&b, "%s/%s", site_dir, s->html_file);
			struct mh_buf text = MH_BUF_INIT;
			if (!mh_file_read(mh_buf_cstr(&b), &text)) {
				if (err != NULL)
					mh_buf_printf(err, "[ads] %s_html_file: cannot read %s", mh_ads_slot_names[i],
						      mh_buf_cstr(&b));
				mh_buf_free(&text);
				mh_buf_free(&b);
				mh_site_ads_free(ads);
				return NULL;
			}
			ads->html[i] = strdup(mh_buf_cstr(&text));
			MH_ASSERT(ads->html[i] != NULL);
			mh_buf_free(&text);
		}
		if (s->house_image != NULL && s->house_image[0] != '\0' && ads->html[i] == NULL) {
			ads->image[i] = dup_or_null(s->house_image);
			ads->link[i] = dup_or_null(s->house_link);
			ads->text[i] = dup_or_null(s->house_text);
		}
	}
	mh_buf_reset(&b);
	mh_buf_printf(&b,
		      "/* advertisement slots: the height [ads] min_height reserves */\n"
		      ".ad__slot { min-height: %dpx; }\n",
		      set->min_height);
	ads->css = strdup(mh_buf_cstr(&b));
	MH_ASSERT(ads->css != NULL);
	if (set->csp_hosts != NULL && strspn(set->csp_hosts, " ") < strlen(set->csp_hosts)) {
		/* the hosts, checked by mh_ads_csp_hosts_check, joined by one space */
		struct mh_buf hosts = MH_BUF_INIT;
		for (const char *p = set->csp_hosts; *p != '\0';) {
			p += strspn(p, " ");
			size_t n = strcspn(p, " ");
			if (n > 0)
				mh_buf_printf(&hosts, " %.*s", (int)n, p);
			p += n;
		}
		mh_buf_reset(&b);
		mh_buf_printf(&b,
			      "default-src 'self'; script-src 'self'%s; style-src 'self'; img-src 'self' https: data:%s; "
			      "media-src 'self' https:; frame-src https://www.youtube-nocookie.com%s; "
			      "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
			      mh_buf_cstr(&hosts), mh_buf_cstr(&hosts), mh_buf_cstr(&hosts));
		ads->csp = strdup(mh_buf_cstr(&b));
		MH_ASSERT(ads->csp != NULL);
		mh_buf_free(&hosts);
	}
	mh_buf_free(&b);
	return ads;
}

void mh_site_ads_free(struct mh_site_ads *ads)
{
	if (ads == NULL)
		return;
	for (int i = 0; i < MH_ADS_N_SLOTS; i++) {
		free(ads->html[i]);
		free(ads->image[i]);
		free(ads->link[i]);
		free(ads->text[i]);
	}
	free(ads->css);
	free(ads->csp);
	free(ads);
}

const char *mh_site_ads_csp(const struct mh_site_ads *ads, const char *default_csp)
{
	return ads != NULL && ads->csp != NULL ? ads->csp : default_csp;
}

/* ---- slots in the page ---- */

/* A slot's template value: {name, html (HTML) | false, house {image, link,
 * text} | false}. Every key is set (false when unused) so that a name
 * inside the ad partial never falls through to the context around it (a
 * body part's html, a stream item's image). NULL when the slot is empty. */
static struct mh_val *slot_val(struct mh_site_req *r, const struct mh_site_ads *ads, int i)
{
	struct mh_arena *a = r->a;
	if (ads->html[i] == NULL && ads->image[i] == NULL)
		return NULL;
	struct mh_val *m = mh_val_map(a);
	mh_val_set_cstr(a, m, "name", mh_ads_slot_names[i]);
	/* the owner's snippet from site.ini: trusted HTML by the contract
	 * of [ads] (only the owner writes site.ini and its files) */
	mh_val_set(a, m, "html", ads->html[i] != NULL ? mh_val_html(a, mh_str_c(ads->html[i])) : mh_val_bool(a, false));
	if (ads->image[i] != NULL) {
		struct mh_val *h = mh_val_map(a);
		mh_val_set_cstr(a, h, "image", ads->image[i]);
		mh_val_set_cstr(a, h, "link", ads->link[i] != NULL ? ads->link[i] : "");
		mh_val_set_cstr(a, h, "text", ads->text[i] != NULL ? ads->text[i] : "");
		mh_val_set(a, m, "house", h);
	} else {
		mh_val_set(a, m, "house", mh_val_bool(a, false));
	}
	return m;
}

void mh_site_ads_fill(struct mh_site_req *r, struct mh_val *slots, const char *kind, const struct mh_section *current)
{
	const struct mh_site_ads *ads = mh_site_ads(r->site);
	if (ads == NULL || !ads->enabled || strcmp(kind, "error") == 0)
		return;
	if (current != NULL && current->no_ads)
		return; /* the section turned ads off: its front and its articles */
	struct mh_val *m = mh_val_map(r->a);
	bool any = false;
	for (int i = 0; i < MH_ADS_N_SLOTS; i++) {
		struct mh_val *v = slot_val(r, ads, i);
		if (v != NULL) {
			mh_val_set(r->a, m, mh_ads_slot_names[i], v);
			any = true;
		}
	}
	if (any)
		mh_val_set(r->a, slots, "ads", m);
}

/* The list under key of map, or NULL. */
static struct mh_val *list_of(struct mh_val *map, const char *key)
{
	struct mh_val *v = map != NULL && map->type == MH_VAL_MAP ? mh_val_get(map, key) : NULL;
	return v != NULL && v->type == MH_VAL_LIST ? v : NULL;
}

void mh_site_ads_finish(struct mh_site_req *r)
{
	const struct mh_site_ads *ads = mh_site_ads(r->site);
	struct mh_val *slots = r->ctx != NULL ? mh_val_get(r->ctx, "slots") : NULL;
	struct mh_val *on = slots != NULL && slots->type == MH_VAL_MAP ? mh_val_get(slots, "ads") : NULL;
	if (ads == NULL || on == NULL || on->type != MH_VAL_MAP)
		return;
	struct mh_val *art = mh_val_get(r->ctx, "article");
	if (art != NULL && art->type == MH_VAL_MAP) {
		const struct mh_val *off = mh_val_get(art, "no_ads");
		if (off != NULL && off->type == MH_VAL_BOOL && off->u.b) {
			/* the article turned its ads off: none on its page */
			mh_val_set(r->a, slots, "ads", mh_val_bool(r->a, false));
			return;
		}
		/* the body slot: at the first place between blocks after
		 * after_paragraph blocks (places come every
		 * MH_CONTENT_SLOT_EVERY blocks) */
		struct mh_val *parts = list_of(art, "body_parts");
		struct mh_val *slot = mh_val_get(on, "article");
		size_t k = (size_t)(ads->after_paragraph + MH_CONTENT_SLOT_EVERY - 1) / MH_CONTENT_SLOT_EVERY - 1;
		if (parts != NULL && slot != NULL && k < parts->u.list.len) {
			struct mh_val *part = parts->u.list.items[k];
			const struct mh_val *has = mh_val_get(part, "slot");
			if (has != NULL && has->type == MH_VAL_BOOL && has->u.b)
				mh_val_set(r->a, part, "ad", slot);
		}
	}
	/* the stream slot: after every stream_every items, not after the last
	 * of a batch (the next batch or the stream's end follows) */
	struct mh_val *stream = list_of(r->ctx, "stream");
	struct mh_val *slot = mh_val_get(on, "stream");
	for (size_t i = 0; stream != NULL && slot != NULL && i + 1 < stream->u.list.len; i++)
		if ((i + 1) % (size_t)ads->stream_every == 0)
			mh_val_set(r->a, stream->u.list.items[i], "ad_after", slot);
}

void mh_site_ads_css(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	const struct mh_site_ads *ads = mh_site_ads(r->site);
	const char *css = ads != NULL ? ads->css : "";
	mh_response_header_c(r->http, "cache-control", "public, max-age=300");
	mh_response_send(r->http, 200, "text/css; charset=utf-8", mh_str_c(css));
}
