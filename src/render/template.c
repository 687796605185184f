/*
 * render/template: the Mustache engine. A template and every partial/parent it
 * names are compiled once into node arrays (text, interpolation, section,
 * partial, parent, block) held in one arena owned by struct mh_template;
 * rendering walks those arrays with a context stack on the C stack and
 * appends to the caller's buffer. A compiled template is immutable, so any
 * number of threads may render it at once.
 *
 * Compilation has three passes per source: tokenize (set-delimiter tags take
 * effect as they are met; text is split at newlines), match open/close tags,
 * then decide per line whether its tags are "standalone" (the line is removed
 * from the output). Indentation of standalone partials, parents and blocks is
 * applied at render time: every node that begins a template line carries a
 * flag (bol), and the renderer writes the current indentation before it. That
 * keeps one compiled copy per partial however many indentations it is used at.
 *
 * Hand-written rather than a library: Debian ships no C Mustache engine with
 * inheritance, and auto-escaping by value type is ours.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render.h"

/* Render-time guards: templates are trusted, but a self-including partial or
 * a block that overrides itself must end instead of exhausting the stack. */
#define MH_TPL_MAX_PARTIAL_DEPTH 100
#define MH_TPL_MAX_DEPTH 1000
#define MH_TPL_MAX_NEST 200      /* compile time: sections nested in one source */
#define MH_TPL_MAX_PARTS 1000    /* compile time: distinct partials per template */
#define MH_TPL_MAX_DELIM 16
#define MH_TPL_BUDGET 4000000u   /* node visits per render: ~100x a big page */
#define MH_TPL_INDENT_MAX 4096

enum node_type {
	N_TEXT,
	N_VAR,      /* {{x}}: always escaped */
	N_RAW,      /* {{{x}}} {{&x}}: raw only for MH_VAL_HTML (and strings in spec mode) */
	N_SECTION,
	N_INVERTED,
	N_PARTIAL,
	N_PARENT,   /* kids: the overriding blocks */
	N_BLOCK,    /* kids: default content (or the override's content) */
};

struct part;

struct node {
	uint8_t type;
	bool bol;        /* begins a template line: the indentation goes before it */
	bool standalone; /* PARTIAL, PARENT, BLOCK: the tag's line was standalone */
	uint32_t nparts; /* name parts; 0 with parts == NULL means "." */
	uint32_t nkids;
	struct mh_str text;  /* TEXT: bytes; PARTIAL/PARENT: indentation; BLOCK: override indentation */
	const char **parts;  /* VAR, RAW, SECTION, INVERTED */
	const char *name;    /* BLOCK, PARTIAL, PARENT */
	struct node *kids;
	struct part *target; /* PARTIAL, PARENT */
};

/* One compiled source: the template itself or a partial it names. */
struct part {
	const char *name;
	const char *src;
	size_t len;
	bool found;
	struct node *nodes;
	uint32_t n;
	struct part *next;
};

struct mh_template {
	struct mh_arena *arena;
	const char *name;
	struct part *root;
	bool spec_mode;
};

/* ---------------------------------------------------------------- compile */

enum tok_kind {
	TK_TEXT,
	TK_VAR,
	TK_RAW,
	TK_SECTION,
	TK_INVERTED,
	TK_CLOSE,
	TK_COMMENT,
	TK_PARTIAL,
	TK_DELIM,
	TK_PARENT,
	TK_BLOCK,
};

