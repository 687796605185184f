/*
 * util/escape.c: one escaper per output context. Each appends to b and
 * never fails. Bytes that need no escaping are copied in runs, so UTF-8 text
 * passes through unchanged (except in JSON and XML, where invalid UTF-8 would
 * make the whole document unreadable: there each malformed byte becomes
 * U+FFFD).
 */
#include "util/util.h"

#include <string.h>

static const char hexdig[] = "0123456789ABCDEF"; /* %XX: RFC 3986 prefers upper case */
static const char hexlow[] = "0123456789abcdef"; /* \u00xx, as JSON.stringify writes it */

/* HTML text and quoted attribute values escape the same five characters:
 * escaping both quote kinds makes the output safe whichever quote the
 * template used, and escaping '>' costs nothing. */
static void escape_markup(struct mh_buf *b, struct mh_str s)
{
	/* Two passes: count what the replacements add, reserve once, then
	 * write every byte straight into the buffer. Every value of every page
	 * goes through here; appending run by run cost three calls per
	 * special character. */
	static const unsigned char extra[256] = { ['&'] = 4, ['<'] = 3, ['>'] = 3, ['"'] = 5, ['\''] = 4 };
	if (s.len == 0)
		return; /* s.ptr may be NULL */
	size_t grow = 0;
	for (size_t i = 0; i < s.len; i++)
		grow += extra[(unsigned char)s.ptr[i]];
	mh_buf_reserve(b, s.len + grow);
	char *d = b->ptr + b->len;
	if (grow == 0) {
		memcpy(d, s.ptr, s.len);
		b->len += s.len;
		return;
	}
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		switch (c) {
		case '&': memcpy(d, "&amp;", 5); d += 5; break;
		case '<': memcpy(d, "&lt;", 4); d += 4; break;
		case '>': memcpy(d, "&gt;", 4); d += 4; break;
		case '"': memcpy(d, "&quot;", 6); d += 6; break;
		case '\'': memcpy(d, "&#39;", 5); d += 5; break;
		default: *d++ = c; break;
		}
	}
	b->len = (size_t)(d - b->ptr);
}

void mh_escape_html(struct mh_buf *b, struct mh_str s)
{
	escape_markup(b, s);
}

void mh_escape_attr(struct mh_buf *b, struct mh_str s)
{
	escape_markup(b, s);
}

static bool url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

void mh_escape_url(struct mh_buf *b, struct mh_str s)
{
	mh_buf_reserve(b, s.len);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (url_unreserved(c)) {
			mh_buf_append_ch(b, (char)c);
		} else {
			char e[3] = { '%', hexdig[c >> 4], hexdig[c & 15] };
			mh_buf_append(b, e, 3);
		}
	}
}

size_t mh_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

#define REPLACEMENT_CHAR "\xEF\xBF\xBD"

/* JSON string content that is also safe inside an HTML <script> element:
 * '<', '>' and '&' are \u-escaped so "</script>" and "<!--" cannot appear,
 * and U+2028/U+2029 are escaped because older JavaScript parsers treat them
 * as line ends. All control characters use the \u00XX form. */
void mh_escape_json(struct mh_buf *b, struct mh_str s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0;
	mh_buf_reserve(b, s.len);
	while (i < s.len) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			uint32_t cp;
			size_t n = mh_utf8_decode(p + i, s.len - i, &cp);
			if (n == 0) {
				mh_buf_append_c(b, REPLACEMENT_CHAR);
				i++;
			} else if (cp == 0x2028 || cp == 0x2029) {
				mh_buf_append_c(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
				i += n;
			} else {
				mh_buf_append(b, p + i, n);
				i += n;
			}
			continue;
		}
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			mh_buf_append(b, e, 2);
		} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			char e[6] = { '\\', 'u', '0', '0', hexlow[c >> 4], hexlow[c & 15] };
			mh_buf_append(b, e, 6);
		} else {
			mh_buf_append_ch(b, (char)c);
		}
		i++;
	}
}

/* XML 1.0 allows tab, LF, CR, U+0020..U+D7FF, U+E000..U+FFFD and
 * U+10000..U+10FFFF; anything else cannot be written even as a character
 * reference, so it is dropped. */
static bool xml_char_allowed(uint32_t cp)
{
	return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
	       (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
}

void mh_escape_xml(struct mh_buf *b, struct mh_str s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0;
	mh_buf_reserve(b, s.len);
	while (i < s.len) {
		uint32_t cp;
		size_t n = mh_utf8_decode(p + i, s.len - i, &cp);
		if (n == 0) {
			mh_buf_append_c(b, REPLACEMENT_CHAR);
			i++;
			continue;
		}
		switch (cp) {
		case '&': mh_buf_append_c(b, "&amp;"); break;
		case '<': mh_buf_append_c(b, "&lt;"); break;
		case '>': mh_buf_append_c(b, "&gt;"); break;
		case '"': mh_buf_append_c(b, "&quot;"); break;
		case '\'': mh_buf_append_c(b, "&apos;"); break;
		default:
			if (xml_char_allowed(cp))
				mh_buf_append(b, p + i, n);
		}
		i += n;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The result may contain any byte, NUL included (it carries its length);
 * callers that need text must check it themselves. */
bool mh_url_decode(struct mh_arena *a, struct mh_str in, bool plus_is_space, struct mh_str *out)
{
	char *d = mh_arena_alloc(a, in.len + 1);
	size_t n = 0;
	for (size_t i = 0; i < in.len; i++) {
		char c = in.ptr[i];
		if (c == '%') {
			if (in.len - i < 3)
				return false;
			int hi = hexval(in.ptr[i + 1]), lo = hexval(in.ptr[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			d[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			d[n++] = ' ';
		} else {
			d[n++] = c;
		}
	}
	d[n] = '\0';
	*out = (struct mh_str){ d, n };
	return true;
}
