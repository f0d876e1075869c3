/*
 * tls-check-cert's pipeline for one target: connect (tk_conn), judge the
 * served chain (served), --fix-chain (fixfetch) and --all-addresses
 * (addrgroup: every address of the name, then the comparison).  The
 * outcome is one result, or one per address; the caller renders them.
 */
#ifndef TK_CHECKTARGET_H
#define TK_CHECKTARGET_H

#include "addrgroup.h"
#include "fixfetch.h"
#include "result.h"
#include "served.h"
#include "tool.h"

struct tk_checktarget;

/* One connection's outcome: the target, or one address of it. */
struct tk_check {
	struct tk_result r;
	struct tk_served served;      /* the chain as served */
	bool grouped;                 /* one of the addresses of a name */
	/* the pipeline's own */
	struct tk_checktarget *ct;
	struct tk_target target;
	struct tk_conn *conn;
	struct tk_fixfetch *fx;
};

struct tk_checktarget_conf {
	const struct tk_tool_ctx *t;  /* options, loop, creds (borrowed) */
	const char *tool;             /* for the results */
	/* --fix-chain (borrowed); NULL: not asked */
	const struct tk_fixfetch_conf *fix;
};

/* Embedded in its owner, zeroed before tk_checktarget_start(). */
struct tk_checktarget {
	const struct tk_checktarget_conf *conf;
	const char *starttls;
	struct tk_check one;
	struct tk_addrgroup group;
	struct tk_check *addrs;       /* --all-addresses, owned */
	size_t naddrs, pending;
	char vhost[TK_NAME_BUF];      /* the name the addresses are for */
	void (*done)(void *arg);
	void *arg;
	bool file;                    /* --file: done stops the loop */
};

/*
 * Starts the target text (as given, checked by tk_target_parse already,
 * living until the release).  done(arg) runs once, maybe before this
 * returns, when every result is final.
 */
void tk_checktarget_start(struct tk_checktarget *ct,
    const struct tk_checktarget_conf *conf, const char *text,
    void (*done)(void *arg), void *arg);

/*
 * --file: judges the chain file at path (--hostname: t's) and, with
 * --fix-chain, runs the AIA fetches on t's loop until they end.  0, or
 * -1 with err (USAGE for an unreadable file, or the loop's failure).
 */
int tk_checktarget_file(struct tk_checktarget *ct,
    const struct tk_checktarget_conf *conf, const char *path,
    struct tk_err *err);

/* The results, after done: one, or one per address of the name. */
size_t tk_checktarget_count(const struct tk_checktarget *ct);
struct tk_check *tk_checktarget_result(struct tk_checktarget *ct, size_t i);

/* Stops what runs and frees what ct holds. */
void tk_checktarget_release(struct tk_checktarget *ct);

#endif
