//! End-to-end tests against the 4-validator localnet that tests/run.sh starts. One binary so
//! the workspace links once; tests run one at a time (`--test-threads=1`), each with its own
//! dev account, and the crash test (which restarts node 3) runs last by name.

mod bad_input;
mod bank;
mod consensus;
mod endpoints;
mod inference;
mod keplr;
mod keys;
mod neuro;
mod ops;
mod query;
mod rest;
mod rewards;
mod staking_cli;
mod validators;
mod z_crash_restart;
