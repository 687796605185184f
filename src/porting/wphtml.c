/*
 * wphtml.c: a WordPress post's HTML as our Markdown. Shortcodes are read
 * from the text first ([caption], [gallery], [embed], [youtube]; others are
 * left as text and noted); then libxml2's HTML parser, which repairs what a
 * browser would, gives the tree this file walks with an allow-list: each
 * element it knows becomes its Markdown, others give their text, and a
 * short list (script, style, forms, objects, frames) gives nothing. Block
 * comments (<!-- wp:name -->) only name the block for the notes. Text is
 * escaped for Markdown, so "<script>" in a post stays words on the page.
 * Hand-written because no Debian library turns HTML into Markdown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "content/content.h"
#include "porting/porting.h"

struct cv {
	struct mh_arena *a;
	struct mh_wphtml *o;
	int depth; /* nesting, bounded: a hostile post cannot exhaust the stack */
};

#define MAX_DEPTH 64

static void note(struct cv *c, const char *text)
{
	struct mh_wphtml *o = c->o;
	for (size_t i = 0; i < o->n_notes; i++)
		if (strcmp(o->notes[i], text) == 0)
			return;
	if (o->n_notes == o->cap_notes) {
		size_t cap = o->cap_notes ? o->cap_notes * 2 : 8;
		const char **n = mh_arena_alloc(c->a, cap * sizeof(*n));
		if (o->n_notes > 0)
			memcpy(n, o->notes, o->n_notes * sizeof(*n));
		o->notes = n;
		o->cap_notes = cap;
	}
	o->notes[o->n_notes++] = mh_arena_strdup(c->a, text);
}

static bool is(const xmlNode *n, const char *name)
{
	return n->name != NULL && strcmp((const char *)n->name, name) == 0;
}

static bool is_any(const xmlNode *n, const char *const *names)
{
	for (; *names != NULL; names++)
		if (is(n, *names))
			return true;
	return false;
}

static const char *const dropped[] = { "script", "style", "noscript", "object", "embed", "applet", "form",
				       "input", "button", "select", "textarea", "template", "svg", "math", "frame",
				       "frameset", "canvas", "dialog", "portal", NULL };
static const char *const silent[] = { "head", "title", "meta", "link", "base", "source", "track", "param",
				      "area", "map", "col", "colgroup", "wbr", NULL };
static const char *const containers[] = { "div", "section", "article", "main", "header", "footer", "aside",
					  "nav", "figure", "center", "body", "html", "details", "summary", "dl",
					  "dd", "dt", "address", "hgroup", "picture", "video", "audio", NULL };

static const char *prop(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (a->name != NULL && strcasecmp((const char *)a->name, name) == 0 && a->children != NULL &&
		    a->children->content != NULL)
			return (const char *)a->children->content;
	return NULL;
}

/* An address Markdown may carry: http(s)://, mailto: (links only), a site
 * path or a fragment; printable ASCII without what would end the (...) or
 * hide something. Parentheses are percent-encoded. NULL when refused. */
static const char *safe_url(struct cv *c, const char *u, bool image)
{
	if (u == NULL)
		return NULL;
	while (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r')
		u++;
	size_t n = strlen(u);
	while (n > 0 && (u[n - 1] == ' ' || u[n - 1] == '\n' || u[n - 1] == '\r' || u[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 2000)
		return NULL;
	bool ok = strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0 ||
		  (u[0] == '/' && (n == 1 || u[1] != '/')) || (!image && (u[0] == '#' || strncasecmp(u, "mailto:", 7) == 0));
	if (!ok)
		return NULL;
	struct mh_buf b = MH_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)u[i];
		if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '<' || ch == '>' || ch == '\\' || ch == '`') {
			if (ch >= 0x80 || ch == ' ') {
				mh_buf_printf(&b, "%%%02X", ch); /* UTF-8 and spaces: percent-encoded */
				continue;
			}
			mh_buf_free(&b);
			return NULL;
		}
		if (ch == '(' || ch == ')')
			mh_buf_printf(&b, "%%%02X", ch);
		else
			mh_buf_append_ch(&b, (char)ch);
	}
	const char *out = mh_arena_strndup(c->a, b.ptr, b.len);
	mh_buf_free(&b);
	return out;
}

