"""Copy generated Markdown tables into the README between their markers.

Usage: python benchmarks/experiments/readme_tables.py [README.md]

A block ``<!-- NAME: PATH -->`` ... ``<!-- /NAME -->`` in the README is
replaced by the contents of PATH (relative to the repository root), so the
README's tables are the committed data's, never typed by hand.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(readme="README.md"):
    path = ROOT / readme
    text = path.read_text()
    pattern = re.compile(r"<!-- ([\w-]+): (\S+) -->\n.*?<!-- /\1 -->", re.S)

    def fill(m):
        table = (ROOT / m.group(2)).read_text().rstrip("\n")
        return f"<!-- {m.group(1)}: {m.group(2)} -->\n{table}\n<!-- /{m.group(1)} -->"

    new, n = pattern.subn(fill, text)
    path.write_text(new)
    print(f"{path}: {n} table(s) filled")


if __name__ == "__main__":
    main(*sys.argv[1:])
