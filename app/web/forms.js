// The Request tab: who signs (Keplr, or a development key on a localnet), the image request
// form and the job form. A request is priced before signing, broadcast, then followed in place
// until it settles: the task's images appear checked, the job's state and best energy update.

import { cfg, rest, isLocalnet, jobsOf } from "./api.js";
import { h, mount, $, coin, chip, copyable, sleep } from "./util.js";
import { devSigner, keplrSigner, hasKeplr, signAndBroadcast, eventAttr } from "./tx.js";
import { renderTasks } from "./gallery.js";
import { jobChip, energy, payPerUnit, LIVE, CLOSED } from "./jobs.js";
import { Scheduler, ProblemFormat, sha256, toBase64 } from "./vendor/cosmjs.js";

/** The current signer: {kind, label, address, signer} or null (read-only). */
export const signer = { who: null, listeners: new Set() };
const notify = () => signer.listeners.forEach((f) => f(signer.who));

let models = [];
let inferenceParams = null;
let executors = 0;

// ---------------------------------------------------------------- signer

export async function initSigner() {
  const pick = $("#signer-kind");
  const opts = [["none", "Nobody (read-only)"]];
  if (isLocalnet()) opts.unshift(["dev", "Development account (localnet)"]);
  if (hasKeplr()) opts.unshift(["keplr", "Keplr"]);
  mount(pick, opts.map(([v, l]) => h("option", { value: v }, l)));
  const saved = localStorage.getItem("glia.signer") || "";
  const [kind, n] = saved.split(":");
  pick.value = opts.some(([v]) => v === kind) ? kind : isLocalnet() ? "dev" : "none";
  if (n) $("#dev-index").value = n;
  pick.addEventListener("change", chooseSigner);
  $("#dev-index").addEventListener("change", chooseSigner);
  $("#keplr-hint").hidden = hasKeplr();
  $("#dev-note").hidden = !isLocalnet();
  // Keplr may inject itself after the page has loaded.
  if (!hasKeplr()) window.addEventListener("load", () => hasKeplr() && initSigner(), { once: true });
  window.addEventListener("keplr_keystorechange", () => pick.value === "keplr" && chooseSigner());
  await chooseSigner();
}

async function chooseSigner() {
  const kind = $("#signer-kind").value;
  const n = Math.max(0, Math.min(999, Number($("#dev-index").value) || 0));
  $("#dev-field").hidden = kind !== "dev";
  const status = $("#signer-status");
  mount(status, h("span", { class: "muted" }, kind === "none" ? "Read-only: choose a signer to send requests." : "connecting…"));
  signer.who = null;
  try {
    if (kind === "dev") signer.who = await devSigner(n);
    else if (kind === "keplr") signer.who = await keplrSigner();
    localStorage.setItem("glia.signer", kind === "dev" ? `dev:${n}` : kind);
  } catch (e) {
    mount(status, h("span", { class: "error" }, e.message || String(e)));
  }
  notify();
  await refreshSigner();
}

/** The signer's address and balance, in the Request tab and the header. */
export async function refreshSigner() {
  const who = signer.who;
  const chipEl = $("#signer-chip");
  if (!who) {
    mount(chipEl, h("span", { class: "muted" }, "read-only"));
    $$submit().forEach((b) => (b.disabled = true));
    return;
  }
  const bal = await rest(`/cosmos/bank/v1beta1/balances/${who.address}`).catch(() => null);
  const amount = bal?.balances?.find((b) => b.denom === cfg.denom)?.amount || "0";
  mount($("#signer-status"),
    h("div", { class: "signer-line" }, chip(who.kind === "dev" ? "dev key" : "Keplr", who.kind === "dev" ? "warn" : "ok"), " ", who.label),
    h("div", { class: "signer-line" }, h("span", { id: "signer-address", class: "mono", "data-address": who.address }, who.address)),
    h("div", { class: "signer-line" }, "Balance ", h("strong", { id: "signer-balance" }, coin(amount))));
  mount(chipEl, h("a", { href: `#account/${who.address}`, title: who.address }, h("span", { class: "dot-live" }), `${who.address.slice(0, 9)}…${who.address.slice(-4)}`));
  $$submit().forEach((b) => (b.disabled = false));
}

