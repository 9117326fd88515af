#!/usr/bin/env bash
# localnet/ibc-bench.sh [--requests N] [--packets K] [--only ica|ics20]
# IBC figures on the network localnet/ibc-up.sh runs (start it first; Hermes stays its relayer):
#  1. interchain-account requests from simd: N image requests and N planted 3-SAT jobs sent with
#     simd's own `tx interchain-accounts controller send-tx`, each timed from simd's MsgSendTx
#     block to the MsgAcknowledgement block on simd that carries its result, in blocks of each
#     chain and seconds (block times), split into relay in (simd send -> Glia receive), queue
#     (receive -> the task's draw), compute (draw -> settled; for jobs receive -> solved) and
#     relay out (the ack's block on Glia -> simd's MsgAcknowledgement);
#  2. ICS-20 packets per second: K transfers in one simd tx, timed from that block to the block
#     where the destination has received the last of them, simd -> Glia, then the same from
#     simd-local-1 to a second simd chain (simd-local-2, started here) under the same Hermes
#     version and settings, the main Hermes stopped meanwhile (localnet/ibc-up.sh restarts it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
add_tool_dirs
REQUESTS=3 PACKETS=60 ONLY=""
while (($#)); do
  case $1 in
    --requests) REQUESTS=$2; shift 2 ;;
    --packets) PACKETS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option '$1'; see localnet/ibc-bench.sh --help" >&2; exit 2 ;;
  esac
done
[[ -f $NETJSON ]] && python3 -c 'import json,sys; sys.exit(0 if "ibc" in json.load(open(sys.argv[1])) else 1)' "$NETJSON" ||
  die "no IBC network in $(rel "$NETJSON"): run localnet/ibc-up.sh first"
SIMD="${SIMD:-$(command -v simd || echo "$HOME/go/bin/simd")}"
HERMES="${HERMES:-$(command -v hermes || echo "$HOME/.cargo/bin/hermes")}"
GLIAD="$GLIA_TARGET/debug/gliad"
[[ -x $GLIAD ]] || GLIAD="$LOCALNET/gliad"
[[ -z $ONLY || $ONLY == ica || $ONLY == ics20 ]] || die "--only takes ica or ics20"
export SIMD HERMES GLIAD RUN_DIR REQUESTS PACKETS LOCALNET ONLY
exec python3 - "$NETJSON" <<'PY'
import base64, json, os, re, subprocess, sys, time, urllib.request

net = json.load(open(sys.argv[1]))
ibc = net["ibc"]
SIMD, HERMES, GLIAD = os.environ["SIMD"], os.environ["HERMES"], os.environ["GLIAD"]
RUN = os.environ["RUN_DIR"]
N, K = int(os.environ["REQUESTS"]), int(os.environ["PACKETS"])
S_HOME = ibc["counterparty"]["home"]
S_RPC = ibc["counterparty"]["rpc"]
G_RPC = net["rpc"][0]

def sh(*args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(args[:6])}...: {r.stderr.strip()[-800:]}")
    return r.stdout

def simd(*args, home=S_HOME):
    return sh(SIMD, *args, "--home", home)

def rpc(url, path):
    with urllib.request.urlopen(f"{url}/{path}", timeout=20) as r:
        return json.load(r)["result"]

def block_time(url, h):
    t = rpc(url, f"block?height={h}")["block"]["header"]["time"]
    m = re.match(r"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)(?:\.(\d+))?Z", t)
    y, mo, d, hh, mm, ss = map(int, m.groups()[:6])
    frac = float("0." + (m.group(7) or "0"))
    import calendar
    return calendar.timegm((y, mo, d, hh, mm, ss)) + frac

def wait(what, f, secs=600):
    end = time.time() + secs
    while time.time() < end:
        v = f()
        if v:
            return v
        time.sleep(0.5)
    raise SystemExit(f"{what}: not within {secs} s")

def tx_search(url, q):
    r = rpc(url, "tx_search?query=" + urllib.parse.quote(f'"{q}"') + "&per_page=5")
    return r["txs"]

def block_search(url, q):
    r = rpc(url, "block_search?query=" + urllib.parse.quote(f'"{q}"') + "&per_page=5&order_by=%22asc%22")
    return [int(b["block"]["header"]["height"]) for b in r["blocks"]]

