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

/// What Bamboo's own crate decodes from `bytes`, with the canonical check
/// (encode again, compare): the reference the strict decoder must agree
/// with. `None` where the crate stops at an author key that is no curve
/// point, and so says nothing about the rest.
fn reference_decode(bytes: &[u8]) -> Option<Option<(u64, u64, bool, u64)>> {
    if bytes.is_empty() || bytes.len() > MAX_ENTRY_SIZE || bytes[0] > 1 {
        return Some(None);
    }
    let entry = match bamboo_rs_core_ed25519_yasmf::entry::decode(bytes) {
        Ok(entry) => entry,
        Err(e) if format!("{e:?}") == "DecodeAuthorError" => return None,
        Err(_) => return Some(None),
    };
    let mut canonical = [0u8; 512];
    let canonical_ok = entry
        .encode(&mut canonical)
        .is_ok_and(|len| canonical[..len] == *bytes);
    Some(canonical_ok.then_some((
        entry.log_id,
        entry.seq_num,
        entry.is_end_of_feed,
        entry.payload_size,
    )))
}

fn assert_agrees_with_reference(bytes: &[u8]) -> Result<(), TestCaseError> {
    let ours = decode_entry(bytes);
    if let Some(reference) = reference_decode(bytes) {
        let ours = ours
            .as_ref()
            .ok()
            .map(|e| (e.log_id, e.seq_num, e.is_end_of_log, e.payload_size));
        prop_assert_eq!(ours, reference, "bytes {:02x?}", bytes);
    }
    Ok(())
}

#[test]
fn rejects_seq_num_zero() {
    let key = KeyPair::from_name("ada");
    let mut bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    bytes[34] = 0;
    assert_eq!(
        decode_entry(&bytes).unwrap_err().to_string(),
        "non-canonical or malformed entry encoding: seq num is 0, must be 1 or more"
    );
}

#[test]
fn names_the_field_a_short_entry_ends_in() {
    let key = KeyPair::from_name("ada");
    let bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    assert_eq!(
        decode_entry(&bytes[..20]).unwrap_err().to_string(),
        "non-canonical or malformed entry encoding: the entry ends inside the author key: it has 20 bytes, the author key needs 33"
    );
    assert_eq!(
        decode_entry(&bytes[..bytes.len() - 1])
            .unwrap_err()
            .to_string(),
        format!(
            "non-canonical or malformed entry encoding: the entry ends inside the signature: it has {} bytes, the signature needs {}",
            bytes.len() - 1,
            bytes.len()
        )
    );
}

#[test]
fn rejects_a_hash_type_other_than_blake3() {
    let key = KeyPair::from_name("ada");
    let mut bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    // tag, author (32), log id, seq num, payload size: the hash type follows.
    bytes[36] = 1;
    assert_eq!(
        decode_entry(&bytes).unwrap_err().to_string(),
        "non-canonical or malformed entry encoding: the payload hash at byte 36 has hash type 0x01, must be 0x00 (BLAKE3)"
    );
}

#[test]
fn a_non_canonical_varu64_is_named() {
    let key = KeyPair::from_name("ada");
    let bytes = sign_raw(&key, 0, 1, false, b"x", None, None);
    let mut long = bytes[..33].to_vec();
    long.extend_from_slice(&[0xf8, 0x00]);
    long.extend_from_slice(&bytes[34..]);
    assert_eq!(
        decode_entry(&long).unwrap_err().to_string(),
        "non-canonical or malformed entry encoding: the log id at byte 33 is 0 in a longer varu64 form than needed"
    );
}

#[test]
fn agrees_with_bamboo_on_signed_entries() {
    let key = KeyPair::from_name("ada");
    for entry in log_of(&key, &[b"a".as_slice(); 40]) {
        assert_agrees_with_reference(&entry.bytes).unwrap();
        assert!(decode_entry(&entry.bytes).is_ok());
    }
}

