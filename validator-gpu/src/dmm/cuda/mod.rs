//! The DMM on a CUDA GPU: the same equations and chip population as [`super::cpu`], as CUDA C
//! kernels compiled at run time with NVRTC. With the `dmm-cuda` feature the driver and NVRTC
//! are loaded at run time (building needs no CUDA toolkit, and a machine without a GPU gets an
//! error, not a crash); with `cuda` they are linked, as candle's CUDA backend links them.
//!
//! Layout. State is chip-major (`v[c·N + n]`, `xs[c·M + m]`, …) and the launch grids are 2-D:
//! x over clauses (or variables), y over chips, so a warp works on 32 consecutive clauses of one
//! chip (coalesced memories, uniform parameters and no divergence between variants). Each step
//! is two kernels:
//! - `clause_pass`, one thread per (clause, chip): C, G, R and the memory updates; each
//!   literal's contribution to dv goes to its own slot of `contrib` (no atomics, so a run is
//!   reproducible), and the chip's energy (weight of clauses with C ≥ ½) is summed per warp and
//!   added atomically.
//! - `variable_pass`, one thread per (variable, chip): gathers dv through a variable→literal
//!   CSR, snapshots sign(v) if this step's energy beats the chip's best, applies dv and clips,
//!   and folds |dv| into the chip's max (warp-reduced, one atomic per warp).
//!
//! Per-chip energy and max|dv| are double-buffered by step parity, so the step size of step k
//! (from max|dv| of step k−1, as on the CPU) and the best-so-far bookkeeping need no host
//! round trip: the host launches batches of steps sized to ~10 ms, then reads each chip's best
//! energy, checks improved snapshots exactly with `Problem::energy`, and watches the stop flag,
//! deadline and target. Checked snapshots get the same greedy polish as on the CPU; for
//! weighted problems CPU threads ([`super::finish_pool`]) also settle the chips' best states
//! (annealing and tabu search, the CPU solver's finishers) while the GPU integrates.
//!
//! Files: `kernels` the CUDA C source and its launches, `setup` the host-side preparation and
//! upload; this file the entry points, the batch loop and the host's checks between batches.

mod kernels;
mod setup;

