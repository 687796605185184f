/* tests/util: small helpers shared by the util tests. */
#ifndef MH_TEST_UTIL_HELPERS_H
#define MH_TEST_UTIL_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

/* Runs an escaper over a C string and returns the result (static buffer
 * owned by the helper, valid until the next call). */
static inline const char *esc(void (*fn)(struct mh_buf *, struct mh_str), const char *in, size_t n)
{
	static struct mh_buf b;
	mh_buf_reset(&b);
	fn(&b, (struct mh_str){ in, n });
	return mh_buf_cstr(&b);
}
#define ESC(fn, lit) esc(fn, (lit), sizeof(lit) - 1)

#endif
