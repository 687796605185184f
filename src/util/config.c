/*
 * util/config.c: site.ini, read with inih and checked setting by setting.
 *
 * Every setting is one row of the table below: its section and key, the
 * field it fills and how its value is checked. An unknown section or key, or
 * a value that does not check, is an error naming file, line, section and
 * key, and saying what was expected; the first error wins.
 *
 * Ownership: mh_config_defaults() points string fields at static text;
 * strings set by parsing are malloc'd. mh_config_free() frees only the
 * latter, so defaults() followed by parse() (which calls defaults() itself)
 * never leaks. String fields are never NULL, except dir and path (set by
 * mh_config_load) and tls_cert/tls_key (NULL = no TLS).
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

/* The static default strings live in one object, so "is this pointer one of
 * the defaults?" is a range check. */
static const struct {
	char title[sizeof "Masthead"];
	char empty[1];
	char base_url[sizeof "http://127.0.0.1:8080"];
	char timezone[sizeof "UTC"];
	char language[sizeof "en"];
	char database[sizeof "masthead.db"];
	char listen[sizeof "127.0.0.1:8080"];
	char theme_dir[sizeof "theme"];
	char purge_method[sizeof "POST"];
	char log_format[sizeof "text"];
	char metrics_allow[sizeof "127.0.0.1 ::1"];
} defaults = {
	"Masthead", "", "http://127.0.0.1:8080", "UTC", "en", "masthead.db", "127.0.0.1:8080", "theme", "POST",
	"text", "127.0.0.1 ::1",
};

static bool is_default_string(const char *p)
{
	const char *lo = (const char *)&defaults, *hi = lo + sizeof defaults;
	return p >= lo && p < hi;
}

static void free_string(char **field)
{
	if (*field && !is_default_string(*field))
		free(*field);
	*field = NULL;
}

static void set_string(char **field, const char *value, size_t n)
{
	free_string(field);
	*field = strndup(value, n);
	MH_ASSERT(*field != NULL);
}

void mh_config_defaults(struct mh_config *c)
{
	memset(c, 0, sizeof *c);
	c->title = (char *)defaults.title;
	c->tagline = (char *)defaults.empty;
	c->base_url = (char *)defaults.base_url;
	c->timezone = (char *)defaults.timezone;
	c->language = (char *)defaults.language;
	c->video_channel_url = (char *)defaults.empty;
	c->social_links = (char *)defaults.empty;
	c->database = (char *)defaults.database;
	c->listen = (char *)defaults.listen;
	c->threads = 0;
	c->http2 = false;
	c->tls_cert = c->tls_key = NULL;
	c->max_connections = 1024;
	c->max_body_bytes = 1024 * 1024;
	c->max_header_bytes = 16 * 1024;
	c->header_timeout_s = 10;
	c->idle_timeout_s = 60;
	c->access_log = true;
	c->log_format = (char *)defaults.log_format;
	c->metrics_allow = (char *)defaults.metrics_allow;
	c->cache_enabled = true;
	c->cache_max_bytes = (size_t)256 * 1024 * 1024;
	c->max_age_s = 60;
	c->s_maxage_s = 300;
	c->stale_while_revalidate_s = 600;
	c->theme_dir = (char *)defaults.theme_dir;
	c->jobs_workers = 1;
	c->jobs_lease_s = 60;
	c->purge_varnish = (char *)defaults.empty;
	c->purge_url_template = (char *)defaults.empty;
	c->purge_method = (char *)defaults.purge_method;
	c->purge_header = (char *)defaults.empty;
	c->purge_timeout_s = 5;
	c->schema_version = 0;
}

void mh_config_free(struct mh_config *c)
{
	char **strings[] = { &c->dir,	   &c->path,	 &c->title,    &c->tagline,	      &c->base_url,
			     &c->timezone, &c->language, &c->database, &c->video_channel_url, &c->social_links,
			     &c->listen,   &c->tls_cert, &c->tls_key,  &c->theme_dir, &c->purge_varnish,
			     &c->purge_url_template, &c->purge_method, &c->purge_header,
			     &c->log_format, &c->metrics_allow };
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		free_string(strings[i]);
	memset(c, 0, sizeof *c);
}

/* ---- the settings ---- */

