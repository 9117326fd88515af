// The Glia page: tabs routed by the URL's hash (#network, #gallery, #jobs, #jobs/ID,
// #account/ADDR, #request), each refreshed every few seconds while shown.

import { cfg, loadConfig, rest, chainHead, isLocalnet } from "./api.js";
import { h, mount, $, $$, group, chip } from "./util.js";
import { renderNetwork } from "./network.js";
import { renderTasks } from "./gallery.js";
import { recheckAll } from "./verify.js";
import { renderBoard, renderJob } from "./jobs.js";
import { renderAccount, validAddress } from "./account.js";
import { signer, initSigner, initImageForm, initJobForm, refreshSigner } from "./forms.js";

const REFRESH_MS = 4000;
const TABS = ["network", "gallery", "jobs", "account", "request"];

let route = { tab: "network", arg: "" };
let timer = null;
let busy = false;
let monikers = new Map();

function parseRoute() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const [tab, ...rest] = path.split("/");
  return { tab: TABS.includes(tab) ? tab : "network", arg: rest.join("/") || query };
}

function show() {
  route = parseRoute();
  for (const t of TABS) {
    $(`#tab-${t}`).hidden = t !== route.tab;
    const link = $(`nav a[href="#${t}"]`);
    link.classList.toggle("on", t === route.tab);
    if (t === route.tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (route.tab === "account") {
    const addr = route.arg || signer.who?.address || "";
    $("#account-address").value = addr;
  }
  refresh(true);
}

/** Renders the shown tab (and the header); errors go to the tab's banner, not the console. */
async function refresh(now = false) {
  clearTimeout(timer);
  if (busy && !now) return schedule();
  busy = true;
  const tab = route.tab;
  const banner = $(`#tab-${tab} .banner`);
  try {
    header();
    if (tab === "network") await renderNetwork($("#network-body"));
    else if (tab === "gallery") await gallery();
    else if (tab === "jobs") await (route.arg && /^\d+$/.test(route.arg) ? renderJob($("#jobs-body"), route.arg) : renderBoard($("#jobs-body"), route.arg || "live"));
    else if (tab === "account") await renderAccount($("#account-body"), $("#account-address").value.trim(), monikers);
    else if (tab === "request") await refreshSigner();
    if (banner) banner.hidden = true;
  } catch (e) {
    if (banner) {
      banner.hidden = false;
      mount(banner, `Cannot reach the node (${e.message || e}); retrying every few seconds.`);
    }
  } finally {
    busy = false;
    schedule();
  }
}

function schedule() {
  clearTimeout(timer);
  // The account view and job pages change slowly and hold open <details>: refresh them less.
  const slow = route.tab === "account" || (route.tab === "jobs" && /^\d+$/.test(route.arg));
  timer = setTimeout(() => refresh(), document.hidden ? 30_000 : slow ? 3 * REFRESH_MS : REFRESH_MS);
}

async function header() {
  const head = await chainHead(10).catch(() => null);
  const el = $("#head-height");
  if (head) {
    mount(el, h("span", { class: "dot-live", title: "live" }), `block ${group(head.height)}`,
      head.interval ? h("span", { class: "muted" }, ` · ${head.interval.toFixed(1)} s`) : null);
    el.dataset.height = head.height;
  } else mount(el, chip("RPC unreachable", "bad"));
}

async function gallery() {
  const status = $("#gallery-filter").value;
  const r = await rest("/glia/inference/v1/tasks", { status, "pagination.limit": 24, "pagination.reverse": true });
  renderTasks($("#gallery-body"), r.tasks || [], { emptyText: status ? "No tasks with this status." : "No image requests yet: make one from the Request tab." });
}

async function start() {
  await loadConfig();
  mount($("#head-chain"), cfg.chainId || "unknown chain");
  $("#head-chain").dataset.chainId = cfg.chainId;
  document.title = `Glia · ${cfg.chainId}`;
  if (isLocalnet()) document.body.classList.add("localnet");
  $("#api-note").textContent = `REST ${cfg.rest} · RPC ${cfg.rpc || "unknown"}`;

  rest("/cosmos/staking/v1beta1/validators", { "pagination.limit": 200 })
    .then((r) => { monikers = new Map((r.validators || []).map((v) => [v.operator_address, v.description?.moniker])); })
    .catch(() => {});

  $("#gallery-filter").addEventListener("change", () => refresh(true));
  $("#gallery-recheck").addEventListener("click", () => { recheckAll(); mount($("#gallery-body")); refresh(true); });
  $("#account-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const a = $("#account-address").value.trim();
    if (a && !validAddress(a)) return mount($("#account-body"), h("p", { class: "error" }, `${a} is not a glia1… address.`));
    location.hash = `#account/${a}`;
  });
  $("#account-mine").addEventListener("click", () => { if (signer.who) location.hash = `#account/${signer.who.address}`; });
  signer.listeners.add(() => { if (route.tab === "account" && !route.arg) show(); });
  document.addEventListener("visibilitychange", () => !document.hidden && refresh(true));
  window.addEventListener("hashchange", show);
  // The job chart is drawn at the width it is shown: draw it again after a resize or rotation.
  let resized;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => route.tab === "jobs" && /^\d+$/.test(route.arg) && refresh(true), 300);
  });

  show();
  await Promise.all([initSigner(), initImageForm().catch((e) => mount($("#img-price"), h("span", { class: "error" }, `models unavailable: ${e.message}`))), initJobForm()]);
  $("body").dataset.ready = "true";
}

start().catch((e) => {
  mount($("#fatal"), `The page could not start: ${e.message || e}. Is the node's REST API reachable at ${cfg.rest}?`);
  $("#fatal").hidden = false;
});

// Expose for debugging from the console.
window.glia = { cfg, signer, refresh, $$ };
