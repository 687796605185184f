/* content: the article file parser (mh_frontmatter_parse): every key, quoting,
 * lists, CRLF/BOM, and errors naming FILE:LINE: key: problem. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "content/content.h"

static struct mh_arena *arena;
static struct mh_buf err;
static struct mh_frontmatter fm;

static void setup(void)
{
	arena = mh_arena_new();
	err = MH_BUF_INIT;
	cr_assert(mh_time_set_zone("Europe/Berlin"));
}

static void teardown(void)
{
	mh_arena_free(arena);
	mh_buf_free(&err);
}

TestSuite(frontmatter, .init = setup, .fini = teardown);

static bool parse_n(const char *text, size_t len)
{
	mh_buf_reset(&err);
	return mh_frontmatter_parse(arena, "a.md", text, len, &fm, &err);
}

static bool parse(const char *text)
{
	return parse_n(text, strlen(text));
}

static void ok(const char *text)
{
	bool r = parse(text);
	cr_assert(r, "parse failed: %s", mh_buf_cstr(&err));
	cr_assert_eq(err.len, 0);
}

/* The parse fails with exactly this message. */
static void fails(const char *text, const char *want)
{
	cr_assert_not(parse(text), "parsed, expected: %s", want);
	cr_assert_str_eq(mh_buf_cstr(&err), want);
}

/* The parse fails with a message starting with prefix. */
static void fails_at(const char *text, const char *prefix)
{
	cr_assert_not(parse(text), "parsed, expected: %s", prefix);
	cr_assert(strncmp(mh_buf_cstr(&err), prefix, strlen(prefix)) == 0, "error '%s' does not start with '%s'",
		  mh_buf_cstr(&err), prefix);
	cr_assert_null(memchr(err.ptr, '\n', err.len), "error spans lines: %s", mh_buf_cstr(&err));
}

#define MIN "---\nheadline: H\nsection: news\n"

Test(frontmatter, minimal_defaults)
{
	ok("---\nheadline: Ferry timetable changes\nsection: news\n---\nBody **here**.\n");
	cr_assert_str_eq(fm.headline, "Ferry timetable changes");
	cr_assert_str_eq(fm.section, "news");
	cr_assert_str_eq(fm.slug, "ferry-timetable-changes");
	cr_assert(fm.slug_derived);
	cr_assert_str_eq(fm.dek, "");
	cr_assert_str_eq(fm.via_name, "");
	cr_assert_str_eq(fm.via_url, "");
	cr_assert_str_eq(fm.image_url, "");
	cr_assert_str_eq(fm.image_alt, "");
	cr_assert_eq(fm.n_authors, 0);
	cr_assert_eq(fm.n_tags, 0);
	cr_assert_not(fm.staff_pick);
	cr_assert_eq(fm.status, MH_ARTICLE_DRAFT);
	cr_assert_not(fm.has_publish_at);
	cr_assert_str_eq(fm.body, "Body **here**.\n");
	cr_assert_eq(fm.body_line, 5);
	cr_assert_eq(fm.lines[MH_FM_HEADLINE], 2);
	cr_assert_eq(fm.lines[MH_FM_SECTION], 3);
	cr_assert_eq(fm.lines[MH_FM_DEK], 0);
	cr_assert_eq(mh_frontmatter_line(&fm, MH_FM_SLUG), 2, "a derived slug blames the headline");
	cr_assert_eq(mh_frontmatter_line(&fm, MH_FM_DEK), 1);
}

