"""Helpers of the tests that reuse the pinned run folders (tests/data/pinned)."""
import json
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "pinned"

#: the config keys of a finished pinned run that ``tnrnn.train.run`` is given again
GIVEN_KEYS = ("task", "size", "task_options", "cell", "cell_options", "depth", "hidden",
              "steps", "eval_every", "batch", "val_size", "test_size")


def copy_finished(kind: str, tmp_path: Path) -> tuple:
    """Copy the finished pinned run ``kind`` into ``tmp_path``; return the copy's folder
    and the run config to give again (the stored config's ``GIVEN_KEYS``)."""
    folder = tmp_path / kind
    shutil.copytree(DATA / "finished" / kind, folder)
    stored = json.loads((folder / "config.json").read_text())
    return folder, {k: stored[k] for k in GIVEN_KEYS}
