/*
 * markdown.c: Markdown to trusted HTML with cmark-gfm, and the click-to-load
 * video embed. Safety rests on cmark's safe mode (raw HTML is replaced by a
 * comment, javascript:/vbscript:/file:/data: links lose their href) plus one
 * rule of our own: the only HTML we add is the embed, built from a validated
 * 11-character id, placed as a CUSTOM_BLOCK node that the source text cannot
 * produce.
 */
#include <pthread.h>
#include <string.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include "content/content.h"

#define MD_OPTIONS                                                                                \
	(CMARK_OPT_SMART | CMARK_OPT_FOOTNOTES | CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE | \
	 CMARK_OPT_VALIDATE_UTF8)

static const char *const md_extensions[] = { "table", "autolink", "strikethrough" };

static pthread_once_t registered = PTHREAD_ONCE_INIT;

static void register_extensions(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

/* ---- YouTube ---- */

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Takes an 11-character id at p (p..end) that must be followed by the end
 * or one of the bytes in stops. */
static bool take_id(const char *p, const char *end, const char *stops, char id[12])
{
	if (end - p < 11)
		return false;
	for (int i = 0; i < 11; i++) {
		if (!id_char(p[i]))
			return false;
	}
	if (p + 11 < end && strchr(stops, p[11]) == NULL)
		return false;
	memcpy(id, p, 11);
	id[11] = '\0';
	return true;
}

static bool eat_ci(const char **p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	if ((size_t)(end - *p) < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != prefix[i])
			return false;
	}
	*p += n;
	return true;
}

static bool eat(const char **p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	if ((size_t)(end - *p) < n || memcmp(*p, prefix, n) != 0)
		return false;
	*p += n;
	return true;
}

bool mh_content_youtube_id(struct mh_str url, char id[12])
{
	if (url.ptr == NULL)
		return false;
	const char *p = url.ptr, *end = url.ptr + url.len;
	for (const char *q = p; q < end; q++) {
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return false;
	}
	if (!eat_ci(&p, end, "https://"))
		eat_ci(&p, end, "http://");
	if (!eat_ci(&p, end, "www."))
		eat_ci(&p, end, "m.");
	enum { YT, SHORT, NOCOOKIE } host;
	/* The host must end right after the name: "youtube.com.evil" or
	 * "youtube.com@evil" fall through to the path checks and fail there. */
	if (eat_ci(&p, end, "youtube.com/"))
		host = YT;
	else if (eat_ci(&p, end, "youtu.be/"))
		host = SHORT;
	else if (eat_ci(&p, end, "youtube-nocookie.com/"))
		host = NOCOOKIE;
	else
		return false;

	if (host == SHORT)
		return take_id(p, end, "?#", id);
	if (eat(&p, end, "embed/"))
		return take_id(p, end, "?#", id);
	if (host == NOCOOKIE)
		return false;
	if (eat(&p, end, "shorts/"))
		return take_id(p, end, "?#", id);
	if (!eat(&p, end, "watch?"))
		return false;
	/* Query parameters in any order; the first v= wins. */
	const char *q_end = memchr(p, '#', (size_t)(end - p));
	if (q_end == NULL)
		q_end = end;
	while (p < q_end) {
		const char *amp = memchr(p, '&', (size_t)(q_end - p));
		const char *param_end = amp != NULL ? amp : q_end;
		if (param_end - p > 2 && p[0] == 'v' && p[1] == '=')
			return take_id(p + 2, param_end, "", id);
		p = param_end + (amp != NULL ? 1 : 0);
	}
	return false;
}

void mh_content_video_embed(struct mh_buf *html, const char id[12], struct mh_str url)
{
	/* The href is rebuilt from the id rather than copied from url, so only
	 * the 11 validated characters of what the author typed reach the page. */
	(void)url;
	struct mh_str sid = { id, strnlen(id, 11) };
	mh_buf_append_c(html, "<figure class=\"video-embed\" data-video-id=\"");
	mh_escape_attr(html, sid);
	mh_buf_append_c(html, "\">\n<a class=\"video-embed__link\" href=\"https://www.youtube.com/watch?v=");
	mh_escape_attr(html, sid);
	mh_buf_append_c(html, "\">Watch the video on YouTube</a>\n"
			      "<button type=\"button\" class=\"video-embed__play\">Play video</button>\n"
			      "<figcaption class=\"video-embed__note\">Playing loads the video from YouTube.</figcaption>\n"
			      "</figure>\n");
}

/* ---- Markdown ---- */

static void append_text(cmark_node *n, struct mh_buf *out)
{
	const char *lit = cmark_node_get_literal(n);
	if (lit != NULL)
		mh_buf_append_c(out, lit);
}

