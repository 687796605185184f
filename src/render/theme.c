/*
 * render/theme: a theme is a folder of NAME.mustache templates and static/
 * assets, overridden file by file by a site's own folder. Everything is read
 * and compiled at load; the result is immutable (shared by all threads) until
 * mh_theme_free() (assets: until their last hold is released). Assets are held in memory with a content fingerprint in
 * their URL, so they can be cached for a year and looked up by exact URL only.
 */
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "render/render.h"

#define THEME_MAX_DEPTH 8 /* static/ sub-folders */

struct theme_tpl {
	char *name; /* "article" */
	char *path;
	struct mh_buf src;
	struct mh_template *t;
};

struct theme_asset {
	struct mh_asset pub;
	char *logical, *url, *etag;
	struct mh_buf body;
};

/* One file as seen at load: for mh_theme_changed(). */
struct snap_entry {
	char *path;
	int64_t mtime_ns;
	int64_t size;
};

struct snap {
	struct snap_entry *v;
	size_t n, cap;
};

struct mh_theme {
	struct theme_tpl *tpls;
	size_t ntpls;
	struct theme_asset *assets;
	size_t nassets;
	char *default_dir, *override_dir;
	struct snap snap;
	/* The assets (and this struct, which holds them) outlive
	 * mh_theme_free() while a response still sends an asset's bytes: one
	 * reference is the theme's own, one each mh_theme_assets_hold(). */
	atomic_int asset_refs;
};

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	MH_ASSERT(d != NULL);
	return d;
}

static char *path_join(const char *a, const char *b)
{
	struct mh_buf p = MH_BUF_INIT;
	mh_buf_printf(&p, "%s/%s", a, b);
	mh_buf_cstr(&p);
	return p.ptr;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && memcmp(s + n - m, suf, m) == 0;
}

/* ---- directory listing: regular files, sorted, dotfiles skipped ---- */

struct flist {
	char **rel; /* relative to the listed root */
	size_t n, cap;
};

static void flist_add(struct flist *l, char *rel)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->rel = realloc(l->rel, l->cap * sizeof(*l->rel));
		MH_ASSERT(l->rel != NULL);
	}
	l->rel[l->n++] = rel;
}

static void flist_free(struct flist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rel[i]);
	free(l->rel);
	*l = (struct flist){ 0 };
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists regular files under root (recursing when depth > 0). A missing root
 * is an empty list; any other failure is an error. */
static bool list_files(const char *root, const char *sub, int depth, struct flist *out, struct mh_buf *err)
{
	char *dir = sub[0] ? path_join(root, sub) : xstrdup(root);
	DIR *d = opendir(dir);
	if (d == NULL) {
		bool ok = errno == ENOENT || errno == ENOTDIR;
		if (!ok)
			mh_buf_printf(err, "%s: %s", dir, strerror(errno));
		free(dir);
		return ok;
	}
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *full = path_join(dir, e->d_name);
		struct stat sb;
		if (stat(full, &sb) == 0) {
			char *rel = sub[0] ? path_join(sub, e->d_name) : xstrdup(e->d_name);
			if (S_ISREG(sb.st_mode)) {
				flist_add(out, rel);
			} else if (S_ISDIR(sb.st_mode) && depth > 0) {
				ok = list_files(root, rel, depth - 1, out, err);
				free(rel);
			} else {
				free(rel);
			}
		}
		free(full);
	}
	closedir(d);
	free(dir);
	if (sub[0] == '\0' && out->n > 1)
		qsort(out->rel, out->n, sizeof(*out->rel), cmp_str);
	return ok;
}

/* ---- snapshot for --dev reload ---- */

static void snap_add(struct snap *s, const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		MH_ASSERT(s->v != NULL);
	}
	s->v[s->n++] = (struct snap_entry){
		xstrdup(path),
		(int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
		(int64_t)sb.st_size,
	};
}

static void snap_free(struct snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].path);
	free(s->v);
	*s = (struct snap){ 0 };
}

