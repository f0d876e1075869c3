#include "chainval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* GnuTLS's verification at the requested time (its clock is global). */
static time_t check_time;

static time_t
fixed_time(time_t *t)
{
	if (t != NULL) {
		*t = check_time;
	}
	return check_time;
}

int
tk_chainval(gnutls_x509_crt_t *served, size_t n,
    gnutls_x509_trust_list_t trust, const struct tk_chainval_opts *o,
    struct tk_verdict *v, struct tk_chain *path, struct tk_err *err)
{
	gnutls_typed_vdata_st data[2];
	struct tk_chain info = {0};
	unsigned nd = 0, status = 0;
	char name[TK_NAME_MAX], purpose[64];
	int rc;

	memset(data, 0, sizeof(data));
	if (o->hostname != NULL) {
		snprintf(name, sizeof(name), "%s", o->hostname);
		data[nd].type = GNUTLS_DT_DNS_HOSTNAME;
		data[nd].data = (unsigned char *)name;
		nd++;
	}
	snprintf(purpose, sizeof(purpose), "%s", o->purpose_oid != NULL ?
	    o->purpose_oid : GNUTLS_KP_TLS_WWW_SERVER);
	data[nd].type = GNUTLS_DT_KEY_PURPOSE_OID;
	data[nd].data = (unsigned char *)purpose;
	nd++;
	check_time = o->at;
	gnutls_global_set_time_function(fixed_time);
	rc = gnutls_x509_trust_list_verify_crt2(trust, served, (unsigned)n,
	    data, nd, 0, &status, NULL);
	gnutls_global_set_time_function(NULL);
	if (rc < 0) {
		return tk_err_set(err, TK_INTERNAL, "verify",
		    "cannot verify the chain: %s", gnutls_strerror(rc));
	}
	info.n = info.total = n;
	info.certs = calloc(n, sizeof(*info.certs));
	for (size_t i = 0; info.certs != NULL && i < n; i++) {
		tk_certinfo_from_crt(served[i], o->at, &info.certs[i], err);
	}
	tk_verify_explain(status, &info, o->hostname, o->at, v);
	tk_verify_key_sizes(&info, v);
	if (path != NULL) {
		*path = info;
	} else {
		tk_chain_clear(&info);
	}
	return 0;
}
