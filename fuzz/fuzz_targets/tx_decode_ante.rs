//! Fuzzes tx decoding and the ante checks (fees, gas, keys, sequences, signatures) and message
//! execution over a fixed genesis: no input may panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = gliad::fuzzing::check_tx_bytes(data);
});