const $$submit = () => [...document.querySelectorAll("form.tx button[type=submit]")];

// ---------------------------------------------------------------- image request

export async function initImageForm() {
  const [m, p, ex] = await Promise.all([
    rest("/glia/inference/v1/models"),
    rest("/glia/inference/v1/params").catch(() => null),
    rest("/glia/inference/v1/executors").catch(() => ({ executors: [] })),
  ]);
  models = m.models || [];
  inferenceParams = p?.params || null;
  executors = (ex.executors || []).length;
  const sel = $("#img-model");
  mount(sel, models.map((x) => h("option", { value: x.id }, x.id)));
  if (models.some((x) => x.id === "tiny")) sel.value = "tiny";
  sel.addEventListener("change", () => applyModel(true));
  applyModel(true);
  await initFeeDenoms();
  $("#image-form").addEventListener("input", price);
  $("#image-form").addEventListener("submit", submitImage);
  $("#img-seed-shuffle").addEventListener("click", () => { $("#img-seed").value = randomSeed(); });
  $("#img-seed").value = randomSeed();
}

const randomSeed = () => String(1 + Math.floor(Math.random() * 1_000_000_000));
const model = () => models.find((x) => x.id === $("#img-model").value);

/** Sizes, step and replica bounds from the chosen model; defaults for a first request. */
function applyModel() {
  const m = model();
  if (!m) return;
  const mult = Number(m.size_multiple || 8);
  const sizes = [];
  for (let s = mult; s <= Number(m.max_width); s += mult) if (s >= 64 || s === Number(m.max_width)) sizes.push(s);
  const pickSize = (id, max) => {
    const el = $(id);
    const wanted = Number(el.value) || (m.family === "MODEL_FAMILY_TINY" ? 64 : 512);
    mount(el, sizes.filter((s) => s <= max).map((s) => h("option", { value: s }, `${s}px`)));
    el.value = String(sizes.includes(wanted) && wanted <= max ? wanted : Math.min(max, m.family === "MODEL_FAMILY_TINY" ? 64 : 512));
  };
  pickSize("#img-width", Number(m.max_width));
  pickSize("#img-height", Number(m.max_height));
  const steps = $("#img-steps");
  steps.max = m.max_steps;
  if (Number(steps.value) > Number(m.max_steps)) steps.value = m.max_steps;
  const reps = $("#img-replicas");
  const min = Number(m.min_replicas || 1);
  const max = Math.max(min, Number(inferenceParams?.max_replicas || min));
  reps.min = min;
  reps.max = max;
  // On the localnet one executor perturbs its images (test fixtures): three replicas still
  // agree two to one. Elsewhere the model's minimum is the cheapest verified request.
  const want = isLocalnet() ? Math.max(min, Math.min(3, executors || 3, max)) : min;
  reps.value = String(want);
  $("#img-images").max = inferenceParams?.max_seeds || 16;
  $("#img-replicas-hint").textContent = `at least ${min} (the model's minimum), at most ${max}; ${executors} executors serve requests`;
  price();
}

/** The "Pay in" choices: GLIA, and each IBC voucher the chain accepts for requests (inference
 * params fee_denoms), named by its trace (`stake via channel-0`). */
async function initFeeDenoms() {
  const list = inferenceParams?.fee_denoms || [];
  const named = await Promise.all(list.map(async (f) => {
    const t = await rest(`/ibc/apps/transfer/v1/denoms/${f.denom.replace(/^ibc\//, "")}`).catch(() => null);
    const base = t?.denom?.base;
    const via = (t?.denom?.trace || []).map((x) => x.channel_id).join("/");
    return h("option", { value: f.denom }, base ? `${base} via ${via} (IBC)` : f.denom);
  }));
  mount($("#img-denom"), h("option", { value: "uglia" }, "GLIA"), ...named);
}

