/*
 * site/media.c: the media library on the public site — originals and
 * derived sizes served from the database under /media/ (content-addressed
 * names, so cached for a year as immutable; byte ranges as for files),
 * the picture data the theme gets for a stored image (srcset, width,
 * height, Open Graph's largest size), and the upload handler the admin's
 * route will call.
 *
 * Addresses (mh_media_parse_path): /media/NAME is the original,
 * /media/wWIDTH/STEM.webp or /media/wWIDTH/STEM.EXT (the original's own
 * format) a derived size. A size whose job has not run yet is made on the
 * request that asks for it (bounded by the original's pixel limit, and
 * stored for every node), so an address in a page never 404s meanwhile.
 * Any other /media/ path is a file of the site's media/ folder (files.c).
 */
#include <stdio.h>
#include <string.h>

#include "media/media.h"
#include "site/site.h"

bool mh_site_media_stored(struct mh_site_req *r, struct mh_str arg)
{
	struct mh_str stem;
	int width;
	enum mh_media_type format;
	if (!mh_media_parse_path(arg, &stem, &width, &format))
		return false;
	struct mh_request *req = r->http;
	struct mh_store *s = mh_site_store(r);
	if (s == NULL) {
		mh_response_header_c(req, "retry-after", "5");
		mh_response_error(req, 503, "The database is not answering; try again in a moment.");
		return true;
	}
	struct mh_media *m = NULL;
	enum mh_store_rc rc = width == 0 ? mh_store_media_by_name(s, r->a, stem, &m)
					 : mh_store_media_by_stem(s, r->a, stem, &m);
	if (rc == MH_NOT_FOUND)
		return false; /* maybe a file of that name in media/ */
	if (rc == MH_OK && width > 0 && !mh_media_size_exists(m, width, format)) {
		mh_response_error(req, 404, mh_arena_printf(r->a,
					       "There is no such size of this image: sizes are 480, 960 and 1600 "
					       "pixels wide, below its own width (%d), as WebP or %s.",
					       m->width, strrchr(m->name, '.') + 1));
		return true;
	}
	/* The name is the hash of the original's bytes, and a size is a pure
	 * function of the original: one ETag per address, forever. */
	const char *etag = width == 0 ? mh_arena_printf(r->a, "\"%s\"", m != NULL ? m->name : "")
				      : mh_arena_printf(r->a, "\"w%d-%.*s.%s\"", width, (int)stem.len, stem.ptr,
							mh_media_type_ext(format));
	if (rc == MH_OK) {
		mh_response_header_c(req, "etag", etag);
		/* (every answer carries X-Content-Type-Options: nosniff, and an
		 * error loses these and gets no-store: the engine's rule) */
		mh_response_header_c(req, "cache-control", "public, max-age=31536000, immutable");
		mh_response_header_c(req, "accept-ranges", "bytes");
		struct mh_str inm = mh_request_header(req, "if-none-match");
		if (inm.ptr != NULL && mh_http_etag_matches(inm, mh_str_c(etag))) {
			mh_response_send(req, 304, NULL, MH_STR(""));
			return true;
		}
	}
	struct mh_str bytes = MH_STR("");
	struct mh_buf err = MH_BUF_INIT;
	if (rc == MH_OK)
		rc = width == 0 ? mh_store_media_bytes(s, r->a, m->id, &bytes)
				: mh_media_size(s, r->a, m, width, format, &bytes, &err);
	if (rc != MH_OK) {
		if (err.len > 0) {
			struct mh_buf safe = MH_BUF_INIT;
			mh_log_sanitize(&safe, (struct mh_str){ err.ptr, err.len });
			mh_log(MH_LOG_ERROR, "media: %s", mh_buf_cstr(&safe));
			mh_buf_free(&safe);
		}
		mh_buf_free(&err);
		if (rc == MH_UNAVAILABLE) {
			mh_response_header_c(req, "retry-after", "5");
			mh_response_error(req, 503, "The database is not answering; try again in a moment.");
		} else {
			mh_response_error(req, 500, "The image could not be read.");
		}
		return true;
	}
	mh_buf_free(&err);
	const char *type = width == 0 ? m->type : mh_media_type_mime(format);
	/* byte ranges as files.c answers them (an If-Range must be our ETag) */
	uint64_t first = 0, len = bytes.len;
	struct mh_str range = mh_request_header(req, "range"), if_range = mh_request_header(req, "if-range");
	enum mh_http_range rr = MH_RANGE_IGNORE;
	if (range.ptr != NULL && (if_range.ptr == NULL || mh_str_eq_c(if_range, etag)))
		rr = mh_http_parse_range(range, bytes.len, &first, &len);
	if (rr == MH_RANGE_UNSATISFIABLE) {
		mh_response_header_c(req, "content-range", mh_arena_printf(r->a, "bytes */%zu", bytes.len));
		mh_response_error(req, 416, "The requested range is outside the image.");
		return true;
	}
	if (rr == MH_RANGE_PART) {
		mh_response_header_c(req, "content-range",
				     mh_arena_printf(r->a, "bytes %llu-%llu/%zu", (unsigned long long)first,
						     (unsigned long long)(first + len - 1), bytes.len));
		mh_response_send_shared(req, 206, type, (struct mh_str){ bytes.ptr + first, (size_t)len }, NULL, NULL);
		return true;
	}
	/* the bytes live in the request's arena until the response has gone */
	mh_response_send_shared(req, 200, type, bytes, NULL, NULL);
	return true;
}

