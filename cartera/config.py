"""One typed settings object for every part of cartera (DAGs, CLI, tests, dbt profile).

Read once through :func:`get_settings`. Values come from ``CARTERA_*`` environment variables
and, when present, the ``.cartera/cartera.env`` file that the local runner writes (the DSN of
the embedded Postgres it started). Secrets (a SendGrid key, a database password) come only from
the environment or an Airflow connection, never from the repository.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    erp_extract_overlap: dt.timedelta = Field(
        default=dt.timedelta(days=1),
        ge=dt.timedelta(0),
        description=(
            "How far before its watermark each ERP extract re-reads (ISO 8601 such as PT6H or P1D, or HH:MM:SS): a "
            "row whose transaction commits later than this after its write_date could be missed (cartera/sources/README.md)."
        ),
    )
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
    # Batch approval (cartera/campaigns/approval.py): what waits for an admin before it is sent.
    approval_new_versions: bool = Field(
        default=True, description="The first batch of a new playbook or rule-pack version waits for approval."
    )
    approval_max_messages: int = Field(default=1000, ge=1, description="A batch with more messages waits.")
    approval_max_amount_mxn: float = Field(
        default=50_000_000,
        gt=0,
        description=(
            "A batch naming more than this (MXN, open amounts) waits. Statements name a customer's whole "
            "balance, so size it to a day's usual total (the demo book names about 22 million a day)."
        ),
    )
    # Dispatch safety (cartera/campaigns/dispatch.py, docs/reliability.md).
    simulated_clock: bool = Field(
        default=False,
        description=(
            "Demo and end-to-end runs only: the dispatch's clock starts at the run's logical instant and "
            "advances in real time, so a past business day can be replayed. Refused unless every provider "
            "is a local fake; production always checks the law at the real instant."
        ),
    )
    provider_timeout_seconds: float = Field(
        default=30.0, gt=0, le=300, description="HTTP time-out of one provider request (no retry inside a send)."
    )
    dispatch_lease_seconds: int = Field(
        default=300, ge=30, le=86_400, description="How long a claimed row may stay 'sending' before it is reclaimed."
    )
    reconcile_window_minutes: int = Field(
        default=60,
        ge=1,
        le=10_080,
        description="How long an 'unknown' send is looked for at the provider before it is held for review.",
    )
    circuit_failure_threshold: int = Field(
        default=5, ge=1, le=1000, description="Consecutive provider failures that open its circuit."
    )
    circuit_cooldown_seconds: int = Field(default=300, ge=1, le=86_400, description="How long an open circuit waits.")
    import_dir: Path | None = Field(
        default=None,
        description="Drop folder of invoice exports for the ingest_files DAG (default: <state_dir>/imports).",
    )
    policy_creditor_file: Path | None = Field(
        default=None,
        description="YAML of the creditor's own contact settings (may only tighten the country's rule pack).",
    )
    # The creditor as its reminders name it (cartera/campaigns/creditor.py): legal name is
    # company_name. Defaults are a clearly fake demo creditor (valid formats, no real account).
    creditor_rfc: str = Field(default="DEJ200101AA0", description="The creditor's RFC, printed on every statement.")
    creditor_bank_name: str = Field(default="Banco Ejemplo (demo)", description="Bank that receives the payments.")
    creditor_clabe: str = Field(
        default="002180000000000009", description="CLABE for SPEI transfers: 18 digits, the last one a check digit."
    )
    creditor_contact_name: str = Field(default="Mesa de Cobranza (demo)", description="Whom debtors call.")
    creditor_contact_phone: str = Field(default="55 0000 0000", description="The collections desk's phone.")
    creditor_contact_hours_es: str = Field(default="lunes a viernes de 9:00 a 18:00, hora del centro")
    creditor_contact_hours_en: str = Field(default="Monday to Friday, 9:00 to 18:00 Mexico City time")
    creditor_disputes_email: str = Field(
        default="aclaraciones@example.com", description="Where a debtor disputes a charge (an invoice, its CFDI)."
    )
    finance_alerts_email: str | None = Field(
        default=None, description="Finance's inbox for high-severity anomaly alerts (None: none e-mailed)."
    )
    creditor_short_name: str | None = Field(
        default=None, description="Name in SMS and WhatsApp (≤ 30 characters); None: company_name without S.A. de C.V."
    )
    # The creditor's complaints unit (Unidad Especializada de Atención a Usuarios, UNE): CONDUSEF
    # requires its contact in every collection message in Mexico (rule MX-CONDUSEF-2014/une_contact).
    creditor_une_phone: str = Field(
        default="55 0000 0001", description="Phone of the creditor's complaints unit (UNE), printed on every message."
    )
    creditor_une_email: str = Field(
        default="une@example.com", description="E-mail of the complaints unit (UNE), printed on every message."
    )
    # SMS and WhatsApp through Twilio (cartera/channels/twilio_messaging.py, docs/channels.md).
    twilio_account_sid: str | None = Field(default=None, description="Twilio Account SID (AC…).")
    twilio_auth_token: SecretStr | None = Field(
        default=None, description="Twilio auth token; also the key that signs its webhooks."
    )
    twilio_sms_from: str | None = Field(default=None, description="SMS sender: a Twilio number in E.164.")
    twilio_whatsapp_from: str | None = Field(
        default=None, description="WhatsApp sender in E.164 (the whatsapp: prefix is added)."
    )
    twilio_base_url: str | None = Field(
        default=None, description="Base URL of the Twilio REST API; a local fake server in demo and tests."
    )
    twilio_status_callback_base: str | None = Field(
        default=None,
        description="Public base URL of our webhook receiver; /twilio/status is appended. None: no status callbacks.",
    )
    sms_max_segments: int = Field(
        default=4, ge=1, le=10, description="Longest SMS sent, in segments; a longer text is refused."
    )
    whatsapp_templates_file: Path | None = Field(
        default=None,
        description="YAML mapping our WhatsApp template names and languages to approved Twilio Content SIDs.",
    )
    # The webhook receiver (cartera/receiver, docs/receiver.md). Twilio signs with twilio_auth_token
    # over the URL it called: twilio_status_callback_base + /twilio/status or /twilio/inbound.
    sendgrid_webhook_public_key: str | None = Field(
        default=None, description="The Signed Event Webhook's verification key (base64 DER, as SendGrid shows it)."
    )
    sendgrid_inbound_secret: SecretStr | None = Field(
        default=None, description="The secret path segment of the Inbound Parse URL (/sendgrid/inbound/<secret>)."
    )
    receiver_replay_tolerance_seconds: int = Field(
        default=600, ge=30, le=86_400, description="A signed event older (or further ahead) than this is refused."
    )
    receiver_max_body_bytes: int = Field(
        default=5_000_000, ge=10_000, le=50_000_000, description="Larger webhook bodies are refused with 413."
    )
    # Which strategy the campaigns DAG builds with (cartera/learning/scheduled.py, docs/learning.md).
    strategy: Literal["roster", "fixed", "learned"] = Field(
        default="roster",
        description=(
            "roster: what people decided (`cartera strategy`): the fixed playbook until someone starts the "
            "learned strategy as a challenger or promotes it. fixed: the playbook for everyone, whatever was "
            "decided. learned: the learner chooses channel, hour and tone (and the preventive plan applies) "
            "for every customer outside the control group, learning first from every message whose "
            "attribution window has closed."
        ),
    )
    # How a newly trained model becomes the champion (ml/registry.py, ml/promotion.py).
    model_promotion: Literal["approval", "auto"] = Field(
        default="approval",
        description=(
            "approval: the first model is champion by itself; every later one is a challenger until a "
            "named person promotes it (`cartera model promote`), which needs its AUC gain over the champion "
            "on the same held-out rows to clear a stated minimum over its whole 95 % interval. auto: the "
            "older rule for demos, a new model whose AUC on the same rows is at least the champion's takes over."
        ),
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
