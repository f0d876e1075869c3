# tls-scan's peers (issue #15): six differently configured TLS servers on
# free loopback ports, the three other scanners run against them (sslscan,
# testssl.sh, nmap's ssl-enum-ciphers), and normalizers that turn each
# tool's report, and tls-scan's JSON, into one form that diff compares:
#
#   versions: one accepted version a line, sorted: "TLS1.2"
#   suites:   one accepted suite a line, sorted: "TLS1.2 0xC02F" (SSL 2.0
#             kinds with their 3-byte code: "SSL2.0 0x0700C0")
#
# Version names are tls-scan's (SSL2.0, SSL3.0, TLS1.0 ... TLS1.3) and
# codes are upper-case hex with 4 digits (6 for SSL 2.0).
#
# Every server is started with tk_spawn (setsid, logs, stopped by PID by
# tk_stop_servers) and each tk_scan_start_NAME sets PORT.  Part of
# tests/lib.bash, which sources it.

TK_SCAN=$TK_BUILD/tools/tls-scan
TK_SCAN_PRIO='NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:+ARCFOUR-128:+DHE-RSA:+SHA1:%SERVER_PRECEDENCE'

# --- the six servers ---------------------------------------------------------

# tk_scan_start_nginx_pref NAME: nginx, TLS 1.2 and 1.3, a chosen list in
# the server's order, RSA and ECDSA certificates
# (tests/peers/nginx-scan-pref.conf.in).
tk_scan_start_nginx_pref() {
	TK_NGINX_TEMPLATE=$TK_PEERS/nginx-scan-pref.conf.in tk_start_nginx "$1"
}

# tk_scan_start_nginx_legacy NAME: nginx, TLS 1.0 to 1.3, DEFAULT at
# security level 0 in the client's order, DHE 2048, RSA only
# (tests/peers/nginx-scan-legacy.conf.in).
tk_scan_start_nginx_legacy() {
	TK_NGINX_TEMPLATE=$TK_PEERS/nginx-scan-legacy.conf.in tk_start_nginx "$1"
}

# tk_scan_start_openssl_legacy NAME: openssl s_server with every suite
# OpenSSL 3 has at security level 0 (ALL: anonymous DH and ECDH too, not
# NULL), TLS 1.0 to 1.2 (no TLS 1.3), DHE with the 1024-bit group.
tk_scan_start_openssl_legacy() {
	tk_start_openssl "$1" -cipher 'ALL:@SECLEVEL=0' -no_tls1_3 \
	    -dhparam "$TESTDATA/dh1024.pem"
}

# tk_scan_start_gnutls_legacy NAME: gnutls-serv with TK_SCAN_PRIO (TLS 1.0
# to 1.3, 3DES, RC4, DHE-RSA and SHA-1 MACs added, the server's order) and
# the 1024-bit DH group.
tk_scan_start_gnutls_legacy() {
	tk_start_gnutls "$1" --priority "$TK_SCAN_PRIO" \
	    --dhparams "$TESTDATA/dh1024.pem"
}

# tk_scan_start_echo NAME: tls-echo-server with its defaults (GnuTLS 3.7's
# NORMAL: TLS 1.0 to 1.3; DHE only with an RFC 7919 group the client
# offers, as no --dh-params is given).
tk_scan_start_echo() {
	tk_start_echo "$1" -q
}

# tk_scan_start_smtp NAME: tls-echo-server's SMTP side (STARTTLS), with
# its defaults otherwise.
tk_scan_start_smtp() {
	tk_start_echo "$1" -q --starttls smtp
}

# --- the peers, run once per server -----------------------------------------

# Each runner below writes the tool's report to OUT and its stdout and
# stderr to OUT.txt, and fails (status) when the report lists no suite.