struct tok {
	enum tok_kind kind;
	const char *p; /* TEXT: the bytes; tags: the trimmed name */
	size_t n;
	size_t start, end; /* the whole text run or tag, as offsets in the source */
	int line;
	int match; /* open <-> close */
	size_t line_start, line_end; /* the (logical) line holding the token */
	size_t indent_len; /* first tag of a standalone line: its leading whitespace */
	bool standalone, bol, dropped;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

struct cctx {
	struct mh_arena *a;
	mh_partial_loader loader;
	void *loader_arg;
	struct part *parts, **tail;
	size_t nparts;
	struct mh_buf *err;
	const struct part *cur;
	struct toks t;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool fail(struct cctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(struct cctx *c, int line, const char *fmt, ...)
{
	if (c->err != NULL) {
		va_list ap;
		mh_buf_printf(c->err, "%s:%d: ", c->cur->name, line);
		va_start(ap, fmt);
		mh_buf_vprintf(c->err, fmt, ap);
		va_end(ap);
	}
	return false;
}

static struct tok *tok_push(struct toks *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tok *v = realloc(t->v, cap * sizeof(*v));
		MH_ASSERT(v != NULL);
		t->v = v;
		t->cap = cap;
	}
	struct tok *k = &t->v[t->n++];
	memset(k, 0, sizeof(*k));
	k->match = -1;
	return k;
}

static const char *find(const char *hay, size_t from, size_t len, const char *needle, size_t nlen)
{
	if (from > len)
		return NULL;
	return memmem(hay + from, len - from, needle, nlen);
}

/* Text runs are split after each newline so that a text token never spans
 * two lines: the standalone pass and line-start flags rely on it. */
static void push_text(struct cctx *c, const char *src, size_t from, size_t to, int *line)
{
	while (from < to) {
		const char *nl = memchr(src + from, '\n', to - from);
		size_t e = nl != NULL ? (size_t)(nl - src) + 1 : to;
		struct tok *k = tok_push(&c->t);
		k->kind = TK_TEXT;
		k->p = src + from;
		k->n = e - from;
		k->start = from;
		k->end = e;
		k->line = *line;
		if (nl != NULL)
			(*line)++;
		from = e;
	}
}

static void trim(const char **p, size_t *n)
{
	while (*n > 0 && is_space(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*p)[*n - 1]))
		(*n)--;
}

static bool check_name(struct cctx *c, int line, const char *p, size_t n)
{
	if (n == 0)
		return fail(c, line, "empty tag name");
	for (size_t i = 0; i < n; i++) {
		if (is_space(p[i]))
			return fail(c, line, "tag name \"%.*s\" contains whitespace", (int)n, p);
	}
	return true;
}

/* Parses "<% %>" (the inside of {{=<% %>=}}) into the new delimiters. */
static bool set_delims(struct cctx *c, int line, const char *p, size_t n, char *od, size_t *odlen, char *cd,
		       size_t *cdlen)
{
	trim(&p, &n);
	size_t a = 0;
	while (a < n && !is_space(p[a]))
		a++;
	size_t b = a;
	while (b < n && is_space(p[b]))
		b++;
	const char *second = p + b;
	size_t slen = n - b;
	if (a == 0 || slen == 0)
		return fail(c, line, "bad set-delimiter tag: need two delimiters, as in {{=<%% %%>=}}");
	for (size_t i = 0; i < slen; i++) {
		if (is_space(second[i]))
			return fail(c, line, "bad set-delimiter tag: more than two delimiters");
	}
	if (memchr(p, '=', a) != NULL || memchr(second, '=', slen) != NULL)
		return fail(c, line, "bad set-delimiter tag: delimiters may not contain '='");
	if (a > MH_TPL_MAX_DELIM || slen > MH_TPL_MAX_DELIM)
		return fail(c, line, "bad set-delimiter tag: delimiters longer than %d bytes", MH_TPL_MAX_DELIM);
	memcpy(od, p, a);
	*odlen = a;
	memcpy(cd, second, slen);
	*cdlen = slen;
	return true;
}

static bool tokenize(struct cctx *c, const char *src, size_t len)
{
	char od[MH_TPL_MAX_DELIM + 1] = "{{", cd[MH_TPL_MAX_DELIM + 1] = "}}";
	size_t odlen = 2, cdlen = 2;
	size_t pos = 0;
	int line = 1;

	c->t.n = 0;
	while (pos < len) {
		const char *o = find(src, pos, len, od, odlen);
		size_t at = o != NULL ? (size_t)(o - src) : len;
		push_text(c, src, pos, at, &line);
		if (o == NULL)
			break;
		int tag_line = line;
		size_t q = at + odlen;
		char close[MH_TPL_MAX_DELIM + 2];
		size_t closelen = 0;
		enum tok_kind kind = TK_VAR;
		if (q < len && (src[q] == '{' || src[q] == '=')) {
			kind = src[q] == '{' ? TK_RAW : TK_DELIM;
			close[closelen++] = src[q] == '{' ? '}' : '=';
			q++;
		}
		memcpy(close + closelen, cd, cdlen);
		closelen += cdlen;
		const char *ce = find(src, q, len, close, closelen);
		if (ce == NULL)
			return fail(c, tag_line, "unclosed tag (no \"%.*s\" after \"%.*s\")", (int)closelen, close,
				    (int)odlen, od);
		size_t cend = (size_t)(ce - src);
		size_t end = cend + closelen;
		for (size_t i = at; i < end; i++)
			line += src[i] == '\n';
		const char *name = src + q;
		size_t n = cend - q;

		if (kind == TK_DELIM) {
			if (!set_delims(c, tag_line, name, n, od, &odlen, cd, &cdlen))
				return false;
			n = 0;
		} else if (kind == TK_VAR && n > 0) {
			switch (name[0]) {
			case '!': kind = TK_COMMENT; break;
			case '#': kind = TK_SECTION; break;
			case '^': kind = TK_INVERTED; break;
			case '/': kind = TK_CLOSE; break;
			case '&': kind = TK_RAW; break;
			case '>': kind = TK_PARTIAL; break;
			case '<': kind = TK_PARENT; break;
			case '$': kind = TK_BLOCK; break;
			case '=': return fail(c, tag_line, "bad set-delimiter tag: missing closing '='");
			default: break;
			}
			if (kind != TK_VAR) {
				name++;
				n--;
			}
		}
		if (kind == TK_COMMENT) {
			n = 0;
		} else if (kind != TK_DELIM) {
			trim(&name, &n);
			if (!check_name(c, tag_line, name, n))
				return false;
		}
		struct tok *k = tok_push(&c->t);
		k->kind = kind;
		k->p = name;
		k->n = n;
		k->start = at;
		k->end = end;
		k->line = tag_line;
		pos = end;
	}
	return true;
}

static bool is_open(enum tok_kind k)
{
	return k == TK_SECTION || k == TK_INVERTED || k == TK_PARENT || k == TK_BLOCK;
}

static bool match_sections(struct cctx *c)
{
	int stack[MH_TPL_MAX_NEST];
	int sp = 0;
	struct tok *v = c->t.v;
	for (size_t i = 0; i < c->t.n; i++) {
		if (is_open(v[i].kind)) {
			if (sp == MH_TPL_MAX_NEST)
				return fail(c, v[i].line, "sections nested deeper than %d", MH_TPL_MAX_NEST);
			stack[sp++] = (int)i;
		} else if (v[i].kind == TK_CLOSE) {
			if (sp == 0)
				return fail(c, v[i].line, "closing tag {{/%.*s}} without an open section", (int)v[i].n,
					    v[i].p);
			struct tok *o = &v[stack[sp - 1]];
			if (o->n != v[i].n || memcmp(o->p, v[i].p, o->n) != 0)
				return fail(c, v[i].line, "closing tag {{/%.*s}} does not match {{%c%.*s}} opened at line %d",
					    (int)v[i].n, v[i].p,
					    o->kind == TK_SECTION    ? '#'
					    : o->kind == TK_INVERTED ? '^'
					    : o->kind == TK_PARENT   ? '<'
								     : '$',
					    (int)o->n, o->p, o->line);
			o->match = (int)i;
			v[i].match = stack[sp - 1];
			sp--;
		}
	}
	if (sp > 0) {
		struct tok *o = &v[stack[sp - 1]];
		return fail(c, o->line, "section \"%.*s\" is never closed", (int)o->n, o->p);
	}
	return true;
}

static bool text_ends_line(const struct tok *k)
{
	return k->kind == TK_TEXT && k->n > 0 && k->p[k->n - 1] == '\n';
}

static bool inheritance_tag(const struct tok *v, const struct tok *k)
{
	if (k->kind == TK_PARENT || k->kind == TK_BLOCK)
		return true;
	return k->kind == TK_CLOSE && (v[k->match].kind == TK_PARENT || v[k->match].kind == TK_BLOCK);
}

/* A line holding only whitespace and tags that output nothing is removed
 * (spec: "standalone"). Core Mustache allows one such tag per line; the
 * inheritance module also lets parent and block tags pair up on one line
 * ("{{<parent}}{{$block}}", "{{/block}}{{/parent}}"); an empty block
 * "{{$b}}{{/b}}" alone on its line keeps its newline (spec PR #131). */
static void analyze_line(struct tok *v, size_t i, size_t j)
{
	size_t ntags = 0, first = SIZE_MAX;
	bool inh = true;
	for (size_t k = i; k <= j; k++) {
		struct tok *t = &v[k];
		if (t->kind == TK_TEXT) {
			size_t n = t->n;
			if (k == j && text_ends_line(t)) {
				n--;
				if (n > 0 && t->p[n - 1] == '\r')
					n--;
			}
			for (size_t x = 0; x < n; x++) {
				if (!is_ws(t->p[x]))
					goto not_standalone;
			}
			continue;
		}
		if (t->kind == TK_VAR || t->kind == TK_RAW)
			goto not_standalone;
		if (first == SIZE_MAX)
			first = k;
		ntags++;
		inh = inh && inheritance_tag(v, t);
	}
	if (ntags == 0 || (ntags > 1 && !inh))
		goto not_standalone;
	bool keep_nl = ntags == 2 && v[first].kind == TK_BLOCK && v[first].match == (int)first + 1;
	v[first].indent_len = first > i ? v[i].n : 0;
	for (size_t k = i; k <= j; k++) {
		if (v[k].kind == TK_TEXT)
			v[k].dropped = true;
		else
			v[k].standalone = true;
	}
	if (keep_nl && text_ends_line(&v[j])) {
		struct tok *t = &v[j];
		size_t nl = t->n >= 2 && t->p[t->n - 2] == '\r' ? 2 : 1;
		t->p += t->n - nl;
		t->n = nl;
		t->dropped = false;
	}
	return;
not_standalone:
	v[i].bol = true;
}

static void analyze(struct cctx *c)
{
	struct tok *v = c->t.v;
	size_t n = c->t.n;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j + 1 < n && !text_ends_line(&v[j]))
			j++;
		for (size_t k = i; k <= j; k++) {
			v[k].line_start = v[i].start;
			v[k].line_end = v[j].end;
		}
		analyze_line(v, i, j);
		i = j + 1;
	}
}

