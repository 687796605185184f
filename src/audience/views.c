/*
 * audience/views.c: counting reads of articles.
 *
 * A beacon passes four gates, cheapest first: the address's rate limit
 * (http's token buckets), the prefetch headers, the bot list (one PCRE2
 * expression, JIT-compiled once, made from bots.txt), and the reader seen
 * within 30 minutes. What passes is added to its worker's table of
 * (article, hour) -> reads, which only that worker and the flusher touch
 * (a mutex each, contended once per flush). The flusher swaps every table
 * out, sums them and writes them with mh_store_views_add: increments in one
 * transaction, so several nodes add up exactly. Counts a failed write could
 * not store go back for the next flush.
 *
 * The "seen" table is a fixed set-associative table of (reader, article)
 * tags with the time of the first read, so memory does not grow with the
 * number of readers: under more distinct readers than it holds, the oldest
 * entry of a set is forgotten first (such a reader coming back is counted
 * again). Readers are hashed with a key derived (crypto_kdf) from the site
 * secret and the day number, so a tag says nothing about an address and
 * cannot be linked across days.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "audience/audience.h"
#include "http/http.h"
#include "store/store.h"

#define REPEAT_WINDOW_S (30 * 60)
#define SEEN_SETS 65536 /* x SEEN_WAYS entries of 16 bytes: 4 MiB */
#define SEEN_WAYS 4
#define SEEN_STRIPES 64
#define RATE_KEYS 65536
/* A worker's table never holds more (article, hour) pairs than this between
 * two flushes; beyond it reads are dropped (and logged once per flush):
 * memory stays bounded however many ids a flood makes up. */
#define MAX_PENDING (1u << 20)

extern const char *const mh_views_bot_patterns[];
extern const size_t mh_views_n_bot_patterns;

/* ---- the bot list ---- */

static pcre2_code *bot_re;
static pthread_once_t bot_once = PTHREAD_ONCE_INIT;

static void bot_compile(void)
{
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < mh_views_n_bot_patterns; i++) {
		if (i > 0)
			mh_buf_append_c(&b, "|");
		mh_buf_printf(&b, "(?:%s)", mh_views_bot_patterns[i]);
	}
	int code;
	PCRE2_SIZE off;
	bot_re = pcre2_compile((PCRE2_SPTR)b.ptr, b.len, PCRE2_CASELESS, &code, &off, NULL);
	/* the list is ours, checked by the unit tests: a pattern PCRE2 cannot
	 * read is a bug in the build, not an outside input */
	MH_ASSERT(bot_re != NULL);
	(void)pcre2_jit_compile(bot_re, PCRE2_JIT_COMPLETE); /* without JIT it still matches, slower */
	mh_buf_free(&b);
}