# tk_scan_run_sslscan OUT PORT [smtp]: sslscan's XML report of 127.0.0.1:PORT
# in OUT (bounded: timeout 120).
tk_scan_run_sslscan() {
	local out=$1 port=$2 st=()

	[[ ${3:-} == smtp ]] && st=(--starttls-smtp)
	timeout 120 sslscan --no-colour --no-heartbleed --no-fallback \
	    "${st[@]}" --xml="$out" "127.0.0.1:$port" >"$out.txt" 2>&1 &&
	    grep -q '<cipher ' "$out"
}

# tk_scan_run_testssl OUT PORT [smtp]: testssl.sh's JSON (-p protocols, -E
# suites per protocol, its own sockets for what OpenSSL lacks) of
# 127.0.0.1:PORT in OUT (bounded: timeout 300).  --warnings off: no
# question on stdin; --ip one and --nodns min: no DNS for a literal.
tk_scan_run_testssl() {
	local out=$1 port=$2 st=()

	[[ ${3:-} == smtp ]] && st=(-t smtp)
	rm -f "$out"
	timeout 300 testssl --quiet --color 0 --warnings off \
	    --openssl /usr/bin/openssl --ip one --nodns min \
	    "${st[@]}" -p -E --jsonfile "$out" "127.0.0.1:$port" \
	    >"$out.txt" 2>&1
	jq -e 'any(.[]; .id | startswith("cipher-"))' "$out" >/dev/null 2>&1
}

# tk_scan_run_nmap OUT PORT [smtp]: nmap ssl-enum-ciphers' XML of
# 127.0.0.1:PORT in OUT (bounded: timeout 120).
tk_scan_run_nmap() {
	local out=$1 port=$2 st=()

	[[ ${3:-} == smtp ]] && st=(--script-args tls.servicename=smtp)
	timeout 120 nmap -Pn -n -p "$port" --script ssl-enum-ciphers \
	    "${st[@]}" -oX "$out" 127.0.0.1 >"$out.txt" 2>&1 &&
	    grep -q '<elem key="name">' "$out"
}

# tk_scan_run_tlsscan OUT PORT [smtp]: tls-scan --json of 127.0.0.1:PORT in
# OUT, its stderr in OUT.txt and its exit status in OUT.rc (bounded:
# timeout 120); fails when OUT is not one JSON object.
tk_scan_run_tlsscan() {
	local out=$1 port=$2 st=() rc=0

	[[ ${3:-} == smtp ]] && st=(--starttls smtp)
	timeout 120 "$TK_SCAN" --json --ca "$TK_CA" "${st[@]}" \
	    "127.0.0.1:$port" >"$out" 2>"$out.txt" || rc=$?
	echo "$rc" >"$out.rc"
	jq -e 'type == "object"' "$out" >/dev/null 2>&1
}

# tk_scan_all DIR NAME PORT [smtp]: every scanner (tls-scan, sslscan,
# testssl.sh, nmap) against one server, concurrently, then their
# normalized versions and suites in DIR/NAME.TOOL.versions and .suites,
# TOOL one of tlsscan, sslscan, testssl, nmap; a tool that failed leaves
# DIR/NAME.TOOL.failed (its log: DIR/NAME.TOOL.out.txt); nmap is not run
# against a STARTTLS server.  Bounded by the
# runners' timeouts.  Runs in the background of setup_file: fd 3 closed.
tk_scan_all() {
	local dir=$1 name=$2 port=$3 proto=${4:-} t pids=()

	for t in tlsscan sslscan testssl nmap; do
		# nmap speaks STARTTLS only on ports it knows (tests/scan-peers.bats)
		[[ $t == nmap && $proto == smtp ]] && continue
		(
			local f=$dir/$name.$t
			rm -f "$f.failed"
			if "tk_scan_run_$t" "$f.out" "$port" ${proto:+"$proto"}; then
				"tk_scan_${t}_versions" "$f.out" >"$f.versions"
				"tk_scan_${t}_suites" "$f.out" >"$f.suites"
			else
				: >"$f.failed"
			fi
		) 3>&- &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# --- normalizers -------------------------------------------------------------

# tk_scan_sslscan_versions XML / tk_scan_sslscan_suites XML
tk_scan_sslscan_versions() {
	sed -n 's/^ *<protocol type="\(ssl\|tls\)" version="\([0-9.]*\)" enabled="1".*/\1 \2/p' "$1" |
	    awk '{ v = $2 ~ /\./ ? $2 : $2 ".0"; print toupper($1) v }' | sort -u
}

tk_scan_sslscan_suites() {
	sed -n 's/^ *<cipher status="[a-z]*" sslversion="\([^"]*\)".* id="\([^"]*\)".*/\1 \2/p' "$1" |
	    awk '{
		v = $1; sub(/v/, "", v)
		if (v !~ /\./) v = v ".0"
		c = $2; sub(/^0[xX]/, "", c); c = toupper(c)
		w = v == "SSL2.0" ? 6 : 4
		while (length(c) < w) c = "0" c
		print v " 0x" c
	    }' | sort -u
}

