// The job board: SAT, MaxSAT and QUBO jobs with their pay, status and best energy; a job's
// page with its accepted solutions and a chart of the best energy over block height.

import { rest, jobsOf, JOB_STATUS, PROBLEM_FORMAT, enumOf } from "./api.js";
import { h, mount, chip, coin, group, short, copyable, empty, stat } from "./util.js";

const STATUS = {
  JOB_STATUS_AWAITING_REVIEW: ["awaiting review", "warn"],
  JOB_STATUS_OPEN: ["open", "info"],
  JOB_STATUS_SOLVED: ["solved", "ok"],
  JOB_STATUS_EXPIRED: ["expired", "muted"],
  JOB_STATUS_CANCELLED: ["cancelled", "muted"],
  JOB_STATUS_REJECTED: ["rejected", "bad"],
  JOB_STATUS_REVIEW_EXPIRED: ["review expired", "muted"],
};
export const LIVE = ["JOB_STATUS_OPEN", "JOB_STATUS_AWAITING_REVIEW"];
export const CLOSED = ["JOB_STATUS_SOLVED", "JOB_STATUS_EXPIRED", "JOB_STATUS_CANCELLED", "JOB_STATUS_REJECTED", "JOB_STATUS_REVIEW_EXPIRED"];

export const jobChip = (j) => {
  const [label, tone] = STATUS[enumOf(JOB_STATUS, j.status)] || ["unknown", "muted"];
  return chip(label, tone, { "data-role": "status" });
};
const fmt = (j) => enumOf(PROBLEM_FORMAT, j.format).replace("PROBLEM_FORMAT_", "");

/** An energy in the problem's units (QUBO energies are scaled by 10^decimals on chain). */
export function energy(e, decimals = 0) {
  if (e === undefined || e === null || e === "") return "—";
  const d = Number(decimals || 0);
  if (!d) return group(e);
  let v = BigInt(e);
  const neg = v < 0n;
  if (neg) v = -v;
  const s = v.toString().padStart(d + 1, "0");
  const frac = s.slice(-d).replace(/0+$/, "");
  return `${neg ? "−" : ""}${group(s.slice(0, -d))}${frac ? "." + frac : ""}`;
}

/** pay_per_unit_micro is uglia × 10^6 per unit of size: shown in uglia per unit. */
export const payPerUnit = (j) => {
  const v = Number(j.pay_per_unit_micro || 0) / 1e6;
  return `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3)} uglia/unit`;
};

/** The jobs table; each row links to the job's page (#jobs/ID). */
export function jobsTable(jobs, { emptyText = "No jobs." } = {}) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "table stack jobs" },
      h("thead", null, h("tr", null, ["Job", "Status", "Problem", "Pay per unit", "Block fee × blocks", "Reward", "Best energy", "Solutions"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, jobs.length ? jobs.map((j) =>
        h("tr", { dataset: { jobId: j.id }, class: "link-row", onclick: (e) => { if (!e.target.closest("a,button")) location.hash = `#jobs/${j.id}`; } },
          h("td", { "data-label": "Job" }, h("a", { href: `#jobs/${j.id}` }, `#${j.id}`), h("div", { class: "muted small" }, `by ${short(j.creator, 8, 4)}`)),
          h("td", { "data-label": "Status" }, jobChip(j)),
          h("td", { "data-label": "Problem" }, `${fmt(j)} · ${group(j.num_vars)} vars · ${group(j.num_clauses)} ${fmt(j) === "QUBO" ? "terms" : "clauses"}`),
          h("td", { "data-label": "Pay per unit", class: "num", title: "(max blocks × block fee + reward) / size, where size is literals + clauses or terms + variables" }, payPerUnit(j)),
          h("td", { "data-label": "Block fee × blocks", class: "num" }, `${coin(j.block_fee?.amount)} × ${j.max_blocks}`),
          h("td", { "data-label": "Reward", class: "num" }, coin(j.solution_reward?.amount)),
          h("td", { "data-label": "Best energy", class: "num" }, j.has_best ? energy(j.best_energy, j.decimals) : h("span", { class: "muted" }, "none yet"),
            j.has_target ? h("div", { class: "muted small" }, `target ${energy(j.target_energy, j.decimals)}`) : null),
          h("td", { "data-label": "Solutions", class: "num" }, j.solutions || "0"),
        )) : empty(emptyText, 8))));
}

