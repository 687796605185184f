/*
 * util/log.c: one line per event or request on stderr, as text
 * ("2026-11-29T06:21:00Z LEVEL message") or as one JSON object per line
 * for log collectors ([server] log_format). Control bytes in a message are
 * shown as \xNN in both forms, so a message is always exactly one line and
 * the JSON "msg" is the text form's message; bytes that come from clients
 * should still go through mh_log_sanitize(), which also hides non-ASCII.
 *
 * Events (mh_log) are written at once, one write(2) per line. Access-log
 * lines go into a per-thread struct mh_log_buf and out in batches: each
 * write(2) holds whole lines and at most PIPE_BUF bytes, which POSIX makes
 * atomic even on a pipe, so lines of different threads never interleave.
 */
#include "util/util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int log_level = MH_LOG_INFO;
static atomic_int log_format = MH_LOG_TEXT;

void mh_log_set_level(enum mh_log_level lvl)
{
	atomic_store(&log_level, (int)lvl);
}

void mh_log_set_format(enum mh_log_format f)
{
	atomic_store_explicit(&log_format, (int)f, memory_order_relaxed);
}

enum mh_log_format mh_log_get_format(void)
{
	return (enum mh_log_format)atomic_load_explicit(&log_format, memory_order_relaxed);
}

bool mh_log_format_parse(const char *s, enum mh_log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = MH_LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = MH_LOG_JSON;
	else
		return false;
	return true;
}

static const char *level_name(enum mh_log_level lvl, bool lower)
{
	switch (lvl) {
	case MH_LOG_DEBUG: return lower ? "debug" : "DEBUG";
	case MH_LOG_INFO: return lower ? "info" : "INFO";
	case MH_LOG_WARN: return lower ? "warn" : "WARN";
	case MH_LOG_ERROR: return lower ? "error" : "ERROR";
	}
	return "?";
}

static void append_hex_byte(struct mh_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
	mh_buf_append(b, e, 4);
}

void mh_log_sanitize(struct mh_buf *b, struct mh_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c >= 0x20 && c < 0x7f)
			mh_buf_append_ch(b, (char)c);
		else
			append_hex_byte(b, c);
	}
}

/* The message with control bytes (but tab) as \xNN. */
static void append_message(struct mh_buf *b, struct mh_str msg)
{
	for (size_t i = 0; i < msg.len; i++) {
		unsigned char c = (unsigned char)msg.ptr[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			append_hex_byte(b, c);
		else
			mh_buf_append_ch(b, (char)c);
	}
}

static void write_all(const char *p, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(STDERR_FILENO, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

void mh_log(enum mh_log_level lvl, const char *fmt, ...)
{
	if ((int)lvl < atomic_load(&log_level))
		return;
	int saved_errno = errno; /* so callers can log then use errno */
	struct mh_buf msg = MH_BUF_INIT, line = MH_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	mh_buf_vprintf(&msg, fmt, ap);
	va_end(ap);

	if (mh_log_get_format() == MH_LOG_JSON) {
		struct mh_buf text = MH_BUF_INIT;
		append_message(&text, mh_buf_str(&msg));
		mh_buf_append_c(&line, "{\"time\":\"");
		mh_time_rfc3339(&line, mh_time_now());
		mh_buf_printf(&line, "\",\"level\":\"%s\",\"msg\":\"", level_name(lvl, true));
		mh_escape_json(&line, mh_buf_str(&text));
		mh_buf_append_c(&line, "\"}\n");
		mh_buf_free(&text);
	} else {
		mh_time_rfc3339(&line, mh_time_now());
		mh_buf_append_ch(&line, ' ');
		mh_buf_append_c(&line, level_name(lvl, false));
		mh_buf_append_ch(&line, ' ');
		append_message(&line, mh_buf_str(&msg));
		mh_buf_append_ch(&line, '\n');
	}
	write_all(line.ptr, line.len);
	mh_buf_free(&msg);
	mh_buf_free(&line);
	errno = saved_errno;
}

/* ---- the buffered access log ---- */

void mh_log_buf_flush(struct mh_log_buf *lb)
{
	/* whole lines, at most PIPE_BUF bytes per write (a longer line alone) */
	size_t off = 0;
	while (off < lb->b.len) {
		size_t end = off, next = off;
		while (next < lb->b.len) {
			const char *nl = memchr(lb->b.ptr + next, '\n', lb->b.len - next);
			size_t after = nl != NULL ? (size_t)(nl - lb->b.ptr) + 1 : lb->b.len;
			if (after - off > PIPE_BUF && end > off)
				break;
			end = next = after;
		}
		write_all(lb->b.ptr + off, end - off);
		off = end;
	}
	mh_buf_reset(&lb->b);
}

void mh_log_buf_free(struct mh_log_buf *lb)
{
	mh_log_buf_flush(lb);
	mh_buf_free(&lb->b);
}

bool mh_log_access(struct mh_log_buf *lb, const struct mh_log_access *a)
{
	if (MH_LOG_INFO < atomic_load_explicit(&log_level, memory_order_relaxed))
		return false;
	/* the time stamp is made once per second per thread */
	int64_t now = mh_time_now();
	if (now != lb->stamp_sec || lb->stamp_len == 0) {
		struct mh_buf t = MH_BUF_INIT;
		mh_time_rfc3339(&t, now);
		lb->stamp_len = t.len < sizeof(lb->stamp) ? t.len : sizeof(lb->stamp);
		memcpy(lb->stamp, t.ptr, lb->stamp_len);
		mh_buf_free(&t);
		lb->stamp_sec = now;
	}
	struct mh_buf *b = &lb->b;
	if (mh_log_get_format() == MH_LOG_JSON) {
		struct mh_buf tmp = MH_BUF_INIT;
		mh_buf_append_c(b, "{\"time\":\"");
		mh_buf_append(b, lb->stamp, lb->stamp_len);
		mh_buf_append_c(b, "\",\"level\":\"info\",\"type\":\"access\",\"method\":\"");
		mh_log_sanitize(&tmp, a->method);
		mh_escape_json(b, mh_buf_str(&tmp));
		mh_buf_reset(&tmp);
		mh_buf_append_c(b, "\",\"path\":\"");
		mh_log_sanitize(&tmp, a->path);
		mh_escape_json(b, mh_buf_str(&tmp));
		mh_buf_free(&tmp);
		mh_buf_printf(b, "\",\"status\":%d,\"bytes\":%" PRIu64 ",\"duration_us\":%" PRId64 ",\"cache\":\"%s\"}\n",
			      a->status, a->bytes, a->duration_us, a->cache);
	} else {
		mh_buf_append(b, lb->stamp, lb->stamp_len);
		mh_buf_append_c(b, " INFO ");
		mh_log_sanitize(b, a->method);
		mh_buf_append_ch(b, ' ');
		mh_log_sanitize(b, a->path.len ? a->path : MH_STR("-"));
		/* numbers without a format string: this runs for every request */
		mh_buf_append_ch(b, ' ');
		mh_buf_append_i64(b, a->status);
		mh_buf_append_ch(b, ' ');
		mh_buf_append_i64(b, a->bytes > INT64_MAX ? INT64_MAX : (int64_t)a->bytes);
		mh_buf_append_ch(b, ' ');
		mh_buf_append_i64(b, a->duration_us);
		mh_buf_append_c(b, "us ");
		mh_buf_append_c(b, a->cache);
		mh_buf_append_ch(b, '\n');
	}
	/* a batch is written once it fills one atomic write (the flush
	 * splits it at line boundaries) */
	if (lb->b.len >= PIPE_BUF)
		mh_log_buf_flush(lb);
	return true;
}
