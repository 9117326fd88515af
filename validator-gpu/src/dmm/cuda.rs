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

use super::cpu::{chip_params, group_is_sipling, ChipParams, Instance};
use super::finish_pool::FinishPool;
use super::generate::SplitMix64;
use super::{Candidate, Outcome, Precision, SolveOptions};
use anyhow::{bail, Context, Result};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaStream, DeviceRepr, LaunchConfig, PushKernelArg, ValidAsZeroBits,
};
use glia_problem::Problem;
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

const KERNELS: &str = r#"
// REAL is defined as float or double before this text.
#define P_ALPHA 0
#define P_BETA 1
#define P_GAMMA 2
#define P_DELTA 3
#define P_EPS 4
#define P_ZETA 5
#define P_DT0 6
#define P_DTMIN 7
#define P_DTMAX 8
#define P_SIPLING 9
#define NPARAM 10

__device__ __forceinline__ REAL step_size(const REAL* p, unsigned long long maxbits, REAL dt_first, int step) {
    if (step == 0) return dt_first;
    double mx = __longlong_as_double((long long)maxbits);
    double dt = (double)p[P_DT0] / (mx + 1e-6);
    dt = fmin(fmax(dt, (double)p[P_DTMIN]), (double)p[P_DTMAX]);
    return (REAL)dt;
}

__device__ __forceinline__ double warp_sum(double x) {
    for (int o = 16; o > 0; o >>= 1) x += __shfl_down_sync(0xffffffffu, x, o);
    return x;
}

__device__ __forceinline__ double warp_max(double x) {
    for (int o = 16; o > 0; o >>= 1) x = fmax(x, __shfl_down_sync(0xffffffffu, x, o));
    return x;
}

// energy[2*C], maxdv[2*C] are indexed [parity * C + chip].
extern "C" __global__ void clause_pass(
    int N, int M, int L, int C, int step, int weighted, REAL dt_first,
    const int* __restrict__ starts, const int* __restrict__ lit_var, const REAL* __restrict__ lit_q,
    const REAL* __restrict__ wdyn, const double* __restrict__ wraw, const REAL* __restrict__ params,
    const REAL* __restrict__ v, REAL* __restrict__ xs, REAL* __restrict__ xl, REAL xl_max,
    REAL* __restrict__ contrib, double* energy, double* best, unsigned long long* maxdv)
{
    const int c = blockIdx.y;
    const int m = blockIdx.x * blockDim.x + threadIdx.x;
    const int cur = step & 1, prev = cur ^ 1;
    const REAL* p = params + (size_t)c * NPARAM;
    if (m == 0) {
        // Fold the last step's energy into the chip's best (its snapshot was taken then), and
        // clear the buffers this step's variable pass and the next clause pass will fill.
        double e = energy[prev * C + c];
        if (step > 0 && e < best[c]) best[c] = e;
        energy[prev * C + c] = 0.0;
        maxdv[cur * C + c] = 0ull;
    }
    double unsat = 0.0;
    if (m < M) {
        const REAL dt = step_size(p, maxdv[prev * C + c], dt_first, step);
        const REAL* vc = v + (size_t)c * N;
        const int s = starts[m], e = starts[m + 1];
        REAL m1 = 2, m2 = 2;
        for (int i = s; i < e; i++) {
            REAL u = (REAL)0.5 * ((REAL)1 - lit_q[i] * vc[lit_var[i]]);
            m2 = fmin(fmax(m1, u), m2);
            m1 = fmin(m1, u);
        }
        if (e - s == 1) m2 = m1; // a unit clause's "other" literal is itself
        const REAL cc = m1;
        const size_t cm = (size_t)c * M + m;
        const REAL s0 = xs[cm], x0 = xl[cm];
        const REAL w = weighted ? wdyn[m] : (REAL)1;
        const REAL a = w * x0 * s0;
        const REAL b = w * ((REAL)1 + p[P_ZETA] * x0) * ((REAL)1 - s0);
        const REAL bc = b * cc;
        REAL* out = contrib + (size_t)c * L;
        for (int i = s; i < e; i++) {
            REAL u = (REAL)0.5 * ((REAL)1 - lit_q[i] * vc[lit_var[i]]);
            bool at_min = u <= m1;
            out[i] = lit_q[i] * (a * (at_min ? m2 : m1) + (at_min ? bc : (REAL)0));
        }
        if (cc >= (REAL)0.5) unsat = weighted ? wraw[m] : 1.0;
        // Memories.
        const bool sip = p[P_SIPLING] != (REAL)0;
        REAL ds = sip ? dt * p[P_BETA] * (cc - p[P_GAMMA])
                      : dt * p[P_BETA] * (s0 + p[P_EPS]) * (cc - p[P_GAMMA]);
        xs[cm] = fmin(fmax(s0 + ds, (REAL)0), (REAL)1);
        REAL dl = cc - p[P_DELTA];
        if (sip && dl < (REAL)0) dl *= x0 - (REAL)1;
        REAL rate = dt * p[P_ALPHA] * (weighted ? (REAL)1 + w : (REAL)1);
        xl[cm] = fmin(fmax(x0 + rate * dl, (REAL)1), xl_max);
    }
    unsat = warp_sum(unsat);
    if ((threadIdx.x & 31) == 0 && unsat != 0.0) atomicAdd(&energy[cur * C + c], unsat);
}

