//! `gliad query MODULE METHOD [ARGS...] [--PARAM VALUE...]`: every module query that has a REST
//! route, asked of a node over its RPC (`abci_query`) and printed as the REST API (and the
//! Cosmos SDK's gateway) writes it. The commands come from the app's own route table, so a
//! module's new query is a command with nothing to add: MODULE from the query's package
//! (`cosmos.bank.v1beta1` → `bank`, `glia.inference.v1` → `inference`,
//! `ibc.applications.transfer.v1` → `ibc-transfer`), METHOD its name in kebab case
//! (`AllBalances` → `all-balances`), ARGS the route's path parameters in order, and every other
//! `--name value` a request field (`--pagination.limit 5`, `--status TASK_STATUS_COMPLETED`).
//! `gliad query` lists the modules, `gliad query MODULE` its queries.

use anyhow::{bail, Context, Result};
use glia_client::rpc::Rpc;
use glia_modules::component::RestRoute;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct QueryArgs {
    /// MODULE METHOD [ARGS...], then --PARAM VALUE pairs; also --node URL, --height H,
    /// --network FILE and -o/--output json|text.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

/// One command: where its route answers and how.
struct Command {
    module: String,
    method: String,
    grpc: &'static str,
    params: Vec<String>,
    rest: RestRoute,
}

fn module_of(grpc: &str) -> String {
    let package = grpc
        .trim_start_matches('/')
        .split_once(".Query/")
        .or_else(|| grpc.trim_start_matches('/').split_once(".Service/"))
        .map_or(grpc, |(p, _)| p);
    let mut parts: Vec<&str> = package.split('.').collect();
    if parts
        .last()
        .is_some_and(|v| v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit()))
    {
        parts.pop();
    }
    let name = parts.join(".");
    let name = match name.as_str() {
        "ibc.applications.transfer" => "ibc-transfer".to_string(),
        n if n.starts_with("ibc.applications.") => n["ibc.applications.".len()..].to_string(),
        n if n.starts_with("ibc.core.") => format!("ibc-{}", &n["ibc.core.".len()..]),
        n => n
            .trim_start_matches("cosmos.base.")
            .trim_start_matches("cosmos.")
            .trim_start_matches("glia.")
            .to_string(),
    };
    name.replace(['.', '_'], "-")
}

fn kebab(method: &str) -> String {
    let mut out = String::new();
    for (i, c) in method.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn commands() -> Vec<Command> {
    let app = crate::components::glia(Arc::new(glia_modules::component::NoNode));
    let mut out: Vec<Command> = app
        .query_routes()
        .filter_map(|r| {
            let rest = r.rest.clone()?;
            let method = r.path.rsplit('/').next().unwrap_or(r.path);
            Some(Command {
                module: module_of(r.path),
                method: kebab(method),
                grpc: r.path,
                params: rest
                    .pattern
                    .split('/')
                    .filter_map(|s| s.strip_prefix(':').map(String::from))
                    .collect(),
                rest,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.module, &a.method).cmp(&(&b.module, &b.method)));
    out
}

/// The names the Cosmos SDK's CLI gives some queries (`simd query bank balances ADDR`), each
/// the alias of the route's own name: (module, alias, method).
const ALIASES: &[(&str, &str, &str)] = &[
    ("bank", "balances", "all-balances"),
    ("bank", "total", "total-supply"),
    ("staking", "delegations", "delegator-delegations"),
    (
        "staking",
        "unbonding-delegations",
        "delegator-unbonding-delegations",
    ),
    ("staking", "redelegations", "redelegations"),
    ("distribution", "rewards", "delegation-total-rewards"),
    ("distribution", "commission", "validator-commission"),
    ("slashing", "signing-info", "signing-info"),
];

/// The route's own name for `method` in `module`, through the SDK's aliases.
fn resolve_alias<'a>(module: &str, method: &'a str) -> &'a str {
    ALIASES
        .iter()
        .find(|(m, alias, _)| *m == module && *alias == method)
        .map_or(method, |(_, _, real)| real)
}

fn usage(c: &Command) -> String {
    let args: String = c.params.iter().map(|p| format!(" <{p}>")).collect();
    format!(
        "gliad query {} {}{args}    ({})",
        c.module, c.method, c.grpc
    )
}

/// The node to ask: --node, else the connection profile's first, else the local default.
fn node(flag: Option<String>, network: Option<String>) -> Result<String> {
    if let Some(n) = flag {
        return Ok(n);
    }
    let profile = network.or_else(|| std::env::var("GLIA_NETWORK").ok());
    if let Some(path) = profile {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{path} is not a connection profile"))?;
            if let Some(url) = v["rpc"][0].as_str() {
                return Ok(url.to_string());
            }
        }
    }
    Ok(super::signer::DEFAULT_NODE.to_string())
}

