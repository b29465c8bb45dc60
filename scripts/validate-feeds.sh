#!/usr/bin/env bash
# Validates the feeds of a built site with independent tools:
#   schedule.xml  against the C3VOC XSD (xmllint, Debian libxml2-utils),
#   schedule.json against the v1 JSON schema (check-jsonschema; with
#                 rfc3987 installed it checks `format: uri` too),
#   every .ics    with Python's icalendar library (scripts/check_ics.py).
# Usage: scripts/validate-feeds.sh SITE_DIR. Exits non-zero on any error.
set -euo pipefail
site=${1:?usage: validate-feeds.sh SITE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
schemas=${PANDAFEST_SCHEMAS:-$here/../../shared/schemas}

xmllint --noout --schema "$schemas/schedule.xml.xsd" "$site/schedule.xml"
check-jsonschema --schemafile "$schemas/schedule.schema.json" "$site/schedule.json"
python3 "$here/check_ics.py" "$site"
