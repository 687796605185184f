/*
 * libFuzzer target for the Mustache compiler and renderer: the input is a
 * template; every partial/parent name resolves to one small fixed partial
 * that has blocks of its own; the result is rendered against a small context
 * (strings with markup, HTML, numbers, a nested list) and freed.
 */
#include <stddef.h>
#include <stdint.h>

#include "render/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static bool fixed_loader(const char *name, struct mh_buf *src, void *arg)
{
	(void)arg;
	if (name[0] == 'x')
		return false; /* unknown partials render as nothing */
	mh_buf_append_c(src, "<p>{{$title}}{{name}}{{/title}}</p>\n  {{$body}}\n  {{#items}}{{.}}{{/items}}\n  {{/body}}\n");
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_buf err = MH_BUF_INIT, out = MH_BUF_INIT;
	struct mh_template *t = mh_template_compile("fuzz", (const char *)d, n, fixed_loader, NULL, &err);
	if (t != NULL) {
		struct mh_arena *a = mh_arena_new();
		struct mh_val *c = mh_val_map(a);
		mh_val_set_cstr(a, c, "name", "<b>&\"'</b>");
		mh_val_set(a, c, "html", mh_val_html(a, MH_STR("<i>ok</i>")));
		mh_val_set_int(a, c, "n", -42);
		mh_val_set(a, c, "d", mh_val_double(a, 1.21));
		mh_val_set_bool(a, c, "yes", true);
		mh_val_set_bool(a, c, "no", false);
		mh_val_set(a, c, "null", mh_val_null(a));
		struct mh_val *items = mh_val_list(a);
		mh_val_push(a, items, mh_val_cstr(a, "one"));
		struct mh_val *m = mh_val_map(a);
		mh_val_set_cstr(a, m, "name", "inner");
		mh_val_set(a, m, "items", items);
		mh_val_push(a, items, m);
		mh_val_set(a, c, "items", items);
		mh_val_set(a, c, "obj", m);
		mh_template_render(t, c, &out);
		if (out.len < 65536) { /* keep runaway templates to one slow render */
			mh_template_set_spec_mode(t, true);
			mh_template_render(t, c, &out);
		}
		mh_arena_free(a);
		mh_template_free(t);
	}
	mh_buf_free(&err);
	mh_buf_free(&out);
	return 0;
}
