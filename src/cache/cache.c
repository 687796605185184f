/*
 * cache/cache.c: the shared page cache.
 *
 * One mutex guards the tables; the slow work of building a page (hashing and
 * compressing) happens before it is taken. Three structures share the pages:
 *   - a chained hash table url -> page (SipHash with a per-cache random key,
 *     since URLs come from clients and could be chosen to collide);
 *   - an LRU list, most recently used first, for eviction by total bytes;
 *   - a key index key -> list of links, one link per (key, page), so
 *     invalidating a key touches exactly the pages tagged with it.
 * Pages are immutable once built and reference-counted with atomics: the
 * cache holds one reference while a page is linked, each reader one more.
 * The generation counter changes with every invalidation and clear; a put
 * carrying an older generation is not stored (see cache.h).
 */
#include "cache/cache.h"

#include <brotli/encode.h>
#include <pthread.h>
#include <sodium.h>
#include <xxhash.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct key_link;

struct page {
	struct mh_cache_page pub; /* first: the public pointer is the page */
	atomic_size_t refs;
	/* Below: owned by the cache, read and written under its lock. */
	struct mh_str url;
	uint64_t hash;
	struct page *hnext;	       /* url hash chain */
	struct page *newer, *older; /* LRU list */
	struct key_link *links;     /* one per distinct key */
	size_t nlinks;
	size_t bytes; /* what this page counts against max_bytes */
	bool linked;
};

struct key_entry {
	char *key;
	size_t len;
	uint64_t hash;
	struct key_entry *hnext;
	struct key_link *first; /* the pages tagged with this key */
	size_t count;
};

struct key_link {
	struct key_entry *key;
	struct page *page;
	struct key_link *prev, *next; /* within key->first */
};

struct mh_cache {
	pthread_mutex_t lock;
	unsigned char hash_key[crypto_shorthash_KEYBYTES];
	struct page **pages;
	size_t npage_buckets, npages;
	struct key_entry **keys;
	size_t nkey_buckets, nkeys;
	struct page *newest, *oldest;
	size_t bytes, max_bytes;
	atomic_uint_fast64_t generation;
	uint64_t hits, misses, invalidations;
};

/* ---- libsodium ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static void sodium_start(void)
{
	MH_ASSERT(sodium_init() >= 0);
}

static uint64_t hash_bytes(const struct mh_cache *c, const void *p, size_t n)
{
	unsigned char out[crypto_shorthash_BYTES];
	crypto_shorthash(out, p, n, c->hash_key);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return h;
}

/* XXH3 (Debian's libxxhash), not a cryptographic hash: an ETag only has to
 * change when the bytes do, and a rendered page is hashed on every cache
 * miss — BLAKE2b took 18% of a cold render's CPU, XXH3 is ~20x faster. */
void mh_cache_etag(struct mh_buf *b, struct mh_str body)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = XXH3_64bits(body.ptr, body.len);
	char tag[2 + 16];
	tag[0] = tag[17] = '"';
	for (int i = 0; i < 16; i++)
		tag[1 + i] = hex[(h >> (60 - 4 * i)) & 15];
	mh_buf_append(b, tag, sizeof tag);
}

/* ---- building a page ---- */

#define MIN_COMPRESS 128

static void compress_gzip(struct mh_buf *out, struct mh_str in)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	/* windowBits 15 + 16: a gzip wrapper rather than zlib's. */
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	size_t bound = deflateBound(&zs, (uLong)in.len);
	mh_buf_reserve(out, bound);
	zs.next_in = (Bytef *)in.ptr;
	zs.avail_in = (uInt)in.len;
	zs.next_out = (Bytef *)out->ptr;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) == Z_STREAM_END)
		out->len = zs.total_out;
	deflateEnd(&zs);
}

