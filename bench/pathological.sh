#!/usr/bin/env bash
# Wall time of tls-check-cert --file on hostile chains, against `openssl
# verify` on the same files, in the same run:
#
#   wildcards      a leaf with 20 000 wildcard dNSName SANs (19 000 varied
#                  "*.aN.example.co.uk"-like names and 1 000 "*.co.uk"),
#                  signed by a test root, checked for x.nomatch.example,
#                  which none of them matches: the whole list is scanned;
#   psl-wildcards  a leaf with 20 000 wildcards over the public suffix
#                  co.uk ("*.co.uk" in 16 letter cases), checked for
#                  x.co.uk: every one of them covers the name, so each is
#                  refused only after a public-suffix look-up (before the
#                  fix of 2026-12: a read of the whole list file each);
#   idn-wildcards  the same with the IDN suffix 公司.cn ("*.xn--55qx5d.cn",
#                  mixed case), checked for x.xn--55qx5d.cn: a look-up for
#                  an A-label also converts every non-ASCII rule of the list;
#   uri-nc         an intermediate CA whose nameConstraints permit 8 000 URI
#                  subtrees (".hostN.example") and a leaf under it with
#                  8 000 URI SANs (https://www.hostN.example/, each inside
#                  its own subtree) and one DNS SAN, www.host0.example,
#                  the name checked.
#
# The inputs are made at run time in a temporary directory (never kept):
# /usr/bin/python3 writes the openssl configuration files (long
# subjectAltName and nameConstraints sections), openssl makes ECDSA P-256
# keys and signs the certificates (valid from now for 365 days); each file
# is parsed back with `openssl x509 -noout`, its names are counted, and it
# must stay under tls-check-cert's 4 MiB file cap.
#
# Each tool runs REPS times (default 3) on each input, interleaved (rep
# after rep, input after input, tool after tool), timed by bash's
# $EPOCHREALTIME; the table gives the medians, tlskit's ratio to openssl
# verify, every exit code seen and the reason of each verdict
# (tls-check-cert --json: .reason; openssl verify: its first "error N"
# line, or OK).  Exit codes are reported, not judged.
#
# Usage: bench/pathological.sh [REPS] [TKBIN]
#   REPS   1 to 20 (default 3)
#   TKBIN  the tls-check-cert to measure (default build/tools/tls-check-cert)
#   TK_BEFORE=/path/to/older/tls-check-cert: measure it too, interleaved,
#          and print it side by side (with the before / after speed-up)
#   DEADLINE: seconds for the whole run (default 600); a run that would
#          pass it gets only the time left, then the run stops and the
#          table is printed from the samples taken so far (and says so)
# Bounded: every command under `timeout` (120 s per run, less when
# DEADLINE is nearer); a run cut by its timeout counts as its timeout (a
# lower bound, marked ">=").  The tools run one at a time, each
# single-threaded: one core of the two.
set -euo pipefail

BENCH_NAME=pathological
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
REPS=${1:-3}
TKBIN=${2:-$CHECK}
TK_BEFORE=${TK_BEFORE:-}
DEADLINE=${DEADLINE:-600}
PY=/usr/bin/python3
RUN_TIMEOUT=120
FILE_CAP=$((4 << 20))    # TK_FILE_MAX in lib/creds.h
DIR=$BENCH_DIR

bench_count REPS "$REPS" 1 20
if ! [[ $DEADLINE =~ ^[0-9]+$ ]] || ((DEADLINE < 1)); then
	bench_die "DEADLINE must be a number of seconds"
