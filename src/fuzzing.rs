//! The bodies of the fuzz targets in `fuzz/` (see `docs/fuzzing.md`).
//!
//! Each function takes one input of a decoder that reads bytes from
//! strangers and must return, whatever the bytes: an error is fine, a
//! panic, a hang or a huge allocation is a bug. The fuzz targets call
//! these, and `tests/fuzz_corpus.rs` replays every file of the committed
//! corpora (`fuzz/corpus/<target>/`) through the same functions on the
//! stable toolchain, so a crash once found stays fixed.
//!
//! Where a decoder accepts an input, the functions also check what must
//! then hold (a decoded operation encodes to the same bytes, a message
//! survives a round trip), and panic if it does not.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use crate::bundle::{
    BundleLocation, BundleReader, LogFile, Manifest, PartFile, PartKind, read_log_part,
};
use crate::entry::{Hash, MAX_ENTRY_SIZE, PublicKey, decode_entry};
use crate::import::{Format, detect_format, parse_schedule};
use crate::ingest::Position;
use crate::operation::{decode_operation, decode_stored_operation, encode_operation};
use crate::replicate::protocol::{self, Request, Response};

/// The body of a fuzz target: one input, any bytes.
pub type Body = fn(&[u8]);

/// The fuzz targets by name (the names of `fuzz/fuzz_targets/*.rs` and of
/// the corpus folders), each with its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("entry", entry),
    ("operation", operation),
    ("manifest", manifest),
    ("bundle_log", bundle_log),
    ("import_xml", import_xml),
    ("import_json", import_json),
    ("import_ical", import_ical),
    ("sync_message", sync_message),
];

/// A Bamboo entry: [`decode_entry`], and the lenient decoder that names
/// the position of a rejected entry ([`Position::guess`]).
///
/// Panics if an accepted entry's fields do not match its bytes.
pub fn entry(data: &[u8]) {
    let _ = Position::guess(data);
    if let Ok(entry) = decode_entry(data) {
        assert_eq!(entry.bytes, data, "an entry keeps its bytes");
        assert_eq!(
            entry.hash,
            Hash::of(data),
            "an entry's hash is of its bytes"
        );
        assert!(entry.seq_num > 0, "seq nums start at 1");
        assert_eq!(entry.signed_bytes().len() + 64, data.len());
        assert_eq!(entry.signature().len(), 64);
        assert!(entry.lipmaa_seq() < entry.seq_num || entry.seq_num == 1);
    }
}

/// An operation payload: [`decode_operation`] and
/// [`decode_stored_operation`].
///
/// Panics if a strictly decoded operation does not encode to the same
/// bytes, if the lenient decoder disagrees with the strict one on an input
/// the strict one accepts, or if an operation the lenient decoder accepts
/// does not encode to a payload the strict one accepts as the same.
pub fn operation(data: &[u8]) {
    let strict = decode_operation(data);
    let stored = decode_stored_operation(data);
    if let Ok(operation) = &strict {
        assert_eq!(encode_operation(operation), data, "canonical form");
        assert_eq!(stored.as_ref().ok(), Some(operation), "both decoders agree");
    }
    if let Ok(operation) = stored {
        let canonical = encode_operation(&operation);
        assert_eq!(decode_operation(&canonical).ok(), Some(operation));
    }
}

/// A bundle's `manifest.json`: [`Manifest::parse`], then the checks of its
/// logs' paths that [`BundleReader::entries`] makes before it opens a file
/// (against a directory that does not exist, for the first 16 logs).
///
/// Panics if an accepted manifest does not survive a JSON round trip.
pub fn manifest(data: &[u8]) {
    let Ok(manifest) = Manifest::parse(data, Path::new("logs/manifest.json")) else {
        return;
    };
    let json = serde_json::to_vec(&manifest).expect("a manifest serializes");
    let again = Manifest::parse(&json, Path::new("again")).expect("a manifest parses again");
    assert_eq!(again, manifest);
    let _ = manifest
        .logs
        .iter()
        .fold(0u64, |n, log| n.saturating_add(log.entry_count()));
    let reader = BundleReader::with_manifest(
        BundleLocation::Dir(PathBuf::from("/nonexistent/pandafest-fuzz/logs")),
        manifest,
    );
    let _ = reader.entry_count();
    for record in reader.entries_of(reader.manifest().logs.iter().take(16)) {
        if let Err(rejection) = record {
            let _ = rejection.to_string();
        }
    }
}

