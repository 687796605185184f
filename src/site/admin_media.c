/*
 * The newsroom's media library: the grid (/admin/media, newest first,
 * keyset-paged), uploads (/admin/media/upload: the form without script
 * gets a redirect to the new image's page or a page saying what was wrong;
 * a script asking for application/json gets {"name","url","width",
 * "height"} or {"error"}), an image's page (/admin/media/NAME: its address,
 * its description, the sizes made so far, the articles showing it) and
 * removal (/admin/media/remove). Who may: every writer uploads and edits a
 * description (the route table's WRITERS); removal is for editors and
 * owners (MH_PERM_EDIT_ANY), and refused while an article shows the image.
 * None of this changes a public page: an image that is not shown anywhere
 * is on no page, and a page shows an article's own image description.
 */
#include <stdlib.h>
#include <string.h>

#include "media/media.h"
#include "site/site.h"

#define GRID_PER_PAGE 24
#define THUMB_WIDTH 480 /* the smallest derived size */

static void unavailable(struct mh_site_req *r)
{
	mh_site_admin_message(r, 503, "Temporarily unavailable",
		     "The site's database is not answering right now. Nothing was changed. Try again in a few seconds.",
		     "/admin/media", "Back to the media library");
}

static void redirect(struct mh_site_req *r, const char *to)
{
	mh_response_header_c(r->http, "cache-control", "no-store");
	mh_response_header_c(r->http, "location", to);
	mh_response_send(r->http, 303, "text/plain; charset=utf-8", mh_str_c("See Other\n"));
}

static const char *fmt_time(struct mh_site_req *r, int64_t t)
{
	if (t <= 0)
		return "";
	struct mh_buf b = MH_BUF_INIT;
	mh_time_format(&b, t, "%Y-%m-%d %H:%M UTC");
	const char *s = mh_arena_strndup(r->a, b.ptr != NULL ? b.ptr : "", b.len);
	mh_buf_free(&b);
	return s;
}

static const char *fmt_bytes(struct mh_site_req *r, int64_t n)
{
	if (n >= 1024 * 1024)
		return mh_arena_printf(r->a, "%.1f MB", (double)n / (1024 * 1024));
	if (n >= 1024)
		return mh_arena_printf(r->a, "%.0f KB", (double)n / 1024);
	return mh_arena_printf(r->a, "%lld bytes", (long long)n);
}

/* The uploader's name, looked up once per account on a page; "" when the
 * item has none or the account is gone. */
struct names {
	int64_t ids[GRID_PER_PAGE];
	const char *names[GRID_PER_PAGE];
	size_t n;
};

static const char *uploader_name(struct mh_site_req *r, struct names *seen, int64_t id)
{
	if (id <= 0)
		return "";
	for (size_t i = 0; i < seen->n; i++)
		if (seen->ids[i] == id)
			return seen->names[i];
	struct mh_user *u = NULL;
	const char *name = mh_store_user_by_id(r->store, r->a, id, &u) == MH_OK ? u->name : "";
	if (seen->n < GRID_PER_PAGE) {
		seen->ids[seen->n] = id;
		seen->names[seen->n++] = name;
	}
	return name;
}