/* Common leading whitespace of the non-blank lines in src[from, to). Returns
 * SIZE_MAX when every line is blank; *ws points at one instance. */
static size_t common_indent(const char *src, size_t from, size_t to, const char **ws)
{
	size_t best = SIZE_MAX;
	*ws = NULL;
	size_t p = from;
	while (p < to) {
		const char *nl = memchr(src + p, '\n', to - p);
		size_t le = nl != NULL ? (size_t)(nl - src) : to;
		size_t w = 0;
		while (p + w < le && is_ws(src[p + w]))
			w++;
		bool blank = p + w == le || (p + w + 1 == le && src[p + w] == '\r');
		if (!blank) {
			if (*ws == NULL) {
				*ws = src + p;
				best = w;
			} else {
				size_t m = 0;
				while (m < best && m < w && src[p + m] == (*ws)[m])
					m++;
				best = m;
			}
		}
		p = le + 1;
	}
	return best;
}

struct nodes {
	struct node *v;
	size_t n, cap;
};

static struct node *node_push(struct nodes *ns)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		struct node *v = realloc(ns->v, cap * sizeof(*v));
		MH_ASSERT(v != NULL);
		ns->v = v;
		ns->cap = cap;
	}
	struct node *n = &ns->v[ns->n++];
	memset(n, 0, sizeof(*n));
	return n;
}