/// One file of a bundle's log (`<log id>.bamboo`, `.held.bamboo` or
/// `.forks.bamboo`) read as a bundle import reads it, with each record's
/// entry and payload decoded.
///
/// The first byte chooses the file (its value mod 3: entries, held
/// entries, fork proofs) and, in bit 2, whether the manifest's size and
/// BLAKE3 are the file's; the high nibble is the record count the manifest
/// announces. The rest is the file. The log's author and id are those of
/// the first record's entry, so fork proofs can be of the log.
pub fn bundle_log(data: &[u8]) {
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    let kind = match flags % 3 {
        0 => PartKind::Entries,
        1 => PartKind::Held,
        _ => PartKind::Forks,
    };
    let first_entry = file.get(..4).and_then(|len| {
        let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
        file.get(4..4 + len.min(MAX_ENTRY_SIZE))
    });
    let at = first_entry.map(Position::guess);
    let author = at
        .as_ref()
        .and_then(|at| at.author)
        .unwrap_or(PublicKey([0; 32]));
    let log_id = at.as_ref().and_then(|at| at.log_id).unwrap_or(0);
    let (size, blake3) = if flags & 4 != 0 {
        (file.len() as u64, Hash::of(file).to_hex())
    } else {
        (0, "0".repeat(64))
    };
    let records = u64::from(flags >> 4);
    let part = PartFile {
        path: LogFile::part_path(&author, log_id, kind),
        records,
        size,
        blake3: blake3.clone(),
    };
    let mut log = LogFile {
        author,
        log_id,
        height: records,
        path: LogFile::expected_path(&author, log_id),
        size,
        blake3,
        held: None,
        forks: None,
    };
    match kind {
        PartKind::Entries => {}
        PartKind::Held => log.held = Some(part),
        PartKind::Forks => log.forks = Some(part),
    }
    let reader = Box::new(Cursor::new(file.to_vec()));
    for record in read_log_part(&log, kind, reader) {
        match record {
            Ok(raw) => {
                let _ = decode_entry(&raw.entry);
                if let Some(payload) = &raw.payload {
                    let _ = decode_operation(payload);
                }
            }
            Err(rejection) => {
                let _ = rejection.to_string();
            }
        }
    }
}

/// The shared part of the import targets: the input as UTF-8 (the
/// importer reads text), the format detection, then
/// [`parse_schedule`] of the given format.
fn import(data: &[u8], name: &str, format: Format) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = detect_format(name, text);
    if let Ok(schedule) = parse_schedule(name, text, Some(format), None) {
        for problem in &schedule.problems {
            let _ = format!("{problem:?}");
        }
    }
}

/// A frab `schedule.xml` or Pentabarf XML schedule: [`parse_schedule`]
/// with [`Format::Xml`].
pub fn import_xml(data: &[u8]) {
    import(data, "schedule.xml", Format::Xml);
}

/// A frab or pretalx `schedule.json`: [`parse_schedule`] with
/// [`Format::Json`].
pub fn import_json(data: &[u8]) {
    import(data, "schedule.json", Format::Json);
}

/// An iCalendar file: [`parse_schedule`] with [`Format::Ical`].
pub fn import_ical(data: &[u8]) {
    import(data, "schedule.ics", Format::Ical);
}

/// A message of the sync protocol (without its 4-byte length), decoded as
/// a [`Request`] and as a [`Response`] with [`protocol::decode`].
///
/// Panics if a decoded message does not survive an encode and decode.
pub fn sync_message(data: &[u8]) {
    if let Ok(request) = protocol::decode::<Request>(data, "request") {
        let wire = protocol::encode(&request).expect("a decoded request encodes");
        let back: Request = protocol::decode(&wire[4..], "request").expect("and decodes");
        assert_eq!(back, request);
    }
    if let Ok(response) = protocol::decode::<Response>(data, "response") {
        let wire = protocol::encode(&response).expect("a decoded response encodes");
        let back: Response = protocol::decode(&wire[4..], "response").expect("and decodes");
        assert_eq!(back, response);
    }
}