/* The fields every view of an item shows. */
static struct mh_val *item_view(struct mh_site_req *r, const struct mh_media *m, const char *uploader)
{
	struct mh_arena *a = r->a;
	struct mh_val *v = mh_val_map(a);
	const char *dot = strrchr(m->name, '.');
	int stem = dot != NULL ? (int)(dot - m->name) : (int)strlen(m->name);
	mh_val_set_cstr(a, v, "name", m->name);
	mh_val_set_cstr(a, v, "url", mh_arena_printf(a, "/media/%s", m->name));
	mh_val_set_cstr(a, v, "page", mh_arena_printf(a, "/admin/media/%s", m->name));
	mh_val_set_cstr(a, v, "type", m->type);
	mh_val_set_int(a, v, "width", m->width);
	mh_val_set_int(a, v, "height", m->height);
	mh_val_set_cstr(a, v, "size", fmt_bytes(r, m->size));
	mh_val_set_cstr(a, v, "alt", m->alt);
	mh_val_set_cstr(a, v, "uploaded", fmt_time(r, m->created_at));
	mh_val_set_cstr(a, v, "uploader", uploader);
	/* the thumbnail: the smallest WebP size (made on demand if its job has
	 * not run yet), or the original when it is no wider than that */
	int tw = m->width > THUMB_WIDTH ? THUMB_WIDTH : m->width;
	int th = (int)(((int64_t)m->height * tw + m->width / 2) / m->width);
	mh_val_set_cstr(a, v, "thumb",
			mh_media_size_exists(m, THUMB_WIDTH, MH_MEDIA_WEBP)
				? mh_arena_printf(a, "/media/w%d/%.*s.webp", THUMB_WIDTH, stem, m->name)
				: mh_arena_printf(a, "/media/%s", m->name));
	mh_val_set_int(a, v, "thumb_width", tw);
	mh_val_set_int(a, v, "thumb_height", th > 0 ? th : 1);
	return v;
}

/* ---- the grid ---- */

void mh_site_admin_media(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_str before = MH_STR(""), removed = MH_STR("");
	mh_request_query(r->http, "before", &before);
	mh_request_query(r->http, "removed", &removed);
	long long at = 0, id = 0;
	if (before.len > 0) {
		char *s = mh_arena_strndup(r->a, before.ptr, before.len), *end = NULL;
		at = strtoll(s, &end, 10);
		if (end != NULL && *end == '-')
			id = strtoll(end + 1, &end, 10);
		if (end == NULL || *end != '\0' || at < 0 || id <= 0) {
			mh_site_admin_message(r, 400, "Bad page address", "The before= value must be two numbers, AT-ID.",
				     "/admin/media", "The newest images");
			return;
		}
	}
	/* one more than a page: whether an older page exists */
	struct mh_media *items = NULL;
	size_t n = 0;
	if (mh_store_media_page(r->store, r->a, at, id, GRID_PER_PAGE + 1, &items, &n) != MH_OK) {
		unavailable(r);
		return;
	}
	bool more = n > GRID_PER_PAGE;
	if (more)
		n = GRID_PER_PAGE;
	struct names seen = { .n = 0 };
	struct mh_val *rows = mh_val_list(r->a);
	for (size_t i = 0; i < n; i++)
		mh_val_push(r->a, rows, item_view(r, &items[i], uploader_name(r, &seen, items[i].uploader_id)));
	mh_site_admin_ctx(r, "Media");
	mh_val_set(r->a, r->ctx, "items", rows);
	mh_val_set_bool(r->a, r->ctx, "empty", n == 0);
	/* the limit a person meets: [media] max_upload, or the engine's
	 * [server] max_body when that is lower (serve warns of it) */
	size_t limit = mh_site_media_settings(r->site)->max_upload;
	const struct mh_http_settings *server = mh_site_server(r->site);
	if (server != NULL && server->max_body_bytes < limit)
		limit = server->max_body_bytes;
	mh_val_set_cstr(r->a, r->ctx, "max_upload", fmt_bytes(r, (int64_t)limit));
	if (removed.len > 0)
		mh_val_set_cstr(r->a, r->ctx, "notice", "The image was removed.");
	if (before.len > 0)
		mh_val_set_cstr(r->a, r->ctx, "newest_url", "/admin/media");
	if (more)
		mh_val_set_cstr(r->a, r->ctx, "older_url",
				mh_arena_printf(r->a, "/admin/media?before=%lld-%lld", (long long)items[n - 1].created_at,
						(long long)items[n - 1].id));
	mh_site_admin_send(r, 200, "media");
}

/* ---- uploads ---- */

static bool wants_json(struct mh_site_req *r)
{
	struct mh_str accept = mh_request_header(r->http, "accept");
	for (size_t i = 0; accept.ptr != NULL && i + 16 <= accept.len; i++)
		if (strncasecmp(accept.ptr + i, "application/json", 16) == 0)
			return true;
	return false;
}

