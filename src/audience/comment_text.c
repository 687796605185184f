/*
 * audience/comment_text.c: a reader's comment text to HTML, the safe subset
 * issue 8 allows and nothing else:
 *   paragraphs   a blank line between them; a single newline is a <br>
 *   quotes       lines starting with '>' (one level): <blockquote>
 *   emphasis     *em* or _em_, **strong** or __strong__ (not nested)
 *   links        [text](http(s)://...) and bare http(s):// addresses,
 *                each <a href rel="nofollow ugc noopener">
 * Everything else (HTML tags, entities, other Markdown, other schemes) is
 * shown as the text it is: every byte goes out through the HTML escapers.
 *
 * Why hand-written instead of cmark-gfm (which the articles use): comments
 * come from strangers, and Debian's cmark-gfm (0.29) predates the 2023 fixes
 * for inputs that drive it into quadratic time (CVE-2023-22483/22484/22485/
 * 22486/24824/26485: long runs of '*', '_', '[', '>' and so on). This renderer
 * is linear by construction: a closing delimiter or bracket is found through
 * tables of "the next occurrence at or after i", filled once backwards, so no
 * byte is scanned more than a fixed number of times whatever the input; and
 * emphasis does not nest, so there is no delimiter stack to re-walk. The fuzz
 * target (fuzz/fuzz_comment_text.c) runs it with a 1 s limit per input and
 * checks the output is balanced and script-free.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audience/audience.h"

/* The next-occurrence tables for one block of text. */
enum { NX_STAR, NX_STAR2, NX_UND, NX_UND2, NX_CLOSE_BRACKET, NX_CLOSE_PAREN, NX_NONURL, NX__N };

