//! This validator's finished work, waiting to go out in its next vote extensions: first a
//! commitment (a salted hash bound to the operator), then, once the task reveals, the images
//! and the salt. The executor fills it off the consensus path; ExtendVote only reads it, so
//! voting never waits for a GPU.

use glia_modules::beacon::LocalChain;
use glia_modules::inference::lifecycle::{MAX_RESULTS_PER_EXTENSION, MAX_VOTE_EXTENSION_BYTES};
use glia_modules::inference::{settle, state};
use glia_modules::Kv;
use glia_proto::abci::v1::{BeaconShare, VoteExtension as Envelope, VoteExtensionPart};
use glia_proto::inference::v1::{
    ImageResult, ResultCommitment, TaskResult, TaskStatus, VoteExtension,
};
use prost::Message;
use rand_core::{OsRng, RngCore};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Finished images and the secret salt of their commitment.
struct Done {
    images: Vec<ImageResult>,
    salt: Vec<u8>,
}

#[derive(Default)]
pub struct ResultBook {
    /// This node's validator address (hex); without one the node reports nothing.
    validator: Mutex<Option<String>>,
    done: Mutex<BTreeMap<u64, Done>>,
    /// This validator's beacon chain (built by the executor from its key).
    beacon: Mutex<Option<LocalChain>>,
    /// Where finished work is kept across restarts: a result committed before a restart must
    /// still be revealed after it (its salt exists nowhere else).
    dir: Mutex<Option<std::path::PathBuf>>,
}

impl ResultBook {
    pub fn set_validator(&self, hex_address: String) {
        *self.validator.lock().expect("results lock") = Some(hex_address);
    }

    pub fn validator(&self) -> Option<String> {
        self.validator.lock().expect("results lock").clone()
    }

