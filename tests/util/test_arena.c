/* The arena: alignment, zeroing, large blocks, strings, LIFO destructors. */
#include "helpers.h"

Test(arena, aligned_and_zeroed)
{
	struct mh_arena *a = mh_arena_new();
	for (size_t n = 0; n < 3000; n += 7) {
		unsigned char *p = mh_arena_alloc(a, n);
		cr_assert_not_null(p);
		cr_assert_eq((uintptr_t)p % 16, 0, "size %zu not 16-aligned", n);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(p[i], 0);
		memset(p, 0xAB, n); /* ASan flags an overrun into a neighbour */
	}
	mh_arena_free(a);
}

Test(arena, distinct_pointers_even_for_zero)
{
	struct mh_arena *a = mh_arena_new();
	void *p = mh_arena_alloc(a, 0), *q = mh_arena_alloc(a, 0);
	cr_assert_neq(p, q);
	mh_arena_free(a);
}

Test(arena, large_allocations_keep_small_ones_going)
{
	struct mh_arena *a = mh_arena_new();
	char *small1 = mh_arena_alloc(a, 10);
	char *big = mh_arena_alloc(a, 1 << 20);
	char *small2 = mh_arena_alloc(a, 10);
	cr_assert_eq((uintptr_t)big % 16, 0);
	memset(big, 1, 1 << 20);
	/* the small ones still come from the same chunk, next to each other */
	cr_assert_eq(small2 - small1, 16);
	cr_assert_eq(small2[0], 0);
	mh_arena_free(a);
}

Test(arena, many_chunks)
{
	struct mh_arena *a = mh_arena_new();
	char *prev = NULL;
	for (int i = 0; i < 10000; i++) {
		char *p = mh_arena_alloc(a, 100);
		p[99] = (char)i;
		cr_assert_neq(p, prev);
		prev = p;
	}
	mh_arena_free(a);
}

Test(arena, strings)
{
	struct mh_arena *a = mh_arena_new();
	cr_assert_str_eq(mh_arena_strdup(a, "hello"), "hello");
	cr_assert_null(mh_arena_strdup(a, NULL));
	cr_assert_str_eq(mh_arena_strndup(a, "hello", 3), "hel");
	struct mh_str s = mh_arena_str(a, (struct mh_str){ "abcdef", 2 });
	cr_assert_eq(s.len, 2);
	cr_assert_str_eq(s.ptr, "ab");
	cr_assert_str_eq(mh_arena_printf(a, "%s-%d", "x", 42), "x-42");
	char *longp = mh_arena_printf(a, "%05000d", 3);
	cr_assert_eq(strlen(longp), 5000);
	mh_arena_free(a);
}

static char order[16];
static size_t order_len;
static void record(void *arg)
{
	order[order_len++] = *(char *)arg;
}

Test(arena, defer_runs_lifo)
{
	static char x = 'a', y = 'b', z = 'c';
	struct mh_arena *a = mh_arena_new();
	mh_arena_defer(a, record, &x);
	mh_arena_defer(a, record, &y);
	mh_arena_defer(a, record, &z);
	cr_assert_eq(order_len, 0);
	mh_arena_free(a);
	order[order_len] = '\0';
	cr_assert_str_eq(order, "cba");
}

/* A destructor may still read arena memory (e.g. a struct describing the
 * resource), since chunks are freed after all destructors ran. */
static void read_arena_memory(void *arg)
{
	order[order_len++] = ((char *)arg)[0];
}

Test(arena, defer_sees_live_memory)
{
	struct mh_arena *a = mh_arena_new();
	char *s = mh_arena_strdup(a, "q");
	mh_arena_defer(a, read_arena_memory, s);
	mh_arena_alloc(a, 100000);
	order_len = 0;
	mh_arena_free(a);
	cr_assert_eq(order_len, 1);
	cr_assert_eq(order[0], 'q');
}

Test(arena, free_null_is_noop)
{
	mh_arena_free(NULL);
}

Test(arena, new_macros)
{
	struct pt {
		int x, y;
	};
	struct mh_arena *a = mh_arena_new();
	struct pt *p = MH_NEW(a, struct pt);
	cr_assert_eq(p->x, 0);
	struct pt *arr = MH_NEW_ARRAY(a, struct pt, 50);
	arr[49].y = 3;
	cr_assert_eq(arr[48].y, 0);
	mh_arena_free(a);
}

/* ---- reuse (mh_arena_reset): what the HTTP engine does between requests ---- */

#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

static int deferred_runs;
static void count_run(void *arg)
{
	(void)arg;
	deferred_runs++;
}

Test(arena, reset_runs_destructors_and_reuses_its_chunks)
{
	struct mh_arena *a = mh_arena_new();
	deferred_runs = 0;
	unsigned char *first = mh_arena_alloc(a, 1000);
	mh_arena_defer(a, count_run, NULL);
	/* fill several chunks, as a big page does */
	for (int i = 0; i < 40; i++)
		memset(mh_arena_alloc_raw(a, 1000), 0xAB, 1000);
	mh_arena_reset(a);
	cr_assert_eq(deferred_runs, 1, "the destructor ran at the reset");
	/* the chunks come back: the next allocations are in memory the arena
	 * already had, and what mh_arena_alloc hands out is zeroed again */
	bool reused = false;
	for (int i = 0; i < 40; i++) {
		unsigned char *p = mh_arena_alloc(a, 1000);
		for (int k = 0; k < 1000; k++)
			cr_assert_eq(p[k], 0, "byte %d of a reused block is not zero", k);
		reused = reused || p == first;
	}
	cr_assert(reused, "a reset arena bumps its kept chunks again");
	mh_arena_reset(a);
	char *s = mh_arena_strndup(a, "abc", 3);
	cr_assert_str_eq(s, "abc", "NUL-terminated in a dirty chunk");
	cr_assert_str_eq(MH_ARENA_CONCAT(a, "/articles/", "x", NULL, "-y"), "/articles/x-y");
	mh_arena_free(a);
	cr_assert_eq(deferred_runs, 1, "nothing left to run at the free");
}

#if defined(__SANITIZE_ADDRESS__)
/* Under ASan a reset arena is poisoned: a pointer kept from before the
 * reset (a use after the request ended) is reported, and so is a read past
 * an allocation into the unused rest of its chunk. */
Test(arena, asan_sees_use_after_reset_and_overruns)
{
	struct mh_arena *a = mh_arena_new();
	unsigned char *p = mh_arena_alloc(a, 32);
	cr_assert(!__asan_address_is_poisoned(p + 31), "the allocation itself is usable");
	cr_assert(__asan_address_is_poisoned(p + 48), "past it, the unused chunk is poisoned");
	mh_arena_reset(a);
	cr_assert(__asan_address_is_poisoned(p), "after the reset the old memory is poisoned");
	cr_assert(__asan_region_is_poisoned(p, 32) != NULL);
	mh_arena_free(a);
}
#endif
