//! This validator's finished work, waiting to go out in its next vote extension. The
//! executor fills it off the consensus path; ExtendVote only reads it, so voting never waits
//! for a GPU.

use glia_modules::inference::state;
use glia_modules::Kv;
use glia_proto::inference::v1::{ImageResult, TaskResult, TaskStatus, VoteExtension};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct ResultBook {
    /// This node's validator address (hex); without one the node reports nothing.
    validator: Mutex<Option<String>>,
    done: Mutex<BTreeMap<u64, Vec<ImageResult>>>,
}

impl ResultBook {
    pub fn set_validator(&self, hex_address: String) {
        *self.validator.lock().expect("results lock") = Some(hex_address);
    }

    pub fn validator(&self) -> Option<String> {
        self.validator.lock().expect("results lock").clone()
    }

    /// Records finished images for a task.
    pub fn finish(&self, task_id: u64, images: Vec<ImageResult>) {
        self.done
            .lock()
            .expect("results lock")
            .insert(task_id, images);
    }

    pub fn has(&self, task_id: u64) -> bool {
        self.done
            .lock()
            .expect("results lock")
            .contains_key(&task_id)
    }

    /// The extension for a vote at `height`: results for tasks where this validator's executor
    /// still holds an open slot. Results the chain no longer needs are dropped.
    pub fn vote_extension(&self, kv: &mut impl Kv, height: u64) -> VoteExtension {
        let Some(validator) = self.validator() else {
            return VoteExtension::default();
        };
        let operator = state::operator_of_validator(kv, &validator).ok().flatten();
        let mut done = self.done.lock().expect("results lock");
        let mut results = Vec::new();
        done.retain(|id, images| {
            let Ok(Some(task)) = state::task(kv, *id) else {
                return false;
            };
            if task.status != TaskStatus::Pending as i32 {
                return false;
            }
            let open = task.assignments.iter().any(|a| {
                Some(&a.executor) == operator.as_ref()
                    && a.results.is_empty()
                    && height <= a.deadline_height
            });
            if open {
                results.push(TaskResult {
                    task_id: *id,
                    images: images.clone(),
                });
            }
            open
        });
        VoteExtension { results }
    }
}
