/* The page cache: lookups, ETags, compressed variants, exact invalidation,
 * the generation guard, eviction, and concurrent use. */
#include <brotli/decode.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "cache/cache.h"
#include "http/http.h"

#define KB 1024

/* A body that compresses well, different for each n. */
static struct mh_str html_body(struct mh_buf *b, int n, size_t size)
{
	mh_buf_reset(b);
	mh_buf_printf(b, "<!doctype html><title>Page %d</title>", n);
	while (b->len < size)
		mh_buf_printf(b, "<p class=\"story\">Paragraph of page %d, line %zu.</p>\n", n, b->len);
	b->len = size;
	return mh_buf_str(b);
}

static const struct mh_cache_page *put(struct mh_cache *c, const char *url, const char *body, const char *keys)
{
	return mh_cache_put(c, mh_str_c(url), 200, "text/html; charset=utf-8", mh_str_c(body), mh_str_c(keys),
			    mh_cache_generation(c));
}

static void put_release(struct mh_cache *c, const char *url, const char *body, const char *keys)
{
	mh_cache_page_release(put(c, url, body, keys));
}

static bool cached(struct mh_cache *c, const char *url)
{
	const struct mh_cache_page *p = mh_cache_get(c, mh_str_c(url));
	mh_cache_page_release(p);
	return p != NULL;
}

Test(cache, put_then_get)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	const struct mh_cache_page *p = mh_cache_put(c, MH_STR("/a?x=1"), 404, "text/plain", MH_STR("hello"),
						     MH_STR("home  article:1 "), mh_cache_generation(c));
	cr_assert_not_null(p);
	mh_cache_page_release(p);
	const struct mh_cache_page *g = mh_cache_get(c, MH_STR("/a?x=1"));
	cr_assert_not_null(g);
	cr_assert(mh_str_eq_c(g->body[MH_ENC_IDENTITY], "hello"));
	cr_assert(mh_str_eq_c(g->content_type, "text/plain"));
	cr_assert(mh_str_eq_c(g->keys, "home article:1"), "keys normalised: \"%.*s\"", (int)g->keys.len,
		  g->keys.ptr);
	cr_assert_eq(g->status, 404);
	cr_assert_gt(g->created_us, 0);
	cr_assert_eq(g->etag[MH_ENC_IDENTITY].len, 18);
	mh_cache_page_release(g);
	mh_cache_free(c);
}

Test(cache, miss_and_stats)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	cr_assert_not(cached(c, "/nothing"));
	put_release(c, "/a", "A", "home");
	cr_assert(cached(c, "/a"));
	cr_assert(cached(c, "/a"));
	cr_assert_not(cached(c, "/a?"));
	cr_assert_not(cached(c, "/A"));
	struct mh_cache_stats s;
	mh_cache_stats(c, &s);
	cr_assert_eq(s.hits, 2);
	cr_assert_eq(s.misses, 3);
	cr_assert_eq(s.pages, 1);
	cr_assert_gt(s.bytes, 0);
	cr_assert_eq(s.invalidations, 0);
	mh_cache_free(c);
}

Test(cache, put_replaces_same_url)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	const struct mh_cache_page *old = put(c, "/a", "old", "article:1");
	put_release(c, "/a", "new", "article:2");
	const struct mh_cache_page *g = mh_cache_get(c, MH_STR("/a"));
	cr_assert(mh_str_eq_c(g->body[0], "new"));
	cr_assert(mh_str_eq_c(old->body[0], "old"), "a held reference keeps the old bytes");
	mh_cache_page_release(g);
	mh_cache_page_release(old);
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("article:1")), 0, "old page's keys went with it");
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("article:2")), 1);
	struct mh_cache_stats s;
	mh_cache_stats(c, &s);
	cr_assert_eq(s.pages, 0);
	cr_assert_eq(s.bytes, 0);
	mh_cache_free(c);
}

static const char *etag_of(const char *body)
{
	static struct mh_buf b;
	mh_buf_reset(&b);
	mh_cache_etag(&b, mh_str_c(body));
	return mh_buf_cstr(&b);
}