static struct mh_str trim(struct mh_str s)
{
	while (s.len > 0 && (s.ptr[0] == ' ' || s.ptr[0] == '\t'))
		s.ptr++, s.len--;
	while (s.len > 0 && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* True when the paragraph holds nothing but one YouTube URL: bare text, or a
 * link whose visible text is its own address (<...>, or GFM's autolinks,
 * which add "http://" in front of "www."). [text](url) stays a link. */
static bool embed_paragraph(cmark_node *para, char id[12], struct mh_buf *url)
{
	/* GFM's autolinker leaves empty text nodes beside the link: skip
	 * blank text, and require exactly one other child. */
	cmark_node *c = NULL;
	for (cmark_node *k = cmark_node_first_child(para); k != NULL; k = cmark_node_next(k)) {
		if (cmark_node_get_type(k) == CMARK_NODE_TEXT) {
			const char *lit = cmark_node_get_literal(k);
			struct mh_str t = trim(mh_str_c(lit));
			if (t.len == 0)
				continue;
		}
		if (c != NULL)
			return false;
		c = k;
	}
	if (c == NULL)
		return false;
	mh_buf_reset(url);
	if (cmark_node_get_type(c) == CMARK_NODE_TEXT) {
		append_text(c, url);
		struct mh_str u = trim(mh_buf_str(url));
		return mh_content_youtube_id(u, id);
	}
	if (cmark_node_get_type(c) != CMARK_NODE_LINK)
		return false;
	struct mh_buf text = MH_BUF_INIT;
	bool ok = true;
	for (cmark_node *t = cmark_node_first_child(c); t != NULL && ok; t = cmark_node_next(t)) {
		if (cmark_node_get_type(t) == CMARK_NODE_TEXT)
			append_text(t, &text);
		else
			ok = false;
	}
	const char *href = cmark_node_get_url(c);
	if (ok && href != NULL) {
		struct mh_str h = mh_str_c(href), tx = mh_buf_str(&text);
		ok = mh_str_eq(h, tx) ||
		     (mh_str_has_prefix(h, "http://") && mh_str_eq(tx, (struct mh_str){ h.ptr + 7, h.len - 7 })) ||
		     (mh_str_has_prefix(h, "https://") && mh_str_eq(tx, (struct mh_str){ h.ptr + 8, h.len - 8 }));
		if (ok) {
			mh_buf_append_c(url, href);
			ok = mh_content_youtube_id(mh_buf_str(url), id);
		}
	} else {
		ok = false;
	}
	mh_buf_free(&text);
	return ok;
}

static bool is_body_block(cmark_node *n)
{
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_PARAGRAPH:
	case CMARK_NODE_BLOCK_QUOTE:
	case CMARK_NODE_LIST:
	case CMARK_NODE_HEADING:
	case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_CUSTOM_BLOCK:
	case CMARK_NODE_THEMATIC_BREAK:
		return true;
	default:
		return cmark_node_get_type_string(n) != NULL && strcmp(cmark_node_get_type_string(n), "table") == 0;
	}
}

/* Marks the places between blocks where the page may put an advertisement:
 * after every MH_CONTENT_SLOT_EVERY blocks, when at least two more follow (no
 * slot right before the end, none inside a quote or list, none among the
 * footnotes). The marker is a CUSTOM_BLOCK, which source text cannot make. */
static void mark_slots(cmark_node *doc)
{
	int run = 0;
	for (cmark_node *n = cmark_node_first_child(doc); n != NULL; n = cmark_node_next(n)) {
		if (!is_body_block(n))
			break;
		if (++run < MH_CONTENT_SLOT_EVERY)
			continue;
		cmark_node *a = cmark_node_next(n), *b = a != NULL ? cmark_node_next(a) : NULL;
		if (a == NULL || b == NULL || !is_body_block(a) || !is_body_block(b))
			break;
		cmark_node *slot = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
		cmark_node_set_on_enter(slot, MH_CONTENT_SLOT_MARK);
		cmark_node_insert_after(n, slot);
		n = slot;
		run = 0;
	}
}

static void append_rendered(struct mh_buf *out, cmark_node *n, cmark_llist *exts)
{
	char *h = cmark_render_html(n, MD_OPTIONS, exts);
	mh_buf_append_c(out, h);
	cmark_get_default_mem_allocator()->free(h);
}

void mh_content_markdown(struct mh_str md, struct mh_buf *html, struct mh_buf *lead, int lead_paras)
{
	pthread_once(&registered, register_extensions);
	cmark_parser *parser = cmark_parser_new(MD_OPTIONS);
	for (size_t i = 0; i < sizeof(md_extensions) / sizeof(md_extensions[0]); i++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(md_extensions[i]);
		MH_ASSERT(ext != NULL);
		cmark_parser_attach_syntax_extension(parser, ext);
	}
	if (md.len > 0)
		cmark_parser_feed(parser, md.ptr, md.len);
	cmark_node *doc = cmark_parser_finish(parser);
	cmark_llist *exts = cmark_parser_get_syntax_extensions(parser);
	cmark_consolidate_text_nodes(doc);

	/* Top-level paragraphs that are only a YouTube URL become embeds. */
	struct mh_buf url = MH_BUF_INIT, embed = MH_BUF_INIT;
	for (cmark_node *n = cmark_node_first_child(doc), *next; n != NULL; n = next) {
		next = cmark_node_next(n);
		char id[12];
		if (cmark_node_get_type(n) != CMARK_NODE_PARAGRAPH || !embed_paragraph(n, id, &url))
			continue;
		mh_buf_reset(&embed);
		mh_content_video_embed(&embed, id, mh_buf_str(&url));
		cmark_node *block = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
		cmark_node_set_on_enter(block, mh_buf_cstr(&embed));
		cmark_node_replace(n, block);
		cmark_node_free(n);
	}
	mh_buf_free(&url);
	mh_buf_free(&embed);
	mark_slots(doc);

	append_rendered(html, doc, exts);

	if (lead != NULL) {
		int taken = 0;
		for (cmark_node *n = cmark_node_first_child(doc); n != NULL && taken < lead_paras;
		     n = cmark_node_next(n)) {
			cmark_node_type t = cmark_node_get_type(n);
			if (t != CMARK_NODE_PARAGRAPH && t != CMARK_NODE_BLOCK_QUOTE)
				continue;
			append_rendered(lead, n, exts);
			taken++;
		}
	}
	cmark_node_free(doc);
	cmark_parser_free(parser);
}
