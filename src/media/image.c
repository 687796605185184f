/*
 * image.c: libvips behind media.h — reading an image's dimensions (as
 * shown: after its EXIF orientation), proving it decodes, and making its
 * derived sizes (upright; a GIF's or WebP's first frame only). Each call
 * loads with the one loader its sniffed type names (never libvips' own
 * guess), with fail_on=error so truncated or corrupt data fails, after
 * vips_block_untrusted_set() has turned off every loader not fuzzed for
 * untrusted input. Dimensions are checked from the header, before a pixel
 * is decoded: a decompression bomb costs a header read.
 */
#include <pthread.h>
#include <string.h>
#include <vips/vips.h>

#include "media/media.h"

const int mh_media_widths[MH_MEDIA_N_WIDTHS] = { 480, 960, 1600 };

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static bool vips_ok;

/* libvips' warnings (a damaged file's details) would go to stderr in
 * GLib's format, around the site's log; each failure is reported by its
 * caller through err instead. */
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	(void)domain;
	(void)level;
	(void)message;
	(void)data;
}

static void vips_start(void)
{
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, quiet, NULL);
	vips_ok = VIPS_INIT("masthead") == 0;
	if (vips_ok) {
		vips_block_untrusted_set(TRUE);
		/* no libvips operation cache: every image is seen once */
		vips_cache_set_max(0);
		/* one thread per call: callers are request and job threads already */
		vips_concurrency_set(1);
	}
}

static bool started(struct mh_buf *err)
{
	pthread_once(&vips_once, vips_start);
	if (!vips_ok && err != NULL)
		mh_buf_printf(err, "the image library (libvips) did not start");
	return vips_ok;
}

/* libvips' message for the last failure, on this thread, into err. */
static void vips_why(struct mh_buf *err, const char *what)
{
	const char *msg = vips_error_buffer();
	if (msg == NULL)
		msg = "";
	/* libvips' lines each end with a newline; the first says enough */
	const char *nl = strchr(msg, '\n');
	struct mh_buf safe = MH_BUF_INIT;
	mh_log_sanitize(&safe, (struct mh_str){ msg, nl != NULL ? (size_t)(nl - msg) : strlen(msg) });
	if (err != NULL)
		mh_buf_printf(err, "%s%s%s", what, safe.len > 0 ? ": " : "", mh_buf_cstr(&safe));
	mh_buf_free(&safe);
	vips_error_clear();
}

