"""Writing a benchmark's section into docs/benchmarks.md, leaving the other sections as they are."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def write_section(path: Path, heading: str, section: str) -> None:
    """Replace the section that starts with `heading` in `path` (or append it), keeping one blank
    line between sections."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = section.rstrip("\n") + "\n"
    if heading in text:
        before, _, rest = text.partition(heading)
        following = rest.find("\n## ")
        after = "\n" + rest[following + 1 :] if following >= 0 else ""
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def machine() -> dict[str, str]:
    """uname -a, nproc and the Python version, for the record."""
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False).stdout.strip()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "uname": uname or platform.platform(),
        "nproc": str(os.cpu_count()),
        "python": sys.version.split()[0],
        "load": load,
    }
