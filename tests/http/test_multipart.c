/* multipart/form-data: boundaries, parts, and every malformed body refused
 * with a message. Bodies are written out byte for byte as browsers send them. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/http.h"

static struct mh_arena *A;
static void setup(void)
{
	A = mh_arena_new();
}
static void teardown(void)
{
	mh_arena_free(A);
}
TestSuite(multipart, .init = setup, .fini = teardown);

static bool boundary_of(const char *ct, struct mh_str *b)
{
	return mh_http_multipart_boundary(A, mh_str_c(ct), b);
}

Test(multipart, boundary)
{
	struct mh_str b;
	cr_assert(boundary_of("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", &b));
	cr_assert(mh_str_eq_c(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW"));
	cr_assert(boundary_of("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"", &b));
	cr_assert(mh_str_eq_c(b, "a b:c"));
	cr_assert_not(boundary_of("multipart/mixed; boundary=x", &b));
	cr_assert_not(boundary_of("application/x-www-form-urlencoded", &b));
	cr_assert_not(boundary_of("multipart/form-data", &b));
	cr_assert_not(boundary_of("multipart/form-data; boundary=", &b));
	cr_assert_not(boundary_of("multipart/form-data; boundary=\"unclosed", &b));
	cr_assert_not(boundary_of("multipart/form-data; boundary=\"trailing \"", &b));
	cr_assert_not(boundary_of("multipart/form-data; boundary=\"bad\x01char\"", &b));
	char long_b[128] = "multipart/form-data; boundary=";
	memset(long_b + strlen(long_b), 'x', 71);
	cr_assert_not(boundary_of(long_b, &b));
}

static bool parse(const char *body, size_t len, struct mh_http_part **p, size_t *n, const char **err)
{
	return mh_http_parse_multipart(A, MH_STR("XyZ"), (struct mh_str){ body, len }, 16, p, n, err);
}
#define PARSE(lit, p, n, err) parse((lit), sizeof(lit) - 1, (p), (n), (err))

Test(multipart, fields_and_a_file)
{
	static const char body[] = "--XyZ\r\n"
				   "Content-Disposition: form-data; name=\"headline\"\r\n"
				   "\r\n"
				   "Ferry timetable\r\n"
				   "--XyZ\r\n"
				   "Content-Disposition: form-data; name=\"image\"; filename=\"ferry.jpg\"\r\n"
				   "Content-Type: image/jpeg\r\n"
				   "\r\n"
				   "\xff\xd8\xff\r\n--X not the boundary\r\n\0\x01"
				   "\r\n"
				   "--XyZ\r\n"
				   "content-disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
				   "\r\n"
				   "\r\n"
				   "--XyZ--\r\n";
	struct mh_http_part *p;
	size_t n;
	const char *err;
	cr_assert(PARSE(body, &p, &n, &err), "%s", err);
	cr_assert_eq(n, 3);
	cr_assert(mh_str_eq_c(p[0].name, "headline"));
	cr_assert(mh_str_eq_c(p[0].data, "Ferry timetable"));
	cr_assert_not(p[0].has_filename);
	cr_assert(mh_str_eq_c(p[0].content_type, "text/plain"));
	cr_assert(mh_str_eq_c(p[1].name, "image"));
	cr_assert(mh_str_eq_c(p[1].filename, "ferry.jpg"));
	cr_assert(mh_str_eq_c(p[1].content_type, "image/jpeg"));
	static const char data[] = "\xff\xd8\xff\r\n--X not the boundary\r\n\0\x01";
	cr_assert_eq(p[1].data.len, sizeof data - 1);
	cr_assert(memcmp(p[1].data.ptr, data, sizeof data - 1) == 0);
	cr_assert(p[2].has_filename);
	cr_assert_eq(p[2].filename.len, 0);
	cr_assert_eq(p[2].data.len, 0);
}

Test(multipart, preamble_epilogue_escapes_and_padding)
{
	static const char body[] = "This is a preamble.\r\n--XyZ  \r\n"
				   "Content-Disposition: form-data; name=\"a\\\"b\"; filename*=UTF-8''x.txt\r\n"
				   "\r\n"
				   "1\r\n"
				   "--XyZ--\r\nepilogue";
	struct mh_http_part *p;
	size_t n;
	const char *err;
	cr_assert(PARSE(body, &p, &n, &err), "%s", err);
	cr_assert_eq(n, 1);
	cr_assert(mh_str_eq_c(p[0].name, "a\"b"));
	cr_assert_not(p[0].has_filename); /* filename* is ignored (RFC 7578 4.2) */
	cr_assert(mh_str_eq_c(p[0].data, "1"));
}

Test(multipart, an_empty_form)
{
	struct mh_http_part *p;
	size_t n = 9;
	const char *err;
	cr_assert(PARSE("--XyZ--\r\n", &p, &n, &err), "%s", err);
	cr_assert_eq(n, 0);
}

Test(multipart, malformed_bodies_are_refused_with_a_reason)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
		{ "", "no part" },
		{ "no boundary at all", "no part" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ncut off", "closing boundary" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n", "inside a part's headers" },
		{ "--XyZ\r\n\r\nno headers\r\n--XyZ--", "no field name" },
		{ "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", "no field name" },
		{ "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--", "not form-data" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--", "malformed Content-Disposition" },
		{ "--XyZ\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--XyZ--", "malformed Content-Disposition" },
		{ "--XyZ\r\nno colon here\r\n\r\nx\r\n--XyZ--", "malformed header" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--XyZ--",
		  "two Content-Disposition" },
		{ "--XyZjunk\r\n", "malformed boundary" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mh_http_part *p;
		size_t n;
		const char *err = NULL;
		cr_assert_not(parse(cases[i].body, strlen(cases[i].body), &p, &n, &err), "case %zu accepted", i);
		cr_assert_not_null(err);
		cr_assert(strstr(err, cases[i].why) != NULL, "case %zu: %s", i, err);
	}
}

Test(multipart, limits)
{
	struct mh_buf b = MH_BUF_INIT;
	for (int i = 0; i < 17; i++)
		mh_buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
	mh_buf_append_c(&b, "--XyZ--\r\n");
	struct mh_http_part *p;
	size_t n;
	const char *err;
	cr_assert_not(parse(b.ptr, b.len, &p, &n, &err));
	cr_assert(strstr(err, "too many parts") != NULL, "%s", err);
	/* 16 are fine (and the array grows past its first 8) */
	mh_buf_reset(&b);
	for (int i = 0; i < 16; i++)
		mh_buf_printf(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv%d\r\n", i, i);
	mh_buf_append_c(&b, "--XyZ--\r\n");
	cr_assert(parse(b.ptr, b.len, &p, &n, &err), "%s", err);
	cr_assert_eq(n, 16);
	cr_assert(mh_str_eq_c(p[15].name, "f15"));
	cr_assert(mh_str_eq_c(p[15].data, "v15"));
	/* too many header lines in one part */
	mh_buf_reset(&b);
	mh_buf_append_c(&b, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n");
	for (int i = 0; i < 20; i++)
		mh_buf_append_c(&b, "X-Pad: 1\r\n");
	mh_buf_append_c(&b, "\r\nv\r\n--XyZ--\r\n");
	cr_assert_not(parse(b.ptr, b.len, &p, &n, &err));
	cr_assert(strstr(err, "too many or too long headers") != NULL, "%s", err);
	mh_buf_free(&b);
}
