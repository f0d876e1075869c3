/*
 * tls-scan's output for one target: the text report (-v or one target),
 * the one line among several targets, and the JSON object (the common
 * fields of lib/report, then the scan's: man tls-scan, JSON OUTPUT).
 * They decide nothing: lib/scantarget judged the target.  Under
 * --all-addresses each address is one server, with its own report.
 */
#ifndef TK_SCANREPORT_H
#define TK_SCANREPORT_H

#include <stdio.h>

#include "scantarget.h"

/* One server of st (tk_scantarget_at()): its report. */
void tk_scanreport_text(const struct tk_scantarget *st,
    const struct tk_scanaddr *sa, FILE *out);
/* Its one line; sa NULL: the target's error line (no server at all). */
void tk_scanreport_brief(const struct tk_scantarget *st,
    const struct tk_scanaddr *sa, FILE *out);
/* Its JSON line; 0, or -1 when it could not be written. */
int tk_scanreport_json(const struct tk_scantarget *st,
    const struct tk_scanaddr *sa, FILE *out);

#endif
