"""One typed settings object for every part of cartera (DAGs, CLI, tests, dbt profile).

Read once through :func:`get_settings`. Values come from ``CARTERA_*`` environment variables
and, when present, the ``.cartera/cartera.env`` file that the local runner writes (the DSN of
the embedded Postgres it started). Secrets (a SendGrid key, a database password) come only from
the environment or an Airflow connection, never from the repository.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_state_dir() -> Path:
    return REPO_ROOT / ".cartera"


class Settings(BaseSettings):
    """Settings of one cartera installation."""

    model_config = SettingsConfigDict(
        env_prefix="CARTERA_",
        env_file=(str(_default_state_dir() / "cartera.env"),),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str | None = Field(
        default=None,
        description="Warehouse DSN (postgresql://user:pass@host:port/db). None: the local runner's embedded Postgres.",
    )
    erp_database_url: str | None = Field(
        default=None, description="DSN of the ERP source database. None: the warehouse database (schema `erp`)."
    )
    erp_schema: str = Field(default="erp", description="Schema that holds the ERP's tables.")
    state_dir: Path = Field(
        default_factory=_default_state_dir, description="Local state: embedded Postgres, outbox files."
    )
    dbt_project_dir: Path = Field(default=REPO_ROOT / "dbt_project")
    playbook_path: Path = Field(default=REPO_ROOT / "cartera" / "campaigns" / "playbook.yml")
    sendgrid_api_key: SecretStr | None = Field(default=None, description="A real key sends for real.")
    sendgrid_host: str | None = Field(
        default=None, description="Base URL of the SendGrid API; a local fake server in demo and tests."
    )
    from_email: str = Field(default="cobranza@example.com")
    from_name: str = Field(default="Cobranza")
    company_name: str = Field(default="Distribuidora Ejemplo S.A. de C.V.")
    email_batch_size: int = Field(default=100, ge=1, le=1000)
    import_dir: Path | None = Field(
        default=None,
        description="Drop folder of invoice exports for the ingest_files DAG (default: <state_dir>/imports).",
    )
    policy_creditor_file: Path | None = Field(
        default=None,
        description="YAML of the creditor's own contact settings (may only tighten the country's rule pack).",
    )

    @property
    def warehouse_dsn(self) -> str:
        if not self.database_url:
            from cartera.errors import ConfigurationError

            raise ConfigurationError(
                "No warehouse database is configured: set CARTERA_DATABASE_URL, or run `make demo` "
                "(or `cartera local-db start`) to start the embedded Postgres."
            )
        return self.database_url

    @property
    def erp_dsn(self) -> str:
        return self.erp_database_url or self.warehouse_dsn


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read once per process."""
    return Settings()
