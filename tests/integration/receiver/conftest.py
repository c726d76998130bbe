"""Fixtures of the receiver tests: the receiver app (FastAPI TestClient, a fixed clock) on a
fresh warehouse seeded by receiver_hooks (a module with a unique name, imported by the tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from receiver_hooks import NOW, Hooks, TestClient, make_settings, seed

from cartera.channels.fake_events import EventSigningKey
from cartera.receiver.app import create_app


@pytest.fixture(scope="session")
def signing_key() -> EventSigningKey:
    return EventSigningKey()


@pytest.fixture
def hooks(fresh_db: str, signing_key: EventSigningKey) -> Iterator[Hooks]:
    outbox_ids = seed(fresh_db)
    clock = [NOW]
    app = create_app(make_settings(fresh_db, signing_key), clock=lambda: clock[0])
    with TestClient(app) as client:
        yield Hooks(client, fresh_db, signing_key, outbox_ids, clock)
