#!/usr/bin/env bash
# The demo: a tlskit echo server on 127.0.0.1 with the test certificates,
# the client tools against it, real output, then the server is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh demo
bash scripts/build.sh

B=build/tools
T=testdata
work=$(mktemp -d)
srv="" smtp=""
trap 'kill $srv $smtp 2>/dev/null || true; rm -rf "$work"' EXIT

run() {
	printf '\n$ %s\n' "$*"
	set +e
	"$@"
	printf '(exit %d)\n' $?
	set -e
}

$B/tls-echo-server --cert $T/localhost-ecdsa-chain.pem \
    --key $T/localhost-ecdsa.key --listen 127.0.0.1:0 --alpn h2,http/1.1 \
    </dev/null >"$work/out" 2>"$work/err" &
srv=$!
for _ in $(seq 100); do
	grep -q '^listening on' "$work/out" 2>/dev/null && break
	sleep 0.05
done
addr=$(sed -n 's/^listening on //p' "$work/out" | head -n 1)
port=${addr##*:}
echo "demo server: $(cat "$work/out")"

run $B/tls-echo-client --ca $T/ca.crt --alpn http/1.1,h2 -v \
    --message "hello through TLS" "localhost:$port"
run $B/tls-echo-client --ca $T/ca.crt --hostname wrong.example.com \
    --message "not sent" "127.0.0.1:$port"
run $B/tls-echo-client --ca $T/ca.crt --count 200 --size 16384 \
    "localhost:$port"
printf '\n$ tls-echo-client --json ... | jq .tls\n'
$B/tls-echo-client --ca $T/ca.crt --json --message json "localhost:$port" |
    jq .tls
run $B/tls-check-cert --ca $T/ca.crt --warn-days 30 "localhost:$port"
run $B/tls-alpn-probe --ca $T/ca.crt --each --order \
    --alpn h2,http/1.1,spdy/3 "localhost:$port"

# a second server speaking SMTP until STARTTLS, for tls-starttls
$B/tls-echo-server --cert $T/localhost-rsa-chain.pem \
    --key $T/localhost-rsa.key --listen 127.0.0.1:0 --starttls smtp \
    </dev/null >"$work/smtp.out" 2>"$work/smtp.err" &
smtp=$!
for _ in $(seq 100); do
	grep -q '^listening on' "$work/smtp.out" 2>/dev/null && break
	sleep 0.05
done
sport=$(sed -n 's/^listening on .*://p' "$work/smtp.out" | head -n 1)
run $B/tls-starttls --ca $T/ca.crt -v --check-injection "smtp://localhost:$sport"
# what the server's configuration accepts, after its STARTTLS
run $B/tls-scan --ca $T/ca.crt "smtp://localhost:$sport"
kill -TERM "$smtp"
wait "$smtp" || true

kill -TERM "$srv"
wait "$srv" || true
printf '\nserver log (one line per connection):\n'
cat "$work/err"
