#include "creds.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs12.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

/* SHA-256 of one trust anchor the user brought (--ca). */
struct anchor_id {
	unsigned char sha[32];
};

struct tk_creds {
	unsigned refs;
	gnutls_certificate_credentials_t cred;
	gnutls_dh_params_t dh;
	unsigned dh_bits;       /* of the prime in dh */
	bool has_cert;
	unsigned ntrust;
	char trust_source[256];
	bool system_loaded;     /* the system store or SSL_CERT_FILE/DIR */
	struct anchor_id *own;  /* the anchors from --ca */
	size_t nown, capown;
};

/* Remembers crt as one of the user's own anchors. */
static int
note_own(struct tk_creds *c, gnutls_x509_crt_t crt, struct tk_err *err)
{
	size_t sz = sizeof(c->own[0].sha);

	if (c->nown == c->capown) {
		size_t cap = c->capown ? 2 * c->capown : 16;
		struct anchor_id *n = realloc(c->own, cap * sizeof(*n));

		if (n == NULL) {
			return tk_err_set(err, TK_INTERNAL, "load",
			    "out of memory");
		}
		c->own = n;
		c->capown = cap;
	}
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256,
	    c->own[c->nown].sha, &sz) == 0 && sz == 32) {
		c->nown++;
	}
	return 0;
}

/* The anchors of a --ca directory, as GnuTLS loads them. */
static int
note_own_dir(struct tk_creds *c, const char *path, struct tk_err *err)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_trust_list_iter_t it = NULL;
	gnutls_x509_crt_t crt;
	int rc = 0;

	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		return tk_err_set(err, TK_INTERNAL, "load", "out of memory");
	}
	if (gnutls_x509_trust_list_add_trust_dir(tl, path, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0) >= 0) {
		while (rc == 0 &&
		    gnutls_x509_trust_list_iter_get_ca(tl, &it, &crt) == 0) {
			rc = note_own(c, crt, err);
			gnutls_x509_crt_deinit(crt);
		}
		gnutls_x509_trust_list_iter_deinit(it);
	}
	gnutls_x509_trust_list_deinit(tl, 1);
	return rc;
}

/* Is path standard input ("-")? */
bool
tk_creds_is_stdin(const char *path)
{
	return strcmp(path, "-") == 0;
}

int
tk_creds_read_file(const char *path, const char *what, gnutls_datum_t *data,
    struct tk_err *err)
{
	struct stat st;
	FILE *f;
	size_t got = 0, cap;
	bool in = tk_creds_is_stdin(path);
	char name[4096];

	snprintf(name, sizeof(name), in ? "'%s' (standard input)" : "'%s'",
	    path);

	data->data = NULL;
	data->size = 0;
	if (in && isatty(fileno(stdin))) {
		/* nothing piped in: waiting would look like a hang */
		return tk_err_set(err, TK_USAGE, "load",
		    "%s %s is a terminal: pipe or redirect the file into it",
		    what, name);
	}
	f = in ? stdin : fopen(path, "rb");
	if (f == NULL) {
		return tk_err_sys(err, TK_USAGE, "load", "cannot read %s '%s'",
		    what, path);
	}
	/*
	 * Regular files, and pipes and character devices (standard input,
	 * /dev/stdin, a shell's <(...)) read to their end: all bounded by
	 * TK_FILE_MAX.  A pipe's size is known only once read, so one byte
	 * more than the bound is read to tell "too large".
	 */
	if (fstat(fileno(f), &st) < 0 || (!S_ISREG(st.st_mode) &&
	    !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode) &&
	    !S_ISSOCK(st.st_mode))) {
		if (!in) {
			fclose(f);
		}
		return tk_err_set(err, TK_USAGE, "load",
		    "%s %s is not a regular file, a pipe or standard input",
		    what, name);
	}
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size >
	    TK_FILE_MAX) {
		if (!in) {
			fclose(f);
		}
		return tk_err_set(err, TK_USAGE, "load",
		    "%s %s is larger than %u MiB", what, name,
		    TK_FILE_MAX >> 20);
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 64u << 10;
	data->data = gnutls_malloc(cap + 1);
	while (data->data != NULL) {
		size_t k = fread(data->data + got, 1, cap - got, f);

		got += k;
		if (got > TK_FILE_MAX || k == 0 || ferror(f) || feof(f) ||
		    got < cap) {
			break;
		}
		/* full: grow, to at most one byte past the bound */
		cap = cap * 2 > TK_FILE_MAX + 1 ? TK_FILE_MAX + 1 : cap * 2;
		void *n = gnutls_realloc(data->data, cap + 1);

		if (n == NULL) {
			gnutls_free(data->data);
			data->data = NULL;
			break;
		}
		data->data = n;
	}
	if (data->data == NULL) {
		if (!in) {
			fclose(f);
		}
		return tk_err_set(err, TK_INTERNAL, "load", "out of memory");
	}
	if (ferror(f)) {
		tk_err_sys(err, TK_USAGE, "load", "cannot read %s %s",
		    what, name);
		if (!in) {
			fclose(f);
		}
		gnutls_free(data->data);
		data->data = NULL;
		return -1;
	}
	if (!in) {
		fclose(f);
	}
	if (got > TK_FILE_MAX) {
		gnutls_free(data->data);
		data->data = NULL;
		return tk_err_set(err, TK_USAGE, "load",
		    "%s %s is larger than %u MiB", what, name,
		    TK_FILE_MAX >> 20);
	}
	data->data[got] = '\0';
	data->size = (unsigned)got;
	if (got == 0) {
		gnutls_free(data->data);
		data->data = NULL;
		return tk_err_set(err, TK_USAGE, "load", "%s %s is empty",
		    what, name);
	}
	return 0;
}

