/*
 * util/config.c: the site.ini engine, table-driven, with inih underneath.
 *
 * A module owns its sections: it declares a struct mh_settings_table per
 * section (util.h) whose rows say each key's type, default and comment and
 * where its value goes in the module's own struct. This file knows no
 * module: it parses, checks, rewrites and writes out whatever slots it is
 * given. An unknown section or key, or a value that does not check, is an
 * error naming file, line, section and key, and saying what was expected;
 * the first error wins.
 *
 * Ownership: defaults point string fields at the rows' static def text;
 * strings set by parsing are malloc'd. mh_settings_free() frees only the
 * latter (a pointer equal to its row's def is static), so defaults followed
 * by parse never leaks.
 */
#include "util/util.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest accepted line. inih is told to allow a little more (see
 * parse_locked), so no line is ever silently truncated by it. */
#define MAX_LINE_LEN 4000

/* ---- finding rows ---- */

static const struct mh_settings_slot *find_slot(const struct mh_settings_slot *slots, size_t n, const char *section)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(slots[i].table->section, section) == 0)
			return &slots[i];
	return NULL;
}

static const struct mh_setting *find_row(const struct mh_settings_table *t, const char *key)
{
	for (size_t i = 0; i < t->n_rows; i++)
		if (strcmp(t->rows[i].key, key) == 0)
			return &t->rows[i];
	return NULL;
}

static void list_sections(struct mh_buf *b, const struct mh_settings_slot *slots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mh_buf_printf(b, "%s%s", i ? ", " : "", slots[i].table->section);
}

static void list_keys(struct mh_buf *b, const struct mh_settings_table *t)
{
	for (size_t i = 0; i < t->n_rows; i++)
		mh_buf_printf(b, "%s%s", i ? ", " : "", t->rows[i].key);
}

static bool is_string(enum mh_setting_type type)
{
	return type == MH_SETTING_TEXT || type == MH_SETTING_PATH || type == MH_SETTING_URL ||
	       type == MH_SETTING_URL_LIST || type == MH_SETTING_ZONE;
}

/* ---- values ---- */

static void free_string(const struct mh_setting *row, void *values)
{
	const char **field = (const char **)((char *)values + row->offset);
	if (*field != NULL && *field != row->def)
		free((char *)*field);
	*field = NULL;
}

/* Stores v[0..n) in a string field: the row's own def text when setting
 * the default (allocating nothing), else a malloc'd copy. */
static void put_string(const struct mh_setting *row, void *values, const char *v, size_t n, bool is_default)
{
	const char **field = (const char **)((char *)values + row->offset);
	if (is_default) {
		MH_ASSERT(n == strlen(row->def)); /* a default is written canonically */
		*field = row->def;
		return;
	}
	free_string(row, values);
	char *copy = strndup(v, n);
	MH_ASSERT(copy != NULL);
	*field = copy;
}

/* ---- checking values ---- */

static bool has_control(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	return false;
}

bool mh_settings_is_web_url(const char *v)
{
	const char *rest;
	if (strncmp(v, "http://", 7) == 0)
		rest = v + 7;
	else if (strncmp(v, "https://", 8) == 0)
		rest = v + 8;
	else
		return false;
	if (!*rest || *rest == '/')
		return false; /* no host */
	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '<' || *p == '>' || (unsigned char)*p < 0x20)
			return false;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return (*out = true), true;
		if (strcasecmp(v, no[i]) == 0)
			return (*out = false), true;
	}
	return false;
}

static bool parse_number(const char *v, bool suffixes, long long *out)
{
	const char *p = v;
	unsigned long long n = 0;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (ULLONG_MAX - 9) / 10)
			return false;
		n = n * 10 + (unsigned)(*p - '0');
	}
	unsigned long long mult = 1;
	if (suffixes && *p) {
		switch (*p) {
		case 'k': case 'K': mult = 1024ULL; break;
		case 'm': case 'M': mult = 1024ULL * 1024; break;
		case 'g': case 'G': mult = 1024ULL * 1024 * 1024; break;
		default: return false;
		}
		p++;
	}
	if (*p)
		return false;
	if (n > (unsigned long long)LLONG_MAX / mult)
		return false;
	*out = (long long)(n * mult);
	return true;
}