static void compress_br(struct mh_buf *out, struct mh_str in)
{
	size_t bound = BrotliEncoderMaxCompressedSize(in.len);
	if (bound == 0)
		return; /* input too large for brotli's one-shot API */
	mh_buf_reserve(out, bound);
	size_t n = bound;
	if (BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, in.len, (const uint8_t *)in.ptr, &n,
				  (uint8_t *)out->ptr))
		out->len = n;
}

/* Splits keys on spaces (and any other byte <= ' ', NUL included), dropping
 * empty and repeated ones. Writes them NUL-separated into seen (for the duplicate check) and space-separated
 * into canon (the page's keys, which page_link splits again). Returns how
 * many. */
static size_t split_keys(struct mh_str keys, struct mh_buf *seen, struct mh_buf *canon)
{
	size_t n = 0, i = 0;
	while (i < keys.len) {
		while (i < keys.len && (unsigned char)keys.ptr[i] <= ' ')
			i++;
		size_t start = i;
		while (i < keys.len && (unsigned char)keys.ptr[i] > ' ')
			i++;
		if (i == start)
			continue;
		struct mh_str k = { keys.ptr + start, i - start };
		bool dup = false;
		for (size_t off = 0; off < seen->len;) {
			struct mh_str have = mh_str_c(seen->ptr + off);
			if (mh_str_eq(have, k)) {
				dup = true;
				break;
			}
			off += have.len + 1;
		}
		if (dup)
			continue;
		mh_buf_append_str(seen, k);
		mh_buf_append_ch(seen, '\0');
		if (canon->len)
			mh_buf_append_ch(canon, ' ');
		mh_buf_append_str(canon, k);
		n++;
	}
	return n;
}

/* One allocation holds the struct, the links and every string. */
static struct page *page_build(struct mh_str url, int status, const char *content_type, struct mh_str body,
			       struct mh_str keys)
{
	struct mh_buf gz = MH_BUF_INIT, br = MH_BUF_INIT, etag = MH_BUF_INIT, keylist = MH_BUF_INIT,
		      canon = MH_BUF_INIT;
	mh_cache_etag(&etag, body);
	/* Below this size the compressed forms are rarely smaller (gzip alone
	 * adds 18 bytes of framing) and not worth a compressor's setup. */
	if (body.len >= MIN_COMPRESS) {
		compress_gzip(&gz, body);
		compress_br(&br, body);
	}
	if (gz.len >= body.len)
		gz.len = 0;
	if (br.len >= body.len)
		br.len = 0;
	size_t nkeys = split_keys(keys, &keylist, &canon);
	struct mh_str ctype = mh_str_c(content_type);

	size_t size = sizeof(struct page) + nkeys * sizeof(struct key_link);
	/* Each encoding its own strong validator (RFC 9110 8.8.3: the gzip
	 * bytes are a different representation): "HASH", "HASH-gzip", "HASH-br". */
	struct mh_buf etag_gz = MH_BUF_INIT, etag_br = MH_BUF_INIT;
	mh_buf_append(&etag_gz, etag.ptr, etag.len - 1);
	mh_buf_append_c(&etag_gz, "-gzip\"");
	mh_buf_append(&etag_br, etag.ptr, etag.len - 1);
	mh_buf_append_c(&etag_br, "-br\"");
	size_t strings = body.len + gz.len + br.len + etag.len + etag_gz.len + etag_br.len + ctype.len + canon.len +
			 url.len + 9;
	struct page *p = calloc(1, size + strings);
	MH_ASSERT(p != NULL);
	p->links = (struct key_link *)(p + 1);
	p->nlinks = nkeys;
	char *w = (char *)p + size;
#define PUT(dst, src)                                              \
	do {                                                       \
		if ((src).len)                                     \
			memcpy(w, (src).ptr, (src).len);            \
		w[(src).len] = '\0';                               \
		(dst) = (struct mh_str){ w, (src).len };           \
		w += (src).len + 1;                                \
	} while (0)
	PUT(p->pub.body[MH_ENC_IDENTITY], body);
	if (gz.len)
		PUT(p->pub.body[MH_ENC_GZIP], mh_buf_str(&gz));
	if (br.len)
		PUT(p->pub.body[MH_ENC_BR], mh_buf_str(&br));
	PUT(p->pub.etag[MH_ENC_IDENTITY], mh_buf_str(&etag));
	if (gz.len)
		PUT(p->pub.etag[MH_ENC_GZIP], mh_buf_str(&etag_gz));
	if (br.len)
		PUT(p->pub.etag[MH_ENC_BR], mh_buf_str(&etag_br));
	PUT(p->pub.content_type, ctype);
	PUT(p->pub.keys, mh_buf_str(&canon));
	PUT(p->url, url);
#undef PUT
	p->pub.status = status;
	p->pub.created_us = mh_time_now_us();
	p->bytes = body.len + gz.len + br.len + url.len + canon.len;
	atomic_init(&p->refs, 1);
	mh_buf_free(&gz);
	mh_buf_free(&br);
	mh_buf_free(&etag);
	mh_buf_free(&etag_gz);
	mh_buf_free(&etag_br);
	mh_buf_free(&keylist);
	mh_buf_free(&canon);
	return p;
}