Test(cache, etag_format_stable_and_distinct)
{
	char a[32];
	snprintf(a, sizeof a, "%s", etag_of("hello"));
	cr_assert_eq(strlen(a), 18);
	cr_assert_eq(a[0], '"');
	cr_assert_eq(a[17], '"');
	for (int i = 1; i < 17; i++)
		cr_assert(strchr("0123456789abcdef", a[i]), "not lower hex: %s", a);
	cr_assert_str_eq(etag_of("hello"), a, "same bytes, same tag");
	cr_assert_str_neq(etag_of("hellp"), a);
	cr_assert_str_neq(etag_of(""), a);
	/* XXH3-64 (seed 0) of "" is fixed by the algorithm (the value xxHash's
	 * own documentation gives): pins the choice of hash and the hex order. */
	cr_assert_str_eq(etag_of(""), "\"2d06800538d394c2\"");
	cr_assert_str_eq(etag_of("hello"), "\"9555e8555c62dcfd\"");
}

Test(cache, page_etag_matches_helper_and_ignores_url)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	const struct mh_cache_page *p1 = put(c, "/x", "same body", "");
	const struct mh_cache_page *p2 = put(c, "/y", "same body", "other");
	const struct mh_cache_page *p3 = put(c, "/z", "other body", "");
	cr_assert(mh_str_eq(p1->etag[MH_ENC_IDENTITY], p2->etag[MH_ENC_IDENTITY]));
	cr_assert_not(mh_str_eq(p1->etag[MH_ENC_IDENTITY], p3->etag[MH_ENC_IDENTITY]));
	cr_assert(mh_str_eq_c(p1->etag[MH_ENC_IDENTITY], etag_of("same body")));
	mh_cache_page_release(p1);
	mh_cache_page_release(p2);
	mh_cache_page_release(p3);
	mh_cache_free(c);
}

static struct mh_buf gunzip(struct mh_str in)
{
	struct mh_buf out = MH_BUF_INIT;
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip only */
	zs.next_in = (Bytef *)in.ptr;
	zs.avail_in = (uInt)in.len;
	int rc;
	do {
		mh_buf_reserve(&out, 65536);
		zs.next_out = (Bytef *)out.ptr + out.len;
		zs.avail_out = 65536;
		rc = inflate(&zs, Z_NO_FLUSH);
		cr_assert(rc == Z_OK || rc == Z_STREAM_END, "inflate: %d", rc);
		out.len = zs.total_out;
	} while (rc != Z_STREAM_END);
	inflateEnd(&zs);
	return out;
}

static struct mh_buf unbrotli(struct mh_str in, size_t expect)
{
	struct mh_buf out = MH_BUF_INIT;
	mh_buf_reserve(&out, expect + 1);
	size_t n = expect + 1;
	cr_assert_eq(BrotliDecoderDecompress(in.len, (const uint8_t *)in.ptr, &n, (uint8_t *)out.ptr),
		     BROTLI_DECODER_RESULT_SUCCESS);
	out.len = n;
	return out;
}

Test(cache, variants_decompress_to_body)
{
	struct mh_cache *c = mh_cache_new(16 << 20);
	struct mh_buf b = MH_BUF_INIT;
	struct mh_str body = html_body(&b, 1, 200 * KB);
	const struct mh_cache_page *p =
		mh_cache_put(c, MH_STR("/big"), 200, "text/html", body, MH_STR("home"), mh_cache_generation(c));
	struct mh_str gz = p->body[MH_ENC_GZIP], br = p->body[MH_ENC_BR];
	cr_assert_not_null(gz.ptr);
	cr_assert_not_null(br.ptr);
	cr_assert_lt(gz.len, body.len / 4);
	cr_assert_lt(br.len, body.len / 4);
	cr_assert_eq((unsigned char)gz.ptr[0], 0x1f, "gzip magic");
	cr_assert_eq((unsigned char)gz.ptr[1], 0x8b);
	struct mh_buf g = gunzip(gz), r = unbrotli(br, body.len);
	cr_assert_eq(g.len, body.len);
	cr_assert(memcmp(g.ptr, body.ptr, body.len) == 0);
	cr_assert_eq(r.len, body.len);
	cr_assert(memcmp(r.ptr, body.ptr, body.len) == 0);
	mh_buf_free(&g);
	mh_buf_free(&r);
	mh_buf_free(&b);
	mh_cache_page_release(p);
	mh_cache_free(c);
}

