// Small helpers shared by the page's modules: safe DOM building, number and coin formatting.

/**
 * Builds an element: h("a", { href, class: "x", onclick }, "text", child...).
 * Children are nodes or strings (always inserted as text, never parsed as HTML: prompts and
 * monikers come from strangers). Attributes that are null, undefined or false are skipped;
 * `on*` functions become listeners; `dataset` is an object of data-* values.
 */
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "class") el.setAttribute("class", Array.isArray(v) ? v.filter(Boolean).join(" ") : v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k in el && !svg && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** "glia1abcd…wxyz" */
export function short(s, head = 10, tail = 6) {
  if (!s) return "";
  return s.length <= head + tail + 1 ? s : `${s.slice(0, head)}…${s.slice(-tail)}`;
}

/** An integer string with thin group separators: 1 234 567. */
export function group(n) {
  const s = String(n);
  const neg = s.startsWith("-");
  const d = neg ? s.slice(1) : s;
  return (neg ? "−" : "") + d.replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
}

/** A micro-denominated amount ("1234567" uglia) as "1.234567 GLIA"; small ones stay in uglia. */
export function coin(amount, denom = "uglia", { exact = false } = {}) {
  if (amount === undefined || amount === null || amount === "") return "—";
  let a = BigInt(String(amount).split(".")[0]);
  if (denom !== "uglia") return `${group(a)} ${denom}`;
  if (!exact && a < 10_000n && a > -10_000n) return `${group(a)} uglia`;
  const neg = a < 0n;
  if (neg) a = -a;
  const whole = a / 1_000_000n;
  let frac = (a % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  if (!exact && whole >= 1000n) frac = frac.slice(0, 2);
  return `${neg ? "−" : ""}${group(whole)}${frac ? "." + frac : ""} GLIA`;
}

/** Coins from a Coin or list of Coins ({denom, amount}). */
export function coins(list) {
  if (!list) return "—";
  const l = Array.isArray(list) ? list : [list];
  if (!l.length) return "0";
  return l.map((c) => coin(c.amount, c.denom)).join(", ");
}

/** A decimal string ("12.5000") rounded down to whole uglia. */
export const decToInt = (s) => String(s || "0").split(".")[0];

/** "3 s ago" / "2 min ago" from a Date or ISO string. */
export function ago(t) {
  const s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** "TASK_STATUS_COMPLETED" → "completed". Accepts numbers from enums too, with `names`. */
export function enumName(v, prefix, names = []) {
  if (typeof v === "number") v = names[v] || String(v);
  return String(v || "").replace(prefix, "").replace(/_/g, " ").toLowerCase();
}

/** A status chip. `tone`: ok, warn, bad, info, muted. */
export function chip(text, tone = "muted", attrs = {}) {
  return h("span", { class: `chip chip-${tone}`, ...attrs }, text);
}

/** Lower-case hex from base64 (the chain's bytes fields in JSON). */
export function b64hex(b64) {
  const bin = atob(b64 || "");
  let s = "";
  for (let i = 0; i < bin.length; i++) s += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return s;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A copy-to-clipboard button for long hashes and addresses. */
export function copyable(text, shown = short(text)) {
  return h(
    "button",
    {
      type: "button",
      class: "copy mono",
      title: `${text} (copy)`,
      onclick: (e) => {
        navigator.clipboard?.writeText(text).catch(() => {});
        const b = e.currentTarget;
        b.classList.add("copied");
        setTimeout(() => b.classList.remove("copied"), 900);
      },
    },
    shown,
  );
}

/** An empty-state line inside a table body or list. */
export function empty(text, cols) {
  return cols
    ? h("tr", { class: "empty" }, h("td", { colspan: cols }, text))
    : h("p", { class: "empty" }, text);
}

/** A small labelled figure for the stat strips. */
export function stat(label, value, sub, attrs = {}) {
  return h("div", { class: "stat", ...attrs }, h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value" }, value), sub ? h("div", { class: "stat-sub" }, sub) : null);
}