# tk_scan_testssl_versions JSON / tk_scan_testssl_suites JSON: its ids
# SSLv2 ... TLS1_3 ("offered ...") and cipher-tls1_2_xc02f.
tk_scan_testssl_versions() {
	jq -r '.[] | select(.id | test("^(SSLv[23]|TLS1(_[123])?)$"))
	    | select(.finding | startswith("offered")) | .id' "$1" |
	    awk '{
		if ($0 == "SSLv2") print "SSL2.0"
		else if ($0 == "SSLv3") print "SSL3.0"
		else if ($0 == "TLS1") print "TLS1.0"
		else { sub(/_/, "."); print }
	    }' | sort -u
}

tk_scan_testssl_suites() {
	jq -r '.[] | .id | select(test("^cipher-(ssl[23]|tls1(_[123])?)_x[0-9a-fA-F]+$"))' "$1" |
	    awk '{
		split(substr($0, 8), a, "_x")
		p = a[1]; c = toupper(a[2])
		if (p == "ssl2") v = "SSL2.0"
		else if (p == "ssl3") v = "SSL3.0"
		else if (p == "tls1") v = "TLS1.0"
		else { v = toupper(p); sub(/_/, ".", v) }
		w = v == "SSL2.0" ? 6 : 4
		while (length(c) < w) c = "0" c
		print v " 0x" c
	    }' | sort -u
}

# tk_scan_nmap_versions XML / tk_scan_nmap_suites XML: its tables
# TLSv1.0 ... with IANA names, coded through scripts/suites-iana.txt
# (nmap 7.93 names the TLS 1.3 suites TLS_AKE_WITH_*: the draft's names).
tk_scan_nmap_versions() {
	grep -o '<table key="\(SSLv[23]\|TLSv1\.[0-3]\)">' "$1" |
	    sed -e 's/^<table key="//' -e 's/">$//' -e 's/v//' \
	    -e 's/^SSL\([23]\)$/SSL\1.0/' | sort -u
}

tk_scan_nmap_suites() {
	awk '
	    FNR == NR { if ($1 ~ /^0x/) code[$2] = $1; next }
	    /<table key="(SSLv[23]|TLSv1\.[0-3])">/ {
		    v = $0; sub(/.*key="/, "", v); sub(/".*/, "", v); sub(/v/, "", v)
		    if (v !~ /\./) v = v ".0"
	    }
	    /<elem key="name">/ {
		    n = $0; sub(/.*<elem key="name">/, "", n); sub(/<.*/, "", n)
		    sub(/^TLS_AKE_WITH_/, "TLS_", n)
		    if (n in code) { c = code[n]; sub(/^0x/, "", c); print v " 0x" toupper(c) }
		    else print v " ?" n
	    }' "$TK_SRC/scripts/suites-iana.txt" "$1" | sort -u
}