Test(frontmatter, every_key)
{
	ok("---\n"
	   "headline: Ferry timetable changes from Monday\n"
	   "dek: Fewer crossings at night\n"
	   "slug: ferry-timetable\n"
	   "section: news\n"
	   "authors: jonah-pell, mara-kestrel\n"
	   "tags: Ferries, Transit, Caf\xc3\xa9 Culture\n"
	   "via: Harbour Radio <https://harbourradio.example.org/news/ferries>\n"
	   "image: /media/demo/illustration-01.svg\n"
	   "image_alt: A ferry at dusk\n"
	   "staff_pick: true\n"
	   "status: published\n"
	   "publish_at: 2026-11-29 06:21\n"
	   "---\n"
	   "Body.\n");
	cr_assert_str_eq(fm.headline, "Ferry timetable changes from Monday");
	cr_assert_str_eq(fm.dek, "Fewer crossings at night");
	cr_assert_str_eq(fm.slug, "ferry-timetable");
	cr_assert_not(fm.slug_derived);
	cr_assert_eq(mh_frontmatter_line(&fm, MH_FM_SLUG), 4);
	cr_assert_str_eq(fm.section, "news");
	cr_assert_eq(fm.n_authors, 2);
	cr_assert_str_eq(fm.authors[0], "jonah-pell");
	cr_assert_str_eq(fm.authors[1], "mara-kestrel");
	cr_assert_eq(fm.n_tags, 3);
	cr_assert_str_eq(fm.tag_names[0], "Ferries");
	cr_assert_str_eq(fm.tag_slugs[0], "ferries");
	cr_assert_str_eq(fm.tag_names[2], "Caf\xc3\xa9 Culture");
	cr_assert_str_eq(fm.tag_slugs[2], "cafe-culture");
	cr_assert_str_eq(fm.via_name, "Harbour Radio");
	cr_assert_str_eq(fm.via_url, "https://harbourradio.example.org/news/ferries");
	cr_assert_str_eq(fm.image_url, "/media/demo/illustration-01.svg");
	cr_assert_str_eq(fm.image_alt, "A ferry at dusk");
	cr_assert(fm.staff_pick);
	cr_assert_eq(fm.status, MH_ARTICLE_PUBLISHED);
	cr_assert(fm.has_publish_at);
	/* 06:21 in Berlin (UTC+1 in November) */
	cr_assert_eq(fm.publish_at, 1795933260 - 3600);
	cr_assert_eq(fm.lines[MH_FM_PUBLISH_AT], 13);
	cr_assert_eq(fm.body_line, 15);
	for (int k = 0; k < MH_FM_N_KEYS; k++)
		cr_assert_eq(fm.lines[k], k + 2, "key %s on line %d", mh_fm_key_name((enum mh_fm_key)k), fm.lines[k]);
}

Test(frontmatter, statuses_and_dates)
{
	ok(MIN "status: draft\n---\n");
	cr_assert_eq(fm.status, MH_ARTICLE_DRAFT);
	ok(MIN "status: scheduled\npublish_at: 2030-01-02T03:04:05Z\n---\n");
	cr_assert_eq(fm.status, MH_ARTICLE_SCHEDULED);
	cr_assert_eq(fm.publish_at, 1893553445);
	ok(MIN "status: published\n---\n");
	cr_assert_eq(fm.status, MH_ARTICLE_PUBLISHED);
	cr_assert_not(fm.has_publish_at);
	ok(MIN "status: published\npublish_at: \"2026-11-29T06:21:00+01:00\"\n---\n");
	cr_assert_eq(fm.publish_at, 1795933260 - 3600);
	ok(MIN "staff_pick: false\n---\n");
	cr_assert_not(fm.staff_pick);
	/* submitted for review: like a draft, no publication time */
	ok(MIN "status: review\n---\nBody\n");
	cr_assert_eq(fm.status, MH_ARTICLE_REVIEW);
	cr_assert_not(fm.has_publish_at);
	fails(MIN "status: review\npublish_at: 2030-01-01\n---\n",
	      "a.md:5: publish_at: an article in review has no publication time yet (an editor schedules or"
	      " publishes it)");
	/* and written back the same way: status, no time even if one is kept */
	struct mh_section sec = { .id = 1, .slug = "news" };
	struct mh_article art = { .headline = "H", .slug = "h", .section = &sec, .section_id = 1, .body_md = "B\n",
				  .status = MH_ARTICLE_REVIEW, .published_at = 1893553445 };
	struct mh_buf out = MH_BUF_INIT;
	mh_frontmatter_write(&out, &art);
	cr_assert(strstr(mh_buf_cstr(&out), "status: review\n") != NULL, "%s", mh_buf_cstr(&out));
	cr_assert_null(strstr(mh_buf_cstr(&out), "publish_at"), "%s", mh_buf_cstr(&out));
	ok(mh_buf_cstr(&out));
	cr_assert_eq(fm.status, MH_ARTICLE_REVIEW);
	mh_buf_free(&out);
}

