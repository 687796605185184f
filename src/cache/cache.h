/*
 * cache: rendered pages in memory, shared by all worker threads. Each page is
 * stored once with its strong ETag and its gzip and brotli variants (made when
 * it is put), tagged with the keys whose change makes it stale ("article:42",
 * "section:3", "home", "author:7", "tag:5"). Holds bytes and keys only.
 * Memory: a page is immutable and reference-counted; mh_cache_get() hands out
 * a reference the caller must mh_cache_page_release(). Invalidation unlinks a
 * page at once; readers holding it finish with the old bytes.
 */
#ifndef MH_CACHE_H
#define MH_CACHE_H

#include "util/util.h"

enum mh_cache_encoding { MH_ENC_IDENTITY = 0, MH_ENC_GZIP, MH_ENC_BR, MH_ENC_COUNT };

struct mh_cache_page {
	struct mh_str body[MH_ENC_COUNT]; /* identity always; gzip/br when smaller */
	struct mh_str etag[MH_ENC_COUNT];  /* strong, quoted, one per encoding present:
					    * "H", "H-gzip", "H-br" (H = mh_cache_etag) */
	struct mh_str content_type;
	struct mh_str keys;                /* space-separated, for Surrogate-Key */
	int status;                        /* 200, 404, 410 ... */
	int64_t created_us;
};

/* [cache] in site.ini (settings.c); every field is a row there. */
struct mh_cache_settings {
	bool enabled;
	size_t max_bytes;
	int max_age_s, s_maxage_s, stale_while_revalidate_s; /* the Cache-Control of public pages */
};
extern const struct mh_settings_table mh_cache_settings_table;

struct mh_cache;
/* max_bytes bounds the total size of all variants; oldest pages are evicted. */
struct mh_cache *mh_cache_new(size_t max_bytes);
void mh_cache_free(struct mh_cache *c);

/* The generation to pass to mh_cache_put: take it before reading the data a
 * page is rendered from, so that a page rendered from data that was changed
 * meanwhile is not stored after the invalidation that concerned it. */
uint64_t mh_cache_generation(struct mh_cache *c);

/* Looks up a page by its URL (path + query). NULL on miss. */
const struct mh_cache_page *mh_cache_get(struct mh_cache *c, struct mh_str url);
void mh_cache_page_release(const struct mh_cache_page *p);

/* Builds a page (computes ETag, gzip and br variants) and stores it under url
 * unless an invalidation has happened since generation. keys: space-separated.
 * Returns a reference to the new page (release it), which the caller may send
 * even when it was not stored. */
const struct mh_cache_page *mh_cache_put(struct mh_cache *c, struct mh_str url, int status, const char *content_type,
					  struct mh_str body, struct mh_str keys, uint64_t generation);
/* Drops every page tagged with key; returns how many. */
size_t mh_cache_invalidate(struct mh_cache *c, struct mh_str key);
void mh_cache_clear(struct mh_cache *c);

struct mh_cache_stats {
	uint64_t hits, misses, pages, bytes, invalidations;
};
void mh_cache_stats(struct mh_cache *c, struct mh_cache_stats *out);

/* Picks the smallest variant among those the client accepts. */
enum mh_cache_encoding mh_cache_choose(const struct mh_cache_page *p, bool gzip_ok, bool br_ok);
/* "gzip", "br" or NULL for identity. */
const char *mh_cache_encoding_name(enum mh_cache_encoding e);

/* The strong ETag of bytes: "\"<16 hex of a 64-bit hash>\"" into b. */
void mh_cache_etag(struct mh_buf *b, struct mh_str body);

#endif