/** The rate of the chosen denom: units of it for `uglia` uglia (GLIA: 1 for 1). */
function feeRate() {
  const d = $("#img-denom").value || "uglia";
  const f = (inferenceParams?.fee_denoms || []).find((x) => x.denom === d);
  return f ? { denom: d, units: BigInt(f.units), uglia: BigInt(f.uglia) } : { denom: "uglia", units: 1n, uglia: 1n };
}

/** The escrow: price_per_result × images × replicas, price_per_result = ceil(price × steps × w × h / 10^6),
 * converted to the chosen denom as the chain converts it (rounded up). */
function escrow() {
  const m = model();
  if (!m) return null;
  const steps = BigInt(Math.max(1, Number($("#img-steps").value) || 1));
  const w = BigInt($("#img-width").value || 0), hh = BigInt($("#img-height").value || 0);
  const rate = feeRate();
  const uglia = (BigInt(m.price_per_step_megapixel) * steps * w * hh + 999_999n) / 1_000_000n;
  const per = (uglia * rate.units + rate.uglia - 1n) / rate.uglia;
  const n = BigInt(Math.max(1, Number($("#img-images").value) || 1));
  const r = BigInt(Math.max(1, Number($("#img-replicas").value) || 1));
  return { per, n, r, total: per * n * r, denom: rate.denom };
}

function price() {
  const e = escrow();
  if (!e) return;
  mount($("#img-price"),
    h("strong", { id: "img-price-total" }, coin(e.total.toString(), e.denom, { exact: true })),
    h("span", { class: "muted" }, ` = ${coin(e.per.toString(), e.denom)} per image × ${e.n} image${e.n === 1n ? "" : "s"} × ${e.r} replicas, held in escrow; what no executor earns comes back. Plus the tx fee (gas × ${cfg.gasPrice} uglia).`));
}

async function submitImage(ev) {
  ev.preventDefault();
  const who = signer.who;
  if (!who) return;
  const m = model();
  const e = escrow();
  const first = BigInt($("#img-seed").value || randomSeed());
  const n = Number(e.n);
  const msg = {
    typeUrl: "/glia.inference.v1.MsgGenerateImage",
    value: {
      creator: who.address,
      modelId: m.id,
      prompt: $("#img-prompt").value.trim(),
      negativePrompt: $("#img-negative").value.trim(),
      width: Number($("#img-width").value),
      height: Number($("#img-height").value),
      steps: Number($("#img-steps").value),
      guidanceScale: $("#img-guidance").value || "7.5",
      scheduler: $("#img-scheduler").value === "euler-a" ? Scheduler.SCHEDULER_EULER_ANCESTRAL : Scheduler.SCHEDULER_DDIM,
      seeds: Array.from({ length: n }, (_, i) => first + BigInt(i)),
      replicas: Number(e.r),
      maxFee: { denom: e.denom, amount: e.total.toString() },
      timeoutBlocks: 0n,
    },
  };
  const out = $("#img-result");
  const r = await send(ev.submitter || $("#image-form button[type=submit]"), out, who, msg);
  if (!r) return;
  let id = eventAttr(r.events, "generate_image", "task_id");
  $("#img-seed").value = randomSeed();
  if (!id && r.unknown) {
    // Included, result unknown (no RPC): the newest task of ours with this prompt and seed.
    const mine = await rest("/glia/inference/v1/tasks", { creator: who.address, "pagination.limit": 10, "pagination.reverse": true }).catch(() => ({ tasks: [] }));
    id = (mine.tasks || []).find((t) => t.prompt === msg.value.prompt && String(t.seeds?.[0]) === String(first))?.id;
  }
  if (!id) return;
  out.dataset.taskId = id;
  followTask(out, id);
}

/** Shows the task as it goes, until it settles (or the page moves on to another request). */
async function followTask(out, id) {
  const box = h("div", { class: "tasks follow" });
  out.append(box);
  for (let i = 0; i < 900 && out.dataset.taskId === String(id); i++) {
    try {
      const { task } = await rest(`/glia/inference/v1/tasks/${id}`);
      renderTasks(box, [task]);
      if (task.status !== "TASK_STATUS_PENDING") {
        refreshSigner();
        return;
      }
    } catch (e) {
      /* a node restarting: try again */
    }
    await sleep(1500);
  }
}

