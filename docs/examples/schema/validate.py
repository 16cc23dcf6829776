#!/usr/bin/env python3
"""Validate TagMango payloads with the published JSON Schema (see docs/schemas.md).

    validate.py events.schema.json PAYLOAD.json...

Each payload file is named EVENT.json or EVENT.ANYTHING.json (as in
course.completed.50.seed1.json): it is validated against $defs/EVENT. As a check on
the schema itself, each payload with its first required field removed must fail.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator


def main(bundle_path, payloads):
    with open(bundle_path) as f:
        bundle = json.load(f)
    Draft202012Validator.check_schema(bundle)
    defs = bundle["$defs"]
    failures = 0
    for path in payloads:
        event = next((e for e in sorted(defs, key=len, reverse=True) if os.path.basename(path).startswith(e + ".")), None)
        if event is None:
            print(f"{path}: names no event of {bundle_path}")
            failures += 1
            continue
        validator = Draft202012Validator(defs[event])
        with open(path) as f:
            payload = json.load(f)
        for error in validator.iter_errors(payload):
            print(f"{path}: {event}: {error.message} at {list(error.absolute_path)}")
            failures += 1
        broken = dict(payload)
        del broken[defs[event]["required"][0]]
        if validator.is_valid(broken):
            print(f"{path}: {event}: valid without {defs[event]['required'][0]}")
            failures += 1
    print(f"{len(payloads)} payloads checked, {failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
