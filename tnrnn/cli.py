"""Command-line interface (work in progress)."""
def main():  # pragma: no cover
    raise SystemExit("not yet")
