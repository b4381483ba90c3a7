#!/usr/bin/env python3
"""Checks docs/openapi.yaml against the routes serve really has (serve/serve_routes.c's
routes[] table), both ways: every route is documented with its method, every documented
path and method is a route. A GET route also answers HEAD (the server does), so HEAD may
be documented for it. usage: check_openapi.py OPENAPI_YAML SERVE_ROUTES_C"""
import re
import sys

import yaml

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    doc = yaml.safe_load(open(argv[1]))
    source = open(argv[2]).read()
    table = re.search(r"static const route routes\[\] = \{(.*?)\n\};", source, re.S)
    if not table:
        print(f"{argv[2]}: no routes[] table found", file=sys.stderr)
        return 1
    routes = {(p, m.lower()) for p, m in re.findall(r'\{"(/[^"]*)",\s*"([A-Z]+)"', table.group(1))}
    if not routes:
        print(f"{argv[2]}: the routes[] table has no entries", file=sys.stderr)
        return 1
    if not str(doc.get("openapi", "")).startswith("3."):
        print(f"{argv[1]}: not an OpenAPI 3 document", file=sys.stderr)
        return 1
    documented = {(p, m) for p, ops in (doc.get("paths") or {}).items() for m in ops if m in METHODS}
    heads = {(p, "head") for p, m in routes if m == "get"}
    bad = 0
    for p, m in sorted(routes - documented):
        print(f"route {m.upper()} {p} is not in {argv[1]}", file=sys.stderr)
        bad += 1
    for p, m in sorted(documented - routes - heads):
        print(f"{argv[1]} documents {m.upper()} {p}, which serve does not have", file=sys.stderr)
        bad += 1
    print(f"{len(routes)} routes, {len(documented)} documented operations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