enum kind {
	K_TEXT,	    /* non-empty text */
	K_TEXT_OPT, /* text, may be empty */
	K_PATH_OPT, /* a file path; empty means "none" (NULL) */
	K_URL,	    /* http(s) URL, stored without trailing '/' */
	K_URL_OPT,  /* the same, or empty */
	K_ZONE,	    /* IANA time zone name */
	K_LANG,	    /* BCP 47 language tag */
	K_LISTEN,   /* host:port */
	K_SOCIAL,   /* Name=URL;Name=URL */
	K_URL_LIST, /* space-separated http(s) URLs, or empty */
	K_URL_KEY,  /* an http(s) URL holding {key}, or empty */
	K_METHOD,   /* an HTTP method: upper-case letters */
	K_HEADER,   /* "Name: value", or empty */
	K_LOG_FORMAT, /* text or json */
	K_ADDR_LIST,  /* space-separated IP addresses/CIDRs, or empty */
	K_BOOL,
	K_INT,
	K_SIZE,
};

struct setting {
	const char *section, *key;
	enum kind kind;
	size_t offset;
	long long min, max; /* K_INT, K_SIZE */
};

#define F(field) offsetof(struct mh_config, field)
#define GiB (1024LL * 1024 * 1024)
static const struct setting settings[] = {
	{ "site", "title", K_TEXT, F(title), 0, 0 },
	{ "site", "tagline", K_TEXT_OPT, F(tagline), 0, 0 },
	{ "site", "base_url", K_URL, F(base_url), 0, 0 },
	{ "site", "timezone", K_ZONE, F(timezone), 0, 0 },
	{ "site", "language", K_LANG, F(language), 0, 0 },
	{ "site", "video_channel_url", K_URL_OPT, F(video_channel_url), 0, 0 },
	{ "site", "social", K_SOCIAL, F(social_links), 0, 0 },
	{ "database", "url", K_TEXT, F(database), 0, 0 },
	{ "server", "listen", K_LISTEN, F(listen), 0, 0 },
	{ "server", "threads", K_INT, F(threads), 0, 1024 },
	{ "server", "http2", K_BOOL, F(http2), 0, 0 },
	{ "server", "tls_cert", K_PATH_OPT, F(tls_cert), 0, 0 },
	{ "server", "tls_key", K_PATH_OPT, F(tls_key), 0, 0 },
	{ "server", "max_connections", K_INT, F(max_connections), 1, 1000000 },
	{ "server", "max_body", K_SIZE, F(max_body_bytes), 1, 4 * GiB },
	{ "server", "max_header_bytes", K_SIZE, F(max_header_bytes), 1024, 1024 * 1024 },
	{ "server", "header_timeout", K_INT, F(header_timeout_s), 1, 3600 },
	{ "server", "idle_timeout", K_INT, F(idle_timeout_s), 1, 86400 },
	{ "server", "access_log", K_BOOL, F(access_log), 0, 0 },
	{ "server", "log_format", K_LOG_FORMAT, F(log_format), 0, 0 },
	{ "server", "metrics_allow", K_ADDR_LIST, F(metrics_allow), 0, 0 },
	{ "cache", "enabled", K_BOOL, F(cache_enabled), 0, 0 },
	{ "cache", "max_bytes", K_SIZE, F(cache_max_bytes), 1, 1024 * GiB },
	{ "cache", "max_age", K_INT, F(max_age_s), 0, 31536000 },
	{ "cache", "s_maxage", K_INT, F(s_maxage_s), 0, 31536000 },
	{ "cache", "stale_while_revalidate", K_INT, F(stale_while_revalidate_s), 0, 31536000 },
	{ "jobs", "workers", K_INT, F(jobs_workers), 0, 64 },
	{ "jobs", "lease", K_INT, F(jobs_lease_s), 1, 86400 },
	{ "purge", "varnish", K_URL_LIST, F(purge_varnish), 0, 0 },
	{ "purge", "url_template", K_URL_KEY, F(purge_url_template), 0, 0 },
	{ "purge", "method", K_METHOD, F(purge_method), 0, 0 },
	{ "purge", "header", K_HEADER, F(purge_header), 0, 0 },
	{ "purge", "timeout", K_INT, F(purge_timeout_s), 1, 300 },
	{ "theme", "dir", K_TEXT, F(theme_dir), 0, 0 },
	{ "schema", "version", K_INT, F(schema_version), 0, INT_MAX },
};
#undef F

