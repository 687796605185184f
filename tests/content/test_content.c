/* content: slugs, YouTube ids, embed markup and article validation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "content/content.h"

static char *slug(const char *text)
{
	static char out[256];
	struct mh_buf b = MH_BUF_INIT;
	mh_content_slugify(&b, mh_str_c(text));
	cr_assert_lt(b.len, sizeof(out));
	memcpy(out, b.ptr, b.len);
	out[b.len] = '\0';
	mh_buf_free(&b);
	return out;
}

Test(slugify, ascii)
{
	cr_assert_str_eq(slug("Hello, World!"), "hello-world");
	cr_assert_str_eq(slug("  --Budget 2031: the  vote--  "), "budget-2031-the-vote");
	cr_assert_str_eq(slug("Mayor's plan"), "mayors-plan");
	cr_assert_str_eq(slug("Mayor\xe2\x80\x99s plan"), "mayors-plan");
}

Test(slugify, transliterates_latin)
{
	cr_assert_str_eq(slug("Hello, W\xc3\xb6rld!"), "hello-world");
	cr_assert_str_eq(slug("Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e"), "cafe-creme-brulee");
	cr_assert_str_eq(slug("Stra\xc3\x9f" "e"), "strasse");
	cr_assert_str_eq(slug("\xc3\x98resund \xc3\x86gir"), "oresund-aegir");
	cr_assert_str_eq(slug("\xc5\x81\xc3\xb3" "d\xc5\xba \xc5\xbb\xc3\xb3\xc5\x82w"), "lodz-zolw");
	cr_assert_str_eq(slug("\xc5\x92uvre \xc4\xb2ssel"), "oeuvre-ijssel");
	cr_assert_str_eq(slug("\xc8\x98tiri \xc8\x9b"), "stiri-t");
	cr_assert_str_eq(slug("5 \xc3\x97 3 \xc3\xb7 2"), "5-3-2");
}

Test(slugify, never_empty)
{
	cr_assert_str_eq(slug(""), "article");
	cr_assert_str_eq(slug("!!! ???"), "article");
	cr_assert_str_eq(slug("\xce\xb1\xce\xb2\xce\xb3"), "article"); /* Greek: not transliterated */
	cr_assert_str_eq(slug("\xff\xfe bad"), "bad");                 /* malformed UTF-8 */
}

Test(slugify, cuts_at_80_on_a_word)
{
	char *s = slug("The regional assembly votes on the transport budget after a long night of "
		       "negotiations in the capital");
	cr_assert_leq(strlen(s), 80);
	cr_assert(mh_content_slug_valid(mh_str_c(s)), "%s", s);
	cr_assert_str_eq(s, "the-regional-assembly-votes-on-the-transport-budget-after-a-long-night-of");
	char longword[200];
	memset(longword, 'x', 150);
	longword[150] = '\0';
	s = slug(longword);
	cr_assert_eq(strlen(s), 80);
}

Test(slug_valid, rules)
{
	cr_assert(mh_content_slug_valid(MH_STR("a")));
	cr_assert(mh_content_slug_valid(MH_STR("budget-2031")));
	cr_assert_not(mh_content_slug_valid(MH_STR("")));
	cr_assert_not(mh_content_slug_valid(MH_STR("-a")));
	cr_assert_not(mh_content_slug_valid(MH_STR("a-")));
	cr_assert_not(mh_content_slug_valid(MH_STR("a--b")));
	cr_assert_not(mh_content_slug_valid(MH_STR("Ab")));
	cr_assert_not(mh_content_slug_valid(MH_STR("a b")));
	cr_assert_not(mh_content_slug_valid(MH_STR("a/b")));
	char s81[82];
	memset(s81, 'a', 81);
	s81[81] = '\0';
	cr_assert_not(mh_content_slug_valid(mh_str_c(s81)));
	cr_assert(mh_content_slug_valid((struct mh_str){ s81, 80 }));
}

static bool yt(const char *url, const char *want)
{
	char id[12] = "";
	bool ok = mh_content_youtube_id(mh_str_c(url), id);
	if (want == NULL)
		return !ok;
	return ok && strcmp(id, want) == 0;
}

Test(youtube, accepted_forms)
{
	cr_assert(yt("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"));
	cr_assert(yt("http://youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"));
	cr_assert(yt("https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=3", "dQw4w9WgXcQ"));
	cr_assert(yt("https://www.youtube.com/watch?feature=share&list=x&v=A_b-C_d-E_f#t=1", "A_b-C_d-E_f"));
	cr_assert(yt("https://youtu.be/dQw4w9WgXcQ", "dQw4w9WgXcQ"));
	cr_assert(yt("https://youtu.be/dQw4w9WgXcQ?si=abc", "dQw4w9WgXcQ"));
	cr_assert(yt("https://www.youtube.com/embed/dQw4w9WgXcQ", "dQw4w9WgXcQ"));
	cr_assert(yt("https://www.youtube.com/shorts/dQw4w9WgXcQ", "dQw4w9WgXcQ"));
	cr_assert(yt("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1", "dQw4w9WgXcQ"));
	cr_assert(yt("HTTPS://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"));
	cr_assert(yt("www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"));
}