proptest! {
    /// The strict decoder accepts exactly what Bamboo's crate decodes and
    /// encodes back to the same bytes, with the same fields, for entries
    /// broken in every way: a byte changed, bytes cut, bytes added.
    #[test]
    fn agrees_with_bamboo_on_broken_entries(
        seq_num in 1u64..300, log_id in prop_oneof![Just(0u64), 0u64..u64::MAX],
        payload_size in 0usize..600, end in any::<bool>(),
        at in any::<prop::sample::Index>(), byte in any::<u8>(), how in 0u8..4,
    ) {
        let key = KeyPair::from_name("prop");
        let payload = vec![7u8; payload_size];
        let links = (seq_num > 1).then_some(Hash([3; 32]));
        let mut bytes = sign_raw(&key, log_id, seq_num, end, &payload, links, links);
        let i = at.index(bytes.len());
        match how {
            0 => bytes[i] = byte,
            1 => bytes.truncate(i),
            2 => bytes.insert(i, byte),
            _ => { bytes.remove(i); }
        }
        assert_agrees_with_reference(&bytes)?;
    }

    #[test]
    fn agrees_with_bamboo_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..230)) {
        assert_agrees_with_reference(&bytes)?;
    }
}

/// `entry` signed again with a nonce point R that has a small-order part:
/// valid by the cofactored equation of ZIP 215, not by the cofactorless
/// one. Batch checks that are not cofactored accept it by chance.
fn with_small_order_nonce(key: &KeyPair, entry: &Entry) -> Entry {
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::scalar::Scalar;
    use sha2::{Digest, Sha512};
    let expanded = Sha512::digest(key.dalek().secret.to_bytes());
    let mut secret = [0u8; 32];
    secret.copy_from_slice(&expanded[..32]);
    secret[0] &= 248;
    secret[31] &= 127;
    secret[31] |= 64;
    let a = Scalar::from_bytes_mod_order(secret);
    let r = Scalar::from_bytes_mod_order([7; 32]);
    // A point of order 8 added to [r]B.
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1]).compress();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r.as_bytes())
            .chain_update(entry.author.0)
            .chain_update(entry.signed_bytes()),
    );
    let s = r + k * a;
    let mut bytes = entry.signed_bytes().to_vec();
    bytes.extend_from_slice(big_r.as_bytes());
    bytes.extend_from_slice(s.as_bytes());
    decode_entry(&bytes).unwrap()
}

#[test]
fn batch_and_single_checks_agree_on_a_small_order_nonce() {
    let key = KeyPair::from_name("ada");
    let mut entries = log_of(&key, &[b"a".as_slice(); 12]);
    entries[5] = with_small_order_nonce(&key, &entries[5]);
    // ed25519-dalek's single check refuses it.
    let dalek = ed25519_dalek::VerifyingKey::from_bytes(&entries[5].author.0).unwrap();
    let signature = ed25519_dalek::Signature::from_slice(entries[5].signature()).unwrap();
    assert!(
        ed25519_dalek::Verifier::verify(&dalek, entries[5].signed_bytes(), &signature).is_err()
    );
    // Alone and in a batch, many times over (the batch's coefficients are
    // random), the answer is the same: valid by ZIP 215.
    let alone = verify_signatures(std::slice::from_ref(&entries[5]));
    assert_eq!(alone, vec![true]);
    for _ in 0..32 {
        assert_eq!(verify_signatures(&entries), vec![true; 12]);
    }
}

#[test]
fn an_off_curve_author_fails_without_failing_its_neighbours() {
    let key = KeyPair::from_name("ada");
    let mut entries = log_of(&key, &[b"a".as_slice(); 3]);
    let off_curve = (2u8..)
        .map(|n| {
            let mut y = [0u8; 32];
            y[0] = n;
            y
        })
        .find(|y| !PublicKey(*y).is_curve_point())
        .unwrap();
    let mut bytes = entries[1].bytes.clone();
    bytes[1..33].copy_from_slice(&off_curve);
    entries[1] = decode_entry(&bytes).unwrap();
    assert_eq!(verify_signatures(&entries), vec![true, false, true]);
    assert_eq!(verify_signatures(&entries[1..2]), vec![false]);
}
