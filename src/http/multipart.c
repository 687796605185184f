/*
 * multipart/form-data (RFC 7578 over RFC 2046's multipart syntax): the body
 * of a form that uploads files. Hand-written because none of Debian's C
 * libraries parses it from a buffer without pulling in a framework (libh2o
 * has no form parser); it is small, bounded and fuzzed (fuzz_multipart.c).
 * The whole body is already in memory (bounded by max_body_bytes), so parts
 * point into it: nothing is copied but decoded names.
 */
#include <string.h>
#include <strings.h>

#include "http/http.h"

#define MAX_PART_HEADER_BYTES 8192
#define MAX_PART_HEADERS 16

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static struct mh_str trim(struct mh_str s)
{
	while (s.len > 0 && is_space(s.ptr[0]))
		s.ptr++, s.len--;
	while (s.len > 0 && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

/* RFC 2045 token characters. */
static bool is_tchar(char c)
{
	return c > 0x20 && c < 0x7F && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* One "; key=value" parameter at *p (after the ';'), value a token or a
 * quoted-string (backslash escapes undone into the arena). False if
 * malformed. */
static bool next_param(struct mh_arena *a, struct mh_str *rest, struct mh_str *key, struct mh_str *value)
{
	struct mh_str s = *rest;
	while (s.len > 0 && is_space(s.ptr[0]))
		s.ptr++, s.len--;
	size_t k = 0;
	while (k < s.len && is_tchar(s.ptr[k]) && s.ptr[k] != '=')
		k++;
	if (k == 0)
		return false;
	*key = (struct mh_str){ s.ptr, k };
	size_t i = k;
	while (i < s.len && is_space(s.ptr[i]))
		i++;
	if (i >= s.len || s.ptr[i] != '=')
		return false;
	i++;
	while (i < s.len && is_space(s.ptr[i]))
		i++;
	if (i < s.len && s.ptr[i] == '"') {
		i++;
		size_t start = i;
		bool escaped = false;
		while (i < s.len && s.ptr[i] != '"') {
			if (s.ptr[i] == '\\' && i + 1 < s.len) {
				escaped = true;
				i++;
			}
			i++;
		}
		if (i >= s.len)
			return false; /* unclosed quote */
		if (!escaped) {
			*value = (struct mh_str){ s.ptr + start, i - start };
		} else {
			char *out = mh_arena_alloc(a, i - start + 1);
			size_t n = 0;
			for (size_t j = start; j < i; j++) {
				if (s.ptr[j] == '\\')
					j++;
				out[n++] = s.ptr[j];
			}
			*value = (struct mh_str){ out, n };
		}
		i++;
	} else {
		size_t start = i;
		while (i < s.len && is_tchar(s.ptr[i]))
			i++;
		if (i == start)
			return false;
		*value = (struct mh_str){ s.ptr + start, i - start };
	}
	while (i < s.len && is_space(s.ptr[i]))
		i++;
	if (i < s.len) {
		if (s.ptr[i] != ';')
			return false;
		i++;
	}
	*rest = (struct mh_str){ s.ptr + i, s.len - i };
	return true;
}

/* Splits "type/subtype; params" into the media type and the parameters. */
static struct mh_str media_type(struct mh_str v, struct mh_str *params)
{
	const char *semi = memchr(v.ptr, ';', v.len);
	size_t n = semi == NULL ? v.len : (size_t)(semi - v.ptr);
	*params = semi == NULL ? MH_STR("") : (struct mh_str){ semi + 1, v.len - n - 1 };
	return trim((struct mh_str){ v.ptr, n });
}

/* RFC 2046 bchars: the characters a boundary may hold. */
static bool is_bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       strchr("'()+_,-./:=? ", c) != NULL;
}

bool mh_http_multipart_boundary(struct mh_arena *a, struct mh_str content_type, struct mh_str *boundary)
{
	if (content_type.ptr == NULL)
		return false;
	struct mh_str params;
	struct mh_str mt = media_type(content_type, &params);
	if (!(mt.len == 19 && strncasecmp(mt.ptr, "multipart/form-data", 19) == 0))
		return false;
	struct mh_str key, value;
	while (trim(params).len > 0) {
		if (!next_param(a, &params, &key, &value))
			return false;
		if (key.len == 8 && strncasecmp(key.ptr, "boundary", 8) == 0) {
			if (value.len == 0 || value.len > 70 || value.ptr[value.len - 1] == ' ')
				return false;
			for (size_t i = 0; i < value.len; i++)
				if (!is_bchar(value.ptr[i]))
					return false;
			*boundary = value;
			return true;
		}
	}
	return false;
}

/* Where the delimiter "\r\n--boundary" next starts in body[from..), or
 * NULL. */
static const char *find_delim(struct mh_str body, size_t from, struct mh_str delim)
{
	if (from > body.len)
		return NULL;
	return memmem(body.ptr + from, body.len - from, delim.ptr, delim.len);
}

/* After a delimiter at *i: "--" ends the body; else optional spaces and
 * CRLF start a part. 1 = a part follows, 0 = the end, -1 = malformed. */
static int after_delim(struct mh_str body, size_t *i)
{
	if (*i + 2 <= body.len && body.ptr[*i] == '-' && body.ptr[*i + 1] == '-')
		return 0;
	while (*i < body.len && is_space(body.ptr[*i]))
		(*i)++;
	if (*i + 2 > body.len || body.ptr[*i] != '\r' || body.ptr[*i + 1] != '\n')
		return -1;
	*i += 2;
	return 1;
}

static bool fail(const char **err, const char *msg)
{
	*err = msg;
	return false;
}

/* The part's header block at body[*i..): fills name, filename and type.
 * *i ends after the empty line. */
static bool part_headers(struct mh_arena *a, struct mh_str body, size_t *i, struct mh_http_part *p, const char **err)
{
	size_t start = *i;
	bool disposition = false;
	for (int count = 0;; count++) {
		if (*i - start > MAX_PART_HEADER_BYTES || count > MAX_PART_HEADERS)
			return fail(err, "A part of the form has too many or too long headers.");
		const char *eol = memmem(body.ptr + *i, body.len - *i, "\r\n", 2);
		if (eol == NULL)
			return fail(err, "The form data ends inside a part's headers.");
		struct mh_str line = { body.ptr + *i, (size_t)(eol - (body.ptr + *i)) };
		*i += line.len + 2;
		if (line.len == 0)
			break;
		const char *colon = memchr(line.ptr, ':', line.len);
		if (colon == NULL || colon == line.ptr)
			return fail(err, "A part of the form has a malformed header line.");
		struct mh_str name = { line.ptr, (size_t)(colon - line.ptr) };
		struct mh_str value = trim((struct mh_str){ colon + 1, line.len - name.len - 1 });
		if (memchr(value.ptr, '\0', value.len) != NULL)
			return fail(err, "A part of the form has a NUL byte in a header.");
		if (name.len == 19 && strncasecmp(name.ptr, "content-disposition", 19) == 0) {
			if (disposition)
				return fail(err, "A part of the form has two Content-Disposition headers.");
			disposition = true;
			struct mh_str params;
			struct mh_str type = media_type(value, &params);
			if (!(type.len == 9 && strncasecmp(type.ptr, "form-data", 9) == 0))
				return fail(err, "A part of the form is not form-data.");
			struct mh_str k, v;
			while (trim(params).len > 0) {
				if (!next_param(a, &params, &k, &v))
					return fail(err, "A part of the form has a malformed Content-Disposition.");
				if (k.len == 4 && strncasecmp(k.ptr, "name", 4) == 0) {
					p->name = v;
				} else if (k.len == 8 && strncasecmp(k.ptr, "filename", 8) == 0) {
					p->filename = v;
					p->has_filename = true;
				} /* filename* and others: RFC 7578 says to ignore them */
			}
		} else if (name.len == 12 && strncasecmp(name.ptr, "content-type", 12) == 0) {
			p->content_type = value;
		} /* other headers (Content-Transfer-Encoding is deprecated) are ignored */
	}
	if (!disposition || p->name.len == 0)
		return fail(err, "A part of the form has no field name (Content-Disposition: form-data; name=...).");
	return true;
}

bool mh_http_parse_multipart(struct mh_arena *a, struct mh_str boundary, struct mh_str body, size_t max_parts,
			     struct mh_http_part **out, size_t *n, const char **err)
{
	*out = NULL;
	*n = 0;
	*err = NULL;
	if (boundary.len == 0 || boundary.len > 70)
		return fail(err, "The form's boundary is missing or too long.");
	/* "\r\n--boundary"; the first one may also start the body */
	char *d = mh_arena_alloc(a, boundary.len + 5);
	memcpy(d, "\r\n--", 4);
	memcpy(d + 4, boundary.ptr, boundary.len);
	struct mh_str delim = { d, boundary.len + 4 };
	size_t i;
	if (body.len >= delim.len - 2 && memcmp(body.ptr, delim.ptr + 2, delim.len - 2) == 0) {
		i = delim.len - 2;
	} else {
		const char *first = find_delim(body, 0, delim);
		if (first == NULL)
			return fail(err, "The form data holds no part (its boundary never appears).");
		i = (size_t)(first - body.ptr) + delim.len; /* a preamble before it is ignored */
	}
	size_t cap = 8;
	struct mh_http_part *parts = MH_NEW_ARRAY(a, struct mh_http_part, cap);
	for (;;) {
		int r = after_delim(body, &i);
		if (r < 0)
			return fail(err, "The form data has a malformed boundary line.");
		if (r == 0)
			break; /* the closing delimiter; an epilogue after it is ignored */
		if (*n == max_parts)
			return fail(err, "The form has too many parts.");
		if (*n == cap) {
			struct mh_http_part *bigger = MH_NEW_ARRAY(a, struct mh_http_part, cap * 2);
			memcpy(bigger, parts, sizeof *parts * cap);
			parts = bigger, cap *= 2;
		}
		struct mh_http_part *p = &parts[*n];
		*p = (struct mh_http_part){ .content_type = MH_STR("text/plain") };
		if (!part_headers(a, body, &i, p, err))
			return false;
		const char *end = find_delim(body, i, delim);
		if (end == NULL)
			return fail(err, "The form data ends before its closing boundary (was the upload cut off?).");
		p->data = (struct mh_str){ body.ptr + i, (size_t)(end - (body.ptr + i)) };
		i = (size_t)(end - body.ptr) + delim.len;
		(*n)++;
	}
	*out = parts;
	return true;
}
