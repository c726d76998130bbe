"""The `ingest_files` DAG's source: every export dropped in a folder, imported once.

Files are taken in name order; each may come with its mapping beside it (``<name>.mapping.yml``),
else the folder's ``mapping.yml``, else detection alone. A file whose content was imported before
is skipped by the importer (sha256), so the folder can keep its history. A file that cannot be
read, or whose gate fails, does not stop the others; the run fails at the end naming them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cartera.errors import BadInputError, QualityGateFailedError
from cartera.logs import get_logger
from cartera.sources.files.importer import import_file

log = get_logger(__name__)
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


def mapping_for(path: Path) -> Path | None:
    for candidate in (path.with_name(f"{path.stem}.mapping.yml"), path.parent / "mapping.yml"):
        if candidate.exists():
            return candidate
    return None


def import_drop_folder(dsn: str, folder: Path, *, imported_at: dt.datetime) -> list[dict[str, Any]]:
    """Import every export in `folder`; returns one summary per file (counts and ids only)."""
    if not folder.is_dir():
        raise BadInputError(f"the import folder {folder} does not exist: create it or set CARTERA_IMPORT_DIR")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    results: list[dict[str, Any]] = []
    failed: dict[str, int] = {}
    for path in files:
        try:
            summary = import_file(dsn, path, mapping_for(path), imported_at=imported_at)
        except (BadInputError, QualityGateFailedError) as exc:
            log.error("import %s failed: %s", path.name, exc)
            failed[path.name] = 1
            results.append({"file": path.name, "error": str(exc)})
            continue
        results.append(summary.as_dict())
    log.info("drop folder %s: %d files, %d failed", folder, len(files), len(failed))
    if failed:
        raise QualityGateFailedError("import folder", failed)
    return results
