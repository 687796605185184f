/*
 * Golden files for the Markdown renderer: for every NAME.md in the folder
 * given as argv[1], the rendered HTML must equal NAME.html byte for byte, and
 * when NAME.lead.html exists the lead (2 paragraphs) must equal it. Prints TAP,
 * one case per comparison. MH_GOLDEN_UPDATE=1 rewrites the expected files
 * (review the diff before committing).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_diff(const char *what, struct mh_buf *want, struct mh_buf *got)
{
	size_t i = 0;
	while (i < want->len && i < got->len && want->ptr[i] == got->ptr[i])
		i++;
	size_t from = i > 40 ? i - 40 : 0;
	printf("# %s differs at byte %zu\n", what, i);
	printf("# want: %.*s\n", (int)(want->len - from < 120 ? want->len - from : 120), want->ptr + from);
	printf("# got:  %.*s\n", (int)(got->len - from < 120 ? got->len - from : 120), got->ptr + from);
}

static bool compare(const char *path, struct mh_buf *got, bool update, int *n, const char *name)
{
	struct mh_buf want = MH_BUF_INIT;
	bool ok;
	if (update) {
		ok = mh_file_write_atomic(path, got->ptr != NULL ? got->ptr : "", got->len);
	} else if (!mh_file_read(path, &want)) {
		printf("# cannot read %s\n", path);
		ok = false;
	} else {
		ok = want.len == got->len && (got->len == 0 || memcmp(want.ptr, got->ptr, got->len) == 0);
		if (!ok)
			show_diff(path, &want, got);
	}
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++*n, name);
	mh_buf_free(&want);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s GOLDEN_DIR\n", argv[0]);
		return 2;
	}
	bool update = getenv("MH_GOLDEN_UPDATE") != NULL;
	DIR *d = opendir(argv[1]);
	if (d == NULL) {
		printf("Bail out! no golden folder %s\n", argv[1]);
		return 1;
	}
	char **names = NULL;
	size_t count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 3 && strcmp(e->d_name + len - 3, ".md") == 0) {
			names = realloc(names, (count + 1) * sizeof(*names));
			names[count++] = strndup(e->d_name, len - 3);
		}
	}
	closedir(d);
	qsort(names, count, sizeof(*names), by_name);

	int n = 0, failed = 0;
	for (size_t i = 0; i < count; i++) {
		char path[4096];
		struct mh_buf md = MH_BUF_INIT, html = MH_BUF_INIT, lead = MH_BUF_INIT;
		snprintf(path, sizeof(path), "%s/%s.md", argv[1], names[i]);
		if (!mh_file_read(path, &md)) {
			printf("not ok %d - %s: cannot read\n", ++n, path);
			failed++;
			continue;
		}
		mh_content_markdown(mh_buf_str(&md), &html, &lead, 2);
		snprintf(path, sizeof(path), "%s/%s.html", argv[1], names[i]);
		failed += !compare(path, &html, update, &n, names[i]);
		snprintf(path, sizeof(path), "%s/%s.lead.html", argv[1], names[i]);
		FILE *f = fopen(path, "r");
		if (f != NULL || (update && strncmp(names[i], "lead", 4) == 0)) {
			char label[300];
			snprintf(label, sizeof(label), "%s (lead)", names[i]);
			failed += !compare(path, &lead, update, &n, label);
		}
		if (f != NULL)
			fclose(f);
		mh_buf_free(&md);
		mh_buf_free(&html);
		mh_buf_free(&lead);
		free(names[i]);
	}
	free(names);
	if (count == 0) {
		printf("not ok 1 - no golden files in %s\n", argv[1]);
		n = 1;
		failed = 1;
	}
	printf("1..%d\n", n);
	return failed > 0;
}