static bool line_start(const struct mh_buf *b)
{
	return b->len == 0 || b->ptr[b->len - 1] == '\n';
}

/* Text as Markdown text: whitespace collapsed, every character Markdown
 * would read as syntax escaped. */
static void text(struct mh_buf *out, const char *s)
{
	for (const char *p = s; *p != '\0'; p++) {
		char ch = *p;
		if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r' || ch == '\f') {
			if (out->len > 0 && out->ptr[out->len - 1] != ' ' && out->ptr[out->len - 1] != '\n')
				mh_buf_append_ch(out, ' ');
			continue;
		}
		if (strchr("\\`*_[]<>!|~#&{}", ch) != NULL ||
		    (line_start(out) && (ch == '-' || ch == '+' || ch == '=' || ch == '.' || ch == ')')))
			mh_buf_append_ch(out, '\\');
		else if (line_start(out) && ch >= '0' && ch <= '9') {
			/* "1990. A year" would start an ordered list */
			const char *q = p;
			while (*q >= '0' && *q <= '9')
				q++;
			mh_buf_append(out, p, (size_t)(q - p));
			if (*q == '.' || *q == ')')
				mh_buf_append_ch(out, '\\');
			p = q - 1;
			continue;
		}
		mh_buf_append_ch(out, ch);
	}
}

static void trim(struct mh_buf *b, size_t *start)
{
	*start = 0;
	while (*start < b->len && (b->ptr[*start] == ' ' || b->ptr[*start] == '\n'))
		(*start)++;
	while (b->len > *start && (b->ptr[b->len - 1] == ' ' || b->ptr[b->len - 1] == '\n'))
		b->len--;
}

static void emit_block(struct mh_buf *out, struct mh_buf *blk)
{
	size_t s;
	trim(blk, &s);
	if (blk->len > s) {
		if (out->len > 0)
			mh_buf_append_c(out, "\n\n");
		mh_buf_append(out, blk->ptr + s, blk->len - s);
	}
	mh_buf_reset(blk);
}

static void blocks(struct cv *c, xmlNode *first, struct mh_buf *out);
static void inlines(struct cv *c, xmlNode *first, struct mh_buf *line);

static void block_note(struct cv *c, const char *comment)
{
	/* " wp:name {json} " or " /wp:name " or " wp:name /" */
	const char *p = comment;
	while (*p == ' ' || *p == '\n')
		p++;
	if (strncmp(p, "wp:", 3) != 0)
		return;
	p += 3;
	size_t n = 0;
	while (p[n] != '\0' && p[n] != ' ' && p[n] != '\n' && p[n] != '/' && n < 60)
		n++;
	if (p[n] == '/' && p[n + 1] != ' ' && p[n + 1] != '\0' && p[n + 1] != '\n') {
		/* namespaced: core-embed/youtube */
		n++;
		while (p[n] != '\0' && p[n] != ' ' && p[n] != '\n' && p[n] != '/' && n < 60)
			n++;
	}
	static const char *const known[] = { "paragraph", "heading", "list", "list-item", "quote", "pullquote",
					     "image", "gallery", "embed", "video", "audio", "separator", "spacer",
					     "code", "preformatted", "verse", "table", "columns", "column", "group",
					     "more", "nextpage", "html", "freeform", "buttons", "button", "media-text",
					     "cover", "file", "shortcode", NULL };
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)n, p);
	if (strncmp(name, "core-embed/", 11) == 0)
		return;
	for (size_t i = 0; known[i] != NULL; i++)
		if (strcmp(name, known[i]) == 0)
			return;
	char msg[128];
	snprintf(msg, sizeof(msg), "unknown block wp:%s (its text kept)", name);
	note(c, msg);
}