static struct node *nodes_finish(struct cctx *c, struct nodes *ns, uint32_t *count)
{
	struct node *out = NULL;
	if (ns->n > 0) {
		out = MH_NEW_ARRAY(c->a, struct node, ns->n);
		memcpy(out, ns->v, ns->n * sizeof(*out));
	}
	*count = (uint32_t)ns->n;
	free(ns->v);
	*ns = (struct nodes){ 0 };
	return out;
}

static struct part *part_get(struct cctx *c, const char *name, size_t n)
{
	for (struct part *p = c->parts; p != NULL; p = p->next) {
		if (strlen(p->name) == n && memcmp(p->name, name, n) == 0)
			return p;
	}
	if (c->nparts >= MH_TPL_MAX_PARTS)
		return NULL;
	struct part *p = MH_NEW(c->a, struct part);
	p->name = mh_arena_strndup(c->a, name, n);
	*c->tail = p;
	c->tail = &p->next;
	c->nparts++;
	return p;
}

static bool split_name(struct cctx *c, const struct tok *t, struct node *nd)
{
	if (t->n == 1 && t->p[0] == '.')
		return true; /* implicit iterator: no parts */
	uint32_t cnt = 1;
	for (size_t i = 0; i < t->n; i++)
		cnt += t->p[i] == '.';
	nd->parts = MH_NEW_ARRAY(c->a, const char *, cnt);
	size_t s = 0;
	for (size_t i = 0; i <= t->n; i++) {
		if (i == t->n || t->p[i] == '.') {
			if (i == s)
				return fail(c, t->line, "bad name \"%.*s\" (empty part between dots)", (int)t->n, t->p);
			nd->parts[nd->nparts++] = mh_arena_strndup(c->a, t->p + s, i - s);
			s = i + 1;
		}
	}
	return true;
}

struct build {
	size_t strip;     /* bytes of indentation removed at line starts (block definition) */
	bool in_parent;   /* direct children of a parent: blocks here are overrides */
};