extern "C" __global__ void variable_pass(
    int N, int L, int C, int step, REAL dt_first,
    const int* __restrict__ occ_start, const int* __restrict__ occ, const REAL* __restrict__ params,
    REAL* __restrict__ v, const REAL* __restrict__ contrib, unsigned char* __restrict__ best_x,
    const double* energy, const double* best, unsigned long long* maxdv)
{
    const int c = blockIdx.y;
    const int n = blockIdx.x * blockDim.x + threadIdx.x;
    const int cur = step & 1, prev = cur ^ 1;
    const REAL* p = params + (size_t)c * NPARAM;
    double mag = 0.0;
    if (n < N) {
        const REAL dt = step_size(p, maxdv[prev * C + c], dt_first, step);
        const REAL* in = contrib + (size_t)c * L;
        REAL dv = 0;
        for (int i = occ_start[n]; i < occ_start[n + 1]; i++) dv += in[occ[i]];
        const size_t cn = (size_t)c * N + n;
        const REAL v0 = v[cn];
        // This step's energy is that of sign(v0): keep it if it beats the chip's best.
        if (energy[cur * C + c] < best[c]) best_x[cn] = v0 > (REAL)0;
        v[cn] = fmin(fmax(v0 + dt * dv, (REAL)-1), (REAL)1);
        mag = fabs((double)dv);
    }
    mag = warp_max(mag);
    if ((threadIdx.x & 31) == 0)
        atomicMax(&maxdv[cur * C + c], (unsigned long long)__double_as_longlong(mag));
}

// After a batch: fold the last step's energy into each chip's best, so best and best_x agree.
extern "C" __global__ void settle(int C, int last_step, const double* energy, double* best) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c < C) {
        double e = energy[(last_step & 1) * C + c];
        if (e < best[c]) best[c] = e;
    }
}
"#;

/// Host-side element types of the kernels' REAL.
trait GpuReal: DeviceRepr + ValidAsZeroBits + Copy + Default + Send + Sync + 'static {
    const NAME: &'static str;
    fn of(x: f64) -> Self;
}

impl GpuReal for f32 {
    const NAME: &'static str = "float";
    fn of(x: f64) -> Self {
        x as f32
    }
}