static void iframe(struct cv *c, xmlNode *n, struct mh_buf *out)
{
	const char *src = prop(n, "src");
	char id[12];
	if (src != NULL && mh_content_youtube_id(mh_str_c(src), id)) {
		/* a paragraph of the video's address: the renderer's embed */
		if (out->len > 0 && !line_start(out))
			mh_buf_append_ch(out, '\n');
		mh_buf_printf(out, "\nhttps://www.youtube.com/watch?v=%s\n\n", id);
		return;
	}
	char msg[200];
	const char *host = src != NULL ? strstr(src, "://") : NULL;
	size_t hn = 0;
	if (host != NULL) {
		host += 3;
		while (host[hn] != '\0' && host[hn] != '/' && host[hn] != '?' && hn < 80)
			hn++;
	}
	snprintf(msg, sizeof(msg), "iframe from %.*s dropped", (int)(host != NULL ? hn : 7),
		 host != NULL ? host : "nowhere");
	note(c, msg);
}

static void image(struct cv *c, xmlNode *n, struct mh_buf *line)
{
	const char *raw = prop(n, "src");
	const char *src = safe_url(c, raw, true);
	if (src == NULL) {
		note(c, "image without an http(s) address dropped");
		return;
	}
	if (c->o->image != NULL) {
		const char *mapped = c->o->image(c->o->arg, c->a, src);
		if (mapped != NULL)
			src = mapped;
	}
	mh_buf_append_c(line, "![");
	const char *alt = prop(n, "alt");
	struct mh_buf t = MH_BUF_INIT;
	text(&t, alt != NULL ? alt : "");
	for (size_t i = 0; i < t.len; i++)
		if (t.ptr[i] == '\n')
			t.ptr[i] = ' ';
	mh_buf_append(line, t.ptr, t.len);
	mh_buf_free(&t);
	mh_buf_printf(line, "](%s)", src);
}

/* marker + children + marker, the markers outside any spaces at the ends
 * ("** x**" would not be emphasis). */
static void wrap(struct cv *c, xmlNode *n, struct mh_buf *line, const char *marker)
{
	struct mh_buf t = MH_BUF_INIT;
	inlines(c, n->children, &t);
	size_t s;
	bool lead = t.len > 0 && t.ptr[0] == ' ';
	bool tail = t.len > 0 && t.ptr[t.len - 1] == ' ';
	trim(&t, &s);
	if (t.len > s) {
		if (lead && !line_start(line) && line->ptr[line->len - 1] != ' ')
			mh_buf_append_ch(line, ' ');
		mh_buf_append_c(line, marker);
		mh_buf_append(line, t.ptr + s, t.len - s);
		mh_buf_append_c(line, marker);
		if (tail)
			mh_buf_append_ch(line, ' ');
	}
	mh_buf_free(&t);
}

static void raw_text(xmlNode *n, struct mh_buf *out)
{
	for (xmlNode *k = n; k != NULL; k = k->next) {
		if (k->type == XML_TEXT_NODE && k->content != NULL)
			mh_buf_append_c(out, (const char *)k->content);
		else if (k->type == XML_ELEMENT_NODE && is(k, "br"))
			mh_buf_append_ch(out, '\n');
		else if (k->type == XML_ELEMENT_NODE && !is_any(k, dropped))
			raw_text(k->children, out);
	}
}

/* The longest run of c in s, plus one. */
static size_t fence_len(const struct mh_buf *s, char ch, size_t min)
{
	size_t best = 0, run = 0;
	for (size_t i = 0; i < s->len; i++) {
		run = s->ptr[i] == ch ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best + 1 > min ? best + 1 : min;
}

static void code_span(xmlNode *n, struct mh_buf *line)
{
	struct mh_buf t = MH_BUF_INIT;
	raw_text(n->children, &t);
	for (size_t i = 0; i < t.len; i++)
		if (t.ptr[i] == '\n' || t.ptr[i] == '\r')
			t.ptr[i] = ' ';
	if (t.len > 0) {
		size_t f = fence_len(&t, '`', 1);
		for (size_t i = 0; i < f; i++)
			mh_buf_append_ch(line, '`');
		mh_buf_append_ch(line, ' ');
		mh_buf_append(line, t.ptr, t.len);
		mh_buf_append_ch(line, ' ');
		for (size_t i = 0; i < f; i++)
			mh_buf_append_ch(line, '`');
	}
	mh_buf_free(&t);
}

static void dropped_note(struct cv *c, xmlNode *n)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "<%.40s> dropped", (const char *)n->name);
	note(c, msg);
}