static bool build(struct cctx *c, size_t from, size_t to, struct build b, struct nodes *out, bool *pending_out);

static bool build_block(struct cctx *c, struct tok *t, struct build b, struct node *nd)
{
	struct tok *v = c->t.v;
	struct tok *cl = &v[t->match];
	const char *src = c->cur->src;
	size_t cs = t->standalone ? t->line_end : t->end;
	size_t ce = cl->standalone ? cl->line_start : cl->start;
	if (cs > ce)
		cs = ce;
	struct build inner = { b.strip, false };
	if (t->standalone) {
		const char *ws;
		size_t ind = common_indent(src, cs, ce, &ws);
		if (b.in_parent) {
			/* An override: its indentation is removed here and the
			 * expansion site's is added when it is rendered. */
			if (ind != SIZE_MAX)
				inner.strip = ind;
		} else {
			/* An expansion site: overrides are indented like the
			 * default content, or like the tag when that is empty. */
			if (ind == SIZE_MAX) {
				ws = src + t->line_start;
				ind = t->indent_len;
			}
			size_t drop = b.strip < ind ? b.strip : ind;
			nd->text = (struct mh_str){ ws + drop, ind - drop };
		}
	}
	struct nodes kids = { 0 };
	bool pending = false;
	if (!build(c, (size_t)(t - v) + 1, (size_t)t->match, inner, &kids, &pending)) {
		free(kids.v);
		return false;
	}
	if (pending || cl->bol) {
		struct node *e = node_push(&kids);
		e->type = N_TEXT;
		e->bol = true;
		e->text = MH_STR("");
	}
	nd->kids = nodes_finish(c, &kids, &nd->nkids);
	return true;
}

static bool build(struct cctx *c, size_t from, size_t to, struct build b, struct nodes *out, bool *pending_out)
{
	struct tok *v = c->t.v;
	bool pending = false;
	for (size_t k = from; k < to; k++) {
		struct tok *t = &v[k];
		bool bol = t->bol || pending;
		pending = false;
		if (t->kind == TK_TEXT) {
			if (t->dropped)
				continue;
			struct mh_str s = { t->p, t->n };
			if (b.strip > 0 && t->start == t->line_start) {
				size_t w = 0;
				while (w < b.strip && w < s.len && is_ws(s.ptr[w]))
					w++;
				s.ptr += w;
				s.len -= w;
			}
			struct node *last = out->n > 0 ? &out->v[out->n - 1] : NULL;
			if (last != NULL && last->type == N_TEXT && last->text.ptr + last->text.len == s.ptr) {
				last->text.len += s.len;
				continue;
			}
			struct node *nd = node_push(out);
			nd->type = N_TEXT;
			nd->bol = bol;
			nd->text = s;
			continue;
		}
		if (t->kind == TK_COMMENT || t->kind == TK_DELIM) {
			pending = bol;
			continue;
		}
		MH_ASSERT(t->kind != TK_CLOSE);
		struct node nd = { 0 };
		nd.bol = bol;
		nd.standalone = t->standalone;
		switch (t->kind) {
		case TK_VAR:
		case TK_RAW:
			nd.type = t->kind == TK_VAR ? N_VAR : N_RAW;
			if (!split_name(c, t, &nd))
				return false;
			break;
		case TK_SECTION:
		case TK_INVERTED: {
			nd.type = t->kind == TK_SECTION ? N_SECTION : N_INVERTED;
			if (!split_name(c, t, &nd))
				return false;
			struct nodes kids = { 0 };
			bool kp = false;
			struct build inner = { b.strip, false };
			if (!build(c, k + 1, (size_t)t->match, inner, &kids, &kp)) {
				free(kids.v);
				return false;
			}
			if (kp || v[t->match].bol) {
				struct node *e = node_push(&kids);
				e->type = N_TEXT;
				e->bol = true;
				e->text = MH_STR("");
			}
			nd.kids = nodes_finish(c, &kids, &nd.nkids);
			k = (size_t)t->match;
			break;
		}
		case TK_PARTIAL:
		case TK_PARENT:
			nd.type = t->kind == TK_PARTIAL ? N_PARTIAL : N_PARENT;
			nd.name = mh_arena_strndup(c->a, t->p, t->n);
			nd.target = part_get(c, t->p, t->n);
			if (nd.target == NULL)
				return fail(c, t->line, "more than %d partials", MH_TPL_MAX_PARTS);
			if (t->standalone) {
				nd.bol = false;
				nd.text = (struct mh_str){ c->cur->src + t->line_start, t->indent_len };
			}
			if (t->kind == TK_PARENT) {
				struct nodes kids = { 0 };
				bool kp = false;
				struct build inner = { b.strip, true };
				if (!build(c, k + 1, (size_t)t->match, inner, &kids, &kp)) {
					free(kids.v);
					return false;
				}
				/* Only blocks count inside a parent; text is ignored. */
				size_t keep = 0;
				for (size_t x = 0; x < kids.n; x++) {
					if (kids.v[x].type == N_BLOCK)
						kids.v[keep++] = kids.v[x];
				}
				kids.n = keep;
				nd.kids = nodes_finish(c, &kids, &nd.nkids);
				k = (size_t)t->match;
			}
			break;
		case TK_BLOCK:
			nd.type = N_BLOCK;
			nd.name = mh_arena_strndup(c->a, t->p, t->n);
			if (t->standalone)
				nd.bol = false;
			if (!build_block(c, t, b, &nd))
				return false;
			k = (size_t)t->match;
			break;
		default:
			MH_ASSERT(!"unexpected token");
		}
		*node_push(out) = nd;
	}
	*pending_out = pending;
	return true;
}