/* The header of bytes (lazy: no pixel decoded yet), or NULL. */
static VipsImage *load(struct mh_str bytes, enum mh_media_type t)
{
	VipsImage *im = NULL;
	void *buf = (void *)bytes.ptr;
	int rc = -1;
	switch (t) {
	case MH_MEDIA_JPEG:
		rc = vips_jpegload_buffer(buf, bytes.len, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case MH_MEDIA_PNG:
		rc = vips_pngload_buffer(buf, bytes.len, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case MH_MEDIA_WEBP:
		rc = vips_webpload_buffer(buf, bytes.len, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case MH_MEDIA_GIF:
		rc = vips_gifload_buffer(buf, bytes.len, &im, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case MH_MEDIA_NONE:
		break;
	}
	return rc == 0 ? im : NULL;
}

enum mh_media_problem mh_media_inspect(struct mh_str bytes, size_t max_bytes, struct mh_media_info *info,
				       struct mh_buf *err)
{
	memset(info, 0, sizeof(*info));
	if (bytes.len > max_bytes) {
		mh_buf_printf(err, "the image is %zu bytes; this site takes at most %zu ([media] max_upload)",
			      bytes.len, max_bytes);
		return MH_MEDIA_TOO_BIG;
	}
	enum mh_media_type t = mh_media_sniff(bytes.ptr, bytes.len);
	if (t == MH_MEDIA_NONE) {
		mh_buf_printf(err, "not a JPEG, PNG, WebP or GIF image (SVG and other files are not accepted)");
		return MH_MEDIA_NOT_IMAGE;
	}
	if (!started(err))
		return MH_MEDIA_DAMAGED;
	VipsImage *im = load(bytes, t);
	if (im == NULL) {
		vips_why(err, "the image could not be read (damaged or cut short?)");
		return MH_MEDIA_DAMAGED;
	}
	int w = vips_image_get_width(im), h = vips_image_get_height(im);
	if (w <= 0 || h <= 0 || w > MH_MEDIA_MAX_SIDE || h > MH_MEDIA_MAX_SIDE ||
	    (long long)w * h > MH_MEDIA_MAX_PIXELS) {
		mh_buf_printf(err,
			      "the image is %d x %d pixels; at most %d on a side and %lld million pixels are "
			      "accepted",
			      w, h, MH_MEDIA_MAX_SIDE, MH_MEDIA_MAX_PIXELS / 1000000);
		g_object_unref(im);
		return MH_MEDIA_TOO_MANY_PIXELS;
	}
	bool swap = vips_image_get_orientation_swap(im);
	/* Decode every pixel once: a truncated or corrupt file fails now. */
	double avg = 0;
	int rc = vips_avg(im, &avg, NULL);
	g_object_unref(im);
	if (rc != 0) {
		vips_why(err, "the image could not be decoded (damaged or cut short?)");
		return MH_MEDIA_DAMAGED;
	}
	info->type = t;
	/* as shown: browsers turn a photo by its EXIF orientation, and so do
	 * the sizes (mh_media_resize) */
	info->width = swap ? h : w;
	info->height = swap ? w : h;
	return MH_MEDIA_FINE;
}

bool mh_media_resize(struct mh_str bytes, enum mh_media_type from, int width, enum mh_media_type to,
		     struct mh_buf *out, struct mh_buf *err)
{
	if (!started(err))
		return false;
	if (mh_media_sniff(bytes.ptr, bytes.len) != from || width <= 0) {
		mh_buf_printf(err, "not a %s image to resize", mh_media_type_ext(from) ? mh_media_type_ext(from) : "known");
		return false;
	}
	VipsImage *in = load(bytes, from);
	if (in == NULL) {
		vips_why(err, "the original could not be read");
		return false;
	}
	/* upright first: the sizes are stripped of the EXIF orientation */
	VipsImage *up = NULL;
	int rc = vips_autorot(in, &up, NULL);
	g_object_unref(in);
	if (rc != 0) {
		vips_why(err, "turning the image upright failed");
		return false;
	}
	double scale = (double)width / vips_image_get_width(up);
	VipsImage *small = NULL;
	rc = scale < 1.0 ? vips_resize(up, &small, scale, NULL) : vips_copy(up, &small, NULL);
	g_object_unref(up);
	if (rc != 0) {
		vips_why(err, "resizing failed");
		return false;
	}
	void *buf = NULL;
	size_t len = 0;
	switch (to) {
	case MH_MEDIA_WEBP:
		rc = vips_webpsave_buffer(small, &buf, &len, "Q", 80, "strip", TRUE, NULL);
		break;
	case MH_MEDIA_JPEG:
		rc = vips_jpegsave_buffer(small, &buf, &len, "Q", 82, "strip", TRUE, "interlace", TRUE, NULL);
		break;
	case MH_MEDIA_PNG:
		rc = vips_pngsave_buffer(small, &buf, &len, "strip", TRUE, NULL);
		break;
	case MH_MEDIA_GIF:
		rc = vips_gifsave_buffer(small, &buf, &len, "strip", TRUE, NULL);
		break;
	case MH_MEDIA_NONE:
		rc = -1;
		break;
	}
	g_object_unref(small);
	if (rc != 0 || buf == NULL) {
		vips_why(err, "encoding the size failed");
		g_free(buf);
		return false;
	}
	mh_buf_append(out, buf, len);
	g_free(buf);
	return true;
}
