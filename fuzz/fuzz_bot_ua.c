/*
 * fuzz/fuzz_bot_ua.c: User-Agent headers against the bot list
 * (mh_views_is_bot): one PCRE2 expression over any bytes a client sends,
 * which must answer, within the time limit, for every input.
 */
#include <stddef.h>
#include <stdint.h>

#include "audience/audience.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	(void)mh_views_is_bot((struct mh_str){ (const char *)d, n });
	return 0;
}
