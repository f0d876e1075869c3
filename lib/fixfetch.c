/* --fix-chain on the loop; see fixfetch.h. */
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixfetch.h"
#include "http.h"

#include "banned.h"

#define FIX_FETCH_MAX 4         /* AIA URLs fetched per chain */
#define FIX_AIA_BYTES (256u << 10)  /* cap on one AIA response */

struct tk_fixfetch {
	struct tk_fixfetch_conf conf;
	const struct tk_served *served;
	struct tk_result *r;
	void (*cb)(void *arg);
	void *arg;
	/* the AIA URLs fetched and their certificates */
	struct tk_fix_tried tried[FIX_FETCH_MAX];
	char urls[FIX_FETCH_MAX][TK_HTTP_URL_MAX];
	char errors[FIX_FETCH_MAX][256];
	size_t ntried;
	struct tk_fix_extra got[FIX_FETCH_MAX * 8];
	size_t ngot;
	struct tk_http_get *get;
};

static bool step(struct tk_fixfetch *fx);

static void
on_aia(void *arg, const struct tk_http_response *resp,
    const struct tk_err *err)
{
	struct tk_fixfetch *fx = arg;
	char *why = fx->errors[fx->ntried - 1];
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	struct tk_err e;

	fx->get = NULL;
	tk_err_clear(&e);
	if (err != NULL) {
		snprintf(why, sizeof(fx->errors[0]), "%.255s", err->msg);
	} else if (resp->status != 200) {
		/* the reason phrase is peer bytes: not repeated */
		snprintf(why, sizeof(fx->errors[0]), "HTTP status %d",
		    resp->status);
	} else if (tk_fixchain_parse_aia(resp->body, resp->body_len, &list,
	    &n, &e) < 0) {
		snprintf(why, sizeof(fx->errors[0]), "%.255s", e.msg);
	} else {
		for (unsigned i = 0; i < n; i++) {
			if (fx->ngot < sizeof(fx->got) / sizeof(fx->got[0])) {
				fx->got[fx->ngot++] = (struct tk_fix_extra){
				    list[i], TK_FIX_AIA,
				    fx->urls[fx->ntried - 1]};
			} else {
				gnutls_x509_crt_deinit(list[i]);
			}
		}
		gnutls_free(list);
	}
	if (!step(fx)) {
		fx->cb(fx->arg);
	}
}

/*
 * Builds the fixed chain from what was served; when an AIA URL is to be
 * fetched, starts the fetch and returns true (on_aia goes on).
 */
static bool
step(struct tk_fixfetch *fx)
{
	const struct tk_tool_ctx *t = fx->conf.t;
	struct tk_result *r = fx->r;
	struct tk_fix_extra extra[64 + FIX_FETCH_MAX * 8];
	gnutls_x509_crt_t crts[TK_CHAIN_MAX];
	struct tk_fix_input in;
	size_t n = 0, ne = 0;
	char url[TK_HTTP_URL_MAX];
	struct tk_err e;
	int rc;

	for (size_t i = 0; i < fx->served->n && n < TK_CHAIN_MAX; i++) {
		if (gnutls_x509_crt_init(&crts[n]) < 0) {
			break;
		}
		if (gnutls_x509_crt_import(crts[n], &fx->served->der[i],
		    GNUTLS_X509_FMT_DER) < 0) {
			/* a broken certificate: reported by the check */
			gnutls_x509_crt_deinit(crts[n]);
			if (i == 0) {
				return false;
			}
			continue;
		}
		n++;
	}
	for (unsigned i = 0; i < fx->conf.ninter && ne < 64; i++) {
		extra[ne++] = (struct tk_fix_extra){fx->conf.inter[i],
		    TK_FIX_FILE, t->s.intermediates};
	}
	for (size_t i = 0; i < fx->ngot; i++) {
		extra[ne++] = fx->got[i];
	}
	for (size_t i = 0; i < fx->ntried; i++) {
		fx->tried[i].url = fx->urls[i];
		fx->tried[i].error = fx->errors[i];
	}
	memset(&in, 0, sizeof(in));
	in.served = crts;
	in.nserved = n;
	in.extra = extra;
	in.nextra = ne;
	in.trust = t->trust;
	in.tried = fx->tried;
	in.ntried = fx->ntried;
	/* no fetch once --deadline has run out */
	in.no_fetch = fx->ntried == FIX_FETCH_MAX || t->loop == NULL ||
	    tk_tool_left_ms(t, 1) == 0;
	tk_err_clear(&e);
	tk_fixchain_free(r->fixed);
	r->fixed = NULL;
	rc = tk_fixchain_build(&in, &r->fixed, url, sizeof(url), &e);
	for (size_t i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(crts[i]);
	}
	if (rc < 0) {
		r->err = e;
		r->cls = e.cls;
		return false;
	}
	if (rc == TK_FIX_NEED_FETCH) {
		size_t k = fx->ntried++;

		snprintf(fx->urls[k], sizeof(fx->urls[k]), "%s", url);
		fx->errors[k][0] = '\0';
		fx->get = tk_http_get_start(t->loop, t->res, url,
		    (unsigned)tk_tool_timeout_ms(t), FIX_AIA_BYTES, on_aia, fx,
		    &e);
		if (fx->get == NULL) {
			snprintf(fx->errors[k], sizeof(fx->errors[k]),
			    "%.255s", e.msg);
			return step(fx);
		}
		return true;
	}
	return false;
}


int
tk_fixfetch_run(struct tk_fixfetch **out,
    const struct tk_fixfetch_conf *conf, const struct tk_served *served,
    struct tk_result *r, void (*cb)(void *arg), void *arg)
{
	struct tk_fixfetch *fx = *out;

	if (served->n == 0) {
		return 0;
	}
	if (fx == NULL) {
		fx = calloc(1, sizeof(*fx));
		if (fx == NULL) {
			tk_err_set(&r->err, TK_INTERNAL, "fix",
			    "out of memory");
			r->cls = TK_INTERNAL;
			return 0;
		}
		*out = fx;
	}
	fx->conf = *conf;
	fx->served = served;
	fx->r = r;
	fx->cb = cb;
	fx->arg = arg;
	return step(fx) ? 1 : 0;
}

void
tk_fixfetch_free(struct tk_fixfetch *fx)
{
	if (fx == NULL) {
		return;
	}
	tk_http_get_free(fx->get);
	for (size_t i = 0; i < fx->ngot; i++) {
		gnutls_x509_crt_deinit(fx->got[i].crt);
	}
	free(fx);
}