pub fn run(a: QueryArgs) -> Result<()> {
    let all = commands();
    let mut positional = Vec::new();
    let mut params = BTreeMap::new();
    let (mut node_flag, mut network, mut height, mut json) = (None, None, 0u64, false);
    let mut it = a.args.into_iter();
    while let Some(arg) = it.next() {
        let Some(name) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-').filter(|n| *n == "o"))
        else {
            positional.push(arg);
            continue;
        };
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let v = it
                    .next()
                    .with_context(|| format!("--{name} needs a value"))?;
                (name.to_string(), v)
            }
        };
        match name.as_str() {
            "node" => node_flag = Some(value),
            "network" => network = Some(value),
            "height" => height = value.parse().with_context(|| format!("--height {value}"))?,
            "o" | "output" => match value.as_str() {
                "json" => json = true,
                "text" => json = false,
                other => bail!("--output takes json or text, not {other:?}"),
            },
            _ => {
                params.insert(name, value);
            }
        }
    }
    let mut modules: Vec<&str> = all.iter().map(|c| c.module.as_str()).collect();
    modules.dedup();
    let Some(module) = positional.first() else {
        println!("gliad query MODULE METHOD [ARGS...] [--PARAM VALUE...]; modules:");
        modules.iter().for_each(|m| println!("  {m}"));
        println!("`gliad query MODULE` lists a module's queries.");
        return Ok(());
    };
    let of_module: Vec<&Command> = all.iter().filter(|c| &c.module == module).collect();
    if of_module.is_empty() {
        bail!("no module {module:?}; modules: {}", modules.join(", "));
    }
    let Some(method) = positional.get(1) else {
        println!("queries of {module}:");
        for c in &of_module {
            let alias = ALIASES
                .iter()
                .find(|(m, a, real)| m == module && *real == c.method && a != real);
            match alias {
                Some((_, a, _)) => println!("  {}    alias: {a}", usage(c)),
                None => println!("  {}", usage(c)),
            }
        }
        return Ok(());
    };
    let method = resolve_alias(module, method);
    let Some(cmd) = of_module.iter().find(|c| c.method == method) else {
        let names: Vec<&str> = of_module.iter().map(|c| c.method.as_str()).collect();
        bail!(
            "no query {method:?} in {module}; it has: {}",
            names.join(", ")
        );
    };
    let args = &positional[2..];
    if args.len() != cmd.params.len() {
        bail!(
            "{} takes {} argument(s), got {}; usage: {}",
            cmd.method,
            cmd.params.len(),
            args.len(),
            usage(cmd)
        );
    }
    for (p, v) in cmd.params.iter().zip(args) {
        params.insert(p.clone(), v.clone());
    }
    let req = (cmd.rest.request)(&params).map_err(|e| anyhow::anyhow!("{}", e.log))?;
    let url = node(node_flag, network)?;
    let r = Rpc::new(&url)
        .abci_query(cmd.grpc, &req, height)
        .with_context(|| format!("asking {url}"))?;
    if r.code != 0 {
        bail!("{}: code {} ({}): {}", cmd.grpc, r.code, r.codespace, r.log);
    }
    let v = (cmd.rest.json)(&r.value).map_err(|e| anyhow::anyhow!("{}", e.log))?;
    if json {
        println!("{v}");
    } else {
        println!("{}", serde_json::to_string_pretty(&v)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_named_from_the_route_table() {
        assert_eq!(module_of("/cosmos.bank.v1beta1.Query/AllBalances"), "bank");
        assert_eq!(module_of("/glia.inference.v1.Query/Task"), "inference");
        assert_eq!(
            module_of("/ibc.applications.transfer.v1.Query/Params"),
            "ibc-transfer"
        );
        assert_eq!(
            module_of("/ibc.applications.interchain_accounts.controller.v1.Query/Params"),
            "interchain-accounts-controller"
        );
        assert_eq!(
            module_of("/ibc.core.channel.v1.Query/Channel"),
            "ibc-channel"
        );
        assert_eq!(
            module_of("/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo"),
            "tendermint"
        );
        assert_eq!(kebab("DelegatorDelegations"), "delegator-delegations");
        let all = commands();
        let find = |m: &str, q: &str| all.iter().find(|c| c.module == m && c.method == q);
        let balances = find("bank", "all-balances").expect("bank all-balances");
        assert_eq!(balances.params, vec!["address"]);
        // Every SDK alias names a command that exists.
        for (m, alias, _) in ALIASES {
            let real = resolve_alias(m, alias);
            assert!(
                find(m, real).is_some(),
                "alias {m} {alias} → {real}: no such command"
            );
        }
        assert_eq!(resolve_alias("bank", "balances"), "all-balances");
        assert_eq!(resolve_alias("bank", "all-balances"), "all-balances");
        for (m, q) in [
            ("inference", "task"),
            ("inference", "models"),
            ("neuro", "jobs"),
            ("neuro", "solutions"),
            ("staking", "validators"),
            ("distribution", "delegation-total-rewards"),
            ("mint", "inflation"),
            ("slashing", "params"),
            ("auth", "account"),
            ("ibc-transfer", "params"),
        ] {
            assert!(find(m, q).is_some(), "no command {m} {q}");
        }
    }
}
