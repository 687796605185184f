/*
 * Fuzz target for date parsing (mh_time_parse). Whatever it accepts must
 * survive a round trip: formatting the result as RFC 3339 and parsing that
 * gives the same instant. A zone with summer time exercises the local path.
 */
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static bool zone_set;
	if (!zone_set) {
		MH_ASSERT(mh_time_set_zone("Europe/Berlin") || mh_time_set_zone("UTC"));
		zone_set = true;
	}
	int64_t t;
	if (!mh_time_parse((struct mh_str){ (const char *)d, n }, &t))
		return 0;
	struct mh_buf b = MH_BUF_INIT;
	mh_time_rfc3339(&b, t);
	int64_t again;
	MH_ASSERT(mh_time_parse(mh_buf_str(&b), &again));
	MH_ASSERT(again == t);
	mh_buf_free(&b);
	return 0;
}
