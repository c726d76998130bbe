"""Where the warehouse and the ERP are: the one resolution of their DSNs.

Order: the environment (``CARTERA_DATABASE_URL`` / ``CARTERA_ERP_DATABASE_URL``, the local runner
and tests), else the Airflow connection (``cartera_warehouse`` / ``cartera_erp``, production),
else a ConfigurationError that says what to set. The ERP falls back to the warehouse database
(the demo keeps its fake ERP in schema ``erp`` there). Resolved per call, never at import.
"""

from __future__ import annotations

from cartera.config import get_settings

WAREHOUSE_CONN_ID = "cartera_warehouse"
ERP_CONN_ID = "cartera_erp"


def airflow_connection_dsn(conn_id: str) -> str | None:
    """The DSN of an Airflow connection, or None outside Airflow / when it is not defined."""
    try:
        from airflow.sdk import Connection

        conn = Connection.get(conn_id)
    except Exception:  # noqa: BLE001 - no Airflow context or no such connection: fall back to settings
        return None
    uri = str(conn.get_uri())
    return uri.replace("postgres://", "postgresql://", 1) if uri.startswith("postgres://") else uri


def warehouse_dsn() -> str:
    """The warehouse DSN: CARTERA_DATABASE_URL, else the Airflow connection, else a clear error."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    dsn = airflow_connection_dsn(WAREHOUSE_CONN_ID)
    return dsn or settings.warehouse_dsn  # the latter raises a clear ConfigurationError


def erp_dsn() -> str:
    """The ERP's DSN: CARTERA_ERP_DATABASE_URL, else its Airflow connection, else the warehouse's."""
    settings = get_settings()
    return settings.erp_database_url or airflow_connection_dsn(ERP_CONN_ID) or warehouse_dsn()
