/* tests/http/test_parse.c: the engine's pure parsers of request text. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/http.h"

struct pairs {
	struct mh_buf out; /* "name=value|" for each pair seen */
	int stop_after;    /* 0: never stop */
	int seen;
};

static bool collect(struct mh_str name, struct mh_str value, void *arg)
{
	struct pairs *p = arg;
	mh_buf_append_str(&p->out, name);
	mh_buf_append_ch(&p->out, '=');
	mh_buf_append_str(&p->out, value);
	mh_buf_append_ch(&p->out, '|');
	p->seen++;
	return p->stop_after == 0 || p->seen < p->stop_after;
}

static bool urlenc(const char *in, struct pairs *p)
{
	struct mh_arena *a = mh_arena_new();
	bool ok = mh_http_parse_urlencoded(a, mh_str_c(in), collect, p);
	mh_buf_cstr(&p->out);
	mh_arena_free(a); /* the strings were copied into p->out */
	return ok;
}

static bool cookies(const char *in, struct pairs *p)
{
	struct mh_arena *a = mh_arena_new();
	bool ok = mh_http_parse_cookies(a, mh_str_c(in), collect, p);
	mh_buf_cstr(&p->out);
	mh_arena_free(a);
	return ok;
}

Test(urlencoded, pairs_are_decoded)
{
	struct pairs p = { MH_BUF_INIT, 0, 0 };
	cr_assert(urlenc("a=1&b=hello+world&c=%C3%A9t%c3%a9&d%20x=%2B", &p));
	cr_assert_str_eq(p.out.ptr, "a=1|b=hello world|c=\xc3\xa9t\xc3\xa9|d x=+|");
	mh_buf_free(&p.out);
}

Test(urlencoded, missing_value_empty_items_and_empty_input)
{
	struct pairs p = { MH_BUF_INIT, 0, 0 };
	cr_assert(urlenc("flag&&x=&=v&y=1=2", &p));
	cr_assert_str_eq(p.out.ptr, "flag=|x=|=v|y=1=2|");
	mh_buf_free(&p.out);

	struct pairs q = { MH_BUF_INIT, 0, 0 };
	cr_assert(urlenc("", &q));
	cr_assert_eq(q.seen, 0);
	mh_buf_free(&q.out);
}

Test(urlencoded, malformed_escape_is_reported_and_skipped)
{
	struct pairs p = { MH_BUF_INIT, 0, 0 };
	cr_assert_not(urlenc("a=%zz&b=2&c=%4", &p));
	cr_assert_str_eq(p.out.ptr, "b=2|");
	mh_buf_free(&p.out);
}

Test(urlencoded, callback_can_stop)
{
	struct pairs p = { MH_BUF_INIT, 2, 0 };
	cr_assert(urlenc("a=1&b=2&c=3", &p));
	cr_assert_eq(p.seen, 2);
	cr_assert_str_eq(p.out.ptr, "a=1|b=2|");
	mh_buf_free(&p.out);
}

Test(urlencoded, null_input_is_empty)
{
	struct mh_arena *a = mh_arena_new();
	struct pairs p = { MH_BUF_INIT, 0, 0 };
	cr_assert(mh_http_parse_urlencoded(a, MH_STR_NULL, collect, &p));
	cr_assert_eq(p.seen, 0);
	mh_arena_free(a);
	mh_buf_free(&p.out);
}

Test(cookies, pairs_spacing_and_quotes)
{
	struct pairs p = { MH_BUF_INIT, 0, 0 };
	cr_assert(cookies("a=1; b=two;c=\"quoted\" ;  d = spaced ; e=", &p));
	cr_assert_str_eq(p.out.ptr, "a=1|b=two|c=quoted|d=spaced|e=|");
	mh_buf_free(&p.out);
}

Test(cookies, values_are_not_decoded)
{
	struct pairs p = { MH_BUF_INIT, 0, 0 };
	cr_assert(cookies("sid=a%20b+c; x==y", &p));
	cr_assert_str_eq(p.out.ptr, "sid=a%20b+c|x==y|");
	mh_buf_free(&p.out);
}

Test(cookies, malformed_pairs_are_skipped_and_reported)
{
	struct pairs p = { MH_BUF_INIT, 0, 0 };
	cr_assert_not(cookies("junk; =nameless; ok=1;;", &p));
	cr_assert_str_eq(p.out.ptr, "ok=1|");
	mh_buf_free(&p.out);
}

Test(cookies, callback_can_stop)
{
	struct pairs p = { MH_BUF_INIT, 1, 0 };
	cr_assert(cookies("a=1; b=2", &p));
	cr_assert_str_eq(p.out.ptr, "a=1|");
	mh_buf_free(&p.out);
}

