#!/usr/bin/env bash
# valgrind memcheck over a client and server smoke test: tls-echo-server
# under valgrind, three tls-echo-client echoes, a tls-check-cert and a
# tls-alpn-probe against it (each under valgrind), then SIGTERM the server.
# Any memcheck error or definite leak fails (exit 99 from valgrind).
#   bash scripts/valgrind.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
b=${1:-build}
td=testdata
tmp=$(mktemp -d)
srv=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	if [ -n "$srv" ] && kill -0 "$srv" 2>/dev/null; then
		kill -KILL "$srv" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite
    --error-exitcode=99)
"${vg[@]}" --log-file="$tmp/server.vg" "$b/tools/tls-echo-server" \
    --listen 127.0.0.1:0 --cert "$td/localhost-rsa-chain.pem" \
    --key "$td/localhost-rsa.key" --alpn h2,http/1.1 \
    </dev/null >"$tmp/server.out" 2>"$tmp/server.err" 3>&- &
srv=$!
port=""
for _ in $(seq 1 300); do
	port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/server.out")
	[ -n "$port" ] && break
	kill -0 "$srv" 2>/dev/null || { cat "$tmp/server.err" "$tmp/server.vg"; exit 1; }
	sleep 0.1
done
[ -n "$port" ] || { echo "valgrind.sh: server not ready in 30 s" >&2; exit 1; }
fail=0
run() {
	local name=$1 want=$2 rc=0
	shift 2
	timeout 120 "${vg[@]}" --log-file="$tmp/$name.vg" "$@" \
	    >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "valgrind.sh: $name exited $rc, want $want" >&2
		cat "$tmp/$name.err" "$tmp/$name.vg" >&2
		fail=1
	else
		echo "$name: ok (exit $rc, no memcheck errors)"
	fi
}
for i in 1 2 3; do
	run "echo$i" 0 "$b/tools/tls-echo-client" --ca "$td/ca.crt" \
	    --hostname localhost -m "hello $i" "127.0.0.1:$port"
done
run check 0 "$b/tools/tls-check-cert" --ca "$td/ca.crt" \
    --hostname localhost "127.0.0.1:$port"
run alpn 0 "$b/tools/tls-alpn-probe" --ca "$td/ca.crt" \
    --hostname localhost --alpn h2,http/1.1 "127.0.0.1:$port"
kill -TERM "$srv"
rc=0
for _ in $(seq 1 300); do
	kill -0 "$srv" 2>/dev/null || break
	sleep 0.1
done
wait "$srv" || rc=$?
srv=""
if [ "$rc" -ne 0 ]; then
	echo "valgrind.sh: server exited $rc after SIGTERM" >&2
	cat "$tmp/server.err" "$tmp/server.vg" >&2
	fail=1
else
	echo "server: ok (exit 0 after SIGTERM, no memcheck errors)"
fi
exit $fail
