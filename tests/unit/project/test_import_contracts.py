"""The package boundaries in pyproject.toml ([tool.importlinter]) hold, and they bite: a copy of
the tree with one forbidden import fails `lint-imports`, naming the contract it breaks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cartera.config import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _copy_tree(target: Path) -> None:
    for package in ("cartera", "ml", "expectations"):
        shutil.copytree(
            REPO_ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.j2")
        )
    shutil.copy(REPO_ROOT / "pyproject.toml", target / "pyproject.toml")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    _copy_tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("ml/_probe.py", "import cartera.campaigns.dispatch", "ml and expectations depend only on the kernel"),
        ("cartera/policy/_probe.py", "import cartera.campaigns.outbox", "the contact policy engine is pure"),
        ("cartera/channels/_probe.py", "from cartera.policy import engine", "channels speak to providers"),
        ("cartera/campaigns/_probe.py", "import cartera.tasks", "nothing below the entry points"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, forbidden: str, contract: str) -> None:
    _copy_tree(tmp_path)
    (tmp_path / module).write_text(f'"""A probe."""\n\n{forbidden}\n', encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if "BROKEN" in line or contract in line]
    assert any(contract in line for line in broken), result.stdout[-2000:]
