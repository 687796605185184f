/*
 * Unit tests of the Mustache engine beyond the spec: escaping by value type,
 * compile errors with line numbers, render guards, partial caching, values.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "render/render.h"

struct fixture {
	const char *names[8];
	const char *srcs[8];
	int calls;
};

static bool fixture_loader(const char *name, struct mh_buf *src, void *arg)
{
	struct fixture *f = arg;
	f->calls++;
	for (int i = 0; i < 8 && f->names[i] != NULL; i++) {
		if (strcmp(f->names[i], name) == 0) {
			mh_buf_append_c(src, f->srcs[i]);
			return true;
		}
	}
	return false;
}

static struct mh_arena *A;

static void setup(void)
{
	A = mh_arena_new();
}

static void teardown(void)
{
	mh_arena_free(A);
}

TestSuite(template, .init = setup, .fini = teardown);

/* Compiles (must succeed) and renders src; returns an arena copy. */
static const char *render_with(const char *src, struct fixture *f, const struct mh_val *ctx, bool spec)
{
	struct mh_buf err = MH_BUF_INIT, out = MH_BUF_INIT;
	struct mh_template *t = mh_template_compile("t", src, strlen(src), f ? fixture_loader : NULL, f, &err);
	cr_assert_not_null(t, "compile failed: %s", mh_buf_cstr(&err));
	mh_template_set_spec_mode(t, spec);
	mh_template_render(t, ctx, &out);
	const char *r = mh_arena_strndup(A, out.ptr ? out.ptr : "", out.len);
	mh_template_free(t);
	mh_buf_free(&err);
	mh_buf_free(&out);
	return r;
}

static const char *render(const char *src, const struct mh_val *ctx)
{
	return render_with(src, NULL, ctx, false);
}

/* Compiles src expecting failure; returns the error text. */
static const char *compile_error(const char *src)
{
	struct mh_buf err = MH_BUF_INIT;
	struct mh_template *t = mh_template_compile("page", src, strlen(src), NULL, NULL, &err);
	cr_assert_null(t, "compiled although it should not: %s", src);
	const char *r = mh_arena_strdup(A, mh_buf_cstr(&err));
	mh_buf_free(&err);
	return r;
}

Test(template, string_is_escaped_even_under_triple_mustache)
{
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "x", "<script>alert(1)</script>");
	cr_assert_str_eq(render("{{{x}}}", c), "&lt;script&gt;alert(1)&lt;/script&gt;");
	cr_assert_str_eq(render("{{&x}}", c), "&lt;script&gt;alert(1)&lt;/script&gt;");
	cr_assert_str_eq(render("{{x}}", c), "&lt;script&gt;alert(1)&lt;/script&gt;");
	/* Only the spec runner turns this off. */
	cr_assert_str_eq(render_with("{{{x}}}", NULL, c, true), "<script>alert(1)</script>");
}

Test(template, html_is_raw_only_under_triple_mustache)
{
	struct mh_val *c = mh_val_map(A);
	mh_val_set(A, c, "h", mh_val_html(A, MH_STR("<p>a &amp; b</p>")));
	cr_assert_str_eq(render("{{{h}}}|{{&h}}", c), "<p>a &amp; b</p>|<p>a &amp; b</p>");
	cr_assert_str_eq(render("{{h}}", c), "&lt;p&gt;a &amp;amp; b&lt;/p&gt;");
}

Test(template, escapes_quotes_for_attributes)
{
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "x", "\" onmouseover='x' &");
	const char *r = render("<a title=\"{{x}}\">", c);
	cr_assert_null(strchr(r + strlen("<a title=\""), '\''), "%s", r);
	cr_assert_str_eq(strstr(r, "\">"), "\">", "%s", r);
}

Test(template, numbers_bools_and_null)
{
	struct mh_val *c = mh_val_map(A);
	mh_val_set_int(A, c, "i", -7118);
	mh_val_set(A, c, "d", mh_val_double(A, 0.1));
	mh_val_set(A, c, "big", mh_val_double(A, 1e21));
	mh_val_set(A, c, "whole", mh_val_double(A, 3.0));
	mh_val_set_bool(A, c, "t", true);
	mh_val_set(A, c, "n", mh_val_null(A));
	cr_assert_str_eq(render("{{i}} {{d}} {{big}} {{whole}} {{t}} [{{n}}]", c), "-7118 0.1 1e+21 3 true []");
}

