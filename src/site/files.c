/*
 * Files: the theme's fingerprinted assets (/static/NAME.HASH.EXT, immutable)
 * and the site's media folder (/media/..., derived images and uploads).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "site/site.h"

/* SVG is a document that can carry script: served from our origin it would
 * run with the site's cookies if opened directly. Sandboxed and without
 * script it stays a picture (inline styles and data: images allowed). */
static const char SVG_CSP[] = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";

static bool is_svg(const char *content_type)
{
	return content_type != NULL && strncmp(content_type, "image/svg+xml", 13) == 0;
}

static void release_assets(void *hold)
{
	mh_theme_assets_release(hold);
}

void mh_site_static(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	/* Only an exact, known fingerprinted URL matches: no file system path is
	 * ever built from the request, so "..", encodings or stale hashes 404. */
	const struct mh_theme *theme = mh_site_theme(r->site);
	const struct mh_asset *as = mh_theme_asset_by_url(theme, r->http->path);
	if (as == NULL) {
		/* the admin theme's files (admin.css ...) share the address space */
		theme = mh_site_admin_theme(r->site);
		as = mh_theme_asset_by_url(theme, r->http->path);
	}
	if (as == NULL) {
		mh_response_error(r->http, 404, "There is no such file.");
		return;
	}
	struct mh_str inm = mh_request_header(r->http, "if-none-match");
	mh_response_header(r->http, "etag", as->etag);
	mh_response_header_c(r->http, "cache-control", "public, max-age=31536000, immutable");
	if (is_svg(as->content_type))
		mh_response_header_c(r->http, "content-security-policy", SVG_CSP);
	if (inm.ptr != NULL && mh_http_etag_matches(inm, as->etag)) {
		mh_response_send(r->http, 304, NULL, MH_STR(""));
		return;
	}
	/* The bytes are the theme's: held until this response is sent, since
	 * --dev may reload (and free) the theme while a slow client reads. */
	mh_response_send_shared(r->http, 200, as->content_type, as->body, release_assets,
				(void *)mh_theme_assets_hold(theme));
}

static const char *media_type(struct mh_str name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".svg", "image/svg+xml" }, { ".png", "image/png" },   { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },   { ".webp", "image/webp" }, { ".gif", "image/gif" },
		{ ".avif", "image/avif" },   { ".mp4", "video/mp4" },   { ".pdf", "application/pdf" },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t n = strlen(types[i].ext);
		if (name.len > n && strncasecmp(name.ptr + name.len - n, types[i].ext, n) == 0)
			return types[i].type;
	}
	return NULL;
}

/* A media path is accepted only if every segment is made of [A-Za-z0-9._-],
 * starts with neither '.' nor '-', and the file's type is known. */
static bool media_path_ok(struct mh_str p)
{
	if (p.len == 0 || p.len > 512)
		return false;
	size_t seg = 0;
	for (size_t i = 0; i <= p.len; i++) {
		char c = i < p.len ? p.ptr[i] : '/';
		if (c == '/') {
			if (i == seg)
				return false;
			seg = i + 1;
			continue;
		}
		if (i == seg && (c == '.' || c == '-'))
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return media_type(p) != NULL;
}

/* If-Range (RFC 9110 13.1.5): the range applies only if the validator is
 * the current one. An entity tag must match strongly; a date must be the
 * Last-Modified we send, byte for byte (clients echo it as received). */
static bool if_range_holds(struct mh_str if_range, const char *etag, const char *last_modified)
{
	if (if_range.ptr == NULL)
		return true;
	if (if_range.len > 0 && (if_range.ptr[0] == '"' || if_range.ptr[0] == 'W'))
		return mh_str_eq_c(if_range, etag);
	return mh_str_eq_c(if_range, last_modified);
}

/* Media files are streamed from disk (bounded memory per response, see
 * mh_response_send_file), with byte ranges for video seeking and resumed
 * downloads. Multiple ranges in one request are answered 200 with the
 * whole file, as RFC 9110 allows. */
void mh_site_media(struct mh_site_req *r, struct mh_str arg)
{
	struct mh_request *req = r->http;
	/* the media library's originals and sizes, from the database (media.c) */
	if (mh_site_media_stored(r, arg))
		return;
	if (!media_path_ok(arg)) {
		mh_response_error(req, 404, "There is no such file.");
		return;
	}
	const char *path =
		mh_arena_printf(r->a, "%s/media/%.*s", mh_site_dir(r->site), (int)arg.len, arg.ptr);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		mh_response_error(req, 404, "There is no such file.");
		return;
	}
	uint64_t size = (uint64_t)st.st_size;
	const char *etag = mh_arena_printf(r->a, "\"%llx-%llx-%lx\"", (unsigned long long)size,
					   (unsigned long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	char last_modified[64];
	struct tm tm;
	time_t mtime = st.st_mtim.tv_sec;
	strftime(last_modified, sizeof(last_modified), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&mtime, &tm));
	const char *type = media_type(arg);
	mh_response_header_c(req, "etag", etag);
	mh_response_header_c(req, "last-modified", last_modified);
	mh_response_header_c(req, "cache-control", "public, max-age=86400");
	mh_response_header_c(req, "accept-ranges", "bytes");
	if (is_svg(type))
		mh_response_header_c(req, "content-security-policy", SVG_CSP);
	struct mh_str inm = mh_request_header(req, "if-none-match");
	if (inm.ptr != NULL && mh_http_etag_matches(inm, mh_str_c(etag))) {
		close(fd);
		mh_response_send(req, 304, NULL, MH_STR(""));
		return;
	}
	uint64_t first = 0, len = size;
	struct mh_str range = mh_request_header(req, "range");
	enum mh_http_range rr = MH_RANGE_IGNORE;
	if (range.ptr != NULL && if_range_holds(mh_request_header(req, "if-range"), etag, last_modified))
		rr = mh_http_parse_range(range, size, &first, &len);
	if (rr == MH_RANGE_UNSATISFIABLE) {
		close(fd);
		mh_response_header_c(req, "content-range",
				     mh_arena_printf(r->a, "bytes */%llu", (unsigned long long)size));
		mh_response_error(req, 416, "The requested range is outside the file.");
		return;
	}
	if (rr == MH_RANGE_PART) {
		mh_response_header_c(req, "content-range",
				     mh_arena_printf(r->a, "bytes %llu-%llu/%llu", (unsigned long long)first,
						     (unsigned long long)(first + len - 1), (unsigned long long)size));
		mh_response_send_file(req, 206, type, fd, first, len);
		return;
	}
	mh_response_send_file(req, 200, type, fd, 0, size);
}