void mh_cache_page_release(const struct mh_cache_page *pub)
{
	if (!pub)
		return;
	struct page *p = (struct page *)pub;
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
		free(p);
}

/* ---- tables (lock held) ---- */

static void pages_grow(struct mh_cache *c)
{
	size_t n = c->npage_buckets * 2;
	struct page **t = calloc(n, sizeof *t);
	MH_ASSERT(t != NULL);
	for (size_t i = 0; i < c->npage_buckets; i++) {
		for (struct page *p = c->pages[i], *next; p; p = next) {
			next = p->hnext;
			p->hnext = t[p->hash & (n - 1)];
			t[p->hash & (n - 1)] = p;
		}
	}
	free(c->pages);
	c->pages = t;
	c->npage_buckets = n;
}

static void keys_grow(struct mh_cache *c)
{
	size_t n = c->nkey_buckets * 2;
	struct key_entry **t = calloc(n, sizeof *t);
	MH_ASSERT(t != NULL);
	for (size_t i = 0; i < c->nkey_buckets; i++) {
		for (struct key_entry *e = c->keys[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = t[e->hash & (n - 1)];
			t[e->hash & (n - 1)] = e;
		}
	}
	free(c->keys);
	c->keys = t;
	c->nkey_buckets = n;
}

static struct page **page_slot(struct mh_cache *c, struct mh_str url, uint64_t h)
{
	struct page **pp = &c->pages[h & (c->npage_buckets - 1)];
	while (*pp && !((*pp)->hash == h && mh_str_eq((*pp)->url, url)))
		pp = &(*pp)->hnext;
	return pp;
}

static struct key_entry **key_slot(struct mh_cache *c, struct mh_str key, uint64_t h)
{
	struct key_entry **ep = &c->keys[h & (c->nkey_buckets - 1)];
	while (*ep && !((*ep)->hash == h && (*ep)->len == key.len && memcmp((*ep)->key, key.ptr, key.len) == 0))
		ep = &(*ep)->hnext;
	return ep;
}

static void lru_remove(struct mh_cache *c, struct page *p)
{
	if (p->newer)
		p->newer->older = p->older;
	else
		c->newest = p->older;
	if (p->older)
		p->older->newer = p->newer;
	else
		c->oldest = p->newer;
	p->newer = p->older = NULL;
}

static void lru_push_newest(struct mh_cache *c, struct page *p)
{
	p->older = c->newest;
	p->newer = NULL;
	if (c->newest)
		c->newest->newer = p;
	else
		c->oldest = p;
	c->newest = p;
}

/* Unlinks p from every structure and drops the cache's reference. The
 * reference is handed to *dead (a list through hnext) when it is the last
 * one, so the free happens after the lock is released. */
static void page_unlink(struct mh_cache *c, struct page *p, struct page **dead)
{
	MH_ASSERT(p->linked);
	struct page **pp = page_slot(c, p->url, p->hash);
	MH_ASSERT(*pp == p);
	*pp = p->hnext;
	lru_remove(c, p);
	for (size_t i = 0; i < p->nlinks; i++) {
		struct key_link *l = &p->links[i];
		struct key_entry *e = l->key;
		if (l->prev)
			l->prev->next = l->next;
		else
			e->first = l->next;
		if (l->next)
			l->next->prev = l->prev;
		if (--e->count == 0) {
			struct key_entry **ep = key_slot(c, (struct mh_str){ e->key, e->len }, e->hash);
			MH_ASSERT(*ep == e);
			*ep = e->hnext;
			free(e);
			c->nkeys--;
		}
		l->key = NULL;
		l->prev = l->next = NULL;
	}
	p->linked = false;
	c->npages--;
	c->bytes -= p->bytes;
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
		p->hnext = *dead;
		*dead = p;
	}
}