Test(cache, no_variant_when_not_smaller)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	const struct mh_cache_page *p = put(c, "/tiny", "ok", "");
	cr_assert_null(p->body[MH_ENC_GZIP].ptr, "too small to compress");
	cr_assert_null(p->body[MH_ENC_BR].ptr);
	cr_assert_eq(mh_cache_choose(p, true, true), MH_ENC_IDENTITY);
	mh_cache_page_release(p);
	/* Random bytes do not compress: neither variant is kept. */
	char noise[1000];
	struct mh_rng r;
	mh_rng_seed(&r, 99);
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (char)mh_rng_next(&r);
	p = mh_cache_put(c, MH_STR("/noise"), 200, "application/octet-stream", (struct mh_str){ noise, sizeof noise },
			 MH_STR(""), mh_cache_generation(c));
	cr_assert_null(p->body[MH_ENC_GZIP].ptr);
	cr_assert_null(p->body[MH_ENC_BR].ptr);
	cr_assert_eq(p->body[MH_ENC_IDENTITY].len, sizeof noise);
	mh_cache_page_release(p);
	const struct mh_cache_page *e = put(c, "/empty", "", "");
	cr_assert_eq(e->body[MH_ENC_IDENTITY].len, 0);
	cr_assert_not_null(e->body[MH_ENC_IDENTITY].ptr);
	cr_assert_null(e->body[MH_ENC_GZIP].ptr);
	mh_cache_page_release(e);
	mh_cache_free(c);
}

Test(cache, choose_smallest_acceptable)
{
	struct mh_cache *c = mh_cache_new(16 << 20);
	struct mh_buf b = MH_BUF_INIT;
	const struct mh_cache_page *p = mh_cache_put(c, MH_STR("/p"), 200, "text/html", html_body(&b, 2, 50 * KB),
						     MH_STR(""), mh_cache_generation(c));
	cr_assert_lt(p->body[MH_ENC_BR].len, p->body[MH_ENC_GZIP].len, "brotli should win on this text");
	cr_assert_eq(mh_cache_choose(p, true, true), MH_ENC_BR);
	cr_assert_eq(mh_cache_choose(p, true, false), MH_ENC_GZIP);
	cr_assert_eq(mh_cache_choose(p, false, true), MH_ENC_BR);
	cr_assert_eq(mh_cache_choose(p, false, false), MH_ENC_IDENTITY);
	/* A page whose gzip came out smaller than brotli gets gzip. */
	struct mh_cache_page fake = *p;
	fake.body[MH_ENC_GZIP].len = p->body[MH_ENC_BR].len - 1;
	cr_assert_eq(mh_cache_choose(&fake, true, true), MH_ENC_GZIP);
	cr_assert_str_eq(mh_cache_encoding_name(MH_ENC_GZIP), "gzip");
	cr_assert_str_eq(mh_cache_encoding_name(MH_ENC_BR), "br");
	cr_assert_null(mh_cache_encoding_name(MH_ENC_IDENTITY));
	mh_cache_page_release(p);
	mh_buf_free(&b);
	mh_cache_free(c);
}