static bool
has_pem(const gnutls_datum_t *d, const char *label)
{
	return d->data != NULL && memmem(d->data, d->size, label,
	    strlen(label)) != NULL;
}

/* Is data a DER PKCS#12 (PFX, RFC 7292)?  GnuTLS parses it to tell. */
static bool
is_pkcs12(const gnutls_datum_t *data)
{
	gnutls_pkcs12_t p12;
	bool yes;

	if (data->size == 0 || data->data[0] != 0x30 ||
	    gnutls_pkcs12_init(&p12) < 0) {
		return false;
	}
	yes = gnutls_pkcs12_import(p12, data, GNUTLS_X509_FMT_DER, 0) == 0;
	gnutls_pkcs12_deinit(p12);
	return yes;
}

/* Certificates of a PKCS#7 put in path order at most (quadratic work). */
#define PATH_ORDER_MAX 256

static bool
same_name(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	return a->size == b->size && a->size > 0 &&
	    memcmp(a->data, b->data, a->size) == 0;
}

/* Moves element from to index to (to < from), the ones between one on. */
static void
move_to(gnutls_x509_crt_t *l, gnutls_datum_t *sub, gnutls_datum_t *iss,
    unsigned from, unsigned to)
{
	gnutls_x509_crt_t c = l[from];
	gnutls_datum_t s = sub[from], i = iss[from];

	memmove(l + to + 1, l + to, (from - to) * sizeof(*l));
	memmove(sub + to + 1, sub + to, (from - to) * sizeof(*sub));
	memmove(iss + to + 1, iss + to, (from - to) * sizeof(*iss));
	l[to] = c;
	sub[to] = s;
	iss[to] = i;
}

/*
 * A PKCS#7 holds its certificates as a SET (RFC 5652 5.1): their order is
 * the encoder's (DER sorts a SET OF; Windows and many CAs export the root
 * first), not the chain's.  So put them in path order: the leaf (the
 * first certificate that issued none of the others) first, then each
 * one's issuer by name, then the rest as they came.  Names compare as
 * bytes here; the path builder judges the result.  Without a leaf (every
 * certificate issued another) or past PATH_ORDER_MAX, the order is kept.
 */
static void
path_order(gnutls_x509_crt_t *l, unsigned n)
{
	gnutls_datum_t sub[PATH_ORDER_MAX], iss[PATH_ORDER_MAX];
	unsigned got = 0, leaf = n;

	if (n < 2 || n > PATH_ORDER_MAX) {
		return;
	}
	for (; got < n; got++) {
		sub[got] = (gnutls_datum_t){NULL, 0};
		iss[got] = (gnutls_datum_t){NULL, 0};
		if (gnutls_x509_crt_get_raw_dn(l[got], &sub[got]) < 0 ||
		    gnutls_x509_crt_get_raw_issuer_dn(l[got], &iss[got]) < 0) {
			got++;
			goto out;
		}
	}
	for (unsigned i = 0; i < n && leaf == n; i++) {
		bool issued = false;

		for (unsigned j = 0; j < n && !issued; j++) {
			issued = j != i && same_name(&sub[i], &iss[j]);
		}
		if (!issued) {
			leaf = i;
		}
	}
	if (leaf == n) {
		goto out;
	}
	if (leaf > 0) {
		move_to(l, sub, iss, leaf, 0);
	}
	for (unsigned k = 0; k + 1 < n && !same_name(&sub[k], &iss[k]);
	     k++) {
		unsigned j = k + 1;

		while (j < n && !same_name(&sub[j], &iss[k])) {
			j++;
		}
		if (j == n) {
			break;
		}
		if (j > k + 1) {
			move_to(l, sub, iss, j, k + 1);
		}
	}
out:
	for (unsigned i = 0; i < got; i++) {
		gnutls_free(sub[i].data);
		gnutls_free(iss[i].data);
	}
}