static void inline_node(struct cv *c, xmlNode *n, struct mh_buf *line)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content != NULL)
			text(line, (const char *)n->content);
		return;
	}
	if (n->type == XML_COMMENT_NODE) {
		if (n->content != NULL)
			block_note(c, (const char *)n->content);
		return;
	}
	if (n->type != XML_ELEMENT_NODE)
		return;
	if (is_any(n, silent))
		return;
	if (is_any(n, dropped)) {
		dropped_note(c, n);
		return;
	}
	if (is(n, "iframe")) {
		iframe(c, n, line);
	} else if (is(n, "img")) {
		image(c, n, line);
	} else if (is(n, "br")) {
		mh_buf_append_c(line, "\\\n");
	} else if (is(n, "strong") || is(n, "b")) {
		wrap(c, n, line, "**");
	} else if (is(n, "em") || is(n, "i") || is(n, "cite") || is(n, "var")) {
		wrap(c, n, line, "*");
	} else if (is(n, "del") || is(n, "s") || is(n, "strike")) {
		wrap(c, n, line, "~~");
	} else if (is(n, "code") || is(n, "kbd") || is(n, "tt") || is(n, "samp")) {
		code_span(n, line);
	} else if (is(n, "a")) {
		const char *href = safe_url(c, prop(n, "href"), false);
		struct mh_buf t = MH_BUF_INIT;
		inlines(c, n->children, &t);
		size_t s;
		trim(&t, &s);
		if (href != NULL && c->o->image != NULL && href[0] != '#') {
			/* a link to an image we brought (a thumbnail's "full size") */
			const char *mapped = c->o->image(c->o->arg, c->a, href);
			if (mapped != NULL)
				href = mapped;
		}
		if (href != NULL && t.len > s) {
			mh_buf_append_ch(line, '[');
			mh_buf_append(line, t.ptr + s, t.len - s);
			mh_buf_printf(line, "](%s)", href);
		} else {
			if (href == NULL && prop(n, "href") != NULL)
				note(c, "link with an unsafe or unknown address kept as text");
			mh_buf_append(line, t.ptr + s, t.len - s);
		}
		mh_buf_free(&t);
	} else if (c->depth < MAX_DEPTH) {
		c->depth++;
		inlines(c, n->children, line);
		c->depth--;
	}
}

static void inlines(struct cv *c, xmlNode *first, struct mh_buf *line)
{
	for (xmlNode *n = first; n != NULL; n = n->next)
		inline_node(c, n, line);
}

static void prefix_lines(struct mh_buf *out, const struct mh_buf *in, const char *first, const char *rest)
{
	bool at_start = true, first_line = true;
	for (size_t i = 0; i < in->len; i++) {
		if (at_start) {
			bool empty = in->ptr[i] == '\n';
			const char *p = first_line ? first : rest;
			if (empty && strcmp(p, "> ") == 0)
				mh_buf_append_c(out, ">");
			else if (!empty || first_line)
				mh_buf_append_c(out, p);
			first_line = false;
			at_start = false;
		}
		mh_buf_append_ch(out, in->ptr[i]);
		if (in->ptr[i] == '\n')
			at_start = true;
	}
}

