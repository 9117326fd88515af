// Image tasks: cards with the request, its progress and its images, each checked against the
// sha256 the chain recorded (verify.js). Used by the gallery, the account view and the request
// form (which follows its own task until it settles).

import { h, mount, chip, coin, short, copyable, empty } from "./util.js";
import { verify } from "./verify.js";

const STATUS = {
  TASK_STATUS_PENDING: ["pending", "info"],
  TASK_STATUS_COMPLETED: ["completed", "ok"],
  TASK_STATUS_PARTIAL: ["partial", "warn"],
  TASK_STATUS_REFUNDED: ["refunded", "bad"],
};

export const taskStatus = (t) => (STATUS[t.status] || [String(t.status || "unknown").toLowerCase(), "muted"])[0];

/** What changes a card: the rest of a task is fixed at creation. */
function signature(t) {
  const results = (t.assignments || []).filter((a) => Number(a.result_height) > 0).length;
  const commits = (t.assignments || []).filter((a) => Number(a.commit_height) > 0).length;
  return [t.status, (t.outcomes || []).length, results, commits, t.reveal_height, (t.assignments || []).length].join("/");
}

/**
 * Renders `tasks` into `box`, newest first, reusing the cards whose task has not changed (so
 * images and their checks stay put across refreshes).
 */
export function renderTasks(box, tasks, { emptyText = "No image requests yet.", head } = {}) {
  const old = new Map([...box.querySelectorAll(":scope > .task")].map((el) => [el.dataset.taskId, el]));
  if (!tasks.length) {
    mount(box, empty(emptyText));
    return;
  }
  const cards = tasks.map((t) => {
    const el = old.get(String(t.id));
    return el && el.dataset.sig === signature(t) ? el : taskCard(t, { head });
  });
  // Only touch the DOM when the order or a card changed.
  const same = cards.length === box.children.length && cards.every((c, i) => box.children[i] === c);
  if (!same) mount(box, cards);
}

/** One task's card. */
export function taskCard(t, { head } = {}) {
  const [label, tone] = STATUS[t.status] || [String(t.status).toLowerCase(), "muted"];
  const pending = t.status === "TASK_STATUS_PENDING";
  const outcomes = t.outcomes || [];
  const seeds = t.seeds || [];
  const settledSeeds = new Set(outcomes.map((o) => String(o.seed)));

  const images = h(
    "div",
    { class: "shots" },
    outcomes.map((o) => shot(o, t)),
    // Seeds still being made, or refunded without an agreed image.
    seeds.filter((s) => !settledSeeds.has(String(s))).map((s) =>
      h("figure", { class: "shot shot-wait", dataset: { seed: s, hash: pending ? "pending" : "none" } },
        h("div", { class: "frame", style: { aspectRatio: `${t.width} / ${t.height}` } },
          pending ? h("div", { class: "spinner", "aria-hidden": "true" }) : h("span", { class: "muted" }, "no agreed image")),
        h("figcaption", null, h("span", { class: "mono" }, `seed ${s}`), pending ? chip("generating", "info") : chip("refunded", "bad"))),
    ),
  );

  return h(
    "article",
    { class: "card task", dataset: { taskId: t.id, status: label, sig: signature(t) } },
    h("header", { class: "task-head" },
      h("span", { class: "task-id" }, `#${t.id}`),
      chip(label, tone, { "data-role": "status" }),
      head || null,
      h("span", { class: "muted small" }, `${t.model_id} · ${t.width}×${t.height} · ${t.steps} steps · ${t.replicas} replicas`)),
    h("p", { class: "prompt" }, t.prompt || h("span", { class: "muted" }, "(empty prompt)")),
    t.negative_prompt ? h("p", { class: "neg small" }, h("span", { class: "muted" }, "not: "), t.negative_prompt) : null,
    pending ? progress(t) : null,
    images,
    h("footer", { class: "task-foot small muted" },
      h("span", null, "by ", copyable(t.creator)),
      h("span", null, `block ${t.created_height}`),
      h("span", null, `escrow ${coin(t.escrow?.amount)}`),
      !pending ? h("span", null, `paid ${coin(t.paid?.amount)} · refunded ${coin(t.refunded?.amount)}`) : null),
  );
}

