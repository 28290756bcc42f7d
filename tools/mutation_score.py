"""`make mutate` (after `mutmut run`): the share of the connector's mutants (connector.py and its
package) that the unit tests kill.

Prints the counts of each outcome, the score (killed, timed out or caught by a type check, over
all mutants that ran) against the target of 90%, and the surviving mutants, one name a line:
`mutmut show NAME` shows each.
"""

import collections
import subprocess
import sys

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
TARGET = 0.90


def main():
    """Print the outcome counts, the score and the survivors; exit 1 below the target."""
    listed = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    outcomes = {}
    for line in listed.splitlines():
        name, _, outcome = line.strip().rpartition(": ")
        if name:
            outcomes[name] = outcome
    counts = collections.Counter(outcomes.values())
    ran = sum(count for outcome, count in counts.items() if outcome != "skipped")
    killed = sum(counts[outcome] for outcome in KILLED)
    print(", ".join(f"{outcome}: {count}" for outcome, count in sorted(counts.items())))
    if not ran:
        print("no mutant ran")
        return 1
    print(f"killed {killed} of {ran} mutants: {killed / ran:.1%} (target {TARGET:.0%})")
    for name, outcome in sorted(outcomes.items()):
        if outcome not in KILLED:
            print(f"  {outcome}: {name}")
    return 0 if killed / ran >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