# tk_scan_nmap_order XML: "VERSION server|client" per version (nmap's
# "cipher preference"), then for each version in the server's order its
# suites in that order, "VERSION CODE" (nmap lists them in the server's
# order when it found one).
tk_scan_nmap_order() {
	awk '
	    FNR == NR { if ($1 ~ /^0x/) code[$2] = $1; next }
	    /<table key="(SSLv[23]|TLSv1\.[0-3])">/ {
		    v = $0; sub(/.*key="/, "", v); sub(/".*/, "", v); sub(/v/, "", v)
		    if (v !~ /\./) v = v ".0"
		    n = 0
	    }
	    /<elem key="name">/ {
		    s = $0; sub(/.*<elem key="name">/, "", s); sub(/<.*/, "", s)
		    sub(/^TLS_AKE_WITH_/, "TLS_", s)
		    c = s in code ? code[s] : "?" s
		    sub(/^0x/, "", c); list[v, ++n] = "0x" toupper(c); cnt[v] = n
	    }
	    /<elem key="cipher preference">/ {
		    p = $0; sub(/.*">/, "", p); sub(/<.*/, "", p)
		    print v, p
		    if (p == "server") for (i = 1; i <= cnt[v]; i++) print v, list[v, i]
	    }' "$TK_SRC/scripts/suites-iana.txt" "$1"
}

# tk_scan_tlsscan_order JSON: the same from tls-scan's "suites":
# "VERSION server|client", then the server's order when it has one.
tk_scan_tlsscan_order() {
	jq -r '.suites | to_entries[] | .key as $v
	    | "\($v) \(if .value.server_order then "server" else "client" end)",
	      (if .value.server_order then .value.accepted[] | "\($v) \(.code)"
	       else empty end)' "$1" |
	    awk '{ c = $2; if (c ~ /^0[xX]/) { sub(/^0[xX]/, "", c); c = "0x" toupper(c) }; print $1, c }'
}

# tk_scan_tlsscan_versions JSON / tk_scan_tlsscan_suites JSON: tls-scan's
# "protocols" (true only) and "suites".VERSION.accepted[].code.
tk_scan_tlsscan_versions() {
	jq -r '.protocols | to_entries[] | select(.value == true) | .key' "$1" |
	    sort -u
}

tk_scan_tlsscan_suites() {
	jq -r '.suites | to_entries[] | .key as $v | .value.accepted[]
	    | "\($v) \(.code)"' "$1" |
	    awk '{
		c = $2; sub(/^0[xX]/, "", c); c = toupper(c)
		w = $1 == "SSL2.0" ? 6 : 4
		while (length(c) < w) c = "0" c
		print $1 " 0x" c
	    }' | sort -u
}

# tk_scan_count_by_version FILE: "VERSION N" per version of a suites
# file (for the agreement table).
tk_scan_count_by_version() {
	awk '{ n[$1]++ } END { for (v in n) print v, n[v] }' "$1" | sort
}

# tk_scan_diff A B ALLOW: the normalized files A and B differ by exactly
# the lines of ALLOW, each "< LINE" (only in A) or "> LINE" (only in B):
# an unexplained difference fails, and so does an explained one that no
# longer occurs (the explanation is stale).  ALLOW may be empty.
tk_scan_diff() {
	local a=$1 b=$2 allow got

	[[ -s $a ]] || fail "$a is empty"
	[[ -s $b ]] || fail "$b is empty"
	allow=$(printf '%s\n' "$3" | sed -e 's/^[[:space:]]*//' -e '/^$/d' | sort -u)
	got=$(diff "$a" "$b" | grep '^[<>] ' | sort -u) || true
	[[ $got == "$allow" ]] ||
	    fail "$(basename "$a") vs $(basename "$b"): unexplained:
$(comm -23 <(printf '%s\n' "$got") <(printf '%s\n' "$allow"))
explained but not seen:
$(comm -13 <(printf '%s\n' "$got") <(printf '%s\n' "$allow"))"
}
