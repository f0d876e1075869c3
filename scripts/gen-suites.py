#!/usr/bin/env python3
"""Writes lib/suites_iana.inc, the table of lib/suites.c, from
scripts/suites-iana.txt (the IANA "TLS Cipher Suites" registry): each
suite's properties are read off its IANA name, which spells them out
(TLS_<kx>_<auth>_WITH_<cipher>_<mac>; TLS 1.3 suites: TLS_<aead>_<hash>).
Run it after editing the list; tests/unit/test_suites.c checks the result.
With --check it writes nothing and exits 1 when lib/suites_iana.inc is not
what the list makes (a unit test runs that).
"""
import os
import re
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')

KX = {  # name part before _WITH_: (kx, auth, forward secret)
    'NULL': ('NULL', 'NULL', False),
    'RSA': ('RSA', 'RSA', False),
    'RSA_EXPORT': ('RSA', 'RSA', False),
    'DH_DSS': ('DH', 'DSS', False), 'DH_DSS_EXPORT': ('DH', 'DSS', False),
    'DH_RSA': ('DH', 'RSA', False), 'DH_RSA_EXPORT': ('DH', 'RSA', False),
    'DHE_DSS': ('DHE', 'DSS', True), 'DHE_DSS_EXPORT': ('DHE', 'DSS', True),
    'DHE_RSA': ('DHE', 'RSA', True), 'DHE_RSA_EXPORT': ('DHE', 'RSA', True),
    'DH_anon': ('DHE', 'ANON', True), 'DH_anon_EXPORT': ('DHE', 'ANON', True),
    'KRB5': ('KRB5', 'KRB5', False), 'KRB5_EXPORT': ('KRB5', 'KRB5', False),
    'PSK': ('PSK', 'PSK', False),
    'DHE_PSK': ('DHE_PSK', 'PSK', True), 'PSK_DHE': ('DHE_PSK', 'PSK', True),
    'RSA_PSK': ('RSA_PSK', 'RSA', False),
    'ECDHE_PSK': ('ECDHE_PSK', 'PSK', True),
    'ECDH_ECDSA': ('ECDH', 'ECDSA', False),
    'ECDH_RSA': ('ECDH', 'RSA', False),
    'ECDHE_ECDSA': ('ECDHE', 'ECDSA', True),
    'ECDHE_RSA': ('ECDHE', 'RSA', True),
    'ECDH_anon': ('ECDHE', 'ANON', True),
    'SRP_SHA': ('SRP', 'SRP', False),
    'SRP_SHA_RSA': ('SRP', 'RSA', False),
    'SRP_SHA_DSS': ('SRP', 'DSS', False),
    'ECCPWD': ('ECCPWD', 'ECCPWD', True),
    'GOSTR341112_256': ('GOST', 'GOST', True),
}

CIPHERS = [  # (name prefix, enc, bits, aead), longest first
    ('NULL', 'NULL', 0, False),
    ('RC4_40', 'RC4', 40, False), ('RC4_128', 'RC4', 128, False),
    ('RC2_CBC_40', 'RC2', 40, False),
    ('IDEA_CBC', 'IDEA', 128, False),
    ('DES40_CBC', 'DES', 40, False), ('DES_CBC_40', 'DES', 40, False),
    ('DES_CBC', 'DES', 56, False),
    ('3DES_EDE_CBC', '3DES', 112, False),
    ('AES_128_CBC', 'AES_CBC', 128, False),
    ('AES_256_CBC', 'AES_CBC', 256, False),
    ('AES_128_GCM', 'AES_GCM', 128, True),
    ('AES_256_GCM', 'AES_GCM', 256, True),
    ('AES_128_CCM_8', 'AES_CCM_8', 128, True),
    ('AES_256_CCM_8', 'AES_CCM_8', 256, True),
    ('AES_128_CCM', 'AES_CCM', 128, True),
    ('AES_256_CCM', 'AES_CCM', 256, True),
    ('CAMELLIA_128_CBC', 'CAMELLIA_CBC', 128, False),
    ('CAMELLIA_256_CBC', 'CAMELLIA_CBC', 256, False),
    ('CAMELLIA_128_GCM', 'CAMELLIA_GCM', 128, True),
    ('CAMELLIA_256_GCM', 'CAMELLIA_GCM', 256, True),
    ('ARIA_128_CBC', 'ARIA_CBC', 128, False),
    ('ARIA_256_CBC', 'ARIA_CBC', 256, False),
    ('ARIA_128_GCM', 'ARIA_GCM', 128, True),
    ('ARIA_256_GCM', 'ARIA_GCM', 256, True),
    ('SEED_CBC', 'SEED', 128, False),
    ('CHACHA20_POLY1305', 'CHACHA20_POLY1305', 256, True),
    ('SM4_GCM', 'SM4_GCM', 128, True), ('SM4_CCM', 'SM4_CCM', 128, True),
    ('KUZNYECHIK_CTR_OMAC', 'GOST_CTR', 256, False),
    ('MAGMA_CTR_OMAC', 'GOST_CTR', 256, False),
    ('28147_CNT_IMIT', 'GOST_CNT', 256, False),
    ('KUZNYECHIK_MGM_L', 'GOST_MGM', 256, True),
    ('MAGMA_MGM_L', 'GOST_MGM', 256, True),
    ('KUZNYECHIK_MGM_S', 'GOST_MGM', 256, True),
    ('MAGMA_MGM_S', 'GOST_MGM', 256, True),
    ('AEGIS_256', 'AEGIS', 256, True), ('AEGIS_128L', 'AEGIS', 128, True),
]

