"""`make check-readme-walk`: run the README's walk, as a stranger would paste it, on a fresh clone.

The walk's blocks are marked in README.md with HTML comments a reader never sees:

    <!-- walk: environment -->   a block of `export NAME=HOST:PORT …`: the addresses, which this
                                 runner sets to free loopback ports of its own instead
    <!-- walk: servers -->       a block of `make TARGET` lines, one per terminal: started here in
                                 the background, in the order given, each waited for on /healthz
    <!-- walk: run -->           a block pasted into the walk's shell, in order
    <!-- walk: restart TARGET -->  stop that server (as Ctrl-C would) and start it again

Everything runs in one bash shell (`set -euo pipefail`), so functions and variables carry from
block to block as they would in a terminal. The walk fails on any command that fails, on any
JSON-RPC answer with an `error` member, and unless a turn stream completed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKED_BLOCK = re.compile(r"<!-- walk: (?P<kind>[a-z]+)(?: (?P<arg>\S+))? -->\n(?:```sh\n(?P<code>.*?)```)?", re.DOTALL)
EXPORTED = re.compile(r"\b([A-Z][A-Z0-9_]*)=\S+")
STARTUP_TIMEOUT_S = 600  # the first `make` of a fresh clone installs Dramaturg into .venv

SHELL_HELPERS = f"""
set -euo pipefail
walk_start() {{  # make TARGET in the background, in a process group of its own
    setsid make "$1" >> "walk-$1.log" 2>&1 &
    echo $! > "walk-$1.pid"
}}
walk_wait() {{  # until http://ADDRESS/healthz answers
    for _ in $(seq {STARTUP_TIMEOUT_S * 2}); do
        curl -sf "http://$1/healthz" > /dev/null && return 0
        sleep 0.5
    done
    echo "walk: nothing answers at $1 (see walk-*.log)" >&2
    return 1
}}
walk_stop() {{  # SIGINT to the whole group, as Ctrl-C in its terminal
    local pid
    pid=$(cat "walk-$1.pid" 2> /dev/null) || return 0
    kill -INT -- "-$pid" 2> /dev/null || true
    while kill -0 "$pid" 2> /dev/null; do sleep 0.2; done
    rm -f "walk-$1.pid"
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def walk_script(readme: str) -> str:
    """The bash script of the README's walk, with this runner's addresses and server handling."""
    lines = [SHELL_HELPERS]
    servers: dict[str, str] = {}  # make target → the variable holding its address
    variables: list[str] = []
    for match in MARKED_BLOCK.finditer(readme):
        kind, arg, code = match["kind"], match["arg"], match["code"] or ""
        if kind == "environment":
            variables = EXPORTED.findall(code)
            exports = " ".join(f"{name}=127.0.0.1:{free_port()}" for name in variables)
            lines.append(f"export {exports}")
        elif kind == "servers":
            targets = [line.split()[1] for line in code.splitlines() if line.startswith("make ")]
            stop_all = "; ".join(f"walk_stop {target}" for target in targets)
            lines.append(f"trap '{stop_all}' EXIT")
            for target, variable in zip(targets, _address_variables(targets, variables), strict=True):
                servers[target] = variable
                lines += [f"walk_start {target}", f'walk_wait "${variable}"']
        elif kind == "restart":
            lines += [f"walk_stop {arg}", f"walk_start {arg}", f'walk_wait "${servers[arg]}"']
        elif kind == "run":
            lines.append(code)
        else:
            raise SystemExit(f"README.md: unknown walk marker {kind!r}")
    return "\n".join(lines) + "\n"


def _address_variables(targets: list[str], variables: list[str]) -> list[str]:
    """Which exported variable is whose address: the stub's name says STUB, the server's does not."""
    return [next(name for name in variables if ("STUB" in name) == (target == "stub")) for target in targets]


def check_transcript(transcript: str) -> list[str]:
    """What went wrong in the walk's output, judged by the answers it printed."""
    problems = [line for line in transcript.splitlines() if re.search(r'"error":\s*\{', line)]
    if '"type":"completed"' not in transcript:
        problems.append("no turn stream completed")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dramaturg-walk-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    script = walk_script((clone / "README.md").read_text())
    (work / "walk.sh").write_text(script)
    print(f"walk: {clone} (script {work / 'walk.sh'})", flush=True)
    result = subprocess.run(["bash", str(work / "walk.sh")], cwd=clone, capture_output=True, text=True, check=False)
    transcript = result.stdout
    (work / "transcript.txt").write_text(transcript + result.stderr)
    problems = (
        check_transcript(transcript) if result.returncode == 0 else [f"the walk stopped (status {result.returncode})"]
    )
    if problems:
        print(transcript[-6000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
        for log in sorted(clone.glob("walk-*.log")):
            print(f"--- {log.name}", log.read_text()[-3000:], sep="\n", file=sys.stderr)
        print("walk: FAILED:", *problems, sep="\n  ", file=sys.stderr)
        print(f"walk: kept {work}", file=sys.stderr)
        return 1
    print(f"walk: passed ({len(transcript.splitlines())} lines of answers)")
    if args.keep:
        print(f"walk: kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
