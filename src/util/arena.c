/*
 * util/arena.c: per-request bump allocator. Memory comes from calloc'd
 * chunks, so every allocation is zeroed without a memset. Small allocations
 * share the current chunk; large ones get a chunk of their own, linked behind
 * the current one so the space left in it is not wasted. Destructors
 * registered with mh_arena_defer() run newest first, while all arena memory
 * is still valid, so a destructor may use objects allocated after it.
 * An arena is used by one thread at a time; it does no locking.
 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_CHUNK 8192 /* usable bytes of a normal chunk */
#define ARENA_LARGE (ARENA_CHUNK / 4)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_defer {
	struct arena_defer *next;
	void (*fn)(void *);
	void *arg;
};

struct mh_arena {
	struct arena_chunk *chunks; /* head is the one being bumped */
	struct arena_defer *defers; /* newest first */
};

static struct arena_chunk *chunk_new(size_t size)
{
	MH_ASSERT(size < SIZE_MAX - sizeof(struct arena_chunk));
	struct arena_chunk *c = calloc(1, sizeof *c + size);
	MH_ASSERT(c != NULL);
	c->size = size;
	return c;
}

struct mh_arena *mh_arena_new(void)
{
	struct mh_arena *a = calloc(1, sizeof *a);
	MH_ASSERT(a != NULL);
	a->chunks = chunk_new(ARENA_CHUNK);
	return a;
}

void mh_arena_free(struct mh_arena *a)
{
	if (!a)
		return;
	/* A destructor may defer another; keep going until the list is empty. */
	while (a->defers) {
		struct arena_defer *d = a->defers;
		a->defers = d->next;
		d->fn(d->arg);
	}
	struct arena_chunk *c = a->chunks;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(a);
}

void *mh_arena_alloc(struct mh_arena *a, size_t n)
{
	MH_ASSERT(n < SIZE_MAX / 2);
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN; /* distinct, valid pointers for n == 0 */
	struct arena_chunk *cur = a->chunks;
	if (cur->size - cur->used >= need) {
		void *p = cur->data + cur->used;
		cur->used += need;
		return p;
	}
	if (need > ARENA_LARGE) {
		struct arena_chunk *big = chunk_new(need);
		big->used = need;
		big->next = cur->next;
		cur->next = big;
		return big->data;
	}
	struct arena_chunk *c = chunk_new(ARENA_CHUNK);
	c->used = need;
	c->next = cur;
	a->chunks = c;
	return c->data;
}

char *mh_arena_strndup(struct mh_arena *a, const char *s, size_t n)
{
	char *p = mh_arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	return p; /* already NUL-terminated: arena memory is zeroed */
}

char *mh_arena_strdup(struct mh_arena *a, const char *s)
{
	return s ? mh_arena_strndup(a, s, strlen(s)) : NULL;
}

struct mh_str mh_arena_str(struct mh_arena *a, struct mh_str s)
{
	return (struct mh_str){ mh_arena_strndup(a, s.ptr, s.len), s.len };
}

char *mh_arena_printf(struct mh_arena *a, const char *fmt, ...)
{
	/* Most results are short: format on the stack, copy once. */
	char tmp[256];
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	MH_ASSERT(n >= 0);
	char *p = mh_arena_alloc(a, (size_t)n + 1);
	if ((size_t)n < sizeof tmp)
		memcpy(p, tmp, (size_t)n);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void mh_arena_defer(struct mh_arena *a, void (*fn)(void *), void *arg)
{
	MH_ASSERT(fn != NULL);
	struct arena_defer *d = mh_arena_alloc(a, sizeof *d);
	d->fn = fn;
	d->arg = arg;
	d->next = a->defers;
	a->defers = d;
}