static void snap_dir(struct snap *s, const char *dir)
{
	struct mh_buf ignore = MH_BUF_INIT;
	struct flist l = { 0 };
	if (dir != NULL) {
		list_files(dir, "", 0, &l, &ignore);
		for (size_t i = 0; i < l.n; i++) {
			if (has_suffix(l.rel[i], ".mustache")) {
				char *p = path_join(dir, l.rel[i]);
				snap_add(s, p);
				free(p);
			}
		}
		flist_free(&l);
		char *st = path_join(dir, "static");
		list_files(st, "", THEME_MAX_DEPTH, &l, &ignore);
		for (size_t i = 0; i < l.n; i++) {
			char *p = path_join(st, l.rel[i]);
			snap_add(s, p);
			free(p);
		}
		flist_free(&l);
		free(st);
	}
	mh_buf_free(&ignore);
}

static void snap_take(struct snap *s, const char *default_dir, const char *override_dir)
{
	snap_dir(s, default_dir);
	snap_dir(s, override_dir);
}

bool mh_theme_changed(const struct mh_theme *t)
{
	struct snap now = { 0 };
	snap_take(&now, t->default_dir, t->override_dir);
	bool changed = now.n != t->snap.n;
	for (size_t i = 0; !changed && i < now.n; i++) {
		const struct snap_entry *a = &now.v[i], *b = &t->snap.v[i];
		changed = strcmp(a->path, b->path) != 0 || a->mtime_ns != b->mtime_ns || a->size != b->size;
	}
	snap_free(&now);
	return changed;
}

/* ---- templates ---- */

static struct theme_tpl *tpl_find(const struct mh_theme *t, const char *name)
{
	for (size_t i = 0; i < t->ntpls; i++) {
		if (strcmp(t->tpls[i].name, name) == 0)
			return &t->tpls[i];
	}
	return NULL;
}

static bool add_templates(struct mh_theme *t, const char *dir, struct mh_buf *err)
{
	struct flist l = { 0 };
	if (!list_files(dir, "", 0, &l, err))
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < l.n; i++) {
		if (!has_suffix(l.rel[i], ".mustache"))
			continue;
		char *name = strndup(l.rel[i], strlen(l.rel[i]) - strlen(".mustache"));
		MH_ASSERT(name != NULL);
		char *path = path_join(dir, l.rel[i]);
		struct mh_buf src = MH_BUF_INIT;
		if (!mh_file_read(path, &src)) {
			mh_buf_printf(err, "%s: %s", path, strerror(errno));
			ok = false;
			free(name);
			free(path);
			mh_buf_free(&src);
			break;
		}
		struct theme_tpl *tp = tpl_find(t, name);
		if (tp != NULL) {
			/* The override folder wins by file name. */
			free(tp->path);
			mh_buf_free(&tp->src);
			free(name);
		} else {
			t->tpls = realloc(t->tpls, (t->ntpls + 1) * sizeof(*t->tpls));
			MH_ASSERT(t->tpls != NULL);
			tp = &t->tpls[t->ntpls++];
			*tp = (struct theme_tpl){ .name = name };
		}
		tp->path = path;
		tp->src = src;
	}
	flist_free(&l);
	return ok;
}

static bool theme_loader(const char *name, struct mh_buf *src, void *arg)
{
	const struct theme_tpl *tp = tpl_find(arg, name);
	if (tp == NULL)
		return false;
	mh_buf_append(src, tp->src.ptr, tp->src.len);
	return true;
}

static bool compile_templates(struct mh_theme *t, struct mh_buf *err)
{
	/* First each file alone, so that a syntax error is reported with the
	 * path of the file that has it rather than a partial's name. */
	for (size_t i = 0; i < t->ntpls; i++) {
		struct theme_tpl *tp = &t->tpls[i];
		struct mh_template *x = mh_template_compile(tp->path, tp->src.ptr, tp->src.len, NULL, NULL, err);
		if (x == NULL)
			return false;
		mh_template_free(x);
	}
	for (size_t i = 0; i < t->ntpls; i++) {
		struct theme_tpl *tp = &t->tpls[i];
		tp->t = mh_template_compile(tp->name, tp->src.ptr, tp->src.len, theme_loader, t, err);
		if (tp->t == NULL)
			return false;
	}
	return true;
}