Test(template, truthiness)
{
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "empty", "");
	mh_val_set_cstr(A, c, "full", "x");
	mh_val_set_int(A, c, "zero", 0);
	mh_val_set(A, c, "list", mh_val_list(A));
	mh_val_set(A, c, "h", mh_val_html(A, MH_STR("")));
	const char *r = render("{{#empty}}E{{/empty}}{{^empty}}e{{/empty}}{{#full}}F{{/full}}"
			       "{{#zero}}Z{{/zero}}{{#list}}L{{/list}}{{^list}}l{{/list}}{{#h}}H{{/h}}{{#missing}}M{{/missing}}",
			       c);
	/* Empty strings are falsey so themes can write {{#page.rel_prev}}. */
	cr_assert_str_eq(r, "eFZl");
}

Test(template, dotted_names_and_context_stack)
{
	struct mh_val *c = mh_val_map(A);
	struct mh_val *article = mh_val_map(A);
	struct mh_val *section = mh_val_map(A);
	mh_val_set_cstr(A, section, "name", "World");
	mh_val_set(A, article, "section", section);
	mh_val_set_cstr(A, article, "headline", "Hi");
	mh_val_set(A, c, "article", article);
	mh_val_set_cstr(A, c, "site", "Paper");
	cr_assert_str_eq(render("{{article.section.name}}/{{#article}}{{headline}} {{site}}{{/article}}", c),
			 "World/Hi Paper");
	cr_assert_str_eq(render("{{article.nope.name}}|{{article.headline.x}}", c), "|");
}

Test(template, lists_iterate)
{
	struct mh_val *c = mh_val_map(A);
	struct mh_val *l = mh_val_list(A);
	for (int i = 0; i < 20; i++)
		mh_val_push(A, l, mh_val_int(A, i));
	mh_val_set(A, c, "l", l);
	cr_assert_str_eq(render("{{#l}}{{.}},{{/l}}", c), "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,");
}

Test(template, val_set_replaces_and_get_misses)
{
	struct mh_val *m = mh_val_map(A);
	for (int i = 0; i < 12; i++)
		mh_val_set_int(A, m, mh_arena_printf(A, "k%d", i), i);
	mh_val_set_int(A, m, "k3", 33);
	cr_assert_eq(m->u.map.len, 12);
	cr_assert_eq(mh_val_get(m, "k3")->u.i, 33);
	cr_assert_eq(mh_val_get(m, "k11")->u.i, 11);
	cr_assert_null(mh_val_get(m, "k12"));
	cr_assert_null(mh_val_get(mh_val_list(A), "k1"));
	cr_assert_str_eq(mh_val_cstr(A, NULL)->u.s.ptr, "");
}

Test(template, errors_name_the_line)
{
	cr_assert_str_eq(compile_error("a\nb\n{{x"), "page:3: unclosed tag (no \"}}\" after \"{{\")");
	cr_assert_str_eq(compile_error("{{#a}}\n\n{{/b}}"), "page:3: closing tag {{/b}} does not match {{#a}} opened at line 1");
	cr_assert_str_eq(compile_error("x\n{{^a}}\n"), "page:2: section \"a\" is never closed");
	cr_assert_str_eq(compile_error("\n\n\n\n{{/a}}"), "page:5: closing tag {{/a}} without an open section");
	cr_assert_str_eq(compile_error("{{=<% %>=}}\n<%x"), "page:2: unclosed tag (no \"%>\" after \"<%\")");
	cr_assert(strstr(compile_error("\n{{=<%=}}"), "page:2: bad set-delimiter tag") != NULL);
	cr_assert(strstr(compile_error("{{=a b c=}}"), "page:1: bad set-delimiter tag") != NULL);
	cr_assert(strstr(compile_error("{{=a= b=}}"), "page:1: bad set-delimiter tag") != NULL);
	cr_assert_str_eq(compile_error("{{ }}"), "page:1: empty tag name");
	cr_assert_str_eq(compile_error("{{#}}{{/}}"), "page:1: empty tag name");
	cr_assert_str_eq(compile_error("{{a b}}"), "page:1: tag name \"a b\" contains whitespace");
	cr_assert_str_eq(compile_error("{{a..b}}"), "page:1: bad name \"a..b\" (empty part between dots)");
	cr_assert_str_eq(compile_error("{{!\n\n}}{{{x}}"), "page:3: unclosed tag (no \"}}}\" after \"{{\")");
	cr_assert_str_eq(compile_error("{{<p}}{{$a}}{{/p}}{{/a}}"), "page:1: closing tag {{/p}} does not match {{$a}} opened at line 1");
}

Test(template, error_in_partial_names_the_partial)
{
	struct fixture f = { { "card", NULL }, { "ok\n{{#x}}", NULL }, 0 };
	struct mh_buf err = MH_BUF_INIT;
	struct mh_template *t = mh_template_compile("page", "{{>card}}", 9, fixture_loader, &f, &err);
	cr_assert_null(t);
	cr_assert_str_eq(mh_buf_cstr(&err), "card:2: section \"x\" is never closed");
	mh_buf_free(&err);
}