/* Space-separated http(s) URLs (any number of spaces between them). */
static bool valid_url_list(const char *v)
{
	char url[MAX_LINE_LEN + 1];
	const char *p = v;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (n > MAX_LINE_LEN)
			return false; /* not from a line of the file */
		memcpy(url, p, n);
		url[n] = '\0';
		if (!mh_settings_is_web_url(url))
			return false;
		p += n;
	}
	return true;
}

/* Checks v against row and stores it in values. On failure appends
 * "problem (expected ...)" to why and stores nothing. */
static bool apply(const struct mh_setting *row, void *values, const char *v, bool is_default, struct mh_buf *why)
{
	void *field = (char *)values + row->offset;
	size_t n = strlen(v);
	bool optional = (row->flags & MH_SETTING_OPTIONAL) != 0;
	if (has_control(v)) {
		mh_buf_append_c(why, "control character in value (expected printable text)");
		return false;
	}
	if (n == 0 && is_string(row->type) && row->type != MH_SETTING_URL_LIST) {
		if (!optional) {
			mh_buf_append_c(why, "empty value (expected some text)");
			return false;
		}
		if (row->type == MH_SETTING_PATH) {
			free_string(row, values); /* NULL: not set */
			return true;
		}
		put_string(row, values, v, 0, is_default);
		return true;
	}
	switch (row->type) {
	case MH_SETTING_TEXT:
	case MH_SETTING_PATH:
		break;
	case MH_SETTING_URL:
		if (!mh_settings_is_web_url(v)) {
			mh_buf_printf(why, "\"%s\" is not a web address (expected http:// or https:// and a host)", v);
			return false;
		}
		while (n > 0 && v[n - 1] == '/')
			n--;
		break;
	case MH_SETTING_URL_LIST:
		if (!valid_url_list(v)) {
			mh_buf_printf(why,
				      "\"%s\" is not a list of web addresses (expected http:// or https:// URLs "
				      "separated by spaces)",
				      v);
			return false;
		}
		break;
	case MH_SETTING_ZONE:
		if (!mh_time_zone_exists(v)) {
			mh_buf_printf(why, "unknown time zone \"%s\" (expected an IANA name like UTC or Europe/Berlin)",
				      v);
			return false;
		}
		break;
	case MH_SETTING_BOOL: {
		bool b;
		if (!parse_bool(v, &b)) {
			mh_buf_printf(why, "\"%s\" is not a boolean (expected true/false, yes/no, on/off or 1/0)", v);
			return false;
		}
		if (row->check != NULL && !row->check(v, why))
			return false;
		*(bool *)field = b;
		return true;
	}
	case MH_SETTING_INT: {
		long long x;
		if (!parse_number(v, false, &x) || x < row->min || x > row->max) {
			mh_buf_printf(why, "\"%s\" is out of range (expected a whole number from %lld to %lld)", v,
				      row->min, row->max);
			return false;
		}
		if (row->check != NULL && !row->check(v, why))
			return false;
		*(int *)field = (int)x;
		return true;
	}
	case MH_SETTING_SIZE: {
		long long x;
		if (!parse_number(v, true, &x) || x < row->min || x > row->max ||
		    (unsigned long long)x > SIZE_MAX) {
			mh_buf_printf(why,
				      "\"%s\" is not a valid size (expected bytes from %lld to %lld, "
				      "or a number with k, m or g like 512k or 1m)",
				      v, row->min, row->max);
			return false;
		}
		if (row->check != NULL && !row->check(v, why))
			return false;
		*(size_t *)field = (size_t)x;
		return true;
	}
	case MH_SETTING_CHOICE: {
		MH_ASSERT(row->choices != NULL && row->choices[0] != NULL);
		int i = 0;
		while (row->choices[i] != NULL && strcmp(row->choices[i], v) != 0)
			i++;
		if (row->choices[i] == NULL) {
			mh_buf_printf(why, "\"%s\" is not a choice here (expected one of ", v);
			for (int k = 0; row->choices[k] != NULL; k++)
				mh_buf_printf(why, "%s%s", k ? ", " : "", row->choices[k]);
			mh_buf_append_ch(why, ')');
			return false;
		}
		if (row->check != NULL && !row->check(v, why))
			return false;
		*(int *)field = i;
		return true;
	}
	default:
		MH_ASSERT(!"unknown setting type");
	}
	/* the string types, checked by type: now the module's own check */
	if (row->check != NULL && !row->check(v, why))
		return false;
	put_string(row, values, v, n, is_default);
	return true;
}