static void free_dead(struct page *dead)
{
	while (dead) {
		struct page *next = dead->hnext;
		free(dead);
		dead = next;
	}
}

static void page_link(struct mh_cache *c, struct page *p)
{
	if (c->npages >= c->npage_buckets)
		pages_grow(c);
	struct page **pp = page_slot(c, p->url, p->hash);
	MH_ASSERT(*pp == NULL);
	*pp = p;
	p->hnext = NULL;
	lru_push_newest(c, p);
	const char *k = p->pub.keys.ptr;
	for (size_t i = 0; i < p->nlinks; i++) {
		struct mh_str key = { k, strcspn(k, " ") };
		k += key.len + 1;
		uint64_t h = hash_bytes(c, key.ptr, key.len);
		struct key_entry **ep = key_slot(c, key, h);
		struct key_entry *e = *ep;
		if (!e) {
			if (c->nkeys >= c->nkey_buckets) {
				keys_grow(c);
				ep = key_slot(c, key, h);
			}
			e = calloc(1, sizeof *e + key.len + 1);
			MH_ASSERT(e != NULL);
			e->key = (char *)(e + 1);
			memcpy(e->key, key.ptr, key.len);
			e->len = key.len;
			e->hash = h;
			*ep = e;
			c->nkeys++;
		}
		struct key_link *l = &p->links[i];
		l->page = p;
		l->key = e;
		l->prev = NULL;
		l->next = e->first;
		if (e->first)
			e->first->prev = l;
		e->first = l;
		e->count++;
	}
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	p->linked = true;
	c->npages++;
	c->bytes += p->bytes;
}

/* ---- public ---- */

struct mh_cache *mh_cache_new(size_t max_bytes)
{
	pthread_once(&sodium_once, sodium_start);
	struct mh_cache *c = calloc(1, sizeof *c);
	MH_ASSERT(c != NULL);
	MH_ASSERT(pthread_mutex_init(&c->lock, NULL) == 0);
	crypto_shorthash_keygen(c->hash_key);
	c->npage_buckets = c->nkey_buckets = 1024;
	c->pages = calloc(c->npage_buckets, sizeof *c->pages);
	c->keys = calloc(c->nkey_buckets, sizeof *c->keys);
	MH_ASSERT(c->pages && c->keys);
	c->max_bytes = max_bytes;
	atomic_init(&c->generation, 1);
	return c;
}

static void clear_locked(struct mh_cache *c, struct page **dead)
{
	while (c->oldest)
		page_unlink(c, c->oldest, dead);
}

