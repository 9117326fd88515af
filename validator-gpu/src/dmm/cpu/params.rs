//! The chips' constants: the published parameter sets of each variant of the equations and the
//! per-chip spread around them.

use crate::dmm::generate::SplitMix64;
use crate::dmm::Variant;

/// How far (multiplicatively) a chip's parameters stray from the published ones.
pub const SPREAD: f64 = 1.5;

/// One chip's constants.
#[derive(Clone, Copy, Debug)]
pub struct ChipParams {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub delta: f64,
    /// Bearden only: x_s' = β (x_s + ε)(C − γ).
    pub eps: f64,
    pub zeta: f64,
    /// dt = clamp(dt0 / (max|dv| + 1e-6), dt_min, dt_max).
    pub dt0: f64,
    pub dt_min: f64,
    pub dt_max: f64,
    /// x_l's bound: on reaching it x_l restarts from 1 (Bearden et al., supplement).
    /// The group caps it at 10^4·M.
    pub xl_max: f64,
}

impl ChipParams {
    /// Bearden, Pei, Di Ventra 2020, with ζ chosen by clause ratio (10^-3 at 4.3, 10^-2 at 5,
    /// 10^-1 at 6 and above; log-linear between).
    pub fn bearden(ratio: f64) -> ChipParams {
        let lz = if ratio <= 4.3 {
            -3.0
        } else if ratio <= 5.0 {
            -3.0 + (ratio - 4.3) / 0.7
        } else {
            (-2.0 + (ratio - 5.0)).min(-1.0)
        };
        ChipParams {
            alpha: 5.0,
            beta: 20.0,
            gamma: 0.25,
            delta: 0.05,
            eps: 1e-3,
            zeta: 10f64.powf(lz),
            dt0: 1.0,
            dt_min: 1.0 / 128.0,
            dt_max: 1e3,
            xl_max: f64::INFINITY,
        }
    }

    /// Sipling, Zhang, Di Ventra 2026: {α/β, β, γ, δ, ζ} = {0.45, 79, 0.36, 0.080, 0.063};
    /// x_s' = β (C − γ); below δ, x_l' = α (C − δ)(x_l − 1); dt capped at 0.1.
    pub fn sipling() -> ChipParams {
        ChipParams {
            alpha: 0.45 * 79.0,
            beta: 79.0,
            gamma: 0.36,
            delta: 0.080,
            eps: 0.0,
            zeta: 0.063,
            dt0: SIPLING_DT0,
            dt_min: 0.0,
            dt_max: 0.1,
            xl_max: f64::INFINITY,
        }
    }

    /// The same family, each constant scaled by a log-uniform factor in [1/SPREAD, SPREAD].
    fn perturbed(self, rng: &mut SplitMix64) -> ChipParams {
        let mut f = || SPREAD.powf(2.0 * rng.unit() - 1.0);
        let mut p = self;
        p.alpha *= f();
        p.beta *= f();
        p.gamma *= f();
        p.delta *= f();
        p.zeta *= f();
        p.dt0 *= f();
        p.gamma = p.gamma.min(0.45);
        p.delta = p.delta.min(0.8 * p.gamma);
        p
    }
}

/// Sipling et al. give dt = dt0 / max|dv| without dt0's value; 1 is our choice (untuned; the
/// cap of 0.1 binds most of the time).
pub const SIPLING_DT0: f64 = 1.0;

/// Whether group `group` of a run integrates the Sipling equations.
pub fn group_is_sipling(variant: Variant, group: usize) -> bool {
    match variant {
        Variant::Bearden2020 => false,
        Variant::Sipling2026 => true,
        Variant::Mixed => group % 2 == 1,
    }
}

/// The parameters of chip `k` of group `group` (K chips per group).
pub fn chip_params(
    variant: Variant,
    ratio: f64,
    seed: u64,
    group: usize,
    lanes: usize,
    k: usize,
) -> ChipParams {
    let sipling = group_is_sipling(variant, group);
    let base = if sipling {
        ChipParams::sipling()
    } else {
        ChipParams::bearden(ratio)
    };
    // The first group of each variant leads with the published constants.
    let first_group = match variant {
        Variant::Mixed => group < 2,
        _ => group == 0,
    };
    if first_group && k == 0 {
        base
    } else {
        let chip = group * lanes + k;
        base.perturbed(&mut SplitMix64::stream(seed, 1 + chip as u64))
    }
}