void mh_settings_defaults(const struct mh_settings_slot *slots, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct mh_settings_table *t = slots[i].table;
		MH_ASSERT(slots[i].values != NULL);
		for (size_t r = 0; r < t->n_rows; r++) {
			const struct mh_setting *row = &t->rows[r];
			MH_ASSERT(row->def != NULL && row->offset < t->size);
			if (is_string(row->type)) /* uninitialised memory must not look malloc'd */
				*(const char **)((char *)slots[i].values + row->offset) = NULL;
			struct mh_buf why = MH_BUF_INIT;
			bool ok = apply(row, slots[i].values, row->def, true, &why);
			if (!ok)
				mh_log(MH_LOG_ERROR, "[%s] %s: bad default: %s", t->section, row->key, mh_buf_cstr(&why));
			MH_ASSERT(ok);
			mh_buf_free(&why);
		}
	}
}

void mh_settings_free(const struct mh_settings_slot *slots, size_t n)
{
	/* strings first, in every slot, then zero: two tables may share a
	 * struct, and zeroing it for the first would leak the second's */
	for (size_t i = 0; i < n; i++) {
		const struct mh_settings_table *t = slots[i].table;
		if (slots[i].values == NULL)
			continue;
		for (size_t r = 0; r < t->n_rows; r++)
			if (is_string(t->rows[r].type))
				free_string(&t->rows[r], slots[i].values);
	}
	for (size_t i = 0; i < n; i++)
		if (slots[i].values != NULL)
			memset(slots[i].values, 0, slots[i].table->size);
}

/* ---- parsing through inih ---- */

struct parse_ctx {
	const struct mh_settings_slot *slots;
	size_t n_slots;
	const char *text;
	size_t len, pos;
	int newlines;  /* '\n' handed to inih so far */
	bool mid_line; /* the last byte handed over was not '\n' */
	int err_line;  /* 0 = no error yet */
	struct mh_buf msg;
};

/* Like fgets over the text. Counting what it hands out tells the handler
 * which line inih is on (this inih build does not pass line numbers). */
static char *ctx_reader(char *str, int num, void *stream)
{
	struct parse_ctx *x = stream;
	if (x->pos >= x->len || num < 2)
		return NULL;
	size_t n = 0;
	while (n < (size_t)num - 1 && x->pos < x->len) {
		char ch = x->text[x->pos++];
		str[n++] = ch;
		if (ch == '\n')
			break;
	}
	str[n] = '\0';
	if (str[n - 1] == '\n') {
		x->newlines++;
		x->mid_line = false;
	} else {
		x->mid_line = true;
	}
	return str;
}

static int ctx_line(const struct parse_ctx *x)
{
	return x->newlines + (x->mid_line ? 1 : 0);
}

/* Finds [section] key among the slots and sets it to value; false with the
 * problem appended to why. */
static bool set_value(const struct mh_settings_slot *slots, size_t n, const char *section, const char *key,
		      const char *value, struct mh_buf *why)
{
	if (!*section) {
		mh_buf_append_c(why, "setting outside any section (expected a [section] line first: ");
		list_sections(why, slots, n);
		mh_buf_append_ch(why, ')');
		return false;
	}
	const struct mh_settings_slot *slot = find_slot(slots, n, section);
	if (slot == NULL) {
		mh_buf_append_c(why, "unknown section (expected one of ");
		list_sections(why, slots, n);
		mh_buf_append_ch(why, ')');
		return false;
	}
	const struct mh_setting *row = find_row(slot->table, key);
	if (row == NULL) {
		mh_buf_append_c(why, "unknown setting (expected one of ");
		list_keys(why, slot->table);
		mh_buf_append_ch(why, ')');
		return false;
	}
	return apply(row, slot->values, value, false, why);
}

