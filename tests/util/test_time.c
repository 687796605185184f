/* Time: zone validation, parsing of every accepted form, rejection of bad
 * input, formatting in the display zone. Criterion runs each test in its own
 * process, so setting TZ here does not leak into other tests. */
#include "helpers.h"

static int64_t parse_ok(const char *s)
{
	int64_t t = 0;
	cr_assert(mh_time_parse(mh_str_c(s), &t), "rejected \"%s\"", s);
	return t;
}

Test(time, zone_validation)
{
	cr_assert(mh_time_zone_exists("UTC"));
	cr_assert(mh_time_zone_exists("Europe/Berlin"));
	cr_assert(mh_time_zone_exists("America/New_York"));
	cr_assert_not(mh_time_zone_exists("Mars/Olympus"));
	cr_assert_not(mh_time_zone_exists(""));
	cr_assert_not(mh_time_zone_exists(NULL));
	cr_assert_not(mh_time_zone_exists("/etc/passwd"));
	cr_assert_not(mh_time_zone_exists("../../../etc/passwd"));
	cr_assert_not(mh_time_zone_exists("Europe/../Europe/Berlin"));
	cr_assert_not(mh_time_zone_exists("Europe"), "a directory is not a zone");
	cr_assert_not(mh_time_zone_exists("Europe/Berlin\n"));
}

Test(time, set_zone_rejects_unknown_and_keeps_old)
{
	cr_assert(mh_time_set_zone("Europe/Berlin"));
	cr_assert_not(mh_time_set_zone("Nowhere/Special"));
	cr_assert_str_eq(getenv("TZ"), "Europe/Berlin");
}

Test(time, rfc3339_utc_forms)
{
	cr_assert_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(parse_ok("2026-11-29T06:21:00Z"), 1795933260);
	cr_assert_eq(parse_ok("2026-11-29t06:21:00z"), 1795933260);
	cr_assert_eq(parse_ok("2026-11-29T07:21:00+01:00"), 1795933260);
	cr_assert_eq(parse_ok("2026-11-29T01:21:00-05:00"), 1795933260);
	cr_assert_eq(parse_ok("2026-11-29T06:21:00.123456Z"), 1795933260);
	cr_assert_eq(parse_ok("2026-11-29 06:21Z"), 1795933260);
}

Test(time, local_forms_use_display_zone)
{
	cr_assert(mh_time_set_zone("UTC"));
	cr_assert_eq(parse_ok("2026-11-29"), 1795910400);
	cr_assert_eq(parse_ok("2026-11-29 06:21"), 1795933260);
	cr_assert_eq(parse_ok("2026-11-29 06:21:00"), 1795933260);
	cr_assert_eq(parse_ok("2026-11-29T06:21"), 1795933260);
	cr_assert(mh_time_set_zone("Europe/Berlin")); /* UTC+1 in November */
	cr_assert_eq(parse_ok("2026-11-29 07:21"), 1795933260);
	cr_assert_eq(parse_ok("2026-07-01 02:00"), parse_ok("2026-07-01T00:00:00Z"), "summer time is UTC+2");
}

Test(time, leap_days)
{
	cr_assert_eq(parse_ok("2024-02-29T00:00:00Z"), 1709164800);
	parse_ok("2000-02-29");
	int64_t t;
	cr_assert_not(mh_time_parse(MH_STR("2023-02-29"), &t));
	cr_assert_not(mh_time_parse(MH_STR("1900-02-29"), &t));
}

