"""Where commands may write their --out files, and writing them whole or not at all."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.settings import Settings
from transforms.errors import SitrepError

# Folders of SITREP_HOME that hold sitrep's own data (reports/ is where reports go).
HOME_INTERNALS = ("raw", "lake", "quarantine", "prefect", "gx_docs", "tmp")


class OutputPathError(SitrepError, ValueError):
    """An --out path that would land inside SITREP_HOME, replace a file, or cannot be written."""


def protected_folders(settings: Settings) -> list[Path]:
    """SITREP_HOME and any local lake or quarantine folder, resolved (symlinks, `..`)."""
    folders = [settings.home]
    for url in (settings.lake_url, settings.quarantine_url):
        if url and ("://" not in url or url.startswith("file://")):
            folders.append(Path(url.removeprefix("file://")))
    return [folder.resolve() for folder in folders]


def checked_file(path: Path, settings: Settings, force: bool) -> Path:
    """Where an --out file lands (symlinks and `..` resolved), once it is allowed there."""
    real = path.resolve()
    for folder in protected_folders(settings):
        if real.is_relative_to(folder):
            raise OutputPathError(
                f"--out {path} resolves to {real}, inside {folder} (SITREP_HOME, the lake or "
                "quarantine): write it elsewhere"
            )
    if real.is_dir():
        raise OutputPathError(f"--out {path} is a folder: give a file name")
    if real.exists() and not force:
        raise OutputPathError(f"--out {path} exists: add --force to replace it")
    if not real.parent.is_dir():
        raise OutputPathError(f"--out {path}: no folder {real.parent}")
    return real


def checked_report_folder(path: Path, settings: Settings) -> Path:
    """Where `sitrep report --out` writes: a folder of its own, not SITREP_HOME or its internals.

    SITREP_HOME itself and its raw/, lake/, quarantine/, prefect/, gx_docs/ and tmp/ (and a
    local lake or quarantine elsewhere) are refused; reports/ (the default), any other folder
    inside SITREP_HOME and any folder outside it are allowed.
    """
    real = path.resolve()
    home = settings.home.resolve()
    internal = [home / name for name in HOME_INTERNALS] + protected_folders(settings)[1:]
    if real == home or any(real.is_relative_to(folder) for folder in internal):
        raise OutputPathError(
            f"--out {path} resolves to {real}, SITREP_HOME or a folder sitrep keeps its data in: "
            f"a report goes to {settings.reports_dir.resolve()} (the default) or another folder"
        )
    if real.exists() and not real.is_dir():
        raise OutputPathError(f"--out {path} is a file: give a folder")
    return real


@contextmanager
def written_whole(target: Path, force: bool) -> Iterator[Path]:
    """A temporary file beside `target`, renamed onto it when the block ends without error.

    A reader never sees half a file and a failure leaves any earlier file as it was. Without
    `force` the rename never replaces a file, even one created while the block ran.
    """
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise OutputPathError(f"--out {target}: {exc.strerror or exc}") from None
    try:
        yield tmp
        _publish(tmp, target, force)
    finally:
        tmp.unlink(missing_ok=True)


def _publish(tmp: Path, target: Path, force: bool) -> None:
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails when target exists: no replacing without --force
    except FileExistsError:
        raise OutputPathError(f"--out {target} exists: add --force to replace it") from None
    except OSError:  # a file system without hard links: check, then rename
        if target.exists():
            raise OutputPathError(f"--out {target} exists: add --force to replace it") from None
        os.replace(tmp, target)
