/* In-memory rate limits: the bucket's arithmetic on a clock the test moves,
 * the fixed table under a flood of keys, and threads taking from one key. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>

#include "http/http.h"

#define SEC 1000000LL

Test(ratelimit, burst_then_rate)
{
	struct mh_ratelimit *rl = mh_ratelimit_new(1024, 1.0 / 60, 5); /* 5 at once, then one a minute */
	int retry = 0;
	for (int i = 0; i < 5; i++)
		cr_assert(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 100 * SEC, &retry), "take %d", i);
	cr_assert_not(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 100 * SEC, &retry));
	cr_assert_eq(retry, 61, "retry %d", retry); /* 60 s for the next token, rounded up */
	/* others are not affected */
	cr_assert(mh_ratelimit_take(rl, MH_STR("10.0.0.2"), 100 * SEC, NULL));
	/* 30 s later still no token; 60 s later one */
	cr_assert_not(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 130 * SEC, &retry));
	cr_assert_eq(retry, 31, "retry %d", retry);
	cr_assert(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 160 * SEC, NULL));
	cr_assert_not(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 160 * SEC, NULL));
	/* after a long pause the bucket is full again, not fuller */
	for (int i = 0; i < 5; i++)
		cr_assert(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 100000 * SEC, NULL));
	cr_assert_not(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 100000 * SEC, NULL));
	/* a clock going backwards refills nothing */
	cr_assert_not(mh_ratelimit_take(rl, MH_STR("10.0.0.1"), 99000 * SEC, NULL));
	mh_ratelimit_free(rl);
}

Test(ratelimit, a_flood_of_new_keys_does_not_free_a_held_key)
{
	struct mh_ratelimit *rl = mh_ratelimit_new(64, 1.0, 3);
	for (int i = 0; i < 3; i++)
		cr_assert(mh_ratelimit_take(rl, MH_STR("attacker"), 0, NULL));
	cr_assert_not(mh_ratelimit_take(rl, MH_STR("attacker"), 0, NULL));
	char k[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(k, sizeof k, "fresh-%d", i);
		mh_ratelimit_take(rl, mh_str_c(k), 0, NULL);
	}
	/* still limited: fresh keys evicted one another, not the held one */
	cr_assert_not(mh_ratelimit_take(rl, MH_STR("attacker"), 0, NULL));
	mh_ratelimit_free(rl);
}

struct worker {
	struct mh_ratelimit *rl;
	int allowed;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 10000; i++)
		if (mh_ratelimit_take(w->rl, MH_STR("shared"), 5 * SEC, NULL))
			w->allowed++;
	return NULL;
}

Test(ratelimit, threads_share_one_bucket_exactly)
{
	/* the clock stands still, so exactly `burst` takes succeed in total */
	struct mh_ratelimit *rl = mh_ratelimit_new(1024, 0.001, 100);
	struct worker w[4] = { { rl, 0 }, { rl, 0 }, { rl, 0 }, { rl, 0 } };
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, &w[i]);
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += w[i].allowed;
	}
	cr_assert_eq(total, 100);
	mh_ratelimit_free(rl);
}