static bool compile_part(struct cctx *c, struct part *p)
{
	c->cur = p;
	if (!tokenize(c, p->src, p->len) || !match_sections(c))
		return false;
	analyze(c);
	struct nodes ns = { 0 };
	bool pending = false;
	struct build b = { 0, false };
	if (!build(c, 0, c->t.n, b, &ns, &pending)) {
		free(ns.v);
		return false;
	}
	p->nodes = nodes_finish(c, &ns, &p->n);
	return true;
}

struct mh_template *mh_template_compile(const char *name, const char *src, size_t len, mh_partial_loader loader,
					 void *loader_arg, struct mh_buf *err)
{
	struct mh_arena *a = mh_arena_new();
	struct mh_template *t = MH_NEW(a, struct mh_template);
	t->arena = a;
	t->name = mh_arena_strdup(a, name != NULL ? name : "template");
	struct cctx c = { .a = a, .loader = loader, .loader_arg = loader_arg, .err = err };
	c.tail = &c.parts;

	struct part *root = MH_NEW(a, struct part);
	root->name = t->name;
	root->src = mh_arena_strndup(a, src != NULL ? src : "", src != NULL ? len : 0);
	root->len = src != NULL ? len : 0;
	root->found = true;
	t->root = root;
	bool ok = compile_part(&c, root);

	/* Partials named anywhere are loaded once each, breadth first, so a
	 * partial that includes itself is compiled once and linked by pointer. */
	for (struct part *p = c.parts; ok && p != NULL; p = p->next) {
		struct mh_buf b = MH_BUF_INIT;
		if (loader != NULL && loader(p->name, &b, loader_arg)) {
			p->found = true;
			p->src = mh_arena_strndup(a, b.ptr != NULL ? b.ptr : "", b.len);
			p->len = b.len;
			ok = compile_part(&c, p);
		}
		mh_buf_free(&b);
	}
	free(c.t.v);
	if (!ok) {
		mh_arena_free(a);
		return NULL;
	}
	return t;
}

void mh_template_free(struct mh_template *t)
{
	if (t != NULL)
		mh_arena_free(t->arena);
}

void mh_template_set_spec_mode(struct mh_template *t, bool on)
{
	t->spec_mode = on;
}

/* ----------------------------------------------------------------- render */

struct scope {
	const struct node *parent; /* its kids are the overriding blocks */
	const struct scope *outer;
};

struct rstate {
	const struct mh_template *t;
	struct mh_buf *out;
	const struct mh_val *stack[MH_TPL_MAX_DEPTH + 1];
	size_t sp;
	int depth, partial_depth;
	uint32_t budget;
	bool warned;
	const struct scope *scope;
	char ind[MH_TPL_INDENT_MAX];
	size_t ind_top;
};

static void guard(struct rstate *st, const char *what)
{
	if (!st->warned) {
		st->warned = true;
		mh_log(MH_LOG_WARN, "template %s: %s; output truncated", st->t->name, what);
	}
}

/* Keys are short: an inline loop beats a call to strcmp (the hot spot of
 * rendering a page is finding names in small maps). */
static inline bool key_eq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static const struct mh_val *map_find(const struct mh_val *m, const char *key, bool *found)
{
	for (size_t k = 0; k < m->u.map.len; k++) {
		if (key_eq(m->u.map.pairs[k].key, key)) {
			*found = true;
			return m->u.map.pairs[k].val;
		}
	}
	return NULL;
}

