/*
 * media.c: the library's rules over the store — adding an image (checked,
 * named by its hash, queued for its sizes in the same transaction),
 * removing one (refused while an article shows it), making sizes for the
 * job and on demand, and the addresses of originals and sizes.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "media/media.h"

const char *mh_media_name(struct mh_arena *a, struct mh_str bytes, enum mh_media_type t)
{
	unsigned char h[16];
	crypto_generichash(h, sizeof(h), (const unsigned char *)bytes.ptr, bytes.len, NULL, 0);
	char hex[sizeof(h) * 2 + 1];
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return mh_arena_printf(a, "%s.%s", hex, mh_media_type_ext(t));
}

static enum mh_store_rc queue_sizes(struct mh_store *s, int64_t id)
{
	char payload[32], dedupe[48];
	snprintf(payload, sizeof(payload), "%lld", (long long)id);
	snprintf(dedupe, sizeof(dedupe), MH_MEDIA_JOB_KIND ":%lld", (long long)id);
	return mh_store_job_add(s, MH_MEDIA_JOB_KIND, mh_str_c(payload), mh_time_now(), dedupe, NULL);
}

enum mh_store_rc mh_media_add(struct mh_store *s, const struct mh_media_settings *settings, struct mh_arena *a,
			      struct mh_str bytes, const char *alt, int64_t uploader_id, struct mh_media **out,
			      enum mh_media_problem *problem, struct mh_buf *err)
{
	struct mh_media_info info;
	enum mh_media_problem p = mh_media_inspect(bytes, settings->max_upload, &info, err);
	if (problem != NULL)
		*problem = p;
	if (p != MH_MEDIA_FINE)
		return MH_INVALID;
	const char *why = alt != NULL ? mh_media_alt_problem(mh_str_c(alt)) : NULL;
	if (why != NULL) {
		mh_buf_append_c(err, why);
		return MH_INVALID; /* *problem stays MH_MEDIA_FINE: the image was fine */
	}
	const char *name = mh_media_name(a, bytes, info.type);
	/* the same bytes again: the item already stored */
	enum mh_store_rc rc = mh_store_media_by_name(s, a, mh_str_c(name), out);
	if (rc != MH_NOT_FOUND)
		return rc;
	struct mh_media *m = MH_NEW(a, struct mh_media);
	m->name = name;
	m->type = mh_media_type_mime(info.type);
	m->width = info.width;
	m->height = info.height;
	m->alt = alt != NULL ? alt : "";
	m->uploader_id = uploader_id;
	m->bytes = bytes;
	if ((rc = mh_store_begin(s)) != MH_OK)
		return rc;
	rc = mh_store_media_add(s, m, err);
	if (rc == MH_OK)
		rc = queue_sizes(s, m->id);
	if (rc == MH_OK)
		rc = mh_store_commit(s);
	else
		mh_store_rollback(s);
	if (rc == MH_CONFLICT) /* added by another upload meanwhile */
		return mh_store_media_by_name(s, a, mh_str_c(name), out);
	if (rc != MH_OK)
		return rc;
	m->bytes = MH_STR("");
	*out = m;
	return MH_OK;
}

const char *mh_media_alt_problem(struct mh_str alt)
{
	size_t chars = 0;
	for (size_t i = 0; i < alt.len; chars++) {
		uint32_t cp = 0;
		size_t n = mh_utf8_decode((const unsigned char *)alt.ptr + i, alt.len - i, &cp);
		if (n == 0)
			return "The description is not valid UTF-8 text.";
		if (cp < 0x20 || cp == 0x7f)
			return "The description must be one line of text, without control characters.";
		i += n;
	}
	if (chars > MH_MEDIA_ALT_MAX)
		return "The description is longer than 500 characters; say what the image shows in fewer words.";
	return NULL;
}

