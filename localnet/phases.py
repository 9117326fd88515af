#!/usr/bin/env python3
"""localnet/phases.py [NODE_LOG [MIN_TXS]]: where each height's time goes, from a CometBFT log.

NODE_LOG defaults to node 0's log of the network in $GLIA_RUN_DIR (else localnet/.run), so it
works from any directory.

Reads a node's cometbft.log (info level; with GLIA_COMET_LOG_LEVEL="mempool:debug,*:info" at
`up.sh --reset` it also shows the mempool recheck) and prints, per height with at least MIN_TXS
txs (default 300), the seconds from the end of timeout_commit to the full proposal, from the
proposal to the commit decision (prevotes, precommits), FinalizeBlock as CometBFT sees it (the
app's execution plus the request and response on the socket), saving the results plus the
app's Commit, and the recheck that holds the mempool afterwards.

    GLIA_COMET_LOG_LEVEL="mempool:debug,*:info" localnet/up.sh --reset
    localnet/glia-loadgen --rate 1500 --senders 48 --seconds 20
    localnet/phases.py
"""
import collections
import os
import re
import sys

STEPS = {
    "Timed out": "propose",  # timeout_commit over: the round starts
    "received complete proposal block": "proposal",
    "finalizing commit of block": "decided",
    "executed block": "executed",
    "committed state": "committed",
    "done rechecking txs": "rechecked",
}


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    run = os.environ.get("GLIA_RUN_DIR") or os.path.join(here, ".run")
    log = sys.argv[1] if len(sys.argv) > 1 else os.path.join(run, "node0", "cometbft.log")
    if not os.path.exists(log):
        sys.exit(f"phases.py: {log} not found: start a network with localnet/up.sh, or name a node's cometbft.log")
    min_txs = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    ev = collections.defaultdict(dict)
    line_re = re.compile(r".\[\S+\|(\d+):(\d+):([\d.]+)\] (.{44}).*?height=(\d+)")
    for line in open(log, errors="replace"):
        m = line_re.match(line)
        if not m:
            continue
        t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
        h = int(m.group(5))
        step = STEPS.get(m.group(4).strip())
        if step and step not in ev[h]:
            ev[h][step] = t
        n = re.search(r"num_txs_res=(\d+)", line)
        if n:
            ev[h]["txs"] = int(n.group(1))
    cols = ["propose→block", "block→decided", "FinalizeBlock", "save+Commit", "recheck"]
    rows = []
    for h, e in sorted(ev.items()):
        if e.get("txs", 0) < min_txs or not all(k in e for k in ("propose", "proposal", "decided", "executed", "committed")):
            continue
        rows.append((h, e["txs"], e["proposal"] - e["propose"], e["decided"] - e["proposal"],
                     e["executed"] - e["decided"], e["committed"] - e["executed"],
                     e.get("rechecked", e["committed"]) - e["committed"]))
    print(f"{'height':>6} {'txs':>6} " + " ".join(f"{c:>14}" for c in cols))
    for r in rows:
        print(f"{r[0]:>6} {r[1]:>6} " + " ".join(f"{v:>14.3f}" for v in r[2:]))
    if rows:
        avg = [sum(r[i] for r in rows) / len(rows) for i in range(1, 7)]
        print(f"{'mean':>6} {avg[0]:>6.0f} " + " ".join(f"{v:>14.3f}" for v in avg[1:]))


if __name__ == "__main__":
    main()
