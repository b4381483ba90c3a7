#!/usr/bin/env python3
"""ctest symbol_prefixes: every symbol a module's library exports carries one of its prefixes.

docs/HACKING.md's "Prefixes" table gives each library its prefixes; this runs nm on every
library and fails on an exported (global, defined) symbol whose prefix is not its module's.
A prefix `fo_x` covers `fo_x` itself and every `fo_x_*`; a symbol belongs to the longest
prefix that covers it (`fo_ip_list_free` is `fo_ip_list`'s, api's, not common's `fo_ip`'s),
so no prefix can be in two modules. A prefix that no symbol uses fails too: the table says
what the code is.

usage: check_prefixes.py NM HACKING.md LIBRARY=PATH...
"""
import re
import subprocess
import sys


def read_table(path):
    """{library: [prefix, ...]} from the table under the '### Prefixes' heading."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.find("\n### Prefixes\n")
    if start < 0:
        sys.exit(f"{path}: no '### Prefixes' section")
    table = {}
    for line in text[start:].splitlines()[2:]:
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[1].startswith("`fo_"):
            continue
        library = cells[1].strip("`")
        table[library] = re.findall(r"`(fo_[a-z0-9_]+)`", cells[2])
    return table


def exported(nm, path):
    """The global symbols path defines (nm's types in upper case, U excluded)."""
    out = subprocess.run([nm, "--extern-only", "--defined-only", path], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isupper():
            names.add(parts[2])
    return names


def owner(symbol, prefixes):
    """The longest prefix covering symbol, or None."""
    best = None
    for prefix in prefixes:
        if (symbol == prefix or symbol.startswith(prefix + "_")) and \
                (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    nm, hacking = sys.argv[1], sys.argv[2]
    libraries = dict(arg.split("=", 1) for arg in sys.argv[3:])
    table = read_table(hacking)
    failures = []
    module_of = {}
    for library, prefixes in table.items():
        for prefix in prefixes:
            if prefix in module_of:
                failures.append(f"HACKING.md gives {prefix} to both {module_of[prefix]} and "
                                f"{library}")
            module_of[prefix] = library
    for library in libraries:
        if library not in table:
            failures.append(f"HACKING.md's Prefixes table has no row for {library}")
    if failures:  # the table itself is wrong: what the symbols would say follows from it
        report(failures)
    used = set()
    for library, path in sorted(libraries.items()):
        count = 0
        for symbol in sorted(exported(nm, path)):
            # Names starting "__" are the implementation's (a sanitizer's per-global ones).
            if symbol.startswith("__"):
                continue
            count += 1
            prefix = owner(symbol, module_of)
            if prefix is None:
                failures.append(f"{library} exports {symbol}, which carries no prefix of "
                                f"HACKING.md's table (its module's: "
                                f"{', '.join(table.get(library, []))})")
            elif module_of[prefix] != library:
                failures.append(f"{library} exports {symbol}, but {prefix} is "
                                f"{module_of[prefix]}'s prefix")
            else:
                used.add(prefix)
        print(f"{library}: {count} exported symbols")
    for prefix, library in sorted(module_of.items()):
        if library in libraries and prefix not in used:
            failures.append(f"HACKING.md gives {prefix} to {library}, which exports no such "
                            f"symbol: take it out of the table")
    report(failures)
    print("every exported symbol carries its module's prefix")


def report(failures):
    """Prints failures and exits 1, when there are any."""
    for failure in failures:
        print(f"FAIL: {failure}")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