import urllib.parse

# protobuf, by hand: the few messages the packets carry.
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
def fv(num, n): return varint(num << 3) + varint(n) if n else b""
def fb(num, b): return varint(num << 3 | 2) + varint(len(b)) + b if b else b""
def fs(num, s): return fb(num, s.encode())
def coin(denom, amount): return fs(1, denom) + fs(2, str(amount))
def any_(url, value): return fs(1, url) + fb(2, value)
def packet(msgs):
    tx = b"".join(fb(1, m) for m in msgs)
    return json.dumps({"type": "TYPE_EXECUTE_TX", "data": base64.b64encode(tx).decode(), "memo": ""})

ica = ibc["interchain_accounts"]["on_glia"]
node = S_RPC.replace("http://", "tcp://")
TXF = ["--from", "user", "--keyring-backend", "test", "--chain-id", "simd-local-1", "--node", node, "--yes", "-o", "json", "--gas", "600000"]

def simd_tx(*args):
    out = json.loads(simd("tx", *args, *TXF))
    if out.get("code"):
        raise SystemExit(f"simd refused: {out.get('raw_log')}")
    h = out["txhash"]
    return wait(f"simd tx {h}", lambda: _simd_query_tx(h), 60)

def _simd_query_tx(h):
    try:
        v = json.loads(simd("query", "tx", h, "--node", node, "-o", "json"))
    except SystemExit:
        return None
    if v.get("code"):
        raise SystemExit(f"simd tx failed: {v.get('raw_log')}")
    return v

def attr(tx, kind, key):
    for e in tx["events"]:
        if e["type"] == kind:
            for a in e["attributes"]:
                if a["key"] == key:
                    return a["value"]

def send_ica(msgs):
    f = os.path.join(RUN, "ibc", f"bench-packet-{time.time_ns()}.json")
    open(f, "w").write(packet(msgs))
    try:
        r = simd_tx("interchain-accounts", "controller", "send-tx", ica["controller_connection"], f)
    finally:
        os.remove(f)
    return attr(r, "send_packet", "packet_src_channel"), attr(r, "send_packet", "packet_dst_channel"), int(attr(r, "send_packet", "packet_sequence")), int(r["height"])

def ack_height_on_simd(src_channel, seq):
    q = f"acknowledge_packet.packet_src_channel='{src_channel}' AND acknowledge_packet.packet_sequence='{seq}'"
    def f():
        v = json.loads(simd("query", "txs", "--query", q, "--node", node, "-o", "json"))
        return int(v["txs"][0]["height"]) if v.get("txs") else None
    return wait(f"ack of {src_channel}/{seq} on simd", f)

def ica_request(kind, msg):
    src, dst, seq, hs0 = send_ica([msg])
    recv = wait("receipt on Glia", lambda: tx_search(G_RPC, f"recv_packet.packet_dst_channel='{dst}' AND recv_packet.packet_sequence='{seq}'"))[0]
    hg1 = int(recv["height"])
    req = None
    for e in recv["tx_result"]["events"]:
        if e["type"] == "interchain_account_request":
            req = {a["key"]: a["value"] for a in e["attributes"]}["requests"]
    rid = req.split("/")[1]
    hg3 = wait("the ack on Glia", lambda: block_search(G_RPC, f"write_acknowledgement.packet_dst_channel='{dst}' AND write_acknowledgement.packet_sequence='{seq}'"))[0]
    hg2 = hg1
    if kind == "task":
        hg2 = wait("the draw", lambda: block_search(G_RPC, f"task_drawn.task_id='{rid}'"))[0]
    hs4 = ack_height_on_simd(src, seq)
    tg = lambda h: block_time(G_RPC, h)
    ts = lambda h: block_time(S_RPC, h)
    return {
        "relay_in": (None, tg(hg1) - ts(hs0)),
        "queue": (hg2 - hg1, tg(hg2) - tg(hg1)),
        "compute": (hg3 - hg2, tg(hg3) - tg(hg2)),
        "relay_out": (None, ts(hs4) - tg(hg3)),
        "total": (hs4 - hs0, ts(hs4) - ts(hs0)),
    }