Test(template, partials_load_once_and_unknown_is_empty)
{
	struct fixture f = { { "item", NULL }, { "<{{.}}>", NULL }, 0 };
	struct mh_val *c = mh_val_map(A);
	struct mh_val *l = mh_val_list(A);
	mh_val_push(A, l, mh_val_cstr(A, "a"));
	mh_val_push(A, l, mh_val_cstr(A, "b"));
	mh_val_set(A, c, "l", l);
	cr_assert_str_eq(render_with("{{#l}}{{>item}}{{/l}}{{>item}}{{>nope}}{{>nope}}", &f, c, false), "<a><b><>");
	cr_assert_eq(f.calls, 2, "loader called %d times", f.calls);
}

Test(template, recursive_partial_is_cut_off)
{
	struct fixture f = { { "self", NULL }, { "x{{>self}}", NULL }, 0 };
	const char *r = render_with("{{>self}}", &f, mh_val_map(A), false);
	size_t n = strlen(r);
	cr_assert(n >= 50 && n <= 200, "rendered %zu bytes", n);
	cr_assert_eq(strspn(r, "x"), n);
	cr_assert_eq(f.calls, 1);
}

Test(template, self_overriding_block_is_cut_off)
{
	struct fixture f = { { "p", NULL }, { "[{{$a}}d{{/a}}]", NULL }, 0 };
	const char *r = render_with("{{<p}}{{$a}}y{{<p}}{{/p}}{{/a}}{{/p}}", &f, mh_val_map(A), false);
	cr_assert(strlen(r) > 10 && strlen(r) < 2000, "%zu", strlen(r));
	cr_assert_eq(strncmp(r, "[y[y[y", 6), 0, "%s", r);
}

Test(template, exponential_templates_stop)
{
	struct mh_val *c = mh_val_map(A);
	struct mh_val *l = mh_val_list(A);
	mh_val_push(A, l, mh_val_int(A, 1));
	mh_val_push(A, l, mh_val_int(A, 2));
	mh_val_set(A, c, "l", l);
	struct mh_buf src = MH_BUF_INIT;
	for (int i = 0; i < 40; i++)
		mh_buf_append_c(&src, "{{#l}}");
	mh_buf_append_c(&src, "x");
	for (int i = 0; i < 40; i++)
		mh_buf_append_c(&src, "{{/l}}");
	const char *r = render(mh_buf_cstr(&src), c);
	cr_assert(strlen(r) > 1000 && strlen(r) < 100000000);
	mh_buf_free(&src);
}

Test(template, standalone_partials_indent_nested)
{
	struct fixture f = { { "outer", "inner", NULL }, { "<ul>\n  {{>inner}}\n</ul>\n", "<li>\n{{x}}\n</li>\n", NULL }, 0 };
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "x", "a\nb");
	cr_assert_str_eq(render_with("<body>\n  {{>outer}}\n</body>\n", &f, c, false),
			 "<body>\n  <ul>\n    <li>\n    a\nb\n    </li>\n  </ul>\n</body>\n");
}

Test(template, layout_inheritance)
{
	struct fixture f = { { "layout", NULL },
			     { "<html>\n<title>{{$title}}Paper{{/title}}</title>\n<body>\n  {{$main}}\n  none\n  {{/main}}\n</body>\n",
			       NULL },
			     0 };
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "h", "News & more");
	const char *r = render_with("{{<layout}}\n{{$title}}{{h}} | Paper{{/title}}\n{{$main}}\n<h1>{{h}}</h1>\n{{/main}}\n{{/layout}}\n",
				    &f, c, false);
	cr_assert_str_eq(r, "<html>\n<title>News &amp; more | Paper</title>\n<body>\n  <h1>News &amp; more</h1>\n</body>\n");
}

Test(template, render_is_repeatable)
{
	struct mh_buf err = MH_BUF_INIT, a = MH_BUF_INIT, b = MH_BUF_INIT;
	struct mh_template *t = mh_template_compile("t", "{{#x}}{{.}}{{/x}}", 17, NULL, NULL, &err);
	cr_assert_not_null(t);
	struct mh_val *c = mh_val_map(A);
	mh_val_set_cstr(A, c, "x", "v");
	mh_template_render(t, c, &a);
	mh_template_render(t, c, &b);
	cr_assert_eq(a.len, 1);
	cr_assert_eq(b.len, 1);
	mh_template_render(t, NULL, &a); /* no context: renders the text only */
	cr_assert_eq(a.len, 1);
	mh_template_free(t);
	mh_buf_free(&err);
	mh_buf_free(&a);
	mh_buf_free(&b);
}
