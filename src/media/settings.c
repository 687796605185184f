/*
 * media/settings.c: the [media] section of site.ini, owned here.
 */
#include <stddef.h>

#include "media/media.h"

#define F(field) offsetof(struct mh_media_settings, field)
static const struct mh_setting media_rows[] = {
	{ .key = "max_upload", .type = MH_SETTING_SIZE, .offset = F(max_upload), .min = 1024,
	  .max = 1024LL * 1024 * 1024, .def = "20m",
	  .comment = "the largest image accepted into the media library (bytes, or with k, m or g);\n"
		     "a larger upload is refused with 413. [server] max_body must allow it too" },
};
#undef F

const struct mh_settings_table mh_media_settings_table =
	MH_SETTINGS_TABLE("media", "the media library: uploaded images, kept in the database", media_rows,
			  struct mh_media_settings);
