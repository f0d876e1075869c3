#!/usr/bin/env bash
# Idle TLS connections held at once (issue 8, item 4): RSS per connection
# of tls-echo-server (--workers 1, default --max-connections 10000) against
# gnutls-serv --echo.  For each server: start it, read VmRSS and the open
# fds from /proc/PID, open N TLS 1.3 connections with bench/hold.py (full
# handshakes, certificate verified, 64 in flight) and hold them idle, read
# VmRSS and the fds again while they are held, then drop them and stop the
# server.  RSS per connection = (VmRSS held - VmRSS at start) / connections
# held.  gnutls-serv serves with select(), which cannot watch an fd above
# FD_SETSIZE (1024): what it reaches is recorded, and when it does not
# survive the ramp its RSS per connection is taken from a second run of
# FALLBACK_N (1000) connections.
#
# Usage: bench/idle.sh [N]     (default 10000)
#   TK_BUILD: build dir (default build/); SAMPLES_OUT: also append samples
#   (kind idle, server, N, metric, value) to this TSV, as bench/run.sh does.
# Both servers get an fd limit of N + 100, so that gnutls-serv is bounded
# by its own design and not by ulimit.  Bounded: each ramp by `timeout`
# (RAMP_SECS, default 120), the whole script by DEADLINE (default 400 s).
set -euo pipefail

BENCH_NAME=idle
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
N=${1:-10000}
FALLBACK_N=${FALLBACK_N:-1000}
RAMP_SECS=${RAMP_SECS:-120}
DEADLINE=${DEADLINE:-400}
SAMPLES_OUT=${SAMPLES_OUT:-}
DIR=$BENCH_DIR
SPID=""
HPID=""

bench_count N "$N" 1 50000
[[ -x $SERVER ]] || bench_die "tlskit is not built in $TK_BUILD"
bench_need gnutls-serv

# the servers inherit this limit (root may raise the hard one)
need=$((N + 100))
if (($(ulimit -Sn) < need)); then
	if (($(ulimit -Hn) < need)); then
		ulimit -Hn "$need" 2>/dev/null ||
		    bench_die "fd hard limit $(ulimit -Hn) < $need and cannot be raised"
	fi
	ulimit -Sn "$need"
fi

sample() {
	[[ -z $SAMPLES_OUT ]] || printf 'idle\t%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES_OUT"
}

nfds() {
	{ find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null || true; } |
	    wc -l
}

# start NAME: starts the server, sets SPID and PORT
start() {
	local i

	case $1 in
	tlskit)
		bench_spawn srv "$SERVER" -q --workers 1 -l 127.0.0.1:0 \
		    --cert "$TD/localhost-ecdsa-chain.pem" \
		    --key "$TD/localhost-ecdsa.key"
		SPID=$BENCH_PID
		bench_ready srv
		PORT=$BENCH_PORT
		return 0
		;;
	gnutls-serv)
		PORT=$(bench_free_port)
		bench_spawn srv gnutls-serv --echo -q --noticket -p "$PORT" \
		    --x509certfile "$TD/localhost-ecdsa-chain.pem" \
		    --x509keyfile "$TD/localhost-ecdsa.key"
		SPID=$BENCH_PID
		for ((i = 0; i < 200; i++)); do
			if timeout 1 bash -c ": </dev/tcp/127.0.0.1/$PORT" \
			    2>/dev/null; then
				sleep 0.1 # let it settle after that probe
				return 0
			fi
			bench_gone "$SPID" && break
			sleep 0.05
		done
		;;
	esac
	bench_die "$1 did not start: $(head -c 500 "$DIR/srv.err")"
}

# measure NAME N: one ramp and hold; sets HELD REACHED ALIVE DIEDMSG RSS0
# RSS1 FD0 FD1 SECS
# (not in a subshell, so that the EXIT trap knows SPID and HPID)
measure() {
	local name=$1 n=$2 i line err

	bench_deadline
	start "$name"
	RSS0=$(bench_rss_kb "$SPID")
	FD0=$(nfds "$SPID")
	ALIVE=1
	: >"$DIR/hold.out"
	timeout "$((RAMP_SECS + 30))" python3 bench/hold.py --port "$PORT" \
	    --ca "$TD/ca.crt" --n "$n" --hold "$((RAMP_SECS + 20))" \
	    --timeout 20 </dev/null >"$DIR/hold.out" 2>"$DIR/hold.err" &
	HPID=$!
	BENCH_PIDS+=("$HPID")
	for ((i = 0; i < RAMP_SECS * 10; i++)); do
		line=$(head -n 1 "$DIR/hold.out")
		[[ -n $line ]] && break
		bench_gone "$HPID" && break
		sleep 0.1
	done
	[[ -n $line ]] || bench_die "hold.py gave no result: $(tail -c 500 "$DIR/hold.err")"
	bench_gone "$SPID" && ALIVE=0
	RSS1=$(bench_rss_kb "$SPID")
	FD1=$(nfds "$SPID")
	HELD=$(jq '.held' <<<"$line")
	REACHED=$(jq '.established' <<<"$line")
	DIEDMSG=""
	# glibc's fortified FD_SET aborts with "*** buffer overflow detected"
	((ALIVE)) || DIEDMSG=$(grep -m 1 -F '***' "$DIR/srv.err" ||
	    tail -n 1 "$DIR/srv.err")
	SECS=$(jq '.secs' <<<"$line")
	err=$(jq -r '.first_error // ""' <<<"$line")
	bench_stop "$HPID"
	HPID=""
	bench_stop "$SPID"
	SPID=""
	RSS0=${RSS0:-0}
	RSS1=${RSS1:-0}
	[[ -z $err ]] || echo "idle: $name, $n attempted: first error $err" >&2
}

per_conn() {
	awk -v a="$1" -v b="$2" -v n="$3" \
	    'BEGIN { if (n > 0 && b > 0) printf "%.1f", (b - a) / n; else print "-" }'
}

echo "idle: $N connections each; fd limit $(ulimit -Sn)" >&2
for name in tlskit gnutls-serv; do
	measure "$name" "$N"
	sample "$name" "$N" held "$HELD"
	sample "$name" "$N" reached "$REACHED"
	sample "$name" "$N" alive "$ALIVE"
	sample "$name" "$N" ramp_s "$SECS"
	printf '%-12s %5d of %d held (ramp %s s), server %s; VmRSS %s -> %s kB, fds %s -> %s' \
	    "$name" "$HELD" "$N" "$SECS" \
	    "$( ((ALIVE)) && echo alive || echo DIED)" \
	    "$RSS0" "$RSS1" "$FD0" "$FD1"
	if ((ALIVE && HELD > 0)); then
		kb=$(per_conn "$RSS0" "$RSS1" "$HELD")
		sample "$name" "$N" rss_kib_per_conn "$kb"
		sample "$name" "$N" rss_at "$HELD"
		printf ': %s KiB per connection\n' "$kb"
		continue
	fi
	printf '\n'
	[[ -z $DIEDMSG ]] || echo "$name died after $REACHED handshakes: $DIEDMSG"
	measure "$name" "$FALLBACK_N"
	if ((ALIVE && HELD > 0)); then
		kb=$(per_conn "$RSS0" "$RSS1" "$HELD")
		sample "$name" "$N" rss_kib_per_conn "$kb"
		sample "$name" "$N" rss_at "$HELD"
		printf '%-12s %5d of %d held: VmRSS %s -> %s kB: %s KiB per connection\n' \
		    "$name" "$HELD" "$FALLBACK_N" "$RSS0" "$RSS1" "$kb"
	fi
done
