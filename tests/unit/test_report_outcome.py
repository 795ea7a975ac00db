"""Whether a run wrote the report is read from one place: the report folder's state file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flows.cli import _report_outcome
from flows.settings import Settings
from warehouse import report_state


def test_a_report_ended_after_the_start_is_the_runs_own(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    folder = settings.reports_dir
    assert report_state.ended_since(folder, 0) is None  # no report yet
    state = report_state.ReportState()
    state.drawn_now({"COD": "d1"}, keep={"COD"})
    report_state.write(folder, state)
    assert _report_outcome(settings, time.time() - 5) == (True, None)
    assert _report_outcome(settings, time.time() + 5) == (False, None)  # an earlier report
    state.failed(OSError("disk full"))
    report_state.write(folder, state)
    assert _report_outcome(settings, time.time() - 5) == (False, "disk full")


def test_a_touched_page_is_not_taken_for_a_new_report(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    state = report_state.ReportState()
    state.drawn_now({"COD": "d1"}, keep={"COD"})
    report_state.write(settings.reports_dir, state)
    started = time.time() + 60  # the run starts after that report
    index = settings.reports_dir / "index.html"
    index.write_text("<html></html>")
    os.utime(index, (started + 1, started + 1))  # a newer file says nothing about the run
    assert _report_outcome(settings, started) == (False, None)


def test_a_report_of_the_same_second_before_the_start_is_not_the_runs(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    state = report_state.ReportState()
    state.drawn_now({"COD": "d1"}, keep={"COD"})
    report_state.write(settings.reports_dir, state)
    assert _report_outcome(settings, time.time() + 0.001) == (False, None)


def test_a_failed_reports_error_is_kept_redacted(tmp_path: Path) -> None:
    state = report_state.ReportState()
    state.failed(OSError("cannot read https://u:pa55w0rd-x@h.example.org/a?token=t0ken-9f8e7d"))
    report_state.write(tmp_path, state)
    kept = (tmp_path / report_state.STATE_FILE).read_text()
    assert "pa55w0rd-x" not in kept and "t0ken-9f8e7d" not in kept and "REDACTED" in kept
