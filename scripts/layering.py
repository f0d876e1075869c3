#!/usr/bin/env python3
"""Prints docs/ARCHITECTURE.md's layering table from lib/'s #include lines.

A module's row is one above the highest row of what it includes (its own
header, banned.h and err.h left out; alpnreg counts as tls).  Fails on an
include cycle.  tests/docs.bats checks that the page holds this table.
"""
import collections
import glob
import os
import re
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
deps = collections.defaultdict(set)
mods = set()
for f in glob.glob('lib/*.[ch]'):
    m = os.path.splitext(os.path.basename(f))[0]
    if m == 'banned':
        continue
    if m == 'alpnreg':
        m = 'tls'
    mods.add(m)
    with open(f, encoding='utf-8') as fh:
        for inc in re.findall(r'^#include "([a-z_0-9]+)\.h"', fh.read(), re.M):
            if inc not in (m, 'banned', 'err', 'alpnreg'):
                deps[m].add(inc)
row = {}


def level(m, stack=()):
    if m in stack:
        sys.exit('include cycle: ' + ' -> '.join(stack + (m,)))
    if m not in row:
        row[m] = 1 + max((level(d, stack + (m,)) for d in deps[m]),
                         default=-1)
    return row[m]


rows = collections.defaultdict(list)
for m in sorted(mods):
    rows[level(m)].append(m)
print('| row | module: what it includes |')
print('| --- | --- |')
for k in sorted(rows, reverse=True):
    if k == 0:
        print('| 0 | ' + ', '.join('`%s`' % m for m in rows[k]) +
              ': nothing of tlskit but `err` |')
    else:
        print('| %d | ' % k + '; '.join(
            '`%s`: %s' % (m, ' '.join(sorted(deps[m]))) for m in rows[k]) +
            ' |')
