/*
 * util/time.c: clocks, the display time zone and date parsing.
 *
 * One display zone per process: mh_time_set_zone() sets TZ and calls tzset().
 * It is called at start-up, and again by the site when a settings reload
 * changes the zone, while other threads format dates: glibc's conversions
 * (localtime_r, mktime) read the zone under its own tzset lock, and a setenv
 * that replaces a TZ already set (as start-up sets it) swaps one pointer in
 * environ and never frees the old string. Callers switch one at a time
 * (the site's reload lock). Nothing here uses %Z, whose name a switch frees.
 * Storage is always UTC unix seconds.
 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define MIN_TIME (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define MAX_TIME 253402300799LL   /* 9999-12-31T23:59:59Z */

int64_t mh_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t mh_time_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool mh_time_zone_exists(const char *tzname)
{
	if (!tzname || !*tzname || tzname[0] == '/' || strstr(tzname, ".."))
		return false;
	size_t n = strlen(tzname);
	if (n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = tzname[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
			  c == '_' || c == '-' || c == '+' || c == '.';
		if (!ok)
			return false;
	}
	char path[sizeof ZONEINFO_DIR + 128];
	snprintf(path, sizeof path, "%s%s", ZONEINFO_DIR, tzname);
	struct stat st;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return true;
	/* glibc knows UTC without tzdata; accept it even on a bare system. */
	return strcmp(tzname, "UTC") == 0;
}

bool mh_time_set_zone(const char *tzname)
{
	if (!mh_time_zone_exists(tzname))
		return false;
	if (setenv("TZ", tzname, 1) != 0)
		return false;
	tzset();
	return true;
}

void mh_time_format(struct mh_buf *b, int64_t unix_seconds, const char *fmt)
{
	if (!fmt || !*fmt)
		return;
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	if (!localtime_r(&t, &tm))
		return;
	/* strftime returns 0 both on overflow and for an empty result (e.g.
	 * "%p" in some locales), so grow a few times, then give up. */
	for (size_t cap = 128; cap <= 8192; cap *= 4) {
		mh_buf_reserve(b, cap);
		size_t n = strftime(b->ptr + b->len, cap, fmt, &tm);
		if (n > 0) {
			b->len += n;
			return;
		}
	}
}

void mh_time_rfc3339(struct mh_buf *b, int64_t unix_seconds)
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		mh_buf_append_c(b, "1970-01-01T00:00:00Z");
		return;
	}
	/* "YYYY-MM-DDTHH:MM:SSZ" written digit by digit: pages carry several
	 * of these and a format string costs more than the date itself */
	int year = tm.tm_year + 1900;
	if (year < 0 || year > 9999) {
		mh_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			      tm.tm_min, tm.tm_sec);
		return;
	}
	const int part[6] = { year / 100, year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min };
	static const char after[6] = { 0, '-', '-', 'T', ':', ':' };
	char s[20];
	size_t n = 0;
	for (int i = 0; i < 6; i++) {
		s[n++] = (char)('0' + part[i] / 10);
		s[n++] = (char)('0' + part[i] % 10);
		if (after[i])
			s[n++] = after[i];
	}
	s[n++] = (char)('0' + tm.tm_sec / 10);
	s[n++] = (char)('0' + tm.tm_sec % 10);
	s[n++] = 'Z';
	mh_buf_append(b, s, n);
}

/* Reads exactly n digits at s->ptr[*i]. */
static bool digits(struct mh_str s, size_t *i, size_t n, int *out)
{
	if (s.len - *i < n)
		return false;
	int v = 0;
	for (size_t k = 0; k < n; k++) {
		char c = s.ptr[*i + k];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*i += n;
	*out = v;
	return true;
}

static bool expect(struct mh_str s, size_t *i, char c)
{
	if (*i < s.len && s.ptr[*i] == c) {
		(*i)++;
		return true;
	}
	return false;
}

static int days_in_month(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Accepted forms (whole string, nothing before or after):
 *   YYYY-MM-DD                      midnight, display zone
 *   YYYY-MM-DD[T ]HH:MM[:SS]        display zone (also what <input
 *                                   type=datetime-local> sends)
 *   ...same with [.fraction] and Z or ±HH:MM   (RFC 3339; fraction dropped)
 * Years 0001-9999, also after applying the offset (UTC result within
 * 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z); seconds 00-59 (a leap second
 * 60 is refused). */
bool mh_time_parse(struct mh_str s, int64_t *out)
{
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (!s.ptr)
		return false;
	if (!digits(s, &i, 4, &y) || !expect(s, &i, '-') || !digits(s, &i, 2, &mo) || !expect(s, &i, '-') ||
	    !digits(s, &i, 2, &d))
		return false;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return false;
	bool utc = false;
	int offset = 0; /* seconds east of UTC */
	if (i < s.len) {
		if (!(expect(s, &i, 'T') || expect(s, &i, 't') || expect(s, &i, ' ')))
			return false;
		if (!digits(s, &i, 2, &h) || !expect(s, &i, ':') || !digits(s, &i, 2, &mi))
			return false;
		if (expect(s, &i, ':')) {
			if (!digits(s, &i, 2, &sec))
				return false;
			if (expect(s, &i, '.')) {
				size_t start = i;
				while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9')
					i++;
				if (i == start || i - start > 9)
					return false;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return false;
		if (expect(s, &i, 'Z') || expect(s, &i, 'z')) {
			utc = true;
		} else if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-')) {
			int sign = s.ptr[i] == '-' ? -1 : 1, oh, om;
			i++;
			if (!digits(s, &i, 2, &oh) || !expect(s, &i, ':') || !digits(s, &i, 2, &om))
				return false;
			if (oh > 23 || om > 59)
				return false;
			utc = true;
			offset = sign * (oh * 3600 + om * 60);
		}
		if (i != s.len)
			return false;
	}
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	int64_t t;
	if (utc) {
		t = (int64_t)timegm(&tm) - offset;
	} else {
		/* mktime picks standard or summer time itself; a wall-clock time
		 * skipped by a DST change is moved forward, not refused. */
		tm.tm_isdst = -1;
		t = (int64_t)mktime(&tm);
	}
	/* An offset can push a date at either end out of 0001..9999 UTC, where
	 * mh_time_rfc3339 could no longer write it as four digits. */
	if (t < MIN_TIME || t > MAX_TIME)
		return false;
	*out = t;
	return true;
}
