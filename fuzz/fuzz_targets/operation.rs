//! `cargo +nightly fuzz run operation`: see `pandafest::fuzzing::operation`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::operation(data));
