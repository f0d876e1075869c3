#!/usr/bin/env python3
"""Runs the examples of README.md that show their output and compares.

The convention (README.md, "Examples" says it too): in a ```sh block a
command is a line that is not a comment (continued by a trailing
backslash, "|", "||" or "&&"); the lines right after it that start with "# -> " are its
output, stdout and stderr together, in order.  "..." in a shown line
matches any text, a shown line "..." any number of lines.
"# -> [exit N]" says the command exits N (0 when not
shown).  Only the blocks with at least one "# ->" line are run; every
command of such a block runs, in order, as a user would type it.

- The commands run with their stdout and stderr on a pseudo-terminal,
  as typed (TERM=dumb and NO_COLOR: no colour).
- The commands run in a scratch directory where build/ is $TK_BUILD and
  testdata/ is the repository's, with $TK_BUILD/tools first on PATH (so a
  tool may be named without build/tools/), under bash -o pipefail, stdin
  /dev/null, bounded by `timeout`.
- A tls-echo-server command that listens on port 0 is started in the
  background; its output is its "listening on" line; later commands of
  the block write its port as PORT (and the output shows PORT for it).
  The servers are stopped by PID when the block ends.

Usage: readme-examples.py README.md   exit 0 when every shown output is
the real one; else a unified diff per command on stdout and exit 1.
"""

import difflib
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def blocks(text):
    """The ```sh blocks: lists of (line number, line)."""
    out, cur = [], None
    for n, line in enumerate(text.splitlines(), 1):
        if cur is None:
            if line.strip() == "```sh":
                cur = []
        elif line.strip() == "```":
            out.append(cur)
            cur = None
        else:
            cur.append((n, line))
    return out


def commands(block):
    """(line number, command, shown lines, exit) of a block, in order."""
    cmds, i = [], 0
    while i < len(block):
        n, line = block[i]
        s = line.strip()
        if not s or s.startswith("#"):
            i += 1
            continue
        cmd = line
        while re.search(r"(\\|\||&&)$", cmd) and i + 1 < len(block):
            i += 1
            cmd += "\n" + block[i][1]
        i += 1
        shown, status = [], 0
        while i < len(block) and re.match(r"\s*# ->( |$)", block[i][1]):
            body = re.sub(r"^\s*# ->( |$)", "", block[i][1])
            m = re.fullmatch(r"\[exit (\d+)\]", body)
            if m:
                status = int(m.group(1))
            else:
                shown.append(body)
            i += 1
        cmds.append((n, cmd, shown, status))
    return cmds


def matches(shown, real):
    """A shown line "..." stands for any number of lines; "..." in a
    line for any text."""
    pat = ""
    for s in shown:
        if s == "...":
            pat += r"(?:[^\n]*\n)*?"
        else:
            pat += "[^\n]*".join(re.escape(p) for p in s.split("...")) + "\n"
    return re.fullmatch(pat, "".join(x + "\n" for x in real)) is not None


def is_server(cmd):
    return re.match(r"\s*(build/tools/)?tls-echo-server\s", cmd) and \
        re.search(r"--listen\s+\S+:0(\s|$)", cmd)


def start_server(cmd, cwd, env, logs):
    out = os.path.join(logs, "srv%d.out" % len(os.listdir(logs)))
    with open(out, "w") as fo, open(out + ".err", "w") as fe:
        p = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=cwd, env=env,
                             stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                             start_new_session=True)
    for _ in range(200):
        with open(out) as f:
            lines = f.read().splitlines()
        if lines and lines[0].startswith("listening on"):
            return p, lines[0], lines[0].rsplit(":", 1)[1]
        if p.poll() is not None:
            break
        time.sleep(0.05)
    with open(out + ".err") as f:
        err = f.read()
    return p, None, err


def run_on_terminal(cmd, cwd, env):
    """Runs cmd with stdout and stderr on a pseudo-terminal, as a user
    typing it sees the output (the tools print a failure once on a
    terminal, and copy it to stderr only when stdout is redirected)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(["timeout", "60", "bash", "-o", "pipefail", "-c",
                          cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal has gone
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    rc = p.wait()
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # jq colours a terminal
    return text.splitlines(), rc


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    readme = sys.argv[1]
    src = os.path.dirname(os.path.abspath(readme))
    build = os.environ.get("TK_BUILD", os.path.join(src, "build"))
    with open(readme) as f:
        text = f.read()
    work = tempfile.mkdtemp(prefix="tk-readme.")
    logs = os.path.join(work, ".logs")
    os.mkdir(logs)
    os.symlink(build, os.path.join(work, "build"))
    os.symlink(os.path.join(src, "testdata"), os.path.join(work, "testdata"))
    env = dict(os.environ)
    env["PATH"] = os.path.join(build, "tools") + ":" + env["PATH"]
    env["NO_COLOR"] = "1"
    env["TERM"] = "dumb"
    failed = checked = 0
    try:
        for block in blocks(text):
            cmds = commands(block)
            if not any(shown for _, _, shown, _ in cmds):
                continue
            servers, port = [], None
            try:
                for n, cmd, shown, status in cmds:
                    checked += 1
                    real_cmd = cmd if port is None else \
                        re.sub(r"\bPORT\b", port, cmd)
                    if is_server(real_cmd):
                        p, line, port_or_err = start_server(
                            real_cmd, work, env, logs)
                        servers.append(p)
                        if line is None:
                            failed += 1
                            print("README.md:%d: the server did not start:"
                                  "\n%s\n%s" % (n, cmd, port_or_err))
                            break
                        port = port_or_err
                        real, rc = [line], 0
                    else:
                        real, rc = run_on_terminal(real_cmd, work, env)
                    if port is not None:
                        real = [re.sub(r"(?<![0-9])%s(?![0-9])" % port,
                                       "PORT", x) for x in real]
                    if rc != status or (shown and not matches(shown, real)):
                        failed += 1
                        print("README.md:%d: %s" % (n, cmd))
                        print("  exit %d, README says %d" % (rc, status))
                        want = shown + (["[exit %d]" % status]
                                        if status else [])
                        got = real + (["[exit %d]" % rc] if rc else [])
                        sys.stdout.writelines(difflib.unified_diff(
                            ["# -> " + x + "\n" for x in want],
                            ["# -> " + x + "\n" for x in got],
                            "README.md", "real output"))
                        print()
            finally:
                for p in servers:
                    stop(p)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d README commands run, %d differ" % (checked, failed))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
