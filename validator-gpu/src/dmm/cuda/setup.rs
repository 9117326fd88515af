//! The host side of a CUDA run before its first step: the clauses in CSR form, the population's
//! size, parameters and initial state (drawn as the CPU solver draws them), and the device
//! buffers they are uploaded to.

use super::kernels::GpuReal;
use super::{DEFAULT_CHIPS, GROUP};
use crate::dmm::cpu::{chip_params, group_is_sipling, ChipParams, Instance};
use crate::dmm::generate::SplitMix64;
use crate::dmm::SolveOptions;
use anyhow::{bail, Result};
use cudarc::driver::{CudaContext, CudaSlice, CudaStream};
use std::sync::Arc;

/// The clauses in CSR form, in the instance's (block) order, and the variable → literal
/// positions the variable pass gathers through.
pub(super) struct Csr<R> {
    /// `num_clauses + 1` offsets into the literal arrays.
    pub(super) starts: Vec<i32>,
    pub(super) lit_var: Vec<i32>,
    /// Each literal's sign q = ±1, exactly (the initial state is computed from it).
    pub(super) q: Vec<f64>,
    /// `q` in the kernels' precision.
    pub(super) lit_q: Vec<R>,
    pub(super) occ_start: Vec<i32>,
    pub(super) occ: Vec<i32>,
}

impl<R: GpuReal> Csr<R> {
    pub(super) fn build(inst: &Instance) -> Result<Csr<R>> {
        let (starts, lit_var, q) = clause_csr(inst);
        let lit_q: Vec<R> = q.iter().map(|&x| R::of(x)).collect();
        let l = lit_var.len();
        if l > i32::MAX as usize / 2 {
            bail!("{l} literals is too many for the CUDA kernels' 32-bit indices");
        }
        let (occ_start, occ) = literal_positions(inst.num_vars, &lit_var);
        Ok(Csr {
            starts,
            lit_var,
            q,
            lit_q,
            occ_start,
            occ,
        })
    }

    /// Literals over all clauses.
    pub(super) fn literals(&self) -> usize {
        self.lit_var.len()
    }
}

/// Clause offsets, each literal's variable, and its sign q.
fn clause_csr(inst: &Instance) -> (Vec<i32>, Vec<i32>, Vec<f64>) {
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
    (starts, lit_var, q)
}

/// Variable → literal positions: variable n's literals are `occ[occ_start[n]..occ_start[n + 1]]`.
fn literal_positions(n: usize, lit_var: &[i32]) -> (Vec<i32>, Vec<i32>) {
    let mut occ_start = vec![0i32; n + 1];
    for &var in lit_var {
        occ_start[var as usize + 1] += 1;
    }
    for i in 0..n {
        occ_start[i + 1] += occ_start[i];
    }
    let mut fill = occ_start.clone();
    let mut occ = vec![0i32; lit_var.len()];
    for (i, &var) in lit_var.iter().enumerate() {
        occ[fill[var as usize] as usize] = i as i32;
        fill[var as usize] += 1;
    }
    (occ_start, occ)
}

/// The population: as many chips as asked, or by default 256 (fewer if they would fill more
/// than half the free memory); an error if they do not fit on device `ordinal`.
pub(super) fn chip_count<R: GpuReal>(
    ctx: &CudaContext,
    opts: &SolveOptions,
    ordinal: usize,
    (n, m, l): (usize, usize, usize),
) -> Result<usize> {
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
    Ok(chips)
}

/// Each chip's parameters as the kernels read them (NPARAM values per chip, the last one its
/// variant), and whether it integrates the Sipling equations.
pub(super) fn chip_table<R: GpuReal>(
    opts: &SolveOptions,
    inst: &Instance,
    chips: usize,
) -> (Vec<R>, Vec<bool>) {
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
    (host_params, sipling)
}

/// The chips' initial (v, x_s, x_l), chip-major, as the CPU draws them.
pub(super) struct InitialState<R> {
    pub(super) v: Vec<R>,
    pub(super) xs: Vec<R>,
    pub(super) xl: Vec<R>,
}

impl<R: GpuReal> InitialState<R> {
    pub(super) fn draw(
        opts: &SolveOptions,
        inst: &Instance,
        csr: &Csr<R>,
        sipling: &[bool],
    ) -> InitialState<R> {
        let (n, m, chips) = (inst.num_vars, inst.num_clauses(), sipling.len());
        let (starts, lit_var, q) = (&csr.starts, &csr.lit_var, &csr.q);
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
        InitialState {
            v: v0,
            xs: xs0,
            xl: xl0,
        }
    }
}

/// Everything the kernels read and write, on the device.
pub(super) struct Buffers<R> {
    pub(super) starts: CudaSlice<i32>,
    pub(super) lit_var: CudaSlice<i32>,
    pub(super) lit_q: CudaSlice<R>,
    pub(super) occ_start: CudaSlice<i32>,
    pub(super) occ: CudaSlice<i32>,
    pub(super) wdyn: CudaSlice<R>,
    pub(super) wraw: CudaSlice<f64>,
    pub(super) params: CudaSlice<R>,
    pub(super) v: CudaSlice<R>,
    pub(super) xs: CudaSlice<R>,
    pub(super) xl: CudaSlice<R>,
    /// Each literal's contribution to dv, per chip.
    pub(super) contrib: CudaSlice<R>,
    /// Each chip's best sign state.
    pub(super) best_x: CudaSlice<u8>,
    /// Per chip, double-buffered by step parity: energy and max|dv| (as f64 bits).
    pub(super) energy: CudaSlice<f64>,
    pub(super) best: CudaSlice<f64>,
    pub(super) maxdv: CudaSlice<u64>,
}

impl<R: GpuReal> Buffers<R> {
    /// Uploads the clauses, parameters and initial state, and allocates the rest.
    pub(super) fn upload(
        stream: &Arc<CudaStream>,
        inst: &Instance,
        csr: &Csr<R>,
        host_params: &[R],
        state: InitialState<R>,
        chips: usize,
    ) -> Result<Buffers<R>> {
        let (n, l) = (inst.num_vars, csr.literals());
        let wdyn: Vec<R> = inst.wdyn.iter().map(|&w| R::of(w)).collect();
        let starts = stream.clone_htod(&csr.starts)?;
        let lit_var = stream.clone_htod(&csr.lit_var)?;
        let lit_q = stream.clone_htod(&csr.lit_q)?;
        let occ_start = stream.clone_htod(&csr.occ_start)?;
        let occ = stream.clone_htod(&csr.occ)?;
        let wdyn = stream.clone_htod(&wdyn)?;
        let wraw = stream.clone_htod(&inst.wraw)?;
        let params = stream.clone_htod(host_params)?;
        let v = stream.clone_htod(&state.v)?;
        let xs = stream.clone_htod(&state.xs)?;
        let xl = stream.clone_htod(&state.xl)?;
        drop(state);
        Ok(Buffers {
            starts,
            lit_var,
            lit_q,
            occ_start,
            occ,
            wdyn,
            wraw,
            params,
            v,
            xs,
            xl,
            contrib: stream.alloc_zeros::<R>(chips * l)?,
            best_x: stream.alloc_zeros::<u8>(chips * n)?,
            energy: stream.alloc_zeros::<f64>(2 * chips)?,
            best: stream.clone_htod(&vec![f64::INFINITY; chips])?,
            maxdv: stream.alloc_zeros::<u64>(2 * chips)?,
        })
    }
}
