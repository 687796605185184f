/*
 * donations/provider.h: a payment provider behind one interface, so that a
 * third is one more table of functions. A provider makes a checkout (the
 * address to send the reader to), may capture an approved payment on the
 * reader's return, verifies a webhook and reads its event. Calls to a
 * provider are bounded by [donations] timeout. Everything returned lives
 * in the arena given; nothing here touches the database.
 */
#ifndef MH_DONATIONS_PROVIDER_H
#define MH_DONATIONS_PROVIDER_H

#include "util/util.h"

struct mh_donations_settings;

/* What a provider call came to. */
enum mh_donation_rc {
	MH_DONATION_OK = 0,
	MH_DONATION_UNAVAILABLE, /* down, timed out, answered 5xx or nonsense: try again later */
	MH_DONATION_REFUSED,     /* answered 4xx (our keys, our request): not the reader's doing */
	MH_DONATION_BAD,         /* a webhook not signed by the provider, or too old */
	MH_DONATION_UNKNOWN,     /* a webhook event this site does not act on */
};

/* A donation's states in the ledger. Only a verified capture or webhook
 * makes one paid. */
#define MH_DONATION_PENDING "pending"     /* sent to the provider, not confirmed */
#define MH_DONATION_PAID "paid"
#define MH_DONATION_CANCELLED "cancelled"
#define MH_DONATION_FAILED "failed"

/* What the reader asked for (pointers live as long as the call). */
struct mh_donation_order {
	int64_t amount;       /* minor units, > 0 */
	const char *currency; /* "USD" */
	bool monthly;
	const char *email;    /* "" = not given */
	const char *return_url, *cancel_url; /* absolute */
	const char *description;             /* "Donation to SITE" */
};

/* A webhook's event as the provider told it. */
struct mh_donation_event {
	const char *id;     /* the provider's event id: applied once */
	const char *ref;    /* the checkout it is about (order or session id) */
	const char *status; /* MH_DONATION_PAID, _CANCELLED or _FAILED */
	const char *sub;    /* a subscription's id (monthly), or NULL */
	const char *email;  /* the payer's address when the provider gives one, or NULL */
};

/* A request header by lower-case name (empty when absent). */
struct mh_donation_headers {
	struct mh_str (*get)(void *ctx, const char *lname);
	void *ctx;
};

struct mh_donation_provider {
	const char *name;  /* "paypal": in URLs, forms and the ledger */
	const char *label; /* "PayPal": for people */
	bool monthly;      /* takes monthly gifts */
	bool (*configured)(const struct mh_donations_settings *set);
	/* Where checkout sends the reader (an origin: scheme://host[:port]), for
	 * the pages' CSP form-action and to refuse any other redirect. */
	const char *(*redirect_origin)(const struct mh_donations_settings *set);
	/* Makes the checkout: *ref its id at the provider, *url where to send
	 * the reader (under redirect_origin). why: a sentence for the log. */
	enum mh_donation_rc (*checkout)(const struct mh_donations_settings *set, struct mh_arena *a,
					const struct mh_donation_order *o, const char **ref, const char **url,
					struct mh_buf *why);
	/* On the reader's return: takes the approved payment of checkout ref;
	 * *status MH_DONATION_PAID when the money moved, _FAILED when refused,
	 * NULL when not yet approved. NULL function: confirmed by webhook only. */
	enum mh_donation_rc (*capture)(const struct mh_donations_settings *set, struct mh_arena *a, const char *ref,
				       const char **status, struct mh_buf *why);
	/* Whether body came from the provider, signed within its tolerance of now. */
	enum mh_donation_rc (*verify)(const struct mh_donations_settings *set, struct mh_arena *a,
				      const struct mh_donation_headers *h, struct mh_str body, int64_t now,
				      struct mh_buf *why);
	/* A verified body's event; MH_DONATION_UNKNOWN for events not acted on. */
	enum mh_donation_rc (*parse)(struct mh_arena *a, struct mh_str body, struct mh_donation_event *ev,
				     struct mh_buf *why);
};

extern const struct mh_donation_provider mh_donation_paypal;
extern const struct mh_donation_provider mh_donation_stripe;
/* Every provider, in the form's order; NULL-terminated. */
extern const struct mh_donation_provider *const mh_donation_providers[];
/* By name; NULL if none. */
const struct mh_donation_provider *mh_donation_provider_find(struct mh_str name);

/* ---- Stripe's webhook signature (stripe.c) ---- */
/* The Stripe-Signature header "t=TIMESTAMP,v1=HEX,v1=HEX,v0=...": the
 * timestamp and up to MH_STRIPE_SIG_MAX v1 signatures (32 bytes each);
 * other schemes are skipped. False when malformed, without t, or without
 * v1. The fuzz entry point (fuzz/fuzz_stripe_signature.c). */
#define MH_STRIPE_SIG_MAX 8
struct mh_stripe_sig {
	int64_t t;
	size_t n;
	unsigned char v1[MH_STRIPE_SIG_MAX][32];
};
bool mh_stripe_sig_parse(const char *buf, size_t len, struct mh_stripe_sig *out);
/* Whether header signs body with secret (HMAC-SHA256 over "t.body",
 * compared in constant time) no more than tolerance seconds from now. */
enum mh_donation_rc mh_stripe_sig_verify(struct mh_str header, struct mh_str body, const char *secret, int64_t now,
					 int64_t tolerance, struct mh_buf *why);

/* ---- the HTTP client the providers share (client.c): libcurl ---- */
struct mh_donation_http {
	const char *method;       /* "POST", "GET" */
	const char *url;
	const char *content_type; /* with a body */
	struct mh_str body;
	const char *bearer;       /* Authorization: Bearer ..., or NULL */
	const char *user, *pass;  /* HTTP basic, or NULL */
	const char *idempotency;  /* a retry-safe key header value, or NULL (PayPal-Request-Id / Idempotency-Key) */
	const char *idempotency_header;
	int timeout_s;
};
/* Sends it; *status the HTTP status, *body the answer (in a). Anything but
 * an answer (refused, timed out, a TLS failure) is MH_DONATION_UNAVAILABLE. */
enum mh_donation_rc mh_donation_http(struct mh_arena *a, const struct mh_donation_http *q, long *status,
				     struct mh_str *body, struct mh_buf *why);
/* Form-encodes one name=value pair into b ("&" first unless b is empty). */
void mh_donation_form_add(struct mh_buf *b, const char *name, const char *value);

#endif
