/*
 * audience/newsletter_csv.c: the CSV of `masthead newsletter subscribers
 * import` (RFC 4180: fields separated by commas, "quoted" fields with ""
 * for a quote and line breaks inside, CRLF or LF records). Hand-written:
 * Debian has no C CSV library in main that we could depend on for this
 * one reader (libcsv is not packaged), and it is a (buf, len) entry point
 * with its own fuzz target (fuzz/fuzz_subscribers_csv.c).
 */
#include <string.h>

#include "audience/newsletter.h"

#define MAX_FIELDS 32

bool mh_newsletter_csv_parse(struct mh_str in, mh_newsletter_csv_fn *cb, void *ctx, struct mh_buf *err)
{
	struct mh_buf field[MAX_FIELDS];
	for (size_t i = 0; i < MAX_FIELDS; i++)
		field[i] = MH_BUF_INIT;
	struct mh_str vals[MAX_FIELDS];
	size_t n = 0, line = 1, record_line = 1, i = 0;
	bool ok = true, too_many = false, go = true;
	/* skip a UTF-8 byte order mark (spreadsheets write one) */
	if (in.len >= 3 && memcmp(in.ptr, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (go && i <= in.len) {
		/* one field */
		if (n < MAX_FIELDS)
			mh_buf_reset(&field[n]);
		struct mh_buf *f = n < MAX_FIELDS ? &field[n] : NULL;
		if (n >= MAX_FIELDS)
			too_many = true;
		if (i < in.len && in.ptr[i] == '"') {
			i++;
			for (;;) {
				if (i >= in.len) {
					mh_buf_printf(err, "line %zu: a quoted field is not closed", record_line);
					ok = false;
					go = false;
					break;
				}
				char c = in.ptr[i++];
				if (c == '"') {
					if (i < in.len && in.ptr[i] == '"') {
						i++;
						if (f != NULL)
							mh_buf_append_ch(f, '"');
						continue;
					}
					break;
				}
				if (c == '\n')
					line++;
				if (f != NULL)
					mh_buf_append_ch(f, c);
			}
			if (!go)
				break;
			if (i < in.len && in.ptr[i] != ',' && in.ptr[i] != '\n' && in.ptr[i] != '\r') {
				mh_buf_printf(err, "line %zu: text after a quoted field's closing quote", record_line);
				ok = false;
				break;
			}
		} else {
			while (i < in.len && in.ptr[i] != ',' && in.ptr[i] != '\n' && in.ptr[i] != '\r') {
				if (f != NULL)
					mh_buf_append_ch(f, in.ptr[i]);
				i++;
			}
		}
		n++;
		if (i < in.len && in.ptr[i] == ',') {
			i++;
			continue;
		}
		/* the record ends: a line end or the end of the input */
		bool at_end = i >= in.len;
		if (!at_end && in.ptr[i] == '\r')
			i++;
		if (i < in.len && in.ptr[i] == '\n')
			i++;
		size_t k = n < MAX_FIELDS ? n : MAX_FIELDS;
		for (size_t j = 0; j < k; j++)
			vals[j] = mh_buf_str(&field[j]);
		bool blank = n == 1 && vals[0].len == 0;
		if (!blank)
			go = cb(ctx, record_line, vals, too_many ? 0 : k);
		n = 0;
		too_many = false;
		line++;
		record_line = line;
		if (at_end)
			break;
	}
	for (size_t j = 0; j < MAX_FIELDS; j++)
		mh_buf_free(&field[j]);
	return ok;
}
