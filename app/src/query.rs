//! Queries, served the same way over ABCI (`/<Service>/<Method>` paths) and gRPC.

use glia_modules::error::{AppError, AppResult};
use glia_modules::store::KvRead;
use glia_modules::{auth, bank, inference, neuro, ReadOnly};
use prost::Message;

fn call<Req: Message + Default, Resp: Message>(
    data: &[u8],
    f: impl FnOnce(Req) -> AppResult<Resp>,
) -> AppResult<Vec<u8>> {
    let req = Req::decode(data)
        .map_err(|e| AppError::invalid_request(format!("cannot decode the request: {e}")))?;
    Ok(f(req)?.encode_to_vec())
}

/// Answers a module query against one version of state; `None` if no module serves `path`.
pub fn module_query(view: &dyn KvRead, path: &str, data: &[u8]) -> Option<AppResult<Vec<u8>>> {
    let kv = &mut ReadOnly(view);
    Some(match path {
        "/cosmos.auth.v1beta1.Query/Account" => call(data, |r| auth::query::account(kv, r)),
        "/cosmos.auth.v1beta1.Query/Accounts" => call(data, |r| auth::query::accounts(kv, r)),
        "/cosmos.auth.v1beta1.Query/Params" => call(data, |r| auth::query::params(kv, r)),
        "/cosmos.bank.v1beta1.Query/Balance" => call(data, |r| bank::query::balance(kv, r)),
        "/cosmos.bank.v1beta1.Query/AllBalances" => {
            call(data, |r| bank::query::all_balances(kv, r))
        }
        "/cosmos.bank.v1beta1.Query/SpendableBalances" => {
            call(data, |r| bank::query::spendable_balances(kv, r))
        }
        "/cosmos.bank.v1beta1.Query/TotalSupply" => {
            call(data, |r| bank::query::total_supply(kv, r))
        }
        "/cosmos.bank.v1beta1.Query/SupplyOf" => call(data, |r| bank::query::supply_of(kv, r)),
        "/cosmos.bank.v1beta1.Query/DenomOwners" => {
            call(data, |r| bank::query::denom_owners(kv, r))
        }
        "/cosmos.bank.v1beta1.Query/Params" => call(data, |r| bank::query::params(kv, r)),
        "/glia.inference.v1.Query/Task" => call(data, |r| inference::query::task(kv, r)),
        "/glia.inference.v1.Query/Tasks" => call(data, |r| inference::query::tasks(kv, r)),
        "/glia.inference.v1.Query/Executors" => call(data, |r| inference::query::executors(kv, r)),
        "/glia.inference.v1.Query/Models" => call(data, |r| inference::query::models(kv, r)),
        "/glia.inference.v1.Query/Params" => call(data, |r| inference::query::params(kv, r)),
        "/glia.neuro.v1.Query/Job" => call(data, |r| neuro::query::job(kv, r)),
        "/glia.neuro.v1.Query/Jobs" => call(data, |r| neuro::query::jobs(kv, r)),
        "/glia.neuro.v1.Query/Solutions" => call(data, |r| neuro::query::solutions(kv, r)),
        "/glia.neuro.v1.Query/Params" => call(data, |r| neuro::query::params(kv, r)),
        _ => return None,
    })
}
