//! `cargo +nightly fuzz run manifest`: see `pandafest::fuzzing::manifest`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::manifest(data));
