/*
 * fuzz/fuzz_stripe_signature.c: the Stripe-Signature header of a webhook
 * (mh_stripe_sig_parse), bytes anyone on the internet may send to
 * /donate/webhook/stripe; and the whole check (mh_stripe_sig_verify) over
 * the same bytes as header and body, which must refuse, never crash.
 */
#include <stddef.h>
#include <stdint.h>

#include "donations/donations.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mh_stripe_sig sig;
	struct mh_str s = { (const char *)d, n };
	if (mh_stripe_sig_parse(s.ptr, s.len, &sig) && sig.n > MH_STRIPE_SIG_MAX)
		__builtin_trap();
	struct mh_buf why = MH_BUF_INIT;
	(void)mh_stripe_sig_verify(s, s, "whsec_fuzz", 1700000000, 300, &why);
	mh_buf_free(&why);
	return 0;
}
