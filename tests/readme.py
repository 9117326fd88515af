#!/usr/bin/env python3
"""tests/readme.py FILE.md... — the READMEs' examples run as written, so none goes stale.

Every fenced ```sh block runs, in file order, with bash (-euo pipefail) from the repository
root, against the local network the blocks themselves start: set GLIA_RUN_DIR to keep it apart
from your own localnet/.run (tests/run.sh uses localnet/.run-readme). Every ```js block runs
with node from tests/cosmjs, where cosmjs and @glia/proto are installed, with GLIA_NETWORK
naming that network's profile (run tests/cosmjs/run.sh once first: it installs them and builds
proto/ts). Every ```json block must parse.

A block right after a line `<!-- readme-test: skip: REASON -->` (benchmarks that run for
minutes, tests/run.sh itself, a GPU toolkit download) is not run. It is still checked: each
command it names must exist, every long option it passes must appear in that command's --help
(for localnet/gliad and its links, the --help of the subcommand it names), and cargo's `-p`
must name a workspace package.

Files a block writes at the top of the repository (pics/, p.cnf; nothing git ignores) are
removed afterwards, and the network is stopped. Prints `readme: N passed, M failed`; exits 1 if any failed.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
SKIP = re.compile(r"<!--\s*readme-test:\s*skip:\s*(.+?)\s*-->")
FENCE = re.compile(r"^```(\w*)")
BLOCK_TIMEOUT = 900


def blocks(path):
    """(language, first line number, text, skip reason or None) of each fenced block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i, skip = [], 0, None
    while i < len(lines):
        m = SKIP.search(lines[i])
        if m:
            skip = m.group(1)
        f = FENCE.match(lines[i])
        if f:
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if j == len(lines):
                raise SystemExit(f"{path}:{i + 1}: unterminated code block")
            out.append((f.group(1), i + 1, "\n".join(lines[i + 1 : j]) + "\n", skip))
            skip, i = None, j + 1
            continue
        if lines[i].strip() and not m:
            skip = None  # a skip marker applies only to the block right after it
        i += 1
    return out


def commands(text):
    """Each simple command of a shell block as a token list (comments, env assignments and
    `$(...)` substitutions handled), for the checks on skipped blocks."""
    text = text.replace("\\\n", " ")
    cmds = []
    for sub in re.findall(r"\$\(([^()]*)\)", text):
        cmds += commands(sub)
    text = re.sub(r"\"?\$\([^()]*\)\"?", "SUBST", text)
    for line in text.split("\n"):
        try:
            toks = shlex.split(line, comments=True)
        except ValueError as e:
            raise AssertionError(f"cannot parse {line!r}: {e}")
        cur = []
        for t in toks + [";"]:
            if t in (";", "&&", "||", "|"):
                while cur and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", cur[0]):
                    cur.pop(0)
                if cur and cur[0] not in ("eval", "cd", "export"):
                    cmds.append(cur)
                cur = []
            else:
                cur.append(t)
    return cmds


def workspace_packages():
    out = subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    import json
    return {p["name"] for p in json.loads(out)["packages"]}


