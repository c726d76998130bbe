"""Airflow plugin: cartera's finance and data-health dashboard, served by the API server at
/cartera/ (FastAPI app from cartera.dashboard)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from cartera.dashboard.app import create_app


class CarteraPlugin(AirflowPlugin):
    name = "cartera"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/cartera", "name": "cartera dashboard"}]
    external_views = [{"name": "Cartera", "href": "/cartera/", "destination": "nav", "url_route": "cartera"}]