/** Where a pending task stands: commitments, then reveals, against the deadlines. */
function progress(t) {
  const as = t.assignments || [];
  const committed = as.filter((a) => Number(a.commit_height) > 0).length;
  const revealed = as.filter((a) => Number(a.result_height) > 0).length;
  const phase = Number(t.reveal_height) > 0 ? `reveal phase (until block ${t.reveal_deadline_height})` : "commit phase";
  const n = Math.max(as.length, 1);
  return h("div", { class: "progress small" },
    h("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 2 * n, "aria-valuenow": committed + revealed },
      h("span", { style: { width: `${Math.round(((committed + revealed) / (2 * n)) * 100)}%` } })),
    h("span", null, `${as.length} executors assigned · ${committed} committed · ${revealed} revealed · ${phase} · times out at block ${t.timeout_height}`));
}

/** One settled seed: its agreed image fetched, hashed and marked. */
function shot(o, t) {
  if (!o.output_sha256) {
    // The replicas did not agree: nothing to show, and that seed was refunded.
    return h("figure", { class: "shot shot-wait", dataset: { seed: o.seed, hash: "none" } },
      h("div", { class: "frame", style: { aspectRatio: `${t.width} / ${t.height}` } }, h("span", { class: "muted" }, "replicas disagreed")),
      h("figcaption", null, h("span", { class: "mono" }, `seed ${o.seed}`), chip("no agreement", "warn")));
  }
  const fig = h("figure", { class: "shot", dataset: { seed: o.seed, hash: "checking" } });
  const frame = h("div", { class: "frame", style: { aspectRatio: `${t.width} / ${t.height}` } }, h("div", { class: "spinner", "aria-hidden": "true" }));
  const badge = chip("checking hash…", "muted", { class: "chip chip-muted hash-badge" });
  const cap = h("figcaption", null, h("span", { class: "mono" }, `seed ${o.seed}`), badge);
  const detail = h("details", { class: "sources small" }, h("summary", null, `${(o.agreeing || []).length} agreeing executor${(o.agreeing || []).length === 1 ? "" : "s"}`),
    o.unconfirmed ? h("p", { class: "muted" }, "unconfirmed: the other replicas were silent") : null);
  mount(fig, frame, cap, detail);

  verify(o).then((r) => {
    fig.dataset.hash = r.status;
    fig.classList.add(`shot-${r.status}`);
    if (r.objectUrl) {
      mount(frame, h("img", { src: r.objectUrl, alt: `${t.prompt} (seed ${o.seed})`, width: t.width, height: t.height, loading: "lazy", decoding: "async" }));
      frame.append(h("a", { class: "open", href: r.objectUrl, download: `glia-${t.id}-${o.seed}.png`, title: "save image", "aria-label": "save image" }, "↓"));
    } else {
      mount(frame, h("span", { class: "muted" }, "no source answered"));
    }
    const anyBad = r.sources.some((s) => s.status === "bad");
    badge.replaceWith(
      r.status === "ok"
        ? chip(anyBad ? "hash ✓ (a source lied)" : "hash ✓", anyBad ? "warn" : "ok", { class: `chip ${anyBad ? "chip-warn" : "chip-ok"} hash-badge`, title: `sha256 ${r.want} matches the chain` })
        : r.status === "bad"
          ? chip("✗ hash mismatch", "bad", { class: "chip chip-bad hash-badge", title: "the bytes served are not the ones the chain recorded" })
          : chip("unavailable", "muted", { class: "chip chip-muted hash-badge" }),
    );
    if (r.status === "bad") frame.append(h("div", { class: "stamp", role: "alert" }, "hash mismatch"));
    detail.append(
      h("p", null, "chain: ", h("code", { class: "mono" }, short(r.want, 16, 8))),
      h("ul", null, r.sources.map((s) =>
        h("li", { dataset: { sourceHash: s.status } },
          s.status === "ok" ? chip("✓", "ok") : s.status === "bad" ? chip("✗ mismatch", "bad") : chip("error", "muted"), " ",
          h("a", { href: s.url, target: "_blank", rel: "noopener" }, new URL(s.url).host),
          s.status === "bad" ? h("span", { class: "mono" }, ` served ${short(s.got, 10, 6)}`) : null,
          s.error ? ` ${s.error}` : null)),
        (o.urls || []).slice(r.sources.length).map((u) => h("li", { dataset: { sourceHash: "unchecked" } }, chip("not needed", "muted"), " ", new URL(u).host))),
    );
    if (anyBad) detail.open = true;
  });
  return fig;
}