def image_msg(i):
    m = (fs(1, ica["address"]) + fs(2, "tiny") + fs(3, f"a lighthouse at dusk, request {i}") + fv(5, 64) + fv(6, 64)
         + fv(7, 4) + fs(8, "7.5") + fv(9, 1) + fb(10, varint(100 + i)) + fv(11, 3) + fb(12, coin("uglia", 10_000_000)))
    return any_("/glia.inference.v1.MsgGenerateImage", m)

def job_msg(i):
    cnf = sh(GLIAD, "gen", "planted-3sat", "--vars", "80", "--seed", str(1000 + i))
    m = (fs(1, ica["address"]) + fv(2, 1) + fs(3, cnf) + fb(4, coin("uglia", 1000)) + fv(5, 40) + fb(6, coin("uglia", 50_000)))
    return any_("/glia.neuro.v1.MsgSubmitJob", m)

def fund():
    addr = ica["address"]
    bal = json.loads(urllib.request.urlopen(f"{net['rest'][0]}/cosmos/bank/v1beta1/balances/{addr}/by_denom?denom=uglia", timeout=20).read())
    # An image request escrows about 50,000 uglia here (3 replicas), a job 90,000.
    if int(bal["balance"]["amount"]) >= 200_000 * N:
        return
    raise SystemExit(f"the interchain account {addr} holds {bal['balance']['amount']}uglia; "
                     "fund it first (cargo test -p glia-e2e --test ibc does, or send uglia over ICS-20)")

