/* audience/comments.c and comment_text.c: the safe subset rendered (each
 * rule, and what is shown as text), the checks before storing, the signed
 * form token and the address hash. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "audience/audience.h"

static char *render(const char *in, int *links)
{
	static char out[8192];
	struct mh_buf b = MH_BUF_INIT;
	int l = mh_comment_text_render(&b, mh_str_c(in));
	if (links != NULL)
		*links = l;
	cr_assert_lt(b.len, sizeof out);
	memcpy(out, b.ptr != NULL ? b.ptr : "", b.len);
	out[b.len] = '\0';
	mh_buf_free(&b);
	return out;
}

Test(comment_text, paragraphs_quotes_emphasis_and_links)
{
	cr_assert_str_eq(render("one\ntwo\n\nthree", NULL), "<p>one<br>\ntwo</p>\n<p>three</p>\n");
	cr_assert_str_eq(render("> said\nreply", NULL), "<blockquote>\n<p>said</p>\n</blockquote>\n<p>reply</p>\n");
	cr_assert_str_eq(render("*a* **b** _c_ __d__", NULL),
			 "<p><em>a</em> <strong>b</strong> <em>c</em> <strong>d</strong></p>\n");
	int links = 0;
	cr_assert_str_eq(render("see [the page](https://example.org/a?b=1&c=2).", &links),
			 "<p>see <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">the "
			 "page</a>.</p>\n");
	cr_assert_eq(links, 1);
	cr_assert_str_eq(render("at http://example.com/x, then", &links),
			 "<p>at <a href=\"http://example.com/x\" rel=\"nofollow ugc noopener\">http://example.com/x</a>,"
			 " then</p>\n");
	cr_assert_eq(links, 1);
}

Test(comment_text, everything_else_is_shown_as_text)
{
	int links = 0;
	cr_assert_str_eq(render("<script>alert(1)</script>", NULL),
			 "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
	cr_assert_str_eq(render("[x](javascript:alert(1)) <a href=\"x\" onclick=y>", &links),
			 "<p>[x](javascript:alert(1)) &lt;a href=&quot;x&quot; onclick=y&gt;</p>\n");
	cr_assert_eq(links, 0, "only http(s) becomes a link");
	cr_assert_str_eq(render("# not a heading\n- not a list &amp;", NULL),
			 "<p># not a heading<br>\n- not a list &amp;amp;</p>\n");
	cr_assert_str_eq(render("**unclosed and * lone", NULL), "<p>**unclosed and * lone</p>\n");
	cr_assert_str_eq(render("snake_case_name", NULL), "<p>snake_case_name</p>\n");
	cr_assert_str_eq(render("[a **b**](https://x.org)", NULL),
			 "<p><a href=\"https://x.org\" rel=\"nofollow ugc noopener\">a **b**</a></p>\n");
	cr_assert_str_eq(render("", NULL), "");
}

Test(comment_text, problems_name_what_to_fix)
{
	struct mh_comments_settings set = { .max_length = 10, .max_links = 1 };
	struct mh_arena *a = mh_arena_new();
	cr_assert_null(mh_comment_text_problem(a, mh_str_c("short"), &set));
	cr_assert_null(mh_comment_text_problem(a, mh_str_c("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
							    "\xc3\xa9\xc3\xa9\xc3\xa9"), &set),
		       "ten characters in twenty bytes");
	cr_assert(strstr(mh_comment_text_problem(a, mh_str_c("eleven char"), &set), "too long") != NULL);
	cr_assert(strstr(mh_comment_text_problem(a, mh_str_c("  \n "), &set), "empty") != NULL);
	cr_assert(strstr(mh_comment_text_problem(a, mh_str_c("a\xff"), &set), "UTF-8") != NULL);
	set.max_length = 1000;
	cr_assert(strstr(mh_comment_text_problem(a, mh_str_c("http://a.org http://b.org"), &set), "2 links") != NULL);
	mh_arena_free(a);
}

Test(comment_token, signed_timed_and_bound_to_the_article)
{
	unsigned char key[MH_COMMENTS_KEY_BYTES], other[MH_COMMENTS_KEY_BYTES];
	memset(key, 7, sizeof key);
	memset(other, 8, sizeof other);
	struct mh_buf t = MH_BUF_INIT;
	mh_comments_token_make(&t, key, 42, 1000);
	int64_t age = -1;
	cr_assert_eq(mh_comments_token_check(key, 42, mh_buf_str(&t), 1010, 3, &age), MH_TOKEN_OK);
	cr_assert_eq(age, 10);
	cr_assert_eq(mh_comments_token_check(key, 42, mh_buf_str(&t), 1001, 3, &age), MH_TOKEN_TOO_FAST);
	cr_assert_eq(mh_comments_token_check(key, 43, mh_buf_str(&t), 1010, 3, &age), MH_TOKEN_BAD, "another article");
	cr_assert_eq(mh_comments_token_check(other, 42, mh_buf_str(&t), 1010, 3, &age), MH_TOKEN_BAD, "another key");
	cr_assert_eq(mh_comments_token_check(key, 42, mh_buf_str(&t), 900, 3, &age), MH_TOKEN_BAD, "from the future");
	t.ptr[0] = '2'; /* an earlier time, same MAC */
	cr_assert_eq(mh_comments_token_check(key, 42, mh_buf_str(&t), 3000, 3, &age), MH_TOKEN_BAD);
	cr_assert_eq(mh_comments_token_check(key, 42, MH_STR(""), 3000, 3, &age), MH_TOKEN_BAD);
	cr_assert_eq(mh_comments_token_check(key, 42, MH_STR("12.zz"), 3000, 3, &age), MH_TOKEN_BAD);
	mh_buf_free(&t);
}

Test(comment_hash, keyed_and_never_the_address)
{
	unsigned char key[MH_COMMENTS_KEY_BYTES], other[MH_COMMENTS_KEY_BYTES];
	memset(key, 1, sizeof key);
	memset(other, 2, sizeof other);
	struct mh_buf a = MH_BUF_INIT, b = MH_BUF_INIT;
	mh_comments_address_hash(&a, key, (struct mh_str){ "\x7f\x00\x00\x01", 4 });
	mh_comments_address_hash(&b, other, (struct mh_str){ "\x7f\x00\x00\x01", 4 });
	cr_assert_eq(a.len, 32);
	cr_assert_str_neq(mh_buf_cstr(&a), mh_buf_cstr(&b), "another site's key, another hash");
	mh_comments_address_hash(&b, key, (struct mh_str){ "\x7f\x00\x00\x01", 4 });
	cr_assert_str_eq(mh_buf_cstr(&a), mh_buf_cstr(&b), "stable under one key (bans hold)");
	mh_buf_free(&a);
	mh_buf_free(&b);
}
