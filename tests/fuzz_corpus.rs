//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`)
//! through its target's body in `pandafest::fuzzing`, on the stable
//! toolchain: an input that once crashed a decoder stays in the corpus, so
//! the bug stays fixed without running the fuzzer (see docs/fuzzing.md).

use std::fs;
use std::path::Path;

use pandafest::fuzzing::TARGETS;

#[test]
fn every_corpus_file_decodes_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = Vec::new();
    for (name, body) in TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|f| f.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no corpus files", dir.display());
        for file in &files {
            let data = fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{name}: {} panicked", file.display());
        }
        replayed.push(format!("{name} {}", files.len()));
    }
    // Every folder is a target's: a corpus of a renamed target is not
    // silently skipped.
    for dir in fs::read_dir(&root).unwrap() {
        let name = dir.unwrap().file_name().into_string().unwrap();
        assert!(
            TARGETS.iter().any(|(t, _)| *t == name),
            "fuzz/corpus/{name} is not a target of pandafest::fuzzing::TARGETS"
        );
    }
    eprintln!("replayed: {}", replayed.join(", "));
}

#[test]
fn every_fuzz_target_has_a_body() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut targets: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|f| {
            let path = f.unwrap().path();
            path.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    targets.sort();
    let mut bodies: Vec<String> = TARGETS.iter().map(|(t, _)| t.to_string()).collect();
    bodies.sort();
    assert_eq!(targets, bodies);
}
