/*
 * Runs the Mustache spec's own test files (JSON) against the engine and prints
 * TAP, one case per spec test, named "file: name". Usage: spec_runner DIR,
 * where DIR holds the spec's *.json. Lambdas and dynamic names are optional
 * modules we do not implement, so their files are not run.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "render/render.h"

static const char *const spec_files[] = {
	"comments", "delimiters", "interpolation", "inverted", "partials", "sections", "~inheritance",
};

static struct mh_val *from_json(struct mh_arena *a, json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		struct mh_val *m = mh_val_map(a);
		const char *k;
		json_t *v;
		json_object_foreach(j, k, v)
			mh_val_set(a, m, mh_arena_strdup(a, k), from_json(a, v));
		return m;
	}
	case JSON_ARRAY: {
		struct mh_val *l = mh_val_list(a);
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			mh_val_push(a, l, from_json(a, v));
		return l;
	}
	case JSON_STRING:
		return mh_val_str(a, mh_arena_str(a, (struct mh_str){ json_string_value(j), json_string_length(j) }));
	case JSON_INTEGER: return mh_val_int(a, (int64_t)json_integer_value(j));
	case JSON_REAL: return mh_val_double(a, json_real_value(j));
	case JSON_TRUE: return mh_val_bool(a, true);
	case JSON_FALSE: return mh_val_bool(a, false);
	default: return mh_val_null(a);
	}
}

static bool json_loader(const char *name, struct mh_buf *src, void *arg)
{
	json_t *p = json_object_get(arg, name);
	if (!json_is_string(p))
		return false;
	mh_buf_append(src, json_string_value(p), json_string_length(p));
	return true;
}

static void print_escaped(const char *label, const char *s, size_t n)
{
	printf("#   %s: \"", label);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			printf("\\n");
		else if (c == '\r')
			printf("\\r");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s MUSTACHE_SPEC_DIR\n", argv[0]);
		return 2;
	}
	json_t *files[sizeof(spec_files) / sizeof(spec_files[0])];
	size_t total = 0;
	for (size_t f = 0; f < sizeof(spec_files) / sizeof(spec_files[0]); f++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.json", argv[1], spec_files[f]);
		json_error_t je;
		files[f] = json_load_file(path, 0, &je);
		if (files[f] == NULL) {
			/* A missing spec is a broken checkout, not a pass: fail loudly. */
			printf("Bail out! cannot read the Mustache spec file %s: %s\n", path, je.text);
			fprintf(stderr, "cannot read %s: %s (the spec is ../shared/conformance/mustache-spec)\n", path,
				je.text);
			for (size_t g = 0; g < f; g++)
				json_decref(files[g]);
			return 1;
		}
		total += json_array_size(json_object_get(files[f], "tests"));
	}
	printf("1..%zu\n", total);
	size_t n = 0, failed = 0;
	for (size_t f = 0; f < sizeof(spec_files) / sizeof(spec_files[0]); f++) {
		json_t *tests = json_object_get(files[f], "tests");
		size_t i;
		json_t *t;
		json_array_foreach(tests, i, t)
		{
			const char *name = json_string_value(json_object_get(t, "name"));
			json_t *tpl = json_object_get(t, "template");
			json_t *exp = json_object_get(t, "expected");
			json_t *partials = json_object_get(t, "partials");
			struct mh_arena *a = mh_arena_new();
			struct mh_val *data = from_json(a, json_object_get(t, "data"));
			struct mh_buf err = MH_BUF_INIT, out = MH_BUF_INIT;
			struct mh_template *x = mh_template_compile(name, json_string_value(tpl), json_string_length(tpl),
								    json_loader, partials, &err);
			bool ok = false;
			if (x != NULL) {
				mh_template_set_spec_mode(x, true);
				mh_template_render(x, data, &out);
				ok = out.len == json_string_length(exp) &&
				     memcmp(out.ptr ? out.ptr : "", json_string_value(exp), out.len) == 0;
			}
			n++;
			printf("%s %zu - %s: %s\n", ok ? "ok" : "not ok", n, spec_files[f], name);
			if (!ok) {
				failed++;
				print_escaped("template", json_string_value(tpl), json_string_length(tpl));
				print_escaped("expected", json_string_value(exp), json_string_length(exp));
				if (x != NULL)
					print_escaped("got     ", out.ptr ? out.ptr : "", out.len);
				else
					printf("#   compile error: %.*s\n", (int)err.len, err.ptr ? err.ptr : "");
			}
			mh_template_free(x);
			mh_buf_free(&err);
			mh_buf_free(&out);
			mh_arena_free(a);
		}
		json_decref(files[f]);
	}
	return failed == 0 ? 0 : 1;
}
