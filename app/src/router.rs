//! Routes each message of a tx to its module by type URL.

use glia_modules::address::Address;
use glia_modules::bank::{self, BankMsg};
use glia_modules::error::{AppError, AppResult};
use glia_modules::inference::{self, InferenceMsg};
use glia_modules::neuro::{self, NeuroMsg};
use glia_modules::Ctx;
use glia_proto::cosmos::Any;

/// A message any module accepts, checked statelessly.
#[derive(Clone, Debug)]
pub enum Msg {
    Bank(BankMsg),
    Inference(InferenceMsg),
    Neuro(NeuroMsg),
}

impl Msg {
    /// Decodes and checks a message; an unknown type URL is a decode error, as in the SDK.
    pub fn decode(any: &Any) -> AppResult<Msg> {
        if let Some(m) = BankMsg::decode(any) {
            return m.map(Msg::Bank);
        }
        if let Some(m) = InferenceMsg::decode(any) {
            return m.map(Msg::Inference);
        }
        if let Some(m) = NeuroMsg::decode(any) {
            return m.map(Msg::Neuro);
        }
        Err(AppError::tx_decode(format!(
            "unable to resolve type URL {:?}",
            any.type_url
        )))
    }

    pub fn signers(&self) -> Vec<Address> {
        match self {
            Msg::Bank(m) => m.signers(),
            Msg::Inference(m) => m.signers(),
            Msg::Neuro(m) => m.signers(),
        }
    }

    /// The module name for the `message.module` event attribute.
    pub fn module(&self) -> &'static str {
        match self {
            Msg::Bank(_) => "bank",
            Msg::Inference(_) => "inference",
            Msg::Neuro(_) => "neuro",
        }
    }

    pub fn execute(&self, ctx: &mut Ctx<'_>) -> AppResult<Any> {
        match self {
            Msg::Bank(m) => bank::handler::execute(ctx, m),
            Msg::Inference(m) => inference::handler::execute(ctx, m),
            Msg::Neuro(m) => neuro::handler::execute(ctx, m),
        }
    }
}
