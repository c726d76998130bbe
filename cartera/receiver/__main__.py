"""Run the webhook receiver alone: ``python -m cartera.receiver --host 127.0.0.1 --port 8031``.
Behind a TLS-terminating reverse proxy in production (docs/receiver.md)."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="cartera's webhook receiver (SendGrid and Twilio callbacks).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8031)
    parser.add_argument("--root-path", default="", help="the path prefix the reverse proxy strips, if any")
    args = parser.parse_args(argv)
    import uvicorn

    # proxy_headers: the scheme and client come from the proxy; Twilio's signature uses the
    # configured public URL, not these.
    uvicorn.run(
        "cartera.receiver.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        proxy_headers=True,
        access_log=False,  # request lines carry the Inbound Parse secret in the path
    )


if __name__ == "__main__":
    main()
