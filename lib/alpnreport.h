/*
 * tls-alpn-probe's output for one target (alpntarget, after
 * tk_alpntarget_finish()): the text of its probes, the one line of a
 * target among several, and its JSON object (the generic result of the
 * probe that carries the session, with the probes added).  Renderers:
 * they decide nothing.  Protocol names from the peer or the options go
 * through tk_escape() in text and tk_report_json_str() in JSON.
 */
#ifndef TK_ALPNREPORT_H
#define TK_ALPNREPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "alpnprobe.h"
#include "alpntarget.h"

/*
 * names[0..n) escaped and joined by sep into buf (always terminated);
 * cut when buf is short.
 */
void tk_alpnreport_join(char *const *names, size_t n, const char *sep,
    char *buf, size_t len);

/* A per-protocol outcome as --each says it: "accepted", else the JSON word */
const char *tk_alpnreport_each_word(enum tk_alpn_outcome o);

/*
 * One probe as a JSON object (offered, outcome, selected, alert, error),
 * a new reference; NULL only without memory.
 */
json_t *tk_alpnreport_json_probe(const struct tk_alpn_probe *p);

/*
 * The text of one target on out: "offered LIST: OUTCOME", a line per
 * protocol, --order, --expect, and the --each summary ("accepted: h2,
 * http/1.1; 3 refused").
 */
void tk_alpnreport_text(const struct tk_alpntarget *at, FILE *out);

/*
 * One line for a target among several, its verdict (from cls) first:
 * "ok      host: offered h2,http/1.1: selected h2; order: server".
 */
void tk_alpnreport_brief(const struct tk_alpntarget *at, enum tk_class cls,
    FILE *out);

/*
 * The target's JSON object as one line on out (man tls-alpn-probe(1),
 * JSON OUTPUT), with exit_code from cls.  at->ap must be set.
 */
void tk_alpnreport_json(const struct tk_alpntarget *at, enum tk_class cls,
    FILE *out);

#endif