static void list(struct cv *c, xmlNode *n, struct mh_buf *out)
{
	bool ordered = is(n, "ol");
	int k = 1;
	struct mh_buf items = MH_BUF_INIT, item = MH_BUF_INIT;
	for (xmlNode *li = n->children; li != NULL; li = li->next) {
		if (li->type != XML_ELEMENT_NODE || !is(li, "li"))
			continue;
		mh_buf_reset(&item);
		blocks(c, li->children, &item);
		char marker[16];
		snprintf(marker, sizeof(marker), ordered ? "%d. " : "- ", k++);
		const char *indent = ordered ? "   " : "  ";
		if (item.len == 0)
			mh_buf_append_c(&item, "\\");
		if (items.len > 0)
			mh_buf_append_ch(&items, '\n');
		prefix_lines(&items, &item, marker, indent);
	}
	emit_block(out, &items);
	mh_buf_free(&items);
	mh_buf_free(&item);
}

static void table(struct cv *c, xmlNode *n, struct mh_buf *out)
{
	struct mh_buf t = MH_BUF_INIT, cell = MH_BUF_INIT;
	int rows = 0, cols = 0;
	/* rows may sit in thead/tbody/tfoot or directly in the table */
	xmlNode *stack[4] = { n->children };
	int sp = 1;
	while (sp > 0) {
		xmlNode *r = stack[--sp];
		for (; r != NULL; r = r->next) {
			if (r->type != XML_ELEMENT_NODE)
				continue;
			if ((is(r, "thead") || is(r, "tbody") || is(r, "tfoot")) && sp < 3) {
				stack[sp++] = r->next;
				stack[sp++] = r->children;
				break;
			}
			if (!is(r, "tr"))
				continue;
			int ncells = 0;
			mh_buf_append_c(&t, "|");
			for (xmlNode *d = r->children; d != NULL; d = d->next) {
				if (d->type != XML_ELEMENT_NODE || !(is(d, "td") || is(d, "th")))
					continue;
				mh_buf_reset(&cell);
				inlines(c, d->children, &cell);
				for (size_t i = 0; i < cell.len; i++)
					if (cell.ptr[i] == '\n')
						cell.ptr[i] = ' ';
				size_t s;
				trim(&cell, &s);
				mh_buf_append_ch(&t, ' ');
				/* a hard break's backslash before the newline, now a space */
				for (size_t i = s; i < cell.len; i++)
					if (!(cell.ptr[i] == '\\' && i + 1 < cell.len && cell.ptr[i + 1] == ' '))
						mh_buf_append_ch(&t, cell.ptr[i]);
				mh_buf_append_c(&t, " |");
				ncells++;
			}
			mh_buf_append_ch(&t, '\n');
			if (rows == 0) {
				cols = ncells > 0 ? ncells : 1;
				mh_buf_append_c(&t, "|");
				for (int i = 0; i < cols; i++)
					mh_buf_append_c(&t, " --- |");
				mh_buf_append_ch(&t, '\n');
			}
			rows++;
		}
	}
	emit_block(out, &t);
	mh_buf_free(&t);
	mh_buf_free(&cell);
}

static void flush(struct mh_buf *out, struct mh_buf *para)
{
	/* a paragraph ending in a hard break would keep a stray backslash */
	size_t s;
	trim(para, &s);
	while (para->len > s + 1 && para->ptr[para->len - 1] == '\\') {
		para->len--;
		trim(para, &s);
	}
	emit_block(out, para);
}

