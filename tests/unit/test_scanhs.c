/*
 * Unit tests for the pure parts of lib/scanhs.h: each probe's priority
 * string (accepted by GnuTLS, restricted as the probe needs), the TLS 1.3
 * signature algorithm table against GnuTLS's own names, and the names.
 * The probes themselves run against real servers in tests/scanhs.bats.
 */
#include <gnutls/gnutls.h>
#include <string.h>

#include "scanhs.h"

#include "tk_test.h"

static const struct {
	enum tk_scanhs_kind kind;
	enum tk_scanhs_key key;
	const char *has;        /* a part the string must hold */
	const char *lacks;      /* one it must not ("": none) */
} prio_cases[] = {
	{TK_SCANHS_CERT, TK_SCANHS_KEY_RSA, ":-KX-ALL:+ECDHE-RSA:+DHE-RSA:+RSA",
	    "ECDSA"},
	{TK_SCANHS_CERT, TK_SCANHS_KEY_RSA, "+SIGN-RSA-PSS-RSAE-SHA256",
	    "EdDSA"},
	{TK_SCANHS_CERT, TK_SCANHS_KEY_ECDSA, ":-KX-ALL:+ECDHE-ECDSA",
	    "PSS"},
	{TK_SCANHS_CERT, TK_SCANHS_KEY_ECDSA, "+SIGN-ECDSA-SECP256R1-SHA256",
	    "EdDSA"},
	{TK_SCANHS_CERT, TK_SCANHS_KEY_ED25519, "+SIGN-EdDSA-Ed25519",
	    "SIGN-ECDSA"},
	{TK_SCANHS_RESUME_ID, TK_SCANHS_KEY_RSA, "+VERS-TLS1.2", "TLS1.3"},
	{TK_SCANHS_RESUME_TICKET, TK_SCANHS_KEY_RSA, "+VERS-TLS1.2",
	    "TLS1.3"},
	{TK_SCANHS_RENEG, TK_SCANHS_KEY_RSA, "%UNSAFE_RENEGOTIATION",
	    "TLS1.3"},
	{TK_SCANHS_RESUME_PSK, TK_SCANHS_KEY_RSA, "-VERS-ALL:+VERS-TLS1.3",
	    "TLS1.2"},
	{TK_SCANHS_SIGALGS13, TK_SCANHS_KEY_RSA,
	    "+VERS-TLS1.3:-SIGN-ALL:+SIGN-ECDSA-SECP256R1-SHA256", "TLS1.2"},
};

static void
priorities(void)
{
	for (size_t i = 0; i < sizeof(prio_cases) / sizeof(prio_cases[0]);
	    i++) {
		char buf[768];
		struct tk_err e;
		gnutls_priority_t pc;
		const char *pos = NULL;

		tk_err_clear(&e);
		EXPECT_EQ_INT(tk_scanhs_priority(prio_cases[i].kind,
		    prio_cases[i].key, ~0ul, buf, sizeof(buf), &e), 0);
		EXPECT_CONTAINS(buf, prio_cases[i].has);
		EXPECT_TRUE(strstr(buf, prio_cases[i].lacks) == NULL);
		/* GnuTLS takes every keyword */
		if (gnutls_priority_init(&pc, buf, &pos) == 0) {
			gnutls_priority_deinit(pc);
		} else {
			EXPECT_EQ_STR(pos, "(accepted)");
		}
	}
}