bool mh_theme_render(const struct mh_theme *t, const char *name, const struct mh_val *ctx, struct mh_buf *out)
{
	const struct theme_tpl *tp = tpl_find(t, name);
	if (tp == NULL || tp->t == NULL)
		return false;
	mh_template_render(tp->t, ctx, out);
	return true;
}

/* ---- assets ---- */

static const char *content_type(const char *ext)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "webp", "image/webp" },
		{ "ico", "image/x-icon" },
		{ "woff2", "font/woff2" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "json", "application/json" },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcasecmp(ext, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

/* Asset names go into URLs unescaped, so only plain names are accepted. */
static bool plain_name(const char *rel)
{
	for (const char *p = rel; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			  c == '-' || c == '_' || c == '/';
		if (!ok)
			return false;
	}
	return true;
}

static struct theme_asset *asset_find(const struct mh_theme *t, const char *logical)
{
	for (size_t i = 0; i < t->nassets; i++) {
		if (strcmp(t->assets[i].logical, logical) == 0)
			return &t->assets[i];
	}
	return NULL;
}

static void asset_finish(struct theme_asset *as)
{
	unsigned char h[crypto_generichash_BYTES];
	mh_buf_cstr(&as->body); /* an empty file still gets a non-NULL body */
	crypto_generichash(h, sizeof(h), (const unsigned char *)as->body.ptr, as->body.len, NULL, 0);
	char hex[2 * 16 + 1];
	sodium_bin2hex(hex, sizeof(hex), h, 16);

	const char *base = strrchr(as->logical, '/');
	base = base != NULL ? base + 1 : as->logical;
	const char *dot = strrchr(base, '.');
	struct mh_buf url = MH_BUF_INIT;
	if (dot == NULL || dot == base) {
		mh_buf_printf(&url, "/static/%s.%.8s", as->logical, hex);
		as->pub.content_type = "application/octet-stream";
	} else {
		mh_buf_printf(&url, "/static/%.*s.%.8s%s", (int)(dot - as->logical), as->logical, hex, dot);
		as->pub.content_type = content_type(dot + 1);
	}
	mh_buf_cstr(&url);
	free(as->url);
	as->url = url.ptr;
	struct mh_buf etag = MH_BUF_INIT;
	mh_buf_printf(&etag, "\"%s\"", hex);
	mh_buf_cstr(&etag);
	free(as->etag);
	as->etag = etag.ptr;
	as->pub.logical = as->logical;
	as->pub.url = as->url;
	as->pub.body = mh_buf_str(&as->body);
	as->pub.etag = (struct mh_str){ as->etag, etag.len };
}

static bool add_assets(struct mh_theme *t, const char *dir, struct mh_buf *err)
{
	char *root = path_join(dir, "static");
	struct flist l = { 0 };
	bool ok = list_files(root, "", THEME_MAX_DEPTH, &l, err);
	for (size_t i = 0; ok && i < l.n; i++) {
		if (!plain_name(l.rel[i])) {
			mh_log(MH_LOG_WARN, "theme: skipping asset %s/%s: name must be [A-Za-z0-9._-]", root, l.rel[i]);
			continue;
		}
		char *path = path_join(root, l.rel[i]);
		struct mh_buf body = MH_BUF_INIT;
		if (!mh_file_read(path, &body)) {
			mh_buf_printf(err, "%s: %s", path, strerror(errno));
			ok = false;
		} else {
			struct theme_asset *as = asset_find(t, l.rel[i]);
			if (as != NULL) {
				mh_buf_free(&as->body);
			} else {
				t->assets = realloc(t->assets, (t->nassets + 1) * sizeof(*t->assets));
				MH_ASSERT(t->assets != NULL);
				as = &t->assets[t->nassets++];
				*as = (struct theme_asset){ .logical = xstrdup(l.rel[i]) };
			}
			as->body = body;
			body = MH_BUF_INIT;
		}
		mh_buf_free(&body);
		free(path);
	}
	flist_free(&l);
	free(root);
	return ok;
}

const struct mh_asset *mh_theme_asset_by_url(const struct mh_theme *t, struct mh_str path)
{
	if (t == NULL || path.ptr == NULL)
		return NULL;
	for (size_t i = 0; i < t->nassets; i++) {
		if (mh_str_eq_c(path, t->assets[i].url))
			return &t->assets[i].pub;
	}
	return NULL;
}

const char *mh_theme_asset_url(const struct mh_theme *t, const char *logical)
{
	const struct theme_asset *as = t != NULL && logical != NULL ? asset_find(t, logical) : NULL;
	return as != NULL ? as->url : NULL;
}

void mh_theme_add_asset_urls(const struct mh_theme *t, struct mh_arena *a, struct mh_val *ctx)
{
	struct mh_val *m = mh_val_map(a);
	for (size_t i = 0; i < t->nassets; i++) {
		char *key = mh_arena_strdup(a, t->assets[i].logical);
		for (char *p = key; *p; p++) {
			if (*p == '.' || *p == '/' || *p == '-')
				*p = '_';
		}
		mh_val_set(a, m, key, mh_val_cstr(a, mh_arena_strdup(a, t->assets[i].url)));
	}
	mh_val_set(a, ctx, "assets", m);
}

/* ---- load / free ---- */

struct mh_theme *mh_theme_load(const char *default_dir, const char *override_dir, struct mh_buf *err)
{
	struct mh_buf scratch = MH_BUF_INIT;
	if (err == NULL)
		err = &scratch;
	if (default_dir == NULL) {
		mh_buf_append_c(err, "theme: no default theme folder given");
		return NULL;
	}
	struct stat sb;
	if (stat(default_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		mh_buf_printf(err, "%s: theme folder not found", default_dir);
		return NULL;
	}
	if (sodium_init() < 0) {
		mh_buf_append_c(err, "theme: libsodium failed to initialise");
		return NULL;
	}
	struct mh_theme *t = calloc(1, sizeof(*t));
	MH_ASSERT(t != NULL);
	atomic_init(&t->asset_refs, 1);
	t->default_dir = xstrdup(default_dir);
	t->override_dir = override_dir != NULL ? xstrdup(override_dir) : NULL;
	/* Taken before reading, so an edit racing the load still shows up. */
	snap_take(&t->snap, t->default_dir, t->override_dir);

	bool ok = add_templates(t, default_dir, err) && (override_dir == NULL || add_templates(t, override_dir, err)) &&
		  add_assets(t, default_dir, err) && (override_dir == NULL || add_assets(t, override_dir, err)) &&
		  compile_templates(t, err);
	if (ok) {
		for (size_t i = 0; i < t->nassets; i++)
			asset_finish(&t->assets[i]);
	}
	mh_buf_free(&scratch);
	if (!ok) {
		mh_theme_free(t);
		return NULL;
	}
	return t;
}

void mh_theme_free(struct mh_theme *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->ntpls; i++) {
		free(t->tpls[i].name);
		free(t->tpls[i].path);
		mh_buf_free(&t->tpls[i].src);
		mh_template_free(t->tpls[i].t);
	}
	free(t->tpls);
	t->tpls = NULL;
	t->ntpls = 0;
	free(t->default_dir);
	free(t->override_dir);
	snap_free(&t->snap);
	t->default_dir = t->override_dir = NULL;
	mh_theme_assets_release(t);
}

const void *mh_theme_assets_hold(const struct mh_theme *t)
{
	struct mh_theme *m = (struct mh_theme *)t; /* the count is not the theme's content */
	atomic_fetch_add(&m->asset_refs, 1);
	return t;
}

void mh_theme_assets_release(const void *hold)
{
	struct mh_theme *t = (struct mh_theme *)hold;
	if (atomic_fetch_sub(&t->asset_refs, 1) != 1)
		return;
	for (size_t i = 0; i < t->nassets; i++) {
		free(t->assets[i].logical);
		free(t->assets[i].url);
		free(t->assets[i].etag);
		mh_buf_free(&t->assets[i].body);
	}
	free(t->assets);
	free(t);
}
