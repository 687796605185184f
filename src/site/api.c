/*
 * The JSON APIs' shared answers (issue 11): the content API and the admin
 * API answer errors in one shape, so a client handles them once:
 *   {"error": {"status": 422, "field": "headline", "message": "..."}}
 * "field" is present when one input field is at fault. Errors are never
 * cached (no-store) and carry no validator.
 */
#include <jansson.h>
#include <stdlib.h>

#include "site/site.h"

void mh_site_api_error(struct mh_site_req *r, int status, const char *field, const char *message)
{
	json_t *err = json_object();
	json_object_set_new(err, "status", json_integer(status));
	if (field != NULL)
		json_object_set_new(err, "field", json_string(field));
	/* json_string refuses invalid UTF-8: say so rather than send nothing */
	json_t *msg = json_string(message);
	json_object_set_new(err, "message", msg != NULL ? msg : json_string("(the message was not valid UTF-8)"));
	json_t *doc = json_pack("{so}", "error", err);
	char *text = json_dumps(doc, JSON_COMPACT);
	MH_ASSERT(text != NULL);
	json_decref(doc);
	mh_response_header_c(r->http, "cache-control", "no-store");
	struct mh_buf b = MH_BUF_INIT;
	mh_buf_append_c(&b, text);
	mh_buf_append_ch(&b, '\n');
	free(text);
	mh_response_send(r->http, status, "application/json", mh_buf_str(&b));
	mh_buf_free(&b);
}