Test(cache, invalidation_is_exact)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	put_release(c, "/", "home", "home section:1 article:1 article:2");
	put_release(c, "/a/1", "a1", "article:1 section:1 author:7");
	put_release(c, "/a/2", "a2", "article:2 section:1");
	put_release(c, "/a/3", "a3", "article:3 section:2");
	put_release(c, "/a/10", "a10", "article:10");
	put_release(c, "/feed", "feed", "feeds");

	cr_assert_eq(mh_cache_invalidate(c, MH_STR("article:1")), 2);
	cr_assert_not(cached(c, "/"));
	cr_assert_not(cached(c, "/a/1"));
	cr_assert(cached(c, "/a/2"));
	cr_assert(cached(c, "/a/3"));
	cr_assert(cached(c, "/a/10"), "article:1 must not match article:10");
	cr_assert(cached(c, "/feed"));

	cr_assert_eq(mh_cache_invalidate(c, MH_STR("article:1")), 0, "already gone");
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("section:1")), 1);
	cr_assert_not(cached(c, "/a/2"));
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("nothing")), 0);
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("")), 0);

	struct mh_cache_stats s;
	mh_cache_stats(c, &s);
	cr_assert_eq(s.pages, 3);
	cr_assert_eq(s.invalidations, 5);
	mh_cache_clear(c);
	mh_cache_stats(c, &s);
	cr_assert_eq(s.pages, 0);
	cr_assert_eq(s.bytes, 0);
	cr_assert_not(cached(c, "/feed"));
	mh_cache_free(c);
}

Test(cache, held_page_survives_invalidation)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	put_release(c, "/a", "bytes of a", "k");
	const struct mh_cache_page *p = mh_cache_get(c, MH_STR("/a"));
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("k")), 1);
	cr_assert(mh_str_eq_c(p->body[0], "bytes of a")); /* ASan: no use after free */
	mh_cache_page_release(p);
	mh_cache_free(c);
}

Test(cache, stale_generation_not_stored)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	uint64_t g = mh_cache_generation(c);
	mh_cache_invalidate(c, MH_STR("article:1"));
	cr_assert_neq(mh_cache_generation(c), g, "invalidation moves the generation");
	const struct mh_cache_page *p =
		mh_cache_put(c, MH_STR("/a"), 200, "text/html", MH_STR("stale"), MH_STR("article:1"), g);
	cr_assert_not_null(p, "the caller still gets a page to send");
	cr_assert(mh_str_eq_c(p->body[0], "stale"));
	mh_cache_page_release(p);
	cr_assert_not(cached(c, "/a"));

	g = mh_cache_generation(c);
	mh_cache_clear(c);
	mh_cache_page_release(
		mh_cache_put(c, MH_STR("/b"), 200, "text/html", MH_STR("x"), MH_STR(""), g));
	cr_assert_not(cached(c, "/b"), "clear moves the generation too");

	put_release(c, "/c", "fresh", "");
	cr_assert(cached(c, "/c"));
	mh_cache_free(c);
}

Test(cache, eviction_keeps_total_under_max)
{
	const size_t max = 100 * KB;
	struct mh_cache *c = mh_cache_new(max);
	char url[32], body[10 * KB + 1];
	for (int i = 0; i < 40; i++) {
		/* incompressible-ish bodies so variants don't shrink much */
		for (size_t j = 0; j < sizeof body - 1; j++)
			body[j] = (char)(' ' + (unsigned)((i * 131 + j * j * 7919 + j) % 95));
		body[sizeof body - 1] = '\0';
		snprintf(url, sizeof url, "/p/%d", i);
		put_release(c, url, body, "all");
		struct mh_cache_stats s;
		mh_cache_stats(c, &s);
		cr_assert_leq(s.bytes, max, "bytes %llu > max", (unsigned long long)s.bytes);
	}
	cr_assert(cached(c, "/p/39"), "newest stays");
	cr_assert_not(cached(c, "/p/0"), "oldest evicted");
	struct mh_cache_stats s;
	mh_cache_stats(c, &s);
	cr_assert_lt(s.pages, 40);
	cr_assert_gt(s.pages, 3);
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("all")), s.pages, "evicted pages left the key index");
	mh_cache_free(c);
}