use super::cpu::Instance;
use super::finish_pool::FinishPool;
use super::{Candidate, Outcome, Precision, SolveOptions};
use anyhow::{bail, Context, Result};
use cudarc::driver::{CudaContext, CudaSlice, CudaStream};
use glia_problem::Problem;
use kernels::{Dims, GpuReal, Grids, Kernels};
use setup::{chip_count, chip_table, Buffers, Csr, InitialState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A CUDA device as the driver reports it.
#[derive(Clone, Debug)]
pub struct DeviceInfo {
    pub ordinal: usize,
    pub name: String,
    pub total_memory: usize,
    pub compute_capability: (i32, i32),
}

/// Whether the CUDA driver and NVRTC libraries can be loaded on this machine. With the `cuda`
/// feature cudarc links them (as candle needs), so a running binary has them by construction.
#[cfg(not(feature = "dmm-cuda"))]
fn libraries_present() -> Result<()> {
    Ok(())
}

/// Whether the CUDA driver and NVRTC libraries can be loaded on this machine (`dmm-cuda` loads
/// them at run time, so a machine without them gets this error rather than a failed start).
#[cfg(feature = "dmm-cuda")]
fn libraries_present() -> Result<()> {
    // SAFETY: only tries to dlopen the libraries; nothing is called through them.
    let driver = unsafe { cudarc::driver::sys::is_culib_present() };
    if !driver {
        bail!("no CUDA driver (libcuda) found on this machine");
    }
    // SAFETY: as above.
    let nvrtc = unsafe { cudarc::nvrtc::sys::is_culib_present() };
    if !nvrtc {
        bail!("the CUDA driver is present but NVRTC (libnvrtc) is not: install the CUDA runtime compiler library");
    }
    Ok(())
}

/// The CUDA devices on this machine.
pub fn devices() -> Result<Vec<DeviceInfo>> {
    libraries_present()?;
    let count = CudaContext::device_count().context("counting CUDA devices")?;
    (0..count.max(0) as usize)
        .map(|ordinal| {
            let ctx = CudaContext::new(ordinal)
                .with_context(|| format!("opening CUDA device {ordinal}"))?;
            Ok(DeviceInfo {
                ordinal,
                name: ctx.name()?,
                total_memory: ctx.total_mem()?,
                compute_capability: ctx.compute_capability()?,
            })
        })
        .collect()
}

/// Runs the population on CUDA device `ordinal`; same contract as [`super::solve`].
pub fn solve(
    problem: &Problem,
    inst: &Instance,
    opts: &SolveOptions,
    ordinal: usize,
    stop: &AtomicBool,
    start: Instant,
    on_improve: &mut dyn FnMut(&Candidate),
) -> Result<Outcome> {
    libraries_present()?;
    let count = CudaContext::device_count().context("counting CUDA devices")?;
    if ordinal >= count.max(0) as usize {
        bail!("CUDA device {ordinal} does not exist: this machine has {count}");
    }
    match opts.precision {
        Precision::F32 => run::<f32>(problem, inst, opts, ordinal, stop, start, on_improve),
        Precision::F64 => run::<f64>(problem, inst, opts, ordinal, stop, start, on_improve),
    }
}

/// Chips per "group" on the GPU: parameters are drawn exactly as the CPU's groups of 16 would.
const GROUP: usize = 16;

/// Chips when the options leave it open.
const DEFAULT_CHIPS: usize = 256;

/// [`solve`] in the kernels' precision `R`.
#[allow(clippy::too_many_arguments)]
fn run<R: GpuReal>(
    problem: &Problem,
    inst: &Instance,
    opts: &SolveOptions,
    ordinal: usize,
    stop: &AtomicBool,
    start: Instant,
    on_improve: &mut dyn FnMut(&Candidate),
) -> Result<Outcome> {
    let ctx =
        CudaContext::new(ordinal).with_context(|| format!("opening CUDA device {ordinal}"))?;
    let stream = ctx.default_stream();
    let k = Kernels::compile::<R>(&ctx, stream.clone())?;
    let csr = Csr::<R>::build(inst)?;
    let (n, m, l) = (inst.num_vars, inst.num_clauses(), csr.literals());
    let chips = chip_count::<R>(&ctx, opts, ordinal, (n, m, l))?;
    let (host_params, sipling) = chip_table::<R>(opts, inst, chips);
    let state = InitialState::draw(opts, inst, &csr, &sipling);
    let mut d = Buffers::upload(&stream, inst, &csr, &host_params, state, chips)?;
    let dims = Dims::<R>::new(inst, (n, m, l), chips);
    let grids = Grids::new(n, m, chips);
    let deadline = start + opts.time_limit;
    let mut host = Host::new(problem, inst, opts, start, on_improve, chips);
    // Weighted problems: CPU threads settle the chips' states while the GPU integrates (the
    // GPU samples, the cores finish), as the CPU solver's groups alternate the two.
    let pool = FinishPool::start(problem, finisher_threads(opts), opts.seed, start);
    let mut next_chip = 0usize;
    let mut step: u64 = 0;
    let mut batch: u64 = 8;
    let mut solved = false;
    loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= deadline || solved {
            break;
        }
        let mut todo = batch;
        if let Some(max) = opts.max_steps {
            todo = todo.min(max.saturating_sub(step));
            if todo == 0 {
                break;
            }
        }
        let t = Instant::now();
        k.batch(&dims, &mut d, &grids, &mut step, todo)?;
        k.stream.memcpy_dtoh(&d.best, &mut host.chip_now)?;
        batch = next_batch(batch, t.elapsed());
        if host.check_improved(&k.stream, &d.best_x, step)? {
            solved = true;
        }
        if let Some(pool) = &pool {
            solved |= host.feed(pool, &k.stream, &d.best_x, &mut next_chip, step)?;
        }
    }
    if let Some(pool) = pool {
        for cand in pool.stop() {
            solved |= host.accept(cand);
        }
    }
    drop(k);
    Ok(Outcome {
        best: host.best,
        solved,
        steps: step,
        elapsed: start.elapsed(),
        chips,
        threads: 1,
    })
}

/// Threads for the finishing pool.
fn finisher_threads(opts: &SolveOptions) -> usize {
    match opts.threads {
        // Every core but the one driving the GPU.
        0 => std::thread::available_parallelism().map_or(1, |c| c.get().saturating_sub(1).max(1)),
        t => t,
    }
}

/// The next batch's steps, from the last batch's size and time.
fn next_batch(batch: u64, took: Duration) -> u64 {
    // Aim for ~10 ms batches: responsive to the stop flag, few host round trips.
    let took = took.max(Duration::from_micros(50));
    ((batch as f64) * 0.010 / took.as_secs_f64()).clamp(1.0, 4096.0) as u64
}