fi
[[ $TKBIN == /* ]] || TKBIN=$SRC/$TKBIN
[[ -x $TKBIN ]] || bench_die "$TKBIN is not built"
if [[ -n $TK_BEFORE ]]; then
	[[ $TK_BEFORE == /* ]] || TK_BEFORE=$SRC/$TK_BEFORE
	[[ -x $TK_BEFORE ]] || bench_die "TK_BEFORE=$TK_BEFORE is not executable"
fi
[[ -x $PY ]] || bench_die "$PY is missing"
bench_need openssl jq timeout

# ---- inputs ------------------------------------------------------------

# the openssl extension sections of the six certificates (root.ext, wild.ext,
# psl.ext, idn.ext, nc-ca.ext, uri.ext)
"$PY" - "$DIR" <<'EOF'
import sys

d = sys.argv[1]

with open(d + "/root.ext", "w") as f:
    f.write("[ext]\n"
            "basicConstraints = critical, CA:TRUE\n"
            "keyUsage = critical, keyCertSign, cRLSign\n"
            "subjectKeyIdentifier = hash\n")

# 1: 20 000 wildcard dNSNames; every 20th is *.co.uk (a public suffix)
with open(d + "/wild.ext", "w") as f:
    f.write("[ext]\n"
            "basicConstraints = critical, CA:FALSE\n"
            "keyUsage = critical, digitalSignature\n"
            "extendedKeyUsage = serverAuth\n"
            "subjectKeyIdentifier = hash\n"
            "authorityKeyIdentifier = keyid\n"
            "subjectAltName = @alt\n"
            "[alt]\n")
    tlds = ("example.co.uk", "example.com", "shop.example.org.uk",
            "example.net")
    for i in range(20000):
        if i % 20 == 19:
            name = "*.co.uk"
        else:
            name = "*.a%d.%s" % (i, tlds[i % len(tlds)])
        f.write("DNS.%d = %s\n" % (i, name))

def cases(base, i):
    # bit k of i upper-cases the k-th letter of base: 16+ spellings
    out, k = [], 0
    for ch in base:
        if ch.isalpha():
            out.append(ch.upper() if (i >> k) & 1 else ch)
            k += 1
        else:
            out.append(ch)
    return "".join(out)

# 1b, 1c: 20 000 wildcards whose base is the parent of the name checked
for fname, base in (("psl.ext", "co.uk"), ("idn.ext", "xn--55qx5d.cn")):
    with open(d + "/" + fname, "w") as f:
        f.write("[ext]\n"
                "basicConstraints = critical, CA:FALSE\n"
                "keyUsage = critical, digitalSignature\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectKeyIdentifier = hash\n"
                "authorityKeyIdentifier = keyid\n"
                "subjectAltName = @alt\n"
                "[alt]\n")
        for i in range(20000):
            f.write("DNS.%d = *.%s\n" % (i, cases(base, i % 16)))

# 2: an intermediate permitting 8 000 URI subtrees, a leaf with 8 000 URIs
with open(d + "/nc-ca.ext", "w") as f:
    f.write("[ext]\n"
            "basicConstraints = critical, CA:TRUE, pathlen:0\n"
            "keyUsage = critical, keyCertSign, cRLSign\n"
            "subjectKeyIdentifier = hash\n"
            "authorityKeyIdentifier = keyid\n"
            "nameConstraints = critical, @nc\n"
            "[nc]\n")
    for i in range(8000):
        f.write("permitted;URI.%d = .host%d.example\n" % (i, i))
with open(d + "/uri.ext", "w") as f:
    f.write("[ext]\n"
            "basicConstraints = critical, CA:FALSE\n"
            "keyUsage = critical, digitalSignature\n"
            "extendedKeyUsage = serverAuth\n"
            "subjectKeyIdentifier = hash\n"
            "authorityKeyIdentifier = keyid\n"
            "subjectAltName = @alt\n"
            "[alt]\n"
            "DNS.0 = www.host0.example\n")
    for i in range(8000):
        f.write("URI.%d = https://www.host%d.example/\n" % (i, i))
EOF

T0=$SECONDS
# cert NAME SUBJECT EXTFILE CA: key + certificate NAME.{key,pem}, by CA
cert() {
	local name=$1 subj=$2 ext=$3 ca=$4

	timeout 60 openssl genpkey -algorithm EC \
	    -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/$name.key" 2>/dev/null ||
	    bench_die "openssl genpkey failed for $name"
	timeout 60 openssl req -new -key "$DIR/$name.key" -subj "$subj" \
	    -config /dev/null -out "$DIR/$name.csr" 2>"$DIR/$name.err" ||
	    bench_die "openssl req failed for $name: $(head -3 "$DIR/$name.err")"
	timeout 60 openssl x509 -req -in "$DIR/$name.csr" -CA "$DIR/$ca.pem" \
	    -CAkey "$DIR/$ca.key" -set_serial "0x$RANDOM$RANDOM" -days 365 \
	    -sha256 -extfile "$DIR/$ext" -extensions ext \
	    -out "$DIR/$name.pem" 2>"$DIR/$name.err" ||
	    bench_die "openssl x509 -req failed for $name: $(head -3 "$DIR/$name.err")"
}
echo "pathological: making the inputs in $DIR" >&2
# The root signs itself through x509 -req too, so that its extensions come
# from root.ext like the others'.
timeout 60 openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$DIR/root.key" 2>/dev/null || bench_die "openssl genpkey failed for root"
timeout 60 openssl req -new -key "$DIR/root.key" \
    -subj "/CN=pathological bench root" -config /dev/null \
    -out "$DIR/root.csr" 2>"$DIR/root.err" ||
    bench_die "openssl req failed for root: $(head -3 "$DIR/root.err")"
timeout 60 openssl x509 -req -in "$DIR/root.csr" -signkey "$DIR/root.key" \
    -days 365 -sha256 -set_serial 1 -extfile "$DIR/root.ext" -extensions ext \
    -out "$DIR/root.pem" 2>"$DIR/root.err" ||
    bench_die "openssl x509 -signkey failed for root: $(head -3 "$DIR/root.err")"
cert wild "/CN=wildcards.example.co.uk" wild.ext root
cert psl "/CN=psl-wildcards" psl.ext root
cert idn "/CN=idn-wildcards" idn.ext root
cert nc-ca "/CN=pathological bench URI-constrained CA" nc-ca.ext root
cert uri "/CN=www.host0.example" uri.ext nc-ca
cat "$DIR/uri.pem" "$DIR/nc-ca.pem" >"$DIR/uri-chain.pem"
for f in root wild psl idn nc-ca uri uri-chain; do
	timeout 60 openssl x509 -noout -in "$DIR/$f.pem" ||
	    bench_die "openssl x509 -noout cannot parse $f.pem"
	sz=$(stat -c %s "$DIR/$f.pem")
	((sz < FILE_CAP)) || bench_die "$f.pem is $sz bytes, over the 4 MiB cap"
done
for f in wild psl idn; do
	nsan=$(timeout 60 openssl x509 -noout -ext subjectAltName \
	    -in "$DIR/$f.pem" | grep -o 'DNS:\*\.' | wc -l)
	((nsan == 20000)) || bench_die "$f.pem has $nsan wildcards, not 20000"
done
nsan=$(timeout 60 openssl x509 -noout -ext subjectAltName -in "$DIR/uri.pem" |
    grep -o 'URI:' | wc -l)
((nsan == 8000)) || bench_die "uri.pem has $nsan URIs, not 8000"
nnc=$(timeout 60 openssl x509 -noout -ext nameConstraints -in "$DIR/nc-ca.pem" |
    grep -o 'URI:' | wc -l)
((nnc == 8000)) || bench_die "nc-ca.pem has $nnc URI subtrees, not 8000"
printf 'pathological: inputs made in %d s; bytes: %s\n' $((SECONDS - T0)) \
    "$(cd "$DIR" && stat -c '%n %s' wild.pem psl.pem idn.pem uri-chain.pem |
    paste -sd, -)" >&2

# input NAME -> chain file, openssl -untrusted file (or ""), host name
declare -A CHAIN=([wildcards]=wild.pem [psl-wildcards]=psl.pem
    [idn-wildcards]=idn.pem [uri-nc]=uri-chain.pem)
declare -A LEAF=([wildcards]=wild.pem [psl-wildcards]=psl.pem
    [idn-wildcards]=idn.pem [uri-nc]=uri.pem)
declare -A UNTRUSTED=([wildcards]="" [psl-wildcards]="" [idn-wildcards]=""
    [uri-nc]=nc-ca.pem)
declare -A HOST=([wildcards]=x.nomatch.example [psl-wildcards]=x.co.uk
    [idn-wildcards]=x.xn--55qx5d.cn [uri-nc]=www.host0.example)
declare -A LABEL=(
    [wildcards]="wildcards: 20 000 wildcard SANs, none matching"
    [psl-wildcards]="psl-wildcards: 20 000 × \`*.co.uk\`"
    [idn-wildcards]="idn-wildcards: 20 000 × \`*.xn--55qx5d.cn\`"
    [uri-nc]="uri-nc: 8 000 URI subtrees × 8 000 URI SANs")
INPUTS=(wildcards psl-wildcards idn-wildcards uri-nc)
TOOLS=(tlskit openssl)
[[ -z $TK_BEFORE ]] || TOOLS=(before tlskit openssl)

# run INPUT TOOL: one run; appends "µs rc" to DIR/INPUT.TOOL.runs and
# keeps its reason.  Returns 1 when DEADLINE leaves no time for it.
run() {
	local in=$1 tool=$2 left lim t0 t1 rc=0 bin reason
	local out=$DIR/$in.$tool.out

	left=$((DEADLINE - (SECONDS - START)))
	((left >= 1)) || return 1
	lim=$((left < RUN_TIMEOUT ? left : RUN_TIMEOUT))
	case $tool in
	tlskit | before)
		bin=$TKBIN
		[[ $tool == tlskit ]] || bin=$TK_BEFORE
		t0=$EPOCHREALTIME
		timeout "$lim" "$bin" --json --file "$DIR/${CHAIN[$in]}" \
		    --ca "$DIR/root.pem" --hostname "${HOST[$in]}" \
		    </dev/null >"$out" 2>"$out.err" || rc=$?
		t1=$EPOCHREALTIME
		# .reason, then the other reason codes: "name-mismatch
		# (+bad-wildcard)"
		reason=$(timeout 60 jq -r '(.reason // .verdict // "?") +
		    ([(.verification.reasons // [])[].code] | .[1:] |
		    if length > 0 then " (+" + join(", +") + ")" else "" end)' \
		    "$out" 2>/dev/null | head -1) || true
		[[ -n $reason ]] || reason="(no JSON: $(head -c 60 "$out.err" | head -1))"
		;;
	openssl)
		local untrusted=()

		[[ -z ${UNTRUSTED[$in]} ]] ||
		    untrusted=(-untrusted "$DIR/${UNTRUSTED[$in]}")
		t0=$EPOCHREALTIME
		timeout "$lim" openssl verify -CAfile "$DIR/root.pem" \
		    "${untrusted[@]}" -verify_hostname "${HOST[$in]}" \
		    "$DIR/${LEAF[$in]}" </dev/null >"$out" 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		reason=$(sed -n 's/^error \([0-9]*\) at [0-9]* depth lookup: \(.*\)$/\1 \2/p' \
		    "$out" | head -1)
		if [[ -z $reason ]] && grep -q ': OK$' "$out"; then
			reason=OK
		elif [[ -z $reason ]]; then
			reason=$(head -c 60 "$out" | head -1)
		fi
		;;
	esac
	((rc != 124)) || reason="timeout after $lim s"
	echo "$((${t1/./} - ${t0/./})) $rc $lim" >>"$DIR/$in.$tool.runs"
	printf '%s\n' "$reason" >>"$DIR/$in.$tool.reasons"
	printf 'pathological: rep %d %-9s %-7s %8.2f s exit %d  %s\n' "$r" "$in" \
	    "$tool" "$(awk -v u="$((${t1/./} - ${t0/./}))" 'BEGIN { print u / 1e6 }')" \
	    "$rc" "$reason" >&2
}

for in in "${INPUTS[@]}"; do
	for t in "${TOOLS[@]}"; do
		: >"$DIR/$in.$t.runs"
		: >"$DIR/$in.$t.reasons"
	done
done
CUT=""
for ((r = 1; r <= REPS; r++)); do
	for in in "${INPUTS[@]}"; do
		for t in "${TOOLS[@]}"; do
			run "$in" "$t" || { CUT=1; break 3; }
		done
	done
done
((SECONDS - START < DEADLINE)) || CUT=1

# median FILE: median seconds of column 1 (µs), ">=" when a run timed out
median() {
	sort -n "$1" | awk '{ v[NR] = $1; if ($2 == 124) to = 1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) m = v[(NR + 1) / 2]
		else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s%.2f", (to ? ">=" : ""), m / 1e6 }'
}
ratio() {
	awk -v a="${1#>=}" -v b="${2#>=}" 'BEGIN {
		if (a == "-" || b == "-" || b + 0 == 0) print "-"
		else if (a / b >= 10) printf "%.0f", a / b
		else printf "%.2f", a / b }'
}
codes() {
	awk '{ print $2 }' "$1" | sort -un | paste -sd/ - | grep . || echo -
}
reasons() {
	sort -u "$1" | awk 'NF { printf "%s%s", (n++ ? " or " : ""), $0 }'
}

echo
echo "Machine: $(nproc) cores (nproc); $(uname -sr); $(openssl version | cut -d' ' -f1,2);" \
    "$(date -u +%Y-%m-%d)."
echo "tlskit: $TKBIN${TK_BEFORE:+; before: $TK_BEFORE}"
echo "Medians of up to $REPS run(s), interleaved; wall seconds per whole process" \
    "(timeout $RUN_TIMEOUT s each).${CUT:+ The run was cut by DEADLINE=$DEADLINE s: the medians are of the runs done.}"
echo
if [[ -z $TK_BEFORE ]]; then
	echo "| input | runs | tlskit s | openssl verify s | tlskit / openssl | exit codes: tlskit, openssl | tlskit reason | openssl verify error |"
	echo "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |"
else
	echo "| input | runs | tlskit before s | tlskit s | openssl verify s | before / openssl | tlskit / openssl | speed-up (before / tlskit) | exit codes: before, tlskit, openssl | reason: before | reason: tlskit | openssl verify error |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |"
fi
for in in "${INPUTS[@]}"; do
	label="${LABEL[$in]}, for ${HOST[$in]}"
	n=$(wc -l <"$DIR/$in.tlskit.runs")
	mt=$(median "$DIR/$in.tlskit.runs")
	mo=$(median "$DIR/$in.openssl.runs")
	if [[ -z $TK_BEFORE ]]; then
		echo "| $label | $n | $mt | $mo | $(ratio "$mt" "$mo") |" \
		    "$(codes "$DIR/$in.tlskit.runs"), $(codes "$DIR/$in.openssl.runs") |" \
		    "$(reasons "$DIR/$in.tlskit.reasons") | $(reasons "$DIR/$in.openssl.reasons") |"
	else
		mb=$(median "$DIR/$in.before.runs")
		echo "| $label | $n | $mb | $mt | $mo | $(ratio "$mb" "$mo") |" \
		    "$(ratio "$mt" "$mo") | $(ratio "$mb" "$mt") |" \
		    "$(codes "$DIR/$in.before.runs"), $(codes "$DIR/$in.tlskit.runs"), $(codes "$DIR/$in.openssl.runs") |" \
		    "$(reasons "$DIR/$in.before.reasons") | $(reasons "$DIR/$in.tlskit.reasons") |" \
		    "$(reasons "$DIR/$in.openssl.reasons") |"
	fi
done
echo
echo "Whole run: $((SECONDS - START)) s."