/* ---- the theme's picture data ---- */

/* The original's name in a /media/NAME address (not a size's); false for
 * any other address. */
static bool stored_name(const char *url, struct mh_str *name)
{
	int width;
	enum mh_media_type format;
	return url != NULL && strncmp(url, "/media/", 7) == 0 &&
	       mh_media_parse_path(mh_str_c(url + 7), name, &width, &format) && width == 0;
}

void mh_site_media_prefetch(struct mh_site_req *r, const struct mh_article *arts, size_t n)
{
	if (r->store == NULL)
		return;
	struct mh_str *names = MH_NEW_ARRAY(r->a, struct mh_str, r->n_media_asked + n + 1);
	size_t k = r->n_media_asked, fresh = 0;
	if (k > 0)
		memcpy(names, r->media_asked, k * sizeof(*names));
	for (size_t i = 0; i < n; i++)
		if (stored_name(arts[i].image_url, &names[k + fresh]))
			fresh++;
	if (fresh == 0)
		return;
	struct mh_media *found = NULL;
	size_t n_found = 0;
	if (mh_store_media_by_names(r->store, r->a, names + k, fresh, &found, &n_found) != MH_OK)
		return; /* not asked: mh_site_view_image tries each on its own */
	struct mh_media *all = MH_NEW_ARRAY(r->a, struct mh_media, r->n_media + n_found + 1);
	if (r->n_media > 0)
		memcpy(all, r->media, r->n_media * sizeof(*all));
	if (n_found > 0)
		memcpy(all + r->n_media, found, n_found * sizeof(*all));
	r->media = all;
	r->n_media += n_found;
	r->media_asked = names;
	r->n_media_asked = k + fresh;
}

/* The stored item named name: from the page's prefetch when it was asked
 * about there (NULL: not stored), else one statement of its own. */
static struct mh_media *media_of(struct mh_site_req *r, struct mh_str name)
{
	for (size_t i = 0; i < r->n_media_asked; i++) {
		if (!mh_str_eq(r->media_asked[i], name))
			continue;
		for (size_t j = 0; j < r->n_media; j++)
			if (mh_str_eq_c(name, r->media[j].name))
				return &r->media[j];
		return NULL;
	}
	struct mh_media *m = NULL;
	return mh_store_media_by_name(r->store, r->a, name, &m) == MH_OK ? m : NULL;
}

