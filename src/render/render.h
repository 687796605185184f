/*
 * render: a Mustache engine (variables, sections, inverted sections, comments,
 * partials, set delimiters, inheritance) and themes. Templates are compiled
 * once; rendering fills them with a value tree it is given and never queries.
 * Output is escaped by construction: only MH_VAL_HTML (trusted HTML made by the
 * Markdown renderer or the engine's callers on purpose) is ever written raw.
 * Memory: values live in the caller's arena; a compiled theme is immutable and
 * shared by all threads until mh_theme_free(); rendering appends to a buffer.
 */
#ifndef MH_RENDER_H
#define MH_RENDER_H

#include "util/util.h"

/* ---- the value tree handed to templates ---- */
enum mh_val_type {
	MH_VAL_NULL,
	MH_VAL_BOOL,
	MH_VAL_INT,
	MH_VAL_DOUBLE,
	MH_VAL_STRING, /* text: always escaped on output */
	MH_VAL_HTML,   /* trusted HTML: raw under {{{ }}} and {{& }}, escaped under {{ }} */
	MH_VAL_LIST,
	MH_VAL_MAP,
};

struct mh_val;
struct mh_val_pair {
	const char *key;
	struct mh_val *val;
};
struct mh_val {
	enum mh_val_type type;
	union {
		bool b;
		int64_t i;
		double d;
		struct mh_str s; /* STRING and HTML */
		struct {
			struct mh_val **items;
			size_t len, cap;
		} list;
		struct {
			struct mh_val_pair *pairs;
			size_t len, cap;
		} map;
	} u;
};

struct mh_val *mh_val_null(struct mh_arena *a);
struct mh_val *mh_val_bool(struct mh_arena *a, bool b);
struct mh_val *mh_val_int(struct mh_arena *a, int64_t i);
struct mh_val *mh_val_double(struct mh_arena *a, double d);
struct mh_val *mh_val_str(struct mh_arena *a, struct mh_str s); /* not copied */
struct mh_val *mh_val_cstr(struct mh_arena *a, const char *s);  /* not copied; NULL -> "" */
struct mh_val *mh_val_html(struct mh_arena *a, struct mh_str trusted_html);
struct mh_val *mh_val_list(struct mh_arena *a);
struct mh_val *mh_val_map(struct mh_arena *a);
void mh_val_push(struct mh_arena *a, struct mh_val *list, struct mh_val *item);
/* Sets key (not copied) in map, replacing an existing one; returns map. */
struct mh_val *mh_val_set(struct mh_arena *a, struct mh_val *map, const char *key, struct mh_val *v);
struct mh_val *mh_val_get(const struct mh_val *map, const char *key);
/* Convenience setters. */
void mh_val_set_cstr(struct mh_arena *a, struct mh_val *map, const char *key, const char *s);
void mh_val_set_int(struct mh_arena *a, struct mh_val *map, const char *key, int64_t i);
void mh_val_set_bool(struct mh_arena *a, struct mh_val *map, const char *key, bool b);

/* ---- templates ----
 * Sections: null, false, an empty list and an empty string (or HTML) are
 * falsey; numbers (0 too), maps and non-empty strings are truthy. The spec
 * leaves empty strings open; themes rely on it ({{#page.rel_prev}}...).
 * A list renders its section once per item; anything else truthy is pushed
 * onto the context stack once. Numbers print plainly ("85", "1.21").
 * Rendering is guarded: partials/parents nested over 100 deep, nesting over
 * 1000 or more than 4M node visits stop that branch and log one warning
 * (a self-including partial must not take the server down). */
struct mh_template;
/* Resolves partial/parent names to template source at compile time. Returns
 * false if unknown (the spec renders an unknown partial as empty). */
typedef bool (*mh_partial_loader)(const char *name, struct mh_buf *src, void *arg);

/* Compiles src. On a syntax error returns NULL and writes "NAME:LINE: message"
 * into err. Partials are loaded (recursively, once each) through loader. */
struct mh_template *mh_template_compile(const char *name, const char *src, size_t len,
					 mh_partial_loader loader, void *loader_arg, struct mh_buf *err);
/* Renders with the context stack starting at ctx; appends to out. */
void mh_template_render(const struct mh_template *t, const struct mh_val *ctx, struct mh_buf *out);
void mh_template_free(struct mh_template *t);
/* Spec compatibility: when true, {{{x}}} of a MH_VAL_STRING is written raw as the
 * Mustache spec asks. Off in production (strings are always escaped). */
void mh_template_set_spec_mode(struct mh_template *t, bool on);

/* ---- themes: a folder of NAME.mustache files plus static/ assets ----
 * Templates sit flat in the folder; static/ may have sub-folders ("fonts/x.woff2"
 * -> "/static/fonts/x.<hash8>.woff2"). Asset names must be [A-Za-z0-9._-]
 * (others are skipped with a warning) since they go into URLs as they are.
 * Errors (a template's syntax, an unreadable file) name the file and line. */
struct mh_theme;
/* Loads every *.mustache under default_dir, each overridden by the file of the
 * same name in override_dir (may be NULL or absent). Partials {{> name}} and
 * parents {{< name}} resolve within the theme by the same rule. Static assets
 * under static/ (same override rule) are fingerprinted: "site.css" is served
 * as "/static/site.<hash8>.css". */
struct mh_theme *mh_theme_load(const char *default_dir, const char *override_dir, struct mh_buf *err);
/* Frees the templates at once; the assets stay until the last hold is released. */
void mh_theme_free(struct mh_theme *t);
/* Keeps t's assets (every struct mh_asset and its bytes) valid past
 * mh_theme_free(t) until the returned hold is released: for a response
 * still sending an asset when --dev reloads the theme. Thread-safe. */
const void *mh_theme_assets_hold(const struct mh_theme *t);
void mh_theme_assets_release(const void *hold);
/* Renders template "name" (e.g. "article"); false if there is no such template. */
bool mh_theme_render(const struct mh_theme *t, const char *name, const struct mh_val *ctx, struct mh_buf *out);
/* True if any template or asset file changed on disk since load (for --dev). */
bool mh_theme_changed(const struct mh_theme *t);

struct mh_asset {
	const char *logical;     /* "site.css" */
	const char *url;         /* "/static/site.3f2a9c1b.css" */
	const char *content_type;
	struct mh_str body;
	struct mh_str etag;      /* strong, quoted */
};
/* Looks up by fingerprinted URL path ("/static/site.3f2a9c1b.css"); NULL if
 * unknown — including any path with "..", "/" inside the name, or a stale hash. */
const struct mh_asset *mh_theme_asset_by_url(const struct mh_theme *t, struct mh_str path);
/* Fingerprinted URL for a logical name, NULL if unknown. */
const char *mh_theme_asset_url(const struct mh_theme *t, const char *logical);
/* Adds a map {"site.css": "/static/site.…css", ...} under key "assets" of ctx,
 * with dots in names replaced by '_' ("site_css") so templates can use them. */
void mh_theme_add_asset_urls(const struct mh_theme *t, struct mh_arena *a, struct mh_val *ctx);

#endif
