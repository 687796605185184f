/*
 * Unit tests for issue 11's WordPress body converter (porting/wphtml.c) and
 * issue 9's redirect table (content/redirects.c): pure pieces, no store.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "content/content.h"
#include "porting/porting.h"

/* The notes cv gathers live in the arena of the test (tests_arena). */
static struct mh_arena *tests_arena;

static char *convert(const char *html, struct mh_wphtml *cv)
{
	static char out[65536];
	if (tests_arena == NULL)
		tests_arena = mh_arena_new();
	struct mh_arena *a = tests_arena;
	struct mh_wphtml none = { 0 };
	struct mh_buf md = MH_BUF_INIT;
	mh_wphtml_to_markdown(a, mh_str_c(html), cv != NULL ? cv : &none, &md);
	snprintf(out, sizeof(out), "%s", mh_buf_cstr(&md));
	mh_buf_free(&md);
	return out;
}

Test(wphtml, blocks_become_markdown)
{
	cr_assert_str_eq(convert("<!-- wp:paragraph --><p>A <strong>b</strong> <em>c</em></p><!-- /wp:paragraph -->"
				 "<h3>Head</h3><ul><li>x</li><li>y</li></ul><ol><li>one</li></ol>"
				 "<blockquote><p>q</p></blockquote><hr><pre>a `b`\n  c</pre>",
				 NULL),
			 "A **b** *c*\n\n### Head\n\n- x\n- y\n\n1. one\n\n> q\n\n* * *\n\n```\na `b`\n  c\n```\n");
}

Test(wphtml, classic_paragraphs_and_breaks)
{
	cr_assert_str_eq(convert("One\nline.\n\nTwo<br>three.", NULL), "One line.\n\nTwo\\\nthree.\n");
}

Test(wphtml, text_stays_text)
{
	cr_assert_str_eq(convert("<p># not *bold* [x](y) &lt;b&gt; 1990. a</p><p>1990. starts</p>", NULL),
			 "\\# not \\*bold\\* \\[x\\](y) \\<b\\> 1990. a\n\n1990\\. starts\n");
}

Test(wphtml, hostile_markup_gives_no_script)
{
	const char *md = convert("<script>alert(1)</script><p onclick=\"x()\" style=\"color:red\">ok</p>"
				 "<a href=\"javascript:alert(1)\">bad</a><img src=\"javascript:x\" alt=\"i\">"
				 "<iframe src=\"https://evil.example/\"></iframe><style>p{}</style>",
				 NULL);
	cr_assert_str_eq(md, "ok\n\nbad\n");
	struct mh_buf html = MH_BUF_INIT;
	mh_content_markdown(mh_str_c(md), &html, NULL, 2);
	cr_assert_null(strstr(mh_buf_cstr(&html), "script"));
	cr_assert_null(strstr(mh_buf_cstr(&html), "javascript"));
	mh_buf_free(&html);
}

static const char *image(void *arg, struct mh_arena *a, const char *url)
{
	(void)arg;
	return strstr(url, "old.example") != NULL ? mh_arena_strdup(a, "/media/abc.png") : NULL;
}

static const char *attachment(void *arg, struct mh_arena *a, int64_t id)
{
	(void)arg;
	return id == 7 ? mh_arena_strdup(a, "/media/seven.png") : NULL;
}

Test(wphtml, shortcodes_and_images)
{
	struct mh_wphtml cv = { .image = image, .attachment = attachment };
	const char *md = convert("[caption id=\"1\"]<img src=\"https://old.example/a.png\" alt=\"A\"> The cap[/caption]"
				 "[gallery ids=\"7,8\"][embed]https://youtu.be/aqz-KE-bpKQ[/embed]"
				 "<iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\"></iframe>[other x=1]",
				 &cv);
	cr_assert_str_eq(md, "![A](/media/abc.png)\n\n*The cap*\n\n![](/media/seven.png)\n\nhttps://youtu.be/aqz-KE-bpKQ\n\n"
			     "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n\\[other x=1\\]\n");
	bool gallery = false, other = false;
	for (size_t i = 0; i < cv.n_notes; i++) {
		gallery |= strstr(cv.notes[i], "[gallery] image 8") != NULL;
		other |= strcmp(cv.notes[i], "unknown shortcode [other] kept as text") == 0;
	}
	cr_assert(gallery && other);
	mh_arena_free(tests_arena);
	tests_arena = NULL;
}

Test(redirects, exact_prefix_query_and_slash)
{
	struct mh_redirect rules[] = {
		{ "/old", "/new", 301, false, 0 },	  { "/blog/", "/section/", 301, true, 0 },
		{ "/blog/2019/", "/y/", 302, true, 0 }, { "/?p=5", "/articles/five", 301, false, 0 },
		{ "/wp/", "/w", 301, false, 0 },
	};
	struct mh_redirects *t = mh_redirects_build(rules, 5);
	cr_assert_eq(mh_redirects_count(t), 5);
	struct mh_buf loc = MH_BUF_INIT;
	int st = 0;
	cr_assert(mh_redirects_find(t, MH_STR("/old"), MH_STR(""), &loc, &st));
	cr_assert_str_eq(mh_buf_cstr(&loc), "/new");
	cr_assert(mh_redirects_find(t, MH_STR("/old/"), MH_STR(""), &loc, &st));
	cr_assert(mh_redirects_find(t, MH_STR("/wp"), MH_STR(""), &loc, &st));
	cr_assert(mh_redirects_find(t, MH_STR("//old"), MH_STR(""), &loc, &st));
	cr_assert(mh_redirects_find(t, MH_STR("/blog/2019/x"), MH_STR(""), &loc, &st));
	cr_assert_str_eq(mh_buf_cstr(&loc), "/y/x");
	cr_assert_eq(st, 302);
	cr_assert(mh_redirects_find(t, MH_STR("/blog/a"), MH_STR(""), &loc, &st));
	cr_assert_str_eq(mh_buf_cstr(&loc), "/section/a");
	cr_assert(mh_redirects_find(t, MH_STR("/"), MH_STR("p=5"), &loc, &st));
	cr_assert_str_eq(mh_buf_cstr(&loc), "/articles/five");
	cr_assert_not(mh_redirects_find(t, MH_STR("/"), MH_STR("p=6"), &loc, &st));
	cr_assert_not(mh_redirects_find(t, MH_STR("/blog"), MH_STR(""), &loc, &st));
	cr_assert_not(mh_redirects_find(t, MH_STR("/olden"), MH_STR(""), &loc, &st));
	mh_buf_free(&loc);
	mh_redirects_release(t);
}

Test(redirects, problems_name_the_field)
{
	const char *f;
	struct mh_redirect r = { "/a", "/a", 301, false, 0 };
	cr_assert_not_null(mh_store_redirect_problem(&r, &f));
	cr_assert_str_eq(f, "TO");
	r = (struct mh_redirect){ "a", "/b", 301, false, 0 };
	cr_assert_not_null(mh_store_redirect_problem(&r, &f));
	cr_assert_str_eq(f, "FROM");
	r = (struct mh_redirect){ "/a", "javascript:alert(1)", 301, false, 0 };
	cr_assert_not_null(mh_store_redirect_problem(&r, &f));
	r = (struct mh_redirect){ "/a", "/b", 307, false, 0 };
	cr_assert_not_null(mh_store_redirect_problem(&r, &f));
	cr_assert_str_eq(f, "--status");
	r = (struct mh_redirect){ "/a", "https://example.org/b", 302, false, 0 };
	cr_assert_null(mh_store_redirect_problem(&r, &f));
}