Test(frontmatter, quoting)
{
	ok("---\nheadline: \"  Budget: the vote  \"\nsection: news\ndek: \"She said \\\"no\\\" \\\\ twice\"\n---\n");
	cr_assert_str_eq(fm.headline, "  Budget: the vote  ");
	cr_assert_str_eq(fm.dek, "She said \"no\" \\ twice");
	ok("---\nheadline: 'It''s: here'\nsection: news\n---\n");
	cr_assert_str_eq(fm.headline, "It's: here");
	/* plain values keep colons, quotes and '#' inside them */
	ok("---\nheadline: Vote: \"yes\" wins #1   \nsection: news\n---\n");
	cr_assert_str_eq(fm.headline, "Vote: \"yes\" wins #1");
	ok(MIN "dek: \"\"\n---\n");
	cr_assert_str_eq(fm.dek, "");
	fails(MIN "dek: \"open\n---\n", "a.md:4: dek: the quoted value has no closing \"");
	fails(MIN "dek: \"a\" b\n---\n", "a.md:4: dek: text after the closing quote (quote the whole value)");
	fails(MIN "dek: \"a\\nb\"\n---\n",
	      "a.md:4: dek: unknown escape in a quoted value (only \\\" and \\\\ are escapes)");
}

Test(frontmatter, lists)
{
	ok(MIN "authors: [a, b-c]\ntags: [\"Budget, 2026\", Housing]\n---\n");
	cr_assert_eq(fm.n_authors, 2);
	cr_assert_str_eq(fm.authors[1], "b-c");
	cr_assert_eq(fm.n_tags, 2);
	cr_assert_str_eq(fm.tag_names[0], "Budget, 2026");
	cr_assert_str_eq(fm.tag_slugs[0], "budget-2026");
	cr_assert_str_eq(fm.tag_names[1], "Housing");
	ok(MIN "tags: \"Budget, 2026\"\nauthors: []\n---\n");
	cr_assert_eq(fm.n_tags, 1);
	cr_assert_eq(fm.n_authors, 0);
	ok(MIN "tags:\nauthors:   a  ,b  \n---\n");
	cr_assert_eq(fm.n_tags, 0);
	cr_assert_eq(fm.n_authors, 2);
	cr_assert_str_eq(fm.authors[0], "a");
	cr_assert_str_eq(fm.authors[1], "b");
	fails(MIN "tags: a, , b\n---\n", "a.md:4: tags: empty item in the list");
	fails(MIN "tags: a, b,\n---\n", "a.md:4: tags: empty item in the list (a ',' at the end)");
	fails(MIN "tags: [a, b\n---\n", "a.md:4: tags: a list that opens with '[' must end with ']'");
	fails(MIN "tags: [a, [b]]\n---\n", "a.md:4: tags: nested lists are not supported");
	fails(MIN "tags: \"a\" b\n---\n", "a.md:4: tags: expected ',' after a quoted item");
	fails(MIN "tags: Caf\xc3\xa9, cafe\n---\n", "a.md:4: tags: 'Caf\xc3\xa9' and 'cafe' are the same tag (cafe)");
	fails(MIN "authors: a, b, a\n---\n", "a.md:4: authors: 'a' is listed twice");
	fails(MIN "authors: Mara Kestrel\n---\n",
	      "a.md:4: authors: 'Mara Kestrel' is not an author slug (write slugs such as mara-kestrel, not names)");
	fails_at(MIN "authors: a, b, c, d, e, f, g, h, i, j, k\n---\n", "a.md:4: authors: at most 10 items");
}

Test(frontmatter, via)
{
	ok(MIN "via: The <Vell> Courier <https://courier.example.com/a>\n---\n");
	cr_assert_str_eq(fm.via_name, "The <Vell> Courier");
	cr_assert_str_eq(fm.via_url, "https://courier.example.com/a");
	fails(MIN "via: The Courier\n---\n", "a.md:4: via: expected 'Name <https://address>', got 'The Courier'");
	fails(MIN "via: <https://x.example>\n---\n",
	      "a.md:4: via: the source's name is missing before <https://x.example>");
	fails(MIN "via: Courier <>\n---\n", "a.md:4: via: the address between < and > is empty");
}