static bool accepts(const char *ae, const char *coding)
{
	return mh_http_accepts_encoding(mh_str_c(ae), coding);
}

Test(accept_encoding, plain_lists)
{
	cr_assert(accepts("gzip", "gzip"));
	cr_assert(accepts("br, gzip", "gzip"));
	cr_assert(accepts("br, gzip", "br"));
	cr_assert(accepts("deflate,gzip,br", "br"));
	cr_assert_not(accepts("br", "gzip"));
	cr_assert_not(accepts("", "gzip"));
	cr_assert_not(mh_http_accepts_encoding(MH_STR_NULL, "gzip"));
	cr_assert_not(accepts("gzipx, xgzip", "gzip"));
}

Test(accept_encoding, case_and_spacing)
{
	cr_assert(accepts("  GZip ; Q=0.5 ,br", "gzip"));
	cr_assert(accepts("BR", "br"));
	cr_assert(accepts("deflate,\tgzip\t", "gzip"));
}

Test(accept_encoding, qvalues)
{
	cr_assert_not(accepts("gzip;q=0", "gzip"));
	cr_assert_not(accepts("gzip;q=0.000", "gzip"));
	cr_assert_not(accepts("gzip; q=0.0, br", "gzip"));
	cr_assert(accepts("gzip;q=0.001", "gzip"));
	cr_assert(accepts("gzip;q=1", "gzip"));
	cr_assert(accepts("gzip;q=1.000", "gzip"));
	cr_assert(accepts("gzip;level=9;q=0.3", "gzip"));
	/* malformed q: the element is ignored */
	cr_assert_not(accepts("gzip;q=abc", "gzip"));
	cr_assert_not(accepts("gzip;q=1.5", "gzip"));
	cr_assert_not(accepts("gzip;q", "gzip"));
}

Test(accept_encoding, star)
{
	cr_assert(accepts("*", "gzip"));
	cr_assert(accepts("*", "br"));
	cr_assert_not(accepts("*;q=0", "gzip"));
	cr_assert_not(accepts("*, gzip;q=0", "gzip"));
	cr_assert(accepts("*;q=0, gzip", "gzip"));
	cr_assert(accepts("br;q=0, *", "gzip"));
}

Test(accept_encoding, identity)
{
	cr_assert(accepts("gzip", "identity"));
	cr_assert(accepts("", "identity"));
	cr_assert_not(accepts("identity;q=0", "identity"));
	cr_assert_not(accepts("*;q=0", "identity"));
}

static bool etag_match(const char *inm, const char *etag)
{
	return mh_http_etag_matches(mh_str_c(inm), mh_str_c(etag));
}

Test(etag, single_and_lists)
{
	cr_assert(etag_match("\"abc\"", "\"abc\""));
	cr_assert_not(etag_match("\"abd\"", "\"abc\""));
	cr_assert(etag_match("\"x\", \"abc\"", "\"abc\""));
	cr_assert(etag_match("\"x\",\"y\" ,  \"abc\"  ", "\"abc\""));
	cr_assert_not(etag_match("\"x\", \"y\"", "\"abc\""));
	/* quoting matters: the tag is compared whole */
	cr_assert_not(etag_match("abc", "\"abc\""));
	cr_assert_not(etag_match("\"abc", "\"abc\""));
}

Test(etag, weak_comparison)
{
	cr_assert(etag_match("W/\"abc\"", "\"abc\""));
	cr_assert(etag_match("\"x\", W/\"abc\"", "\"abc\""));
	cr_assert(etag_match("\"abc\"", "W/\"abc\""));
	cr_assert_not(etag_match("w/\"abc\"", "\"abc\""));
}

Test(etag, star_and_commas_inside_tags)
{
	cr_assert(etag_match("*", "\"abc\""));
	cr_assert(etag_match("  * ", "\"abc\""));
	cr_assert(etag_match("\"a,b\"", "\"a,b\""));
	cr_assert_not(etag_match("\"a\", \"b\"", "\"a,b\""));
	cr_assert_not(etag_match("", "\"abc\""));
	cr_assert_not(mh_http_etag_matches(MH_STR_NULL, MH_STR("\"abc\"")));
	cr_assert_not(etag_match("*", ""));
}

Test(etag, garbage_does_not_match)
{
	cr_assert_not(etag_match(",,,", "\"abc\""));
	cr_assert_not(etag_match("W/", "\"abc\""));
	cr_assert_not(etag_match("W/W/\"abc\"", "\"abc\""));
	cr_assert(etag_match("junk, \"abc\"", "\"abc\""));
}

Test(reason, known_and_unknown)
{
	cr_assert_str_eq(mh_http_reason(200), "OK");
	cr_assert_str_eq(mh_http_reason(404), "Not Found");
	cr_assert_str_eq(mh_http_reason(431), "Request Header Fields Too Large");
	cr_assert_str_eq(mh_http_reason(499), "Client Error");
	cr_assert_str_eq(mh_http_reason(599), "Server Error");
}

