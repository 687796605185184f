/*
 * util/buf.c: the growable byte buffer. Allocation failure aborts: a server
 * that cannot get a few kilobytes has no useful way to go on.
 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mh_buf_reserve(struct mh_buf *b, size_t extra)
{
	/* +1 keeps room for the NUL mh_buf_cstr() adds. */
	MH_ASSERT(extra < SIZE_MAX - b->len - 1);
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->ptr, cap);
	MH_ASSERT(p != NULL);
	b->ptr = p;
	b->cap = cap;
}

void mh_buf_append(struct mh_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	mh_buf_reserve(b, n);
	memcpy(b->ptr + b->len, p, n);
	b->len += n;
}

void mh_buf_append_str(struct mh_buf *b, struct mh_str s)
{
	mh_buf_append(b, s.ptr, s.len);
}

void mh_buf_append_c(struct mh_buf *b, const char *s)
{
	if (s)
		mh_buf_append(b, s, strlen(s));
}

void mh_buf_append_ch(struct mh_buf *b, char c)
{
	mh_buf_reserve(b, 1);
	b->ptr[b->len++] = c;
}

void mh_buf_append_i64(struct mh_buf *b, int64_t v)
{
	char d[24];
	size_t n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		d[sizeof d - ++n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		d[sizeof d - ++n] = '-';
	mh_buf_append(b, d + sizeof d - n, n);
}

void mh_buf_vprintf(struct mh_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	mh_buf_reserve(b, 64);
	int n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	MH_ASSERT(n >= 0);
	if ((size_t)n >= b->cap - b->len) {
		mh_buf_reserve(b, (size_t)n);
		int m = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
		MH_ASSERT(m == n);
	}
	b->len += (size_t)n;
}

void mh_buf_printf(struct mh_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mh_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *mh_buf_cstr(struct mh_buf *b)
{
	mh_buf_reserve(b, 0);
	b->ptr[b->len] = '\0';
	return b->ptr;
}

struct mh_str mh_buf_str(const struct mh_buf *b)
{
	return (struct mh_str){ b->ptr ? b->ptr : "", b->len };
}

void mh_buf_reset(struct mh_buf *b)
{
	b->len = 0;
}

void mh_buf_free(struct mh_buf *b)
{
	free(b->ptr);
	*b = MH_BUF_INIT;
}