Test(youtube, rejected)
{
	cr_assert(yt("https://www.youtube.com/watch?v=dQw4w9WgXc", NULL));    /* 10 chars */
	cr_assert(yt("https://www.youtube.com/watch?v=dQw4w9WgXcQQ", NULL));  /* 12 chars */
	cr_assert(yt("https://www.youtube.com/watch?v=dQw4w9WgX!Q", NULL));   /* bad char */
	cr_assert(yt("https://www.youtube.com/watch?x=dQw4w9WgXcQ", NULL));   /* no v */
	cr_assert(yt("https://www.youtube.com/watch?vv=dQw4w9WgXcQ", NULL));
	cr_assert(yt("https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ", NULL));
	cr_assert(yt("https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ", NULL));
	cr_assert(yt("https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ", NULL));
	cr_assert(yt("https://notyoutube.com/watch?v=dQw4w9WgXcQ", NULL));
	cr_assert(yt("https://youtube-nocookie.com/watch?v=dQw4w9WgXcQ", NULL));
	cr_assert(yt("https://youtu.be/dQw4w9WgXcQ/extra", NULL));
	cr_assert(yt("https://www.youtube.com/channel/UCdQw4w9WgXcQ", NULL));
	cr_assert(yt("ftp://youtube.com/watch?v=dQw4w9WgXcQ", NULL));
	cr_assert(yt("https://youtu.be/dQw4w9WgXcQ trailing", NULL));
	cr_assert(yt("", NULL));
	char id[12];
	cr_assert_not(mh_content_youtube_id(MH_STR_NULL, id));
}

Test(embed, markup_contract)
{
	struct mh_buf b = MH_BUF_INIT;
	mh_content_video_embed(&b, "dQw4w9WgXcQ", MH_STR("https://youtu.be/dQw4w9WgXcQ"));
	const char *h = mh_buf_cstr(&b);
	cr_assert(strstr(h, "<figure class=\"video-embed\" data-video-id=\"dQw4w9WgXcQ\">") == h);
	cr_assert(strstr(h, "<a class=\"video-embed__link\" href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\">"));
	cr_assert(strstr(h, "<button type=\"button\" class=\"video-embed__play\">Play video</button>"));
	/* Nothing is fetched from the video host before a click. */
	cr_assert_null(strstr(h, "<img"));
	cr_assert_null(strstr(h, "<iframe"));
	cr_assert_null(strstr(h, "<script"));
	cr_assert_null(strstr(h, "src="));
	mh_buf_free(&b);
}

Test(markdown, lead_and_html_append)
{
	struct mh_buf html = MH_BUF_INIT, lead = MH_BUF_INIT;
	mh_buf_append_c(&html, "X");
	mh_content_markdown(MH_STR("# H\n\none\n\ntwo\n\nthree\n"), &html, &lead, 1);
	cr_assert_str_eq(mh_buf_cstr(&html), "X<h1>H</h1>\n<p>one</p>\n<p>two</p>\n<p>three</p>\n");
	cr_assert_str_eq(mh_buf_cstr(&lead), "<p>one</p>\n");
	mh_buf_reset(&lead);
	mh_content_markdown(MH_STR("one\n"), &html, &lead, 0);
	cr_assert_eq(lead.len, 0);
	mh_content_markdown(MH_STR("one\n"), &html, NULL, 3); /* lead optional */
	mh_buf_free(&html);
	mh_buf_free(&lead);
}

Test(markdown, embedded_nul_and_bad_utf8)
{
	struct mh_buf html = MH_BUF_INIT;
	mh_content_markdown((struct mh_str){ "a\0b \xff", 6 }, &html, NULL, 0);
	cr_assert_null(memchr(html.ptr, '\0', html.len));
	cr_assert(strstr(mh_buf_cstr(&html), "\xef\xbf\xbd")); /* U+FFFD */
	mh_buf_free(&html);
}

/* ---- mh_content_prepare_article ---- */

static struct mh_article good(void)
{
	return (struct mh_article){
		.headline = "Council Approves Tr\xc3\xa4m Plan",
		.dek = "A short dek.",
		.body_md = "First \"para\".\n\nSecond.\n\nThird.\n",
		.section_id = 1,
		.status = MH_ARTICLE_PUBLISHED,
		.image_url = "/media/demo/a.svg",
		.via_name = "The Example",
		.via_url = "https://example.org/story",
	};
}

static enum mh_store_rc prep(struct mh_article *art, char *msg, size_t cap)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_buf err = MH_BUF_INIT;
	enum mh_store_rc rc = mh_content_prepare_article(a, art, &err);
	snprintf(msg, cap, "%s", err.len ? mh_buf_cstr(&err) : "");
	mh_buf_free(&err);
	if (rc == MH_OK) {
		cr_assert_str_eq(art->slug, "council-approves-tram-plan");
		cr_assert_str_eq(art->body_html,
				 "<p>First \xe2\x80\x9cpara\xe2\x80\x9d.</p>\n<p>Second.</p>\n<p>Third.</p>\n");
		cr_assert_str_eq(art->lead_html, "<p>First \xe2\x80\x9cpara\xe2\x80\x9d.</p>\n<p>Second.</p>\n");
	}
	mh_arena_free(a);
	return rc;
}