static void blocks(struct cv *c, xmlNode *first, struct mh_buf *out)
{
	struct mh_buf para = MH_BUF_INIT, blk = MH_BUF_INIT;
	if (c->depth >= MAX_DEPTH) {
		/* deeper than any real post: its text only */
		struct mh_buf t = MH_BUF_INIT;
		raw_text(first, &t);
		text(&para, mh_buf_cstr(&t));
		mh_buf_free(&t);
		flush(out, &para);
		mh_buf_free(&para);
		return;
	}
	c->depth++;
	for (xmlNode *n = first; n != NULL; n = n->next) {
		if (n->type == XML_TEXT_NODE && n->content != NULL) {
			/* the classic editor's paragraphs: blank lines */
			const char *s = (const char *)n->content;
			const char *brk;
			while ((brk = strstr(s, "\n\n")) != NULL) {
				char *part = mh_arena_strndup(c->a, s, (size_t)(brk - s));
				text(&para, part);
				flush(out, &para);
				s = brk + 2;
			}
			text(&para, s);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE) {
			inline_node(c, n, &para);
			continue;
		}
		mh_buf_reset(&blk);
		if (is_any(n, containers)) {
			flush(out, &para);
			blocks(c, n->children, &blk);
			emit_block(out, &blk);
		} else if (is(n, "p")) {
			flush(out, &para);
			inlines(c, n->children, &para);
			flush(out, &para);
		} else if (n->name != NULL && n->name[0] == 'h' && n->name[1] >= '1' && n->name[1] <= '6' &&
			   n->name[2] == '\0') {
			flush(out, &para);
			struct mh_buf h = MH_BUF_INIT;
			inlines(c, n->children, &h);
			for (size_t i = 0; i < h.len; i++)
				if (h.ptr[i] == '\n')
					h.ptr[i] = ' ';
			size_t s;
			trim(&h, &s);
			if (h.len > s) {
				for (int i = 0; i < n->name[1] - '0'; i++)
					mh_buf_append_ch(&blk, '#');
				mh_buf_append_ch(&blk, ' ');
				for (size_t i = s; i < h.len; i++)
					if (!(h.ptr[i] == '\\' && i + 1 < h.len && h.ptr[i + 1] == ' '))
						mh_buf_append_ch(&blk, h.ptr[i]);
				emit_block(out, &blk);
			}
			mh_buf_free(&h);
		} else if (is(n, "ul") || is(n, "ol")) {
			flush(out, &para);
			list(c, n, out);
		} else if (is(n, "blockquote")) {
			flush(out, &para);
			struct mh_buf q = MH_BUF_INIT;
			blocks(c, n->children, &q);
			prefix_lines(&blk, &q, "> ", "> ");
			emit_block(out, &blk);
			mh_buf_free(&q);
		} else if (is(n, "pre")) {
			flush(out, &para);
			struct mh_buf code = MH_BUF_INIT;
			raw_text(n->children, &code);
			while (code.len > 0 && code.ptr[code.len - 1] == '\n')
				code.len--;
			size_t f = fence_len(&code, '`', 3);
			for (size_t i = 0; i < f; i++)
				mh_buf_append_ch(&blk, '`');
			mh_buf_append_ch(&blk, '\n');
			mh_buf_append(&blk, code.ptr, code.len);
			mh_buf_append_ch(&blk, '\n');
			for (size_t i = 0; i < f; i++)
				mh_buf_append_ch(&blk, '`');
			if (out->len > 0)
				mh_buf_append_c(out, "\n\n");
			mh_buf_append(out, blk.ptr, blk.len); /* not trimmed: code keeps its indentation */
			mh_buf_free(&code);
		} else if (is(n, "hr")) {
			flush(out, &para);
			mh_buf_append_c(&blk, "* * *");
			emit_block(out, &blk);
		} else if (is(n, "table")) {
			flush(out, &para);
			table(c, n, out);
		} else if (is(n, "figcaption")) {
			flush(out, &para);
			inlines(c, n->children, &para);
			if (para.len > 0) {
				for (size_t i = 0; i < para.len; i++)
					if (para.ptr[i] == '\n')
						para.ptr[i] = ' ';
				size_t s;
				trim(&para, &s);
				if (para.len > s) {
					mh_buf_append_c(&blk, "*");
					mh_buf_append(&blk, para.ptr + s, para.len - s);
					mh_buf_append_c(&blk, "*");
				}
				mh_buf_reset(&para);
				emit_block(out, &blk);
			}
		} else if (is(n, "iframe")) {
			flush(out, &para);
			iframe(c, n, &blk);
			emit_block(out, &blk);
		} else {
			inline_node(c, n, &para);
		}
	}
	flush(out, &para);
	c->depth--;
	mh_buf_free(&para);
	mh_buf_free(&blk);
}

