"""Render a report page in headless Chromium and save a PNG screenshot of it.

Usage: .venv/bin/python bench/screenshot_report.py [PAGE.html] [--out FILE.png]
Default page: $SITREP_HOME/reports/COD.html (SITREP_HOME defaults to .sitrep).
Needs Debian's chromium (apt-get install -y chromium); the page itself needs no network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
)


def browser() -> str | None:
    """The first Chromium-like browser on PATH."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def screenshot(page: Path, png: Path, size: str = "1280,2400", timeout: float = 120) -> Path:
    """Open `page` headless with a throwaway profile and write the screenshot to `png`."""
    exe = browser()
    if exe is None:
        raise RuntimeError("no chromium on PATH: apt-get install -y chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sitrep-chromium-") as profile:
        cmd = [
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png.resolve()}",
            f"--window-size={size}",
            page.resolve().as_uri(),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot for {page}")
    return png


def main() -> int:
    home = Path(os.environ.get("SITREP_HOME", ".sitrep"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", type=Path, default=home / "reports" / "COD.html")
    parser.add_argument("--out", type=Path, default=Path("bench/results/report-COD.png"))
    parser.add_argument("--window-size", default="1280,2400")
    args = parser.parse_args()
    if not args.page.exists():
        print(f"error: {args.page} does not exist: run `make run` first", file=sys.stderr)
        return 2
    print(screenshot(args.page, args.out, args.window_size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