/// The host's side between batches: the best candidate so far, and each chip's best energy as
/// last checked and as the device now holds it.
struct Host<'a> {
    problem: &'a Problem,
    inst: &'a Instance,
    opts: &'a SolveOptions,
    start: Instant,
    on_improve: &'a mut dyn FnMut(&Candidate),
    best: Option<Candidate>,
    /// Each chip's best energy when it was last checked.
    chip_best: Vec<f64>,
    /// Each chip's best energy after the last batch (read back from the device).
    chip_now: Vec<f64>,
    /// One chip's best state as read back from the device.
    row: Vec<u8>,
    true_count: Vec<u32>,
}

impl<'a> Host<'a> {
    fn new(
        problem: &'a Problem,
        inst: &'a Instance,
        opts: &'a SolveOptions,
        start: Instant,
        on_improve: &'a mut dyn FnMut(&Candidate),
        chips: usize,
    ) -> Host<'a> {
        Host {
            problem,
            inst,
            opts,
            start,
            on_improve,
            best: None,
            chip_best: vec![f64::INFINITY; chips],
            chip_now: vec![0.0f64; chips],
            row: vec![0u8; inst.num_vars],
            true_count: vec![0u32; inst.num_clauses()],
        }
    }

    /// [`accept`] on this run's best.
    fn accept(&mut self, cand: Candidate) -> bool {
        accept(&mut self.best, cand, self.inst, self.opts, self.on_improve)
    }

    /// Copies chip `c`'s best state from `best_x` into `row`.
    fn read_chip(
        &mut self,
        stream: &Arc<CudaStream>,
        best_x: &CudaSlice<u8>,
        c: usize,
    ) -> Result<()> {
        let n = self.inst.num_vars;
        stream.memcpy_dtoh(&best_x.slice(c * n..(c + 1) * n), &mut self.row)?;
        Ok(())
    }

    /// Chips whose best improved and could beat the best so far: checks them exactly, most
    /// promising first; true once the problem is solved or the target reached.
    fn check_improved(
        &mut self,
        stream: &Arc<CudaStream>,
        best_x: &CudaSlice<u8>,
        step: u64,
    ) -> Result<bool> {
        let (inst, now) = (self.inst, &self.chip_now);
        let global = self
            .best
            .as_ref()
            .map_or(f64::INFINITY, |b| inst.clause_energy(b.energy) as f64);
        let mut improved: Vec<usize> = (0..now.len())
            .filter(|&c| now[c] < self.chip_best[c] && now[c] < global)
            .collect();
        improved.sort_by(|&a, &b| now[a].total_cmp(&now[b]));
        for &c in &improved {
            self.chip_best[c] = now[c];
        }
        for c in improved {
            self.read_chip(stream, best_x, c)?;
            let mut x: Vec<bool> = self.row.iter().map(|&b| b != 0).collect();
            inst.polish(&mut x, &mut self.true_count);
            let Ok(energy) = self.problem.energy(&x) else {
                continue; // a hard clause is violated
            };
            let cand = Candidate {
                assignment: x,
                energy,
                elapsed: self.start.elapsed(),
                chip: c,
                steps: step,
            };
            if self.accept(cand) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Takes what the finishing threads finished, and keeps every one of them busy with a
    /// chip's best state, the chips in turn from `next_chip`; true once the problem is solved
    /// or the target reached.
    fn feed(
        &mut self,
        pool: &FinishPool,
        stream: &Arc<CudaStream>,
        best_x: &CudaSlice<u8>,
        next_chip: &mut usize,
        step: u64,
    ) -> Result<bool> {
        let mut solved = false;
        for cand in pool.finished() {
            solved |= self.accept(cand);
        }
        let chips = self.chip_now.len();
        for _ in 0..chips {
            let c = *next_chip % chips;
            self.read_chip(stream, best_x, c)?;
            if !pool.offer(self.row.iter().map(|&b| b != 0).collect(), c, step) {
                break;
            }
            *next_chip += 1;
        }
        Ok(solved)
    }
}

/// Takes `cand` as the best if it beats it, telling `on_improve`; true once the problem is
/// solved or the target reached.
fn accept(
    best: &mut Option<Candidate>,
    cand: Candidate,
    inst: &Instance,
    opts: &SolveOptions,
    on_improve: &mut dyn FnMut(&Candidate),
) -> bool {
    if best.as_ref().is_some_and(|b| cand.energy >= b.energy) {
        return false;
    }
    on_improve(&cand);
    let e = cand.energy;
    *best = Some(cand);
    inst.clause_energy(e) <= 0 || opts.target_energy.is_some_and(|t| e <= t)
}
