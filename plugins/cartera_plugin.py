"""Airflow plugin: cartera's finance and data-health dashboard, served by the API server at
/cartera/ (FastAPI app from cartera.dashboard), and the providers' webhook receiver at
/cartera-hooks/ (cartera.receiver; every request is signature-checked, docs/receiver.md)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from cartera.dashboard.app import create_app
from cartera.receiver.app import create_app as create_receiver_app


class CarteraPlugin(AirflowPlugin):
    name = "cartera"
    fastapi_apps = [
        {"app": create_app(), "url_prefix": "/cartera", "name": "cartera dashboard"},
        {"app": create_receiver_app(), "url_prefix": "/cartera-hooks", "name": "cartera webhook receiver"},
    ]
    external_views = [{"name": "Cartera", "href": "/cartera/", "destination": "nav", "url_route": "cartera"}]
