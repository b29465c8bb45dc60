#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/
from the repository's real inputs: sample-festival's and the invalid
fixtures' logs, the import fixtures, and small excerpts of the schedules in
../shared/data/schedules (see docs/fuzzing.md). Run from the repository
root; `cargo fuzz cmin` then keeps the seeds that add coverage."""

import hashlib
import json
import os
import re
import struct
import sys
from pathlib import Path

ROOT = Path(".")
OUT = ROOT / "fuzz" / "seeds"
SCHEDULES = Path(os.environ.get("SCHEDULES", "../shared/data/schedules"))


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def records(data):
    """(entry, payload) records of a .bamboo file."""
    out, i = [], 0
    while i + 4 <= len(data):
        n = struct.unpack(">I", data[i:i + 4])[0]
        e = data[i + 4:i + 4 + n]
        i += 4 + n
        m = struct.unpack(">I", data[i:i + 4])[0]
        p = data[i + 4:i + 4 + m]
        i += 4 + m
        out.append((e, p))
    return out


def frame(*parts):
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


# Logs: entries, payloads, manifests, log files.
logs = sorted(ROOT.glob("sample-festival/logs/*/*.bamboo")) + sorted(
    ROOT.glob("tests/fixtures/invalid/*/logs/*/*.bamboo"))
entries = []
for path in logs:
    data = path.read_bytes()
    recs = records(data)
    for e, p in recs:
        put("entry", e)
        put("operation", p)
        entries.append(e)
    head = recs[:15]
    file = b"".join(frame(e, p) for e, p in head)
    put("bundle_log", bytes([0x04 | (len(head) << 4)]) + file)  # entries
    put("bundle_log", bytes([0x05 | (len(head) << 4)]) + file)  # held
    if len(recs) >= 2:  # a fork proof of two entries of the log
        put("bundle_log", bytes([0x06 | (1 << 4)]) + frame(recs[0][0], recs[1][0]))
for path in [ROOT / "sample-festival/logs/manifest.json"] + sorted(
        ROOT.glob("tests/fixtures/invalid/*/logs/manifest.json")):
    put("manifest", path.read_bytes())

# Import fixtures.
for path in sorted(ROOT.glob("tests/fixtures/import/*/*")):
    target = {".xml": "import_xml", ".json": "import_json", ".ics": "import_ical"}.get(path.suffix)
    if target and path.stat().st_size <= 64 * 1024:
        put(target, path.read_bytes())

# Excerpts of real schedules: a few events each.
xml = (SCHEDULES / "38c3-schedule.xml").read_text()
for n in (1, 3):
    cut = [m.end() for m in re.finditer(r"</event>", xml)][n - 1]
    put("import_xml", xml[:cut] + "\n</room></day></schedule>\n")
rc3 = json.loads((SCHEDULES / "rc3-2020-pretalx.json").read_text())
day = rc3["schedule"]["conference"]["days"][0]
room = next(iter(day["rooms"]))
day["rooms"] = {room: day["rooms"][room][:2]}
rc3["schedule"]["conference"]["days"] = [day]
put("import_json", json.dumps(rc3, ensure_ascii=False, indent=1))
ics = (SCHEDULES / "kielux2020.ics").read_text()
cut = [m.end() for m in re.finditer(r"END:VEVENT\r?\n", ics)][2]
put("import_ical", ics[:cut] + "END:VCALENDAR\n")


# Sync messages: CBOR as ciborium writes serde's data model (enums as
# maps from the variant's name, structs as maps, byte strings).
def cbor(v):
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for size, code in ((1, 24), (2, 25), (4, 26), (8, 27)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | code]) + n.to_bytes(size, "big")
    if v is None:
        return b"\xf6"
    if v is True or v is False:
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


author = bytes(range(32))
height = {"author": author, "log_id": 1, "seq_num": 7, "fork": None}
forked = dict(height, fork=bytes(32))
put("sync_message", cbor("Festivals"))
put("sync_message", cbor({"Sync": {"festival": bytes([7] * 32), "heights": [height, forked]}}))
put("sync_message", cbor({"Festivals": [{"id": bytes([7] * 32), "name": "Sample festival"}]}))
put("sync_message", cbor({"Refused": {"reason": "too many requests"}}))
recs = records((ROOT / "sample-festival/logs").glob("*/0.bamboo").__next__().read_bytes())
put("sync_message", cbor({"Page": {
    "heights": [height],
    "entries": [{"entry": e, "payload": p} for e, p in recs[:2]],
    "proofs": [{"first": entries[0], "second": entries[1]}],
    "more": True,
}}))
print(*(f"{d.name}: {len(list(d.iterdir()))}" for d in sorted(OUT.iterdir())), sep="\n", file=sys.stderr)
