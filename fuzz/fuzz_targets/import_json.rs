//! `cargo +nightly fuzz run import_json`: see `pandafest::fuzzing::import_json`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::import_json(data));
