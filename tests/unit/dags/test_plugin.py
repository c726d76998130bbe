"""The Airflow plugin loads through Airflow's own plugin loader and mounts the dashboard and the
webhook receiver."""

from __future__ import annotations

from airflow import plugins_manager

from cartera.config import REPO_ROOT


def test_airflow_loads_the_cartera_plugin_with_its_dashboard_receiver_and_nav_link() -> None:
    # The loader the API server uses for the plugins folder (private in Airflow 3.2; if it moves,
    # this test fails loudly rather than passing without loading anything).
    plugins, import_errors = plugins_manager._load_plugins_from_plugin_directory(
        plugins_folder=str(REPO_ROOT / "plugins")
    )
    assert import_errors == {}
    (plugin,) = [p for p in plugins if p.name == "cartera"]
    apps = {app["url_prefix"]: app["app"] for app in plugin.fastapi_apps}
    assert set(apps) == {"/cartera", "/cartera-hooks"}
    assert "/" in {getattr(route, "path", None) for route in apps["/cartera"].routes}
    hooks = {getattr(route, "path", None) for route in apps["/cartera-hooks"].routes}
    assert {"/sendgrid/events", "/twilio/status", "/twilio/inbound"} <= hooks
    assert plugin.external_views == [
        {"name": "Cartera", "href": "/cartera/", "destination": "nav", "url_route": "cartera"}
    ]
