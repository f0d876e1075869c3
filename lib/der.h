/*
 * The one DER reader of lib/: chainval reads certificates and their
 * extensions with it, dn the Names it compares (X.690; RFC 5280 4.1).
 * It only walks bytes already in memory: a TLV at a time, with one-byte
 * tags and definite lengths, never reading past what it was given.
 */
#ifndef TK_DER_H
#define TK_DER_H

#include <stdbool.h>
#include <stddef.h>

/* A run of DER bytes, borrowed from whoever holds the encoding. */
struct tk_der {
	const unsigned char *p;
	size_t n;
};

/*
 * Reads one TLV from in and moves in past it: *tag gets the tag, val the
 * contents and, when all is not NULL, all the whole TLV.  Lengths may take
 * up to four octets, in any definite form.  False on truncation, a
 * multi-byte tag or an indefinite length; in, val and all are then
 * unchanged, *tag holds the tag byte when there was one.
 */
bool tk_der_get(struct tk_der *in, unsigned char *tag, struct tk_der *val,
    struct tk_der *all);

/*
 * As tk_der_get() for DER that must be canonical (X.690 10.1): lengths in
 * the shortest form, and at most two length octets (a TLV under 64 KiB,
 * far above what a Name may take, TK_DN_DER_MAX).
 */
bool tk_der_get_strict(struct tk_der *in, unsigned char *tag,
    struct tk_der *val, struct tk_der *all);

/* tk_der_get() of a TLV with tag want; false (in unchanged) otherwise. */
bool tk_der_want(struct tk_der *in, unsigned char want, struct tk_der *val,
    struct tk_der *all);

/* The tag of the next TLV, or 0 at the end. */
unsigned char tk_der_peek(const struct tk_der *in);

/* Whether a and b hold the same bytes. */
bool tk_der_eq(struct tk_der a, struct tk_der b);

/*
 * Dotted text ("2.5.29.17") of an OBJECT IDENTIFIER's contents into buf.
 * False when o is empty or malformed (a last octet with its high bit set,
 * a sub-identifier over 64 bits) or the text does not fit len.
 */
bool tk_der_oid_text(struct tk_der o, char *buf, size_t len);

/*
 * Whether o is the contents of an OBJECT IDENTIFIER in DER: sub-
 * identifiers in base 128 with no leading 0x80 octet, the last octet's
 * high bit clear (X.690 8.19.2).  Then equal OIDs are equal bytes.
 */
bool tk_der_oid_ok(struct tk_der o);

#endif
