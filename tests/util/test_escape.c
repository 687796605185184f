/* Each escaper against the characters its context cares about, the empty
 * string, all-special input, and UTF-8 text that must pass through. */
#include "helpers.h"

Test(escape_html, plain_text_unchanged)
{
	cr_assert_str_eq(ESC(mh_escape_html, "Hello, world"), "Hello, world");
}

Test(escape_html, empty)
{
	cr_assert_str_eq(ESC(mh_escape_html, ""), "");
}

Test(escape_html, all_special)
{
	cr_assert_str_eq(ESC(mh_escape_html, "&<>\"'"), "&amp;&lt;&gt;&quot;&#39;");
}

Test(escape_html, script_tag)
{
	cr_assert_str_eq(ESC(mh_escape_html, "<script>alert('x')</script>"),
			 "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
}

Test(escape_html, utf8_passes_through)
{
	cr_assert_str_eq(ESC(mh_escape_html, "Zürich — 東京 & 🎉"), "Zürich — 東京 &amp; 🎉");
}

Test(escape_html, already_escaped_is_escaped_again)
{
	cr_assert_str_eq(ESC(mh_escape_html, "&amp;"), "&amp;amp;");
}

Test(escape_html, appends_to_existing)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, "x=");
	mh_escape_html(&b, MH_STR("<"));
	cr_assert_str_eq(mh_buf_cstr(&b), "x=&lt;");
	mh_buf_free(&b);
}

Test(escape_html, embedded_nul_kept_with_length)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_escape_html(&b, (struct mh_str){ "a\0<", 3 });
	cr_assert_eq(b.len, 6);
	cr_assert(memcmp(b.ptr, "a\0&lt;", 6) == 0);
	mh_buf_free(&b);
}

Test(escape_attr, quotes_both_kinds)
{
	cr_assert_str_eq(ESC(mh_escape_attr, "a\"b'c"), "a&quot;b&#39;c");
}

Test(escape_attr, breaking_out_attempt)
{
	cr_assert_str_eq(ESC(mh_escape_attr, "\" onmouseover=\"alert(1)"),
			 "&quot; onmouseover=&quot;alert(1)");
}

Test(escape_attr, empty_and_all_special)
{
	cr_assert_str_eq(ESC(mh_escape_attr, ""), "");
	cr_assert_str_eq(ESC(mh_escape_attr, "<>&'\""), "&lt;&gt;&amp;&#39;&quot;");
}

Test(escape_attr, utf8_passes_through)
{
	cr_assert_str_eq(ESC(mh_escape_attr, "naïve café"), "naïve café");
}

Test(escape_url, unreserved_unchanged)
{
	cr_assert_str_eq(ESC(mh_escape_url, "AZaz09-._~"), "AZaz09-._~");
}

Test(escape_url, reserved_encoded)
{
	cr_assert_str_eq(ESC(mh_escape_url, "a b/c?d=e&f#g+h%"), "a%20b%2Fc%3Fd%3De%26f%23g%2Bh%25");
}

Test(escape_url, empty)
{
	cr_assert_str_eq(ESC(mh_escape_url, ""), "");
}

Test(escape_url, utf8_is_percent_encoded_bytewise)
{
	cr_assert_str_eq(ESC(mh_escape_url, "é"), "%C3%A9");
}

Test(escape_url, control_and_high_bytes)
{
	cr_assert_str_eq(esc(mh_escape_url, "\0\n\xff", 3), "%00%0A%FF");
}

Test(escape_json, quotes_and_backslash)
{
	cr_assert_str_eq(ESC(mh_escape_json, "say \"hi\" \\o/"), "say \\\"hi\\\" \\\\o/");
}

Test(escape_json, control_chars_as_u00xx)
{
	cr_assert_str_eq(esc(mh_escape_json, "\n\t\r\x01\x1f\0", 6), "\\u000a\\u0009\\u000d\\u0001\\u001f\\u0000");
}

Test(escape_json, safe_inside_script)
{
	cr_assert_str_eq(ESC(mh_escape_json, "</script><!--&"), "\\u003c/script\\u003e\\u003c!--\\u0026");
}

