//! `cargo +nightly fuzz run import_ical`: see `pandafest::fuzzing::import_ical`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::import_ical(data));
