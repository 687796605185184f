/*
 * list_sql.c: the list query of store.h's mh_store_articles, written once for
 * both backends: which articles a list may show (published, not in the
 * future), the filters and the keyset bounds of each variant (LQ_*), the
 * order. A backend gives only its dialect: how it names the values and the
 * two spellings that differ. The values come from mh_store_list_values, in
 * the same order, so a backend binds without knowing what they mean; the
 * two text values (a status word, a headline pattern) from
 * mh_store_list_texts.
 */
#include "store/store_int.h"

void mh_store_list_values(const struct mh_article_query *q, int64_t v[MH_STORE_LIST_NPARAMS])
{
	v[MH_LP_NOW] = mh_store_list_upper_bound(q);
	v[MH_LP_SECTION] = q->section_id;
	v[MH_LP_AUTHOR] = q->author_id;
	v[MH_LP_TAG] = q->tag_id;
	v[MH_LP_BEFORE_AT] = q->before_published_at;
	v[MH_LP_BEFORE_ID] = q->before_id;
	v[MH_LP_EXCLUDE] = q->exclude_id;
	v[MH_LP_AFTER_AT] = q->after_published_at;
	v[MH_LP_AFTER_ID] = q->after_id;
	v[MH_LP_LIMIT] = mh_store_list_limit(q);
	v[MH_LP_OFFSET] = q->offset;
}

void mh_store_list_texts(const struct mh_article_query *q, struct mh_buf *pattern,
			 const char *t[MH_STORE_LIST_NTEXTS])
{
	t[MH_LT_STATUS] = mh_article_status_name(q->status_only ? q->status : MH_ARTICLE_PUBLISHED);
	mh_buf_reset(pattern);
	mh_buf_append_ch(pattern, '%');
	for (const char *c = q->headline_has != NULL ? q->headline_has : ""; *c != '\0'; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			mh_buf_append_ch(pattern, '\\');
		mh_buf_append_ch(pattern, *c);
	}
	mh_buf_append_ch(pattern, '%');
	t[MH_LT_HEADLINE] = mh_buf_cstr(pattern);
}

void mh_store_list_sql(struct mh_buf *out, const struct mh_store_list_dialect *d, unsigned f, bool count)
{
	const char *const *p = d->param;
	if (count)
		mh_buf_append_c(out, "SELECT count(*) FROM articles a");
	else
		mh_buf_printf(out, "SELECT " MH_STORE_ART_COLS "%s" MH_STORE_ART_FROM,
			      (f & LQ_BODY) ? MH_STORE_ART_BODY : "");
	/* Only published articles whose time has come, unless every one is asked for. */
	if (f & LQ_STATUS)
		mh_buf_printf(out, " WHERE a.status = %s", d->text_param[MH_LT_STATUS]);
	else if (f & LQ_SCHEDULED)
		mh_buf_printf(out, " WHERE a.status = 'scheduled' AND %s", d->any_status);
	else if (f & LQ_ANY)
		mh_buf_printf(out, " WHERE %s", d->any_status);
	else
		mh_buf_printf(out, " WHERE a.status = 'published' AND a.published_at <= %s", p[MH_LP_NOW]);
	if (f & LQ_SECTION)
		mh_buf_printf(out, " AND a.section_id = %s", p[MH_LP_SECTION]);
	if (f & LQ_PICKS)
		mh_buf_printf(out, " AND %s", d->is_pick);
	if (f & LQ_AUTHOR)
		mh_buf_printf(out, " AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = %s)",
			      p[MH_LP_AUTHOR]);
	if (f & LQ_TAG)
		mh_buf_printf(out, " AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = %s)", p[MH_LP_TAG]);
	if (f & LQ_HEADLINE) {
		mh_buf_printf(out, " AND a.headline %s %s ESCAPE '\\'", d->like_nocase, d->text_param[MH_LT_HEADLINE]);
	}
	if (f & LQ_CURSOR)
		mh_buf_printf(out, " AND (a.published_at, a.id) < (%s, %s)", p[MH_LP_BEFORE_AT], p[MH_LP_BEFORE_ID]);
	if (f & LQ_CURSOR_TIME)
		mh_buf_printf(out, " AND a.published_at < %s", p[MH_LP_BEFORE_AT]);
	if (f & LQ_EXCLUDE)
		mh_buf_printf(out, " AND a.id <> %s", p[MH_LP_EXCLUDE]);
	/* the first term lets the index range start at the cursor's time */
	if (f & LQ_AFTER)
		mh_buf_printf(out, " AND a.published_at >= %s AND (a.published_at, a.id) > (%s, %s)",
			      p[MH_LP_AFTER_AT], p[MH_LP_AFTER_AT], p[MH_LP_AFTER_ID]);
	/* newest first; the other way (LQ_AFTER), nearest first; the picks
	 * in the editors' order first (higher pick_rank), then newest first */
	if (!count && (f & LQ_PICKS) && !(f & (LQ_CURSOR | LQ_CURSOR_TIME | LQ_AFTER)))
		mh_buf_append_c(out, " ORDER BY a.pick_rank DESC,");
	else if (!count)
		mh_buf_append_c(out, " ORDER BY");
	if (!count)
		mh_buf_printf(out, " a.published_at %s, a.id %s LIMIT %s OFFSET %s",
			      (f & LQ_AFTER) ? "ASC" : "DESC", (f & LQ_AFTER) ? "ASC" : "DESC", p[MH_LP_LIMIT],
			      p[MH_LP_OFFSET]);
}
