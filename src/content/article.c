/*
 * article.c: slugs (with transliteration of Latin letters to ASCII) and the
 * checks an article passes before it is stored.
 */
#include <string.h>

#include "content/content.h"

#define SLUG_MAX 80
#define HEADLINE_MAX 300
#define DEK_MAX 500
#define BODY_MAX (1024 * 1024)
#define VIA_NAME_MAX 200
#define IMAGE_ALT_MAX 500

/* Decodes one UTF-8 sequence at s[*i]; returns the code point, or -1 for a
 * malformed one (then *i skips one byte). Overlongs and surrogates count as
 * malformed. */
static long utf8_next(struct mh_str s, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s.ptr + *i;
	size_t left = s.len - *i;
	unsigned char c = p[0];
	long cp;
	size_t n;
	if (c < 0x80) {
		*i += 1;
		return c;
	} else if (c >= 0xc2 && c <= 0xdf) {
		cp = c & 0x1f, n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		cp = c & 0x0f, n = 3;
	} else if (c >= 0xf0 && c <= 0xf4) {
		cp = c & 0x07, n = 4;
	} else {
		*i += 1;
		return -1;
	}
	if (left < n) {
		*i += 1;
		return -1;
	}
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80) {
			*i += 1;
			return -1;
		}
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
		*i += 1;
		return -1;
	}
	*i += n;
	return cp;
}

/* U+00C0..U+00FF: Latin-1 letters; "" = not a letter (×, ÷). */
static const char *const latin1[64] = {
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "",	"o", "u", "u", "u", "u", "y", "th", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	"d", "n", "o", "o", "o", "o", "o", "",	"o", "u", "u", "u", "u", "y", "th", "y",
};
/* U+0100..U+017F, Latin Extended-A: one letter each, except Ĳ ĳ (1) and Œ œ (2). */
static const char latin_ext_a[129] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii11jjkkkllllllllllnnnnnnnnn"
				     "oooooo22rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/* The ASCII spelling of a code point: its letters, "" for a separator, or
 * NULL when the character is dropped without separating (apostrophes). */
static const char *transliterate(long cp, char one[2])
{
	if (cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02bc)
		return NULL;
	if (cp < 0x80) {
		char c = (char)cp;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			one[0] = c;
			one[1] = '\0';
			return one;
		}
		return "";
	}
	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[cp - 0xc0];
	if (cp >= 0x100 && cp <= 0x17f) {
		char c = latin_ext_a[cp - 0x100];
		if (c == '1')
			return "ij";
		if (c == '2')
			return "oe";
		one[0] = c;
		one[1] = '\0';
		return one;
	}
	switch (cp) {
	case 0x218: case 0x219: return "s"; /* Ș ș */
	case 0x21a: case 0x21b: return "t"; /* Ț ț */
	default: return "";
	}
}

void mh_content_slugify(struct mh_buf *out, struct mh_str text)
{
	struct mh_buf s = MH_BUF_INIT;
	bool pending_dash = false;
	size_t i = 0;
	while (i < text.len && s.len <= SLUG_MAX) {
		long cp = utf8_next(text, &i);
		char one[2];
		const char *t = cp < 0 ? "" : transliterate(cp, one);
		if (t == NULL)
			continue;
		if (t[0] == '\0') {
			pending_dash = s.len > 0;
			continue;
		}
		if (pending_dash)
			mh_buf_append_ch(&s, '-');
		pending_dash = false;
		mh_buf_append_c(&s, t);
	}
	size_t len = s.len;
	if (len > SLUG_MAX) {
		/* Cut at the last '-' within the limit when that keeps most of it. */
		len = SLUG_MAX;
		if (s.ptr[SLUG_MAX] != '-') {
			size_t cut = len;
			while (cut > 0 && s.ptr[cut - 1] != '-')
				cut--;
			if (cut > SLUG_MAX / 2)
				len = cut - 1;
		}
		while (len > 0 && s.ptr[len - 1] == '-')
			len--;
	}
	if (len == 0)
		mh_buf_append_c(out, "article");
	else
		mh_buf_append(out, s.ptr, len);
	mh_buf_free(&s);
}

bool mh_content_slug_valid(struct mh_str s)
{
	if (s.len == 0 || s.len > SLUG_MAX || s.ptr[0] == '-' || s.ptr[s.len - 1] == '-')
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (c == '-') {
			if (s.ptr[i - 1] == '-')
				return false;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			return false;
		}
	}
	return true;
}

/* ---- validation ---- */

/* Counts code points; false when s is not valid UTF-8 or (unless multiline)
 * holds control characters. */
static bool text_ok(struct mh_str s, bool multiline, size_t *chars)
{
	size_t i = 0, n = 0;
	while (i < s.len) {
		long cp = utf8_next(s, &i);
		if (cp < 0)
			return false;
		if (cp == 0 || cp == 0x7f || (cp < 0x20 && !(multiline && (cp == '\n' || cp == '\r' || cp == '\t'))))
			return false;
		n++;
	}
	*chars = n;
	return true;
}

