/*
 * http/parse.c: the pure parsers of request text the engine hands to
 * handlers — query strings and forms, Cookie headers, Accept-Encoding and
 * If-None-Match — plus the status reason table. No libh2o here: each
 * parser takes (buf, len) and is fuzzed on its own (fuzz/fuzz_*.c).
 *
 * Leniency: browsers and bots send odd bytes. A malformed item is skipped
 * and reported through the return value, so one bad cookie set by some other
 * script on the same domain does not hide the session cookie next to it.
 */
#include "http/http.h"

#include <string.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct mh_str trim_ows(struct mh_str s)
{
	while (s.len > 0 && is_ows(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len > 0 && is_ows(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

/* Next item of a `sep`-separated list; false when the input is used up. */
static bool next_item(struct mh_str *rest, char sep, struct mh_str *item)
{
	if (rest->len == 0)
		return false;
	const char *end = memchr(rest->ptr, sep, rest->len);
	size_t n = end ? (size_t)(end - rest->ptr) : rest->len;
	*item = (struct mh_str){ rest->ptr, n };
	if (end) {
		rest->ptr += n + 1;
		rest->len -= n + 1;
	} else {
		rest->ptr += n;
		rest->len = 0;
	}
	return true;
}

bool mh_http_parse_urlencoded(struct mh_arena *a, struct mh_str in,
			      bool (*cb)(struct mh_str name, struct mh_str value, void *arg), void *arg)
{
	bool ok = true;
	struct mh_str rest = in, pair;
	if (rest.ptr == NULL)
		return true;
	while (next_item(&rest, '&', &pair)) {
		if (pair.len == 0)
			continue; /* "a=1&&b=2" */
		const char *eq = memchr(pair.ptr, '=', pair.len);
		struct mh_str rname = pair, rvalue = MH_STR("");
		if (eq) {
			rname.len = (size_t)(eq - pair.ptr);
			rvalue = (struct mh_str){ eq + 1, pair.len - rname.len - 1 };
		}
		struct mh_str name, value;
		if (!mh_url_decode(a, rname, true, &name) || !mh_url_decode(a, rvalue, true, &value)) {
			ok = false;
			continue;
		}
		if (!cb(name, value, arg))
			return ok;
	}
	return ok;
}

bool mh_http_parse_cookies(struct mh_arena *a, struct mh_str in,
			   bool (*cb)(struct mh_str name, struct mh_str value, void *arg), void *arg)
{
	(void)a; /* cookie values are passed on as sent: RFC 6265 defines no decoding */
	bool ok = true;
	struct mh_str rest = in, pair;
	if (rest.ptr == NULL)
		return true;
	while (next_item(&rest, ';', &pair)) {
		pair = trim_ows(pair);
		if (pair.len == 0)
			continue;
		const char *eq = memchr(pair.ptr, '=', pair.len);
		if (eq == NULL) {
			ok = false;
			continue;
		}
		struct mh_str name = trim_ows((struct mh_str){ pair.ptr, (size_t)(eq - pair.ptr) });
		struct mh_str value = trim_ows((struct mh_str){ eq + 1, pair.len - (size_t)(eq - pair.ptr) - 1 });
		if (name.len == 0) {
			ok = false;
			continue;
		}
		if (value.len >= 2 && value.ptr[0] == '"' && value.ptr[value.len - 1] == '"') {
			value.ptr++;
			value.len -= 2;
		}
		if (!cb(name, value, arg))
			return ok;
	}
	return ok;
}

/* Parses a qvalue ("0", "0.5", "1.000"); *positive tells whether it is > 0. */
static bool parse_qvalue(struct mh_str v, bool *positive)
{
	if (v.len == 0 || v.len > 5 || (v.ptr[0] != '0' && v.ptr[0] != '1'))
		return false;
	bool nonzero = v.ptr[0] == '1';
	if (v.len > 1) {
		if (v.ptr[1] != '.')
			return false;
		for (size_t i = 2; i < v.len; i++) {
			if (v.ptr[i] < '0' || v.ptr[i] > '9')
				return false;
			if (v.ptr[i] != '0') {
				if (v.ptr[0] == '1')
					return false; /* "1.5" */
				nonzero = true;
			}
		}
	}
	*positive = nonzero;
	return true;
}

/*
 * One list element "coding;p=v;q=0.5": its coding name, and whether its
 * q is > 0. False if the element is malformed (then it is ignored).
 */
static bool parse_coding(struct mh_str elem, struct mh_str *coding, bool *accepted)
{
	struct mh_str rest = elem, part;
	bool first = true;
	*accepted = true;
	while (next_item(&rest, ';', &part)) {
		part = trim_ows(part);
		if (first) {
			if (part.len == 0)
				return false;
			*coding = part;
			first = false;
			continue;
		}
		const char *eq = memchr(part.ptr, '=', part.len);
		if (eq == NULL)
			return false;
		struct mh_str pname = trim_ows((struct mh_str){ part.ptr, (size_t)(eq - part.ptr) });
		struct mh_str pval = trim_ows((struct mh_str){ eq + 1, part.len - (size_t)(eq - part.ptr) - 1 });
		if (mh_str_case_eq_c(pname, "q") && !parse_qvalue(pval, accepted))
			return false;
	}
	return !first;
}

bool mh_http_accepts_encoding(struct mh_str accept_encoding, const char *coding)
{
	/* explicit: the coding was listed; star: "*" was listed */
	bool explicit = false, explicit_ok = false, star = false, star_ok = false;
	struct mh_str rest = accept_encoding, elem;
	if (rest.ptr == NULL)
		rest = MH_STR("");
	while (next_item(&rest, ',', &elem)) {
		struct mh_str name;
		bool ok;
		if (!parse_coding(elem, &name, &ok))
			continue;
		if (mh_str_case_eq_c(name, coding)) {
			explicit = true;
			explicit_ok = ok;
		} else if (mh_str_eq_c(name, "*")) {
			star = true;
			star_ok = ok;
		}
	}
	if (explicit)
		return explicit_ok;
	if (star)
		return star_ok;
	/* RFC 9110 12.5.3: identity is acceptable unless excluded. */
	return strcmp(coding, "identity") == 0;
}

/* The next entity-tag of an If-None-Match list, without any W/ prefix. */
static bool next_etag(struct mh_str *rest, struct mh_str *tag)
{
	for (;;) {
		while (rest->len > 0 && (is_ows(rest->ptr[0]) || rest->ptr[0] == ',')) {
			rest->ptr++;
			rest->len--;
		}
		if (rest->len == 0)
			return false;
		if (rest->len >= 2 && rest->ptr[0] == 'W' && rest->ptr[1] == '/') {
			rest->ptr += 2;
			rest->len -= 2;
		}
		if (rest->len > 0 && rest->ptr[0] == '"') {
			const char *close = memchr(rest->ptr + 1, '"', rest->len - 1);
			if (close) {
				size_t n = (size_t)(close - rest->ptr) + 1;
				*tag = (struct mh_str){ rest->ptr, n };
				rest->ptr += n;
				rest->len -= n;
				return true;
			}
		}
		/* Malformed (unquoted or unterminated): skip to the next comma. */
		const char *comma = memchr(rest->ptr, ',', rest->len);
		size_t n = comma ? (size_t)(comma - rest->ptr) : rest->len;
		rest->ptr += n;
		rest->len -= n;
	}
}

bool mh_http_etag_matches(struct mh_str if_none_match, struct mh_str etag)
{
	if (if_none_match.ptr == NULL || etag.ptr == NULL || etag.len == 0)
		return false;
	if (etag.len >= 2 && etag.ptr[0] == 'W' && etag.ptr[1] == '/') {
		etag.ptr += 2;
		etag.len -= 2;
	}
	if (mh_str_eq_c(trim_ows(if_none_match), "*"))
		return true;
	struct mh_str rest = if_none_match, tag;
	while (next_etag(&rest, &tag))
		if (mh_str_eq(tag, etag))
			return true;
	return false;
}

/* Digits only; false if there are none. A number too large for 64 bits
 * saturates at UINT64_MAX (it is then past any file's end). */
static bool parse_pos(struct mh_str s, uint64_t *out)
{
	if (s.len == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
		unsigned d = (unsigned)(s.ptr[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*out = v;
	return true;
}

enum mh_http_range mh_http_parse_range(struct mh_str range, uint64_t size, uint64_t *first, uint64_t *len)
{
	static const char unit[] = "bytes=";
	struct mh_str r = trim_ows(range);
	if (r.ptr == NULL || r.len < sizeof(unit) - 1 ||
	    !mh_str_case_eq_c((struct mh_str){ r.ptr, sizeof(unit) - 1 }, unit))
		return MH_RANGE_IGNORE;
	struct mh_str spec = trim_ows((struct mh_str){ r.ptr + sizeof(unit) - 1, r.len - (sizeof(unit) - 1) });
	if (memchr(spec.ptr, ',', spec.len) != NULL)
		return MH_RANGE_IGNORE; /* several ranges: the whole file */
	const char *dash = memchr(spec.ptr, '-', spec.len);
	if (dash == NULL)
		return MH_RANGE_IGNORE;
	struct mh_str a = trim_ows((struct mh_str){ spec.ptr, (size_t)(dash - spec.ptr) });
	struct mh_str b = trim_ows((struct mh_str){ dash + 1, spec.len - (size_t)(dash - spec.ptr) - 1 });
	uint64_t lo, hi;
	if (a.len == 0) {
		/* "-N": the last N bytes */
		if (!parse_pos(b, &hi))
			return MH_RANGE_IGNORE;
		if (hi == 0 || size == 0)
			return MH_RANGE_UNSATISFIABLE;
		*len = hi < size ? hi : size;
		*first = size - *len;
		return MH_RANGE_PART;
	}
	if (!parse_pos(a, &lo))
		return MH_RANGE_IGNORE;
	if (b.len == 0) {
		hi = UINT64_MAX; /* "N-": to the end */
	} else if (!parse_pos(b, &hi) || hi < lo) {
		return MH_RANGE_IGNORE; /* invalid: RFC 9110 says ignore it */
	}
	if (lo >= size)
		return MH_RANGE_UNSATISFIABLE;
	if (hi >= size)
		hi = size - 1;
	*first = lo;
	*len = hi - lo + 1;
	return MH_RANGE_PART;
}

void mh_http_head_framing(struct mh_str head, unsigned *content_length, unsigned *transfer_encoding)
{
	*content_length = *transfer_encoding = 0;
	struct mh_str rest = head, line;
	bool first = true;
	while (rest.len > 0) {
		const char *nl = memchr(rest.ptr, '\n', rest.len);
		line = (struct mh_str){ rest.ptr, nl != NULL ? (size_t)(nl - rest.ptr) : rest.len };
		rest.ptr += line.len + (nl != NULL);
		rest.len -= line.len + (nl != NULL);
		if (line.len > 0 && line.ptr[line.len - 1] == '\r')
			line.len--;
		if (first) { /* the request line */
			first = false;
			continue;
		}
		if (line.len == 0)
			break; /* end of the head */
		const char *colon = memchr(line.ptr, ':', line.len);
		if (colon == NULL)
			continue;
		struct mh_str name = { line.ptr, (size_t)(colon - line.ptr) };
		if (mh_str_case_eq_c(name, "content-length"))
			(*content_length)++;
		else if (mh_str_case_eq_c(name, "transfer-encoding"))
			(*transfer_encoding)++;
	}
}

const char *mh_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	if (status >= 100 && status < 200)
		return "Informational";
	if (status >= 200 && status < 300)
		return "Success";
	if (status >= 300 && status < 400)
		return "Redirection";
	if (status >= 400 && status < 500)
		return "Client Error";
	return "Server Error";
}
