//! `cargo +nightly fuzz run bundle_log`: see `pandafest::fuzzing::bundle_log`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::bundle_log(data));
