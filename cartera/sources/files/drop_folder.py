"""The `ingest_files` DAG's source: every export dropped in a folder, imported once.

Files are taken in name order; each may come with its mapping beside it (``<name>.mapping.yml``),
else the folder's ``mapping.yml``, else detection alone. A file whose content was imported before
is skipped by the importer (sha256), so the folder can keep its history. A file that cannot be
read, or whose gate fails, or that fails unexpectedly, is recorded with its reason and does not
stop the others; the run fails at the end naming them. A file refused as a whole is refused once:
the same bytes on a later run are passed over ("refused before") instead of failing every run
until someone removes it; a file whose gate failed is tried again (a threshold may have changed). Only regular files directly in the folder
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
from cartera.sources.files.import_records import record_rejected_file
from cartera.sources.files.importer import import_file
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


def _refused_before(dsn: str, files: list[Path]) -> dict[Path, str]:
    """Files whose exact bytes were refused as a whole before, with the reason then given."""
    import hashlib

    digests: dict[str, Path] = {}
    for path in files:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digests[digest.hexdigest()] = path
    if not digests:
        return {}
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        rows = conn.execute(
            "select sha256, error from ops.file_imports where sha256 = any(%s) and error is not null",
            (list(digests),),
        ).fetchall()
    return {digests[str(sha)]: str(error) for sha, error in rows}


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
    refused = _refused_before(dsn, files)
    for path in files:
        name = display_name(path.name)
        if path in refused:
            why = f"refused before, unchanged since: {refused[path]}; fix or remove the file"
            log.warning("drop folder: %s passed over: refused before, unchanged", name)
            results.append({"file": name, "skipped": why[:500]})
            continue
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