MACS = {'': 'AEAD', 'MD5': 'MD5', 'SHA': 'SHA1', 'SHA256': 'SHA256',
        'SHA384': 'SHA384', 'SHA512': 'SHA512', 'SM3': 'SM3', 'NULL': 'NULL'}


def cipher(rest):
    for pre, enc, bits, aead in sorted(CIPHERS, key=lambda c: -len(c[0])):
        if rest == pre or rest.startswith(pre + '_'):
            return enc, bits, aead, rest[len(pre) + 1:]
    sys.exit('unknown cipher in %r' % rest)


def suite(code, name):
    flags = []
    if name.endswith('_SCSV'):
        return ('NONE', 'NONE', 'NONE', 0, 'NONE', 0, ['SCSV'])
    body = name[4:]
    if '_WITH_' in body:
        kxs, rest = body.split('_WITH_')
        kx, auth, fs = KX[kxs]
        if 'EXPORT' in kxs:
            flags.append('EXPORT')
    else:  # TLS 1.3 (RFC 8446 B.4, 8998, 9150) or 0x0000
        kx, auth, fs, rest = 'TLS13', 'TLS13', True, body
    if code >> 8 == 0x13 or code in (0x00C6, 0x00C7, 0xC0B4, 0xC0B5) or \
            code >= 0xC103 and code <= 0xC106:
        kx, auth, fs = 'TLS13', 'TLS13', True
    if rest in ('SHA256_SHA256', 'SHA384_SHA384'):
        enc, bits, aead, mac = 'NULL', 0, False, rest.split('_')[1]
    else:
        enc, bits, aead, mac = cipher(rest)
    if aead:
        mac = 'AEAD'
    elif enc.startswith('GOST'):
        mac = 'GOST'
    else:
        mac = MACS[mac]
    if aead:
        flags.append('AEAD')
    if fs:
        flags.append('FS')
    if auth == 'ANON':
        flags.append('ANON')
    if kx == 'TLS13':
        minv = 0x0304
    elif aead or mac in ('SHA256', 'SHA384') or kx in ('GOST', 'ECCPWD'):
        minv = 0x0303
    elif code <= 0x001B:
        minv = 0x0300
    else:
        minv = 0x0301
    return (kx, auth, enc, bits, mac, minv, flags)


def main():
    rows = []
    with open(os.path.join(top, 'scripts', 'suites-iana.txt')) as f:
        for line in f:
            if not line.strip() or line.startswith('#'):
                continue
            code, name = line.split()
            rows.append((int(code, 16), name))
    if [r[0] for r in rows] != sorted(set(r[0] for r in rows)):
        sys.exit('suites-iana.txt: codes not sorted or not unique')
    out = ['/* Generated by scripts/gen-suites.py from '
           'scripts/suites-iana.txt: do not edit. */']
    for code, name in rows:
        kx, auth, enc, bits, mac, minv, flags = suite(code, name)
        fl = ' | '.join('TK_SUITES_' + x for x in flags) or '0'
        out.append('{ 0x%04X, "%s",\n    TK_SUITES_KX_%s, TK_SUITES_AUTH_%s, '
                   'TK_SUITES_ENC_%s, %d,\n    TK_SUITES_MAC_%s, 0x%04X, %s },'
                   % (code, name, kx, auth, enc, bits, mac, minv, fl))
    text = '\n'.join(out) + '\n'
    inc = os.path.join(top, 'lib', 'suites_iana.inc')
    if sys.argv[1:] == ['--check']:
        with open(inc) as f:
            if f.read() != text:
                sys.exit('lib/suites_iana.inc is stale: run '
                         'scripts/gen-suites.py')
        return
    with open(inc, 'w') as f:
        f.write(text)


main()