/* ---- shortcodes ---- */

/* The value of attribute name in a shortcode's attribute text (quoted with
 * " or ' or bare), in a; NULL when absent. */
static const char *sc_attr(struct mh_arena *a, struct mh_str attrs, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i + nl < attrs.len; i++) {
		if ((i > 0 && attrs.ptr[i - 1] != ' ') || strncmp(attrs.ptr + i, name, nl) != 0 || attrs.ptr[i + nl] != '=')
			continue;
		size_t v = i + nl + 1, e;
		char q = v < attrs.len ? attrs.ptr[v] : 0;
		if (q == '"' || q == '\'') {
			v++;
			for (e = v; e < attrs.len && attrs.ptr[e] != q; e++)
				;
		} else {
			for (e = v; e < attrs.len && attrs.ptr[e] != ' '; e++)
				;
		}
		return mh_arena_strndup(a, attrs.ptr + v, e - v);
	}
	return NULL;
}

static bool sc_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* Finds "[/name]" from p; its offset or -1. */
static long sc_close(struct mh_str s, size_t from, const char *name)
{
	char pat[64]; /* "[/" + a name of at most 47 bytes (the callers' buffer) + "]" */
	snprintf(pat, sizeof(pat), "[/%s]", name);
	size_t pl = strlen(pat);
	for (size_t i = from; i + pl <= s.len; i++)
		if (strncmp(s.ptr + i, pat, pl) == 0)
			return (long)i;
	return -1;
}

static void attr_url(struct mh_buf *out, const char *u)
{
	mh_escape_attr(out, mh_str_c(u));
}

/* Rewrites the shortcodes we map into HTML the walk knows; others stay. */
static void shortcodes(struct cv *c, struct mh_str in, struct mh_buf *out)
{
	size_t i = 0;
	while (i < in.len) {
		const char *br = memchr(in.ptr + i, '[', in.len - i);
		if (br == NULL) {
			mh_buf_append(out, in.ptr + i, in.len - i);
			break;
		}
		size_t at = (size_t)(br - in.ptr);
		mh_buf_append(out, in.ptr + i, at - i);
		size_t n = 0;
		while (at + 1 + n < in.len && sc_name_char(in.ptr[at + 1 + n]) && n < 40)
			n++;
		const char *end = n > 0 ? memchr(in.ptr + at, ']', in.len - at) : NULL;
		char next = at + 1 + n < in.len ? in.ptr[at + 1 + n] : 0;
		if (n == 0 || end == NULL || !(next == ' ' || next == ']' || next == '=' || next == '/')) {
			mh_buf_append_ch(out, '[');
			i = at + 1;
			continue;
		}
		char name[48];
		snprintf(name, sizeof(name), "%.*s", (int)n, in.ptr + at + 1);
		size_t close_br = (size_t)(end - in.ptr);
		struct mh_str attrs = { in.ptr + at + 1 + n, close_br - at - 1 - n };
		size_t after = close_br + 1;
		if (strcmp(name, "caption") == 0 || strcmp(name, "wp_caption") == 0) {
			long cl = sc_close(in, after, name);
			if (cl >= 0) {
				struct mh_str inner = { in.ptr + after, (size_t)cl - after };
				/* the image (and its link) first, the caption after its last tag */
				size_t cut = inner.len;
				while (cut > 0 && inner.ptr[cut - 1] != '>')
					cut--;
				mh_buf_append_c(out, "<figure>");
				mh_buf_append(out, inner.ptr, cut);
				mh_buf_append_c(out, "<figcaption>");
				mh_buf_append(out, inner.ptr + cut, inner.len - cut);
				mh_buf_append_c(out, "</figcaption></figure>");
				i = (size_t)cl + n + 3;
				continue;
			}
		} else if (strcmp(name, "gallery") == 0) {
			const char *ids = sc_attr(c->a, attrs, "ids");
			if (ids == NULL || ids[0] == '\0') {
				note(c, "[gallery] without ids (the post's attached images) not mapped");
			} else {
				mh_buf_append_c(out, "<div>");
				for (const char *p = ids; *p != '\0';) {
					char *e;
					long long id = strtoll(p, &e, 10);
					if (e == p) {
						p++;
						continue;
					}
					p = e;
					const char *u = c->o->attachment != NULL ? c->o->attachment(c->o->arg, c->a, id) : NULL;
					if (u == NULL) {
						char msg[96];
						snprintf(msg, sizeof(msg), "[gallery] image %lld not brought (not in the export, or not an image)", id);
						note(c, msg);
						continue;
					}
					mh_buf_append_c(out, "<p><img alt=\"\" src=\"");
					attr_url(out, u);
					mh_buf_append_c(out, "\"></p>");
				}
				mh_buf_append_c(out, "</div>");
			}
			i = after;
			continue;
		} else if (strcmp(name, "embed") == 0) {
			long cl = sc_close(in, after, name);
			if (cl >= 0) {
				mh_buf_append_c(out, "<p>");
				mh_buf_append(out, in.ptr + after, (size_t)cl - after);
				mh_buf_append_c(out, "</p>");
				i = (size_t)cl + n + 3;
				continue;
			}
		} else if (strcmp(name, "youtube") == 0) {
			/* [youtube URL] or [youtube=URL] */
			struct mh_str u = attrs;
			while (u.len > 0 && (u.ptr[0] == ' ' || u.ptr[0] == '='))
				u.ptr++, u.len--;
			mh_buf_append_c(out, "<p>");
			mh_escape_html(out, u);
			mh_buf_append_c(out, "</p>");
			i = after;
			continue;
		}
		char msg[96];
		snprintf(msg, sizeof(msg), "unknown shortcode [%s] kept as text", name);
		note(c, msg);
		mh_buf_append_ch(out, '[');
		i = at + 1;
	}
}