enum mh_store_rc mh_media_set_alt(struct mh_store *s, struct mh_arena *a, struct mh_str name, struct mh_str alt,
				  struct mh_buf *err)
{
	const char *why = mh_media_alt_problem(alt);
	if (why != NULL) {
		mh_buf_append_c(err, why);
		return MH_INVALID;
	}
	struct mh_media *m = NULL;
	enum mh_store_rc rc = mh_store_media_by_name(s, a, name, &m);
	if (rc != MH_OK)
		return rc;
	return mh_store_media_set_alt(s, m->id, mh_arena_strndup(a, alt.ptr, alt.len));
}

enum mh_store_rc mh_media_remove(struct mh_store *s, struct mh_arena *a, struct mh_str name, struct mh_buf *err)
{
	struct mh_media *m = NULL;
	enum mh_store_rc rc = mh_store_media_by_name(s, a, name, &m);
	if (rc == MH_NOT_FOUND) {
		struct mh_buf safe = MH_BUF_INIT;
		mh_log_sanitize(&safe, name);
		mh_buf_printf(err, "there is no media item '%s' (see 'masthead media list')", mh_buf_cstr(&safe));
		mh_buf_free(&safe);
	}
	if (rc != MH_OK)
		return rc;
	/* Checked and deleted in one transaction, so an article saved meanwhile
	 * cannot start showing an image that is going away unseen. */
	if ((rc = mh_store_begin(s)) != MH_OK)
		return rc;
	struct mh_article *users = NULL;
	size_t n = 0;
	rc = mh_store_media_users(s, a, mh_str_c(mh_arena_printf(a, "/media/%s", m->name)), &users, &n);
	if (rc == MH_OK && n > 0) {
		mh_buf_printf(err, "%s is used by %zu article%s, so it stays: ", m->name, n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			struct mh_buf h = MH_BUF_INIT;
			mh_log_sanitize(&h, mh_str_c(users[i].headline));
			mh_buf_printf(err, "%s%s (\"%s\", %s)", i > 0 ? ", " : "", users[i].slug, mh_buf_cstr(&h),
				      mh_article_status_name(users[i].status));
			mh_buf_free(&h);
		}
		mh_buf_append_c(err, "; take the image out of those first");
		rc = MH_CONFLICT;
	}
	if (rc == MH_OK)
		rc = mh_store_media_remove(s, m->id);
	if (rc == MH_OK)
		return mh_store_commit(s);
	mh_store_rollback(s);
	return rc;
}

static enum mh_media_type own_type(const struct mh_media *m)
{
	const char *dot = strrchr(m->name, '.');
	return dot != NULL ? mh_media_type_of_ext(mh_str_c(dot + 1)) : MH_MEDIA_NONE;
}

bool mh_media_size_exists(const struct mh_media *m, int width, enum mh_media_type format)
{
	if (format != MH_MEDIA_WEBP && format != own_type(m))
		return false;
	for (int i = 0; i < MH_MEDIA_N_WIDTHS; i++)
		if (mh_media_widths[i] == width)
			return width < m->width;
	return false;
}

/* Makes one size from the original's bytes and stores it. */
static enum mh_store_rc make_one(struct mh_store *s, const struct mh_media *m, struct mh_str original, int width,
				 enum mh_media_type format, struct mh_buf *made, struct mh_buf *err)
{
	if (!mh_media_resize(original, own_type(m), width, format, made, err))
		return MH_ERROR;
	return mh_store_media_size_put(s, m->id, width, mh_media_type_ext(format), (struct mh_str){ made->ptr, made->len },
				       err);
}