struct mh_val *mh_site_view_image(struct mh_site_req *r, const char *url, const char *alt)
{
	struct mh_arena *a = r->a;
	const char *base = mh_site_config(r->site)->base_url;
	struct mh_val *img = mh_val_map(a);
	mh_val_set_cstr(a, img, "url", url);
	mh_val_set_cstr(a, img, "alt", alt);
	/* Open Graph needs an absolute address */
	mh_val_set_cstr(a, img, "og_url", url[0] == '/' ? mh_arena_printf(a, "%s%s", base, url) : url);
	struct mh_media *m = NULL;
	struct mh_str name;
	if (r->store == NULL || !stored_name(url, &name) || (m = media_of(r, name)) == NULL)
		return img; /* a plain address: shown as it is */
	const char *dot = strrchr(m->name, '.');
	int stem_len = (int)(dot - m->name);
	struct mh_buf own = MH_BUF_INIT, webp = MH_BUF_INIT;
	int largest = 0;
	for (int i = 0; i < MH_MEDIA_N_WIDTHS; i++) {
		int w = mh_media_widths[i];
		if (!mh_media_size_exists(m, w, MH_MEDIA_WEBP))
			continue;
		mh_buf_printf(&webp, "%s/media/w%d/%.*s.webp %dw", webp.len ? ", " : "", w, stem_len, m->name, w);
		if (strcmp(dot, ".webp") != 0)
			mh_buf_printf(&own, "/media/w%d/%.*s%s %dw, ", w, stem_len, m->name, dot, w);
		largest = w;
	}
	mh_buf_printf(&own, "/media/%s %dw", m->name, m->width);
	if (strcmp(dot, ".webp") == 0) /* a WebP original: its own list is the WebP one */
		mh_buf_printf(&webp, "%s/media/%s %dw", webp.len ? ", " : "", m->name, m->width);
	mh_val_set_bool(a, img, "stored", true);
	mh_val_set_int(a, img, "width", m->width);
	mh_val_set_int(a, img, "height", m->height);
	mh_val_set_cstr(a, img, "srcset", mh_arena_strndup(a, own.ptr, own.len));
	if (webp.len > 0 && strcmp(dot, ".webp") != 0)
		mh_val_set_cstr(a, img, "webp_srcset", mh_arena_strndup(a, webp.ptr, webp.len));
	else if (webp.len > 0)
		mh_val_set_cstr(a, img, "srcset", mh_arena_strndup(a, webp.ptr, webp.len));
	mh_buf_free(&own);
	mh_buf_free(&webp);
	/* Open Graph: the largest derived size (or the original when it is
	 * smaller than every size), in the original's format */
	int og_w = largest > 0 ? largest : m->width;
	int og_h = largest > 0 ? (int)(((int64_t)m->height * largest + m->width / 2) / m->width) : m->height;
	const char *og = largest > 0 ? mh_arena_printf(a, "%s/media/w%d/%.*s%s", base, largest, stem_len, m->name, dot)
				     : mh_arena_printf(a, "%s/media/%s", base, m->name);
	mh_val_set_cstr(a, img, "og_url", og);
	mh_val_set_int(a, img, "og_width", og_w);
	mh_val_set_int(a, img, "og_height", og_h);
	mh_val_set_cstr(a, img, "og_type", m->type);
	return img;
}

/* ---- uploads ---- */

/* "20 MB", "512 KB" or "1500 bytes": a limit as a person reads it (binary
 * units, as site.ini's k, m and g are). */
static const char *human_size(struct mh_arena *a, size_t n)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		return mh_arena_printf(a, "%zu MB", n / (1024 * 1024));
	if (n >= 1024 * 1024)
		return mh_arena_printf(a, "%.1f MB", (double)n / (1024 * 1024));
	if (n >= 1024 && n % 1024 == 0)
		return mh_arena_printf(a, "%zu KB", n / 1024);
	if (n >= 1024)
		return mh_arena_printf(a, "%.1f KB", (double)n / 1024);
	return mh_arena_printf(a, "%zu bytes", n);
}

