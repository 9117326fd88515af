//! This validator's finished work, waiting to go out in its next vote extension. The
//! executor fills it off the consensus path; ExtendVote only reads it, so voting never waits
//! for a GPU.

use glia_modules::inference::{settle, state};
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
            // The vote for `height` is carried, and its results recorded, by the next block:
            // the same rule as settle::record, one block later.
            let open = task.assignments.iter().any(|a| {
                Some(&a.executor) == operator.as_ref() && settle::open_for_vote(a, height)
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

#[cfg(test)]
mod tests {
    use super::*;
    use glia_modules::gas::GasMeter;
    use glia_modules::store::MemStore;
    use glia_modules::{BlockInfo, Ctx, ReadOnly};
    use glia_proto::inference::v1::{Assignment, Task};

    /// A result is carried only while the block that will record it (the next one) is within
    /// the slot's deadline: before, the vote at the deadline height carried it, the next block
    /// refused it, and the executor was counted silent for work it had done.
    #[test]
    fn results_are_carried_only_while_the_recording_block_is_in_time() {
        let deadline = 20;
        let mut store = MemStore::default();
        let block = BlockInfo {
            chain_id: "glia-test-1".into(),
            height: 10,
            time_unix: 0,
        };
        let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
        ctx.put(
            state::state_key::by_validator("AB"),
            b"glia1operator".to_vec(),
        )
        .unwrap();
        let slot = Assignment {
            executor: "glia1operator".into(),
            deadline_height: deadline,
            ..Default::default()
        };
        let task = Task {
            id: 7,
            status: TaskStatus::Pending as i32,
            seeds: vec![1],
            assignments: vec![slot.clone()],
            ..Default::default()
        };
        state::set_task(&mut ctx, &task).unwrap();
        let (changes, _, _) = ctx.into_parts();
        store.apply(changes);

        let book = ResultBook::default();
        book.set_validator("AB".into());
        let carried = |vote_height: u64| {
            book.finish(7, vec![ImageResult::default()]);
            book.vote_extension(&mut ReadOnly(&store), vote_height)
                .results
                .len()
        };
        assert_eq!(
            carried(deadline - 1),
            1,
            "recorded by block {deadline}: in time"
        );
        assert_eq!(
            carried(deadline),
            0,
            "it would be recorded by block {}",
            deadline + 1
        );
        // The chain's side of the same rule.
        assert!(settle::open_at(&slot, deadline));
        assert!(!settle::open_at(&slot, deadline + 1));
    }
}
