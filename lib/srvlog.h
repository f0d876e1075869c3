/*
 * The server's log (tls-echo-server): one text line or JSON record per
 * connection event.  A listening socket, then each ended connection
 * (lib/server.c's struct tk_server_client_info): a JSON record in the
 * clients' schema on out (man tls-echo-server(1), JSON OUTPUT), or one
 * text line on log.  Everything from the peer is escaped: tk_escape() in
 * text, tk_report_json_str() in JSON.  Decides nothing but the verdict
 * word of the record.
 */
#ifndef TK_SRVLOG_H
#define TK_SRVLOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "server.h"

/* How the log is written; plain data the caller fills. */
struct tk_srvlog_conf {
	const char *tool;             /* the JSON "tool" field */
	bool json;                    /* JSON records, not text lines */
	bool quiet;                   /* text: only connections that failed */
	bool verbose;                 /* the offered groups and sigalgs too */
	pid_t worker;                 /* the JSON "worker" field when > 0 */
};

/*
 * A socket listens on addr ("ADDR:PORT", tk_sockaddr_str()): one ready
 * line on out, "listening on ADDR:PORT" or a JSON "listening" event.
 * Not flushed.
 */
void tk_srvlog_listening(const struct tk_srvlog_conf *conf, const char *addr,
    FILE *out);

/*
 * The verdict of an ended connection in the clients' vocabulary
 * (tlskit(7), VERDICTS): "ok"; "fail" when the client's certificate was
 * refused; "error" for the rest.
 */
const char *tk_srvlog_verdict(const struct tk_server_client_info *c);

/*
 * The JSON record of an ended connection, a new reference (the caller
 * decrefs).  NULL only without memory.
 */
json_t *tk_srvlog_json(const struct tk_srvlog_conf *conf,
    const struct tk_server_client_info *c);

/*
 * The text line of an ended connection on log, whatever conf->quiet
 * says: "PEER VERSION CIPHER group=G alpn=A [offered ...] in=N out=N
 * Tms ok" or "... error: STEP: MESSAGE".
 */
void tk_srvlog_text(const struct tk_srvlog_conf *conf,
    const struct tk_server_client_info *c, FILE *log);

/*
 * An ended connection as conf says: its JSON record as one line on out
 * (flushed), or its text line on log unless conf->quiet and it ended
 * cleanly.
 */
void tk_srvlog_connection(const struct tk_srvlog_conf *conf,
    const struct tk_server_client_info *c, FILE *out, FILE *log);

#endif
