"""Airflow plugin: cartera's web app (finance dashboard, collectors' workspace, batch approval),
served by the API server at /cartera/ behind Airflow's own sign-in (the app validates the UI's
token with Airflow's auth manager: cartera.dashboard.auth), and the providers' webhook receiver at
/cartera-hooks/ (cartera.receiver; every request is signature-checked, docs/receiver.md)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from cartera.dashboard.app import create_app
from cartera.dashboard.auth import AirflowAuthenticator
from cartera.receiver.app import create_app as create_receiver_app


class CarteraPlugin(AirflowPlugin):
    name = "cartera"
    fastapi_apps = [
        {"app": create_app(auth=AirflowAuthenticator()), "url_prefix": "/cartera", "name": "cartera dashboard"},
        {"app": create_receiver_app(), "url_prefix": "/cartera-hooks", "name": "cartera webhook receiver"},
    ]
    external_views = [{"name": "Cartera", "href": "/cartera/", "destination": "nav", "url_route": "cartera"}]