Test(frontmatter, crlf_and_bom)
{
	ok("\xef\xbb\xbf---\r\nheadline: Windows\r\nsection: news\r\ntags: a, b\r\n---\r\nLine one\r\nLine two\r\n");
	cr_assert_str_eq(fm.headline, "Windows");
	cr_assert_str_eq(fm.section, "news");
	cr_assert_str_eq(fm.tag_names[1], "b");
	cr_assert_str_eq(fm.body, "Line one\nLine two\n");
	cr_assert_eq(fm.body_line, 6);
	fails("\xef\xbb\xbf---\r\nheadline: W\r\nsection: news\r\nstatus: live\r\n---\r\n",
	      "a.md:4: status: expected draft, review, scheduled or published, got 'live'");
	/* trailing spaces after the fences, comments and blank lines */
	ok("---  \n# a comment\n\nheadline: H\nsection: news\n---\t\n");
	cr_assert_eq(fm.lines[MH_FM_HEADLINE], 4);
	cr_assert_str_eq(fm.body, "");
	ok("---\nheadline: H\nsection: news\n---");
	cr_assert_str_eq(fm.body, "");
	ok("---\r\nheadline: H\r\nsection: news\r\n---\r\na\rb\r\r\nc");
	cr_assert_str_eq(fm.body, "a\nb\n\nc");
}

Test(frontmatter, no_front_matter)
{
	const char *want = "a.md:1: no front matter: the file must begin with a line '---', then lines "
			   "'key: value', then a closing '---' line and the Markdown body";
	fails("# Just Markdown\n", want);
	fails("", want);
	fails("\n---\nheadline: H\nsection: news\n---\n", want);
	fails("----\nheadline: H\n", want);
}

Test(frontmatter, missing_closing_fence)
{
	fails("---\nheadline: H\nsection: news\n\nThe body text.\n",
	      "a.md:1: the front matter that opens here has no closing '---' line");
	fails("---\n", "a.md:1: the front matter that opens here has no closing '---' line");
}

Test(frontmatter, unknown_and_duplicate_keys)
{
	fails_at(MIN "author: mara-kestrel\n---\n", "a.md:4: author: unknown key (the keys are headline,");
	fails_at(MIN "Headline: x\n---\n", "a.md:4: Headline: unknown key");
	fails("---\nheadline: One\nsection: news\ndek: d\nheadline: Two\n---\n",
	      "a.md:5: headline: given twice (first on line 2)");
}

Test(frontmatter, bad_lines)
{
	fails(MIN "just text\n---\n", "a.md:4: expected 'key: value', got 'just text'");
	fails(MIN "- a\n---\n", "a.md:4: expected 'key: value', got '- a'");
	fails_at(MIN "  tags: a\n---\n", "a.md:4: indented line:");
	fails(MIN "dek:x\n---\n", "a.md:4: dek: expected a space after the ':'");
	fails(MIN "dek: caf\xe9\n---\n", "a.md:4: not valid UTF-8 text (or holds control characters)");
	fails(MIN "dek: a\x01 b\n---\n", "a.md:4: not valid UTF-8 text (or holds control characters)");
	cr_assert_not(parse_n(MIN "dek: a\0b\n---\n", sizeof(MIN "dek: a\0b\n---\n") - 1));
	cr_assert_str_eq(mh_buf_cstr(&err), "a.md:4: holds a NUL byte (not a text file?)");
}

Test(frontmatter, bad_values)
{
	fails(MIN "status: Published\n---\n", "a.md:4: status: expected draft, review, scheduled or published, got 'Published'");
	fails(MIN "status:\n---\n", "a.md:4: status: expected draft, review, scheduled or published, got ''");
	fails(MIN "staff_pick: yes\n---\n", "a.md:4: staff_pick: expected true or false, got 'yes'");
	fails_at(MIN "status: published\npublish_at: 29/11/2026\n---\n",
		 "a.md:5: publish_at: '29/11/2026' is not a date and time: expected YYYY-MM-DD");
	fails_at(MIN "status: published\npublish_at: 2026-02-30\n---\n", "a.md:5: publish_at: '2026-02-30' is not a date");
	fails(MIN "slug: Not A Slug\n---\n",
	      "a.md:4: slug: 'Not A Slug' is not a slug: use 1 to 80 lowercase letters, digits and single hyphens");
	fails(MIN "slug:\n---\n", "a.md:4: slug: empty (leave the key out to derive the slug from the headline)");
	fails("---\nheadline: H\nsection: News Desk\n---\n", "a.md:3: section: 'News Desk' is not a section slug");
	fails("---\nheadline: H\nsection:\n---\n", "a.md:3: section: empty (a section slug, such as news, is required)");
	fails_at(MIN "tags: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n---\n",
		 "a.md:4: tags: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is longer than 100 characters");
}

