"""Inputs too big for memory: bombs and multi-gigabyte files are refused or read in chunks."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.fetch import FetchError, fetch_location
from flows.settings import Settings
from reliability.bombs import big_file, inflated_size, xlsx_bomb
from transforms.lineage import Origin
from transforms.parsed import InputError
from transforms.schema import SchemaDriftError

GiB = 2**30


def peak_rss_mib(code: str) -> tuple[float, str]:
    """Run `code` in a fresh interpreter; its peak resident memory (MiB) and its last line."""
    script = (
        f"{code}\nimport resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=900, check=True
    )
    lines = done.stdout.strip().splitlines()
    return float(lines[-1]), (lines[-2] if len(lines) > 1 else "")


def test_a_file_over_the_input_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = big_file(tmp_path / "big.json", 5000)
    with pytest.raises(FetchError, match=r"big\.json: 5000 bytes, over the input limit of 4096"):
        fetch_location(str(path), tmp_path / "raw", settings=Settings(max_input_bytes=4096))
    assert not list((tmp_path / "raw").rglob("*.json"))


def test_an_xlsx_bomb_is_refused_by_the_dtm_normaliser(tmp_path: Path) -> None:
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", 1_000_000)
    assert inflated_size(bomb) > 200 * bomb.stat().st_size
    from transforms import dtm

    origin = Origin("b", str(bomb), datetime(2025, 1, 1, tzinfo=UTC), "r")
    with pytest.raises((InputError, SchemaDriftError), match=r"bomb\.xlsx"):
        dtm.parse(bomb.read_bytes(), origin)


PARSE_BOMB = """
from datetime import UTC, datetime
from pathlib import Path
from flows.sources import registry
from transforms.lineage import Origin
path = Path({path!r})
origin = Origin("b", str(path), datetime.now(UTC), "r")
try:
    registry()[{kind!r}].transform(path.read_bytes(), origin)
    print("parsed")
except Exception as exc:
    print(type(exc).__name__)
"""


@pytest.mark.reliability
@pytest.mark.parametrize(
    "kind",
    ["dtm", "unhcr"],
)
def test_a_two_gigabyte_xlsx_bomb_stays_in_bounded_memory(tmp_path: Path, kind: str) -> None:
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", 30_000_000)
    assert inflated_size(bomb) > 1.5 * GiB
    peak, outcome = peak_rss_mib(PARSE_BOMB.format(path=str(bomb), kind=kind))
    print(
        f"xlsx bomb {bomb.stat().st_size} B -> {inflated_size(bomb)} B: {outcome}, {peak:.0f} MiB"
    )
    assert outcome in ("InputError", "SchemaDriftError")
    assert peak < 400


FETCH_BIG = """
import json
from pathlib import Path
from flows.fetch import fetch_location
from flows.settings import Settings
raw = fetch_location({path!r}, Path({raw!r}), settings=Settings(max_input_bytes={limit}))
print(json.dumps([raw.sha256, raw.path]))
"""


@pytest.mark.reliability
def test_a_multi_gigabyte_file_is_copied_in_bounded_memory(tmp_path: Path) -> None:
    size = int(2.2 * GiB)
    path = big_file(tmp_path / "huge.json", size)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(2**24):
            digest.update(chunk)
    code = FETCH_BIG.format(path=str(path), raw=str(tmp_path / "raw"), limit=4 * GiB)
    peak, line = peak_rss_mib(code)
    sha, stored = json.loads(line)
    print(f"copied {size} B into the raw store with a peak of {peak:.0f} MiB")
    assert sha == digest.hexdigest() and Path(stored).stat().st_size == size
    assert peak < 300
    Path(stored).unlink()
    default = Settings()
    with pytest.raises(FetchError, match="over the input limit"):
        fetch_location(str(path), tmp_path / "raw", settings=default)
