"""The webhook receiver: provider events and replies in, verified and stored once
(:func:`cartera.receiver.app.create_app`; docs/receiver.md)."""

from __future__ import annotations

from cartera.receiver.app import create_app

__all__ = ["create_app"]
