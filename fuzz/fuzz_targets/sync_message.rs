//! `cargo +nightly fuzz run sync_message`: see `pandafest::fuzzing::sync_message`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::sync_message(data));