void mh_site_admin_media_upload(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_media *m = NULL;
	const char *why = NULL;
	int status = mh_site_media_take(r->store, mh_site_media_settings(r->site), r->a,
					mh_request_header(r->http, "content-type"), r->http->body, r->user->id, &m, &why);
	if (wants_json(r)) {
		struct mh_buf json = MH_BUF_INIT;
		if (status == 201) {
			mh_buf_append_c(&json, "{\"name\":\"");
			mh_escape_json(&json, mh_str_c(m->name));
			mh_buf_append_c(&json, "\",\"url\":\"/media/");
			mh_escape_json(&json, mh_str_c(m->name));
			mh_buf_printf(&json, "\",\"width\":%d,\"height\":%d}", m->width, m->height);
		} else {
			mh_buf_append_c(&json, "{\"error\":\"");
			mh_escape_json(&json, mh_str_c(why));
			mh_buf_append_c(&json, "\"}");
		}
		mh_response_header_c(r->http, "cache-control", "no-store");
		if (status == 503)
			mh_response_header_c(r->http, "retry-after", "5");
		if (status == 201)
			mh_response_header_c(r->http, "location", mh_arena_printf(r->a, "/admin/media/%s", m->name));
		mh_response_send(r->http, status, "application/json", mh_buf_str(&json));
		mh_buf_free(&json);
		return;
	}
	if (status == 201) {
		redirect(r, mh_arena_printf(r->a, "/admin/media/%s?uploaded=1", m->name));
		return;
	}
	const char *title = status == 413   ? "Image too large"
			    : status == 415 ? "Not an image this site takes"
			    : status == 503 ? "Temporarily unavailable"
					    : "Upload refused";
	mh_site_admin_message(r, status, title, why, "/admin/media", "Back to the media library");
}

/* ---- one image ---- */

static void item_page(struct mh_site_req *r, int status, const struct mh_media *m, struct mh_str alt,
		      const char *error, const char *notice)
{
	struct names seen = { .n = 0 };
	struct mh_val *item = item_view(r, m, uploader_name(r, &seen, m->uploader_id));
	struct mh_media_size *sizes = NULL;
	size_t n_sizes = 0;
	struct mh_article *users = NULL;
	size_t n_users = 0;
	if (mh_store_media_sizes(r->store, r->a, m->id, &sizes, &n_sizes) != MH_OK ||
	    mh_store_media_users(r->store, r->a, mh_str_c(mh_arena_printf(r->a, "/media/%s", m->name)), &users,
				 &n_users) != MH_OK) {
		unavailable(r);
		return;
	}
	const char *dot = strrchr(m->name, '.');
	int stem = dot != NULL ? (int)(dot - m->name) : (int)strlen(m->name);
	struct mh_val *sv = mh_val_list(r->a);
	for (size_t i = 0; i < n_sizes; i++) {
		struct mh_val *s = mh_val_map(r->a);
		mh_val_set_int(r->a, s, "width", sizes[i].width);
		mh_val_set_cstr(r->a, s, "format", sizes[i].format);
		mh_val_set_cstr(r->a, s, "size", fmt_bytes(r, sizes[i].size));
		mh_val_set_cstr(r->a, s, "url",
				mh_arena_printf(r->a, "/media/w%d/%.*s.%s", sizes[i].width, stem, m->name, sizes[i].format));
		mh_val_push(r->a, sv, s);
	}
	struct mh_val *uv = mh_val_list(r->a);
	for (size_t i = 0; i < n_users; i++) {
		struct mh_val *u = mh_val_map(r->a);
		mh_val_set_int(r->a, u, "id", users[i].id);
		mh_val_set_cstr(r->a, u, "headline", users[i].headline);
		mh_val_set_cstr(r->a, u, "status", mh_article_status_name(users[i].status));
		mh_val_push(r->a, uv, u);
	}
	mh_val_set(r->a, item, "sizes", sv);
	mh_val_set_bool(r->a, item, "no_sizes", n_sizes == 0);
	mh_val_set(r->a, item, "users", uv);
	mh_val_set_bool(r->a, item, "in_use", n_users > 0);
	mh_val_set(r->a, item, "alt_form", mh_val_str(r->a, alt));
	mh_val_set_cstr(r->a, item, "markdown",
			mh_arena_printf(r->a, "![%.*s](/media/%s)", (int)alt.len, alt.ptr, m->name));
	mh_val_set_bool(r->a, item, "may_remove", mh_role_may(r->user->role, MH_PERM_EDIT_ANY));
	mh_site_admin_ctx(r, "Image");
	mh_val_set(r->a, r->ctx, "item", item);
	if (error != NULL)
		mh_val_set_cstr(r->a, r->ctx, "error", error);
	if (notice != NULL)
		mh_val_set_cstr(r->a, r->ctx, "notice", notice);
	mh_site_admin_send(r, status, "media_item");
}

