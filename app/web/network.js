// The network: chain head and block time, emission, the useful-work pool, and every
// validator with its stake, its executor's GPUs and quality score, and its uptime over the
// slashing window.

import { rest, all, chainHead } from "./api.js";
import { h, mount, coin, group, short, chip, stat, copyable, empty, decToInt } from "./util.js";
import { sha256, fromBase64, toBech32, fromBech32, toHex } from "./vendor/cosmjs.js";

const bytesKey = (bech) => {
  try {
    // An explicit length limit: cosmjs 0.39's default (Infinity) is refused by @scure/base 2.
    return toHex(fromBech32(bech, 90).data);
  } catch {
    return "";
  }
};

/** CometBFT's consensus address of an ed25519 key: the first 20 bytes of its sha256. */
const consAddress = (pubkeyB64) => toBech32("gliavalcons", sha256(fromBase64(pubkeyB64)).slice(0, 20));

function devices(ex) {
  if (!ex) return h("span", { class: "muted" }, "no executor");
  const ds = ex.devices || [];
  if (!ds.length) return h("span", { class: "muted" }, "none declared");
  return h("span", { class: "devices" }, ds.map((d) => {
    const mem = Number(d.memory_bytes) > 0 ? ` ${(Number(d.memory_bytes) / 2 ** 30).toFixed(0)} GiB` : "";
    return h("span", { class: "device", title: `${d.count} × ${d.name}${mem}` }, `${d.count}× ${d.name}${mem}`);
  }));
}

function quality(ex, height) {
  if (!ex) return "—";
  const q = Number(ex.quality_bps) / 100;
  const jailed = Number(ex.jailed_until) > height;
  return h("div", { class: "meter-cell" },
    h("div", { class: "meter", title: `${ex.quality_bps} bps` }, h("span", { class: q >= 90 ? "good" : q >= 60 ? "mid" : "low", style: { width: `${q}%` } })),
    h("span", null, `${q.toFixed(q % 1 ? 1 : 0)}%`),
    jailed ? chip(`out until ${ex.jailed_until}`, "bad") : null,
    h("span", { class: "muted small", title: "results accepted · outvoted · missed" }, `${ex.results_accepted} accepted · ${ex.results_outvoted} outvoted · ${ex.results_missed} missed`));
}