/*
 * The certificates of a PKCS#7 SignedData (RFC 2315, a "certs-only" .p7b
 * or .p7c as openssl crl2pkcs7 makes it), in path order (path_order()).
 * 1: not a PKCS#7 (try as certificates); 0: *list and *n are set; -1
 * with err.
 */
static int
load_pkcs7(const gnutls_datum_t *data, gnutls_x509_crt_fmt_t fmt,
    const char *what, const char *path, gnutls_x509_crt_t **list,
    unsigned *n, struct tk_err *err)
{
	gnutls_pkcs7_t p7;
	int count, rc;

	if (gnutls_pkcs7_init(&p7) < 0) {
		return tk_err_set(err, TK_INTERNAL, "load", "out of memory");
	}
	if (gnutls_pkcs7_import(p7, data, fmt) < 0) {
		gnutls_pkcs7_deinit(p7);
		if (fmt == GNUTLS_X509_FMT_DER) {
			return 1;
		}
		return tk_err_set(err, TK_USAGE, "load",
		    "malformed PKCS#7 in %s '%s'", what, path);
	}
	count = gnutls_pkcs7_get_crt_count(p7);
	if (count <= 0) {
		gnutls_pkcs7_deinit(p7);
		return tk_err_set(err, TK_USAGE, "load",
		    "%s '%s' is a PKCS#7 that holds no certificate", what,
		    path);
	}
	*list = gnutls_calloc((size_t)count, sizeof(**list));
	if (*list == NULL) {
		gnutls_pkcs7_deinit(p7);
		return tk_err_set(err, TK_INTERNAL, "load", "out of memory");
	}
	for (int i = 0; i < count; i++) {
		gnutls_datum_t der = {NULL, 0};

		rc = gnutls_pkcs7_get_crt_raw2(p7, (unsigned)i, &der);
		if (rc == 0) {
			rc = gnutls_x509_crt_init(&(*list)[i]);
		}
		if (rc == 0) {
			(*n)++;
			rc = gnutls_x509_crt_import((*list)[i], &der,
			    GNUTLS_X509_FMT_DER);
		}
		gnutls_free(der.data);
		if (rc < 0) {
			gnutls_pkcs7_deinit(p7);
			tk_err_set(err, TK_USAGE, "load",
			    "malformed certificate #%d in the PKCS#7 %s '%s': "
			    "%s", i, what, path, gnutls_strerror(rc));
			err->gnutls_rc = rc;
			return -1;
		}
	}
	gnutls_pkcs7_deinit(p7);
	path_order(*list, *n);
	return 0;
}

/* The list load_pkcs7 half filled, freed; *list and *n are empty. */
static void
drop_certs(gnutls_x509_crt_t **list, unsigned *n)
{
	for (unsigned i = 0; *list != NULL && i < *n; i++) {
		gnutls_x509_crt_deinit((*list)[i]);
	}
	gnutls_free(*list);
	*list = NULL;
	*n = 0;
}

int
tk_creds_load_certs(const gnutls_datum_t *data, const char *what,
    const char *path, gnutls_x509_crt_t **list, unsigned *n,
    struct tk_err *err)
{
	gnutls_x509_crt_fmt_t fmt;
	int rc;