Test(cache, eviction_is_least_recently_used)
{
	struct mh_buf b = MH_BUF_INIT;
	struct mh_str body = html_body(&b, 5, 4 * KB);
	/* Measure what one page counts, then make room for exactly three. */
	struct mh_cache *probe = mh_cache_new(1 << 20);
	mh_cache_page_release(mh_cache_put(probe, MH_STR("/0"), 200, "text/html", body, MH_STR(""), 1));
	struct mh_cache_stats s;
	mh_cache_stats(probe, &s);
	mh_cache_free(probe);
	cr_assert_eq(s.pages, 1);
	struct mh_cache *c = mh_cache_new(3 * s.bytes);
	const char *urls[] = { "/1", "/2", "/3", "/4" };
	for (int i = 0; i < 3; i++)
		mh_cache_page_release(mh_cache_put(c, mh_str_c(urls[i]), 200, "text/html", body, MH_STR(""),
						   mh_cache_generation(c)));
	mh_cache_stats(c, &s);
	cr_assert_eq(s.pages, 3);
	cr_assert(cached(c, "/1")); /* /1 is now the most recently used */
	mh_cache_page_release(
		mh_cache_put(c, MH_STR("/4"), 200, "text/html", body, MH_STR(""), mh_cache_generation(c)));
	cr_assert(cached(c, "/1"));
	cr_assert_not(cached(c, "/2"), "least recently used goes first");
	cr_assert(cached(c, "/3"));
	cr_assert(cached(c, "/4"));
	mh_buf_free(&b);
	mh_cache_free(c);
}

Test(cache, page_larger_than_cache_not_stored)
{
	struct mh_cache *c = mh_cache_new(100);
	put_release(c, "/small", "s", "");
	char big[300];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	const struct mh_cache_page *p = put(c, "/big", big, "");
	cr_assert_not_null(p);
	mh_cache_page_release(p);
	cr_assert_not(cached(c, "/big"));
	cr_assert(cached(c, "/small"), "an oversized page does not flush the others");
	mh_cache_free(c);
}

Test(cache, many_pages_fast_invalidation)
{
	/* 100k pages: the tables grow, and invalidating one key stays exact. */
	struct mh_cache *c = mh_cache_new((size_t)1 << 30);
	char url[32], keys[64];
	for (int i = 0; i < 100000; i++) {
		snprintf(url, sizeof url, "/a/%d", i);
		snprintf(keys, sizeof keys, "article:%d section:%d home", i, i % 100);
		put_release(c, url, url, keys);
	}
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("article:4242")), 1);
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("section:7")), 1000);
	cr_assert(cached(c, "/a/8"));
	cr_assert_not(cached(c, "/a/107"));
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("home")), 100000 - 1 - 1000);
	struct mh_cache_stats s;
	mh_cache_stats(c, &s);
	cr_assert_eq(s.pages, 0);
	cr_assert_eq(s.bytes, 0);
	mh_cache_free(c);
}

/* ---- threads ---- */

struct worker {
	struct mh_cache *c;
	int id;
	unsigned long gets, puts, invals;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mh_rng r;
	mh_rng_seed(&r, (uint64_t)w->id);
	struct mh_buf body = MH_BUF_INIT;
	char url[32], keys[64];
	for (int i = 0; i < 3000; i++) {
		int n = (int)mh_rng_below(&r, 200);
		snprintf(url, sizeof url, "/a/%d", n);
		uint32_t op = mh_rng_below(&r, 10);
		if (op < 6) {
			const struct mh_cache_page *p = mh_cache_get(w->c, mh_str_c(url));
			if (p) {
				/* The page must be whole: its body names its URL. */
				char want[40];
				int wl = snprintf(want, sizeof want, "<!doctype html><title>Page %d</title>", n);
				cr_assert(p->body[0].len >= (size_t)wl && memcmp(p->body[0].ptr, want, (size_t)wl) == 0);
				mh_cache_page_release(p);
			}
			w->gets++;
		} else if (op < 9) {
			uint64_t g = mh_cache_generation(w->c);
			snprintf(keys, sizeof keys, "article:%d section:%d home", n, n % 10);
			struct mh_str b = html_body(&body, n, 200 + (size_t)mh_rng_below(&r, 4000));
			const struct mh_cache_page *p =
				mh_cache_put(w->c, mh_str_c(url), 200, "text/html", b, mh_str_c(keys), g);
			mh_cache_page_release(p);
			w->puts++;
		} else {
			snprintf(keys, sizeof keys, mh_rng_below(&r, 2) ? "article:%d" : "section:%d", n % 10);
			mh_cache_invalidate(w->c, mh_str_c(keys));
			w->invals++;
		}
	}
	mh_buf_free(&body);
	return NULL;
}

