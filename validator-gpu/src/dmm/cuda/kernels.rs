//! The solver's CUDA C kernels, compiled at run time with NVRTC for float or double, and the
//! host side of their launches.

use super::setup::Buffers;
use crate::dmm::cpu::Instance;
use anyhow::{Context, Result};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaStream, DeviceRepr, LaunchConfig, PushKernelArg, ValidAsZeroBits,
};
use std::sync::Arc;

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
pub(super) trait GpuReal:
    DeviceRepr + ValidAsZeroBits + Copy + Default + Send + Sync + 'static
{
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

/// The loaded kernels and the stream they run on.
pub(super) struct Kernels {
    pub(super) stream: Arc<CudaStream>,
    clause_pass: CudaFunction,
    variable_pass: CudaFunction,
    settle: CudaFunction,
}

impl Kernels {
    /// Compiles the kernels for `R` and loads them on `ctx`, to run on `stream`.
    pub(super) fn compile<R: GpuReal>(
        ctx: &Arc<CudaContext>,
        stream: Arc<CudaStream>,
    ) -> Result<Kernels> {
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
        Ok(Kernels {
            stream,
            clause_pass: module.load_function("clause_pass")?,
            variable_pass: module.load_function("variable_pass")?,
            settle: module.load_function("settle")?,
        })
    }

    /// Launches `todo` steps from `*step` (advancing it), then `settle`.
    pub(super) fn batch<R: GpuReal>(
        &self,
        dims: &Dims<R>,
        d: &mut Buffers<R>,
        grids: &Grids,
        step: &mut u64,
        todo: u64,
    ) -> Result<()> {
        for _ in 0..todo {
            self.step(dims, d, grids, *step)?;
            *step += 1;
        }
        self.settle(dims, d, grids, (*step - 1) as i32)
    }

    /// Launches step `step`: the clause pass, then the variable pass.
    fn step<R: GpuReal>(
        &self,
        dims: &Dims<R>,
        d: &mut Buffers<R>,
        grids: &Grids,
        step: u64,
    ) -> Result<()> {
        let s = step as i32;
        let mut b = self.stream.launch_builder(&self.clause_pass);
        b.arg(&dims.n)
            .arg(&dims.m)
            .arg(&dims.l)
            .arg(&dims.chips)
            .arg(&s);
        b.arg(&dims.weighted).arg(&dims.dt_first);
        b.arg(&d.starts)
            .arg(&d.lit_var)
            .arg(&d.lit_q)
            .arg(&d.wdyn)
            .arg(&d.wraw);
        b.arg(&d.params)
            .arg(&d.v)
            .arg(&mut d.xs)
            .arg(&mut d.xl)
            .arg(&dims.xl_max);
        b.arg(&mut d.contrib)
            .arg(&mut d.energy)
            .arg(&mut d.best)
            .arg(&mut d.maxdv);
        // SAFETY: the argument list matches clause_pass's signature, every buffer has the
        // size the kernel indexes (chips × N, × M, × L; 2 × chips; M + 1 starts) and the
        // grid covers M × chips.
        unsafe { b.launch(grids.clauses) }.context("launching clause_pass")?;
        let mut b = self.stream.launch_builder(&self.variable_pass);
        b.arg(&dims.n)
            .arg(&dims.l)
            .arg(&dims.chips)
            .arg(&s)
            .arg(&dims.dt_first);
        b.arg(&d.occ_start)
            .arg(&d.occ)
            .arg(&d.params)
            .arg(&mut d.v)
            .arg(&d.contrib);
        b.arg(&mut d.best_x)
            .arg(&d.energy)
            .arg(&d.best)
            .arg(&mut d.maxdv);
        // SAFETY: as above, for variable_pass over N × chips.
        unsafe { b.launch(grids.variables) }.context("launching variable_pass")?;
        Ok(())
    }

    /// Launches `settle` after a batch whose last step was `last`.
    fn settle<R: GpuReal>(
        &self,
        dims: &Dims<R>,
        d: &mut Buffers<R>,
        grids: &Grids,
        last: i32,
    ) -> Result<()> {
        let mut b = self.stream.launch_builder(&self.settle);
        b.arg(&dims.chips)
            .arg(&last)
            .arg(&d.energy)
            .arg(&mut d.best);
        // SAFETY: settle reads 2 × chips energies and writes chips bests.
        unsafe { b.launch(grids.chips) }.context("launching settle")?;
        Ok(())
    }
}

/// Scalar kernel arguments (kept alive while launches reference them).
pub(super) struct Dims<R> {
    n: i32,
    m: i32,
    l: i32,
    chips: i32,
    weighted: i32,
    dt_first: R,
    xl_max: R,
}

impl<R: GpuReal> Dims<R> {
    pub(super) fn new(inst: &Instance, (n, m, l): (usize, usize, usize), chips: usize) -> Dims<R> {
        Dims {
            n: n as i32,
            m: m as i32,
            l: l as i32,
            chips: chips as i32,
            weighted: i32::from(inst.weighted),
            dt_first: R::of(1.0 / 128.0),
            xl_max: R::of(1e4 * m.max(1) as f64),
        }
    }
}

/// The launch grids of a run's kernels.
pub(super) struct Grids {
    clauses: LaunchConfig,
    variables: LaunchConfig,
    chips: LaunchConfig,
}

impl Grids {
    pub(super) fn new(n: usize, m: usize, chips: usize) -> Grids {
        Grids {
            clauses: grid(m, chips),
            variables: grid(n, chips),
            chips: LaunchConfig::for_num_elems(chips as u32),
        }
    }
}

/// x over `items` in blocks of 256, y over chips.
fn grid(items: usize, chips: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (items.div_ceil(256).max(1) as u32, chips as u32, 1),
        block_dim: (256, 1, 1),
        shared_mem_bytes: 0,
    }
}
