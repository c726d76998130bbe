"""`python -m bench` (what `make bench` runs): every benchmark, results with the machine written
into docs/benchmarks.md. Each figure is a ratio against a baseline measured in the same run."""

from __future__ import annotations

from bench import dispatch, import_file, ingest, learning_strategy, policy_engine, scale
from cartera.config import REPO_ROOT


def main() -> None:
    target = REPO_ROOT / "docs" / "benchmarks.md"
    policy_engine.main(["--markdown", str(target)])
    ingest.main(["--markdown", str(target)])
    import_file.main(["--markdown", str(target)])
    learning_strategy.main(["--markdown", str(target)])
    dispatch.main(["--markdown", str(target), "--json", str(REPO_ROOT / "docs" / "benchmarks.json")])
    # The pipeline at 1M invoices (25,000 customers × 24 months); the book is generated once into
    # its own database and reused by later runs.
    scale.main(["--markdown", str(target), "--json", str(REPO_ROOT / "docs" / "benchmarks.json")])


if __name__ == "__main__":
    main()
