//! `cargo +nightly fuzz run entry`: see `pandafest::fuzzing::entry`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::entry(data));
