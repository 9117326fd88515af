//! gliad's own split of each block, captured from its `block finalized` log event: the keys
//! the block wrote (deletes included), the time executing it and the time hashing its
//! changes into the JMT (FinalizeBlock is their sum).

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};

#[derive(Clone, Copy, Default, Debug)]
pub struct Split {
    pub writes: u64,
    pub execute_ms: u64,
    pub hash_ms: u64,
}

/// The last block's split, as gliad logged it.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Option<Split>>>);

impl Capture {
    pub fn take(&self) -> Split {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default()
    }
}

struct Fields(Split, bool);

impl Visit for Fields {
    fn record_u64(&mut self, f: &Field, v: u64) {
        match f.name() {
            "writes" => self.0.writes = v,
            "execute_ms" => self.0.execute_ms = v,
            "hash_ms" => self.0.hash_ms = v,
            _ => {}
        }
    }

    fn record_i64(&mut self, f: &Field, v: i64) {
        self.record_u64(f, v.max(0) as u64);
    }

    fn record_debug(&mut self, f: &Field, v: &dyn Debug) {
        if f.name() == "message" && format!("{v:?}") == "block finalized" {
            self.1 = true;
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut f = Fields(Split::default(), false);
        event.record(&mut f);
        if f.1 {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(f.0);
        }
    }
}