// ---------------------------------------------------------------- job

/** A satisfiable random 3-SAT instance: every clause holds under a hidden assignment. */
export function planted(vars, clauses, seed = Date.now()) {
  let s = BigInt(seed) & 0xffffffffffffffffn;
  const next = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    return Number(s >> 33n);
  };
  const hidden = Array.from({ length: vars + 1 }, () => next() % 2 === 1);
  const lines = [`c planted 3-SAT: ${vars} variables, ${clauses} clauses`, `p cnf ${vars} ${clauses}`];
  for (let m = 0; m < clauses; m++) {
    const vs = new Set();
    while (vs.size < 3) vs.add(1 + (next() % vars));
    let lits;
    do lits = [...vs].map((v) => (next() % 2 === 1 ? v : -v));
    while (!lits.some((l) => (l > 0) === hidden[Math.abs(l)]));
    lines.push(`${lits.join(" ")} 0`);
  }
  return lines.join("\n") + "\n";
}

const EXAMPLES = {
  cnf: () => planted(40, 160),
  wcnf: () => [
    "c weighted MaxSAT: hard clauses (weight = top) must hold, soft ones cost their weight",
    "p wcnf 4 6 100",
    "100 1 2 0", "100 -1 -2 0", "3 1 0", "2 2 0", "4 -3 4 0", "1 3 -4 0",
  ].join("\n") + "\n",
  qubo: () => [
    "c minimise sum of value * x_i * x_j (i == j: linear); 0-based variables",
    "p qubo 4 7 0",
    "0 0 -3", "1 1 -2", "2 2 -2", "3 3 -1", "0 1 4", "1 2 1.5", "2 3 2.5",
  ].join("\n") + "\n",
};

/** The problem's format from its header, as the CLI tells it. */
export function detectFormat(text) {
  for (const raw of text.split("\n")) {
    const l = raw.trim();
    if (!l || l.startsWith("c")) continue;
    if (/^p\s+cnf\b/.test(l)) return "cnf";
    if (/^p\s+wcnf\b/.test(l) || /^h\s/.test(l)) return "wcnf";
    if (/^p\s+qubo\b/.test(l)) return "qubo";
    return /^\d+\s/.test(l) ? "wcnf" : null;
  }
  return null;
}

export function initJobForm() {
  const f = $("#job-form");
  const ta = $("#job-problem");
  ta.value = EXAMPLES.cnf();
  for (const k of Object.keys(EXAMPLES))
    $(`#job-example-${k}`).addEventListener("click", () => {
      ta.value = EXAMPLES[k]();
      jobTerms();
    });
  f.addEventListener("input", jobTerms);
  f.addEventListener("submit", submitJob);
  jobTerms();
}

function jobTerms() {
  const fee = BigInt(Math.max(0, Number($("#job-fee").value) || 0));
  const blocks = BigInt(Math.max(1, Number($("#job-blocks").value) || 1));
  const reward = BigInt(Math.max(0, Number($("#job-reward").value) || 0));
  const fmt = $("#job-format").value === "auto" ? detectFormat($("#job-problem").value) : $("#job-format").value;
  $("#job-target").disabled = fmt === "cnf";
  $("#job-target").placeholder = fmt === "cnf" ? "SAT: every clause" : "best by the deadline";
  mount($("#job-escrow"),
    h("strong", null, coin((fee * blocks + reward).toString(), "uglia", { exact: true })),
    h("span", { class: "muted" }, ` = ${fee} uglia × ${blocks} blocks + ${coin(reward.toString())} reward, held in escrow; unspent fees come back. Format: ${fmt ? fmt.toUpperCase() : "unknown (choose one)"}.`));
}

