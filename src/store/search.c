/*
 * search.c: the pure pieces of full-text search (store.h): the reader's
 * text cut into safe terms, the snippet cut at its marks, and the plain
 * text an article's rendered body is indexed as. The SQL lives in the
 * backends' tables and the rules in store.c; nothing here touches a
 * database.
 *
 * Hand-written, for reasons: the query tokenizer is ours by design (the
 * engines' own parsers are what it keeps reader input away from, and it
 * must behave the same for both). The HTML-to-text step reads only what our
 * own Markdown renderer (cmark-gfm, raw HTML disabled) writes: well-formed
 * tags, attribute values with '<' and '>' escaped, the five entities and
 * numeric references. libxml2's HTML parser would do it too, at the cost of
 * a new dependency of the store and a DOM per save for a tag stripper of
 * sixty lines.
 */
#include <string.h>

#include "store/store.h"

/* ---- the reader's text ---- */

/* Whether code point c (decoded from valid UTF-8) belongs to a word: ASCII
 * letters and digits, and non-ASCII characters other than the spaces and
 * punctuation blocks (the engines split there too, so leaving them inside a
 * word would only make it a phrase). */
static bool word_char(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (c <= 0xBF) /* Latin-1 controls, spaces and signs, but for its letters and digits */
		return c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA;
	if (c == 0xD7 || c == 0xF7) /* multiplication and division signs */
		return false;
	if ((c >= 0x2000 && c <= 0x206F) || (c >= 0x2190 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) ||
	    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF0F) || c == 0xFEFF || c >= 0xFFF0)
		return false; /* general punctuation, arrows and symbols, CJK and full-width punctuation */
	return true;
}

/* The next character of in at *i: its length (1 for a malformed byte,
 * which is never a word character) and whether it is a word character. */
static size_t next_char(struct mh_str in, size_t i, bool *word)
{
	uint32_t cp = 0;
	size_t len = mh_utf8_decode((const unsigned char *)in.ptr + i, in.len - i, &cp);
	if (len == 0) {
		*word = false;
		return 1;
	}
	*word = word_char(cp);
	return len;
}

struct parser {
	struct mh_arena *a;
	struct mh_search_term *out;
	size_t max, n, words;
};

/* One word starting at *i (a word character): appended to b, cut at
 * MH_SEARCH_MAX_WORD bytes on a character boundary; *i moves past all of it
 * either way. Returns its length in characters. */
static size_t take_word(struct mh_str in, size_t *i, struct mh_buf *b)
{
	size_t start = b->len, chars = 0;
	while (*i < in.len) {
		bool w;
		size_t len = next_char(in, *i, &w);
		if (!w)
			break;
		if (b->len - start + len <= MH_SEARCH_MAX_WORD) {
			mh_buf_append(b, in.ptr + *i, len);
			chars++;
		}
		*i += len;
	}
	return chars;
}

static void add_term(struct parser *p, enum mh_search_term_kind kind, struct mh_buf *b, size_t words)
{
	if (p->n >= p->max || p->words + words > MH_SEARCH_MAX_WORDS || b->len == 0)
		return;
	p->out[p->n].kind = kind;
	p->out[p->n].text = mh_arena_strndup(p->a, b->ptr, b->len);
	p->n++;
	p->words += words;
}

/* A phrase between in[open] ('"') and in[close] ('"'): its words joined by
 * spaces; one word is a plain word, none is nothing. */
static void add_phrase(struct parser *p, struct mh_str in, size_t open, size_t close)
{
	struct mh_buf b = MH_BUF_INIT;
	size_t words = 0, i = open + 1;
	while (i < close && words < MH_SEARCH_MAX_WORDS) {
		bool w;
		size_t len = next_char(in, i, &w);
		if (!w) {
			i += len;
			continue;
		}
		if (words > 0)
			mh_buf_append_ch(&b, ' ');
		take_word((struct mh_str){ in.ptr, close }, &i, &b);
		words++;
	}
	add_term(p, words > 1 ? MH_SEARCH_PHRASE : MH_SEARCH_WORD, &b, words);
	mh_buf_free(&b);
}

size_t mh_search_parse(struct mh_arena *a, struct mh_str input, struct mh_search_term *out, size_t max)
{
	struct parser p = { .a = a, .out = out, .max = max };
	struct mh_str in = input;
	if (in.ptr == NULL)
		return 0;
	if (in.len > MH_SEARCH_MAX_INPUT) {
		/* cut on a character boundary: back over continuation bytes */
		in.len = MH_SEARCH_MAX_INPUT;
		while (in.len > 0 && ((unsigned char)in.ptr[in.len] & 0xC0) == 0x80)
			in.len--;
	}
	size_t i = 0;
	while (i < in.len && p.n < max && p.words < MH_SEARCH_MAX_WORDS) {
		if (in.ptr[i] == '"') {
			const char *close = memchr(in.ptr + i + 1, '"', in.len - i - 1);
			if (close != NULL) {
				size_t c = (size_t)(close - in.ptr);
				add_phrase(&p, in, i, c);
				i = c + 1;
				continue;
			}
			i++; /* unbalanced: the quote is a separator */
			continue;
		}
		bool w;
		size_t len = next_char(in, i, &w);
		if (!w) {
			i += len;
			continue;
		}
		struct mh_buf b = MH_BUF_INIT;
		size_t chars = take_word(in, &i, &b);
		bool prefix = i < in.len && in.ptr[i] == '*' && chars >= 2;
		add_term(&p, prefix ? MH_SEARCH_PREFIX : MH_SEARCH_WORD, &b, 1);
		mh_buf_free(&b);
	}
	return p.n;
}

