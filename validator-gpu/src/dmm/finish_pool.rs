//! CPU threads that finish the states a GPU's chips hold while the GPU goes on integrating:
//! the device samples the landscape, the cores settle each sample (annealing then tabu search
//! for QUBO, tabu search for MaxSAT), as the CPU solver's groups do in turn. Every finished
//! state is checked exactly before it is reported.

use super::cpu::{Finisher, Instance};
use super::Candidate;
use glia_problem::Problem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A state to finish: the assignment, and the chip and step it came from.
struct Job {
    x: Vec<bool>,
    chip: usize,
    steps: u64,
}

pub struct FinishPool {
    jobs: Option<SyncSender<Job>>,
    done: Arc<AtomicBool>,
    results: Receiver<Candidate>,
    workers: Vec<JoinHandle<()>>,
}

impl FinishPool {
    /// Threads finishing states of `problem`; `None` for SAT, whose greedy descent is cheaper
    /// done where the state is read than handed over. `threads` 0 means every core.
    pub fn start(problem: &Problem, threads: usize, seed: u64, start: Instant) -> Option<Self> {
        if matches!(problem, Problem::Sat(_)) {
            return None;
        }
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            t => t,
        };
        let shared = Arc::new((problem.clone(), Instance::build(problem)));
        // One waiting state per thread at most: a GPU loop that finds every thread busy skips
        // the hand-off rather than queue stale states.
        let (jobs, queue) = mpsc::sync_channel::<Job>(threads);
        let queue = Arc::new(Mutex::new(queue));
        let (report, results) = mpsc::channel();
        let done = Arc::new(AtomicBool::new(false));
        let workers = (0..threads)
            .map(|i| {
                let (shared, queue, report, done) =
                    (shared.clone(), queue.clone(), report.clone(), done.clone());
                std::thread::spawn(move || {
                    let (problem, inst) = &*shared;
                    let mut finisher =
                        Finisher::for_problem(problem, inst, seed ^ (0x9e37 * (i as u64 + 1)));
                    let mut true_count = vec![0u32; inst.num_clauses()];
                    loop {
                        let next = queue
                            .lock()
                            .map_err(|_| RecvTimeoutError::Disconnected)
                            .and_then(|q| q.recv_timeout(Duration::from_millis(20)));
                        let mut job = match next {
                            Ok(job) => job,
                            Err(RecvTimeoutError::Timeout) if !done.load(Ordering::Relaxed) => {
                                continue
                            }
                            Err(_) => return,
                        };
                        let keep_going = || !done.load(Ordering::Relaxed);
                        finisher.settle(inst, &mut job.x, &mut true_count, keep_going);
                        // A violated hard clause makes no candidate.
                        if let Ok(energy) = problem.energy(&job.x) {
                            let c = Candidate {
                                assignment: job.x,
                                energy,
                                elapsed: start.elapsed(),
                                chip: job.chip,
                                steps: job.steps,
                            };
                            if report.send(c).is_err() {
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        Some(FinishPool {
            jobs: Some(jobs),
            done,
            results,
            workers,
        })
    }

    /// Hands a state over if a thread can take it soon; never blocks.
    pub fn offer(&self, x: Vec<bool>, chip: usize, steps: u64) -> bool {
        match &self.jobs {
            Some(jobs) => match jobs.try_send(Job { x, chip, steps }) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        }
    }

    /// The states finished since the last call, each with its exact energy.
    pub fn finished(&self) -> Vec<Candidate> {
        self.results.try_iter().collect()
    }

    /// Stops the threads (cutting long finishes short) and returns what they finished.
    pub fn stop(mut self) -> Vec<Candidate> {
        self.shut_down();
        self.results.try_iter().collect()
    }

    fn shut_down(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for FinishPool {
    fn drop(&mut self) {
        self.shut_down();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmm::generate::{self, SplitMix64};
    use glia_problem::{Format, Limits};

    #[test]
    fn finishes_offered_states_exactly_and_never_worse_than_given() {
        let g = generate::maxcut(300, 3600, generate::CutWeights::Unit, 5).unwrap();
        let p = Problem::parse(Format::Qubo, &g.qubo, &Limits::LOCAL).unwrap();
        let pool = FinishPool::start(&p, 2, 1, Instant::now()).expect("QUBO gets a pool");
        let mut rng = SplitMix64::new(9);
        let mut given = Vec::new();
        let mut offered = 0;
        while offered < 4 {
            let x: Vec<bool> = (0..300).map(|_| rng.bit()).collect();
            let e = p.energy(&x).unwrap();
            if pool.offer(x, offered, 0) {
                given.push(e);
                offered += 1;
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let mut got = Vec::new();
        let t = Instant::now();
        while got.len() < 4 && t.elapsed() < Duration::from_secs(60) {
            got.extend(pool.finished());
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(got.len(), 4, "every offered state comes back");
        for c in &got {
            assert_eq!(
                c.energy,
                p.energy(&c.assignment).unwrap(),
                "energy is exact"
            );
            assert!(
                c.energy <= given[c.chip],
                "chip {}: finished {} worse than its start {}",
                c.chip,
                c.energy,
                given[c.chip]
            );
            // Random states of a G(300, 3600) cut about half the edges; settled ones far more.
            assert!(-c.energy > 2000, "cut {} is not settled", -c.energy);
        }
        assert!(pool.stop().is_empty());
        let sat = Problem::Sat(generate::planted_3sat(50, 4.3, 1).unwrap().clauses);
        assert!(FinishPool::start(&sat, 2, 1, Instant::now()).is_none());
    }
}