	*list = NULL;
	*n = 0;
	if (has_pem(data, "-----BEGIN PKCS7-----") &&
	    !has_pem(data, "-----BEGIN CERTIFICATE-----")) {
		rc = load_pkcs7(data, GNUTLS_X509_FMT_PEM, what, path, list, n,
		    err);
		if (rc != 0) {
			drop_certs(list, n);
			return -1;
		}
		return 0;
	}
	if (!has_pem(data, "-----BEGIN") && is_pkcs12(data)) {
		return tk_err_set(err, TK_USAGE, "load",
		    "%s '%s' is PKCS#12 (a key store), not a chain: extract "
		    "the certificates with 'openssl pkcs12 -in %s -nokeys "
		    "-out chain.pem'", what, path, path);
	}
	if (!has_pem(data, "-----BEGIN") && data->size > 0 &&
	    data->data[0] == 0x30) {
		rc = load_pkcs7(data, GNUTLS_X509_FMT_DER, what, path, list, n,
		    err);
		if (rc <= 0) {
			if (rc < 0) {
				drop_certs(list, n);
			}
			return rc;
		}
	}
	if (has_pem(data, "-----BEGIN CERTIFICATE-----") ||
	    has_pem(data, "-----BEGIN X509 CERTIFICATE-----")) {
		fmt = GNUTLS_X509_FMT_PEM;
	} else if (has_pem(data, "-----BEGIN")) {
		return tk_err_set(err, TK_USAGE, "load",
		    "no certificate in %s '%s' (it holds other PEM "
		    "blocks)", what, path);
	} else if (data->size > 0 && data->data[0] == 0x30) {
		fmt = GNUTLS_X509_FMT_DER;
	} else {
		return tk_err_set(err, TK_USAGE, "load",
		    "no certificate in %s '%s' (neither PEM nor DER)", what,
		    path);
	}
	rc = gnutls_x509_crt_list_import2(list, n, data, fmt, 0);
	if (rc < 0) {
		tk_err_set(err, TK_USAGE, "load",
		    "malformed certificate in %s '%s': %s", what, path,
		    gnutls_strerror(rc));
		err->gnutls_rc = rc;
		return -1;
	}
	if (*n == 0) {
		gnutls_free(*list);
		*list = NULL;
		return tk_err_set(err, TK_USAGE, "load",
		    "no certificate in %s '%s'", what, path);
	}
	return 0;
}

static void
free_certs(gnutls_x509_crt_t *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		gnutls_x509_crt_deinit(list[i]);
	}
	gnutls_free(list);
}

static int
load_own(struct tk_creds *c, const char *cert_file, const char *key_file,
    struct tk_err *err)
{
	gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	const char *kpath = key_file != NULL ? key_file : cert_file;
	int rc, ret = -1;

	if (tk_creds_read_file(cert_file, "certificate file", &cert, err) < 0) {
		goto out;
	}
	if (tk_creds_load_certs(&cert, "certificate file", cert_file, &list,
	    &n, err) < 0) {
		goto out;
	}
	if (key_file != NULL) {
		if (tk_creds_read_file(key_file, "key file", &key, err) < 0) {
			goto out;
		}
	} else {
		key = cert;
	}
	if (has_pem(&key, "ENCRYPTED PRIVATE KEY") ||
	    has_pem(&key, "Proc-Type: 4,ENCRYPTED")) {
		tk_err_set(err, TK_USAGE, "load",
		    "private key in '%s' is encrypted; give an unencrypted "
		    "key", kpath);
		goto out;
	}
	if (!has_pem(&key, "PRIVATE KEY-----")) {
		tk_err_set(err, TK_USAGE, "load", key_file != NULL ?
		    "no private key in key file '%s'" :
		    "no private key in '%s' (give the key with --key)", kpath);
		goto out;
	}
	rc = gnutls_certificate_set_x509_key_mem2(c->cred, &cert, &key,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
		tk_err_set(err, TK_USAGE, "load",
		    "certificate '%s' does not match private key '%s'",
		    cert_file, kpath);
		goto out;
	}
	if (rc < 0) {
		tk_err_set(err, TK_USAGE, "load",
		    "cannot load certificate '%s' with key '%s': %s",
		    cert_file, kpath, gnutls_strerror(rc));
		err->gnutls_rc = rc;
		goto out;
	}
	c->has_cert = true;
	ret = 0;
out:
	if (key.data != cert.data) {
		gnutls_free(key.data);
	}
	gnutls_free(cert.data);
	free_certs(list, n);
	return ret;
}

static void
note_source(struct tk_creds *c, const char *src)
{
	size_t len = strlen(c->trust_source);

	snprintf(c->trust_source + len, sizeof(c->trust_source) - len, "%s%s",
	    len ? ", " : "", src);
}

