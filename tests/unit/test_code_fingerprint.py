"""The code fingerprint covers what makes rows (transforms, reference data, suites), not flows/."""

from __future__ import annotations

import shutil
from pathlib import Path

from flows.incremental import code_digest

ROOT = Path(__file__).resolve().parents[2]


def copy_tree(tmp_path: Path) -> Path:
    for folder in ("flows", "transforms", "expectations"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=skip)
    return tmp_path


def test_orchestration_edits_keep_the_fingerprint_and_row_making_edits_change_it(
    tmp_path: Path,
) -> None:
    root = copy_tree(tmp_path)
    before = code_digest(root)
    cli = root / "flows" / "cli.py"
    cli.write_text(cli.read_text() + "\n# a help string reworded\n")
    assert code_digest(root) == before
    for changed in ("transforms/data/country_overrides.csv", "expectations/displacement.json"):
        path = root / changed
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert code_digest(root) != before, changed
        path.write_bytes(original)
    assert code_digest(root) == before
