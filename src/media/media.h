/*
 * media: the site's image library below any interface. An image's type is
 * taken from its bytes (JPEG, PNG, WebP, GIF; SVG and everything else
 * refused), its size and pixels bounded, its original kept in the database
 * under a content-addressed name, and its derived sizes (480, 960, 1600 px
 * wide, WebP and the original's format, never upscaled) made with libvips
 * by the media_sizes job or on demand. Uses util and store only; jobs/
 * runs mh_media_make_sizes, site/ serves and uploads through this header.
 * Memory: what a function returns lives in the arena it was given.
 */
#ifndef MH_MEDIA_H
#define MH_MEDIA_H

#include "store/store.h"
#include "util/util.h"

/* [media] in site.ini (settings.c). */
struct mh_media_settings {
	size_t max_upload; /* bytes of one original */
};
extern const struct mh_settings_table mh_media_settings_table; /* [media] */

/* ---- what an image is (sniff.c: pure, fuzzed) ---- */
enum mh_media_type {
	MH_MEDIA_NONE = 0, /* not one of the four */
	MH_MEDIA_JPEG,
	MH_MEDIA_PNG,
	MH_MEDIA_WEBP,
	MH_MEDIA_GIF,
};
/* The type the bytes start as (their magic numbers), never a name's or a
 * client's say. An SVG, HTML or anything else is MH_MEDIA_NONE. A match
 * is only a claim: mh_media_inspect decodes the image to prove it. */
enum mh_media_type mh_media_sniff(const void *buf, size_t len);
const char *mh_media_type_mime(enum mh_media_type t); /* "image/jpeg"; NULL for NONE */
const char *mh_media_type_ext(enum mh_media_type t);  /* "jpg", "png", "webp", "gif"; NULL for NONE */
/* The type of an extension/format word ("jpg", "webp", ...), NONE if unknown. */
enum mh_media_type mh_media_type_of_ext(struct mh_str ext);

/* ---- checks and sizes (image.c: libvips) ---- */
/* Decompression bombs: a side longer than this, or more pixels than this,
 * is refused before any pixel is decoded. */
#define MH_MEDIA_MAX_SIDE 16384
#define MH_MEDIA_MAX_PIXELS (48LL * 1000 * 1000)
/* The derived widths, ascending. */
#define MH_MEDIA_N_WIDTHS 3
extern const int mh_media_widths[MH_MEDIA_N_WIDTHS];

/* Why an upload was refused; the interface picks its answer from this. */
enum mh_media_problem {
	MH_MEDIA_FINE = 0,
	MH_MEDIA_TOO_BIG,    /* more bytes than [media] max_upload (HTTP 413) */
	MH_MEDIA_NOT_IMAGE,  /* not a JPEG, PNG, WebP or GIF (SVG included) (415) */
	MH_MEDIA_DAMAGED,    /* its type's magic, but it does not decode (415) */
	MH_MEDIA_TOO_MANY_PIXELS, /* a side or the area beyond the limits (413) */
};
struct mh_media_info {
	enum mh_media_type type;
	int width, height;
};
/* Sniffs, reads the header for the dimensions (bounded above), then decodes
 * the whole image once (a truncated or corrupt one fails here, not later in
 * a job). MH_MEDIA_FINE with *info filled, or the problem with a sentence
 * a person can act on in err. Thread-safe. */
enum mh_media_problem mh_media_inspect(struct mh_str bytes, size_t max_bytes, struct mh_media_info *info,
				       struct mh_buf *err);
/* Resizes an original of type from to width pixels wide (keeping the
 * aspect ratio; the caller never asks for more than the original's width)
 * and encodes it as to. False with a message in err when libvips fails.
 * *out is malloc'd into the buffer (caller frees). */
bool mh_media_resize(struct mh_str bytes, enum mh_media_type from, int width, enum mh_media_type to,
		     struct mh_buf *out, struct mh_buf *err);

/* ---- the library (media.c) ---- */
/* The name of bytes of type t: 32 hex digits of their BLAKE2b hash, a dot
 * and t's extension. Same bytes, same name, on every node. */
const char *mh_media_name(struct mh_arena *a, struct mh_str bytes, enum mh_media_type t);
/* Checks bytes (mh_media_inspect with settings' max_upload), stores them
 * with alt as the default description (may be NULL) and uploader_id (0 =
 * none), and queues their media_sizes job, in one transaction. Bytes
 * already in the library give the stored item (its alt unchanged) and
 * MH_OK. MH_INVALID with *problem (may be NULL) and err set when the bytes
 * are refused; the store's codes otherwise. *out is in a. */
enum mh_store_rc mh_media_add(struct mh_store *s, const struct mh_media_settings *settings, struct mh_arena *a,
			      struct mh_str bytes, const char *alt, int64_t uploader_id, struct mh_media **out,
			      enum mh_media_problem *problem, struct mh_buf *err);
/* The longest description (alt text) kept, in characters: an article's
 * image description has the same bound. */
#define MH_MEDIA_ALT_MAX 500
/* Why alt cannot be an image's description (a sentence), or NULL when it
 * can: one line of valid UTF-8 without control characters, at most
 * MH_MEDIA_ALT_MAX characters. Empty is allowed (required at publishing). */
const char *mh_media_alt_problem(struct mh_str alt);
/* Sets the description of the item named name (checked as above:
 * MH_INVALID with the sentence in err); MH_NOT_FOUND when there is none. */
enum mh_store_rc mh_media_set_alt(struct mh_store *s, struct mh_arena *a, struct mh_str name, struct mh_str alt,
				  struct mh_buf *err);
/* Removes the item named name and its sizes. MH_CONFLICT, naming each
 * article (slug and headline) in err, while an article shows it;
 * MH_NOT_FOUND when there is no such item. */
enum mh_store_rc mh_media_remove(struct mh_store *s, struct mh_arena *a, struct mh_str name, struct mh_buf *err);

/* Whether width/format is one of m's derived sizes: width one of
 * mh_media_widths below m's width (never upscaled), format WebP or m's own. */
bool mh_media_size_exists(const struct mh_media *m, int width, enum mh_media_type format);
/* The bytes of that size: read from the store, or made now from the
 * original and stored (so every node serves them after). MH_NOT_FOUND when
 * it is no size of m (mh_media_size_exists). */
enum mh_store_rc mh_media_size(struct mh_store *s, struct mh_arena *a, const struct mh_media *m, int width,
			       enum mh_media_type format, struct mh_str *out, struct mh_buf *err);
/* The media_sizes job's work: makes and stores every size of item id that
 * is missing (idempotent: sizes already stored are left as they are, so a
 * run after a node died mid-way finishes the rest). *made (may be NULL)
 * counts the sizes made now. An item removed meanwhile: MH_OK, nothing made. */
enum mh_store_rc mh_media_make_sizes(struct mh_store *s, int64_t id, int *made, struct mh_buf *err);
/* The job kind and its dedupe key ("media_sizes:ID"). */
#define MH_MEDIA_JOB_KIND "media_sizes"

/* Addresses: the original is /media/NAME; a size /media/wWIDTH/STEM.FMT
 * (STEM: the name without its extension; FMT webp or the original's).
 * mh_media_parse_path reads what follows "/media/": true for either form
 * (*width 0 for an original; *stem the whole name then), false for any
 * other path (a file of the site's media/ folder, say). */
bool mh_media_parse_path(struct mh_str path, struct mh_str *stem, int *width, enum mh_media_type *format);

#endif
