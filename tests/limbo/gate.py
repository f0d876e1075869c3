#!/usr/bin/env python3
"""gate.py RESULTS GATE PROTECTED: judge an x509-limbo run of tk-verify.

RESULTS is run-limbo.py's --results file (one JSON object per case).  GATE
holds minimum pass rates ("whole 99.5", "handwritten 90.0"); PROTECTED the
groups where no expected-FAILURE case may be accepted.  Prints the figures
beside plain GnuTLS's (shared/x509-limbo/README.md) and exits 1 when a
gate is missed or a protected case is falsely accepted.
"""
import fnmatch
import json
import os
import sys

# x509-limbo's hand-written cases (its README; 202 with GnuTLS's runner)
HANDWRITTEN = ("rfc5280::", "webpki::", "pathlen::", "pathological::",
               "crl::", "cve::", "online::")
GNUTLS = {"whole": "9553 / 9774 (97.7 %)",
          "handwritten": "134 / 202 (66.3 %)",
          "pathbuilding": "52 / 81 (64.2 %)"}


def rate(rows):
    ran = [r for r in rows if r["outcome"] != "skipped"]
    ok = sum(r["outcome"] == "match" for r in ran)
    return ok, len(ran), (100.0 * ok / len(ran) if ran else 100.0)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    gate = {}
    with open(sys.argv[2]) as f:
        for line in f:
            w = line.split("#")[0].split()
            if len(w) == 2:
                gate[w[0]] = float(w[1])
    groups = []
    with open(sys.argv[3]) as f:
        for line in f:
            w = line.split("#")[0].split()
            if w:
                groups.append((w[0], w[1:]))

    parts = {
        "whole": rows,
        "handwritten": [r for r in rows if r["id"].startswith(HANDWRITTEN)],
        "pathbuilding": [r for r in rows
                         if r["id"].startswith("bettertls::pathbuilding::")],
    }
    failed = False
    print(f"{'part':<14} {'tlskit':>24} {'gate':>7}   GnuTLS 3.7.9")
    # LIMBO_SAMPLED: a sample of the BetterTLS name-constraint cases ran
    # (a sanitizer build): the whole-suite rate is not the suite's
    sampled = os.environ.get("LIMBO_SAMPLED") == "1"
    for name, sel in parts.items():
        ok, ran, pct = rate(sel)
        want = None if sampled and name == "whole" else gate.get(name)
        miss = want is not None and pct < want
        failed |= miss
        print(f"{name:<14} {f'{ok} / {ran} ({pct:.1f} %)':>24} "
              f"{'' if want is None else f'{want:.1f}':>7}   "
              f"{GNUTLS[name]}{'   BELOW GATE' if miss else ''}")

    print(f"\n{'protected group':<20} {'cases':>6} {'run':>5} {'f-acc':>6}")
    for name, pats in groups:
        sel = [r for r in rows if any(fnmatch.fnmatch(r["id"], p) for p in pats)]
        ran = [r for r in sel if r["outcome"] != "skipped"]
        fa = [r for r in ran if r["expected"] == "FAILURE"
              and r.get("actual") == "SUCCESS"]
        print(f"{name:<20} {len(sel):>6} {len(ran):>5} {len(fa):>6}")
        for r in fa:
            print(f"    false accept: {r['id']}")
        failed |= bool(fa)
        errors = [r for r in ran if r["outcome"] == "error"]
        for r in errors:
            print(f"    error: {r['id']}: {r.get('detail', '')[:100]}")

    bad = [r for r in rows if r["outcome"] in ("mismatch", "error")]
    if bad:
        print(f"\n{len(bad)} cases differ from the suite:")
        for r in bad:
            print(f"  {r['id']}: expected {r['expected']}, got "
                  f"{r.get('actual')}: {r.get('detail', '')[:100]}")
    print("\nlimbo gate: " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
