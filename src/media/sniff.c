/*
 * sniff.c: an image's type from its first bytes, the only say the site
 * takes (never a file name or a client's Content-Type). Hand-written
 * rather than libmagic: four fixed signatures, and a pure (buf, len)
 * function that the fuzzer and the unit tests drive without a library's
 * database of thousands of rules (which would also call SVG an image).
 */
#include <string.h>

#include "media/media.h"

enum mh_media_type mh_media_sniff(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	if (b == NULL)
		return MH_MEDIA_NONE;
	/* JPEG: SOI then the first marker */
	if (len >= 4 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return MH_MEDIA_JPEG;
	/* PNG: the 8-byte signature, then the IHDR chunk that must come first */
	if (len >= 16 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(b + 12, "IHDR", 4) == 0)
		return MH_MEDIA_PNG;
	/* GIF: either version's header */
	if (len >= 10 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		return MH_MEDIA_GIF;
	/* WebP: a RIFF container of form WEBP whose first chunk is an image one */
	if (len >= 16 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0 &&
	    (memcmp(b + 12, "VP8 ", 4) == 0 || memcmp(b + 12, "VP8L", 4) == 0 || memcmp(b + 12, "VP8X", 4) == 0))
		return MH_MEDIA_WEBP;
	return MH_MEDIA_NONE;
}

static const char *const mimes[] = { NULL, "image/jpeg", "image/png", "image/webp", "image/gif" };
static const char *const exts[] = { NULL, "jpg", "png", "webp", "gif" };

const char *mh_media_type_mime(enum mh_media_type t)
{
	return (unsigned)t <= MH_MEDIA_GIF ? mimes[t] : NULL;
}

const char *mh_media_type_ext(enum mh_media_type t)
{
	return (unsigned)t <= MH_MEDIA_GIF ? exts[t] : NULL;
}

enum mh_media_type mh_media_type_of_ext(struct mh_str ext)
{
	for (int t = MH_MEDIA_JPEG; t <= MH_MEDIA_GIF; t++)
		if (mh_str_eq_c(ext, exts[t]))
			return (enum mh_media_type)t;
	return MH_MEDIA_NONE;
}
