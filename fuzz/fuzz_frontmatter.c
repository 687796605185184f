/*
 * Fuzz target for article files (mh_frontmatter_parse). Beyond "no crash, no
 * leak", it checks the parser's contract: success gives a headline, a valid
 * section and slug, lists without repeats and a line for every key given;
 * failure always explains itself in one line "fuzz.md:LINE: ...".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "content/content.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_buf err = MH_BUF_INIT;
	struct mh_frontmatter fm;
	bool ok = mh_frontmatter_parse(a, "fuzz.md", (const char *)d, n, &fm, &err);
	if (ok) {
		MH_ASSERT(err.len == 0);
		MH_ASSERT(fm.headline[0] != '\0' && fm.lines[MH_FM_HEADLINE] > 0);
		MH_ASSERT(mh_content_slug_valid(mh_str_c(fm.section)));
		MH_ASSERT(mh_content_slug_valid(mh_str_c(fm.slug)));
		MH_ASSERT(fm.slug_derived == (fm.lines[MH_FM_SLUG] == 0));
		MH_ASSERT(fm.body != NULL && fm.body_line > fm.lines[MH_FM_SECTION]);
		MH_ASSERT(strchr(fm.body, '\r') == NULL);
		for (size_t i = 0; i < fm.n_authors; i++) {
			MH_ASSERT(mh_content_slug_valid(mh_str_c(fm.authors[i])));
			for (size_t j = 0; j < i; j++)
				MH_ASSERT(strcmp(fm.authors[i], fm.authors[j]) != 0);
		}
		for (size_t i = 0; i < fm.n_tags; i++) {
			MH_ASSERT(fm.tag_names[i][0] != '\0' && fm.tag_slugs[i][0] != '\0');
			for (size_t j = 0; j < i; j++)
				MH_ASSERT(strcmp(fm.tag_slugs[i], fm.tag_slugs[j]) != 0);
		}
		MH_ASSERT((fm.via_name[0] == '\0') == (fm.via_url[0] == '\0'));
		MH_ASSERT(fm.status != MH_ARTICLE_SCHEDULED || fm.has_publish_at);
		MH_ASSERT(mh_article_status_dated(fm.status) || !fm.has_publish_at);
		for (int k = 0; k < MH_FM_N_KEYS; k++)
			MH_ASSERT(fm.lines[k] >= 0 && fm.lines[k] < fm.body_line);
	} else {
		MH_ASSERT(err.len > 0 && strncmp(mh_buf_cstr(&err), "fuzz.md:", 8) == 0);
		MH_ASSERT(err.ptr[8] >= '1' && err.ptr[8] <= '9');
		MH_ASSERT(memchr(err.ptr, '\n', err.len) == NULL);
	}
	mh_buf_free(&err);
	mh_arena_free(a);
	return 0;
}
