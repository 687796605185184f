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
#include <unistd.h>

#include "site/site.h"

void mh_site_static(struct mh_site_req *r, struct mh_str arg)
{
	(void)arg;
	/* Only an exact, known fingerprinted URL matches: no file system path is
	 * ever built from the request, so "..", encodings or stale hashes 404. */
	const struct mh_asset *as = mh_theme_asset_by_url(mh_site_theme(r->site), r->http->path);
	if (as == NULL) {
		mh_response_header_c(r->http, "cache-control", "no-store");
		mh_response_error(r->http, 404, "There is no such file.");
		return;
	}
	struct mh_str inm = mh_request_header(r->http, "if-none-match");
	mh_response_header(r->http, "etag", as->etag);
	mh_response_header_c(r->http, "cache-control", "public, max-age=31536000, immutable");
	if (inm.ptr != NULL && mh_http_etag_matches(inm, as->etag)) {
		mh_response_send(r->http, 304, NULL, MH_STR(""));
		return;
	}
	mh_response_send_shared(r->http, 200, as->content_type, as->body, NULL, NULL);
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

static void close_fd(void *arg)
{
	close((int)(intptr_t)arg);
}

void mh_site_media(struct mh_site_req *r, struct mh_str arg)
{
	struct mh_request *req = r->http;
	/* the media library's originals and sizes, from the database (media.c) */
	if (mh_site_media_stored(r, arg))
		return;
	if (!media_path_ok(arg)) {
		mh_response_header_c(req, "cache-control", "no-store");
		mh_response_error(req, 404, "There is no such file.");
		return;
	}
	const char *path =
		mh_arena_printf(r->a, "%s/media/%.*s", mh_site_dir(r->site), (int)arg.len, arg.ptr);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64 * 1024 * 1024) {
		if (fd >= 0)
			close(fd);
		mh_response_header_c(req, "cache-control", "no-store");
		mh_response_error(req, 404, "There is no such file.");
		return;
	}
	mh_arena_defer(r->a, close_fd, (void *)(intptr_t)fd);
	const char *etag = mh_arena_printf(r->a, "\"%llx-%llx\"", (unsigned long long)st.st_mtime,
					   (unsigned long long)st.st_size);
	mh_response_header_c(req, "etag", etag);
	mh_response_header_c(req, "cache-control", "public, max-age=86400");
	struct mh_str inm = mh_request_header(req, "if-none-match");
	if (inm.ptr != NULL && mh_http_etag_matches(inm, mh_str_c(etag))) {
		mh_response_send(req, 304, NULL, MH_STR(""));
		return;
	}
	char *buf = mh_arena_alloc(r->a, (size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			mh_response_error(req, 500, "The file could not be read.");
			return;
		}
		got += (size_t)n;
	}
	mh_response_send_shared(req, 200, media_type(arg), (struct mh_str){ buf, got }, NULL, NULL);
}