export async function renderBoard(root, filter = "live") {
  const statuses = filter === "live" ? LIVE : filter === "closed" ? CLOSED : [...LIVE, ...CLOSED];
  const [jobs, params] = await Promise.all([jobsOf(statuses), rest("/glia/neuro/v1/params").catch(() => null)]);
  const open = jobs.filter((j) => enumOf(JOB_STATUS, j.status) === "JOB_STATUS_OPEN");
  const tabs = h("div", { class: "seg", role: "group", "aria-label": "which jobs" },
    [["live", "Open & in review"], ["closed", "Closed"], ["all", "All"]].map(([k, label]) =>
      h("a", { href: `#jobs?${k}`, class: k === filter ? "on" : "", "aria-current": k === filter ? "true" : null }, label)));
  mount(root,
    h("div", { class: "stats" },
      stat("Open jobs", String(open.length), filter === "live" ? null : "in this list"),
      stat("Best pay", open.length ? payPerUnit(open.reduce((a, b) => (Number(b.pay_per_unit_micro) > Number(a.pay_per_unit_micro) ? b : a))) : "—", "per unit of size"),
      params ? stat("Review above", `${group(params.params.review_size_threshold)} units`, `committee of ${params.params.committee.length}, quorum ${params.params.quorum}`) : null),
    h("section", { class: "card" },
      h("div", { class: "card-head" }, h("h2", null, "Job board"), tabs),
      h("p", { class: "muted small" }, "Validators' memcomputing solvers work the open jobs, best pay first. Pay per unit = (max blocks × block fee + reward) ÷ problem size. Each block's fee goes to the solvers whose improving solutions landed in it; the reward goes to the solution that meets the target (or the best one at the deadline)."),
      jobsTable(jobs, { emptyText: filter === "live" ? "No open jobs. Post one from the Request tab." : "No jobs." })));
}