static bool blank(struct mh_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] != ' ' && s.ptr[i] != '\t' && s.ptr[i] != '\n' && s.ptr[i] != '\r')
			return false;
	}
	return true;
}

static enum mh_store_rc invalid(struct mh_buf *err, const char *field, const char *problem)
{
	if (err != NULL) {
		mh_buf_reset(err);
		mh_buf_printf(err, "%s: %s", field, problem);
	}
	return MH_INVALID;
}

static enum mh_store_rc check_text(const char *field, const char *v, bool required, size_t max, bool multiline,
				   struct mh_buf *err)
{
	struct mh_str s = mh_str_c(v);
	size_t chars = 0;
	if (!text_ok(s, multiline, &chars))
		return invalid(err, field,
			       multiline ? "not valid UTF-8 text" : "not valid one-line UTF-8 text");
	if (required && blank(s))
		return invalid(err, field, "required");
	if (chars > max) {
		if (err != NULL) {
			mh_buf_reset(err);
			mh_buf_printf(err, "%s: at most %zu characters (got %zu)", field, max, chars);
		}
		return MH_INVALID;
	}
	return MH_OK;
}

static enum mh_store_rc check_url(const char *field, const char *v, struct mh_buf *err)
{
	struct mh_str u = mh_str_c(v);
	if (u.len == 0)
		return MH_OK;
	/* the store's rule (every save applies it), said here with the field's
	 * name before anything is rendered */
	const char *why = mh_store_url_problem(u);
	return why != NULL ? invalid(err, field, why) : MH_OK;
}

enum mh_store_rc mh_content_prepare_article(struct mh_arena *a, struct mh_article *art, struct mh_buf *err)
{
	enum mh_store_rc rc;
	if ((rc = check_text("headline", art->headline, true, HEADLINE_MAX, false, err)) != MH_OK)
		return rc;
	if ((rc = check_text("dek", art->dek, false, DEK_MAX, false, err)) != MH_OK)
		return rc;
	if ((unsigned)art->status > MH_ARTICLE_STATUS_LAST)
		return invalid(err, "status", "must be draft, review, scheduled or published");
	struct mh_str body = mh_str_c(art->body_md);
	if (body.len > BODY_MAX)
		return invalid(err, "body", "longer than 1 MiB");
	size_t chars;
	if (!text_ok(body, true, &chars))
		return invalid(err, "body", "not valid UTF-8 text");
	if (mh_article_status_dated(art->status) && blank(body))
		return invalid(err, "body", "required unless the article is a draft or in review");
	if (art->section_id <= 0)
		return invalid(err, "section_id", "required");
	if ((rc = check_url("image_url", art->image_url, err)) != MH_OK)
		return rc;
	if ((rc = check_text("image_alt", art->image_alt, false, IMAGE_ALT_MAX, false, err)) != MH_OK)
		return rc;
	if ((rc = check_url("via_url", art->via_url, err)) != MH_OK)
		return rc;
	if ((rc = check_text("via_name", art->via_name, false, VIA_NAME_MAX, false, err)) != MH_OK)
		return rc;
	if (art->via_url != NULL && art->via_url[0] != '\0' && blank(mh_str_c(art->via_name)))
		return invalid(err, "via_name", "required when via_url is given");
	if (art->published_at < 0)
		return invalid(err, "published_at", "must not be negative");

	struct mh_str slug = mh_str_c(art->slug);
	if (slug.len == 0) {
		struct mh_buf b = MH_BUF_INIT;
		mh_content_slugify(&b, mh_str_c(art->headline));
		art->slug = mh_arena_strndup(a, b.ptr, b.len);
		mh_buf_free(&b);
	} else if (!mh_content_slug_valid(slug)) {
		return invalid(err, "slug", "use 1 to 80 lowercase letters, digits and single hyphens");
	}

	struct mh_buf html = MH_BUF_INIT, lead = MH_BUF_INIT;
	mh_content_markdown(body, &html, &lead, 2);
	art->body_html = mh_arena_strndup(a, html.ptr != NULL ? html.ptr : "", html.len);
	art->lead_html = mh_arena_strndup(a, lead.ptr != NULL ? lead.ptr : "", lead.len);
	mh_buf_free(&html);
	mh_buf_free(&lead);
	return MH_OK;
}

size_t mh_content_word_count(struct mh_str md)
{
	size_t words = 0;
	bool in_word = false, counted = false;
	for (size_t i = 0; i < md.len; i++) {
		unsigned char c = (unsigned char)md.ptr[i];
		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			in_word = false;
			continue;
		}
		if (!in_word) {
			in_word = true;
			counted = false;
		}
		bool wordy = c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
		if (wordy && !counted) {
			words++;
			counted = true;
		}
	}
	return words;
}

int mh_content_reading_minutes(size_t words)
{
	return (int)((words + MH_CONTENT_WPM - 1) / MH_CONTENT_WPM);
}
