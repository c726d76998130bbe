"""The `ingest_files` DAG's source: every export dropped in a folder, imported once.

Files are taken in name order; each may come with its mapping beside it (``<name>.mapping.yml``),
else the folder's ``mapping.yml``, else detection alone. A file whose content was imported before
is skipped by the importer (sha256), so the folder can keep its history. A file that cannot be
read, or whose gate fails, or that fails unexpectedly, is recorded with its reason and does not
stop the others; the run fails at the end naming them. Only regular files directly in the folder
are read (no links, no subfolders); names are logged printable (a newline cannot forge a line).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import psycopg

from cartera.errors import BadInputError, QualityGateFailedError
from cartera.logs import get_logger
from cartera.sources.files.importer import import_file, record_rejected_file
from cartera.sources.files.limits import display_name

log = get_logger(__name__)
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


def mapping_for(path: Path) -> Path | None:
    for candidate in (path.with_name(f"{path.stem}.mapping.yml"), path.parent / "mapping.yml"):
        if _regular_file(candidate):
            return candidate
    return None


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def exports_in(folder: Path) -> tuple[list[Path], dict[str, str]]:
    """The exports to import (regular files directly in `folder`, by name) and, by printable name,
    the entries passed over and why: symbolic links (a link may point anywhere), directories and
    other special files, a file resolving outside the folder, office lock and hidden files."""
    root = folder.resolve()
    exports: list[Path] = []
    passed_over: dict[str, str] = {}
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            path = Path(entry.path)
            if path.suffix.lower() not in SUFFIXES:
                continue
            why = None
            if entry.is_symlink():
                why = "a symbolic link: only regular files directly in the folder are read"
            elif not entry.is_file(follow_symlinks=False):
                why = "not a regular file"
            elif path.resolve().parent != root:
                why = "resolves outside the folder"
            elif entry.name.startswith(("~$", ".")):
                why = "an office lock file or a hidden file"
            if why:
                passed_over[display_name(entry.name)] = why
            else:
                exports.append(path)
    return exports, passed_over


def import_drop_folder(dsn: str, folder: Path, *, imported_at: dt.datetime) -> list[dict[str, Any]]:
    """Import every export in `folder` (see :func:`exports_in`); returns one summary per file
    (counts and ids only). A file refused as a whole, or whose gate fails, or that fails in any
    unexpected way is recorded in ops.file_imports with its reason and does not stop the others;
    the run then fails naming them. Only a warehouse that cannot be reached stops the run at once."""
    if not folder.is_dir():
        raise BadInputError(f"the import folder {folder} does not exist: create it or set CARTERA_IMPORT_DIR")
    files, passed_over = exports_in(folder)
    results: list[dict[str, Any]] = []
    for name, why in passed_over.items():
        log.warning("drop folder: %s passed over: %s", name, why)
        results.append({"file": name, "skipped": why})
    failed: dict[str, int] = {}
    for path in files:
        name = display_name(path.name)
        try:
            summary = import_file(dsn, path, mapping_for(path), imported_at=imported_at)
        except (BadInputError, QualityGateFailedError) as exc:
            log.error("import %s failed: %s", name, exc)
            failed[name] = 1
            results.append({"file": name, "error": str(exc)})
            continue
        except psycopg.OperationalError:
            raise  # the warehouse is unreachable: every file would fail the same way
        except Exception as exc:  # noqa: BLE001 - one file's defect must not block the others
            # The message of an unexpected error may quote the file's values: only its kind is kept.
            error = f"unexpected {type(exc).__name__} while importing; nothing was loaded: report it with the file"
            log.error("import %s failed: %s", name, error)
            record_rejected_file(dsn, path, source="file", imported_at=imported_at, error=error)
            failed[name] = 1
            results.append({"file": name, "error": error})
            continue
        results.append(summary.as_dict())
    log.info("drop folder %s: %d files, %d failed, %d passed over", folder, len(files), len(failed), len(passed_over))
    if failed:
        raise QualityGateFailedError("import folder", failed)
    return results
