use super::*;

#[test]
fn migrates_a_new_store_and_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/store.sqlite");
    drop(Store::open(&path).unwrap());
    let store = Store::open(&path).unwrap();
    assert_eq!(store.read().entry_count().unwrap(), 0);
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(page_size(&store), 16384);
    assert_eq!(wal_autocheckpoint(&store), 4096, "64 MiB of 16 KiB pages");
}

fn wal_autocheckpoint(store: &Store) -> i64 {
    store
        .conn
        .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
        .unwrap()
}

fn page_size(store: &Store) -> i64 {
    store
        .conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn refuses_a_store_from_a_newer_pandafest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let store = Store::open(&path).unwrap();
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let err = Store::open(&path).err().unwrap();
    assert!(err.to_string().contains("has schema version 99"), "{err}");
}

#[test]
fn a_version_1_store_keeps_its_entries_when_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(migrations::MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    conn.execute(
        "INSERT INTO entries (author, log_id, seq_num, hash, backlink, entry, payload)
         VALUES (?, 0, 1, ?, NULL, ?, ?)",
        rusqlite::params![
            &[7u8; 32][..],
            &[9u8; 32][..],
            &b"entry"[..],
            &b"payload"[..]
        ],
    )
    .unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    let version: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, migrations::MIGRATIONS.len() as i64);
    assert_eq!(page_size(&store), 4096, "an existing store keeps its pages");
    assert_eq!(wal_autocheckpoint(&store), 16384, "64 MiB of 4 KiB pages");
    let reader = store.read();
    assert_eq!(reader.entry_count().unwrap(), 1);
    let author = crate::entry::PublicKey([7u8; 32]);
    assert_eq!(
        reader.payload_at(&author, 0, 1).unwrap().as_deref(),
        Some(&b"payload"[..])
    );
}

fn synchronous(store: &Store) -> i64 {
    store
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn durable_writes_sync_fully_and_others_normally() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    assert_eq!(synchronous(&store), 1, "NORMAL");
    store.begin_durable_write().unwrap().commit().unwrap();
    assert_eq!(synchronous(&store), 2, "FULL for the publisher's commit");
    store.begin_write().unwrap().commit().unwrap();
    assert_eq!(synchronous(&store), 1, "NORMAL again for ingest");
}