/* ---- snippets ---- */

size_t mh_search_snippet_parts(struct mh_arena *a, const char *snippet, struct mh_str **parts, bool **marked)
{
	size_t len = snippet != NULL ? strlen(snippet) : 0, cap = 1;
	for (size_t i = 0; i < len; i++)
		cap += snippet[i] == MH_SEARCH_MARK_START || snippet[i] == MH_SEARCH_MARK_END;
	*parts = MH_NEW_ARRAY(a, struct mh_str, cap);
	*marked = MH_NEW_ARRAY(a, bool, cap);
	size_t n = 0, start = 0;
	bool in_mark = false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? snippet[i] : '\0';
		if (i < len && c != MH_SEARCH_MARK_START && c != MH_SEARCH_MARK_END)
			continue;
		if (i > start) {
			char *t = mh_arena_strndup(a, snippet + start, i - start);
			for (size_t k = 0; k < i - start; k++)
				if ((unsigned char)t[k] < 0x20 || t[k] == 0x7F)
					t[k] = ' ';
			(*parts)[n] = (struct mh_str){ t, i - start };
			(*marked)[n] = in_mark;
			n++;
		}
		start = i + 1;
		if (c == MH_SEARCH_MARK_START)
			in_mark = true;
		else if (c == MH_SEARCH_MARK_END)
			in_mark = false;
	}
	return n;
}

/* ---- the indexed text of a rendered body ---- */

/* Tags that sit inside a word's run of text: no space for them. Any other
 * tag (a paragraph, a list item, a line break, a cell) separates words. */
static bool inline_tag(const char *name, size_t len)
{
	static const char *const names[] = { "a", "abbr", "b", "code", "del", "em", "i", "kbd", "mark",
					     "s", "small", "span", "strong", "sub", "sup", "u" };
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (strlen(names[k]) == len && memcmp(names[k], name, len) == 0)
			return true;
	return false;
}

static void space(struct mh_buf *out)
{
	if (out->len > 0 && out->ptr[out->len - 1] != ' ')
		mh_buf_append_ch(out, ' ');
}

static void put_cp(struct mh_buf *out, uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
		space(out);
		return;
	}
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	mh_buf_append(out, u, n);
}

/* An entity at s[0] == '&': its length when it is one we decode (the
 * character appended to out), else 0. */
static size_t entity(struct mh_buf *out, const char *s, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} named[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' } };
	for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
		size_t l = strlen(named[k].name);
		if (n >= l && memcmp(s, named[k].name, l) == 0) {
			mh_buf_append_ch(out, named[k].c);
			return l;
		}
	}
	if (n < 4 || s[1] != '#')
		return 0;
	bool hex = s[2] == 'x' || s[2] == 'X';
	size_t i = hex ? 3 : 2;
	uint32_t cp = 0;
	size_t digits = 0;
	for (; i < n && digits < 8; i++, digits++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			break;
		cp = cp * (hex ? 16 : 10) + (uint32_t)d;
	}
	if (digits == 0 || i >= n || s[i] != ';')
		return 0;
	put_cp(out, cp);
	return i + 1;
}

void mh_search_plain_text(struct mh_buf *out, struct mh_str html)
{
	const char *s = html.ptr;
	size_t n = html.ptr != NULL ? html.len : 0, i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '<') {
			if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
				const char *end = memmem(s + i + 4, n - i - 4, "-->", 3);
				i = end != NULL ? (size_t)(end - s) + 3 : n;
				space(out);
				continue;
			}
			size_t j = i + 1 + (i + 1 < n && s[i + 1] == '/');
			size_t name = j;
			while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
					 (s[j] >= '0' && s[j] <= '9')))
				j++;
			bool is_inline = inline_tag(s + name, j - name);
			const char *gt = memchr(s + j, '>', n - j);
			i = gt != NULL ? (size_t)(gt - s) + 1 : n;
			if (!is_inline)
				space(out);
			continue;
		}
		if (c == '&') {
			size_t l = entity(out, s + i, n - i);
			if (l > 0) {
				i += l;
				continue;
			}
		}
		if (c < 0x20 || c == 0x7F) {
			space(out);
			i++;
			continue;
		}
		if (c < 0x80) {
			mh_buf_append_ch(out, (char)c);
			i++;
			continue;
		}
		uint32_t cp;
		size_t l = mh_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (l == 0) { /* malformed: dropped */
			i++;
			continue;
		}
		put_cp(out, cp);
		i += l;
	}
	while (out->len > 0 && out->ptr[out->len - 1] == ' ')
		out->len--;
}
