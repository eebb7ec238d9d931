"""The README's generated tables are the committed data's (never typed by hand)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_tables_equal_their_files():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- ([\w-]+): (\S+) -->\n(.*?)<!-- /\1 -->", text, re.S)
    assert blocks, "the README has no generated table"
    for name, path, body in blocks:
        want = (ROOT / path).read_text().rstrip("\n")
        assert body.rstrip("\n") == want, (
            f"README block {name} differs from {path}: run "
            "python benchmarks/experiments/readme_tables.py")
