#!/usr/bin/env python3
"""The shell completions (cmd/completion/) work and agree with the program.

- bash: the script loads in a fresh `bash --norc` (and, when installed, after the
  bash-completion package's own loader), completes the commands, and for each command the
  options completed after `--` are exactly those its --help defines (read as
  check_options.py reads them); option values (--activate=, --emit, --format) and files
  after a file option complete too;
- zsh: the script parses (`zsh -n`), and each command's function lists exactly the options
  its --help defines.

The commands are those `fixorigin --help` lists. zsh and bash-completion are in
scripts/install-deps.sh: without zsh the test fails rather than skips.
- `make install`: `cmake --install BUILD_DIR` into a scratch prefix puts the bash script in
  share/bash-completion/completions/fixorigin and the zsh one in share/zsh/site-functions
  (share/zsh/vendor-completions for the prefix /usr, as the Debian package has it).
usage: check_completion.py FIXORIGIN BASH_SCRIPT ZSH_SCRIPT [BUILD_DIR]"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_options import help_options  # noqa: E402

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


def bash_complete(script, words, cword, preload=False, cwd=None):
    """COMPREPLY for `words` with the cursor on word `cword`, as bash would ask for it."""
    array = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = ""
    if preload:
        program += f"source {BASH_COMPLETION}\n"
    program += (f"source '{script}'\n"
                f"COMP_WORDS=({array}); COMP_CWORD={cword}\n"
                f"COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n"
                "_fixorigin fixorigin \"${COMP_WORDS[COMP_CWORD]}\" "
                "\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
                "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    run = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                         text=True, cwd=cwd, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                  "HOME": cwd or "/nonexistent"})
    if run.returncode != 0 or run.stderr:
        raise RuntimeError(f"bash completion of {words!r} failed: {run.stderr.strip()}")
    return {line for line in run.stdout.splitlines() if line}


def zsh_options(text, command):
    """The options named by _fixorigin_COMMAND's specs in the zsh script."""
    m = re.search(rf"^_fixorigin_{command}\(\) \{{\n(.*?)^\}}", text, re.M | re.S)
    if not m:
        return None
    found = set()
    for spec in re.findall(r"'(?:\([^)]*\))?\*?([^'\[]*)", m.group(1)):
        found |= set(re.findall(r"-[-a-z0-9]+", spec.rstrip("=-")))
    for braced in re.findall(r"\{([^}]*)\}'\[", m.group(1)):
        found |= set(braced.split(","))
    return {o.rstrip("=") for o in found}