bool mh_views_is_bot(struct mh_str ua)
{
	if (ua.len == 0)
		return true; /* every browser sends one */
	pthread_once(&bot_once, bot_compile);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	MH_ASSERT(md != NULL);
	int rc = pcre2_match(bot_re, (PCRE2_SPTR)ua.ptr, ua.len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	/* an error (a match limit) counts as a bot: such a user agent is no browser's */
	return rc != PCRE2_ERROR_NOMATCH;
}

/* ---- per-worker counts ---- */

struct pending {
	pthread_mutex_t mu;
	struct mh_view_count *slots; /* open addressing; article_id 0 = empty */
	size_t cap, used;
	bool dropped; /* MAX_PENDING reached since the last flush */
	/* the reader key of the day, this worker's copy */
	int64_t key_day;
	unsigned char key[crypto_generichash_KEYBYTES];
};

struct seen_entry {
	uint64_t tag; /* 0 = empty */
	int64_t first_at;
};

struct mh_views {
	struct mh_views_settings set;
	int threads;
	struct pending *pending;
	struct seen_entry *seen; /* SEEN_SETS * SEEN_WAYS */
	pthread_mutex_t seen_locks[SEEN_STRIPES];
	struct mh_ratelimit *rate;
	unsigned char master[crypto_kdf_KEYBYTES];
	struct mh_store *store; /* the flusher's (and mh_views_flush's) */
	pthread_mutex_t flush_mu; /* one flush at a time; guards store */
	struct mh_view_count *carry; /* what a failed flush keeps for the next */
	size_t n_carry;
	pthread_t thread;
	bool started;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stop;
};

const char *mh_view_verdict_name(enum mh_view_verdict v)
{
	static const char *const names[] = { "counted", "bot", "prefetch", "repeat", "limited", "invalid", "off" };
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

static size_t slot_of(int64_t id, int64_t hour, size_t cap)
{
	uint64_t k[2] = { (uint64_t)id, (uint64_t)hour };
	return (size_t)(XXH3_64bits(k, sizeof k) & (cap - 1));
}

/* Adds n reads of (id, hour) to p (p->mu held). False when full. */
static bool pending_add(struct pending *p, int64_t id, int64_t hour, int64_t n)
{
	if (p->used + 1 > p->cap / 2) {
		if (p->cap >= 2 * (size_t)MAX_PENDING)
			return false;
		size_t ncap = p->cap == 0 ? 64 : p->cap * 2;
		struct mh_view_count *ns = calloc(ncap, sizeof *ns);
		MH_ASSERT(ns != NULL);
		for (size_t i = 0; i < p->cap; i++) {
			if (p->slots[i].article_id == 0)
				continue;
			size_t j = slot_of(p->slots[i].article_id, p->slots[i].hour, ncap);
			while (ns[j].article_id != 0)
				j = (j + 1) & (ncap - 1);
			ns[j] = p->slots[i];
		}
		free(p->slots);
		p->slots = ns;
		p->cap = ncap;
	}
	size_t j = slot_of(id, hour, p->cap);
	while (p->slots[j].article_id != 0 && (p->slots[j].article_id != id || p->slots[j].hour != hour))
		j = (j + 1) & (p->cap - 1);
	if (p->slots[j].article_id == 0) {
		p->slots[j] = (struct mh_view_count){ .article_id = id, .hour = hour };
		p->used++;
	}
	p->slots[j].n += n;
	return true;
}

/* ---- readers ---- */

/* The tag of (reader, article) today: a keyed hash of the address and user
 * agent under the day's key, with the article. Never 0. */
static uint64_t reader_tag(struct mh_views *v, struct pending *p, const struct mh_view_read *rd)
{
	int64_t day = rd->now / 86400;
	if (p->key_day != day) {
		crypto_kdf_derive_from_key(p->key, sizeof p->key, (uint64_t)day, "mhviews_", v->master);
		p->key_day = day;
	}
	unsigned char h[16];
	crypto_generichash_state st;
	crypto_generichash_init(&st, p->key, sizeof p->key, sizeof h);
	uint64_t alen = rd->address.len;
	crypto_generichash_update(&st, (const unsigned char *)&alen, sizeof alen);
	crypto_generichash_update(&st, (const unsigned char *)rd->address.ptr, rd->address.len);
	crypto_generichash_update(&st, (const unsigned char *)rd->user_agent.ptr, rd->user_agent.len);
	crypto_generichash_final(&st, h, sizeof h);
	struct {
		unsigned char h[16];
		int64_t id;
	} k;
	memcpy(k.h, h, sizeof h);
	k.id = rd->article_id;
	uint64_t tag = XXH3_64bits(&k, sizeof k);
	return tag == 0 ? 1 : tag;
}

/* True the first time (reader, article) is seen in REPEAT_WINDOW_S; marks it. */
static bool first_read(struct mh_views *v, uint64_t tag, int64_t now)
{
	size_t set = (size_t)((tag >> 32) % SEEN_SETS);
	pthread_mutex_t *mu = &v->seen_locks[set % SEEN_STRIPES];
	struct seen_entry *ways = &v->seen[set * SEEN_WAYS];
	bool first = true;
	pthread_mutex_lock(mu);
	/* the entry itself, else an empty one, else the oldest */
	struct seen_entry *victim = NULL;
	for (int i = 0; i < SEEN_WAYS; i++) {
		if (ways[i].tag == tag) {
			victim = &ways[i];
			first = now - ways[i].first_at >= REPEAT_WINDOW_S;
			break;
		}
		if (victim == NULL || (victim->tag != 0 && (ways[i].tag == 0 || ways[i].first_at < victim->first_at)))
			victim = &ways[i];
	}
	if (first) {
		victim->tag = tag;
		victim->first_at = now;
	}
	pthread_mutex_unlock(mu);
	return first;
}

static bool purpose_is_prefetch(struct mh_str p)
{
	/* "prefetch", "prefetch;prerender", "prerender" (any case) */
	for (size_t i = 0; i + 8 <= p.len; i++)
		if (strncasecmp(p.ptr + i, "prefetch", 8) == 0)
			return true;
	for (size_t i = 0; i + 9 <= p.len; i++)
		if (strncasecmp(p.ptr + i, "prerender", 9) == 0)
			return true;
	return false;
}

enum mh_view_verdict mh_views_count(struct mh_views *v, int worker, const struct mh_view_read *rd,
				    int *retry_after_s)
{
	if (!v->set.enabled)
		return MH_VIEW_OFF;
	MH_ASSERT(worker >= 0 && worker < v->threads);
	if (!mh_ratelimit_take(v->rate, rd->address, rd->now_us, retry_after_s))
		return MH_VIEW_LIMITED;
	if (rd->article_id <= 0)
		return MH_VIEW_INVALID;
	if (purpose_is_prefetch(rd->purpose) ||
	    !(rd->fetch_dest.len == 0 || mh_str_eq_c(rd->fetch_dest, "empty") || mh_str_eq_c(rd->fetch_dest, "image")))
		return MH_VIEW_PREFETCH;
	if (mh_views_is_bot(rd->user_agent))
		return MH_VIEW_BOT;
	struct pending *p = &v->pending[worker];
	pthread_mutex_lock(&p->mu);
	uint64_t tag = reader_tag(v, p, rd); /* p->key is guarded by p->mu */
	pthread_mutex_unlock(&p->mu);
	if (!first_read(v, tag, rd->now))
		return MH_VIEW_REPEAT;
	pthread_mutex_lock(&p->mu);
	if (!pending_add(p, rd->article_id, rd->now - rd->now % 3600, 1))
		p->dropped = true;
	pthread_mutex_unlock(&p->mu);
	return MH_VIEW_COUNTED;
}

/* ---- flushing ---- */

int64_t mh_views_flush(struct mh_views *v)
{
	pthread_mutex_lock(&v->flush_mu);
	/* every worker's table, swapped out whole, merged with what the last
	 * failed flush kept */
	struct pending all = { 0 };
	for (size_t i = 0; i < v->n_carry; i++)
		pending_add(&all, v->carry[i].article_id, v->carry[i].hour, v->carry[i].n);
	bool dropped = false;
	for (int w = 0; w < v->threads; w++) {
		struct pending *p = &v->pending[w];
		pthread_mutex_lock(&p->mu);
		struct mh_view_count *slots = p->slots;
		size_t cap = p->cap;
		p->slots = NULL;
		p->cap = p->used = 0;
		dropped |= p->dropped;
		p->dropped = false;
		pthread_mutex_unlock(&p->mu);
		for (size_t i = 0; i < cap; i++)
			if (slots[i].article_id != 0 && !pending_add(&all, slots[i].article_id, slots[i].hour, slots[i].n))
				dropped = true;
		free(slots);
	}
	if (dropped)
		mh_log(MH_LOG_WARN, "views: more than %u distinct articles read between two flushes; some reads "
				    "were not counted",
		       MAX_PENDING);
	size_t n = 0;
	struct mh_view_count *batch = all.used > 0 ? malloc(all.used * sizeof *batch) : NULL;
	for (size_t i = 0; i < all.cap; i++)
		if (all.slots[i].article_id != 0)
			batch[n++] = all.slots[i];
	free(all.slots);
	free(v->carry);
	v->carry = NULL;
	v->n_carry = 0;
	int64_t added = 0;
	if (n > 0) {
		enum mh_store_rc rc = v->store != NULL ? mh_store_views_add(v->store, batch, n, &added) : MH_UNAVAILABLE;
		if (rc != MH_OK) {
			mh_log(MH_LOG_ERROR, "views: %zu counts could not be written (%s); kept for the next flush", n,
			       rc == MH_UNAVAILABLE ? "database not answering" : "database error");
			v->carry = batch;
			v->n_carry = n;
			batch = NULL;
			added = 0;
		}
	}
	free(batch);
	pthread_mutex_unlock(&v->flush_mu);
	return added;
}

static void *flusher_main(void *arg)
{
	struct mh_views *v = arg;
	pthread_mutex_lock(&v->stop_mu);
	while (!v->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += v->set.flush_interval_s;
		while (!v->stop && pthread_cond_timedwait(&v->stop_cv, &v->stop_mu, &until) == 0)
			;
		if (v->stop)
			break;
		pthread_mutex_unlock(&v->stop_mu);
		mh_views_flush(v);
		pthread_mutex_lock(&v->stop_mu);
	}
	pthread_mutex_unlock(&v->stop_mu);
	return NULL;
}

struct mh_views *mh_views_start(const struct mh_views_settings *set, int threads, const char *url,
				const char *site_dir, struct mh_buf *err)
{
	MH_ASSERT(threads >= 1);
	if (sodium_init() < 0) {
		mh_buf_printf(err, "views: libsodium did not start");
		return NULL;
	}
	struct mh_views *v = calloc(1, sizeof *v);
	MH_ASSERT(v != NULL);
	v->set = *set;
	v->threads = threads;
	v->pending = calloc((size_t)threads, sizeof *v->pending);
	v->seen = calloc((size_t)SEEN_SETS * SEEN_WAYS, sizeof *v->seen);
	MH_ASSERT(v->pending != NULL && v->seen != NULL);
	for (int i = 0; i < threads; i++) {
		pthread_mutex_init(&v->pending[i].mu, NULL);
		v->pending[i].key_day = -1;
	}
	for (int i = 0; i < SEEN_STRIPES; i++)
		pthread_mutex_init(&v->seen_locks[i], NULL);
	pthread_mutex_init(&v->flush_mu, NULL);
	pthread_mutex_init(&v->stop_mu, NULL);
	pthread_cond_init(&v->stop_cv, NULL);
	v->rate = mh_ratelimit_new(RATE_KEYS, set->beacon_rate, set->beacon_burst);
	pthread_once(&bot_once, bot_compile);

	struct mh_buf why = MH_BUF_INIT, candidate = MH_BUF_INIT, hex = MH_BUF_INIT;
	enum mh_store_rc rc = mh_store_open(url, site_dir, false, &v->store, &why);
	if (rc == MH_OK) {
		unsigned char k[crypto_kdf_KEYBYTES];
		crypto_kdf_keygen(k);
		mh_buf_reserve(&candidate, 2 * sizeof k + 1);
		sodium_bin2hex(candidate.ptr, 2 * sizeof k + 1, k, sizeof k);
		candidate.len = 2 * sizeof k;
		rc = mh_store_site_secret(v->store, "views_key", mh_buf_cstr(&candidate), &hex);
		if (rc == MH_OK && (hex.len != 2 * sizeof v->master ||
				    sodium_hex2bin(v->master, sizeof v->master, hex.ptr, hex.len, NULL, NULL, NULL) != 0))
			rc = MH_ERROR;
		if (rc != MH_OK)
			mh_buf_append_c(&why, "the site secret views_key could not be read");
	}
	mh_buf_free(&candidate);
	mh_buf_free(&hex);
	if (rc != MH_OK) {
		mh_buf_printf(err, "views: %s", mh_buf_cstr(&why));
		mh_buf_free(&why);
		mh_views_stop(v);
		return NULL;
	}
	mh_buf_free(&why);
	if (pthread_create(&v->thread, NULL, flusher_main, v) != 0) {
		mh_buf_printf(err, "views: cannot start the flusher thread");
		mh_views_stop(v);
		return NULL;
	}
	v->started = true;
	return v;
}

void mh_views_stop(struct mh_views *v)
{
	if (v == NULL)
		return;
	if (v->started) {
		pthread_mutex_lock(&v->stop_mu);
		v->stop = true;
		pthread_cond_signal(&v->stop_cv);
		pthread_mutex_unlock(&v->stop_mu);
		pthread_join(v->thread, NULL);
		/* the last counts: the workers have stopped before this is called */
		mh_views_flush(v);
		if (v->n_carry > 0)
			mh_log(MH_LOG_ERROR, "views: %zu counts were not written at stop (database not answering)",
			       v->n_carry);
	}
	for (int i = 0; i < v->threads; i++) {
		free(v->pending[i].slots);
		pthread_mutex_destroy(&v->pending[i].mu);
	}
	for (int i = 0; i < SEEN_STRIPES; i++)
		pthread_mutex_destroy(&v->seen_locks[i]);
	pthread_mutex_destroy(&v->flush_mu);
	pthread_mutex_destroy(&v->stop_mu);
	pthread_cond_destroy(&v->stop_cv);
	mh_ratelimit_free(v->rate);
	mh_store_close(v->store);
	sodium_memzero(v->master, sizeof v->master);
	free(v->carry);
	free(v->pending);
	free(v->seen);
	free(v);
}