Test(cache, concurrent_get_put_invalidate, .timeout = 120)
{
	struct mh_cache *c = mh_cache_new(256 * KB); /* small: eviction runs too */
	enum { N = 8 };
	pthread_t t[N];
	struct worker w[N];
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){ .c = c, .id = i + 1 };
		cr_assert_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	unsigned long invals = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		invals += w[i].invals;
	}
	struct mh_cache_stats s;
	mh_cache_stats(c, &s);
	cr_assert_leq(s.bytes, 256 * KB);
	cr_assert_eq(s.invalidations, invals);
	/* Whatever is left is consistent: "home" reaches every page. */
	cr_assert_eq(mh_cache_invalidate(c, MH_STR("home")), s.pages);
	mh_cache_stats(c, &s);
	cr_assert_eq(s.bytes, 0);
	mh_cache_free(c);
}

/* Each encoding is its own representation: its own strong ETag, so that a
 * 304 for one can never be answered to a client that gets another. */
Test(cache, each_encoding_has_its_own_etag)
{
	struct mh_cache *c = mh_cache_new(1 << 20);
	struct mh_buf b = MH_BUF_INIT;
	const struct mh_cache_page *p = mh_cache_put(c, MH_STR("/big"), 200, "text/html", html_body(&b, 1, 8 * KB),
						     MH_STR(""), mh_cache_generation(c));
	cr_assert_gt(p->body[MH_ENC_GZIP].len, 0, "an 8 KiB page compresses");
	cr_assert_gt(p->body[MH_ENC_BR].len, 0);
	struct mh_str id = p->etag[MH_ENC_IDENTITY], gz = p->etag[MH_ENC_GZIP], br = p->etag[MH_ENC_BR];
	cr_assert(mh_str_eq_c(id, etag_of(mh_buf_cstr(&b))));
	cr_assert_not(mh_str_eq(id, gz));
	cr_assert_not(mh_str_eq(id, br));
	cr_assert_not(mh_str_eq(gz, br));
	/* strong, quoted, and built on the identity hash */
	struct mh_str tags[] = { gz, br };
	for (size_t i = 0; i < 2; i++) {
		cr_assert(tags[i].ptr[0] == '"' && tags[i].ptr[tags[i].len - 1] == '"', "%.*s", (int)tags[i].len,
			  tags[i].ptr);
		cr_assert(memcmp(tags[i].ptr, id.ptr, id.len - 1) == 0);
	}
	/* If-None-Match against one variant's tag matches only that variant */
	cr_assert(mh_http_etag_matches(gz, gz));
	cr_assert_not(mh_http_etag_matches(gz, id));
	cr_assert_not(mh_http_etag_matches(gz, br));
	cr_assert_not(mh_http_etag_matches(id, gz));
	/* a small page has no compressed variants, and so no tags for them */
	const struct mh_cache_page *s = put(c, "/small", "tiny", "");
	cr_assert_eq(s->etag[MH_ENC_GZIP].len, 0);
	cr_assert_eq(s->etag[MH_ENC_BR].len, 0);
	cr_assert_eq(mh_cache_choose(s, true, true), MH_ENC_IDENTITY);
	mh_cache_page_release(s);
	mh_cache_page_release(p);
	mh_buf_free(&b);
	mh_cache_free(c);
}
