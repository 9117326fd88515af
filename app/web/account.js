// An account: balances, delegations and their rewards, useful-work earnings, and the image
// tasks and jobs it created.

import { rest, jobsOf } from "./api.js";
import { h, mount, coin, coins, short, copyable, empty, stat, decToInt } from "./util.js";
import { renderTasks } from "./gallery.js";
import { jobsTable, LIVE, CLOSED } from "./jobs.js";
import { fromBech32 } from "./vendor/cosmjs.js";

export function validAddress(a) {
  try {
    // cosmjs 0.39's default limit (Infinity) is refused by @scure/base 2: give BIP-173's 90.
    return fromBech32(a, 90).prefix === "glia";
  } catch {
    return false;
  }
}

/** Renders the account `addr` into `box` (the address form lives outside, in app.js). */
export async function renderAccount(box, addr, monikers = new Map()) {
  if (!addr) {
    mount(box, h("p", { class: "empty" }, "Enter an address above, or choose a signer in the Request tab."));
    return;
  }
  if (!validAddress(addr)) {
    mount(box, h("p", { class: "error" }, `${addr} is not a glia1… address.`));
    return;
  }
  const [bal, dels, rewards, worker, tasks, jobs] = await Promise.all([
    rest(`/cosmos/bank/v1beta1/balances/${addr}`).catch(() => ({ balances: [] })),
    rest(`/cosmos/staking/v1beta1/delegations/${addr}`).catch(() => ({ delegation_responses: [] })),
    rest(`/cosmos/distribution/v1beta1/delegators/${addr}/rewards`).catch(() => ({ rewards: [], total: [] })),
    rest(`/glia/distribution/v1/workers/${addr}`).catch(() => null),
    rest("/glia/inference/v1/tasks", { creator: addr, "pagination.limit": 12, "pagination.reverse": true }).catch(() => ({ tasks: [] })),
    jobsOf([...LIVE, ...CLOSED], addr, 20),
  ]);
  const rewardOf = new Map((rewards.rewards || []).map((r) => [r.validator_address, r.reward]));
  const delegations = dels.delegation_responses || [];
  const staked = delegations.reduce((s, d) => s + BigInt(d.balance?.amount || 0), 0n);
  const main = (bal.balances || []).find((b) => b.denom === "uglia");

  const taskBox = h("div", { class: "tasks" });
  mount(box,
    h("div", { class: "stats", dataset: { account: addr } },
      stat("Balance", coin(main?.amount || "0"), (bal.balances || []).length > 1 ? coins(bal.balances.filter((b) => b.denom !== "uglia")) : null, { id: "acct-balance" }),
      stat("Delegated", coin(staked.toString()), `${delegations.length} validator${delegations.length === 1 ? "" : "s"}`),
      stat("Staking rewards", coin(decToInt((rewards.total || []).find((c) => c.denom === "uglia")?.amount || "0")), "not yet withdrawn"),
      worker ? stat("Useful-work earnings", coin(worker.total_earned || "0"), worker.current ? `this epoch: ${coin(worker.current.fees)} in fees` : "from the pool") : null),
    h("section", { class: "card" },
      h("h2", null, "Delegations"),
      h("div", { class: "table-wrap" }, h("table", { class: "table stack" },
        h("thead", null, h("tr", null, ["Validator", "Staked", "Rewards"].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", null, delegations.length ? delegations.map((d) => {
          const v = d.delegation.validator_address;
          return h("tr", null,
            h("td", { "data-label": "Validator" }, monikers.get(v) ? h("div", { class: "moniker" }, monikers.get(v)) : null, copyable(v, short(v, 14, 6))),
            h("td", { "data-label": "Staked", class: "num" }, coin(d.balance?.amount)),
            h("td", { "data-label": "Rewards", class: "num" }, coin(decToInt((rewardOf.get(v) || []).find((c) => c.denom === "uglia")?.amount || "0"))));
        }) : empty("No delegations.", 3))))),
    h("section", { class: "card" }, h("h2", null, "Jobs posted"), jobsTable(jobs, { emptyText: "No jobs posted by this account." })),
    h("section", null, h("h2", { class: "section-title" }, "Image requests"), taskBox),
  );
  renderTasks(taskBox, tasks.tasks || [], { emptyText: "No image requests from this account." });
}

export { short };
