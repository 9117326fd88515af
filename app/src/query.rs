//! Queries by path (ABCI, gRPC and REST alike): the components' routes, Simulate and the
//! node's config, at a committed height.

use crate::app::{panic_error, App};
use crate::params::ChainParams;
use glia_modules::error::{AppError, AppResult};
use glia_modules::ReadOnly;
use glia_proto::cosmos::cosmos::base::node::v1beta1::{ConfigRequest, ConfigResponse};
use prost::Message;

impl App {
    /// Any query by path at `height` (0 = latest): the answer and the height it is from.
    pub fn query(&self, path: &str, data: &[u8], height: u64) -> AppResult<(Vec<u8>, u64)> {
        // A panic while answering (a query over ABCI, gRPC or REST, Simulate) is an error
        // answer, never a dead server thread: queries only read.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.query_inner(path, data, height)
        }))
        .unwrap_or_else(|p| Err(panic_error("the query", p)))
    }

    pub(crate) fn query_inner(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
    ) -> AppResult<(Vec<u8>, u64)> {
        #[cfg(test)]
        if path == crate::app::tests::PANIC_QUERY {
            panic!("a test-only query that panics");
        }
        let last = self.0.store.last_height();
        if last == 0 {
            return Err(AppError::invalid_request("no block has been committed yet"));
        }
        if height > last {
            return Err(AppError::invalid_request(format!(
                "height {height} is not committed yet; the latest is {last}"
            )));
        }
        let view = self.0.store.at_height(height).ok_or_else(|| {
            AppError::invalid_request(format!(
                "state at height {height} is no longer kept in memory"
            ))
        })?;
        let h = view.height();
        match path {
            "/cosmos.tx.v1beta1.Service/Simulate" => self.simulate(data).map(|v| (v, h)),
            "/cosmos.base.node.v1beta1.Service/Config" => {
                let min = ChainParams::load(&mut ReadOnly(&view))?.min_gas_price;
                let min = self
                    .0
                    .config
                    .min_gas_price
                    .as_ref()
                    .map_or(min, |p| p.to_string());
                let _ = ConfigRequest::decode(data);
                let resp = ConfigResponse {
                    minimum_gas_price: min,
                    ..Default::default()
                };
                Ok((resp.encode_to_vec(), h))
            }
            _ => match self.0.components.query(&view, path, data) {
                Some(r) => r.map(|v| (v, h)),
                None => Err(AppError::unknown_request(format!(
                    "unknown query path {path:?}"
                ))),
            },
        }
    }
}
