"""`make typecheck`: mypy over the files pyproject.toml names; fails on any finding that
`.ci/mypy-baseline.txt` does not list.

The baseline holds findings accepted for a while, as `path: message [code]` without line numbers
(they move with every edit); it is empty now. It only shrinks: a listed finding that is gone is
reported so its line can be deleted, and anything new fails the check.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
from pathlib import Path

BASELINE = Path(__file__).with_name("mypy-baseline.txt")
FINDING = re.compile(r"^(?P<path>[^:\s]+):\d+: error: (?P<message>.*)$")


def findings(output: str) -> collections.Counter[str]:
    found: collections.Counter[str] = collections.Counter()
    for line in output.splitlines():
        if (match := FINDING.match(line)) is not None:
            found[f"{match['path']}: {match['message']}"] += 1
    return found


def main() -> int:
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):  # mypy itself failed (usage, crash), not the code
        print(result.stdout + result.stderr, file=sys.stderr)
        return result.returncode
    known = collections.Counter(
        line for line in BASELINE.read_text().splitlines() if line.strip() and not line.startswith("#")
    )
    found = findings(result.stdout)
    new = found - known
    gone = known - found
    for finding in sorted(gone):
        print(f"fixed, delete from {BASELINE.name}: {finding}")
    if new:
        print(result.stdout, end="")
        print(f"mypy: {sum(new.values())} new finding(s) (not in {BASELINE.name}):", file=sys.stderr)
        for finding in sorted(new):
            print(f"  {finding}", file=sys.stderr)
        return 1
    print(f"mypy: no new findings ({sum(found.values())} known, listed in {BASELINE.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