/* The first part of a name is looked up through the context stack, top
 * down; the others only inside what the first one found (spec). */
static const struct mh_val *lookup(const struct rstate *st, const struct node *n)
{
	if (n->nparts == 0)
		return st->stack[st->sp - 1];
	const struct mh_val *v = NULL;
	bool found = false;
	for (size_t i = st->sp; i-- > 0 && !found;) {
		const struct mh_val *m = st->stack[i];
		if (m != NULL && m->type == MH_VAL_MAP)
			v = map_find(m, n->parts[0], &found);
	}
	for (uint32_t p = 1; p < n->nparts && v != NULL; p++)
		v = v->type == MH_VAL_MAP ? map_find(v, n->parts[p], &found) : NULL;
	return v;
}

static bool truthy(const struct mh_val *v)
{
	if (v == NULL)
		return false;
	switch (v->type) {
	case MH_VAL_NULL: return false;
	case MH_VAL_BOOL: return v->u.b;
	case MH_VAL_STRING:
	case MH_VAL_HTML: return v->u.s.len > 0;
	case MH_VAL_LIST: return v->u.list.len > 0;
	default: return true;
	}
}

static void write_double(struct mh_buf *out, double d)
{
	char b[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(b, sizeof(b), "%.*g", prec, d);
		if (strtod(b, NULL) == d)
			break;
	}
	mh_buf_append_c(out, b);
}

static void write_val(struct rstate *st, const struct mh_val *v, bool raw)
{
	if (v == NULL)
		return;
	switch (v->type) {
	case MH_VAL_BOOL: mh_buf_append_c(st->out, v->u.b ? "true" : "false"); break;
	case MH_VAL_INT: mh_buf_append_i64(st->out, v->u.i); break;
	case MH_VAL_DOUBLE: write_double(st->out, v->u.d); break;
	case MH_VAL_STRING:
		if (raw && st->t->spec_mode)
			mh_buf_append_str(st->out, v->u.s);
		else
			mh_escape_html(st->out, v->u.s);
		break;
	case MH_VAL_HTML:
		if (raw)
			mh_buf_append_str(st->out, v->u.s);
		else
			mh_escape_html(st->out, v->u.s);
		break;
	default: break; /* null, lists and maps print nothing */
	}
}

static void write_text(struct mh_buf *out, struct mh_str s, struct mh_str ind, bool bol)
{
	if (ind.len == 0) {
		mh_buf_append_str(out, s);
		return;
	}
	if (bol)
		mh_buf_append_str(out, ind);
	const char *p = s.ptr, *end = s.ptr + s.len;
	const char *nl;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		mh_buf_append(out, p, (size_t)(nl + 1 - p));
		p = nl + 1;
		if (p < end)
			mh_buf_append_str(out, ind);
	}
	mh_buf_append(out, p, (size_t)(end - p));
}

/* Pushes ind + extra onto the indentation stack; returns the new indentation. */
static struct mh_str ind_push(struct rstate *st, struct mh_str ind, struct mh_str extra)
{
	if (extra.len == 0)
		return ind;
	if (st->ind_top + ind.len + extra.len > sizeof(st->ind))
		return ind; /* absurdly deep: keep the outer indentation */
	char *p = st->ind + st->ind_top;
	memmove(p, ind.ptr, ind.len);
	memcpy(p + ind.len, extra.ptr, extra.len);
	st->ind_top += ind.len + extra.len;
	return (struct mh_str){ p, ind.len + extra.len };
}

static const struct node *find_override(const struct rstate *st, const char *name)
{
	const struct node *found = NULL;
	/* The outermost parent call wins ("top-level substitutions take
	 * precedence"), so keep the last match walking outwards. */
	for (const struct scope *s = st->scope; s != NULL; s = s->outer) {
		for (uint32_t i = 0; i < s->parent->nkids; i++) {
			if (strcmp(s->parent->kids[i].name, name) == 0) {
				found = &s->parent->kids[i];
				break;
			}
		}
	}
	return found;
}

static void render_nodes(struct rstate *st, const struct node *nodes, uint32_t n, struct mh_str ind, bool force_bol);

static void render_kids(struct rstate *st, const struct node *nd, struct mh_str ind, bool force_bol)
{
	if (st->depth >= MH_TPL_MAX_DEPTH) {
		guard(st, "nesting too deep");
		return;
	}
	st->depth++;
	render_nodes(st, nd->kids, nd->nkids, ind, force_bol);
	st->depth--;
}

