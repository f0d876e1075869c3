/*
 * Names as certificates carry them, and how they are matched: GeneralNames
 * read one at a time (RFC 5280 4.2.1.6), a host name against the presented
 * identifiers with the wildcard rules of RFC 6125 as RFC 9525 narrows them,
 * and one name against one name-constraint base (RFC 5280 4.2.1.10).
 * Pure: lib/chainval.c decides what is checked, spends its work budget and
 * reports; this module only answers (docs/verification.md).
 */
#ifndef TK_NAMES_H
#define TK_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "certinfo.h"
#include "der.h"

/* ---- GeneralNames and how they are shown ---- */

/* One GeneralName. */
struct tk_names_gn {
	unsigned char tag;
	struct tk_der v;     /* contents; for directoryName the Name TLV */
};

/*
 * Reads the next GeneralName of it (the contents of a GeneralNames
 * SEQUENCE) into g and moves past it.  A directoryName whose Name does not
 * decode is given with g->v empty.  False at the end or on bad DER.
 */
bool tk_names_next(struct tk_der *it, struct tk_names_gn *g);

/* Whether t is the tag of one of the nine GeneralName CHOICEs. */
bool tk_names_tag_ok(unsigned char t);

/* Copies n bytes of src for a message into dst: printable ASCII, the rest
 * as '?'; truncated to len - 1 bytes and NUL-ended (len > 0). */
void tk_names_printable(char *dst, size_t len, const char *src, size_t n);

/* An iPAddress's contents as text ("192.0.2.1", "2001:db8::1", or
 * "(5-byte address)") into buf. */
void tk_names_ip_text(struct tk_der ip, char *buf, size_t len);

/* ---- host names (RFC 6125, RFC 9525) ---- */

/* Whether a and b are equal, ASCII letters compared without case. */
bool tk_names_caseeq(const char *a, size_t an, const char *b, size_t bn);

/*
 * RFC 1034 3.5 preferred name syntax as amended by RFC 1123 2.1: labels of
 * 1-63 letters, digits and hyphens, not starting or ending with a hyphen;
 * at most 253 octets; the last label not all digits.  A '*' is allowed
 * only when wild is set (checked by the caller).
 */
bool tk_names_dns_syntax_ok(const char *s, size_t n, bool wild);

/* The reference identifier being checked, prepared once. */
struct tk_names_host {
	char host[TK_NAME_MAX];    /* lower case, no brackets or final dot */
	char shown[TK_NAME_MAX];   /* host for messages (printable) */
	size_t hn;
	unsigned char ip[16];
	size_t iplen;              /* 4 or 16 for an IP address, else 0 */
	const char *dot;           /* the first '.' of host, or NULL */
	char refused[TK_NAME_MAX]; /* the first wildcard refused, and why */
	char why[96];
	int psl_memo;              /* host's parent a public suffix: -1 not
	                            * asked yet, 0, 1 */
};

/*
 * Prepares h for hostname: an IP address (in brackets or not) is kept as
 * its bytes, a name loses a final dot (RFC 6125 6.2.1) and is lower-cased.
 */
void tk_names_host_init(struct tk_names_host *h, const char *hostname);

/*
 * Whether one presented DNS identifier s[0..sn) (a dNSName, or a CN under
 * RFC 6125 6.4.4) matches h's name.  A wildcard is honoured only as the
 * whole left-most label of a name with at least two more labels that are
 * not a public suffix (RFC 6125 6.4.3 as RFC 9525 narrows it, and 7.2; the
 * Public Suffix List is libpsl's built-in one, so no file is read).  The
 * first wildcard that would have matched but is refused goes to
 * h->refused, with the reason in h->why.
 */
bool tk_names_host_dns(struct tk_names_host *h, const char *s, size_t sn);

/* ---- name constraints (RFC 5280 4.2.1.10) ---- */

/*
 * Checks the syntax of a NameConstraints extension value.  Returns NULL,
 * or what is wrong (a static string).
 */
const char *tk_names_nc_validate(struct tk_der v);

/*
 * Whether base, a constraint of GeneralName type tag, covers name of the
 * same type.  For a wildcard dNSName "*.B" the question is asked twice
 * (RFC 9525 meets RFC 5280; CVE-2025-61727): as permitted (excluded
 * false), every name the wildcard can match must be inside; as excluded,
 * any name it can match that is inside counts.  A directoryName that
 * cannot be compared counts as excluded and as not permitted.
 */
bool tk_names_nc_covers(unsigned char tag, struct tk_der name,
    struct tk_der base, bool excluded);

/* Whether constraints of type tag are checked (dNSName, iPAddress,
 * rfc822Name, URI, directoryName); others make a name unverifiable. */
bool tk_names_nc_supported(unsigned char tag);

#endif
