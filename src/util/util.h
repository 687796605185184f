/*
 * util: the pieces every module shares — length-carrying strings, a growable
 * byte buffer, a per-request arena, one escaper per output context, time,
 * logging, and the site.ini engine modules declare their settings on. Pure:
 * no other module is used from here.
 * Memory: arena allocations die with mh_arena_free(); mh_buf owns its bytes
 * until mh_buf_free(); nothing here keeps a pointer it was given.
 */
#ifndef MH_UTIL_H
#define MH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---- abort on impossible states (bugs), with file:line ---- */
#define MH_ASSERT(c) ((c) ? (void)0 : mh_die(__FILE__, __LINE__, #c))
_Noreturn void mh_die(const char *file, int line, const char *what);

/* ---- strings: pointer + length, not necessarily NUL-terminated ---- */
struct mh_str {
	const char *ptr;
	size_t len;
};
#define MH_STR(lit) ((struct mh_str){ (lit), sizeof(lit) - 1 })
#define MH_STR_NULL ((struct mh_str){ NULL, 0 })
struct mh_str mh_str_c(const char *s); /* from a C string; NULL -> empty */
bool mh_str_eq(struct mh_str a, struct mh_str b);
bool mh_str_eq_c(struct mh_str a, const char *c);
bool mh_str_has_prefix(struct mh_str s, const char *prefix);
bool mh_str_case_eq_c(struct mh_str a, const char *c); /* ASCII case-insensitive */
/* Parses a decimal int64 occupying all of s; false on anything else. */
bool mh_str_to_i64(struct mh_str s, int64_t *out);

/* ---- growable buffer (malloc-backed) ---- */
struct mh_buf {
	char *ptr;
	size_t len, cap;
};
#define MH_BUF_INIT ((struct mh_buf){ NULL, 0, 0 })
void mh_buf_reserve(struct mh_buf *b, size_t extra); /* aborts on OOM */
void mh_buf_append(struct mh_buf *b, const void *p, size_t n);
void mh_buf_append_str(struct mh_buf *b, struct mh_str s);
void mh_buf_append_c(struct mh_buf *b, const char *s);
void mh_buf_append_ch(struct mh_buf *b, char c);
/* v in decimal ("-12"): what "%lld" prints, without a format string to
 * parse (rendering and the access log do this for every number they write) */
void mh_buf_append_i64(struct mh_buf *b, int64_t v);
void mh_buf_printf(struct mh_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mh_buf_vprintf(struct mh_buf *b, const char *fmt, va_list ap);
/* Keeps ptr NUL-terminated after len (not counted); returns ptr. */
const char *mh_buf_cstr(struct mh_buf *b);
struct mh_str mh_buf_str(const struct mh_buf *b);
void mh_buf_reset(struct mh_buf *b); /* len = 0, keeps capacity */
void mh_buf_free(struct mh_buf *b);

/* ---- arena: bump allocator, freed all at once ---- */
struct mh_arena;
struct mh_arena *mh_arena_new(void);
void mh_arena_free(struct mh_arena *a); /* runs deferred destructors, LIFO */
void *mh_arena_alloc(struct mh_arena *a, size_t n); /* 16-aligned, zeroed */
void *mh_arena_alloc_raw(struct mh_arena *a, size_t n); /* 16-aligned, not zeroed: bytes about to be written */
/* Runs the destructors and empties the arena, keeping its chunks for the
 * next user (the HTTP engine's per-worker arena); what it held is gone. */
void mh_arena_reset(struct mh_arena *a);
/* parts[0..n) (n <= 8; NULL as "") joined, NUL-terminated: a path or a key
 * without a format string. */
char *mh_arena_concat(struct mh_arena *a, const char *const *parts, size_t n);
#define MH_ARENA_CONCAT(a, ...) \
	mh_arena_concat((a), (const char *const[]){ __VA_ARGS__ }, sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))