void mh_wphtml_to_markdown(struct mh_arena *a, struct mh_str html, struct mh_wphtml *cv, struct mh_buf *md)
{
	struct cv c = { a, cv, 0 };
	struct mh_buf pre = MH_BUF_INIT;
	mh_buf_append_c(&pre, "<html><body>");
	shortcodes(&c, html, &pre);
	mh_buf_append_c(&pre, "</body></html>");
	htmlDocPtr doc = htmlReadMemory(pre.ptr, (int)pre.len, NULL, "UTF-8",
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_COMPACT);
	mh_buf_free(&pre);
	if (doc == NULL)
		return;
	struct mh_buf out = MH_BUF_INIT;
	blocks(&c, doc->children, &out);
	xmlFreeDoc(doc);
	if (out.len > 0) {
		mh_buf_append(md, out.ptr, out.len);
		mh_buf_append_ch(md, '\n');
	}
	mh_buf_free(&out);
}

void mh_wphtml_text(struct mh_str html, struct mh_buf *out)
{
	struct mh_buf pre = MH_BUF_INIT;
	mh_buf_append_c(&pre, "<html><body>");
	mh_buf_append(&pre, html.ptr, html.len);
	mh_buf_append_c(&pre, "</body></html>");
	htmlDocPtr doc = htmlReadMemory(pre.ptr, (int)pre.len, NULL, "UTF-8",
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	mh_buf_free(&pre);
	if (doc == NULL)
		return;
	struct mh_buf t = MH_BUF_INIT;
	raw_text(doc->children, &t);
	xmlFreeDoc(doc);
	/* collapsed spaces, trimmed */
	bool space = false;
	for (size_t i = 0; i < t.len; i++) {
		char ch = t.ptr[i];
		if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
			space = out->len > 0;
			continue;
		}
		if (space)
			mh_buf_append_ch(out, ' ');
		space = false;
		mh_buf_append_ch(out, ch);
	}
	mh_buf_free(&t);
}
