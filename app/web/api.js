// The page's view of the chain: only the public endpoints any dApp would use.
//   REST (grpc-gateway JSON): the page's own origin, or ?api=URL.
//   CometBFT RPC: /keplr.json's `rpc`, or ?rpc=URL (heights and block times, tx lookup).
//   Blobs: the URLs each ImageOutcome lists (executors' blob stores).

const params = new URLSearchParams(location.search);
const trim = (u) => u.replace(/\/+$/, "");

export const cfg = {
  rest: trim(params.get("api") || location.origin),
  rpc: params.get("rpc") ? trim(params.get("rpc")) : null,
  chainId: "",
  denom: "uglia",
  gasPrice: "0.025",
  keplr: null, // the chain info for Keplr's experimentalSuggestChain
  nodeMoniker: "",
};

/** A localnet chain id: the page then offers the public development keys. */
export const isLocalnet = () => cfg.chainId.startsWith("glia-local");

/** Loads /keplr.json (chain id, RPC, fee currency) and the node's info. */
export async function loadConfig() {
  const [keplr, node] = await Promise.all([
    fetchJson(`${cfg.rest}/keplr.json`).catch(() => null),
    rest("/cosmos/base/tendermint/v1beta1/node_info").catch(() => null),
  ]);
  if (keplr) {
    cfg.keplr = keplr;
    cfg.chainId = keplr.chainId || "";
    if (!cfg.rpc && keplr.rpc) cfg.rpc = trim(keplr.rpc);
    const fee = keplr.feeCurrencies?.[0];
    if (fee) {
      cfg.denom = fee.coinMinimalDenom || cfg.denom;
      if (fee.gasPriceStep?.low !== undefined) cfg.gasPrice = String(fee.gasPriceStep.low);
    }
  }
  if (node) {
    cfg.chainId ||= node.default_node_info?.network || "";
    cfg.nodeMoniker = node.default_node_info?.moniker || "";
  }
  return cfg;
}

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

async function fetchJson(url, init) {
  const r = await fetch(url, { cache: "no-store", ...init });
  const text = await r.text();
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!r.ok) throw new ApiError(body.message || `${r.status} ${r.statusText}`, r.status, body);
  return body;
}

/** GET (or POST with `body`) a REST path; query values that are empty are left out. */
export function rest(path, query, body) {
  let url = cfg.rest + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes("?") ? "&" : "?") + s;
  }
  return body === undefined
    ? fetchJson(url)
    : fetchJson(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** A CometBFT RPC call over GET (CORS is open on the RPC); rejects when the page has no RPC. */
export async function rpc(method, query = {}) {
  if (!cfg.rpc) throw new Error("no RPC endpoint known");
  const q = new URLSearchParams(query).toString();
  const body = await fetchJson(`${cfg.rpc}/${method}${q ? "?" + q : ""}`);
  if (body.error) throw new ApiError(body.error.data || body.error.message, 500, body);
  return body.result;
}

/** Every page of a paginated list (`key` is the list's field), up to `max` items. */
export async function all(path, key, query = {}, max = 1000) {
  const out = [];
  let next = "";
  do {
    const r = await rest(path, { ...query, "pagination.limit": 200, "pagination.key": next });
    out.push(...(r[key] || []));
    next = r.pagination?.next_key || "";
  } while (next && out.length < max);
  return out;
}

/** The latest height and time, and the mean block interval over the last `n` blocks. */
export async function chainHead(n = 20) {
  const st = await rpc("status");
  const height = Number(st.sync_info.latest_block_height);
  let interval = null;
  if (height > 2) {
    const min = Math.max(1, height - n);
    const bc = await rpc("blockchain", { minHeight: min, maxHeight: height });
    const times = bc.block_metas.map((m) => new Date(m.header.time).getTime()).sort((a, b) => a - b);
    if (times.length > 1) interval = (times[times.length - 1] - times[0]) / (times.length - 1) / 1000;
  }
  return { height, time: st.sync_info.latest_block_time, interval, moniker: st.node_info?.moniker };
}

// Enum names as grpc-gateway writes them, by number (for the ts-proto values in forms).
export const TASK_STATUS = ["TASK_STATUS_UNSPECIFIED", "TASK_STATUS_PENDING", "TASK_STATUS_COMPLETED", "TASK_STATUS_PARTIAL", "TASK_STATUS_REFUNDED"];
export const JOB_STATUS = ["JOB_STATUS_UNSPECIFIED", "JOB_STATUS_AWAITING_REVIEW", "JOB_STATUS_OPEN", "JOB_STATUS_SOLVED", "JOB_STATUS_EXPIRED", "JOB_STATUS_CANCELLED", "JOB_STATUS_REJECTED", "JOB_STATUS_REVIEW_EXPIRED"];
export const PROBLEM_FORMAT = ["PROBLEM_FORMAT_UNSPECIFIED", "PROBLEM_FORMAT_CNF", "PROBLEM_FORMAT_WCNF", "PROBLEM_FORMAT_QUBO"];

/** Enum values arrive as names (grpc-gateway) or numbers; this gives the name. */
export const enumOf = (names, v) => (typeof v === "number" ? names[v] : v) || names[0];

/** Jobs of several statuses (the REST filter takes one at a time), newest first. */
export async function jobsOf(statuses, creator = "", limit = 30) {
  const lists = await Promise.all(
    statuses.map((s) =>
      rest("/glia/neuro/v1/jobs", { status: s, creator, "pagination.limit": limit }).then((r) => r.jobs || []).catch(() => []),
    ),
  );
  const seen = new Map();
  for (const j of lists.flat()) seen.set(j.id, j);
  return [...seen.values()].sort((a, b) => Number(b.id) - Number(a.id));
}