char *mh_arena_strndup(struct mh_arena *a, const char *s, size_t n);
char *mh_arena_strdup(struct mh_arena *a, const char *s); /* NULL -> NULL */
struct mh_str mh_arena_str(struct mh_arena *a, struct mh_str s); /* copy, NUL-terminated */
char *mh_arena_printf(struct mh_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Runs fn(arg) when the arena is freed (statements, fds, refcounts). */
void mh_arena_defer(struct mh_arena *a, void (*fn)(void *), void *arg);
#define MH_NEW(arena, type) ((type *)mh_arena_alloc((arena), sizeof(type)))
#define MH_NEW_ARRAY(arena, type, n) ((type *)mh_arena_alloc((arena), sizeof(type) * (n)))

/* ---- escaping: one function per output context, appending to b ---- */
void mh_escape_html(struct mh_buf *b, struct mh_str s);  /* text: & < > " ' */
void mh_escape_attr(struct mh_buf *b, struct mh_str s);  /* quoted attribute value */
void mh_escape_url(struct mh_buf *b, struct mh_str s);   /* percent-encode a path segment/query value */
/* JSON: also < > & and U+2028/9 as \u escapes, so it is safe inside <script>. */
void mh_escape_json(struct mh_buf *b, struct mh_str s);  /* inside "..."; no quotes added */
/* XML: drops characters XML 1.0 forbids (controls but tab/LF/CR, U+FFFE/F).
 * JSON and XML turn malformed UTF-8 bytes into U+FFFD; the others pass bytes. */
void mh_escape_xml(struct mh_buf *b, struct mh_str s);   /* XML text and attributes */
/* Length of the valid UTF-8 sequence at p (1..4; n > 0 bytes available), or
 * 0 if malformed (overlong forms, surrogates and code points above U+10FFFF
 * are malformed). Stores the code point in *cp. */
size_t mh_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);
/* Decodes %XX and (when plus_is_space) '+'; false on malformed escapes. */
bool mh_url_decode(struct mh_arena *a, struct mh_str in, bool plus_is_space, struct mh_str *out);

/* ---- formatting ---- */
/* 7118 -> "7,118" into b. */
void mh_format_thousands(struct mh_buf *b, int64_t n);

/* ---- time (UTC storage, one display time zone per process) ---- */
int64_t mh_time_now(void);    /* unix seconds */
int64_t mh_time_now_us(void); /* monotonic microseconds, for durations */
/* Sets the display zone (IANA name, e.g. "Europe/Berlin"); false if unknown.
 * Process-wide (TZ + tzset): call at start-up, before threads exist. */
bool mh_time_set_zone(const char *tzname);
/* True if tzname names a zone file under /usr/share/zoneinfo (no "..", no
 * leading '/'); changes nothing. */
bool mh_time_zone_exists(const char *tzname);
/* strftime in the display zone into b. */
void mh_time_format(struct mh_buf *b, int64_t unix_seconds, const char *fmt);
/* RFC 3339 UTC "2026-11-29T06:21:00Z" into b. */
void mh_time_rfc3339(struct mh_buf *b, int64_t unix_seconds);
/* Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or RFC 3339 (Z or ±HH:MM); local
 * forms without offset are taken in the display zone. False if malformed.
 * 'T' or ' ' may separate date and time; fractions of seconds are dropped;
 * no surrounding spaces; the instant must fall in years 0001-9999 UTC. */
bool mh_time_parse(struct mh_str s, int64_t *out);

