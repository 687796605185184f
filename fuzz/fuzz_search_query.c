/*
 * fuzz/fuzz_search_query.c: a reader's search text (mh_search_parse, issue
 * 9) and the snippet cutter (mh_search_snippet_parts). Whatever comes in,
 * every term must hold only what the engines take as plain text: no quote,
 * backslash, '*', '(', ':', control character or malformed UTF-8, at most
 * MH_SEARCH_MAX_WORD bytes a word, within the caps; a phrase has 2+ words.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void check_term(const struct mh_search_term *t, size_t *words)
{
	const char *s = t->text;
	size_t len = strlen(s), word = 0, count = 1;
	MH_ASSERT(len > 0);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ') {
			MH_ASSERT(t->kind == MH_SEARCH_PHRASE && word > 0 && i + 1 < len && s[i + 1] != ' ');
			word = 0;
			count++;
			i++;
			continue;
		}
		MH_ASSERT(c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
		uint32_t cp;
		size_t l = mh_utf8_decode((const unsigned char *)s + i, len - i, &cp);
		MH_ASSERT(l > 0);
		word += l;
		MH_ASSERT(word <= MH_SEARCH_MAX_WORD);
		i += l;
	}
	MH_ASSERT(t->kind != MH_SEARCH_PHRASE || count >= 2);
	*words += count;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_search_term t[MH_SEARCH_MAX_TERMS];
	size_t k = mh_search_parse(a, (struct mh_str){ (const char *)d, n }, t, MH_SEARCH_MAX_TERMS);
	MH_ASSERT(k <= MH_SEARCH_MAX_TERMS);
	size_t words = 0;
	for (size_t i = 0; i < k; i++)
		check_term(&t[i], &words);
	MH_ASSERT(words <= MH_SEARCH_MAX_WORDS);
	/* the same bytes as a snippet: parts cover the text but the marks */
	char *text = mh_arena_strndup(a, (const char *)d, n);
	size_t marks = 0, len = strlen(text);
	for (size_t i = 0; i < len; i++)
		marks += text[i] == MH_SEARCH_MARK_START || text[i] == MH_SEARCH_MARK_END;
	struct mh_str *parts;
	bool *marked;
	size_t np = mh_search_snippet_parts(a, text, &parts, &marked), total = 0;
	for (size_t i = 0; i < np; i++) {
		MH_ASSERT(parts[i].len > 0 && parts[i].ptr[parts[i].len] == '\0');
		for (size_t j = 0; j < parts[i].len; j++)
			MH_ASSERT((unsigned char)parts[i].ptr[j] >= 0x20 && parts[i].ptr[j] != 0x7F);
		total += parts[i].len;
	}
	MH_ASSERT(total + marks == len);
	mh_arena_free(a);
	return 0;
}
