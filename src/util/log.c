/*
 * util/log.c: "2026-11-29T06:21:00Z LEVEL message" lines on stderr. Each line
 * is built in memory and written with one write(2), so lines from different
 * threads never interleave. Control bytes in the formatted message are shown
 * as \xNN so a message is always exactly one line; bytes that come from
 * clients should still go through mh_log_sanitize(), which also hides
 * non-ASCII bytes.
 */
#include "util/util.h"

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int log_level = MH_LOG_INFO;

void mh_log_set_level(enum mh_log_level lvl)
{
	atomic_store(&log_level, (int)lvl);
}

static const char *level_name(enum mh_log_level lvl)
{
	switch (lvl) {
	case MH_LOG_DEBUG: return "DEBUG";
	case MH_LOG_INFO: return "INFO";
	case MH_LOG_WARN: return "WARN";
	case MH_LOG_ERROR: return "ERROR";
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

	mh_time_rfc3339(&line, mh_time_now());
	mh_buf_append_ch(&line, ' ');
	mh_buf_append_c(&line, level_name(lvl));
	mh_buf_append_ch(&line, ' ');
	for (size_t i = 0; i < msg.len; i++) {
		unsigned char c = (unsigned char)msg.ptr[i];
		if (c < 0x20 && c != '\t')
			append_hex_byte(&line, c);
		else
			mh_buf_append_ch(&line, (char)c);
	}
	mh_buf_append_ch(&line, '\n');

	size_t off = 0;
	while (off < line.len) {
		ssize_t w = write(STDERR_FILENO, line.ptr + off, line.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	mh_buf_free(&msg);
	mh_buf_free(&line);
	errno = saved_errno;
}
