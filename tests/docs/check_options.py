#!/usr/bin/env python3
"""One option reference: each command's options as its getopt table (cmd/<command>_cmd.c),
its --help, the man page (cmd/fixorigin.1) and docs/usage.md name them must agree.

- the getopt table and --help: the same options, both ways;
- --help and the man page: the same options, both ways. The man page's options of a command
  are the tags (.TP) of its section (.SS "fixorigin COMMAND ...") and the COMMON OPTIONS
  entries whose text says "Accepted by" that command (or "by every command");
- docs/usage.md: each option of --help (but -h/--help) is named in the command's section
  (### `fixorigin COMMAND`), and each option its tables list is one --help has.

The commands are those `fixorigin --help` lists. Before it reads them, it runs its checks on
inputs with known differences and fails unless each is reported (a check that cannot fail
proves nothing).
usage: check_options.py FIXORIGIN CMD_DIR MAN_PAGE USAGE_MD"""
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--?[a-z0-9][a-z0-9-]*")
# What may follow an option on its --help line before the description: its argument.
PLACEHOLDER = re.compile(r"[A-Z0-9_:/.<>\[\]=,-]+|[a-z0-9]+(\|[a-z0-9]+)+,?")


def options_in(text):
    return {m.group(0).rstrip("-") for m in OPTION.finditer(text)}


def help_options(text):
    """The options a --help text defines: those at the start of an indented line, with their
    arguments, before the description (options named in descriptions are not definitions)."""
    found = set()
    for line in text.splitlines():
        if not re.match(r" +-", line):
            continue
        for token in line.split():
            if token.startswith("-"):
                found |= options_in(re.split(r"[=\[]", token)[0])
            elif not PLACEHOLDER.fullmatch(token):
                break
    return found


def getopt_options(source):
    """The options a command's getopt table and optstring accept."""
    found = {"--" + n for n in re.findall(r'\{"([a-z0-9-]+)",\s*(?:no|required|optional)_argument',
                                          source)}
    for optstring in re.findall(r'getopt_long\([^,]+,[^,]+,\s*"([^"]*)"', source):
        found |= {"-" + c for c in optstring if c.isalnum()}
    return found


def roff_plain(text):
    text = re.sub(r"\\f(\[[^]]*\]|\(..|.)", "", text)
    return text.replace("\\-", "-").replace("\\(em", "-")


def man_sections(man):
    """(title, body lines) of each .SH/.SS section."""
    sections, title, body = [], "", []
    for line in man.splitlines():
        if line.startswith((".SH", ".SS")):
            sections.append((title, body))
            title, body = roff_plain(line[3:].strip().strip('"')), []
        else:
            body.append(line)
    sections.append((title, body))
    return sections


def man_entries(body):
    """(tag, text) of each .TP entry of a section."""
    entries = []
    for i, line in enumerate(body):
        if line == ".TP" and i + 1 < len(body):
            text = []
            for following in body[i + 2:]:
                if following in (".TP", ".PP") or following.startswith(".SH"):
                    break
                text.append(following)
            entries.append((roff_plain(body[i + 1]), roff_plain(" ".join(text))))
    return entries


def man_options(man, command, commands):
    found, section_found = set(), False
    for title, body in man_sections(man):
        if title.startswith("fixorigin ") and re.search(rf"\bfixorigin {command}\b", title):
            section_found = True
            for tag, _ in man_entries(body):
                found |= options_in(tag)
        elif title == "COMMON OPTIONS":
            for tag, text in man_entries(body):
                m = re.search(r"Accepted by ([^.]*)\.", text)
                takers = re.split(r",\s*|\s+and\s+", m.group(1)) if m else []
                if command in takers or "every command" in takers:
                    found |= options_in(tag)
    return found if section_found else None


def usage_section(usage, command):
    heading = rf"### `fixorigin ({command}\b" + ("|--service ID" if command == "fix" else "") + ")"
    lines, inside = [], False
    for line in usage.splitlines():
        if line.startswith("#"):
            inside = bool(re.match(heading, line))
        elif inside:
            lines.append(line)
    return lines


def usage_options(lines):
    """(options the section's tables list, options its text names in `code`)."""
    listed, named = set(), set()
    for line in lines:
        if line.startswith("| `-"):
            listed |= options_in(re.split(r"(?<!\\)\|", line)[1])
        for code in re.findall(r"`([^`]*)`", line):
            named |= options_in(code)
    return listed, named


