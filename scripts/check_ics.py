#!/usr/bin/env python3
"""Parses every .ics file given (or found under the given directories) with
Python's `icalendar` library, an independent parser, and checks what RFC 5545
asks of pandafest's feeds: CRLF line ends, lines of at most 75 octets, valid
UTF-8, a VCALENDAR with VERSION and PRODID, and VEVENTs with UID, DTSTAMP and
DTSTART/DTEND that are never floating. Exits 1 on the first file with errors."""

import pathlib
import sys

import icalendar


def problems(path):
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        yield f"not UTF-8: {e}"
        return
    lines = data.split(b"\r\n")
    if lines[-1] != b"":
        yield "does not end with CRLF"
    for number, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            yield f"line {number}: bare LF or CR"
        if len(line) > 75:
            yield f"line {number}: {len(line)} octets, more than 75"
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as e:  # the parser's own error, whatever its type
        yield f"icalendar cannot parse it: {e}"
        return
    for key in ("VERSION", "PRODID"):
        if key not in calendar:
            yield f"VCALENDAR without {key}"
    for component in calendar.walk():
        for error in getattr(component, "errors", []):
            yield f"{component.name}: {error}"
        if component.name != "VEVENT":
            continue
        uid = component.get("UID", "?")
        for key in ("UID", "DTSTAMP", "DTSTART"):
            if key not in component:
                yield f"VEVENT {uid}: no {key}"
        for key in ("DTSTART", "DTEND", "DTSTAMP"):
            if key in component:
                value = component.decoded(key)
                if getattr(value, "tzinfo", None) is None:
                    yield f"VEVENT {uid}: {key} is a floating time or a date"


def main(args):
    files = []
    for arg in args:
        path = pathlib.Path(arg)
        files.extend(sorted(path.rglob("*.ics")) if path.is_dir() else [path])
    if not files:
        print("check_ics: no .ics files found", file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        found = list(problems(path))
        for problem in found[:20]:
            print(f"{path}: {problem}", file=sys.stderr)
        failed += bool(found)
    print(f"check_ics: {len(files)} files, {failed} with errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