/* SIGALGS13 offers exactly the table entries whose bit is set. */
static void
elimination(void)
{
	size_t n = tk_scanhs_nsigalgs();
	char buf[768];
	struct tk_err e;

	tk_err_clear(&e);
	for (size_t i = 0; i < n; i++) {
		unsigned long offered = ((1ul << n) - 1) & ~(1ul << i);

		EXPECT_EQ_INT(tk_scanhs_priority(TK_SCANHS_SIGALGS13,
		    TK_SCANHS_KEY_RSA, offered, buf, sizeof(buf), &e), 0);
		for (size_t j = 0; j < n; j++) {
			const char *name;
			char want[64];

			(void)tk_scanhs_sigalg_at(j, &name);
			snprintf(want, sizeof(want), ":+%s:", name);
			EXPECT_EQ_INT(strstr(buf, want) != NULL, j != i);
		}
	}
	/* too small a buffer: an error, never a cut string */
	EXPECT_EQ_INT(tk_scanhs_priority(TK_SCANHS_SIGALGS13,
	    TK_SCANHS_KEY_RSA, ~0ul, buf, 40, &e), -1);
	EXPECT_EQ_INT(e.cls, TK_INTERNAL);
	EXPECT_TRUE(n <= sizeof(unsigned long) * 8);
}

/* The table against GnuTLS: its keyword names the algorithm mapped. */
static void
table(void)
{
	size_t n = tk_scanhs_nsigalgs();

	EXPECT_TRUE(n >= 9);
	for (size_t i = 0; i < n; i++) {
		const char *prio;
		uint16_t code = tk_scanhs_sigalg_at(i, &prio);
		int id;

		EXPECT_TRUE(strncmp(prio, "SIGN-", 5) == 0);
		id = (int)gnutls_sign_get_id(prio + 5);
		EXPECT_TRUE(id != GNUTLS_SIGN_UNKNOWN);
		EXPECT_EQ_INT(tk_scanhs_sigalg_code(id), code);
		EXPECT_TRUE(tk_scanhs_sigalg_name(code) != NULL);
		for (size_t j = 0; j < i; j++) {
			EXPECT_TRUE(tk_scanhs_sigalg_at(j, NULL) != code);
		}
	}
	EXPECT_EQ_INT(tk_scanhs_sigalg_at(n, NULL), 0);
	EXPECT_EQ_INT(tk_scanhs_sigalg_code(GNUTLS_SIGN_RSA_SHA256), 0);
	EXPECT_EQ_INT(tk_scanhs_sigalg_code(GNUTLS_SIGN_ECDSA_SHA256),
	    0x0403);
	EXPECT_EQ_STR(tk_scanhs_sigalg_name(0x0804), "rsa_pss_rsae_sha256");
	EXPECT_EQ_STR(tk_scanhs_sigalg_name(0x0807), "ed25519");
	EXPECT_TRUE(tk_scanhs_sigalg_name(0x0401) == NULL);
}

static void
names(void)
{
	EXPECT_EQ_STR(tk_scanhs_kind_name(TK_SCANHS_CERT), "certificate");
	EXPECT_EQ_STR(tk_scanhs_kind_name(TK_SCANHS_RESUME_ID), "session-id");
	EXPECT_EQ_STR(tk_scanhs_kind_name(TK_SCANHS_RESUME_TICKET),
	    "session-ticket");
	EXPECT_EQ_STR(tk_scanhs_kind_name(TK_SCANHS_RESUME_PSK), "psk");
	EXPECT_EQ_STR(tk_scanhs_kind_name(TK_SCANHS_RENEG), "renegotiation");
	EXPECT_EQ_STR(tk_scanhs_kind_name(TK_SCANHS_SIGALGS13),
	    "sigalgs-tls13");
	EXPECT_EQ_STR(tk_scanhs_key_name(TK_SCANHS_KEY_ED25519), "ed25519");
	EXPECT_EQ_STR(tk_scanhs_yes_name(TK_SCANHS_YES), "yes");
	EXPECT_EQ_STR(tk_scanhs_yes_name(TK_SCANHS_NO), "no");
	EXPECT_EQ_STR(tk_scanhs_yes_name(TK_SCANHS_UNKNOWN), "unknown");
}

static void
run(void)
{
	priorities();
	elimination();
	table();
	names();
}

TK_TEST_MAIN("test_scanhs", run)
