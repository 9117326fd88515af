//! Neuromorphic jobs (`glia.neuro.v1`): customers post SAT, MaxSAT and QUBO problems with a
//! per-block fee and a solution reward; anyone (in practice validators' DMM solvers) submits
//! assignments, which the chain verifies exactly and pays for.

pub mod problem;
