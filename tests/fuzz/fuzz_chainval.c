/*
 * Fuzzes lib/chainval.c's certificate and extension decoders (over
 * lib/der.c and lib/names.c), which read remote certificates: the input
 * is one certificate's DER, split into its fields by parse_der() without
 * GnuTLS in front (so inputs GnuTLS would refuse reach it too), then every
 * per-certificate check, the name constraints against its own names, and
 * the policy extensions.  When GnuTLS also reads the input, the whole
 * validation runs with the certificate as leaf and as its own anchor,
 * under both profiles.
 *
 * chainval.c is compiled into this target so that its static functions
 * can be reached; the library's copy is then not linked.
 */
#include "../../lib/chainval.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
judge_alone(struct ctx *c, struct node *nd)
{
	struct pathres *r = calloc(1, sizeof(*r));
	struct tk_der it;
	struct tk_names_gn g;

	if (r == NULL) {
		return;
	}
	r->j = &c->none;
	r->profile = TK_PROFILE_RFC5280;
	check_form(nd, 0, R_LEAF, r);
	check_form(nd, 1, R_CA, r);
	check_form(nd, 2, R_ANCHOR, r);
	if (nd->x[X_NC] != NULL && tk_names_nc_validate(nd->x[X_NC]->val) == NULL) {
		it = nd->san;
		while (tk_names_next(&it, &g)) {
			(void)nc_check_name(c, nd->x[X_NC]->val, g.tag, g.v);
		}
		(void)nc_check_name(c, nd->x[X_NC]->val, 0xa4, nd->subject);
	}
	{
		struct tk_policy_cert pc = {0};
		struct tk_policy_result res;

		if (nd->x[X_CP] != NULL) {
			pc.cp = nd->x[X_CP]->val.p;
			pc.cp_len = nd->x[X_CP]->val.n;
			pc.cp_critical = nd->x[X_CP]->critical;
		}
		if (nd->x[X_PM] != NULL) {
			pc.pm = nd->x[X_PM]->val.p;
			pc.pm_len = nd->x[X_PM]->val.n;
		}
		if (nd->x[X_PC] != NULL) {
			pc.pc = nd->x[X_PC]->val.p;
			pc.pc_len = nd->x[X_PC]->val.n;
		}
		if (nd->x[X_IAP] != NULL) {
			pc.iap = nd->x[X_IAP]->val.p;
			pc.iap_len = nd->x[X_IAP]->val.n;
		}
		(void)tk_policy_check(&pc, 1, NULL, &res);
	}
	free(r);
}

static void
validate(gnutls_x509_crt_t crt)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t copy = NULL;
	gnutls_datum_t der = {NULL, 0};
	struct tk_chainval_opts o = {0};
	struct tk_judging j = {.profile = TK_PROFILE_WEB};
	struct tk_verdict v;
	struct tk_chain path;
	struct tk_err e;

	o.hostname = "www.example.com";
	o.at = 1700000000;
	o.judging = &j;
	tk_err_clear(&e);
	if (tk_chainval(&crt, 1, NULL, &o, &v, &path, &e) == 0) {
		tk_chain_clear(&path);
	}
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_x509_crt_init(&copy) < 0 ||
	    gnutls_x509_crt_import(copy, &der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_init(&tl, 0) < 0 ||
	    gnutls_x509_trust_list_add_cas(tl, &copy, 1, 0) != 1) {
		if (copy != NULL) {
			gnutls_x509_crt_deinit(copy);
		}
		goto out;
	}
	j.profile = TK_PROFILE_RFC5280;
	if (tk_chainval(&crt, 1, tl, &o, &v, &path, &e) == 0) {
		tk_chain_clear(&path);
	}
out:
	if (tl != NULL) {
		gnutls_x509_trust_list_deinit(tl, 1);
	}
	gnutls_free(der.data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct node *nd = calloc(1, sizeof(*nd));
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)data,
	    (unsigned)size};

	if (c == NULL || nd == NULL || size > 65536) {
		goto out;
	}
	c->none.profile = TK_PROFILE_RFC5280;
	nd->dup_ext = -1;
	nd->pathlen = -1;
	nd->der.data = gnutls_malloc(size + 1);
	if (nd->der.data == NULL) {
		goto out;
	}
	memcpy(nd->der.data, data, size);
	nd->der.size = (unsigned)size;
	snprintf(nd->label, sizeof(nd->label), "fuzz");
	if (parse_der(nd)) {
		judge_alone(c, nd);
	}
	if (gnutls_x509_crt_init(&crt) == 0 &&
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) == 0) {
		validate(crt);
	}
out:
	if (crt != NULL) {
		gnutls_x509_crt_deinit(crt);
	}
	if (nd != NULL) {
		free(nd->canon);
		gnutls_free(nd->der.data);
	}
	free(nd);
	free(c);
	return 0;
}
