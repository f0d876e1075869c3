#!/usr/bin/env python3
"""File = module: every exported tk_ name of lib/ starts with its module's
name or with a type its header defines (struct, enum or typedef: tk_class_*
in err, tk_timer_* in loop).  Reads the objects of a build directory
(argument, default build/); prints each name that breaks the rule and exits
1 when there is one (docs/ARCHITECTURE.md, "Conventions").
"""
import glob
import os
import re
import subprocess
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, 'build')
objs = sorted(glob.glob(os.path.join(build, 'lib', 'libtlskit.a.p', '*.c.o')))
if not objs:
    sys.exit('no objects under %s/lib: build first' % build)
bad = 0
for o in objs:
    m = os.path.basename(o)[:-4]
    mod = 'tls' if m == 'alpnreg' else m   # the IANA table of tls
    with open(os.path.join(top, 'lib', mod + '.h'), encoding='utf-8') as f:
        hdr = f.read()
    types = {mod}
    types |= set(re.findall(r'\b(?:struct|enum)\s+tk_([a-z0-9_]+)\s*[{;]',
                            hdr))
    types |= set(re.findall(r'typedef\s+[^;]*\btk_([a-z0-9_]+)\s*;', hdr))
    nm = subprocess.run(['nm', '-g', '--defined-only', o], check=True,
                        capture_output=True, text=True).stdout
    for line in nm.splitlines():
        name = line.split()[-1]
        if not name.startswith('tk_'):
            continue
        rest = name[3:]
        if not any(rest == t or rest.startswith(t + '_') for t in types):
            print('lib/%s.c: %s' % (m, name))
            bad += 1
sys.exit(1 if bad else 0)
