/*
 * Comparing X.509 distinguished names as RFC 5280 section 7.1 requires,
 * never as bytes: for chaining (a certificate's issuer against its
 * issuer's subject, RFC 5280 6.1.3 (a)(4)) and for directoryName name
 * constraints (RFC 5280 4.2.1.10).
 *
 * Every function takes the whole DER Name, the SEQUENCE TLV of RFC 5280
 * 4.1.2.4 (Name ::= SEQUENCE OF RelativeDistinguishedName, RDN ::= SET
 * SIZE (1..MAX) OF AttributeTypeAndValue).  Input is hostile: it is only
 * read, lengths are checked, nesting and sizes are bounded, and nothing is
 * allocated (tk_dn_equal() and tk_dn_subtree() use 2 * TK_DN_CANON_MAX
 * bytes of stack).  The functions are pure, thread-safe, and never change
 * errno.  Time is linear in the input but for sorting each RDN's
 * attributes, which costs at most TK_DN_MAX_AVAS times the RDN's size.
 *
 * Two names are equal when they have the same number of RDNs and the RDNs
 * at each position are equal as multisets of attributes (the order inside
 * an RDN does not matter).  Attribute types compare as OIDs.  A value of a
 * DirectoryString kind (UTF8String, PrintableString, TeletexString read as
 * ISO 8859-1, BMPString, UniversalString) or an IA5String or VisibleString
 * is compared after the string preparation of RFC 4518, whatever its kind,
 * so a PrintableString equals the UTF8String of the same text:
 *   - transcode to Unicode; an invalid encoding (bad UTF-8, a surrogate, a
 *     byte over 0x7f in a 7-bit kind, an odd-sized BMPString) is not
 *     prepared: that value compares as its raw TLV bytes;
 *   - map (RFC 4518 2.2): the listed control and format code points to
 *     nothing, the listed white space to SPACE, then case folding (RFC
 *     5280 7.1, RFC 3454 B.2), see below;
 *   - prohibit (RFC 4518 2.4): private use, non-characters and U+FFFD
 *     make the value compare as its raw TLV bytes, as above;
 *   - insignificant space handling (RFC 4518 2.6.1): leading and trailing
 *     spaces removed, each inner run of spaces made one.
 * Case folding covers ASCII and the single code point foldings (Unicode
 * 14 CaseFolding, status C) of the Latin-1 Supplement, Latin Extended-A
 * and -B, Latin Extended Additional, Greek, Greek Extended, Cyrillic and
 * Cyrillic Supplement.  Not done: NFKC normalisation (RFC 4518 2.3), the
 * foldings that yield several code points (U+00DF stays itself), other
 * scripts' case pairs, the unassigned-code-point and bidi checks, and the
 * domainComponent rule of RFC 5280 7.3 (a DC compares as any string).
 * So a name that is equal only after NFKC (a decomposed letter against a
 * precomposed one, a fullwidth letter) is reported unequal.
 * Any other value (an OCTET STRING, a SEQUENCE, a constructed string)
 * compares as its tag and raw bytes.
 *
 * Well-formed means: DER definite lengths in their shortest form, one-byte
 * tags, every TLV exactly filling its parent, no trailing bytes, an OID of
 * minimal sub-identifiers as each attribute type, values nested at most
 * TK_DN_MAX_DEPTH deep, at most TK_DN_MAX_RDNS RDNs of 1 to TK_DN_MAX_AVAS
 * attributes each, at most TK_DN_DER_MAX bytes in all, and a canonical
 * form (below) of at most TK_DN_CANON_MAX bytes.  The empty Name (30 00)
 * is well-formed.  The DER order of the attributes inside a SET is not
 * checked (the comparison does not depend on it).
 */
#ifndef TK_DN_H
#define TK_DN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TK_DN_MAX_RDNS 256   /* RDNs in a Name; more is malformed */
#define TK_DN_MAX_AVAS 64    /* attributes in one RDN; more is malformed */
#define TK_DN_MAX_DEPTH 16   /* TLV nesting, the Name's SEQUENCE being 1 */
#define TK_DN_DER_MAX 8192   /* bytes of a DER Name; more is malformed */
/*
 * Bytes of a canonical form; a Name whose form would be longer is
 * malformed, so a canonical form is always itself a well-formed Name.
 * Preparing a string at most doubles its bytes (an ISO 8859-1 byte over
 * 0x7f becomes two UTF-8 bytes, a BMPString's two bytes at most three), so
 * no TLV's canonical form is longer than twice its DER, and every Name of
 * up to TK_DN_CANON_MAX / 2 bytes is within both bounds.
 */
#define TK_DN_CANON_MAX 8192

/*
 * Writes the canonical form of the DER Name der[0..n) to out[0..cap): two
 * names are equal under RFC 5280 7.1 iff their canonical forms are equal
 * bytes, and RDN i of one equals RDN i of the other iff their canonical
 * RDNs are.  The form is itself a DER Name: each prepared string becomes a
 * UTF8String, every other value is copied, and each RDN's attributes are
 * sorted by their canonical bytes; tk_dn_canon() of a canonical form gives
 * it back unchanged.  Returns the number of bytes written (at most
 * TK_DN_CANON_MAX and at most 2 * n), or -1 when der or out is NULL, der
 * is not a well-formed Name, or the form would not fit in cap bytes (a cap
 * of TK_DN_CANON_MAX always suffices); out[] is undefined after -1.  out
 * must not overlap der.
 */
ssize_t tk_dn_canon(const unsigned char *der, size_t n, unsigned char *out,
    size_t cap);

/*
 * RFC 5280 7.1 equality of the DER Names a[0..an) and b[0..bn).  False
 * when either is malformed, even if the two are the same bytes.
 */
bool tk_dn_equal(const unsigned char *a, size_t an, const unsigned char *b,
    size_t bn);

/*
 * directoryName constraint (RFC 5280 4.2.1.10): is the DER Name name
 * within the subtree base, i.e. does name have at least as many RDNs as
 * base, each of base's RDNs equal (compared as in tk_dn_equal()) to name's
 * RDN at the same position?  An empty base covers every well-formed name.
 * Returns 1 within, 0 not within, -1 when either name is malformed.
 *
 * An excluded subtree must treat -1 as a violation, not as "outside":
 * a malformed name that escapes the check would otherwise pass it.
 */
int tk_dn_subtree(const unsigned char *name, size_t nn,
    const unsigned char *base, size_t bn);

/*
 * tk_dn_subtree() of two canonical forms (from tk_dn_canon()), without
 * preparing them again: for a caller that compares one name with many
 * subtrees and keeps each canonical form.  Costs one memcmp.  Returns 1,
 * 0, or -1 when either is NULL or not one DER SEQUENCE; that they are
 * canonical forms is not checked (other bytes compare as bytes).
 */
int tk_dn_canon_subtree(const unsigned char *cname, size_t cn,
    const unsigned char *cbase, size_t cbn);

/*
 * tk_dn_subtree() == 1: true only when both are well-formed and name is
 * within base.  Right for permitted subtrees; for excluded subtrees use
 * tk_dn_subtree() so that malformed input fails closed.
 */
bool tk_dn_within(const unsigned char *name, size_t nn,
    const unsigned char *base, size_t bn);

/*
 * The number of RDNs in the DER Name der[0..n) (0 for the empty Name), or
 * -1 when der is NULL or not well-formed: tk_dn_canon() with a cap of
 * TK_DN_CANON_MAX fails on exactly these inputs.
 */
int tk_dn_count_rdns(const unsigned char *der, size_t n);

#endif