    /// Keeps finished work in `dir` from now on, and takes back what an earlier run left there.
    pub fn persist_in(&self, dir: std::path::PathBuf) -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let mut done = self.done.lock().expect("results lock");
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("result") {
                continue;
            }
            match TaskResult::decode(std::fs::read(&path)?.as_slice()) {
                Ok(r) => {
                    done.insert(
                        r.task_id,
                        Done {
                            images: r.images,
                            salt: r.salt,
                        },
                    );
                }
                Err(e) => tracing::warn!(path = %path.display(), "unreadable result: {e}"),
            }
        }
        *self.dir.lock().expect("results lock") = Some(dir);
        Ok(())
    }

    fn file(&self, task_id: u64) -> Option<std::path::PathBuf> {
        let dir = self.dir.lock().expect("results lock");
        dir.as_ref().map(|d| d.join(format!("{task_id}.result")))
    }

    /// Records finished images for a task, with a fresh salt for their commitment (kept on
    /// disk when `persist_in` named a directory).
    pub fn finish(&self, task_id: u64, images: Vec<ImageResult>) {
        let mut salt = vec![0u8; 32];
        OsRng.fill_bytes(&mut salt);
        if let Some(path) = self.file(task_id) {
            let bytes = TaskResult {
                task_id,
                images: images.clone(),
                salt: salt.clone(),
            }
            .encode_to_vec();
            let tmp = path.with_extension("tmp");
            if let Err(e) = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &path)) {
                tracing::warn!(task = task_id, "keeping the result on disk: {e}");
            }
        }
        self.done
            .lock()
            .expect("results lock")
            .insert(task_id, Done { images, salt });
    }

    pub fn set_beacon_chain(&self, chain: LocalChain) {
        *self.beacon.lock().expect("results lock") = Some(chain);
    }

    pub fn beacon_chain(&self) -> Option<LocalChain> {
        self.beacon.lock().expect("results lock").clone()
    }

    /// This validator's beacon value for `height`, if the chain in state is the one held here.
    fn beacon_share(&self, kv: &mut impl Kv, validator: &str, height: u64) -> Vec<u8> {
        let beacon = self.beacon.lock().expect("results lock");
        let (Some(local), Ok(Some(chain))) =
            (beacon.as_ref(), glia_modules::beacon::chain(kv, validator))
        else {
            return Vec::new();
        };
        if chain.anchor_height != local.anchor_height || chain.anchor[..] != local.anchor()[..] {
            return Vec::new();
        }
        local.value(height).map_or_else(Vec::new, |v| v.to_vec())
    }

    pub fn has(&self, task_id: u64) -> bool {
        self.done
            .lock()
            .expect("results lock")
            .contains_key(&task_id)
    }

    /// This validator's whole extension for a vote at `height`: the envelope of its beacon
    /// part (its chain's value for `height`) and its inference part, in component order.
    pub fn vote_extension(&self, kv: &mut impl Kv, height: u64) -> Envelope {
        let mut parts = Vec::new();
        if let Some(validator) = self.validator() {
            let value = self.beacon_share(kv, &validator, height);
            if !value.is_empty() {
                parts.push(VoteExtensionPart {
                    component: glia_modules::beacon::component::NAME.into(),
                    data: BeaconShare { value }.encode_to_vec(),
                });
            }
        }
        let inference = self.inference_part(kv, height);
        if inference != VoteExtension::default() {
            parts.push(VoteExtensionPart {
                component: glia_modules::inference::component::NAME.into(),
                data: inference.encode_to_vec(),
            });
        }
        Envelope { parts }
    }

    /// The inference part of the extension for a vote at `height`, oldest task first, within
    /// the bounds every validator checks (size and count); what does not fit waits for the
    /// next vote: a commitment for each task still taking them where this validator's
    /// executor holds an open slot, and the images and salt for each task revealing where its
    /// slot committed. Work the chain no longer needs is dropped.
    pub fn inference_part(&self, kv: &mut impl Kv, height: u64) -> VoteExtension {
        let Some(validator) = self.validator() else {
            return VoteExtension::default();
        };
        let Some(operator) = state::operator_of_validator(kv, &validator).ok().flatten() else {
            return VoteExtension::default();
        };
        let max_bytes = state::params(kv).map_or(MAX_VOTE_EXTENSION_BYTES, |p| {
            p.max_vote_extension_bytes as usize
        });
        let mut done = self.done.lock().expect("results lock");
        let before: Vec<u64> = done.keys().copied().collect();
        let mut ext = VoteExtension::default();
        let mut bytes = 0usize;
        // Room left under the byte bound, counting an entry's framing (tag and length).
        let mut fits = |size: usize, entries: usize| {
            let framed = size
                .saturating_add(prost::length_delimiter_len(size))
                .saturating_add(1);
            let ok =
                entries < MAX_RESULTS_PER_EXTENSION && bytes.saturating_add(framed) <= max_bytes;
            if ok {
                bytes = bytes.saturating_add(framed);
            }
            ok
        };
        done.retain(|id, d| {
            let Ok(Some(task)) = state::task(kv, *id) else {
                return false;
            };
            if task.status != TaskStatus::Pending as i32 {
                return false;
            }
            let Some(slot) = task.assignments.iter().find(|a| a.executor == operator) else {
                return false;
            };
            let entries = ext.results.len().saturating_add(ext.commitments.len());
            // Extensions of the vote for `height` are recorded by the next block: the same
            // rules as settle's, one block later.
            if task.reveal_height == 0 {
                let open = task
                    .assignments
                    .iter()
                    .any(|a| a.executor == operator && settle::open_for_vote(a, height));
                if open {
                    let c = ResultCommitment {
                        task_id: *id,
                        commitment: settle::result_commitment(*id, &operator, &d.images, &d.salt)
                            .to_vec(),
                    };
                    if fits(c.encoded_len(), entries) {
                        ext.commitments.push(c);
                    }
                }
                // Committed (or about to be): keep it for the reveal.
                return open || !slot.commitment.is_empty();
            }
            let due = task
                .assignments
                .iter()
                .any(|a| a.executor == operator && settle::reveal_for_vote(&task, a, height));
            if due {
                let r = TaskResult {
                    task_id: *id,
                    images: d.images.clone(),
                    salt: d.salt.clone(),
                };
                if fits(r.encoded_len(), entries) {
                    ext.results.push(r);
                }
            }
            due
        });
        // Work the chain no longer needs leaves the disk too.
        for id in before.iter().filter(|id| !done.contains_key(id)) {
            if let Some(path) = self.file(*id) {
                let _ = std::fs::remove_file(path);
            }
        }
        ext
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
    /// State with pending tasks `ids`, each with one slot of validator AB's executor open
    /// until `deadline`.
    /// With `revealing`, the slot has committed and the tasks take reveals until `deadline`.
    fn store_with_tasks(
        ids: impl IntoIterator<Item = u64>,
        deadline: u64,
        revealing: bool,
    ) -> (MemStore, Assignment) {
        let mut store = MemStore::default();
        let block = BlockInfo {
            chain_id: "glia-test-1".into(),
            height: 10,
            time_unix: 0,
            ..Default::default()
        };
        let mut ctx = Ctx::new(&store, GasMeter::infinite(), &block);
        ctx.put(
            state::state_key::by_validator("AB"),
            glia_modules::value::encode_text("glia1operator"),
        )
        .unwrap();
        let slot = Assignment {
            executor: "glia1operator".into(),
            deadline_height: deadline,
            commitment: if revealing { vec![1; 32] } else { vec![] },
            ..Default::default()
        };
        for id in ids {
            let task = Task {
                id,
                status: TaskStatus::Pending as i32,
                seeds: vec![1],
                assignments: vec![slot.clone()],
                reveal_height: if revealing { 5 } else { 0 },
                reveal_deadline_height: if revealing { deadline } else { 0 },
                ..Default::default()
            };
            state::set_task(&mut ctx, &task).unwrap();
        }
        let (changes, _, _) = ctx.into_parts();
        store.apply(changes);
        (store, slot)
    }

    /// A busy validator's extension stays within what every validator accepts (64 KiB, 256
    /// entries): the oldest go first and the rest wait for the next votes, none lost — for
    /// commitments and for reveals.
    #[test]
    fn attack_a_busy_validators_extension_stays_within_bounds_and_loses_nothing() {
        for revealing in [false, true] {
            let (store, _) = store_with_tasks(1..=300, 1_000, revealing);
            let book = ResultBook::default();
            book.set_validator("AB".into());
            let image = |s: u64| ImageResult {
                seed: s,
                output_sha256: vec![7; 32],
                phash: u64::MAX,
                device_time_ms: 1_000_000,
            };
            for id in 1..=300 {
                book.finish(id, (0..64).map(image).collect());
            }
            let mut carried = Vec::new();
            for height in 10..30 {
                let ext = book.inference_part(&mut ReadOnly(&store), height);
                let bytes = ext.encode_to_vec();
                assert!(
                    bytes.len() <= MAX_VOTE_EXTENSION_BYTES,
                    "{} bytes",
                    bytes.len()
                );
                glia_modules::inference::lifecycle::check_vote_extension(
                    &bytes,
                    MAX_VOTE_EXTENSION_BYTES,
                )
                .expect("every validator accepts it");
                let ids: Vec<u64> = if revealing {
                    assert!(ext.commitments.is_empty());
                    ext.results.iter().map(|r| r.task_id).collect()
                } else {
                    assert!(ext.results.is_empty(), "nothing revealed while committing");
                    ext.commitments.iter().map(|c| c.task_id).collect()
                };
                if height == 10 {
                    assert!(ids.len() > 10, "a full extension carries many");
                    assert_eq!(ids[0], 1, "the oldest task first");
                }
                // The chain records what was carried; the executor stops offering it.
                for id in &ids {
                    book.done.lock().unwrap().remove(id);
                }
                carried.extend(ids);
            }
            carried.sort_unstable();
            carried.dedup();
            assert_eq!(
                carried,
                (1..=300).collect::<Vec<_>>(),
                "everything went out (revealing: {revealing})"
            );
        }
    }

    #[test]
    fn attack_results_are_carried_only_while_the_recording_block_is_in_time() {
        let deadline = 20;
        let (store, slot) = store_with_tasks([7], deadline, false);
        let book = ResultBook::default();
        book.set_validator("AB".into());
        let carried = |vote_height: u64| {
            book.finish(7, vec![ImageResult::default()]);
            book.inference_part(&mut ReadOnly(&store), vote_height)
                .commitments
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

    /// A validator restarted between committing a result and revealing it still reveals: the
    /// images and the salt come back from disk, so the commitment still opens.
    #[test]
    fn committed_work_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("glia-results-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = ResultBook::default();
        first.persist_in(dir.clone()).unwrap();
        first.finish(
            7,
            vec![ImageResult {
                seed: 1,
                output_sha256: vec![3; 32],
                phash: 9,
                device_time_ms: 12,
            }],
        );
        let again = ResultBook::default();
        again.persist_in(dir.clone()).unwrap();
        let (a, b) = (first.done.lock().unwrap(), again.done.lock().unwrap());
        let (a, b) = (&a[&7], &b[&7]);
        assert_eq!((&a.images, &a.salt), (&b.images, &b.salt));
        std::fs::remove_dir_all(&dir).ok();
    }
}
