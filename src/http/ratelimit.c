/*
 * In-memory rate limits: a token bucket per key (a client address hash, an
 * account), in a fixed table so that memory does not grow with the number
 * of strangers. The table is 4-way set-associative: a key hashes to one set
 * of four entries; a new key takes an empty entry, else the one with the
 * most tokens (the least limited), so that a flood of new keys cannot push
 * out a key that is being held back. Sets are guarded by striped mutexes:
 * threads contend only when they hit the same stripe.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "http/http.h"

#define WAYS 4
#define STRIPES 64

struct entry {
	uint64_t hash;    /* 0 = empty */
	double tokens;    /* at last_us */
	int64_t last_us;
};

struct mh_ratelimit {
	double rate_us; /* tokens per microsecond */
	double burst;
	size_t n_sets;
	struct entry *entries; /* n_sets * WAYS */
	pthread_mutex_t locks[STRIPES];
};

struct mh_ratelimit *mh_ratelimit_new(size_t keys, double per_second, double burst)
{
	MH_ASSERT(per_second > 0 && burst >= 1);
	struct mh_ratelimit *rl = calloc(1, sizeof *rl);
	MH_ASSERT(rl != NULL);
	rl->n_sets = keys / WAYS < 1 ? 1 : keys / WAYS;
	rl->entries = calloc(rl->n_sets * WAYS, sizeof *rl->entries);
	MH_ASSERT(rl->entries != NULL);
	rl->rate_us = per_second / 1e6;
	rl->burst = burst;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&rl->locks[i], NULL);
	return rl;
}

void mh_ratelimit_free(struct mh_ratelimit *rl)
{
	if (rl == NULL)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&rl->locks[i]);
	free(rl->entries);
	free(rl);
}

static double refill(const struct mh_ratelimit *rl, const struct entry *e, int64_t now_us)
{
	double t = e->tokens + (double)(now_us - e->last_us) * rl->rate_us;
	return now_us < e->last_us ? e->tokens : (t > rl->burst ? rl->burst : t);
}

bool mh_ratelimit_take(struct mh_ratelimit *rl, struct mh_str key, int64_t now_us, int *retry_after_s)
{
	uint64_t h = XXH3_64bits(key.ptr, key.len);
	if (h == 0)
		h = 1;
	size_t set = (size_t)(h % rl->n_sets);
	pthread_mutex_t *lock = &rl->locks[set % STRIPES];
	struct entry *ways = &rl->entries[set * WAYS];
	pthread_mutex_lock(lock);
	struct entry *e = NULL, *victim = NULL;
	double victim_tokens = -1;
	for (int i = 0; i < WAYS; i++) {
		if (ways[i].hash == h) {
			e = &ways[i];
			break;
		}
		double t = ways[i].hash == 0 ? rl->burst + 1 : refill(rl, &ways[i], now_us);
		if (t > victim_tokens)
			victim = &ways[i], victim_tokens = t;
	}
	if (e == NULL) {
		e = victim;
		*e = (struct entry){ .hash = h, .tokens = rl->burst, .last_us = now_us };
	}
	e->tokens = refill(rl, e, now_us);
	e->last_us = now_us > e->last_us ? now_us : e->last_us;
	bool ok = e->tokens >= 1;
	if (ok) {
		e->tokens -= 1;
	} else if (retry_after_s != NULL) {
		double wait_us = (1 - e->tokens) / rl->rate_us;
		int s = (int)(wait_us / 1e6) + 1;
		*retry_after_s = s < 1 ? 1 : s;
	}
	pthread_mutex_unlock(lock);
	return ok;
}