/* ---- logging: one line to stderr, client bytes made printable ---- */
enum mh_log_level { MH_LOG_DEBUG, MH_LOG_INFO, MH_LOG_WARN, MH_LOG_ERROR };
void mh_log_set_level(enum mh_log_level lvl);
void mh_log(enum mh_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with control/non-ASCII bytes as \xNN, for log lines. */
void mh_log_sanitize(struct mh_buf *b, struct mh_str s);
/* Text lines, or one JSON object per line ({"time","level","msg"}; access
 * lines {"time","level","type":"access","method","path","status","bytes",
 * "duration_us","cache"}). Process-wide; may change while threads log. */
enum mh_log_format { MH_LOG_TEXT = 0, MH_LOG_JSON };
void mh_log_set_format(enum mh_log_format f);
enum mh_log_format mh_log_get_format(void);
bool mh_log_format_parse(const char *s, enum mh_log_format *out); /* "text"|"json" */
/* The access log: lines collected per thread and written in batches by
 * mh_log_buf_flush (which the owner calls at least every second and before
 * it stops). Zero-initialise; one thread per buffer. */
struct mh_log_buf {
	struct mh_buf b;
	int64_t stamp_sec; /* the second stamp[] shows */
	char stamp[24];
	size_t stamp_len;
};
struct mh_log_access {
	struct mh_str method, path; /* as the client sent them: sanitised here */
	int status;
	uint64_t bytes;
	int64_t duration_us;
	const char *cache; /* "hit", "miss" or "-" */
};
/* Appends one line (false when the log level hides INFO); writes the batch
 * out once it fills a pipe's atomic write. */
bool mh_log_access(struct mh_log_buf *lb, const struct mh_log_access *a);
void mh_log_buf_flush(struct mh_log_buf *lb);
void mh_log_buf_free(struct mh_log_buf *lb); /* flushes first */

/* ---- address lists ("127.0.0.1 ::1 10.0.0.0/8"), for access rules ---- */
struct sockaddr;
/* True if every space-separated token is an IPv4/IPv6 address, optionally
 * with /PREFIX; else false with the first bad token in *bad (may be NULL). */
bool mh_addr_list_valid(const char *list, struct mh_str *bad);
/* True if sa (AF_INET/AF_INET6; v4-mapped v6 counts as v4) is in the list. */
bool mh_addr_list_match(const char *list, const struct sockaddr *sa);
struct sockaddr_storage;
/* The client's address: the peer's, unless the peer is in trusted (a list
 * as above, e.g. site.ini's [server] trusted_proxies); then the rightmost
 * address of xff (X-Forwarded-For, "client, proxy1, proxy2") that is not
 * itself trusted, stopping at a token that is not an address (the last
 * trusted hop is kept then). *out is always set; true when it came from xff. */
bool mh_addr_forwarded_client(const char *trusted, const struct sockaddr_storage *peer, struct mh_str xff,
			      struct sockaddr_storage *out);

/* ---- deterministic PRNG (demo content) ---- */
struct mh_rng {
	uint64_t s[4];
};
void mh_rng_seed(struct mh_rng *r, uint64_t seed);
uint64_t mh_rng_next(struct mh_rng *r);
uint32_t mh_rng_below(struct mh_rng *r, uint32_t n); /* uniform in [0, n) */

/* ---- site.ini: the engine under every module's settings ----
 * Each module declares its own site.ini sections as tables of rows: key,
 * type, where the value goes in the module's own struct, default, and the
 * comment a new site.ini shows above it. The tables are listed once, in
 * cli/config.c; util knows no module's settings. An array of slots (a table
 * and the struct its values go to) is what these functions parse, check,
 * rewrite and write out; the order of the slots is the order of the file.
 * Strings a parse stores are malloc'd and freed by mh_settings_free();
 * defaults point at the tables' static text and are never freed. */
enum mh_setting_type {
	MH_SETTING_TEXT,     /* const char *: printable text */
	MH_SETTING_PATH,     /* const char *: a file path; empty (OPTIONAL) = NULL, not set */
	MH_SETTING_URL,      /* const char *: http(s)://host..., stored without trailing '/' */
	MH_SETTING_URL_LIST, /* const char *: http(s) URLs separated by spaces, or empty */
	MH_SETTING_ZONE,     /* const char *: an IANA time zone name */
	MH_SETTING_BOOL,     /* bool: true/false, yes/no, on/off, 1/0 */
	MH_SETTING_INT,      /* int: a whole number from min to max */
	MH_SETTING_SIZE,     /* size_t: bytes from min to max, or with k, m or g */
	MH_SETTING_CHOICE,   /* int: the index of the value in choices */
};
#define MH_SETTING_OPTIONAL 1u /* TEXT, PATH, URL: may be empty */

struct mh_setting {
	const char *key;
	enum mh_setting_type type;
	size_t offset;       /* offsetof() the field in the table's struct */
	const char *def;     /* the default, written as in site.ini (and canonical) */
	const char *comment; /* above the key in a new site.ini; '\n' starts a line */
	unsigned flags;      /* MH_SETTING_OPTIONAL */
	long long min, max;  /* INT, SIZE */
	const char *const *choices; /* CHOICE: NULL-terminated */
	/* Optional, after the type's own check (not for an empty OPTIONAL value):
	 * false with "problem (expected ...)" appended to why. */
	bool (*check)(const char *value, struct mh_buf *why);
};

/* One [section] of site.ini, declared by the module that owns it. */
struct mh_settings_table {
	const char *section;
	const char *about; /* a comment under [section] in a new site.ini, or NULL */
	const struct mh_setting *rows;
	size_t n_rows;
	size_t size; /* sizeof the struct the rows' offsets point into */
};
#define MH_SETTINGS_TABLE(sec, about_, rows_, type_) \
	{ (sec), (about_), (rows_), sizeof(rows_) / sizeof((rows_)[0]), sizeof(type_) }

/* A table and the struct its values go to (NULL where only checking). */
struct mh_settings_slot {
	const struct mh_settings_table *table;
	void *values;
};

/* Sets every value to its default. Allocates nothing, so it may be called on
 * uninitialised memory and needs no free. A default that does not pass its
 * own row's check is a bug: it aborts. */
void mh_settings_defaults(const struct mh_settings_slot *slots, size_t n);
/* Defaults, then ini text (the fuzz entry point). On error returns false,
 * leaves the values at their defaults, and writes "NAME:LINE: [section] key:
 * problem (expected ...)" into err (may be NULL); the first error wins. An
 * unknown section or key is an error; for a key set twice the last wins.
 * Lines longer than 4000 bytes and NUL bytes are errors. */
bool mh_settings_parse(const struct mh_settings_slot *slots, size_t n, const char *name, const char *text,
		       size_t len, struct mh_buf *err);
/* Sets one value from outside the file (the environment), checked as a line
 * would be; the error reads "NAME: [section] key: problem (expected ...)". */
bool mh_settings_apply(const struct mh_settings_slot *slots, size_t n, const char *name, const char *section,
		       const char *key, const char *value, struct mh_buf *err);
/* Frees the strings a parse stored and zeroes the values (NULL strings). */
void mh_settings_free(const struct mh_settings_slot *slots, size_t n);
/* Rewrites one key in ini text (adds the section or key if missing): other
 * lines and comments are kept, and the result must parse, else text is left
 * as it was and err says why (NAME names text in messages). */
bool mh_settings_edit(const struct mh_settings_slot *slots, size_t n, struct mh_buf *text, const char *name,
		      const char *section, const char *key, const char *value, struct mh_buf *err);
/* mh_settings_edit on the file at path, written atomically; a missing file
 * is created. */
bool mh_settings_set(const struct mh_settings_slot *slots, size_t n, const char *path, const char *section,
		     const char *key, const char *value, struct mh_buf *err);
/* Appends a whole site.ini: every section and key at its default, each with
 * its comment. It parses back to exactly mh_settings_defaults(). */
void mh_settings_write_defaults(const struct mh_settings_slot *slots, size_t n, struct mh_buf *out);
/* For check functions: an http:// or https:// address with a host, and no
 * space, quote, '<', '>' or control character. */
bool mh_settings_is_web_url(const char *v);

/* ---- files ---- */
/* Reads a whole file into b (appending). False with errno set on failure. */
bool mh_file_read(const char *path, struct mh_buf *b);
/* Writes atomically (temp file + fsync + rename). */
bool mh_file_write_atomic(const char *path, const void *p, size_t n);

#endif
