/*
 * Unit tests of theme loading: override by file name, partials across the two
 * folders, fingerprinted assets and their lookup, reload detection, errors.
 * Each test builds its own theme folders under a fresh temporary directory.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/render.h"

static char root[256];
static char def[300], ovr[300];
static struct mh_arena *A;

static void put(const char *dir, const char *rel, const char *content)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	/* create parent folders */
	for (char *p = path + strlen(dir) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s", path);
	fputs(content, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/mh-theme-test-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	snprintf(def, sizeof(def), "%s/default", root);
	snprintf(ovr, sizeof(ovr), "%s/site-theme", root);
	mkdir(def, 0755);
	mkdir(ovr, 0755);
	put(def, "layout.mustache", "<html>{{$main}}{{/main}}<link href=\"{{assets.site_css}}\"></html>\n");
	put(def, "article.mustache", "{{<layout}}\n{{$main}}{{>card}}{{/main}}\n{{/layout}}\n");
	put(def, "card.mustache", "default card {{title}}");
	put(def, "static/site.css", "body{color:red}");
	put(def, "static/site.js", "1;");
	put(def, "static/fonts/serif.woff2", "wOF2");
	put(ovr, "card.mustache", "site card {{title}}");
	put(ovr, "extra.mustache", "{{>card}}!");
	put(ovr, "static/site.css", "body{color:blue}");
	put(ovr, "notes.txt", "not a template");
	A = mh_arena_new();
}

static void teardown(void)
{
	mh_arena_free(A);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(theme, .init = setup, .fini = teardown);

static struct mh_theme *load_ok(const char *d, const char *o)
{
	struct mh_buf err = MH_BUF_INIT;
	struct mh_theme *t = mh_theme_load(d, o, &err);
	cr_assert_not_null(t, "load failed: %s", mh_buf_cstr(&err));
	mh_buf_free(&err);
	return t;
}

static const char *render(const struct mh_theme *t, const char *name, struct mh_val *ctx)
{
	struct mh_buf out = MH_BUF_INIT;
	cr_assert(mh_theme_render(t, name, ctx, &out), "no template %s", name);
	const char *r = mh_arena_strndup(A, out.ptr ? out.ptr : "", out.len);
	mh_buf_free(&out);
	return r;
}

static void hash8(const char *content, char out[9])
{
	unsigned char h[crypto_generichash_BYTES];
	char hex[2 * sizeof(h) + 1];
	cr_assert(sodium_init() >= 0);
	crypto_generichash(h, sizeof(h), (const unsigned char *)content, strlen(content), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	memcpy(out, hex, 8);
	out[8] = '\0';
}

Test(theme, override_wins_by_file_name)
{
	struct mh_theme *t = load_ok(def, ovr);
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "title", "<T>");
	mh_theme_add_asset_urls(t, A, c);
	char h[9];
	hash8("body{color:blue}", h);
	char want[200];
	snprintf(want, sizeof(want), "<html>site card &lt;T&gt;<link href=\"/static/site.%s.css\"></html>\n", h);
	cr_assert_str_eq(render(t, "article", c), want);
	cr_assert_str_eq(render(t, "extra", c), "site card &lt;T&gt;!");
	struct mh_buf out = MH_BUF_INIT;
	cr_assert_not(mh_theme_render(t, "notes", c, &out));
	cr_assert_not(mh_theme_render(t, "missing", c, &out));
	cr_assert_eq(out.len, 0);
	mh_theme_free(t);
}

Test(theme, default_only_without_override)
{
	struct mh_theme *t = load_ok(def, NULL);
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "title", "x");
	cr_assert_str_eq(render(t, "card", c), "default card x");
	struct mh_buf out = MH_BUF_INIT;
	cr_assert_not(mh_theme_render(t, "extra", c, &out));
	mh_theme_free(t);
	/* An override folder that does not exist is the same as none. */
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/nope", root);
	t = load_ok(def, missing);
	cr_assert_str_eq(render(t, "card", c), "default card x");
	mh_theme_free(t);
}

Test(theme, assets_are_fingerprinted)
{
	struct mh_theme *t = load_ok(def, ovr);
	char h[9], url[100];
	hash8("body{color:blue}", h);
	snprintf(url, sizeof(url), "/static/site.%s.css", h);
	cr_assert_str_eq(mh_theme_asset_url(t, "site.css"), url);
	const struct mh_asset *as = mh_theme_asset_by_url(t, mh_str_c(url));
	cr_assert_not_null(as);
	cr_assert_str_eq(as->logical, "site.css");
	cr_assert_str_eq(as->content_type, "text/css; charset=utf-8");
	cr_assert(mh_str_eq_c(as->body, "body{color:blue}"));
	cr_assert_eq(as->etag.ptr[0], '"');
	cr_assert_eq(as->etag.ptr[as->etag.len - 1], '"');
	cr_assert_gt(as->etag.len, 10);

	hash8("1;", h);
	snprintf(url, sizeof(url), "/static/site.%s.js", h);
	cr_assert_str_eq(mh_theme_asset_url(t, "site.js"), url);
	cr_assert_str_eq(mh_theme_asset_by_url(t, mh_str_c(url))->content_type, "text/javascript; charset=utf-8");

	hash8("wOF2", h);
	snprintf(url, sizeof(url), "/static/fonts/serif.%s.woff2", h);
	cr_assert_str_eq(mh_theme_asset_url(t, "fonts/serif.woff2"), url);
	cr_assert_str_eq(mh_theme_asset_by_url(t, mh_str_c(url))->content_type, "font/woff2");

	cr_assert_null(mh_theme_asset_url(t, "nope.css"));
	struct mh_val *c = mh_val_map(A);
	mh_theme_add_asset_urls(t, A, c);
	struct mh_val *m = mh_val_get(c, "assets");
	cr_assert_not_null(m);
	cr_assert_str_eq(mh_val_get(m, "site_js")->u.s.ptr, mh_theme_asset_url(t, "site.js"));
	cr_assert_str_eq(mh_val_get(m, "fonts_serif_woff2")->u.s.ptr, url);
	mh_theme_free(t);
}

Test(theme, asset_lookup_refuses_anything_but_known_urls)
{
	struct mh_theme *t = load_ok(def, ovr);
	const char *good = mh_theme_asset_url(t, "site.css");
	char stale[100], longer[100], shorter[100];
	snprintf(stale, sizeof(stale), "/static/site.00000000.css");
	snprintf(longer, sizeof(longer), "%s/", good);
	snprintf(shorter, sizeof(shorter), "%.*s", (int)strlen(good) - 1, good);
	const char *bad[] = {
		"/static/site.css", "/static/../site.ini", "/static/%2e%2e/site.ini", "/static/..%2fsite.ini",
		"/static/fonts/../site.css", "/static//site.css", "/site.ini", "/static/", "", stale, longer, shorter,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_null(mh_theme_asset_by_url(t, mh_str_c(bad[i])), "accepted %s", bad[i]);
	cr_assert_null(mh_theme_asset_by_url(t, MH_STR_NULL));
	/* A URL embedded in a longer, not NUL-terminated buffer is matched by length. */
	char buf[200];
	snprintf(buf, sizeof(buf), "%sX", good);
	cr_assert_not_null(mh_theme_asset_by_url(t, (struct mh_str){ buf, strlen(good) }));
	mh_theme_free(t);
}

Test(theme, changed_sees_edits_and_new_files)
{
	struct mh_theme *t = load_ok(def, ovr);
	cr_assert_not(mh_theme_changed(t));
	char path[600];
	snprintf(path, sizeof(path), "%s/card.mustache", ovr);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	cr_assert(mh_theme_changed(t));
	mh_theme_free(t);

	t = load_ok(def, ovr);
	cr_assert_not(mh_theme_changed(t));
	put(ovr, "static/new.svg", "<svg/>");
	cr_assert(mh_theme_changed(t));
	mh_theme_free(t);

	t = load_ok(def, ovr);
	snprintf(path, sizeof(path), "%s/extra.mustache", ovr);
	cr_assert_eq(unlink(path), 0);
	cr_assert(mh_theme_changed(t));
	mh_theme_free(t);
}

Test(theme, syntax_error_names_file_and_line)
{
	put(ovr, "card.mustache", "ok\n{{#title}}\nnever closed\n");
	struct mh_buf err = MH_BUF_INIT;
	struct mh_theme *t = mh_theme_load(def, ovr, &err);
	cr_assert_null(t);
	char want[600];
	snprintf(want, sizeof(want), "%s/card.mustache:2: section \"title\" is never closed", ovr);
	cr_assert_str_eq(mh_buf_cstr(&err), want);
	mh_buf_free(&err);
}

Test(theme, missing_default_folder_is_an_error)
{
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/nope", root);
	struct mh_buf err = MH_BUF_INIT;
	cr_assert_null(mh_theme_load(missing, ovr, &err));
	cr_assert(strstr(mh_buf_cstr(&err), "theme folder not found") != NULL, "%s", err.ptr);
	mh_buf_free(&err);
}

#ifdef MH_THEMES_DIR
/* The shipped default theme must load: every template compiles. */
Test(theme, shipped_default_theme_loads)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/default", MH_THEMES_DIR);
	struct mh_buf err = MH_BUF_INIT;
	struct mh_theme *t = mh_theme_load(path, NULL, &err);
	cr_assert_not_null(t, "%s", mh_buf_cstr(&err));
	mh_theme_free(t);
	mh_buf_free(&err);
}
#endif