void mh_cache_free(struct mh_cache *c)
{
	if (!c)
		return;
	struct page *dead = NULL;
	clear_locked(c, &dead);
	free_dead(dead);
	MH_ASSERT(c->nkeys == 0 && c->bytes == 0);
	free(c->pages);
	free(c->keys);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

uint64_t mh_cache_generation(struct mh_cache *c)
{
	return atomic_load_explicit(&c->generation, memory_order_acquire);
}

const struct mh_cache_page *mh_cache_get(struct mh_cache *c, struct mh_str url)
{
	uint64_t h = hash_bytes(c, url.ptr, url.len);
	pthread_mutex_lock(&c->lock);
	struct page *p = *page_slot(c, url, h);
	if (p) {
		lru_remove(c, p);
		lru_push_newest(c, p);
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
		c->hits++;
	} else {
		c->misses++;
	}
	pthread_mutex_unlock(&c->lock);
	return p ? &p->pub : NULL;
}

const struct mh_cache_page *mh_cache_put(struct mh_cache *c, struct mh_str url, int status, const char *content_type,
					  struct mh_str body, struct mh_str keys, uint64_t generation)
{
	struct page *p = page_build(url, status, content_type, body, keys);
	p->hash = hash_bytes(c, url.ptr, url.len);
	struct page *dead = NULL;
	pthread_mutex_lock(&c->lock);
	/* The generation is re-read under the lock: an invalidation holds the
	 * lock while it bumps it, so it cannot slip between check and link. */
	if (generation == atomic_load(&c->generation) && p->bytes <= c->max_bytes) {
		struct page *old = *page_slot(c, p->url, p->hash);
		if (old)
			page_unlink(c, old, &dead);
		page_link(c, p);
		while (c->bytes > c->max_bytes && c->oldest != p)
			page_unlink(c, c->oldest, &dead);
	}
	pthread_mutex_unlock(&c->lock);
	free_dead(dead);
	return &p->pub;
}

size_t mh_cache_invalidate(struct mh_cache *c, struct mh_str key)
{
	uint64_t h = hash_bytes(c, key.ptr, key.len);
	size_t n = 0;
	struct page *dead = NULL;
	pthread_mutex_lock(&c->lock);
	atomic_fetch_add(&c->generation, 1);
	c->invalidations++;
	/* Unlinking the last tagged page frees the key entry, so look it up
	 * again each round instead of holding on to it. */
	struct key_entry *e;
	while ((e = *key_slot(c, key, h)) != NULL) {
		page_unlink(c, e->first->page, &dead);
		n++;
	}
	pthread_mutex_unlock(&c->lock);
	free_dead(dead);
	return n;
}

void mh_cache_clear(struct mh_cache *c)
{
	struct page *dead = NULL;
	pthread_mutex_lock(&c->lock);
	atomic_fetch_add(&c->generation, 1);
	c->invalidations++;
	clear_locked(c, &dead);
	pthread_mutex_unlock(&c->lock);
	free_dead(dead);
}

void mh_cache_stats(struct mh_cache *c, struct mh_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	out->hits = c->hits;
	out->misses = c->misses;
	out->pages = c->npages;
	out->bytes = c->bytes;
	out->invalidations = c->invalidations;
	pthread_mutex_unlock(&c->lock);
}

enum mh_cache_encoding mh_cache_choose(const struct mh_cache_page *p, bool gzip_ok, bool br_ok)
{
	enum mh_cache_encoding best = MH_ENC_IDENTITY;
	if (br_ok && p->body[MH_ENC_BR].ptr && p->body[MH_ENC_BR].len < p->body[best].len)
		best = MH_ENC_BR;
	if (gzip_ok && p->body[MH_ENC_GZIP].ptr && p->body[MH_ENC_GZIP].len < p->body[best].len)
		best = MH_ENC_GZIP;
	return best;
}

const char *mh_cache_encoding_name(enum mh_cache_encoding e)
{
	switch (e) {
	case MH_ENC_GZIP: return "gzip";
	case MH_ENC_BR: return "br";
	default: return NULL;
	}
}