struct block {
	const char *p;
	size_t n;
	size_t *next[NX__N]; /* next[k][i]: the first position >= i of k, or n */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The bytes a link address may hold: printable ASCII without quotes, angle
 * brackets, backslash, backquote or space (what mh_store_url_problem takes). */
static bool url_byte(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '\\' && c != '`';
}

static void block_init(struct block *b, const char *p, size_t n)
{
	b->p = p;
	b->n = n;
	for (int k = 0; k < NX__N; k++) {
		b->next[k] = malloc((n + 1) * sizeof(size_t));
		MH_ASSERT(b->next[k] != NULL);
		b->next[k][n] = n;
	}
	for (size_t i = n; i-- > 0;) {
		for (int k = 0; k < NX__N; k++)
			b->next[k][i] = b->next[k][i + 1];
		char c = p[i];
		bool dbl = i + 1 < n && p[i + 1] == c;
		if (c == '*')
			b->next[dbl ? NX_STAR2 : NX_STAR][i] = i;
		if (c == '*' && dbl)
			b->next[NX_STAR][i] = i; /* a single closer may also be the first of two */
		if (c == '_')
			b->next[dbl ? NX_UND2 : NX_UND][i] = i;
		if (c == '_' && dbl)
			b->next[NX_UND][i] = i;
		if (c == ']')
			b->next[NX_CLOSE_BRACKET][i] = i;
		if (c == ')')
			b->next[NX_CLOSE_PAREN][i] = i;
		if (!url_byte(c))
			b->next[NX_NONURL][i] = i;
	}
}

static void block_free(struct block *b)
{
	for (int k = 0; k < NX__N; k++)
		free(b->next[k]);
}

/* The length of "https://" or "http://" at p (n bytes available), followed
 * by a letter or digit (a host), or 0. */
static size_t scheme_at(const char *p, size_t n)
{
	size_t scheme = 0;
	if (n >= 8 && strncasecmp(p, "https://", 8) == 0)
		scheme = 8;
	else if (n >= 7 && strncasecmp(p, "http://", 7) == 0)
		scheme = 7;
	return scheme > 0 && scheme < n && is_alnum(p[scheme]) ? scheme : 0;
}

/* The length of an http(s)://host... address at p (at most n bytes), or 0. */
static size_t url_at(const char *p, size_t n)
{
	size_t scheme = scheme_at(p, n);
	if (scheme == 0)
		return 0;
	size_t i = scheme;
	while (i < n && url_byte(p[i]))
		i++;
	return i;
}

static void link_open(struct mh_buf *out, struct mh_str url)
{
	mh_buf_append_c(out, "<a href=\"");
	mh_escape_attr(out, url);
	mh_buf_append_c(out, "\" rel=\"nofollow ugc noopener\">");
}

/* Text with line breaks, links and (unless flat) emphasis, from [i, end). */
static void inline_run(struct mh_buf *out, const struct block *b, size_t i, size_t end, bool flat, int *links)
{
	const char *p = b->p;
	size_t text = i; /* start of plain text not yet written */
#define FLUSH(upto)                                                                          \
	do {                                                                                 \
		if ((upto) > text)                                                           \
			mh_escape_html(out, (struct mh_str){ p + text, (upto) - text });     \
	} while (0)
	while (i < end) {
		char c = p[i];
		if (c == '\n') {
			FLUSH(i);
			mh_buf_append_c(out, "<br>\n");
			text = ++i;
			continue;
		}
		if (!flat && (c == '*' || c == '_')) {
			bool dbl = i + 1 < end && p[i + 1] == c;
			size_t w = dbl ? 2 : 1;
			/* an opener: not followed by a space, and for '_' not inside a word */
			bool opens = i + w < end && !is_space(p[i + w]) && (c == '*' || i == 0 || !is_alnum(p[i - 1]));
			if (opens) {
				int k = c == '*' ? (dbl ? NX_STAR2 : NX_STAR) : (dbl ? NX_UND2 : NX_UND);
				size_t close = b->next[k][i + w];
				if (close < end && close + w <= end && close > i + w && !is_space(p[close - 1])) {
					FLUSH(i);
					mh_buf_append_c(out, dbl ? "<strong>" : "<em>");
					inline_run(out, b, i + w, close, true, links);
					mh_buf_append_c(out, dbl ? "</strong>" : "</em>");
					i = close + w;
					text = i;
					continue;
				}
			}
			i += w;
			continue;
		}
		if (c == '[') {
			size_t rb = b->next[NX_CLOSE_BRACKET][i + 1];
			if (rb + 1 < end && rb > i + 1 && p[rb + 1] == '(') {
				size_t rp = b->next[NX_CLOSE_PAREN][rb + 2];
				/* the address: a scheme, then url bytes up to the ')' (one
				 * table look-up, not a scan: '[' may come n times) */
				size_t u = rb + 2;
				if (rp < end && scheme_at(p + u, rp - u) > 0 && b->next[NX_NONURL][u] >= rp) {
					FLUSH(i);
					link_open(out, (struct mh_str){ p + u, rp - u });
					/* the link's text is text only: no markup inside an anchor */
					size_t from = i + 1;
					for (size_t k = i + 1; k <= rb; k++) {
						if (k == rb || p[k] == '\n') {
							mh_escape_html(out, (struct mh_str){ p + from, k - from });
							if (k < rb)
								mh_buf_append_ch(out, ' ');
							from = k + 1;
						}
					}
					mh_buf_append_c(out, "</a>");
					(*links)++;
					i = rp + 1;
					text = i;
					continue;
				}
			}
			i++;
			continue;
		}
		if ((c == 'h' || c == 'H') && (i == 0 || !is_alnum(p[i - 1]))) {
			size_t ulen = url_at(p + i, end - i);
			/* trailing punctuation belongs to the sentence */
			while (ulen > 0 && strchr(".,;:!?)]*_", p[i + ulen - 1]) != NULL)
				ulen--;
			if (ulen > 0 && url_at(p + i, ulen) == ulen) {
				FLUSH(i);
				struct mh_str u = { p + i, ulen };
				link_open(out, u);
				mh_escape_html(out, u);
				mh_buf_append_c(out, "</a>");
				(*links)++;
				i += ulen;
				text = i;
				continue;
			}
		}
		i++;
	}
	FLUSH(end);
#undef FLUSH
}

/* One paragraph: [start, end) of text, trimmed of blank edges. */
static void paragraph(struct mh_buf *out, const char *p, size_t n, int *links)
{
	while (n > 0 && is_space(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_space(p[n - 1]))
		n--;
	if (n == 0)
		return;
	struct block b;
	block_init(&b, p, n);
	mh_buf_append_c(out, "<p>");
	inline_run(out, &b, 0, n, false, links);
	mh_buf_append_c(out, "</p>\n");
	block_free(&b);
}

/* Paragraphs of text (LF line ends), split at blank lines. */
static void paragraphs(struct mh_buf *out, const char *p, size_t n, int *links)
{
	size_t start = 0, i = 0;
	while (i < n) {
		size_t eol = i;
		while (eol < n && p[eol] != '\n')
			eol++;
		bool blank = true;
		for (size_t k = i; k < eol && blank; k++)
			blank = is_space(p[k]);
		if (blank) {
			paragraph(out, p + start, i - start, links);
			start = eol + 1;
		}
		i = eol + 1;
	}
	if (start < n)
		paragraph(out, p + start, n - start, links);
}

int mh_comment_text_render(struct mh_buf *out, struct mh_str text)
{
	int links = 0;
	/* CRLF and CR to LF, so every rule below sees one kind of line end */
	struct mh_buf norm = MH_BUF_INIT, quote = MH_BUF_INIT, plain = MH_BUF_INIT;
	for (size_t i = 0; i < text.len; i++) {
		char c = text.ptr[i];
		if (c == '\r') {
			mh_buf_append_ch(&norm, '\n');
			if (i + 1 < text.len && text.ptr[i + 1] == '\n')
				i++;
		} else {
			mh_buf_append_ch(&norm, c);
		}
	}
	const char *p = norm.ptr != NULL ? norm.ptr : "";
	size_t n = norm.len;
	/* lines in runs: quoted ('>' first) or not, each run rendered as paragraphs */
	size_t i = 0;
	while (i < n) {
		size_t eol = i;
		while (eol < n && p[eol] != '\n')
			eol++;
		bool quoted = p[i] == '>';
		struct mh_buf *to = quoted ? &quote : &plain;
		struct mh_buf *other = quoted ? &plain : &quote;
		if (other->len > 0) {
			if (other == &quote) {
				mh_buf_append_c(out, "<blockquote>\n");
				paragraphs(out, quote.ptr, quote.len, &links);
				mh_buf_append_c(out, "</blockquote>\n");
			} else {
				paragraphs(out, plain.ptr, plain.len, &links);
			}
			mh_buf_reset(other);
		}
		size_t from = i;
		if (quoted) {
			from++;
			if (from < eol && p[from] == ' ')
				from++;
		}
		mh_buf_append(to, p + from, eol - from);
		mh_buf_append_ch(to, '\n');
		i = eol + 1;
	}
	if (quote.len > 0) {
		mh_buf_append_c(out, "<blockquote>\n");
		paragraphs(out, quote.ptr, quote.len, &links);
		mh_buf_append_c(out, "</blockquote>\n");
	}
	if (plain.len > 0)
		paragraphs(out, plain.ptr, plain.len, &links);
	mh_buf_free(&norm);
	mh_buf_free(&quote);
	mh_buf_free(&plain);
	return links;
}