/* "[section] key: why", section and key made safe to print. */
static void describe(struct mh_buf *out, const char *section, const char *key, const struct mh_buf *why)
{
	mh_buf_append_ch(out, '[');
	mh_log_sanitize(out, mh_str_c(section));
	mh_buf_append_c(out, "] ");
	mh_log_sanitize(out, mh_str_c(key));
	mh_buf_append_c(out, ": ");
	mh_buf_append_str(out, mh_buf_str(why));
}

static int ctx_handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *x = user;
	if (x->err_line)
		return 1; /* only the first error is reported */
	struct mh_buf why = MH_BUF_INIT;
	if (!set_value(x->slots, x->n_slots, section, key, value, &why)) {
		x->err_line = ctx_line(x);
		describe(&x->msg, section, key, &why);
	}
	mh_buf_free(&why);
	return 1;
}

/* inih's behaviour switches are process globals in this build; parsing takes
 * a lock so two threads cannot flip them under each other. */
static pthread_mutex_t ini_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_locked(struct parse_ctx *x)
{
	pthread_mutex_lock(&ini_lock);
	ini_use_stack = false;	       /* heap line buffer ... */
	ini_allow_realloc = true;      /* ... that grows ... */
	ini_max_line = MAX_LINE_LEN + 8; /* ... up to here: nothing is truncated */
	ini_allow_inline_comments = false; /* "title = A ; B" keeps " ; B" */
	ini_allow_multiline = false;   /* an indented line is an error, not a continuation */
	ini_allow_bom = true;
	ini_allow_no_value = false;
	ini_stop_on_first_error = true;
	int rc = ini_parse_stream(ctx_reader, x, ctx_handler, x);
	pthread_mutex_unlock(&ini_lock);
	return rc;
}

static void error_at(struct mh_buf *err, const char *name, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void error_at(struct mh_buf *err, const char *name, int line, const char *fmt, ...)
{
	if (!err)
		return;
	if (line > 0)
		mh_buf_printf(err, "%s:%d: ", name, line);
	else
		mh_buf_printf(err, "%s: ", name);
	va_list ap;
	va_start(ap, fmt);
	mh_buf_vprintf(err, fmt, ap);
	va_end(ap);
}

/* Parses into values already at their defaults; false with err written. */
static bool parse_into(const struct mh_settings_slot *slots, size_t n, const char *name, const char *text, size_t len,
		       struct mh_buf *err)
{
	if (!name)
		name = "site.ini";
	/* Checks inih cannot make: NUL bytes (it would stop reading there) and
	 * over-long lines. */
	int line = 1;
	size_t line_start = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\0') {
			error_at(err, name, line, "NUL byte in file (expected text)");
			return false;
		}
		if (text[i] == '\n') {
			line++;
			line_start = i + 1;
		} else if (i - line_start >= MAX_LINE_LEN) {
			error_at(err, name, line, "line too long (expected at most %d characters)", MAX_LINE_LEN);
			return false;
		}
	}
	struct parse_ctx x = { .slots = slots, .n_slots = n, .text = text, .len = len };
	int rc = parse_locked(&x);
	bool ok = true;
	if (rc < 0) {
		error_at(err, name, 0, "cannot parse (out of memory)");
		ok = false;
	} else if (rc > 0 && (x.err_line == 0 || rc < x.err_line)) {
		error_at(err, name, rc, "syntax error (expected [section], key = value, or a ; or # comment)");
		ok = false;
	} else if (x.err_line) {
		error_at(err, name, x.err_line, "%s", mh_buf_cstr(&x.msg));
		ok = false;
	}
	mh_buf_free(&x.msg);
	return ok;
}