Test(escape_json, line_and_paragraph_separators)
{
	cr_assert_str_eq(ESC(mh_escape_json, "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c"), "a\\u2028b\\u2029c");
}

Test(escape_json, utf8_passes_through)
{
	cr_assert_str_eq(ESC(mh_escape_json, "Zürich 東京 🎉"), "Zürich 東京 🎉");
}

Test(escape_json, invalid_utf8_replaced)
{
	cr_assert_str_eq(ESC(mh_escape_json, "a\xff" "b\xc3"), "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	/* overlong '/' and a UTF-16 surrogate are not valid UTF-8 either */
	cr_assert_str_eq(ESC(mh_escape_json, "\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	cr_assert_str_eq(ESC(mh_escape_json, "\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

Test(escape_json, empty_and_all_special)
{
	cr_assert_str_eq(ESC(mh_escape_json, ""), "");
	cr_assert_str_eq(ESC(mh_escape_json, "\"\\<>&"), "\\\"\\\\\\u003c\\u003e\\u0026");
}

Test(escape_xml, five_entities)
{
	cr_assert_str_eq(ESC(mh_escape_xml, "&<>\"'"), "&amp;&lt;&gt;&quot;&apos;");
}

Test(escape_xml, drops_forbidden_controls_keeps_whitespace)
{
	cr_assert_str_eq(esc(mh_escape_xml, "a\x01\x08\x0b\x0c\x1f\0b\tc\nd\re", 14), "ab\tc\nd\re");
}

Test(escape_xml, drops_fffe_ffff)
{
	cr_assert_str_eq(ESC(mh_escape_xml, "a\xef\xbf\xbe" "b\xef\xbf\xbf" "c"), "abc");
}

Test(escape_xml, utf8_passes_through)
{
	cr_assert_str_eq(ESC(mh_escape_xml, "Zürich 東京 🎉"), "Zürich 東京 🎉");
}

Test(escape_xml, invalid_utf8_replaced)
{
	cr_assert_str_eq(ESC(mh_escape_xml, "x\x80y"), "x\xef\xbf\xbdy");
}

Test(escape_xml, empty)
{
	cr_assert_str_eq(ESC(mh_escape_xml, ""), "");
}

Test(url_decode, percent_and_plus)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_str out;
	cr_assert(mh_url_decode(a, MH_STR("a%20b+c%2Fd"), true, &out));
	cr_assert_str_eq(out.ptr, "a b c/d");
	cr_assert(mh_url_decode(a, MH_STR("a+b"), false, &out));
	cr_assert_str_eq(out.ptr, "a+b");
	cr_assert(mh_url_decode(a, MH_STR("%c3%A9"), false, &out));
	cr_assert_str_eq(out.ptr, "é");
	cr_assert(mh_url_decode(a, MH_STR(""), false, &out));
	cr_assert_eq(out.len, 0);
	mh_arena_free(a);
}

Test(url_decode, nul_keeps_length)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_str out;
	cr_assert(mh_url_decode(a, MH_STR("a%00b"), false, &out));
	cr_assert_eq(out.len, 3);
	cr_assert(memcmp(out.ptr, "a\0b", 3) == 0);
	mh_arena_free(a);
}

Test(url_decode, malformed_rejected)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_str out;
	cr_assert_not(mh_url_decode(a, MH_STR("%"), false, &out));
	cr_assert_not(mh_url_decode(a, MH_STR("abc%2"), false, &out));
	cr_assert_not(mh_url_decode(a, MH_STR("%zz"), false, &out));
	cr_assert_not(mh_url_decode(a, MH_STR("%g0"), false, &out));
	mh_arena_free(a);
}

Test(url_decode, roundtrip_with_escape_url)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_buf b = MH_BUF_INIT;
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	mh_escape_url(&b, (struct mh_str){ all, 256 });
	struct mh_str out;
	cr_assert(mh_url_decode(a, mh_buf_str(&b), true, &out));
	cr_assert_eq(out.len, 256);
	cr_assert(memcmp(out.ptr, all, 256) == 0);
	mh_buf_free(&b);
	mh_arena_free(a);
}