Test(prepare, good_article)
{
	struct mh_article art = good();
	char msg[300];
	cr_assert_eq(prep(&art, msg, sizeof(msg)), MH_OK, "%s", msg);
}

#define EXPECT_INVALID(field_assign, prefix)                                   \
	do {                                                                   \
		struct mh_article art = good();                                \
		char msg[300];                                                 \
		field_assign;                                                  \
		cr_assert_eq(prep(&art, msg, sizeof(msg)), MH_INVALID, "%s", #field_assign); \
		cr_assert(strncmp(msg, prefix, strlen(prefix)) == 0, "%s: got '%s'", #field_assign, msg); \
	} while (0)

Test(prepare, rejects_bad_fields)
{
	char big[700];
	memset(big, 'h', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	EXPECT_INVALID(art.headline = "", "headline: required");
	EXPECT_INVALID(art.headline = NULL, "headline: required");
	EXPECT_INVALID(art.headline = "   ", "headline: required");
	EXPECT_INVALID(art.headline = big, "headline: at most 300 characters");
	EXPECT_INVALID(art.headline = "two\nlines", "headline: not valid");
	EXPECT_INVALID(art.headline = "bad \xc3", "headline: not valid");
	EXPECT_INVALID(art.dek = big, "dek: at most 500 characters");
	EXPECT_INVALID(art.body_md = "", "body: required");
	EXPECT_INVALID(art.body_md = "x\xc0\xafy", "body: not valid UTF-8");
	EXPECT_INVALID(art.section_id = 0, "section_id: required");
	EXPECT_INVALID(art.status = (enum mh_article_status)7, "status:");
	EXPECT_INVALID(art.slug = "Bad Slug", "slug:");
	EXPECT_INVALID(art.slug = "a--b", "slug:");
	EXPECT_INVALID(art.image_url = "javascript:alert(1)", "image_url:");
	EXPECT_INVALID(art.image_url = "//evil.example/x.png", "image_url:");
	EXPECT_INVALID(art.image_url = "media/x.png", "image_url:");
	EXPECT_INVALID(art.image_url = "https:///x", "image_url:");
	EXPECT_INVALID(art.via_url = "data:text/html,hi", "via_url:");
	EXPECT_INVALID(art.via_url = "https://example.org/a b", "via_url:");
	EXPECT_INVALID(art.via_url = "https://example.org/\"><script>", "via_url:");
	EXPECT_INVALID(art.via_name = "", "via_name: required");
}

Test(prepare, accepts_edge_cases)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_buf err = MH_BUF_INIT;
	char h300[301];
	memset(h300, 'h', 300);
	h300[300] = '\0';
	struct mh_article art = good();
	art.headline = h300;
	art.slug = "my-own-slug";
	art.via_url = "";
	art.via_name = "";
	art.image_url = "HTTPS://example.com/x.png";
	cr_assert_eq(mh_content_prepare_article(a, &art, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(art.slug, "my-own-slug");

	/* 300 characters of two bytes each is still 300 characters. */
	char uh[601];
	for (int i = 0; i < 300; i++)
		memcpy(uh + 2 * i, "\xc3\xa9", 2);
	uh[600] = '\0';
	art = good();
	art.headline = uh;
	cr_assert_eq(mh_content_prepare_article(a, &art, &err), MH_OK, "%s", mh_buf_cstr(&err));

	/* A draft may have an empty body. */
	art = good();
	art.status = MH_ARTICLE_DRAFT;
	art.body_md = NULL;
	cr_assert_eq(mh_content_prepare_article(a, &art, &err), MH_OK, "%s", mh_buf_cstr(&err));
	cr_assert_str_eq(art.body_html, "");
	cr_assert_str_eq(art.lead_html, "");
	mh_buf_free(&err);
	mh_arena_free(a);
}

/* The editor's word count (editor.js counts the same way while typing). */
static size_t words(const char *s)
{
	return mh_content_word_count(mh_str_c(s));
}

Test(word_count, words_are_runs_with_a_letter_or_digit)
{
	cr_assert_eq(words(""), 0);
	cr_assert_eq(words("   \n\t "), 0);
	cr_assert_eq(words("The dredger arrived **today**."), 4);
	cr_assert_eq(words("# Heading\n\n- one\n- two\n"), 3, "markup alone is no word");
	cr_assert_eq(words("Fähre über 2 Brücken"), 4);
	cr_assert_eq(words("a—b"), 1);
	cr_assert_eq(words("tab\tand\r\nlines\vand\fform"), 5);
	cr_assert_eq(words("[link](https://example.org) -- ok"), 2);
}

Test(word_count, reading_minutes_round_up)
{
	cr_assert_eq(mh_content_reading_minutes(0), 0);
	cr_assert_eq(mh_content_reading_minutes(1), 1);
	cr_assert_eq(mh_content_reading_minutes(MH_CONTENT_WPM), 1);
	cr_assert_eq(mh_content_reading_minutes(MH_CONTENT_WPM + 1), 2);
}