/* ---- Range ---- */

static enum mh_http_range range(const char *h, uint64_t size, uint64_t *first, uint64_t *len)
{
	*first = *len = 12345;
	return mh_http_parse_range(mh_str_c(h), size, first, len);
}

Test(range, single_ranges)
{
	uint64_t f, n;
	cr_assert_eq(range("bytes=0-99", 1000, &f, &n), MH_RANGE_PART);
	cr_assert(f == 0 && n == 100);
	cr_assert_eq(range("bytes=100-", 1000, &f, &n), MH_RANGE_PART);
	cr_assert(f == 100 && n == 900);
	cr_assert_eq(range("bytes=-10", 1000, &f, &n), MH_RANGE_PART);
	cr_assert(f == 990 && n == 10);
	cr_assert_eq(range("bytes=-5000", 1000, &f, &n), MH_RANGE_PART, "a suffix longer than the file");
	cr_assert(f == 0 && n == 1000);
	cr_assert_eq(range("bytes=990-5000", 1000, &f, &n), MH_RANGE_PART, "end clamped");
	cr_assert(f == 990 && n == 10);
	cr_assert_eq(range("bytes=999-999", 1000, &f, &n), MH_RANGE_PART);
	cr_assert(f == 999 && n == 1);
	cr_assert_eq(range("Bytes=1-1", 1000, &f, &n), MH_RANGE_PART, "the unit is case-insensitive");
	cr_assert(f == 1 && n == 1);
	cr_assert_eq(range("bytes=0-18446744073709551615", 10, &f, &n), MH_RANGE_PART);
	cr_assert(f == 0 && n == 10);
}

Test(range, unsatisfiable)
{
	uint64_t f, n;
	cr_assert_eq(range("bytes=1000-", 1000, &f, &n), MH_RANGE_UNSATISFIABLE);
	cr_assert_eq(range("bytes=1000-2000", 1000, &f, &n), MH_RANGE_UNSATISFIABLE);
	cr_assert_eq(range("bytes=-0", 1000, &f, &n), MH_RANGE_UNSATISFIABLE);
	cr_assert_eq(range("bytes=0-", 0, &f, &n), MH_RANGE_UNSATISFIABLE, "an empty file has no bytes");
	cr_assert_eq(range("bytes=-5", 0, &f, &n), MH_RANGE_UNSATISFIABLE);
	cr_assert_eq(range("bytes=99999999999999999999999-", 1000, &f, &n), MH_RANGE_UNSATISFIABLE,
		     "a start too large for 64 bits is past the end");
}

Test(range, ignored_means_whole)
{
	uint64_t f, n;
	const char *ignored[] = { "",          "bytes",     "bytes=",  "bytes=-",    "bytes=abc", "bytes=5-2",
				  "bytes=1-2-3", "items=0-5", "bytes 0-5", "bytes=0-1,3-4", "bytes=,0-1", "bytes=+1-2",
				  "bytes=0x1-2", "bytes=1--2", "=0-5",      "bytes=-1-" };
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		cr_assert_eq(range(ignored[i], 1000, &f, &n), MH_RANGE_IGNORE, "\"%s\"", ignored[i]);
	cr_assert_eq(mh_http_parse_range(MH_STR_NULL, 1000, &f, &n), MH_RANGE_IGNORE);
}

/* ---- the raw head's framing fields ---- */

static void framing(const char *head, unsigned want_cl, unsigned want_te)
{
	unsigned cl = 99, te = 99;
	mh_http_head_framing(mh_str_c(head), &cl, &te);
	cr_assert(cl == want_cl && te == want_te, "%s: cl %u te %u", head, cl, te);
}

Test(head_framing, counts_fields_of_the_head_only)
{
	framing("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, 0);
	framing("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 1, 0);
	framing("POST / HTTP/1.1\r\ncontent-length: 5\r\nTRANSFER-ENCODING: chunked\r\n\r\n", 1, 1);
	framing("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 2, 0);
	framing("POST / HTTP/1.1\nContent-Length: 1\nTransfer-Encoding: chunked\n\n", 1, 1);
	/* the body and the next request are not the head */
	framing("POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\nContent-Length: 1\r\nTransfer-Encoding: x\r\n", 1, 0);
	/* names must match whole */
	framing("GET / HTTP/1.1\r\nX-Content-Length: 1\r\nContent-Length-X: 2\r\n\r\n", 0, 0);
	/* the request line is not a field */
	framing("Content-Length: 1\r\n\r\n", 0, 0);
	framing("", 0, 0);
}