static const char section_list[] = "site, database, server, cache, jobs, purge, theme, schema";

static bool known_section(const char *section)
{
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (strcmp(settings[i].section, section) == 0)
			return true;
	return false;
}

static const struct setting *find_setting(const char *section, const char *key)
{
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (strcmp(settings[i].section, section) == 0 && strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

static void list_keys(struct mh_buf *b, const char *section)
{
	bool first = true;
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		if (strcmp(settings[i].section, section) != 0)
			continue;
		mh_buf_printf(b, "%s%s", first ? "" : ", ", settings[i].key);
		first = false;
	}
}

static bool has_control(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	return false;
}

static bool is_http_url(const char *v)
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

static bool valid_lang(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 35 || v[0] == '-' || v[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool valid_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon)
		return false;
	/* ":8080" (no host) listens on every address */
	if (colon != v && v[0] == '[' && colon[-1] != ']')
		return false; /* IPv6 must be bracketed: "[::1]:8080" */
	for (const char *p = v; p < colon; p++)
		if (*p == ' ' || *p == '/' || (*p == ':' && v[0] != '['))
			return false;
	long long port;
	return parse_number(colon + 1, false, &port) && port >= 1 && port <= 65535;
}

static bool valid_social(const char *v)
{
	/* Empty, or items "Name=URL" separated by ';'. */
	const char *p = v;
	while (*p) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && *p == ' ')
			p++, n--;
		const char *eq = memchr(p, '=', n);
		if (!eq || eq == p)
			return false;
		/* Spaces around an item ("A=u; B=v") are allowed, as the
		 * renderer trims them. */
		const char *u = eq + 1, *uend = p + n;
		while (u < uend && *u == ' ')
			u++;
		while (uend > u && uend[-1] == ' ')
			uend--;
		char url[MAX_LINE_LEN + 1];
		size_t un = (size_t)(uend - u);
		memcpy(url, u, un);
		url[un] = '\0';
		if (!is_http_url(url))
			return false;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return false; /* trailing ';' */
	}
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
		memcpy(url, p, n);
		url[n] = '\0';
		if (!is_http_url(url))
			return false;
		p += n;
	}
	return true;
}