Test(frontmatter, empty_and_missing_headline)
{
	fails("---\nheadline:\nsection: news\n---\n", "a.md:2: headline: empty (a headline is required)");
	fails("---\nheadline: \"  \"\nsection: news\n---\n", "a.md:2: headline: empty (a headline is required)");
	fails("---\nsection: news\ndek: d\n---\nBody\n", "a.md:4: headline: missing (every article needs one)");
	fails("---\nheadline: H\n---\n", "a.md:3: section: missing (the slug of a section, such as news)");
}

Test(frontmatter, cross_key_rules)
{
	fails(MIN "status: scheduled\n---\n", "a.md:4: status: scheduled needs publish_at (when the article is to appear)");
	fails(MIN "publish_at: 2026-01-01\n---\n",
	      "a.md:4: publish_at: a draft has no publication time (use status: scheduled or published)");
	fails(MIN "image_alt: A picture\n---\n", "a.md:4: image_alt: given without image");
}

Test(frontmatter, body_kept_verbatim)
{
	ok(MIN "---\n\n---\nnot: a key\n  indented\n");
	cr_assert_str_eq(fm.body, "\n---\nnot: a key\n  indented\n");
	cr_assert_eq(fm.body_line, 5);
}

Test(frontmatter, error_values_are_cut)
{
	char text[600];
	char longv[300];
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	snprintf(text, sizeof(text), MIN "status: %s\n---\n", longv);
	fails_at(text, "a.md:4: status: expected draft, review, scheduled or published, got "
		       "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'");
	cr_assert_lt(err.len, 200);
}

Test(frontmatter, written_files_read_back_to_the_same_article)
{
	struct mh_section sec = { .slug = "news", .name = "News" };
	struct mh_author au[2] = { { .slug = "ana-ortiz" }, { .slug = "ben" } };
	struct mh_tag tags[2] = { { .name = "Courts, \"Law\" & Order" }, { .name = "Back\\slash: yes" } };
	struct mh_article art = {
		.headline = "Mayor: \"We stand by it\" \\ a colon: here",
		.slug = "mayor-stands-by-it",
		.dek = "  leading spaces, # a hash, 'single' quotes  ",
		.section = &sec,
		.authors = au,
		.n_authors = 2,
		.tags = tags,
		.n_tags = 2,
		.via_name = "The Courier",
		.via_url = "https://courier.example.com/a?b=c&d=e",
		.image_url = "/media/a.svg",
		.image_alt = "A \"quoted\" alt",
		.staff_pick = true,
		.status = MH_ARTICLE_PUBLISHED,
		.published_at = 1796000000,
		.body_md = "First paragraph.\n\n---\n\nA rule above, and \"quotes\".\n",
	};
	struct mh_buf file = MH_BUF_INIT;
	mh_frontmatter_write(&file, &art);
	cr_assert(parse_n(file.ptr, file.len), "%s\n---\n%s", mh_buf_cstr(&err), mh_buf_cstr(&file));
	cr_assert_str_eq(fm.headline, art.headline);
	cr_assert_str_eq(fm.slug, art.slug);
	cr_assert_str_eq(fm.dek, art.dek);
	cr_assert_str_eq(fm.section, "news");
	cr_assert_eq(fm.n_authors, 2);
	cr_assert_str_eq(fm.authors[1], "ben");
	cr_assert_eq(fm.n_tags, 2);
	cr_assert_str_eq(fm.tag_names[0], tags[0].name);
	cr_assert_str_eq(fm.tag_names[1], tags[1].name);
	cr_assert_str_eq(fm.via_name, art.via_name);
	cr_assert_str_eq(fm.via_url, art.via_url);
	cr_assert_str_eq(fm.image_url, art.image_url);
	cr_assert_str_eq(fm.image_alt, art.image_alt);
	cr_assert(fm.staff_pick);
	cr_assert_eq(fm.status, MH_ARTICLE_PUBLISHED);
	cr_assert(fm.has_publish_at);
	cr_assert_eq(fm.publish_at, art.published_at);
	cr_assert_str_eq(fm.body, art.body_md);

	/* a draft carries no publication time (the parser would refuse one) */
	art.status = MH_ARTICLE_DRAFT;
	mh_buf_reset(&file);
	mh_frontmatter_write(&file, &art);
	cr_assert(parse_n(file.ptr, file.len), "%s", mh_buf_cstr(&err));
	cr_assert_not(fm.has_publish_at);
	mh_buf_free(&file);
}