impl GpuReal for f64 {
    const NAME: &'static str = "double";
    fn of(x: f64) -> Self {
        x
    }
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
    let src = format!("#define REAL {}\n{KERNELS}", R::NAME);
    let ptx = cudarc::nvrtc::compile_ptx_with_opts(
        src,
        cudarc::nvrtc::CompileOptions {
            // Double-precision atomicAdd needs compute capability 6.0.
            arch: Some("compute_60"),
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("compiling the DMM kernels with NVRTC: {e}"))?;
    let module = ctx.load_module(ptx).context("loading the DMM kernels")?;
    let clause_pass = module.load_function("clause_pass")?;
    let variable_pass = module.load_function("variable_pass")?;
    let settle = module.load_function("settle")?;

    // Clauses in CSR form, in the instance's (block) order.
    let n = inst.num_vars;
    let m = inst.num_clauses();
    let mut starts: Vec<i32> = Vec::with_capacity(m + 1);
    let mut lit_var: Vec<i32> = Vec::new();
    let mut q: Vec<f64> = Vec::new();
    starts.push(0);
    for j in 0..m {
        for (var, nq) in inst.clause(j) {
            lit_var.push(var as i32);
            q.push(-2.0 * nq); // the CPU side stores −½q
        }
        starts.push(lit_var.len() as i32);
    }
    let lit_q: Vec<R> = q.iter().map(|&x| R::of(x)).collect();
    let l = lit_var.len();
    if l > i32::MAX as usize / 2 {
        bail!("{l} literals is too many for the CUDA kernels' 32-bit indices");
    }
    // Variable → literal positions.
    let mut occ_start = vec![0i32; n + 1];
    for &var in &lit_var {
        occ_start[var as usize + 1] += 1;
    }
    for i in 0..n {
        occ_start[i + 1] += occ_start[i];
    }
    let mut fill = occ_start.clone();
    let mut occ = vec![0i32; l];
    for (i, &var) in lit_var.iter().enumerate() {
        occ[fill[var as usize] as usize] = i as i32;
        fill[var as usize] += 1;
    }

    // The population: as many chips as asked, or by default 256 (fewer if they would fill
    // more than half the free memory).
    let real = std::mem::size_of::<R>();
    let per_chip = (n + 2 * m + l) * real + n;
    let (free, _) = ctx.mem_get_info()?;
    let chips = if opts.chips == 0 {
        (free / 2 / per_chip.max(1)).clamp(1, DEFAULT_CHIPS)
    } else {
        opts.chips
    };
    if chips > 65_535 || chips * per_chip > free {
        bail!(
            "{chips} chips need {} MiB; CUDA device {ordinal} has {} MiB free (and at most 65535 chips)",
            (chips * per_chip) >> 20,
            free >> 20
        );
    }
    let params: Vec<ChipParams> = (0..chips)
        .map(|c| {
            chip_params(
                opts.variant,
                inst.ratio,
                opts.seed,
                c / GROUP,
                GROUP,
                c % GROUP,
            )
        })
        .collect();
    let sipling: Vec<bool> = (0..chips)
        .map(|c| group_is_sipling(opts.variant, c / GROUP))
        .collect();
    let mut host_params: Vec<R> = Vec::with_capacity(chips * 10);
    for (p, &s) in params.iter().zip(&sipling) {
        for x in [
            p.alpha,
            p.beta,
            p.gamma,
            p.delta,
            p.eps,
            p.zeta,
            p.dt0,
            p.dt_min,
            p.dt_max,
            if s { 1.0 } else { 0.0 },
        ] {
            host_params.push(R::of(x));
        }
    }
    // Initial state, as the CPU draws it.
    let mut v0: Vec<R> = Vec::with_capacity(chips * n);
    let mut xs0: Vec<R> = Vec::with_capacity(chips * m);
    let mut xl0: Vec<R> = Vec::with_capacity(chips * m);
    let mut vc = vec![0.0f64; n];
    for (c, &s) in sipling.iter().enumerate() {
        let mut rng = SplitMix64::stream(opts.seed ^ 0x7EA1_57A7, c as u64);
        for x in vc.iter_mut() {
            *x = if !s {
                2.0 * rng.unit() - 1.0
            } else if rng.bit() {
                1.0
            } else {
                -1.0
            };
        }
        v0.extend(vc.iter().map(|&x| R::of(x)));
        for j in 0..m {
            let lits = starts[j] as usize..starts[j + 1] as usize;
            let cm = lits
                .map(|i| 0.5 - 0.5 * q[i] * vc[lit_var[i] as usize])
                .fold(1.0f64, f64::min);
            xs0.push(R::of(if s { 0.5 } else { cm }));
            xl0.push(R::of(1.0 + if inst.weighted { inst.wdyn[j] } else { 0.0 }));
        }
    }
    let wdyn: Vec<R> = inst.wdyn.iter().map(|&w| R::of(w)).collect();

    let d_starts = stream.clone_htod(&starts)?;
    let d_lit_var = stream.clone_htod(&lit_var)?;
    let d_lit_q = stream.clone_htod(&lit_q)?;
    let d_occ_start = stream.clone_htod(&occ_start)?;
    let d_occ = stream.clone_htod(&occ)?;
    let d_wdyn = stream.clone_htod(&wdyn)?;
    let d_wraw = stream.clone_htod(&inst.wraw)?;
    let d_params = stream.clone_htod(&host_params)?;
    let mut d_v = stream.clone_htod(&v0)?;
    let mut d_xs = stream.clone_htod(&xs0)?;
    let mut d_xl = stream.clone_htod(&xl0)?;
    drop((v0, xs0, xl0));
    let mut d_contrib = stream.alloc_zeros::<R>(chips * l)?;
    let mut d_best_x = stream.alloc_zeros::<u8>(chips * n)?;
    let mut d_energy = stream.alloc_zeros::<f64>(2 * chips)?;
    let mut d_best = stream.clone_htod(&vec![f64::INFINITY; chips])?;
    let mut d_maxdv = stream.alloc_zeros::<u64>(2 * chips)?;

    let k = Kernels {
        stream: stream.clone(),
        clause_pass,
        variable_pass,
        settle,
    };
    let dims = Dims {
        n: n as i32,
        m: m as i32,
        l: l as i32,
        chips: chips as i32,
        weighted: i32::from(inst.weighted),
        dt_first: R::of(1.0 / 128.0),
        xl_max: R::of(1e4 * m.max(1) as f64),
    };
    let deadline = start + opts.time_limit;
    let mut best: Option<Candidate> = None;
    let mut chip_best = vec![f64::INFINITY; chips];
    let mut host_best = vec![0.0f64; chips];
    let mut row = vec![0u8; n];
    let mut true_count = vec![0u32; m];
    // Weighted problems: CPU threads settle the chips' states while the GPU integrates (the
    // GPU samples, the cores finish), as the CPU solver's groups alternate the two.
    let finishers = match opts.threads {
        // Every core but the one driving the GPU.
        0 => std::thread::available_parallelism().map_or(1, |c| c.get().saturating_sub(1).max(1)),
        t => t,
    };
    let pool = FinishPool::start(problem, finishers, opts.seed, start);
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
        for _ in 0..todo {
            let s = step as i32;
            let mut b = k.stream.launch_builder(&k.clause_pass);
            b.arg(&dims.n)
                .arg(&dims.m)
                .arg(&dims.l)
                .arg(&dims.chips)
                .arg(&s);
            b.arg(&dims.weighted).arg(&dims.dt_first);
            b.arg(&d_starts)
                .arg(&d_lit_var)
                .arg(&d_lit_q)
                .arg(&d_wdyn)
                .arg(&d_wraw);
            b.arg(&d_params)
                .arg(&d_v)
                .arg(&mut d_xs)
                .arg(&mut d_xl)
                .arg(&dims.xl_max);
            b.arg(&mut d_contrib)
                .arg(&mut d_energy)
                .arg(&mut d_best)
                .arg(&mut d_maxdv);
            // SAFETY: the argument list matches clause_pass's signature, every buffer has the
            // size the kernel indexes (chips × N, × M, × L; 2 × chips; M + 1 starts) and the
            // grid covers M × chips.
            unsafe { b.launch(grid(m, chips)) }.context("launching clause_pass")?;
            let mut b = k.stream.launch_builder(&k.variable_pass);
            b.arg(&dims.n)
                .arg(&dims.l)
                .arg(&dims.chips)
                .arg(&s)
                .arg(&dims.dt_first);
            b.arg(&d_occ_start)
                .arg(&d_occ)
                .arg(&d_params)
                .arg(&mut d_v)
                .arg(&d_contrib);
            b.arg(&mut d_best_x)
                .arg(&d_energy)
                .arg(&d_best)
                .arg(&mut d_maxdv);
            // SAFETY: as above, for variable_pass over N × chips.
            unsafe { b.launch(grid(n, chips)) }.context("launching variable_pass")?;
            step += 1;
        }
        let last = (step - 1) as i32;
        let mut b = k.stream.launch_builder(&k.settle);
        b.arg(&dims.chips)
            .arg(&last)
            .arg(&d_energy)
            .arg(&mut d_best);
        // SAFETY: settle reads 2 × chips energies and writes chips bests.
        unsafe { b.launch(LaunchConfig::for_num_elems(chips as u32)) }
            .context("launching settle")?;
        k.stream.memcpy_dtoh(&d_best, &mut host_best)?;
        // Aim for ~10 ms batches: responsive to the stop flag, few host round trips.
        let took = t.elapsed().max(Duration::from_micros(50));
        batch = ((batch as f64) * 0.010 / took.as_secs_f64()).clamp(1.0, 4096.0) as u64;
        // Chips whose best improved and could beat the best so far: check them exactly,
        // most promising first.
        let global = best
            .as_ref()
            .map_or(f64::INFINITY, |b| inst.clause_energy(b.energy) as f64);
        let mut improved: Vec<usize> = (0..chips)
            .filter(|&c| host_best[c] < chip_best[c] && host_best[c] < global)
            .collect();
        improved.sort_by(|&a, &b| host_best[a].total_cmp(&host_best[b]));
        for &c in &improved {
            chip_best[c] = host_best[c];
        }
        for c in improved {
            k.stream
                .memcpy_dtoh(&d_best_x.slice(c * n..(c + 1) * n), &mut row)?;
            let mut x: Vec<bool> = row.iter().map(|&b| b != 0).collect();
            inst.polish(&mut x, &mut true_count);
            let Ok(energy) = problem.energy(&x) else {
                continue; // a hard clause is violated
            };
            let cand = Candidate {
                assignment: x,
                energy,
                elapsed: start.elapsed(),
                chip: c,
                steps: step,
            };
            if accept(&mut best, cand, inst, opts, on_improve) {
                solved = true;
                break;
            }
        }
        if let Some(pool) = &pool {
            for cand in pool.finished() {
                solved |= accept(&mut best, cand, inst, opts, on_improve);
            }
            // Keep every finishing thread busy with a chip's best state, the chips in turn.
            for _ in 0..chips {
                let c = next_chip % chips;
                k.stream
                    .memcpy_dtoh(&d_best_x.slice(c * n..(c + 1) * n), &mut row)?;
                if !pool.offer(row.iter().map(|&b| b != 0).collect(), c, step) {
                    break;
                }
                next_chip += 1;
            }
        }
    }
    if let Some(pool) = pool {
        for cand in pool.stop() {
            solved |= accept(&mut best, cand, inst, opts, on_improve);
        }
    }
    drop(k);
    Ok(Outcome {
        best,
        solved,
        steps: step,
        elapsed: start.elapsed(),
        chips,
        threads: 1,
    })
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

struct Kernels {
    stream: Arc<CudaStream>,
    clause_pass: CudaFunction,
    variable_pass: CudaFunction,
    settle: CudaFunction,
}

/// Scalar kernel arguments (kept alive while launches reference them).
struct Dims<R> {
    n: i32,
    m: i32,
    l: i32,
    chips: i32,
    weighted: i32,
    dt_first: R,
    xl_max: R,
}

/// x over `items` in blocks of 256, y over chips.
fn grid(items: usize, chips: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (items.div_ceil(256).max(1) as u32, chips as u32, 1),
        block_dim: (256, 1, 1),
        shared_mem_bytes: 0,
    }
}
