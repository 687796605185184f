/*
 * render/val: the value tree handed to templates. Everything lives in the
 * caller's arena; strings and keys are referenced, never copied. Maps are
 * small (a page context has a few dozen keys at most), so lookup is linear.
 */
#include <string.h>

#include "render/render.h"

static struct mh_val *val_new(struct mh_arena *a, enum mh_val_type type)
{
	struct mh_val *v = MH_NEW(a, struct mh_val);
	v->type = type;
	return v;
}

struct mh_val *mh_val_null(struct mh_arena *a)
{
	return val_new(a, MH_VAL_NULL);
}

struct mh_val *mh_val_bool(struct mh_arena *a, bool b)
{
	struct mh_val *v = val_new(a, MH_VAL_BOOL);
	v->u.b = b;
	return v;
}

struct mh_val *mh_val_int(struct mh_arena *a, int64_t i)
{
	struct mh_val *v = val_new(a, MH_VAL_INT);
	v->u.i = i;
	return v;
}

struct mh_val *mh_val_double(struct mh_arena *a, double d)
{
	struct mh_val *v = val_new(a, MH_VAL_DOUBLE);
	v->u.d = d;
	return v;
}

struct mh_val *mh_val_str(struct mh_arena *a, struct mh_str s)
{
	struct mh_val *v = val_new(a, MH_VAL_STRING);
	v->u.s = s.ptr != NULL ? s : MH_STR("");
	return v;
}

struct mh_val *mh_val_cstr(struct mh_arena *a, const char *s)
{
	return mh_val_str(a, mh_str_c(s));
}

struct mh_val *mh_val_html(struct mh_arena *a, struct mh_str trusted_html)
{
	struct mh_val *v = val_new(a, MH_VAL_HTML);
	v->u.s = trusted_html.ptr != NULL ? trusted_html : MH_STR("");
	return v;
}

struct mh_val *mh_val_list(struct mh_arena *a)
{
	return val_new(a, MH_VAL_LIST);
}

struct mh_val *mh_val_map(struct mh_arena *a)
{
	return val_new(a, MH_VAL_MAP);
}

void mh_val_push(struct mh_arena *a, struct mh_val *list, struct mh_val *item)
{
	MH_ASSERT(list != NULL && list->type == MH_VAL_LIST && item != NULL);
	if (list->u.list.len == list->u.list.cap) {
		size_t cap = list->u.list.cap ? list->u.list.cap * 2 : 8;
		struct mh_val **items = MH_NEW_ARRAY(a, struct mh_val *, cap);
		if (list->u.list.len)
			memcpy(items, list->u.list.items, list->u.list.len * sizeof(*items));
		list->u.list.items = items;
		list->u.list.cap = cap;
	}
	list->u.list.items[list->u.list.len++] = item;
}

struct mh_val *mh_val_set(struct mh_arena *a, struct mh_val *map, const char *key, struct mh_val *v)
{
	MH_ASSERT(map != NULL && map->type == MH_VAL_MAP && key != NULL && v != NULL);
	/* a key set again replaces its value; the first byte rules most keys
	 * out without a call (a card's map gets some twenty keys) */
	for (size_t i = 0; i < map->u.map.len; i++) {
		const char *k = map->u.map.pairs[i].key;
		if (k[0] == key[0] && strcmp(k, key) == 0) {
			map->u.map.pairs[i].val = v;
			return map;
		}
	}
	if (map->u.map.len == map->u.map.cap) {
		size_t cap = map->u.map.cap ? map->u.map.cap * 2 : 8;
		/* every pair up to len is written below, the rest when added */
		struct mh_val_pair *pairs = mh_arena_alloc_raw(a, sizeof(*pairs) * cap);
		if (map->u.map.len)
			memcpy(pairs, map->u.map.pairs, map->u.map.len * sizeof(*pairs));
		map->u.map.pairs = pairs;
		map->u.map.cap = cap;
	}
	map->u.map.pairs[map->u.map.len++] = (struct mh_val_pair){ key, v };
	return map;
}

struct mh_val *mh_val_get(const struct mh_val *map, const char *key)
{
	if (map == NULL || map->type != MH_VAL_MAP || key == NULL)
		return NULL;
	for (size_t i = 0; i < map->u.map.len; i++) {
		if (strcmp(map->u.map.pairs[i].key, key) == 0)
			return map->u.map.pairs[i].val;
	}
	return NULL;
}

void mh_val_set_cstr(struct mh_arena *a, struct mh_val *map, const char *key, const char *s)
{
	mh_val_set(a, map, key, mh_val_cstr(a, s));
}

void mh_val_set_int(struct mh_arena *a, struct mh_val *map, const char *key, int64_t i)
{
	mh_val_set(a, map, key, mh_val_int(a, i));
}

void mh_val_set_bool(struct mh_arena *a, struct mh_val *map, const char *key, bool b)
{
	mh_val_set(a, map, key, mh_val_bool(a, b));
}