Test(time, rejects_malformed)
{
	const char *bad[] = {
		"",
		"2026",
		"2026-11",
		"2026-1-29",
		"26-11-29",
		"2026/11/29",
		"2026-13-01",
		"2026-00-10",
		"2026-11-00",
		"2026-11-31",
		"2026-04-31",
		"0000-01-01",
		"2026-11-29T",
		"2026-11-29T24:00",
		"2026-11-29T23:60",
		"2026-11-29T23:59:60Z",
		"2026-11-29T6:21",
		"2026-11-29T06:21:0",
		"2026-11-29T06:21:00+0100",
		"2026-11-29T06:21:00+24:00",
		"2026-11-29T06:21:00+01:60",
		"2026-11-29T06:21:00.Z",
		"2026-11-29T06:21:00Zjunk",
		"2026-11-29 junk",
		"2026-11-29 ",
		" 2026-11-29",
		"2026-11-29x",
		"2026-11-29T06:21:00.1234567890Z",
		"２０２６-11-29",
		"0001-01-01T00:00:00+00:01",
		"9999-12-31T23:59:59-00:01",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t = 12345;
		cr_assert_not(mh_time_parse(mh_str_c(bad[i]), &t), "accepted \"%s\"", bad[i]);
		cr_assert_eq(t, 12345, "wrote output for \"%s\"", bad[i]);
	}
	int64_t t;
	cr_assert_not(mh_time_parse(MH_STR_NULL, &t));
	cr_assert_not(mh_time_parse((struct mh_str){ "2026-11-29T06:21:00Z", 12 }, &t));
}

Test(time, parse_uses_length_not_nul)
{
	int64_t t;
	cr_assert(mh_time_set_zone("UTC"));
	cr_assert(mh_time_parse((struct mh_str){ "2026-11-29 and more", 10 }, &t));
	cr_assert_eq(t, 1795910400);
}

Test(time, rfc3339_format)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_time_rfc3339(&b, 1795933260);
	cr_assert_str_eq(mh_buf_cstr(&b), "2026-11-29T06:21:00Z");
	mh_buf_reset(&b);
	mh_time_rfc3339(&b, 0);
	cr_assert_str_eq(mh_buf_cstr(&b), "1970-01-01T00:00:00Z");
	mh_buf_free(&b);
}

Test(time, format_in_display_zone)
{
	struct mh_buf b = MH_BUF_INIT;
	cr_assert(mh_time_set_zone("UTC"));
	mh_time_format(&b, 1795933260, "%Y-%m-%d %H:%M");
	cr_assert_str_eq(mh_buf_cstr(&b), "2026-11-29 06:21");
	mh_buf_reset(&b);
	cr_assert(mh_time_set_zone("Asia/Tokyo"));
	mh_time_format(&b, 1795933260, "%H:%M %Z");
	cr_assert_str_eq(mh_buf_cstr(&b), "15:21 JST");
	mh_buf_reset(&b);
	mh_time_format(&b, 1795933260, "");
	cr_assert_eq(b.len, 0);
	mh_buf_free(&b);
}

Test(time, format_long_output)
{
	struct mh_buf b = MH_BUF_INIT;
	char fmt[601];
	for (int i = 0; i < 300; i++)
		fmt[2 * i] = '%', fmt[2 * i + 1] = 'Y';
	fmt[600] = '\0';
	mh_time_format(&b, 0, fmt);
	cr_assert_eq(b.len, 1200);
	mh_buf_free(&b);
}

Test(time, range_limits)
{
	cr_assert_eq(parse_ok("0001-01-01T00:00:00Z"), -62135596800LL);
	cr_assert_eq(parse_ok("9999-12-31T23:59:59Z"), 253402300799LL);
	cr_assert_eq(parse_ok("0001-01-01T00:00:00-00:01"), -62135596800LL + 60);
}

Test(time, roundtrip_rfc3339)
{
	int64_t stamps[] = { 0, 1, 951782400, 1795933260, 253402300799 };
	for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
		struct mh_buf b = MH_BUF_INIT;
		mh_time_rfc3339(&b, stamps[i]);
		int64_t t;
		cr_assert(mh_time_parse(mh_buf_str(&b), &t));
		cr_assert_eq(t, stamps[i]);
		mh_buf_free(&b);
	}
}

Test(time, clocks_move)
{
	int64_t now = mh_time_now();
	cr_assert_gt(now, 1700000000);
	int64_t a = mh_time_now_us(), b = mh_time_now_us();
	cr_assert_geq(b, a);
}