def fmt(rows, title):
    print(f"\n{title}")
    print(f"  {'phase':10} {'blocks (median)':>16} {'seconds (median)':>17}   (each request: blocks/seconds)")
    for phase in ["relay_in", "queue", "compute", "relay_out", "total"]:
        bl = sorted(r[phase][0] for r in rows if r[phase][0] is not None)
        se = sorted(r[phase][1] for r in rows)
        b = str(bl[len(bl) // 2]) if bl else "-"
        each = "  ".join(f"{'-' if r[phase][0] is None else r[phase][0]}/{r[phase][1]:.1f}" for r in rows)
        print(f"  {phase:10} {b:>16} {se[len(se)//2]:>17.1f}   {each}")

ONLY = os.environ["ONLY"]
print(f"IBC bench, {time.strftime('%Y-%m-%d')}: Glia {net['chain_id']} <-> simd-local-1, Hermes (Glia: pull source), {N} requests each")
if ONLY != "ics20":
    fund()
if ONLY != "ics20":
  fmt([ica_request("task", image_msg(i)) for i in range(N)],
    "image requests from simd over ICS-27 (tiny model, 64x64, 4 steps, 3 replicas); queue and compute in Glia's blocks, total in simd's")
  fmt([ica_request("job", job_msg(i)) for i in range(N)],
    "planted 3-SAT jobs (80 variables) from simd over ICS-27: queue is 0 (a job opens when received)")

# ICS-20 packets per second, K transfers in one tx.
def many_transfers(home, chain, rpc_node, channel, receiver, denom, key):
    base = json.loads(sh(SIMD, "tx", "ibc-transfer", "transfer", "transfer", channel, receiver, f"1{denom}",
                         "--from", key, "--keyring-backend", "test", "--chain-id", chain, "--node", rpc_node,
                         "--generate-only", "--home", home))
    base["body"]["messages"] = base["body"]["messages"] * K
    base["auth_info"]["fee"]["gas_limit"] = str(120_000 * K)
    f = os.path.join(RUN, "ibc", f"bench-transfers-{time.time_ns()}.json")
    json.dump(base, open(f, "w"))
    signed = sh(SIMD, "tx", "sign", f, "--from", key, "--keyring-backend", "test", "--chain-id", chain,
                "--node", rpc_node, "--home", home)
    open(f, "w").write(signed)
    out = json.loads(sh(SIMD, "tx", "broadcast", f, "--node", rpc_node, "-o", "json", "--home", home))
    os.remove(f)
    if out.get("code"):
        raise SystemExit(f"the batch was refused: {out.get('raw_log')}")
    h = out["txhash"]
    def q():
        try:
            v = json.loads(sh(SIMD, "query", "tx", h, "--node", rpc_node, "-o", "json", "--home", home))
        except SystemExit:
            return None
        if v.get("code"):
            raise SystemExit(f"the batch failed: {v.get('raw_log')}")
        return v
    v = wait("the batch", q, 60)
    seqs = [int(a["value"]) for e in v["events"] if e["type"] == "send_packet" for a in e["attributes"] if a["key"] == "packet_sequence"]
    return int(v["height"]), seqs

def throughput(label, src_home, src_chain, src_rpc, src_channel, dst_rpc_http, dst_channel, receiver, denom):
    src_node = src_rpc.replace("http://", "tcp://")
    dst_node = dst_rpc_http.replace("http://", "tcp://")
    h0, seqs = many_transfers(src_home, src_chain, src_node, src_channel, receiver, denom, "user")
    assert len(seqs) == K, f"{len(seqs)} packets sent, not {K}"
    t0 = block_time(src_rpc, h0)
    last = {"h": None}
    def done():
        v = json.loads(sh(SIMD, "query", "ibc", "channel", "unreceived-packets", "transfer", dst_channel,
                          "--sequences", ",".join(map(str, seqs)), "--node", dst_node, "-o", "json", "--home", src_home))
        if v.get("sequences"):
            return None
        return int(rpc(dst_rpc_http, "status")["sync_info"]["latest_block_height"])
    hd = wait(f"{label}: every packet received", done, 600)
    # The block that received the last one: the first height from which none is unreceived.
    hb = block_search(dst_rpc_http, f"recv_packet.packet_dst_channel='{dst_channel}' AND recv_packet.packet_sequence='{seqs[-1]}'") \
        or [int(t["height"]) for t in tx_search(dst_rpc_http, f"recv_packet.packet_dst_channel='{dst_channel}' AND recv_packet.packet_sequence='{seqs[-1]}'")]
    h1 = min(hb) if hb else hd
    t1 = block_time(dst_rpc_http, h1)
    # Where the receipts landed: each packet's receiving tx and block on the destination.
    where = set()
    for s in seqs:
        for t in tx_search(dst_rpc_http, f"recv_packet.packet_dst_channel='{dst_channel}' AND recv_packet.packet_sequence='{s}'"):
            where.add((int(t["height"]), t["hash"]))
    heights = sorted({h for h, _ in where})
    first = block_time(dst_rpc_http, heights[0]) if heights else t1
    print(f"  {label}: {K} receipts in {len(where)} txs, blocks {heights}; first receipt's block "
          f"{first - t0:.1f} s after the send's, the last's {t1 - t0:.1f} s", flush=True)
    return K / max(t1 - t0, 1e-9), t1 - t0

if ONLY == "ica":
    sys.exit(0)
tr = ibc["transfer"]
g_user = net["accounts"][-2]["address"]
glia_rate = throughput("simd -> Glia", S_HOME, "simd-local-1", S_RPC, tr["simd"]["channel"], G_RPC, tr["glia"]["channel"], g_user, "stake")

# The peer: a second simd chain and a Hermes of its own (same version, same packet settings).
peer = subprocess.run([os.path.join(os.environ["LOCALNET"], "ibc-peer.sh")], capture_output=True, text=True)
if peer.returncode != 0:
    raise SystemExit(f"localnet/ibc-peer.sh failed: {peer.stderr[-1500:]}")
p = json.loads(peer.stdout.strip().splitlines()[-1])
try:
    peer_rate = throughput("simd-local-1 -> simd-local-2", S_HOME, "simd-local-1", S_RPC, p["channel_a"], p["rpc_b"], p["channel_b"], p["receiver_b"], "stake")
finally:
    subprocess.run([os.path.join(os.environ["LOCALNET"], "ibc-peer.sh"), "--down"], capture_output=True)

print(f"\nICS-20, {K} transfers in one tx, from its block to the block receiving the last (Hermes max_msg_num 20):")
print(f"  {'path':32} {'packets/s':>10} {'seconds':>8}")
print(f"  {'simd-local-1 -> Glia':32} {glia_rate[0]:>10.1f} {glia_rate[1]:>8.1f}")
print(f"  {'simd-local-1 -> simd-local-2':32} {peer_rate[0]:>10.1f} {peer_rate[1]:>8.1f}")
print(f"  Glia / simd: {glia_rate[0] / peer_rate[0]:.2f}x")
PY