static int
load_ca(struct tk_creds *c, const char *path, bool own, struct tk_err *err)
{
	struct stat st;
	gnutls_datum_t data = {NULL, 0};
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int rc;

	if (!tk_creds_is_stdin(path) && stat(path, &st) < 0) {
		return tk_err_sys(err, TK_USAGE, "load",
		    "cannot read CA file '%s'", path);
	}
	if (!tk_creds_is_stdin(path) && S_ISDIR(st.st_mode)) {
		rc = gnutls_certificate_set_x509_trust_dir(c->cred, path,
		    GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			return tk_err_set(err, TK_USAGE, "load",
			    "cannot load CA directory '%s': %s", path,
			    gnutls_strerror(rc));
		}
		if (rc == 0) {
			return tk_err_set(err, TK_USAGE, "load",
			    "no certificate in CA directory '%s'", path);
		}
		c->ntrust += (unsigned)rc;
		note_source(c, path);
		return own ? note_own_dir(c, path, err) : 0;
	}
	if (tk_creds_read_file(path, "CA file", &data, err) < 0) {
		return -1;
	}
	if (tk_creds_load_certs(&data, "CA file", path, &list, &n, err) < 0) {
		gnutls_free(data.data);
		return -1;
	}
	rc = gnutls_certificate_set_x509_trust(c->cred, list, (int)n);
	for (unsigned i = 0; own && rc >= 0 && i < n; i++) {
		if (note_own(c, list[i], err) < 0) {
			free_certs(list, n);
			gnutls_free(data.data);
			return -1;
		}
	}
	free_certs(list, n);
	gnutls_free(data.data);
	if (rc < 0) {
		return tk_err_set(err, TK_USAGE, "load",
		    "cannot use CA file '%s': %s", path, gnutls_strerror(rc));
	}
	c->ntrust += n;
	note_source(c, path);
	return 0;
}

/* SSL_CERT_FILE and SSL_CERT_DIR replace the system store, as in OpenSSL. */
static int
load_env_trust(struct tk_creds *c, bool *used, struct tk_err *err)
{
	const char *file = getenv("SSL_CERT_FILE");
	const char *dirs = getenv("SSL_CERT_DIR");

	*used = false;
	if (file != NULL && *file != '\0') {
		if (load_ca(c, file, false, err) < 0) {
			return -1;
		}
		*used = true;
	}
	if (dirs != NULL && *dirs != '\0') {
		char buf[4096];
		char *p, *save = NULL;

		snprintf(buf, sizeof(buf), "%s", dirs);
		for (p = strtok_r(buf, ":", &save); p != NULL;
		     p = strtok_r(NULL, ":", &save)) {
			if (load_ca(c, p, false, err) < 0) {
				return -1;
			}
			*used = true;
		}
	}
	return 0;
}

static int
load_system(struct tk_creds *c, struct tk_err *err)
{
	int rc = gnutls_certificate_set_x509_system_trust(c->cred);

	if (rc < 0) {
		return tk_err_set(err, TK_USAGE, "load",
		    "cannot load the system trust store: %s",
		    gnutls_strerror(rc));
	}
	if (rc == 0) {
		return tk_err_set(err, TK_USAGE, "load",
		    "the system trust store is empty; give --ca");
	}
	c->ntrust += (unsigned)rc;
	note_source(c, "system");
	return 0;
}

/* The size of the group: the bits of its prime. */
static unsigned
dh_prime_bits(gnutls_dh_params_t dh)
{
	gnutls_datum_t p = {NULL, 0}, g = {NULL, 0};
	unsigned bits = 0;

	if (gnutls_dh_params_export_raw(dh, &p, &g, NULL) == 0) {
		size_t i = 0;

		while (i < p.size && p.data[i] == 0) {
			i++;
		}
		if (i < p.size) {
			unsigned top = p.data[i];

			bits = (unsigned)(p.size - i - 1) * 8;
			while (top != 0) {
				bits++;
				top >>= 1;
			}
		}
	}
	gnutls_free(p.data);
	gnutls_free(g.data);
	return bits;
}

static int
load_dh(struct tk_creds *c, const char *path, struct tk_err *err)
{
	gnutls_datum_t data = {NULL, 0};
	int rc;

	if (tk_creds_read_file(path, "DH parameters file", &data, err) < 0) {
		return -1;
	}
	rc = gnutls_dh_params_init(&c->dh);
	if (rc == 0) {
		rc = gnutls_dh_params_import_pkcs3(c->dh, &data,
		    GNUTLS_X509_FMT_PEM);
	}
	gnutls_free(data.data);
	if (rc < 0) {
		return tk_err_set(err, TK_USAGE, "load",
		    "malformed DH parameters in '%s': %s", path,
		    gnutls_strerror(rc));
	}
	gnutls_certificate_set_dh_params(c->cred, c->dh);
	c->dh_bits = dh_prime_bits(c->dh);
	return 0;
}

