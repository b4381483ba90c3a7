#!/usr/bin/env python3
"""Validates JSON output against fixorigin's schemas in docs/schemas/.

usage: check_json.py SCHEMA_DIR SCHEMA[#/$defs/NAME] FILE [--ndjson]

FILE holds one JSON document, or with --ndjson one a line, each checked against SCHEMA
(a file of SCHEMA_DIR, optionally a definition in it). Exit 0 when all are valid, 1 with
every violation on stderr, 2 for a usage or unreadable-input error."""
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource

BASE = "https://fixorigin.example/schemas/"


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir, target, path = pathlib.Path(argv[1]), argv[2], argv[3]
    ndjson = "--ndjson" in argv[4:]
    resources = []
    for f in sorted(schema_dir.glob("*.json")):
        doc = json.loads(f.read_text())
        jsonschema.Draft202012Validator.check_schema(doc)
        resources.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources)
    validator = jsonschema.Draft202012Validator({"$ref": BASE + target}, registry=registry)
    text = pathlib.Path(path).read_text()
    docs = [l for l in text.splitlines() if l.strip()] if ndjson else [text]
    if not docs:
        print(f"{path}: no JSON output", file=sys.stderr)
        return 1
    bad = 0
    for n, d in enumerate(docs, 1):
        try:
            value = json.loads(d)
        except ValueError as e:
            print(f"{path}:{n}: not JSON: {e}", file=sys.stderr)
            return 1
        for e in validator.iter_errors(value):
            bad += 1
            # a oneOf/anyOf failure: name the branch's deepest reason, not the whole value
            while e.context:
                e = jsonschema.exceptions.best_match(e.context)
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{path}:{n}: {target} at /{where}: {e.message[:300]}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