def check_skipped(text):
    """The commands of a block that is not run still exist and take the options it passes."""
    problems = []
    for cmd in commands(text):
        prog, args = cmd[0], cmd[1:]
        flags = sorted({a.split("=")[0] for a in args if a.startswith("--")})
        if prog == "cargo":
            if "-p" in args:
                pkg = args[args.index("-p") + 1]
                if pkg not in workspace_packages():
                    problems.append(f"cargo -p {pkg}: no such workspace package")
            continue
        if "/" not in prog:
            if shutil.which(prog) is None:  # a system command is fine; gliad is not on PATH
                problems.append(f"{prog}: not on PATH; name repository commands by their path (localnet/gliad, ...)")
            continue
        path = os.path.join(ROOT, prog)
        if not os.access(path, os.X_OK):
            problems.append(f"{prog}: not an executable file of the repository")
            continue
        help_cmd = [path]
        if os.path.basename(os.path.realpath(path)) == "gliad" and os.path.dirname(prog) == "localnet":
            for a in args:  # the subcommand words, up to the first option or argument
                if not re.fullmatch(r"[a-z][a-z0-9-]*", a):
                    break
                help_cmd.append(a)
        if not flags:
            continue
        r = subprocess.run(help_cmd + ["--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        shown = r.stdout + r.stderr
        if r.returncode != 0:
            problems.append(f"{' '.join(help_cmd)} --help exited {r.returncode}: {shown.strip()[-300:]}")
            continue
        for f in flags:
            if not re.search(re.escape(f) + r"\b", shown):
                problems.append(f"{prog}: option {f} is not in its --help")
    return problems


def top_level():
    return set(os.listdir(ROOT))


def main(files):
    env = dict(os.environ)
    run_dir = env.setdefault("GLIA_RUN_DIR", os.path.join(ROOT, "localnet", ".run-readme"))
    env["GLIA_NETWORK"] = os.path.join(os.path.realpath(run_dir), "network.json")
    before = top_level()
    passed = failed = 0
    try:
        for f in files:
            rel = os.path.relpath(os.path.join(ROOT, f), ROOT)
            for lang, line, text, skip in blocks(os.path.join(ROOT, f)):
                where = f"{rel}:{line} ({lang})"
                if lang == "json":
                    import json
                    try:
                        json.loads(text)
                        ok = True
                        print(f"ok {where}: parses")
                    except ValueError as e:
                        ok = False
                        print(f"FAIL {where}: not JSON: {e}")
                    passed, failed = passed + ok, failed + (not ok)
                    continue
                if lang not in ("sh", "js"):
                    continue
                if skip:
                    if lang != "sh":
                        print(f"-- {where}: skipped ({skip})")
                        continue
                    problems = check_skipped(text)
                    ok = not problems
                    print(f"{'ok' if ok else 'FAIL'} {where}: not run ({skip}); commands and options checked")
                    for p in problems:
                        print(f"     {p}")
                else:
                    t0 = time.time()
                    if lang == "sh":
                        argv, cwd = ["bash", "-euo", "pipefail", "-c", text], ROOT
                    else:
                        script = os.path.join(ROOT, "tests", "cosmjs", ".readme-block.mjs")
                        with open(script, "w") as s:
                            s.write(text)
                        argv, cwd = ["node", script], os.path.dirname(script)
                    try:
                        r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                                           timeout=BLOCK_TIMEOUT)
                        ok, out = r.returncode == 0, r.stdout + r.stderr
                        why = f"exit {r.returncode}"
                    except subprocess.TimeoutExpired as e:
                        ok, out, why = False, (e.stdout or b"").decode() + (e.stderr or b"").decode(), f"timeout {BLOCK_TIMEOUT}s"
                    print(f"{'ok' if ok else 'FAIL'} {where}: ran in {time.time() - t0:.0f}s" + ("" if ok else f" ({why})"))
                    if not ok:
                        print("     " + "\n     ".join(text.strip().split("\n")))
                        print("   output (last 60 lines):")
                        print("     " + "\n     ".join(out.strip().split("\n")[-60:]))
                if ok:
                    passed += 1
                else:
                    failed += 1
    finally:
        subprocess.run([os.path.join(ROOT, "localnet", "down.sh"), "--run-dir", run_dir],
                       cwd=ROOT, env=env, capture_output=True)
        for name in top_level() - before:
            # What the examples wrote (pics/, p.cnf); never what git ignores (a build dir).
            ignored = subprocess.run(["git", "check-ignore", "-q", "--", name], cwd=ROOT).returncode == 0
            if not ignored:
                subprocess.run(["rm", "-rf", "--", os.path.join(ROOT, name)])
        js = os.path.join(ROOT, "tests", "cosmjs", ".readme-block.mjs")
        if os.path.exists(js):
            os.remove(js)
    print(f"readme: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