int mh_site_media_take(struct mh_store *s, const struct mh_media_settings *settings, struct mh_arena *a,
		       struct mh_str content_type, struct mh_str body, int64_t uploader_id, struct mh_media **out,
		       const char **why)
{
	*out = NULL;
	*why = NULL;
	struct mh_str boundary;
	if (!mh_http_multipart_boundary(a, content_type, &boundary)) {
		*why = "Send the image as multipart/form-data with a boundary (a form with enctype=\"multipart/form-data\").";
		return 415;
	}
	struct mh_http_part *parts = NULL;
	size_t n = 0;
	const char *bad = NULL;
	if (!mh_http_parse_multipart(a, boundary, body, 8, &parts, &n, &bad)) {
		*why = bad;
		return 400;
	}
	struct mh_str file = MH_STR(""), alt = MH_STR("");
	bool have_file = false;
	for (size_t i = 0; i < n; i++) {
		if (mh_str_eq_c(parts[i].name, "file") && parts[i].has_filename) {
			file = parts[i].data;
			have_file = true;
		} else if (mh_str_eq_c(parts[i].name, "alt")) {
			alt = parts[i].data;
		}
	}
	if (!have_file || file.len == 0) {
		*why = "Choose an image file to upload (the form field \"file\").";
		return 400;
	}
	enum mh_media_problem problem = MH_MEDIA_FINE;
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_media_add(s, settings, a, file, mh_arena_strndup(a, alt.ptr, alt.len), uploader_id,
					   out, &problem, &err);
	int status = 201;
	if (rc == MH_INVALID) {
		switch (problem) {
		case MH_MEDIA_TOO_BIG:
			status = 413;
			*why = mh_arena_printf(a,
					       "This image is %s; this site takes images of at most %s ([media] max_upload). "
					       "Make it smaller and upload it again.",
					       human_size(a, file.len), human_size(a, settings->max_upload));
			break;
		case MH_MEDIA_TOO_MANY_PIXELS:
			status = 413;
			*why = mh_arena_printf(a, "This image is too large: %s. Scale it down and upload it again.",
					       mh_buf_cstr(&err));
			break;
		case MH_MEDIA_NOT_IMAGE:
			status = 415;
			*why = "This file is not an image this site takes: upload a JPEG, PNG, WebP or GIF "
			       "(SVG and other files are refused, whatever their name).";
			break;
		case MH_MEDIA_DAMAGED:
			status = 415;
			*why = mh_arena_printf(a,
					       "This file could not be read as an image (%s). Upload a JPEG, PNG, WebP or GIF "
					       "that opens in an image viewer.",
					       mh_buf_cstr(&err));
			break;
		case MH_MEDIA_FINE: /* the image was fine, the description not */
			status = 400;
			*why = mh_arena_strndup(a, err.ptr != NULL ? err.ptr : "", err.len);
			break;
		}
	} else if (rc == MH_UNAVAILABLE) {
		status = 503;
		*why = "The database is not answering; nothing was stored. Try again in a moment.";
	} else if (rc != MH_OK) {
		status = 500;
		*why = "The image could not be stored; nothing was kept. The error is logged.";
		if (err.len > 0) {
			struct mh_buf safe = MH_BUF_INIT;
			mh_log_sanitize(&safe, mh_buf_str(&err));
			mh_log(MH_LOG_ERROR, "media upload: %s", mh_buf_cstr(&safe));
			mh_buf_free(&safe);
		}
	}
	mh_buf_free(&err);
	if (status != 201)
		*out = NULL;
	return status;
}

int mh_site_media_upload(struct mh_store *s, const struct mh_media_settings *settings, struct mh_arena *a,
			 struct mh_str content_type, struct mh_str body, int64_t uploader_id, struct mh_buf *json)
{
	struct mh_media *m = NULL;
	const char *why = NULL;
	int status = mh_site_media_take(s, settings, a, content_type, body, uploader_id, &m, &why);
	if (status != 201) {
		mh_buf_append_c(json, "{\"error\":\"");
		mh_escape_json(json, mh_str_c(why));
		mh_buf_append_c(json, "\"}");
		return status;
	}
	mh_buf_append_c(json, "{\"name\":\"");
	mh_escape_json(json, mh_str_c(m->name));
	mh_buf_append_c(json, "\",\"url\":\"/media/");
	mh_escape_json(json, mh_str_c(m->name));
	mh_buf_printf(json, "\",\"width\":%d,\"height\":%d}", m->width, m->height);
	return status;
}