unsigned
tk_creds_dh_bits(const struct tk_creds *c)
{
	return c->dh != NULL ? c->dh_bits : 0;
}

/* How many of conf's files are "-". */
static unsigned
stdin_uses(const struct tk_creds_conf *conf)
{
	unsigned k = 0;

	k += conf->cert_file != NULL && tk_creds_is_stdin(conf->cert_file);
	k += conf->key_file != NULL && tk_creds_is_stdin(conf->key_file);
	k += conf->dh_file != NULL && tk_creds_is_stdin(conf->dh_file);
	for (size_t i = 0; i < conf->nca; i++) {
		k += tk_creds_is_stdin(conf->ca[i]);
	}
	return k;
}

struct tk_creds *
tk_creds_new(const struct tk_creds_conf *conf, struct tk_err *err)
{
	struct tk_creds *c;
	bool env = false;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		tk_err_sys(err, TK_INTERNAL, "load", "out of memory");
		return NULL;
	}
	c->refs = 1;
	rc = gnutls_certificate_allocate_credentials(&c->cred);
	if (rc < 0) {
		tk_err_set(err, TK_INTERNAL, "load",
		    "cannot allocate credentials: %s", gnutls_strerror(rc));
		free(c);
		return NULL;
	}

	if (stdin_uses(conf) > 1) {
		tk_err_set(err, TK_USAGE, "load",
		    "'-' (standard input) is given for more than one file; "
		    "it can be read only once");
		goto fail;
	}
	if (conf->cert_file != NULL &&
	    load_own(c, conf->cert_file, conf->key_file, err) < 0) {
		goto fail;
	}
	if (conf->cert_file == NULL && conf->key_file != NULL) {
		tk_err_set(err, TK_USAGE, "load", "--key needs --cert");
		goto fail;
	}
	for (size_t i = 0; i < conf->nca; i++) {
		if (load_ca(c, conf->ca[i], true, err) < 0) {
			goto fail;
		}
	}
	if (conf->nca == 0 && conf->want_trust) {
		if (load_env_trust(c, &env, err) < 0) {
			goto fail;
		}
		if (!env && load_system(c, err) < 0) {
			goto fail;
		}
		/* SSL_CERT_FILE/DIR stand in for the system store */
		c->system_loaded = true;
	} else if (conf->system_trust) {
		if (load_system(c, err) < 0) {
			goto fail;
		}
		c->system_loaded = true;
	}
	if (conf->dh_file != NULL && load_dh(c, conf->dh_file, err) < 0) {
		goto fail;
	}
	return c;
fail:
	tk_creds_unref(c);
	return NULL;
}

struct tk_creds *
tk_creds_ref(struct tk_creds *c)
{
	c->refs++;
	return c;
}

void
tk_creds_unref(struct tk_creds *c)
{
	if (c == NULL || --c->refs > 0) {
		return;
	}
	gnutls_certificate_free_credentials(c->cred);
	free(c->own);
	if (c->dh != NULL) {
		gnutls_dh_params_deinit(c->dh);
	}
	free(c);
}

gnutls_certificate_credentials_t
tk_creds_gnutls(const struct tk_creds *c)
{
	return c->cred;
}

bool
tk_creds_has_cert(const struct tk_creds *c)
{
	return c->has_cert;
}

unsigned
tk_creds_trust_count(const struct tk_creds *c)
{
	return c->ntrust;
}

const char *
tk_creds_trust_source(const struct tk_creds *c)
{
	return c->trust_source[0] ? c->trust_source : "none";
}

bool
tk_creds_anchor_private(const gnutls_datum_t *der, void *arg)
{
	const struct tk_creds *c = arg;
	unsigned char sha[32];

	if (!c->system_loaded) {
		return true;     /* every anchor is the user's own */
	}
	if (c->nown == 0 || gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data,
	    der->size, sha) < 0) {
		return false;
	}
	for (size_t i = 0; i < c->nown; i++) {
		if (memcmp(c->own[i].sha, sha, sizeof(sha)) == 0) {
			return true;
		}
	}
	return false;
}