enum mh_store_rc mh_media_size(struct mh_store *s, struct mh_arena *a, const struct mh_media *m, int width,
			       enum mh_media_type format, struct mh_str *out, struct mh_buf *err)
{
	if (!mh_media_size_exists(m, width, format))
		return MH_NOT_FOUND;
	enum mh_store_rc rc = mh_store_media_size_get(s, a, m->id, width, mh_media_type_ext(format), out);
	if (rc != MH_NOT_FOUND)
		return rc;
	/* Missing (its job has not run yet, or failed): made now, within the
	 * bound every original has (MH_MEDIA_MAX_PIXELS), and stored for every
	 * node; a second request making it at the same time is harmless (the
	 * store keeps the first). */
	struct mh_str original;
	if ((rc = mh_store_media_bytes(s, a, m->id, &original)) != MH_OK)
		return rc;
	struct mh_buf made = MH_BUF_INIT;
	rc = make_one(s, m, original, width, format, &made, err);
	if (rc == MH_OK) {
		char *copy = mh_arena_alloc(a, made.len + 1);
		memcpy(copy, made.ptr, made.len);
		*out = (struct mh_str){ copy, made.len };
	}
	mh_buf_free(&made);
	return rc;
}

enum mh_store_rc mh_media_make_sizes(struct mh_store *s, int64_t id, int *made, struct mh_buf *err)
{
	if (made != NULL)
		*made = 0;
	struct mh_arena *a = mh_arena_new();
	struct mh_media *m = NULL;
	enum mh_store_rc rc = mh_store_media_by_id(s, a, id, &m);
	if (rc == MH_NOT_FOUND) { /* removed since: nothing to make */
		mh_arena_free(a);
		return MH_OK;
	}
	struct mh_media_size *have = NULL;
	size_t n_have = 0;
	struct mh_str original = MH_STR("");
	if (rc == MH_OK)
		rc = mh_store_media_sizes(s, a, id, &have, &n_have);
	if (rc == MH_OK)
		rc = mh_store_media_bytes(s, a, id, &original);
	/* WebP, then the original's own format (once for a WebP original) */
	enum mh_media_type formats[2] = { MH_MEDIA_WEBP, rc == MH_OK ? own_type(m) : MH_MEDIA_NONE };
	int n_formats = formats[1] == MH_MEDIA_WEBP ? 1 : 2;
	for (int i = 0; rc == MH_OK && i < MH_MEDIA_N_WIDTHS; i++) {
		for (int f = 0; rc == MH_OK && f < n_formats; f++) {
			int w = mh_media_widths[i];
			if (!mh_media_size_exists(m, w, formats[f]))
				continue;
			bool stored = false;
			for (size_t k = 0; k < n_have && !stored; k++)
				stored = have[k].width == w && strcmp(have[k].format, mh_media_type_ext(formats[f])) == 0;
			if (stored)
				continue;
			struct mh_buf out = MH_BUF_INIT;
			rc = make_one(s, m, original, w, formats[f], &out, err);
			mh_buf_free(&out);
			if (rc == MH_OK && made != NULL)
				(*made)++;
		}
	}
	mh_arena_free(a);
	return rc;
}

bool mh_media_parse_path(struct mh_str path, struct mh_str *stem, int *width, enum mh_media_type *format)
{
	*width = 0;
	struct mh_str rest = path;
	if (rest.len > 2 && rest.ptr[0] == 'w') {
		const char *slash = memchr(rest.ptr, '/', rest.len);
		if (slash == NULL)
			return false;
		int w = 0;
		for (const char *p = rest.ptr + 1; p < slash; p++) {
			if (*p < '0' || *p > '9' || w > 100000)
				return false;
			w = w * 10 + (*p - '0');
		}
		if (slash == rest.ptr + 1 || w <= 0)
			return false;
		*width = w;
		rest = (struct mh_str){ slash + 1, rest.len - (size_t)(slash + 1 - rest.ptr) };
	}
	const char *dot = memchr(rest.ptr, '.', rest.len);
	if (dot == NULL || dot == rest.ptr || dot - rest.ptr > 64)
		return false;
	for (const char *p = rest.ptr; p < dot; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	*format = mh_media_type_of_ext((struct mh_str){ dot + 1, rest.len - (size_t)(dot + 1 - rest.ptr) });
	if (*format == MH_MEDIA_NONE)
		return false;
	*stem = *width > 0 ? (struct mh_str){ rest.ptr, (size_t)(dot - rest.ptr) } : rest;
	return true;
}
