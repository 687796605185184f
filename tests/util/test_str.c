/* Strings, buffers, number formatting and the rng. */
#include <signal.h>

#include "helpers.h"

Test(str, from_c_and_null)
{
	struct mh_str s = mh_str_c("abc");
	cr_assert_eq(s.len, 3);
	struct mh_str n = mh_str_c(NULL);
	cr_assert_eq(n.len, 0);
	cr_assert_not_null(n.ptr);
}

Test(str, equality)
{
	cr_assert(mh_str_eq(MH_STR("abc"), mh_str_c("abc")));
	cr_assert_not(mh_str_eq(MH_STR("abc"), MH_STR("abd")));
	cr_assert_not(mh_str_eq(MH_STR("abc"), MH_STR("ab")));
	cr_assert(mh_str_eq(MH_STR_NULL, MH_STR("")));
	cr_assert(mh_str_eq_c((struct mh_str){ "hello", 4 }, "hell"));
	cr_assert_not(mh_str_eq_c((struct mh_str){ "hello", 4 }, "hello"));
}

Test(str, prefix)
{
	cr_assert(mh_str_has_prefix(MH_STR("/admin/x"), "/admin/"));
	cr_assert(mh_str_has_prefix(MH_STR("x"), ""));
	cr_assert_not(mh_str_has_prefix(MH_STR("/adm"), "/admin"));
}

Test(str, case_eq)
{
	cr_assert(mh_str_case_eq_c(MH_STR("Content-Type"), "content-type"));
	cr_assert_not(mh_str_case_eq_c(MH_STR("Content-Typ"), "content-type"));
	cr_assert_not(mh_str_case_eq_c(MH_STR("Ä"), "ä")); /* ASCII only */
}

Test(str, to_i64_valid)
{
	int64_t v;
	cr_assert(mh_str_to_i64(MH_STR("0"), &v));
	cr_assert_eq(v, 0);
	cr_assert(mh_str_to_i64(MH_STR("42"), &v));
	cr_assert_eq(v, 42);
	cr_assert(mh_str_to_i64(MH_STR("-17"), &v));
	cr_assert_eq(v, -17);
	cr_assert(mh_str_to_i64(MH_STR("9223372036854775807"), &v));
	cr_assert_eq(v, INT64_MAX);
	cr_assert(mh_str_to_i64(MH_STR("-9223372036854775808"), &v));
	cr_assert_eq(v, INT64_MIN);
}

Test(str, to_i64_invalid)
{
	int64_t v = 99;
	const char *bad[] = { "", "-", "+1", " 1", "1 ", "1a", "0x10", "9223372036854775808",
			      "-9223372036854775809", "99999999999999999999", "1.5" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_not(mh_str_to_i64(mh_str_c(bad[i]), &v), "accepted \"%s\"", bad[i]);
	cr_assert_eq(v, 99, "output written on failure");
	cr_assert_not(mh_str_to_i64((struct mh_str){ "12", 0 }, &v));
}

Test(buf, append_and_cstr)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "ab");
	mh_buf_append_ch(&b, 'c');
	mh_buf_append_str(&b, MH_STR("de"));
	mh_buf_append(&b, "fgh", 2);
	mh_buf_append_c(&b, NULL);
	cr_assert_eq(b.len, 7);
	cr_assert_str_eq(mh_buf_cstr(&b), "abcdefg");
	cr_assert_eq(b.len, 7, "cstr must not count the NUL");
	mh_buf_free(&b);
	cr_assert_null(b.ptr);
	cr_assert_eq(b.len, 0);
}

Test(buf, cstr_on_empty)
{
	struct mh_buf b = MH_BUF_INIT;
	cr_assert_str_eq(mh_buf_cstr(&b), "");
	mh_buf_free(&b);
	struct mh_buf e = MH_BUF_INIT;
	struct mh_str s = mh_buf_str(&e);
	cr_assert_eq(s.len, 0);
	cr_assert_not_null(s.ptr);
}

Test(buf, printf_long_output)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_printf(&b, "%d-", 7);
	mh_buf_printf(&b, "%0500d", 1);
	cr_assert_eq(b.len, 502);
	cr_assert_eq(b.ptr[0], '7');
	cr_assert_eq(b.ptr[501], '1');
	mh_buf_free(&b);
}

Test(buf, reset_keeps_capacity)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "hello world");
	size_t cap = b.cap;
	mh_buf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_eq(b.cap, cap);
	mh_buf_free(&b);
}

Test(buf, big_growth)
{
	struct mh_buf b = MH_BUF_INIT;
	for (int i = 0; i < 100000; i++)
		mh_buf_append_ch(&b, (char)('a' + i % 26));
	cr_assert_eq(b.len, 100000);
	cr_assert_eq(b.ptr[99999], 'a' + 99999 % 26);
	mh_buf_free(&b);
}

static const char *thousands(int64_t n)
{
	static struct mh_buf b;
	mh_buf_reset(&b);
	mh_format_thousands(&b, n);
	return mh_buf_cstr(&b);
}

Test(format, thousands)
{
	cr_assert_str_eq(thousands(0), "0");
	cr_assert_str_eq(thousands(999), "999");
	cr_assert_str_eq(thousands(1000), "1,000");
	cr_assert_str_eq(thousands(7118), "7,118");
	cr_assert_str_eq(thousands(1234567), "1,234,567");
	cr_assert_str_eq(thousands(-1234), "-1,234");
	cr_assert_str_eq(thousands(INT64_MIN), "-9,223,372,036,854,775,808");
}

Test(assert, aborts_on_false, .signal = SIGABRT)
{
	int one = 1;
	MH_ASSERT(one == 2);
}

Test(rng, deterministic_known_values)
{
	struct mh_rng a, b;
	mh_rng_seed(&a, 42);
	mh_rng_seed(&b, 42);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(mh_rng_next(&a), mh_rng_next(&b));
	/* Pin the sequence: demo content must not change between builds.
	 * splitmix64(0) is the published first output 0xE220A8397B1DCDAF. */
	struct mh_rng z;
	mh_rng_seed(&z, 0);
	cr_assert_eq(z.s[0], 0xE220A8397B1DCDAFull);
}

Test(rng, different_seeds_differ)
{
	struct mh_rng a, b;
	mh_rng_seed(&a, 1);
	mh_rng_seed(&b, 2);
	cr_assert_neq(mh_rng_next(&a), mh_rng_next(&b));
}

Test(rng, below_in_range_and_covers)
{
	struct mh_rng r;
	mh_rng_seed(&r, 7);
	int seen[10] = { 0 };
	for (int i = 0; i < 10000; i++) {
		uint32_t v = mh_rng_below(&r, 10);
		cr_assert_lt(v, 10);
		seen[v]++;
	}
	for (int i = 0; i < 10; i++)
		cr_assert_gt(seen[i], 800, "value %d seen %d times", i, seen[i]);
	cr_assert_eq(mh_rng_below(&r, 1), 0);
}

Test(rng, below_zero_aborts, .signal = SIGABRT)
{
	struct mh_rng r;
	mh_rng_seed(&r, 7);
	mh_rng_below(&r, 0);
}