def check(program, bash_script, zsh_script):
    problems = []
    top = subprocess.run([program, "--help"], capture_output=True, text=True, check=True).stdout
    listing = top.split("\ncommands:\n", 1)[-1].split("\n\n", 1)[0]
    commands = re.findall(r"^  ([a-z]+) ", listing, re.M)
    if not commands:
        return ["fixorigin --help lists no commands"]
    zsh_text = open(zsh_script).read()
    for preload in (False, True):
        if preload and not os.path.exists(BASH_COMPLETION):
            problems.append(f"{BASH_COMPLETION} is missing (install bash-completion)")
            continue
        how = " after bash-completion's loader" if preload else ""
        got = bash_complete(bash_script, ["fixorigin", ""], 1, preload)
        if not set(commands) <= got:
            problems.append(f"bash{how}: 'fixorigin <TAB>' gives {sorted(got)}, not {commands}")
        got = bash_complete(bash_script, ["fixorigin", "ap"], 1, preload)
        if got != {"apply"}:
            problems.append(f"bash{how}: 'fixorigin ap<TAB>' gives {sorted(got)}")
    for command in commands:
        text = subprocess.run([program, command, "--help"], capture_output=True, text=True,
                              check=True).stdout
        want = help_options(text) - {"-h"}
        got = {o.rstrip("=") for o in bash_complete(bash_script, ["fixorigin", command, "--"], 2)}
        for o in sorted(want - got):
            problems.append(f"bash: {command}: --help has {o}, the completion does not")
        for o in sorted(got - want):
            problems.append(f"bash: {command}: the completion has {o}, --help does not")
        zsh = zsh_options(zsh_text, command)
        if zsh is None:
            problems.append(f"zsh: no _fixorigin_{command}")
            continue
        for o in sorted(want - zsh):
            problems.append(f"zsh: {command}: --help has {o}, the completion does not")
        for o in sorted(zsh - want - {"-h"}):
            problems.append(f"zsh: {command}: the completion has {o}, --help does not")
    # Without a command, options are fix's (fixorigin --service ID).
    got = bash_complete(bash_script, ["fixorigin", "--serv"], 1)
    if "--service" not in got:
        problems.append(f"bash: 'fixorigin --serv<TAB>' gives {sorted(got)}")
    # Values.
    cases = [(["fixorigin", "fix", "--activate=n"], {"none"}),
             (["fixorigin", "--service", "S", "--emit", ""], {"terraform"}),
             (["fixorigin", "scan", "--format", "nd"], {"ndjson"}),
             (["fixorigin", "help", "sc"], {"scan"})]
    for words, want in cases:
        got = bash_complete(bash_script, words, len(words) - 1)
        if got != want:
            problems.append(f"bash: {' '.join(words)}<TAB> gives {sorted(got)}, not {sorted(want)}")
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "saved-plan.json"), "w").close()
        got = bash_complete(bash_script, ["fixorigin", "apply", "sav"], 2, cwd=d)
        if got != {"saved-plan.json"}:
            problems.append(f"bash: 'fixorigin apply sav<TAB>' gives {sorted(got)}")
        got = bash_complete(bash_script, ["fixorigin", "--plan-out", "sav"], 2, cwd=d)
        if got != {"saved-plan.json"}:
            problems.append(f"bash: 'fixorigin --plan-out sav<TAB>' gives {sorted(got)}")
    zsh = shutil.which("zsh")
    if not zsh:
        problems.append("zsh is not installed (scripts/install-deps.sh installs it)")
    else:
        run = subprocess.run([zsh, "-n", zsh_script], capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"zsh -n {zsh_script}: {run.stderr.strip()}")
    return problems


def check_install(build_dir, bash_script, zsh_script):
    problems = []
    with tempfile.TemporaryDirectory() as d:
        for prefix, destdir, zsh_dir in (("/local", None, "share/zsh/site-functions"),
                                          ("/usr", d + "/destdir", "share/zsh/vendor-completions")):
            env = dict(os.environ)
            if destdir:
                env["DESTDIR"] = destdir
            root = destdir + prefix if destdir else d + prefix
            run = subprocess.run(["cmake", "--install", build_dir, "--prefix",
                                  prefix if destdir else root], capture_output=True, text=True,
                                 env=env)
            if run.returncode != 0:
                problems.append(f"cmake --install --prefix {prefix}: {run.stderr.strip()[:300]}")
                continue
            for path, source in ((f"share/bash-completion/completions/fixorigin", bash_script),
                                 (f"{zsh_dir}/_fixorigin", zsh_script)):
                full = os.path.join(root, path)
                if not os.path.isfile(full) or open(full).read() != open(source).read():
                    problems.append(f"make install (prefix {prefix}) did not install {path}")
    return problems


def self_test(bash_script, zsh_script):
    """The comparison must see a difference: a script missing an option fails."""
    with tempfile.TemporaryDirectory() as d:
        broken = os.path.join(d, "broken.bash")
        with open(bash_script) as f:
            open(broken, "w").write(f.read().replace("--as-backend ", ""))
        got = bash_complete(broken, ["fixorigin", "probe", "--"], 2)
        if "--as-backend" in got:
            return ["self-test: an option removed from the script is still completed"]
        zsh = zsh_options(open(zsh_script).read().replace("'--as-backend[", "'--x-as-backend["),
                          "probe")
        if "--as-backend" in zsh:
            return ["self-test: an option removed from the zsh script is still read"]
    return []


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    program, bash_script, zsh_script = (os.path.abspath(a) for a in argv[1:4])
    problems = self_test(bash_script, zsh_script) or check(program, bash_script, zsh_script)
    if len(argv) == 5:
        problems += check_install(argv[4], bash_script, zsh_script)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("completion: bash and zsh agree with every command's --help")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
