//! `cargo +nightly fuzz run import_xml`: see `pandafest::fuzzing::import_xml`.
#![no_main]

use pandafest_fuzz as _;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pandafest::fuzzing::import_xml(data));