bool mh_settings_parse(const struct mh_settings_slot *slots, size_t n, const char *name, const char *text,
		       size_t len, struct mh_buf *err)
{
	mh_settings_defaults(slots, n);
	if (parse_into(slots, n, name, text, len, err))
		return true;
	mh_settings_free(slots, n);
	mh_settings_defaults(slots, n);
	return false;
}

bool mh_settings_apply(const struct mh_settings_slot *slots, size_t n, const char *name, const char *section,
		       const char *key, const char *value, struct mh_buf *err)
{
	struct mh_buf why = MH_BUF_INIT, msg = MH_BUF_INIT;
	bool ok = set_value(slots, n, section, key, value, &why);
	if (!ok) {
		describe(&msg, section, key, &why);
		error_at(err, name, 0, "%s", mh_buf_cstr(&msg));
	}
	mh_buf_free(&why);
	mh_buf_free(&msg);
	return ok;
}

/* Parses text against the tables alone, into scratch values: "would this
 * file load?" */
static bool check_text(const struct mh_settings_slot *slots, size_t n, const char *name, const char *text,
		       size_t len, struct mh_buf *err)
{
	struct mh_settings_slot *scratch = calloc(n ? n : 1, sizeof(*scratch));
	MH_ASSERT(scratch != NULL);
	for (size_t i = 0; i < n; i++) {
		scratch[i].table = slots[i].table;
		scratch[i].values = calloc(1, slots[i].table->size ? slots[i].table->size : 1);
		MH_ASSERT(scratch[i].values != NULL);
	}
	bool ok = mh_settings_parse(scratch, n, name, text, len, err);
	mh_settings_free(scratch, n);
	for (size_t i = 0; i < n; i++)
		free(scratch[i].values);
	free(scratch);
	return ok;
}

/* ---- rewriting one setting ---- */

static struct mh_str trim(struct mh_str s)
{
	while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t'))
		s.ptr++, s.len--;
	while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' || s.ptr[s.len - 1] == '\r' ||
			 s.ptr[s.len - 1] == '\n'))
		s.len--;
	return s;
}