static void render_partial(struct rstate *st, const struct node *nd, struct mh_str ind, bool bol)
{
	struct part *p = nd->target;
	if (!nd->standalone && bol)
		mh_buf_append_str(st->out, ind);
	if (!p->found)
		return;
	if (st->partial_depth >= MH_TPL_MAX_PARTIAL_DEPTH || st->depth >= MH_TPL_MAX_DEPTH) {
		guard(st, "partials nested too deeply (recursive partial?)");
		return;
	}
	size_t top = st->ind_top;
	/* A standalone partial is indented like its tag; an inline one is not
	 * indented at all (it is not part of this template's lines). */
	struct mh_str pind = nd->standalone ? ind_push(st, ind, nd->text) : MH_STR("");
	struct scope sc = { nd, st->scope };
	const struct scope *saved = st->scope;
	if (nd->type == N_PARENT)
		st->scope = &sc;
	st->partial_depth++;
	st->depth++;
	render_nodes(st, p->nodes, p->n, pind, false);
	st->depth--;
	st->partial_depth--;
	st->scope = saved;
	st->ind_top = top;
}

static void render_block(struct rstate *st, const struct node *nd, struct mh_str ind, bool bol)
{
	const struct node *ov = find_override(st, nd->name);
	if (ov == NULL) {
		if (bol)
			mh_buf_append_str(st->out, ind);
		render_kids(st, nd, ind, false);
		return;
	}
	if (st->partial_depth >= MH_TPL_MAX_PARTIAL_DEPTH) {
		guard(st, "blocks nested too deeply (block overriding itself?)");
		return;
	}
	st->partial_depth++;
	if (nd->standalone) {
		size_t top = st->ind_top;
		render_kids(st, ov, ind_push(st, ind, nd->text), true);
		st->ind_top = top;
	} else {
		if (bol)
			mh_buf_append_str(st->out, ind);
		render_kids(st, ov, MH_STR(""), false);
	}
	st->partial_depth--;
}

static void render_section(struct rstate *st, const struct node *nd, struct mh_str ind)
{
	const struct mh_val *v = lookup(st, nd);
	if (nd->type == N_INVERTED) {
		if (!truthy(v))
			render_kids(st, nd, ind, false);
		return;
	}
	if (!truthy(v))
		return;
	if (st->sp >= MH_TPL_MAX_DEPTH) {
		guard(st, "context stack full");
		return;
	}
	if (v->type == MH_VAL_LIST) {
		for (size_t i = 0; i < v->u.list.len && st->budget > 0; i++) {
			st->stack[st->sp++] = v->u.list.items[i];
			render_kids(st, nd, ind, false);
			st->sp--;
		}
	} else {
		st->stack[st->sp++] = v;
		render_kids(st, nd, ind, false);
		st->sp--;
	}
}

static void render_nodes(struct rstate *st, const struct node *nodes, uint32_t n, struct mh_str ind, bool force_bol)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct node *nd = &nodes[i];
		if (st->budget == 0) {
			guard(st, "render budget exhausted");
			return;
		}
		st->budget--;
		bool bol = (nd->bol || (i == 0 && force_bol)) && ind.len > 0;
		switch (nd->type) {
		case N_TEXT: write_text(st->out, nd->text, ind, bol); break;
		case N_VAR:
		case N_RAW:
			if (bol)
				mh_buf_append_str(st->out, ind);
			write_val(st, lookup(st, nd), nd->type == N_RAW);
			break;
		case N_SECTION:
		case N_INVERTED:
			if (bol)
				mh_buf_append_str(st->out, ind);
			render_section(st, nd, ind);
			break;
		case N_PARTIAL:
		case N_PARENT: render_partial(st, nd, ind, bol); break;
		case N_BLOCK: render_block(st, nd, ind, bol); break;
		default: MH_ASSERT(!"bad node");
		}
	}
}

void mh_template_render(const struct mh_template *t, const struct mh_val *ctx, struct mh_buf *out)
{
	MH_ASSERT(t != NULL && out != NULL);
	struct rstate *st = malloc(sizeof(*st));
	MH_ASSERT(st != NULL);
	st->t = t;
	st->out = out;
	st->sp = 1;
	st->stack[0] = ctx;
	st->depth = 0;
	st->partial_depth = 0;
	st->budget = MH_TPL_BUDGET;
	st->warned = false;
	st->scope = NULL;
	st->ind_top = 0;
	render_nodes(st, t->root->nodes, t->root->n, MH_STR(""), false);
	free(st);
}
