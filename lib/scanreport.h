/*
 * tls-scan's output for one target: the text report (-v or one target),
 * the one line among several targets, and the JSON object (the common
 * fields of lib/report, then the scan's: man tls-scan, JSON OUTPUT).
 * They decide nothing: lib/scantarget judged the target.
 */
#ifndef TK_SCANREPORT_H
#define TK_SCANREPORT_H

#include <stdio.h>

#include "scantarget.h"

void tk_scanreport_text(const struct tk_scantarget *st, FILE *out);
void tk_scanreport_brief(const struct tk_scantarget *st, FILE *out);
/* One JSON line; 0, or -1 when it could not be written. */
int tk_scanreport_json(const struct tk_scantarget *st, FILE *out);

#endif
