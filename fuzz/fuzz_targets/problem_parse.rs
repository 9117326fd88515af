//! Fuzzes the neuro problem parsers (CNF, WCNF, QUBO) and the verifier: no input may panic,
//! and whatever parses must verify consistently.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    gliad::fuzzing::check_problem_bytes(data);
});
