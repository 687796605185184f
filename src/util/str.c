/*
 * util/str.c: length-carrying strings, number formatting and the abort path
 * for impossible states.
 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void mh_die(const char *file, int line, const char *what)
{
	/* No allocation here: we may be dying because memory ran out. */
	char msg[512];
	int n = snprintf(msg, sizeof msg, "%s:%d: assertion failed: %s\n", file, line, what);
	if (n > 0) {
		size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
		ssize_t w = write(STDERR_FILENO, msg, len);
		(void)w;
	}
	abort();
}

struct mh_str mh_str_c(const char *s)
{
	if (!s)
		return (struct mh_str){ "", 0 };
	return (struct mh_str){ s, strlen(s) };
}

bool mh_str_eq(struct mh_str a, struct mh_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool mh_str_eq_c(struct mh_str a, const char *c)
{
	return mh_str_eq(a, mh_str_c(c));
}

bool mh_str_has_prefix(struct mh_str s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && (n == 0 || memcmp(s.ptr, prefix, n) == 0);
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool mh_str_case_eq_c(struct mh_str a, const char *c)
{
	size_t n = c ? strlen(c) : 0;
	if (a.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(a.ptr[i]) != ascii_lower(c[i]))
			return false;
	return true;
}

/* Accepts an optional '-' then one or more digits, nothing else (no '+', no
 * spaces): ids in URLs must have exactly one spelling. */
bool mh_str_to_i64(struct mh_str s, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (s.len > 0 && s.ptr[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == s.len)
		return false;
	/* Accumulate as a negative number so INT64_MIN fits. */
	int64_t v = 0;
	for (; i < s.len; i++) {
		char ch = s.ptr[i];
		if (ch < '0' || ch > '9')
			return false;
		int d = ch - '0';
		if (v < (INT64_MIN + d) / 10)
			return false;
		v = v * 10 - d;
	}
	if (!neg) {
		if (v == INT64_MIN)
			return false;
		v = -v;
	}
	*out = v;
	return true;
}

void mh_format_thousands(struct mh_buf *b, int64_t n)
{
	char digits[24];
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
	int len = 0;
	do {
		digits[len++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		mh_buf_append_ch(b, '-');
	for (int i = len - 1; i >= 0; i--) {
		mh_buf_append_ch(b, digits[i]);
		if (i > 0 && i % 3 == 0)
			mh_buf_append_ch(b, ',');
	}
}
