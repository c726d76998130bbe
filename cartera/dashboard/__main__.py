"""`python -m cartera.dashboard [--host H] [--port P]`: the dashboard alone, behind Airflow's
sign-in all the same. Refuses to start without an auth configuration (cartera.dashboard.auth:
CARTERA_DASHBOARD_AUTH=airflow or jwt)."""

from __future__ import annotations

import argparse
import sys

from cartera.errors import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cartera.dashboard", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args(argv)
    from cartera.dashboard.app import create_app

    try:
        app = create_app()
    except ConfigurationError as exc:
        print(f"cartera dashboard: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port, proxy_headers=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
