/*
 * util/arena.c: per-request bump allocator. Small allocations share the
 * current chunk; large ones get a chunk of their own, linked behind the
 * current one so the space left in it is not wasted. Destructors registered
 * with mh_arena_defer() run newest first, while all arena memory is still
 * valid, so a destructor may use objects allocated after it.
 * An arena is used by one thread at a time; it does no locking.
 *
 * Reuse: mh_arena_reset() empties an arena but keeps its normal-sized chunks
 * for the next user (the HTTP engine keeps one reset arena per worker
 * thread), so a request allocates no memory from malloc in the common case.
 * Chunks come from malloc, not calloc: mh_arena_alloc() zeroes only the
 * bytes it hands out, and mh_arena_alloc_raw() (strings, copies: bytes about
 * to be written) zeroes nothing. Under AddressSanitizer every byte of a
 * chunk not handed out is poisoned (a fresh chunk, and a kept one once its
 * arena is reset), so a use after reset or past the end of an allocation
 * into the unused rest of a chunk is reported as it would be with malloc.
 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1 /* clang's way of saying it */
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_ALIGN 16
#define ARENA_CHUNK 8192 /* usable bytes of a normal chunk */
#define ARENA_LARGE (ARENA_CHUNK / 4)
#define ARENA_KEEP 32 /* normal chunks a reset arena keeps (256 KiB) */

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
	struct arena_chunk *spare;  /* normal chunks kept by a reset, unused */
	struct arena_defer *defers; /* newest first */
};

static struct arena_chunk *chunk_new(size_t size)
{
	MH_ASSERT(size < SIZE_MAX - sizeof(struct arena_chunk));
	struct arena_chunk *c = malloc(sizeof *c + size);
	MH_ASSERT(c != NULL);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	POISON(c->data, size);
	return c;
}

static void chunk_free(struct arena_chunk *c)
{
	/* free() of a poisoned block is fine for ASan, but the allocator's
	 * own bookkeeping must not trip over it: unpoison first */
	UNPOISON(c->data, c->size);
	free(c);
}

/* A normal chunk: a kept one if there is one, else a new one. */
static struct arena_chunk *chunk_take(struct mh_arena *a)
{
	struct arena_chunk *c = a->spare;
	if (c == NULL)
		return chunk_new(ARENA_CHUNK);
	a->spare = c->next;
	c->next = NULL;
	c->used = 0;
	return c;
}

struct mh_arena *mh_arena_new(void)
{
	struct mh_arena *a = calloc(1, sizeof *a);
	MH_ASSERT(a != NULL);
	a->chunks = chunk_new(ARENA_CHUNK);
	return a;
}

static void run_defers(struct mh_arena *a)
{
	/* A destructor may defer another; keep going until the list is empty. */
	while (a->defers) {
		struct arena_defer *d = a->defers;
		a->defers = d->next;
		d->fn(d->arg);
	}
}

void mh_arena_reset(struct mh_arena *a)
{
	run_defers(a);
	size_t kept = 0;
	for (struct arena_chunk *c = a->spare; c != NULL; c = c->next)
		kept++;
	struct arena_chunk *c = a->chunks;
	while (c) {
		struct arena_chunk *next = c->next;
		if (c->size == ARENA_CHUNK && kept < ARENA_KEEP) {
			POISON(c->data, c->size);
			c->used = 0;
			c->next = a->spare;
			a->spare = c;
			kept++;
		} else {
			chunk_free(c);
		}
		c = next;
	}
	a->chunks = chunk_take(a);
}

void mh_arena_free(struct mh_arena *a)
{
	if (!a)
		return;
	run_defers(a);
	for (int list = 0; list < 2; list++) {
		struct arena_chunk *c = list == 0 ? a->chunks : a->spare;
		while (c) {
			struct arena_chunk *next = c->next;
			chunk_free(c);
			c = next;
		}
	}
	free(a);
}

void *mh_arena_alloc_raw(struct mh_arena *a, size_t n)
{
	MH_ASSERT(n < SIZE_MAX / 2);
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN; /* distinct, valid pointers for n == 0 */
	struct arena_chunk *cur = a->chunks;
	void *p;
	if (cur->size - cur->used >= need) {
		p = cur->data + cur->used;
		cur->used += need;
	} else if (need > ARENA_LARGE) {
		struct arena_chunk *big = chunk_new(need);
		big->used = need;
		big->next = cur->next;
		cur->next = big;
		p = big->data;
	} else {
		struct arena_chunk *c = chunk_take(a);
		c->used = need;
		c->next = cur;
		a->chunks = c;
		p = c->data;
	}
	UNPOISON(p, n > 0 ? n : 1);
	return p;
}

void *mh_arena_alloc(struct mh_arena *a, size_t n)
{
	void *p = mh_arena_alloc_raw(a, n);
	memset(p, 0, n);
	return p;
}

char *mh_arena_strndup(struct mh_arena *a, const char *s, size_t n)
{
	char *p = mh_arena_alloc_raw(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *mh_arena_strdup(struct mh_arena *a, const char *s)
{
	return s ? mh_arena_strndup(a, s, strlen(s)) : NULL;
}

struct mh_str mh_arena_str(struct mh_arena *a, struct mh_str s)
{
	return (struct mh_str){ mh_arena_strndup(a, s.ptr, s.len), s.len };
}

char *mh_arena_concat(struct mh_arena *a, const char *const *parts, size_t n)
{
	size_t len = 0;
	size_t lens[8];
	MH_ASSERT(n <= sizeof lens / sizeof lens[0]);
	for (size_t i = 0; i < n; i++)
		len += lens[i] = parts[i] != NULL ? strlen(parts[i]) : 0;
	char *p = mh_arena_alloc_raw(a, len + 1), *d = p;
	for (size_t i = 0; i < n; i++) {
		memcpy(d, parts[i] != NULL ? parts[i] : "", lens[i]);
		d += lens[i];
	}
	*d = '\0';
	return p;
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
	char *p = mh_arena_alloc_raw(a, (size_t)n + 1);
	if ((size_t)n < sizeof tmp)
		memcpy(p, tmp, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void mh_arena_defer(struct mh_arena *a, void (*fn)(void *), void *arg)
{
	MH_ASSERT(fn != NULL);
	struct arena_defer *d = mh_arena_alloc_raw(a, sizeof *d);
	d->fn = fn;
	d->arg = arg;
	d->next = a->defers;
	a->defers = d;
}
