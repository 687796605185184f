/*
 * fuzz/fuzz_image_sniff.c: the media library's type sniffer
 * (mh_media_sniff), the one judge of what an upload is, and the parser of
 * /media/ addresses (mh_media_parse_path). Both must stay within their
 * input and agree with the type tables.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	enum mh_media_type t = mh_media_sniff(d, n);
	MH_ASSERT((unsigned)t <= MH_MEDIA_GIF);
	if (t != MH_MEDIA_NONE) {
		MH_ASSERT(mh_media_type_mime(t) != NULL);
		MH_ASSERT(mh_media_type_of_ext(mh_str_c(mh_media_type_ext(t))) == t);
	}
	struct mh_str stem;
	int width;
	enum mh_media_type format;
	if (mh_media_parse_path((struct mh_str){ (const char *)d, n }, &stem, &width, &format)) {
		MH_ASSERT(format != MH_MEDIA_NONE && width >= 0);
		MH_ASSERT(stem.len > 0 && stem.ptr >= (const char *)d && stem.ptr + stem.len <= (const char *)d + n);
		MH_ASSERT(memchr(stem.ptr, '/', stem.len) == NULL);
	}
	return 0;
}