def compare(command, sources):
    """The differences between the sources of one command's options, as sentences."""
    problems = []

    def both_ways(a, b):
        for option in sorted(sources[a] - sources[b]):
            problems.append(f"{command}: {a} has {option}, {b} does not")
        for option in sorted(sources[b] - sources[a]):
            problems.append(f"{command}: {b} has {option}, {a} does not")

    both_ways("the getopt table", "--help")
    both_ways("--help", "the man page")
    listed, named = sources["docs/usage.md"]
    for option in sorted(sources["--help"] - {"-h", "--help"} - named):
        problems.append(f"{command}: docs/usage.md does not name {option}")
    for option in sorted(listed - sources["--help"]):
        problems.append(f"{command}: docs/usage.md lists {option}, --help does not")
    return problems


def check(program, cmd_dir, man_path, usage_path):
    top = subprocess.run([program, "--help"], capture_output=True, text=True, check=True).stdout
    listing = top.split("\ncommands:\n", 1)[-1].split("\n\n", 1)[0]
    commands = re.findall(r"^  ([a-z]+) ", listing, re.M)
    if not commands:
        return ["fixorigin --help lists no commands"]
    man = open(man_path).read()
    usage = open(usage_path).read()
    problems = []
    for command in commands:
        out = subprocess.run([program, command, "--help"], capture_output=True, text=True)
        if out.returncode != 0 or not out.stdout.startswith("usage: fixorigin"):
            problems.append(f"{command} --help: exit {out.returncode}")
            continue
        try:
            source = open(f"{cmd_dir}/{command}_cmd.c").read()
        except OSError as e:
            problems.append(f"{command}: no getopt table: {e}")
            continue
        section = usage_section(usage, command)
        sources = {
            "the getopt table": getopt_options(source),
            "--help": help_options(out.stdout),
            "the man page": man_options(man, command, commands),
            "docs/usage.md": usage_options(section),
        }
        if sources["the man page"] is None:
            problems.append(f"{command}: the man page has no section .SS \"fixorigin {command}\"")
            continue
        if not section:
            problems.append(f"{command}: docs/usage.md has no section ### `fixorigin {command}`")
            continue
        if len(sources["--help"]) < 2:
            problems.append(f"{command}: --help defines no options (did its layout change?)")
        differences = compare(command, sources)
        if not differences:
            print(f"{command}: its {len(sources['--help'])} options agree")
        problems += differences
    return problems


def self_test():
    """Each kind of difference is found."""
    help_text = ("usage: fixorigin x [options]\n  --alpha N      first (see --gamma)\n"
                 "  --beta-two, --b3 V  second\n  -h, --help     this help\n")
    assert help_options(help_text) == {"--alpha", "--beta-two", "--b3", "-h", "--help"}
    assert getopt_options('{"alpha", required_argument, NULL, 1}, getopt_long(c, v, ":h", o, 0)'
                          ) == {"--alpha", "-h"}
    man = ('.SH COMMANDS\n.SS "fixorigin x"\n.TP\n.BI \\-\\-alpha " N"\nFirst.\n.TP\n'
           '.BI \\-\\-beta\\-two " V" "\\fR, \\fP\\-\\-b3 " V\nSecond.\n.SH "COMMON OPTIONS"\n'
           '.TP\n.BR \\-h ", " \\-\\-help\nDescribe it. Accepted by every command.\n'
           '.TP\n.B \\-\\-version\nAccepted by fixorigin itself.\n')
    assert man_options(man, "x", ["x"]) == {"--alpha", "--beta-two", "--b3", "-h", "--help"}
    assert man_options(man, "y", ["x", "y"]) is None
    usage = "### `fixorigin x`\n| `--alpha N` | first |\nprose `--beta-two` and `--b3`\n### other\n"
    good = {"the getopt table": help_options(help_text), "--help": help_options(help_text),
            "the man page": man_options(man, "x", ["x"]),
            "docs/usage.md": usage_options(usage_section(usage, "x"))}
    assert compare("x", good) == [], compare("x", good)
    cases = [("the getopt table", good["the getopt table"] | {"--delta"}, "getopt table has --delta"),
             ("--help", good["--help"] - {"--b3"}, "the man page has --b3"),
             ("the man page", good["the man page"] | {"--zeta"}, "the man page has --zeta"),
             ("docs/usage.md", (set(), {"--alpha"}), "does not name --beta-two"),
             ("docs/usage.md", ({"--omega"}, good["--help"]), "lists --omega")]
    for key, value, expected in cases:
        problems = compare("x", dict(good, **{key: value}))
        assert any(expected in p for p in problems), (expected, problems)
    print("self-test: every kind of difference is reported")


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    self_test()
    problems = check(*argv[1:])
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