void mh_site_admin_media_item(struct mh_site_req *r, struct mh_str arg)
{
	struct mh_media *m = NULL;
	enum mh_store_rc rc = mh_store_media_by_name(r->store, r->a, arg, &m);
	if (rc == MH_NOT_FOUND) {
		mh_site_admin_message(r, 404, "No such image",
			     "There is no image of that name in the media library; it may have been removed.",
			     "/admin/media", "Back to the media library");
		return;
	}
	if (rc != MH_OK) {
		unavailable(r);
		return;
	}
	if (!mh_str_eq_c(r->http->method, "POST")) {
		struct mh_str q = MH_STR("");
		const char *notice = mh_request_query(r->http, "uploaded", &q) ? "The image was uploaded."
				     : mh_request_query(r->http, "saved", &q)  ? "The description was saved."
										: NULL;
		item_page(r, 200, m, mh_str_c(m->alt), NULL, notice);
		return;
	}
	struct mh_str alt = MH_STR("");
	mh_request_form(r->http, "alt", &alt);
	struct mh_buf err = MH_BUF_INIT;
	rc = mh_media_set_alt(r->store, r->a, arg, alt, &err);
	if (rc == MH_OK) {
		mh_buf_free(&err);
		redirect(r, mh_arena_printf(r->a, "/admin/media/%s?saved=1", m->name));
		return;
	}
	if (rc == MH_INVALID) {
		const char *why = mh_arena_strndup(r->a, err.ptr != NULL ? err.ptr : "", err.len);
		mh_buf_free(&err);
		item_page(r, 422, m, alt, why, NULL);
		return;
	}
	mh_buf_free(&err);
	if (rc == MH_NOT_FOUND)
		mh_site_admin_message(r, 404, "No such image", "The image was removed meanwhile; nothing was saved.", "/admin/media",
			     "Back to the media library");
	else
		unavailable(r);
}

void mh_site_admin_media_remove(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	struct mh_str name = MH_STR("");
	mh_request_form(r->http, "name", &name);
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_media_remove(r->store, r->a, name, &err);
	const char *why = mh_arena_strndup(r->a, err.ptr != NULL ? err.ptr : "", err.len);
	mh_buf_free(&err);
	if (rc == MH_OK) {
		redirect(r, "/admin/media?removed=1");
		return;
	}
	const char *back = rc == MH_CONFLICT ? mh_arena_printf(r->a, "/admin/media/%.*s", (int)name.len, name.ptr)
					     : "/admin/media";
	if (rc == MH_CONFLICT)
		mh_site_admin_message(r, 409, "The image is in use",
			     mh_arena_printf(r->a, "Nothing was removed: %s.", why), back, "Back to the image");
	else if (rc == MH_NOT_FOUND)
		mh_site_admin_message(r, 404, "No such image",
			     "There is no image of that name in the media library; it may have been removed already.",
			     back, "Back to the media library");
	else
		unavailable(r);
}
