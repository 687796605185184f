/*
 * donations/donations.c: the form's rules (amounts, currencies) and the
 * list of providers.
 */
#include <string.h>

#include "donations/donations.h"

const struct mh_donation_provider *const mh_donation_providers[] = { &mh_donation_paypal, &mh_donation_stripe,
								      NULL };

const struct mh_donation_provider *mh_donation_provider_find(struct mh_str name)
{
	for (size_t i = 0; mh_donation_providers[i] != NULL; i++)
		if (mh_str_eq_c(name, mh_donation_providers[i]->name))
			return mh_donation_providers[i];
	return NULL;
}

bool mh_donation_amount_parse(struct mh_str s, int max, int64_t *minor, const char **why)
{
	*minor = 0;
	while (s.len > 0 && s.ptr[0] == ' ')
		s.ptr++, s.len--;
	while (s.len > 0 && s.ptr[s.len - 1] == ' ')
		s.len--;
	if (s.len == 0) {
		*why = "Choose an amount or type one.";
		return false;
	}
	if (s.ptr[0] == '-') {
		*why = "The amount must be more than zero.";
		return false;
	}
	int64_t whole = 0, cents = 0;
	size_t i = 0, digits = 0, decimals = 0;
	for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, digits++) {
		if (whole > (int64_t)max) /* far past the limit: stop before it overflows */
			continue;
		whole = whole * 10 + (s.ptr[i] - '0');
	}
	if (i < s.len && s.ptr[i] == '.') {
		for (i++; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++, decimals++)
			if (decimals < 2)
				cents = cents * 10 + (s.ptr[i] - '0');
		if (decimals == 1)
			cents *= 10;
	}
	if (i != s.len || digits + decimals == 0 || decimals > 2) {
		*why = decimals > 2 && i == s.len ? "The amount can have at most two decimals (cents)."
						  : "The amount must be a number, like 25 or 12.50.";
		return false;
	}
	if (whole == 0 && cents == 0) {
		*why = "The amount must be more than zero.";
		return false;
	}
	if (whole > max || (whole == max && cents > 0)) {
		*why = "That is more than this site takes in one gift.";
		return false;
	}
	*minor = whole * 100 + cents;
	return true;
}

bool mh_donation_currency_ok(const char *list, struct mh_str code)
{
	if (code.len != 3 || list == NULL)
		return false;
	for (const char *p = list; *p != '\0'; p += (p[3] == ',' ? 4 : 3))
		if (strlen(p) >= 3 && memcmp(p, code.ptr, 3) == 0)
			return true;
	return false;
}

void mh_donation_amount_format(struct mh_buf *b, int64_t minor)
{
	if (minor % 100 == 0)
		mh_buf_printf(b, "%lld", (long long)(minor / 100));
	else
		mh_buf_printf(b, "%lld.%02lld", (long long)(minor / 100), (long long)(minor % 100));
}

const char *mh_donation_currency_sign(const char *code)
{
	if (strcmp(code, "USD") == 0)
		return "$";
	if (strcmp(code, "EUR") == 0)
		return "€";
	if (strcmp(code, "GBP") == 0)
		return "£";
	return code;
}
