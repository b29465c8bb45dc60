use proptest::prelude::*;

use super::*;

fn log_of(key: &KeyPair, payloads: &[&[u8]]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for payload in payloads {
        let previous = entries.last().map(|last| {
            let lipmaa = bamboo_rs_core_ed25519_yasmf::lipmaa(last.seq_num + 1);
            Previous {
                seq_num: last.seq_num,
                backlink_entry: &last.bytes,
                lipmaa_entry: &entries[lipmaa as usize - 1].bytes,
            }
        });
        let entry = sign_next(key, 3, payload, previous).unwrap();
        entries.push(entry);
    }
    entries
}

#[test]
fn signs_and_verifies_a_log() {
    let key = KeyPair::from_name("ada");
    let entries = log_of(&key, &[b"one", b"two", b"three", b"four", b"five"]);
    assert_eq!(entries[4].seq_num, 5);
    assert_eq!(entries[4].log_id, 3);
    assert_eq!(entries[4].backlink, Some(entries[3].hash));
    assert_eq!(entries[3].lipmaa_link, Some(entries[0].hash));
    assert!(verify_signatures(&entries).iter().all(|ok| *ok));
}

#[test]
fn finds_the_one_bad_signature_in_a_batch() {
    let key = KeyPair::from_name("ada");
    let mut entries = log_of(&key, &[b"a", b"b", b"c"]);
    let last = entries[1].bytes.len() - 1;
    entries[1].bytes[last] ^= 1;
    assert_eq!(verify_signatures(&entries), vec![true, false, true]);
}

#[test]
fn rejects_tag_byte_two() {
    let key = KeyPair::from_name("ada");
    let mut bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    bytes[0] = 2;
    let err = decode_entry(&bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "non-canonical or malformed entry encoding: tag byte is 0x02, must be 0x00 or 0x01"
    );
}

#[test]
fn rejects_trailing_bytes() {
    let key = KeyPair::from_name("ada");
    let mut bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    bytes.push(0);
    let err = decode_entry(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("1 trailing bytes after the signature"),
        "{err}"
    );
}

#[test]
fn rejects_wrong_hash_length_byte() {
    let key = KeyPair::from_name("ada");
    let mut bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    // tag, author (32), log id (1), seq (1), payload size (1), hash type (1):
    // the hash length byte follows.
    let offset = 1 + 32 + 1 + 1 + 1 + 1;
    assert_eq!(bytes[offset], 0x20);
    bytes[offset] = 0x21;
    let err = decode_entry(&bytes).unwrap_err();
    assert!(
        err.to_string()
            .contains("hash length byte at offset 37 is 0x21, must be 0x20"),
        "{err}"
    );
}

#[test]
fn rejects_non_canonical_varu64() {
    let key = KeyPair::from_name("ada");
    let bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    // Log id 0 written as the two-byte varu64 form 0xf8 0x00.
    let mut long = bytes[..33].to_vec();
    long.extend_from_slice(&[0xf8, 0x00]);
    long.extend_from_slice(&bytes[34..]);
    let err = decode_entry(&long).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("non-canonical or malformed entry encoding"),
        "{err}"
    );
}

proptest! {
    #[test]
    fn entries_round_trip(log_id in 0u64..u64::MAX, seq_num in 1u64..1_000_000, end in any::<bool>(),
                          payload in proptest::collection::vec(any::<u8>(), 0..300),
                          back in any::<[u8; 32]>(), lipmaa in any::<[u8; 32]>()) {
        let key = KeyPair::from_name("prop");
        let (backlink, lipmaa_link) = if seq_num == 1 { (None, None) } else { (Some(Hash(back)), Some(Hash(lipmaa))) };
        let bytes = sign_raw(&key, log_id, seq_num, end, &payload, backlink, lipmaa_link);
        let entry = decode_entry(&bytes).unwrap();
        prop_assert_eq!(entry.log_id, log_id);
        prop_assert_eq!(entry.seq_num, seq_num);
        prop_assert_eq!(entry.is_end_of_log, end);
        prop_assert_eq!(entry.payload_hash, Hash::of(&payload));
        prop_assert_eq!(entry.backlink, backlink);
        prop_assert_eq!(&entry.bytes, &bytes);
        prop_assert!(verify_signatures(std::slice::from_ref(&entry))[0]);
    }

    #[test]
    fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_entry(&bytes);
    }
}
