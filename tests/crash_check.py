"""Checks for tests/crash.sh (issue 15): a store's integrity and contents, a
site's file set, and what `pandafest check` found in a copy of logs/.

    python3 crash_check.py store STORE ACKFILE
        -> "integrity=ok entries=N forks=F missing=M"
           (M: lines of ACKFILE, entry hashes or operation ids in hex, that
           the store lacks)
    python3 crash_check.py ack STORE ACKFILE
        appends every entry hash of STORE to ACKFILE
    python3 crash_check.py site DIR
        -> one hash of every file's path and bytes under DIR ("none" if DIR
           is missing)
"""

import hashlib
import os
import sqlite3
import sys


def store(path, ackfile):
    if not os.path.exists(path):
        print("integrity=ok entries=0 forks=0 missing=%d" % len(acks(ackfile)))
        return
    # Read-write: a kill while the store was being made can leave a hot
    # rollback journal, which any next opener (pandafest included) rolls
    # back first; a read-only connection cannot.
    conn = sqlite3.connect(path)
    result = conn.execute("PRAGMA integrity_check").fetchall()
    integrity = "ok" if result == [("ok",)] else "bad:" + repr(result)[:200]
    tables = set(
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    )
    if "entries" not in tables:
        # Killed before the first migration committed: an empty store.
        conn.close()
        missing = len(acks(ackfile))
        print("integrity=%s entries=0 forks=0 missing=%d" % (integrity, missing))
        return
    entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    forks = conn.execute("SELECT count(*) FROM fork_proofs").fetchone()[0]
    forks += conn.execute(
        "SELECT count(*) FROM logs WHERE forked_at IS NOT NULL"
    ).fetchone()[0]
    have = set(
        r[0] for r in conn.execute("SELECT lower(hex(hash)) FROM entries")
    )
    have |= set(
        r[0] for r in conn.execute("SELECT lower(hex(id)) FROM operations")
    )
    missing = [a for a in acks(ackfile) if a not in have]
    conn.close()
    print(
        "integrity=%s entries=%d forks=%d missing=%d"
        % (integrity.replace(" ", "_"), entries, forks, len(missing))
    )


def acks(ackfile):
    if not os.path.exists(ackfile):
        return []
    with open(ackfile) as f:
        lines = [line.strip().lower() for line in f if line.strip()]
    # Printed ids are multihashes: 0x00 0x20 (BLAKE2b-256) and the digest
    # the store keeps.
    return [a[4:] if len(a) == 68 and a.startswith("0020") else a for a in lines]


def ack(path, ackfile):
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    with open(ackfile, "a") as f:
        for (h,) in conn.execute("SELECT lower(hex(hash)) FROM entries"):
            f.write(h + "\n")
    conn.close()


def site(root):
    if not os.path.isdir(root):
        print("none")
        return
    total = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            total.update(os.path.relpath(full, root).encode() + b"\0")
            with open(full, "rb") as f:
                total.update(hashlib.sha256(f.read()).digest())
    print(total.hexdigest())


if __name__ == "__main__":
    {"store": store, "ack": ack, "site": site}[sys.argv[1]](*sys.argv[2:])