/* "Name: value": a header name of token characters, then a printable value. */
static bool valid_header(const char *v)
{
	const char *colon = strchr(v, ':');
	if (colon == NULL || colon == v)
		return false;
	for (const char *p = v; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return false;
	const char *value = colon + 1;
	while (*value == ' ')
		value++;
	return *value != '\0';
}

/* Checks value against s and stores it. On failure writes "problem
 * (expected ...)" into why. */
static bool apply(struct mh_config *c, const struct setting *s, const char *v, struct mh_buf *why)
{
	void *field = (char *)c + s->offset;
	size_t n = strlen(v);
	if (has_control(v)) {
		mh_buf_append_c(why, "control character in value (expected printable text)");
		return false;
	}
	switch (s->kind) {
	case K_TEXT:
		if (n == 0) {
			mh_buf_append_c(why, "empty value (expected some text)");
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_TEXT_OPT:
		set_string(field, v, n);
		return true;
	case K_PATH_OPT:
		if (n == 0)
			free_string(field);
		else
			set_string(field, v, n);
		return true;
	case K_URL_OPT:
		if (n == 0) {
			set_string(field, v, n);
			return true;
		}
		/* fall through */
	case K_URL:
		if (!is_http_url(v)) {
			mh_buf_printf(why, "\"%s\" is not a web address (expected http:// or https:// and a host)", v);
			return false;
		}
		while (n > 0 && v[n - 1] == '/')
			n--;
		set_string(field, v, n);
		return true;
	case K_ZONE:
		if (!mh_time_zone_exists(v)) {
			mh_buf_printf(why, "unknown time zone \"%s\" (expected an IANA name like UTC or Europe/Berlin)",
				      v);
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_LANG:
		if (!valid_lang(v)) {
			mh_buf_printf(why, "bad language tag \"%s\" (expected a BCP 47 tag like en or pt-BR)", v);
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_LISTEN:
		if (!valid_listen(v)) {
			mh_buf_printf(why, "bad address \"%s\" (expected host:port like 127.0.0.1:8080 or [::1]:8080)",
				      v);
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_SOCIAL:
		if (!valid_social(v)) {
			mh_buf_append_c(why, "bad link list (expected Name=https://...;Name=https://...)");
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_URL_LIST:
		if (!valid_url_list(v)) {
			mh_buf_printf(why,
				      "\"%s\" is not a list of web addresses (expected http:// or https:// URLs "
				      "separated by spaces)",
				      v);
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_URL_KEY:
		if (n > 0 && (!is_http_url(v) || strstr(v, "{key}") == NULL)) {
			mh_buf_printf(why,
				      "\"%s\" is not a purge address (expected an http:// or https:// URL holding "
				      "{key}, like https://cdn.example/purge?key={key})",
				      v);
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_METHOD:
		for (const char *p = v; *p; p++) {
			if (*p < 'A' || *p > 'Z') {
				n = 0;
				break;
			}
		}
		if (n == 0 || n > 20) {
			mh_buf_printf(why, "\"%s\" is not an HTTP method (expected upper-case letters like POST or PURGE)",
				      v);
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_HEADER:
		if (n > 0 && !valid_header(v)) {
			mh_buf_printf(why, "\"%s\" is not a header (expected Name: value, like Authorization: Bearer abc)",
				      v);
			return false;
		}
		set_string(field, v, n);
		return true;
	case K_LOG_FORMAT: {
		enum mh_log_format f;
		if (!mh_log_format_parse(v, &f)) {
			mh_buf_printf(why, "\"%s\" is not a log format (expected text or json)", v);
			return false;
		}
		set_string(field, v, n);
		return true;
	}
	case K_ADDR_LIST: {
		struct mh_str bad = MH_STR_NULL;
		if (!mh_addr_list_valid(v, &bad)) {
			mh_buf_printf(why,
				      "\"%.*s\" is not an address (expected IP addresses or networks separated by "
				      "spaces, like 127.0.0.1 ::1 10.0.0.0/8)",
				      (int)bad.len, bad.ptr);
			return false;
		}
		set_string(field, v, n);
		return true;
	}
	case K_BOOL:
		if (!parse_bool(v, field)) {
			mh_buf_printf(why, "\"%s\" is not a boolean (expected true/false, yes/no, on/off or 1/0)", v);
			return false;
		}
		return true;
	case K_INT: {
		long long x;
		if (!parse_number(v, false, &x) || x < s->min || x > s->max) {
			mh_buf_printf(why, "\"%s\" is out of range (expected a whole number from %lld to %lld)", v,
				      s->min, s->max);
			return false;
		}
		*(int *)field = (int)x;
		return true;
	}
	case K_SIZE: {
		long long x;
		if (!parse_number(v, true, &x) || x < s->min || x > s->max || (unsigned long long)x > SIZE_MAX) {
			mh_buf_printf(why,
				      "\"%s\" is not a valid size (expected bytes from %lld to %lld, "
				      "or a number with k, m or g like 512k or 1m)",
				      v, s->min, s->max);
			return false;
		}
		*(size_t *)field = (size_t)x;
		return true;
	}
	}
	MH_ASSERT(!"unknown setting kind");
	return false;
}

/* ---- parsing through inih ---- */

struct parse_ctx {
	struct mh_config *c;
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

static int ctx_handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *x = user;
	if (x->err_line)
		return 1; /* only the first error is reported */
	struct mh_buf why = MH_BUF_INIT;
	bool ok = false;
	if (!*section) {
		mh_buf_printf(&why, "setting outside any section (expected a [section] line first: %s)",
			      section_list);
	} else if (!known_section(section)) {
		mh_buf_printf(&why, "unknown section (expected one of %s)", section_list);
	} else {
		const struct setting *s = find_setting(section, key);
		if (!s) {
			mh_buf_printf(&why, "unknown setting (expected one of ");
			list_keys(&why, section);
			mh_buf_append_ch(&why, ')');
		} else {
			ok = apply(x->c, s, value, &why);
		}
	}
	if (!ok) {
		x->err_line = ctx_line(x);
		struct mh_buf safe_key = MH_BUF_INIT, safe_section = MH_BUF_INIT;
		mh_log_sanitize(&safe_section, mh_str_c(section));
		mh_log_sanitize(&safe_key, mh_str_c(key));
		mh_buf_printf(&x->msg, "[%.*s] %.*s: %.*s", (int)safe_section.len, safe_section.ptr ? safe_section.ptr : "",
			      (int)safe_key.len, safe_key.ptr ? safe_key.ptr : "", (int)why.len, why.ptr ? why.ptr : "");
		mh_buf_free(&safe_key);
		mh_buf_free(&safe_section);
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

bool mh_config_parse(struct mh_config *c, const char *name, const char *text, size_t len, struct mh_buf *err)
{
	mh_config_defaults(c);
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
	struct parse_ctx x = { .c = c, .text = text, .len = len };
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

bool mh_config_load(struct mh_config *c, const char *dir, struct mh_buf *err)
{
	mh_config_defaults(c);
	char *abs = realpath(dir, NULL);
	if (!abs) {
		error_at(err, dir, 0, "cannot open site folder: %s", strerror(errno));
		return false;
	}
	struct mh_buf path = MH_BUF_INIT, text = MH_BUF_INIT;
	mh_buf_printf(&path, "%s/site.ini", abs);
	if (!mh_file_read(mh_buf_cstr(&path), &text)) {
		error_at(err, path.ptr, 0, "cannot read: %s", strerror(errno));
		free(abs);
		mh_buf_free(&path);
		return false;
	}
	bool ok = mh_config_parse(c, path.ptr, text.ptr ? text.ptr : "", text.len, err);
	mh_buf_free(&text);
	if (!ok) {
		free(abs);
		mh_buf_free(&path);
		mh_config_free(c);
		mh_config_defaults(c);
		return false;
	}
	c->dir = abs;
	c->path = strdup(path.ptr);
	MH_ASSERT(c->path != NULL);
	mh_buf_free(&path);
	/* The environment wins over [database] url: one site.ini for every node,
	 * the database (and its password) from the service's environment. */
	const char *env = getenv("MASTHEAD_DATABASE_URL");
	if (env != NULL && env[0] != '\0')
		set_string(&c->database, env, strlen(env));
	return true;
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

bool mh_config_set(const char *path, const char *section, const char *key, const char *value, struct mh_buf *err)
{
	if (!find_setting(section, key)) {
		error_at(err, path, 0, "[%s] %s: unknown setting", section, key);
		return false;
	}
	for (const char *p = value; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			error_at(err, path, 0, "[%s] %s: line break in value (expected a single line)", section, key);
			return false;
		}
	}
	struct mh_str val = trim(mh_str_c(value));
	struct mh_buf old = MH_BUF_INIT, out = MH_BUF_INIT;
	if (!mh_file_read(path, &old) && errno != ENOENT) {
		error_at(err, path, 0, "cannot read: %s", strerror(errno));
		return false;
	}

	/* Walk the lines, copying them to out. A line setting our key inside
	 * our section is replaced; insert_at remembers where the section's
	 * last non-blank line ended, for adding the key when it is missing. */
	bool in_section = false, replaced = false;
	size_t insert_at = SIZE_MAX;
	size_t pos = 0;
	while (pos < old.len) {
		const char *nl = memchr(old.ptr + pos, '\n', old.len - pos);
		size_t end = nl ? (size_t)(nl - old.ptr) + 1 : old.len;
		struct mh_str line = { old.ptr + pos, end - pos };
		struct mh_str t = trim(line);
		bool keep = true;
		if (t.len && t.ptr[0] == '[') {
			const char *close = memchr(t.ptr, ']', t.len);
			struct mh_str name = close ? trim((struct mh_str){ t.ptr + 1, (size_t)(close - t.ptr - 1) })
						   : MH_STR_NULL;
			in_section = close && mh_str_eq_c(name, section);
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
	mh_buf_free(&old);

	/* Never write a file that would not load. */
	struct mh_config check;
	bool ok = mh_config_parse(&check, path, out.ptr ? out.ptr : "", out.len, err);
	mh_config_free(&check);
	if (ok && !mh_file_write_atomic(path, out.ptr ? out.ptr : "", out.len)) {
		error_at(err, path, 0, "cannot write: %s", strerror(errno));
		ok = false;
	}
	mh_buf_free(&out);
	return ok;
}