bool mh_settings_edit(const struct mh_settings_slot *slots, size_t n, struct mh_buf *text, const char *name,
		      const char *section, const char *key, const char *value, struct mh_buf *err)
{
	const struct mh_settings_slot *slot = find_slot(slots, n, section);
	if (slot == NULL || find_row(slot->table, key) == NULL) {
		struct mh_buf why = MH_BUF_INIT, msg = MH_BUF_INIT;
		set_value(slots, n, section, key, "", &why); /* says which is unknown, and what is known */
		describe(&msg, section, key, &why);
		error_at(err, name, 0, "%s", mh_buf_cstr(&msg));
		mh_buf_free(&why);
		mh_buf_free(&msg);
		return false;
	}
	for (const char *p = value; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			error_at(err, name, 0, "[%s] %s: line break in value (expected a single line)", section, key);
			return false;
		}
	}
	struct mh_str val = trim(mh_str_c(value));
	struct mh_buf out = MH_BUF_INIT;
	const struct mh_buf *old = text;

	/* Walk the lines, copying them to out. A line setting our key inside
	 * our section is replaced; insert_at remembers where the section's
	 * last non-blank line ended, for adding the key when it is missing. */
	bool in_section = false, replaced = false;
	size_t insert_at = SIZE_MAX;
	size_t pos = 0;
	while (pos < old->len) {
		const char *nl = memchr(old->ptr + pos, '\n', old->len - pos);
		size_t end = nl ? (size_t)(nl - old->ptr) + 1 : old->len;
		struct mh_str line = { old->ptr + pos, end - pos };
		struct mh_str t = trim(line);
		bool keep = true;
		if (t.len && t.ptr[0] == '[') {
			const char *close = memchr(t.ptr, ']', t.len);
			struct mh_str sec = close ? trim((struct mh_str){ t.ptr + 1, (size_t)(close - t.ptr - 1) })
						  : MH_STR_NULL;
			in_section = close && mh_str_eq_c(sec, section);
		} else if (in_section && t.len && t.ptr[0] != ';' && t.ptr[0] != '#') {
			size_t k = 0;
			while (k < t.len && t.ptr[k] != '=' && t.ptr[k] != ':')
				k++;
			if (k < t.len && mh_str_eq_c(trim((struct mh_str){ t.ptr, k }), key)) {
				mh_buf_printf(&out, "%s = %.*s%s", key, (int)val.len, val.ptr,
					      (line.len && line.ptr[line.len - 1] == '\n') ? "\n" : "");
				replaced = true;
				keep = false;
			}
		}
		if (keep)
			mh_buf_append_str(&out, line);
		if (in_section && t.len)
			insert_at = out.len;
		pos = end;
	}
	if (!replaced) {
		struct mh_buf add = MH_BUF_INIT;
		if (insert_at == SIZE_MAX) {
			if (out.len && out.ptr[out.len - 1] != '\n')
				mh_buf_append_ch(&out, '\n');
			if (out.len)
				mh_buf_append_ch(&out, '\n');
			mh_buf_printf(&out, "[%s]\n%s = %.*s\n", section, key, (int)val.len, val.ptr);
		} else {
			if (insert_at > 0 && out.ptr[insert_at - 1] != '\n')
				mh_buf_append_ch(&add, '\n');
			mh_buf_printf(&add, "%s = %.*s\n", key, (int)val.len, val.ptr);
			struct mh_buf merged = MH_BUF_INIT;
			mh_buf_append(&merged, out.ptr, insert_at);
			mh_buf_append_str(&merged, mh_buf_str(&add));
			mh_buf_append(&merged, out.ptr + insert_at, out.len - insert_at);
			mh_buf_free(&out);
			out = merged;
		}
		mh_buf_free(&add);
	}

	/* Never hand back text that would not load. */
	bool ok = check_text(slots, n, name, out.ptr ? out.ptr : "", out.len, err);
	if (ok) {
		mh_buf_free(text);
		*text = out;
	} else {
		mh_buf_free(&out);
	}
	return ok;
}

bool mh_settings_set(const struct mh_settings_slot *slots, size_t n, const char *path, const char *section,
		     const char *key, const char *value, struct mh_buf *err)
{
	struct mh_buf text = MH_BUF_INIT;
	if (!mh_file_read(path, &text) && errno != ENOENT) {
		error_at(err, path, 0, "cannot read: %s", strerror(errno));
		mh_buf_free(&text);
		return false;
	}
	bool ok = mh_settings_edit(slots, n, &text, path, section, key, value, err);
	if (ok && !mh_file_write_atomic(path, text.ptr ? text.ptr : "", text.len)) {
		error_at(err, path, 0, "cannot write: %s", strerror(errno));
		ok = false;
	}
	mh_buf_free(&text);
	return ok;
}

/* ---- a new site.ini ---- */

static void write_comment(struct mh_buf *out, const char *comment)
{
	while (comment != NULL && *comment) {
		size_t k = strcspn(comment, "\n");
		mh_buf_printf(out, "; %.*s\n", (int)k, comment);
		comment += k;
		if (*comment == '\n')
			comment++;
	}
}

void mh_settings_write_defaults(const struct mh_settings_slot *slots, size_t n, struct mh_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct mh_settings_table *t = slots[i].table;
		MH_ASSERT(find_slot(slots, n, t->section) == &slots[i]); /* one table per section */
		mh_buf_printf(out, "%s[%s]\n", i ? "\n" : "", t->section);
		write_comment(out, t->about);
		for (size_t r = 0; r < t->n_rows; r++) {
			const struct mh_setting *row = &t->rows[r];
			MH_ASSERT(find_row(t, row->key) == row); /* one row per key */
			write_comment(out, row->comment);
			mh_buf_printf(out, "%s =%s%s\n", row->key, row->def[0] ? " " : "", row->def);
		}
	}
}