export async function renderNetwork(root) {
  const [head, vals, execs, infos, slashing, emission, useful] = await Promise.all([
    chainHead().catch(() => null),
    all("/cosmos/staking/v1beta1/validators", "validators"),
    all("/glia/inference/v1/executors", "executors").catch(() => []),
    all("/cosmos/slashing/v1beta1/signing_infos", "info").catch(() => []),
    rest("/cosmos/slashing/v1beta1/params").catch(() => null),
    rest("/glia/mint/v1/emission").catch(() => null),
    rest("/glia/distribution/v1/useful_work").catch(() => null),
  ]);
  const height = head?.height || 0;
  const window = Number(slashing?.params?.signed_blocks_window || 0);
  const byOperator = new Map(execs.map((e) => [bytesKey(e.operator), e]));
  const byCons = new Map(infos.map((i) => [i.address, i]));
  const bonded = vals.filter((v) => v.status === "BOND_STATUS_BONDED");
  const bondedStake = bonded.reduce((s, v) => s + BigInt(v.tokens), 0n);
  const gpus = execs.reduce((s, e) => s + (e.devices || []).reduce((n, d) => n + Number(d.count || 0), 0), 0);
  vals.sort((a, b) => (BigInt(b.tokens) > BigInt(a.tokens) ? 1 : BigInt(b.tokens) < BigInt(a.tokens) ? -1 : 0));

  const stats = h("div", { class: "stats" },
    stat("Block height", height ? group(height) : "—", head ? `${head.interval ? head.interval.toFixed(2) + " s per block" : ""}` : "RPC unreachable", { id: "stat-height" }),
    stat("Validators", `${bonded.length} bonded`, `${vals.length} in all`),
    stat("Bonded stake", coin(bondedStake.toString()), null),
    stat("Devices", String(gpus), `${execs.length} executors`),
    emission ? stat("Block reward", coin(emission.next_reward), `inflation ${(Number(emission.inflation) * 100).toFixed(3)}%`) : null,
    useful ? stat("Useful-work pool", coin(useful.pool?.[0]?.amount || "0"), `pays at block ${useful.next_payout_height}`) : null,
  );

  const rows = vals.map((v) => {
    const ex = byOperator.get(bytesKey(v.operator_address));
    const info = v.consensus_pubkey?.key ? byCons.get(consAddress(v.consensus_pubkey.key)) : null;
    const missed = Number(info?.missed_blocks_counter || 0);
    const up = window ? Math.max(0, 100 * (1 - missed / window)) : null;
    const share = bondedStake > 0n && v.status === "BOND_STATUS_BONDED" ? Number((BigInt(v.tokens) * 10000n) / bondedStake) / 100 : 0;
    const status = v.jailed ? chip("jailed", "bad") : v.status === "BOND_STATUS_BONDED" ? chip("bonded", "ok") : chip(v.status.replace("BOND_STATUS_", "").toLowerCase(), "warn");
    return h("tr", { dataset: { validator: v.operator_address } },
      h("td", { "data-label": "Validator" }, h("div", { class: "moniker" }, v.description?.moniker || "(no moniker)"), copyable(v.operator_address, short(v.operator_address, 14, 6))),
      h("td", { "data-label": "Status" }, status),
      h("td", { "data-label": "Stake", class: "num" }, coin(v.tokens), h("div", { class: "muted small" }, `${share}% of power · ${(Number(v.commission?.commission_rates?.rate || 0) * 100).toFixed(0)}% commission`)),
      h("td", { "data-label": "Devices" }, devices(ex)),
      h("td", { "data-label": "Quality", "data-quality-bps": ex?.quality_bps ?? null, "data-executor": ex?.operator ?? null }, quality(ex, height)),
      h("td", { "data-label": "Uptime" }, up === null ? "—" : h("span", { title: `${missed} missed of the last ${window} blocks` }, `${up.toFixed(up === 100 ? 0 : 1)}%`, info?.tombstoned ? chip("tombstoned", "bad") : null)),
    );
  });

  mount(root,
    stats,
    h("section", { class: "card" },
      h("h2", null, "Validators ", h("span", { class: "muted small" }, `uptime over the last ${window || "—"} blocks; quality is the executor's score for image work`)),
      h("div", { class: "table-wrap" },
        h("table", { id: "validators", class: "table stack" },
          h("thead", null, h("tr", null, ["Validator", "Status", "Stake", "Devices", "Quality", "Uptime"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", null, rows.length ? rows : empty("No validators.", 6))))),
    useful?.scores?.length
      ? h("section", { class: "card" },
          h("h2", null, `Useful work, epoch ${useful.epoch} `, h("span", { class: "muted small" }, `fees earned from other parties, weighted by quality; the pool pays at block ${useful.next_payout_height}`)),
          h("div", { class: "table-wrap" }, h("table", { class: "table stack" },
            h("thead", null, h("tr", null, ["Worker", "Fees earned", "Score", "Items", "Requesters"].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", null, useful.scores.map((s) => h("tr", null,
              h("td", { "data-label": "Worker" }, copyable(s.worker)),
              h("td", { "data-label": "Fees earned", class: "num" }, coin(s.fees)),
              h("td", { "data-label": "Score", class: "num" }, group(decToInt(s.score))),
              h("td", { "data-label": "Items", class: "num" }, s.items),
              h("td", { "data-label": "Requesters", class: "num" }, s.requesters)))))))
      : null,
  );
  return { height };
}