async function submitJob(ev) {
  ev.preventDefault();
  const who = signer.who;
  if (!who) return;
  const text = $("#job-problem").value;
  const fmt = $("#job-format").value === "auto" ? detectFormat(text) : $("#job-format").value;
  const out = $("#job-result");
  if (!fmt) {
    mount(out, h("p", { class: "error" }, "Cannot tell the format from the header: choose CNF, WCNF or QUBO."));
    return;
  }
  const msg = {
    typeUrl: "/glia.neuro.v1.MsgSubmitJob",
    value: {
      creator: who.address,
      format: { cnf: ProblemFormat.PROBLEM_FORMAT_CNF, wcnf: ProblemFormat.PROBLEM_FORMAT_WCNF, qubo: ProblemFormat.PROBLEM_FORMAT_QUBO }[fmt],
      problem: text,
      blockFee: { denom: cfg.denom, amount: String(Math.max(0, Number($("#job-fee").value) || 0)) },
      maxBlocks: BigInt(Math.max(1, Number($("#job-blocks").value) || 1)),
      solutionReward: { denom: cfg.denom, amount: String(Math.max(0, Number($("#job-reward").value) || 0)) },
      targetEnergy: fmt === "cnf" ? "" : $("#job-target").value.trim(),
    },
  };
  const r = await send(ev.submitter || $("#job-form button[type=submit]"), out, who, msg);
  if (!r) return;
  let id = eventAttr(r.events, "submit_job", "job_id");
  if (!id && r.unknown) {
    // Included, result unknown (no RPC): our newest job with this problem's sha256.
    const want = toBase64(sha256(new TextEncoder().encode(text)));
    id = (await jobsOf([...LIVE, ...CLOSED], who.address, 10)).find((j) => j.problem_sha256 === want)?.id;
  }
  if (!id) return;
  out.dataset.jobId = id;
  followJob(out, id);
}

async function followJob(out, id) {
  const box = h("div", { class: "follow-job card", dataset: { jobId: id } });
  out.append(box);
  for (let i = 0; i < 1200 && out.dataset.jobId === String(id); i++) {
    try {
      const { job: j } = await rest(`/glia/neuro/v1/jobs/${id}`);
      mount(box,
        h("div", { class: "card-head" }, h("h3", null, h("a", { href: `#jobs/${id}` }, `Job #${id}`), " ", jobChip(j)),
          h("span", { class: "muted small" }, payPerUnit(j))),
        h("p", null, j.has_best ? `best energy ${energy(j.best_energy, j.decimals)} after ${j.solutions} improving solution${j.solutions === "1" ? "" : "s"}` : "waiting for the first solution",
          j.winner ? [" · winner ", copyable(j.winner)] : null));
      if (!["JOB_STATUS_OPEN", "JOB_STATUS_AWAITING_REVIEW"].includes(j.status)) {
        refreshSigner();
        return;
      }
    } catch {
      /* retry */
    }
    await sleep(2000);
  }
}

// ---------------------------------------------------------------- shared

/** Signs and broadcasts one message with progress shown in `out`; the result or null. */
async function send(button, out, who, msg) {
  const line = h("p", { class: "tx-line", role: "status", "aria-live": "polite" }, "preparing…");
  mount(out, line);
  button.disabled = true;
  try {
    const r = await signAndBroadcast(who, [msg], {
      progress: (stage, hash) => mount(line, stage, hash ? [" · tx ", copyable(hash, hash.slice(0, 12) + "…")] : null),
    });
    mount(line, chip("included", "ok"), r.height ? ` in block ${r.height}` : " (no RPC: result read from REST)", ` · fee ${coin(r.fee.amount)} · tx `,
      h("span", { class: "mono", "data-tx-hash": r.hash }, copyable(r.hash, r.hash.slice(0, 16) + "…")));
    refreshSigner();
    return r;
  } catch (e) {
    mount(line, chip("failed", "bad"), " ", h("span", { class: "error", "data-error": "" }, e.message || String(e)),
      e.hash ? [" · tx ", copyable(e.hash)] : null);
    return null;
  } finally {
    button.disabled = !signer.who;
  }
}
