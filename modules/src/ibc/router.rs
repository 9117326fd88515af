//! ICS-26 routing: which application answers a port.

use super::controller::IcaController;
use super::ica::{IcaHost, CONTROLLER_PORT_PREFIX, HOST_PORT};
use super::transfer::{Transfer, PORT as TRANSFER_PORT};
use ibc::core::host::types::identifiers::PortId;
use ibc::core::router::module::Module;
use ibc::core::router::router::Router as IbcRouter;
use ibc::core::router::types::module::ModuleId;

/// The applications bound to ports, for one message.
pub struct Router<'s, 'c, 'a> {
    pub transfer: Transfer<'s, 'c, 'a>,
    pub ica_host: IcaHost<'s, 'c, 'a>,
    pub ica_controller: IcaController<'s, 'c, 'a>,
}

/// The module every `icacontroller-<owner>` port is bound to.
const CONTROLLER: &str = "icacontroller";

impl IbcRouter for Router<'_, '_, '_> {
    fn get_route(&self, id: &ModuleId) -> Option<&dyn Module> {
        match id.to_string().as_str() {
            TRANSFER_PORT => Some(&self.transfer),
            HOST_PORT => Some(&self.ica_host),
            CONTROLLER => Some(&self.ica_controller),
            _ => None,
        }
    }

    fn get_route_mut(&mut self, id: &ModuleId) -> Option<&mut dyn Module> {
        match id.to_string().as_str() {
            TRANSFER_PORT => Some(&mut self.transfer),
            HOST_PORT => Some(&mut self.ica_host),
            CONTROLLER => Some(&mut self.ica_controller),
            _ => None,
        }
    }

    fn lookup_module(&self, port: &PortId) -> Option<ModuleId> {
        match port.as_str() {
            TRANSFER_PORT => Some(ModuleId::new(TRANSFER_PORT.to_string())),
            HOST_PORT => Some(ModuleId::new(HOST_PORT.to_string())),
            p if p.starts_with(CONTROLLER_PORT_PREFIX) => {
                Some(ModuleId::new(CONTROLLER.to_string()))
            }
            _ => None,
        }
    }
}