/** A job's page: terms, state, the solutions and the best-energy chart. */
export async function renderJob(root, id) {
  const [{ job: j }, sol] = await Promise.all([
    rest(`/glia/neuro/v1/jobs/${id}`),
    rest(`/glia/neuro/v1/jobs/${id}/solutions`).catch(() => ({ solutions: [] })),
  ]);
  const solutions = (sol.solutions || []).slice().sort((a, b) => Number(a.height) - Number(b.height) || Number(a.index) - Number(b.index));
  mount(root,
    h("p", null, h("a", { href: "#jobs", class: "back" }, "← job board")),
    h("section", { class: "card job", dataset: { jobId: j.id } },
      h("div", { class: "card-head" }, h("h2", null, `Job #${j.id} `, jobChip(j)), h("span", { class: "muted small" }, `${fmt(j)} · ${group(j.num_vars)} variables · ${group(j.num_clauses)} ${fmt(j) === "QUBO" ? "terms" : "clauses"} · size ${group(j.size)}`)),
      h("div", { class: "stats" },
        stat("Best energy", j.has_best ? energy(j.best_energy, j.decimals) : "—", j.has_target ? `target ${energy(j.target_energy, j.decimals)}` : `baseline ${energy(j.baseline_energy, j.decimals)}`),
        stat("Pay per unit", payPerUnit(j), `${coin(j.block_fee?.amount)} per block × ${j.max_blocks}`),
        stat("Reward", coin(j.solution_reward?.amount), j.winner ? `won by ${short(j.winner, 8, 4)}` : "to the winning solution"),
        stat("Open", j.start_height && Number(j.start_height) ? `blocks ${j.start_height}–${j.deadline_height}` : "—", `settles by ${j.settle_height || "—"}`),
        stat("Escrow left", coin(j.escrow?.amount), `fees paid ${coin(j.fees_paid?.amount)} · refunded ${coin(j.refunded?.amount)}`)),
      h("h3", null, "Best energy over block height"),
      chart(solutions, j),
      h("h3", null, `Solutions (${solutions.length})`),
      h("div", { class: "table-wrap" }, h("table", { class: "table stack" },
        h("thead", null, h("tr", null, ["#", "Solver", "Energy", "Block", "Rank", "Paid", "Target"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, solutions.length ? solutions.map((s) => h("tr", null,
          h("td", { "data-label": "#" }, s.index),
          h("td", { "data-label": "Solver" }, copyable(s.solver)),
          h("td", { "data-label": "Energy", class: "num" }, energy(s.energy, j.decimals)),
          h("td", { "data-label": "Block", class: "num" }, s.height),
          h("td", { "data-label": "Rank", class: "num" }, s.rank),
          h("td", { "data-label": "Paid", class: "num" }, Number(s.paid) ? coin(s.paid) : "—"),
          h("td", { "data-label": "Target" }, s.met_target ? chip("met", "ok") : ""))) : empty("No accepted solution yet.", 7)))),
      h("details", { class: "problem" }, h("summary", null, "Problem text"),
        h("pre", { class: "mono" }, (j.problem || "").slice(0, 20000) + ((j.problem || "").length > 20000 ? "\n…" : ""))),
      h("p", { class: "muted small" }, "Posted by ", copyable(j.creator), ` at block ${j.created_height}; problem sha256 `,
        h("code", null, short(atobHex(j.problem_sha256), 12, 8)))));
}

function atobHex(b64) {
  try {
    return Array.from(atob(b64 || ""), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  } catch {
    return "";
  }
}

/**
 * An inline SVG step chart of the best energy (lower is better) after each accepted solution,
 * from the first solution's block to the job's close or the chart's last point.
 */
export function chart(solutions, j) {
  // Drawn at about the size it is shown (the card's width), so its labels stay readable.
  const W = Math.round(Math.max(300, Math.min(1100, (document.querySelector("main")?.clientWidth || 640) - 64)));
  const H = W < 500 ? 180 : 230, P = { l: 56, r: 16, t: 14, b: 30 };
  const pts = [];
  let best = Infinity;
  for (const s of solutions) {
    const e = Number(s.energy);
    if (e < best) {
      best = e;
      pts.push([Number(s.height), e]);
    }
  }
  if (!pts.length) return h("p", { class: "muted chart-empty" }, "No solution yet: the chart starts with the first.");
  const end = Math.max(pts[pts.length - 1][0], Number(j.closed_height || 0) || pts[pts.length - 1][0]);
  const x0 = Number(j.start_height) && Number(j.start_height) < pts[0][0] ? Number(j.start_height) : pts[0][0];
  const x1 = end > x0 ? end : x0 + 1;
  const ys = pts.map((p) => p[1]);
  const base = j.baseline_energy !== undefined && j.baseline_energy !== null ? Number(j.baseline_energy) : null;
  if (base !== null) ys.push(base);
  if (j.has_target) ys.push(Number(j.target_energy));
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const sx = (x) => P.l + ((x - x0) / (x1 - x0)) * (W - P.l - P.r);
  const sy = (y) => P.t + ((y1 - y) / (y1 - y0)) * (H - P.t - P.b);
  // From the all-false baseline at the opening block (when known), down a step at each
  // improving solution.
  const start = base !== null && x0 < pts[0][0] ? [x0, base] : pts[0];
  let d = `M${sx(start[0]).toFixed(1)},${sy(start[1]).toFixed(1)}`;
  for (let i = start === pts[0] ? 1 : 0; i < pts.length; i++) d += `H${sx(pts[i][0]).toFixed(1)}V${sy(pts[i][1]).toFixed(1)}`;
  d += `H${sx(x1).toFixed(1)}`;
  const dec = j.decimals;
  const ticks = [y0, (y0 + y1) / 2, y1];
  return h("figure", { class: "chart" },
    h("svg:svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `best energy from ${energy(pts[0][1], dec)} to ${energy(best, dec)}` },
      ticks.map((t) => [
        h("svg:line", { x1: P.l, x2: W - P.r, y1: sy(t), y2: sy(t), class: "grid" }),
        h("svg:text", { x: P.l - 6, y: sy(t) + 4, "text-anchor": "end", class: "tick" }, energy(Math.round(t), dec)),
      ]),
      h("svg:text", { x: P.l, y: H - 8, class: "tick" }, `block ${x0}`),
      h("svg:text", { x: W - P.r, y: H - 8, "text-anchor": "end", class: "tick" }, `block ${x1}`),
      base !== null ? h("svg:line", { x1: P.l, x2: W - P.r, y1: sy(base), y2: sy(base), class: "baseline" }) : null,
      j.has_target ? h("svg:line", { x1: P.l, x2: W - P.r, y1: sy(Number(j.target_energy)), y2: sy(Number(j.target_energy)), class: "target" }) : null,
      h("svg:path", { d, class: "line" }),
      pts.map(([x, y]) => h("svg:circle", { cx: sx(x), cy: sy(y), r: 3.5, class: "dot" }, h("svg:title", null, `block ${x}: ${energy(y, dec)}`)))),
    h("figcaption", { class: "muted small" }, base !== null ? "dashed: the all-false baseline" : "", j.has_target ? " · green: the target" : ""));
}
