//! The Euler-ancestral sampler (Karras et al. 2022, "Elucidating the design space", with the
//! ancestral noise of k-diffusion), with its noise drawn from the request's seed: candle's
//! version draws from an unseeded generator, which replicas could never agree on.

use super::noise::SeededNormal;
use candle_core::{Result, Tensor};
use candle_transformers::models::stable_diffusion::schedulers::{PredictionType, Scheduler};

pub struct EulerAncestral {
    timesteps: Vec<usize>,
    /// sigma for each timestep, then 0.
    sigmas: Vec<f64>,
    step: usize,
    noise: SeededNormal,
    prediction: PredictionType,
}

impl EulerAncestral {
    /// SD's training schedule: 1000 steps, betas "scaled linear" from 0.00085 to 0.012.
    pub fn new(steps: usize, seed: u64, prediction: PredictionType) -> Self {
        const T: usize = 1000;
        let (b0, b1) = (0.00085f64.sqrt(), 0.012f64.sqrt());
        let mut acp = Vec::with_capacity(T);
        let mut prod = 1.0;
        for i in 0..T {
            let b = b0 + (b1 - b0) * i as f64 / (T - 1) as f64;
            prod *= 1.0 - b * b;
            acp.push(prod);
        }
        let all: Vec<f64> = acp.iter().map(|a| ((1.0 - a) / a).sqrt()).collect();
        let steps = steps.max(1);
        // "linspace" spacing from T-1 down to 0, sigmas interpolated between training steps.
        let ts: Vec<f64> = (0..steps)
            .map(|i| (T - 1) as f64 * (1.0 - i as f64 / (steps.max(2) - 1) as f64))
            .map(|t| if steps == 1 { (T - 1) as f64 } else { t })
            .collect();
        let mut sigmas: Vec<f64> = ts
            .iter()
            .map(|t| {
                let lo = t.floor() as usize;
                let hi = (lo + 1).min(T - 1);
                let w = t - lo as f64;
                all[lo] * (1.0 - w) + all[hi] * w
            })
            .collect();
        sigmas.push(0.0);
        EulerAncestral {
            timesteps: ts.iter().map(|t| t.round() as usize).collect(),
            sigmas,
            step: 0,
            noise: SeededNormal::new(seed, 0xE0_1E4),
            prediction,
        }
    }
}

impl Scheduler for EulerAncestral {
    fn timesteps(&self) -> &[usize] {
        &self.timesteps
    }

    fn add_noise(&self, original: &Tensor, noise: Tensor, _timestep: usize) -> Result<Tensor> {
        original + (noise * self.sigmas[0])?
    }

    fn init_noise_sigma(&self) -> f64 {
        (self.sigmas[0].powi(2) + 1.0).sqrt()
    }

    fn scale_model_input(&self, sample: Tensor, _timestep: usize) -> Result<Tensor> {
        let sigma = self.sigmas[self.step.min(self.sigmas.len() - 1)];
        sample / (sigma * sigma + 1.0).sqrt()
    }

    fn step(&mut self, model_output: &Tensor, _timestep: usize, sample: &Tensor) -> Result<Tensor> {
        let (sigma, next) = (self.sigmas[self.step], self.sigmas[self.step + 1]);
        self.step += 1;
        let denoised = match self.prediction {
            PredictionType::Epsilon => (sample - (model_output * sigma)?)?,
            PredictionType::VPrediction => {
                let c = 1.0 / (sigma * sigma + 1.0);
                ((model_output * (-sigma * c.sqrt()))? + (sample * c)?)?
            }
            PredictionType::Sample => model_output.clone(),
        };
        let up = (next * next * (sigma * sigma - next * next) / (sigma * sigma))
            .max(0.0)
            .sqrt();
        let down = (next * next - up * up).max(0.0).sqrt();
        let derivative = ((sample - &denoised)? / sigma)?;
        let prev = (sample + (derivative * (down - sigma))?)?;
        if up == 0.0 {
            return Ok(prev);
        }
        let noise = Tensor::from_vec(
            self.noise.vec_f32(prev.elem_count()),
            prev.shape(),
            prev.device(),
        )?
        .to_dtype(prev.dtype())?;
        prev + (noise * up)?
    }
}
