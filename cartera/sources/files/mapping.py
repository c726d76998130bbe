"""The mapping file (YAML) that tells cartera how to read one kind of export.

Everything is optional: what the mapping does not say is detected, and what detection cannot
settle (a column of dates like 03/04/2025 only) is an error that asks for the mapping, never a
guess. Example::

    columns:                  # our field: the file's header
      invoice_number: Folio
      customer_id: RFC
      issue_date: Fecha
      due_date: Vence
      amount: Importe
      paid_date: Fecha de pago
    date_format: dd/mm/yyyy   # or mm/dd/yyyy, yyyy-mm-dd
    decimal: ","              # decimal separator of the amounts
    currency: MXN             # when the file has no currency column (or `--currency MXN`)
    country: MX               # customers' country when the file has no country column (or `--country MX`)
    invoice_numbers: normalised  # or `exact`: see invoice_keys.py
    encoding: latin-1         # default: UTF-8, else Windows-1252 / Latin-1
    delimiter: ";"            # default: sniffed
    sheet: Cartera            # Excel: the sheet (default: the first)
    source: contpaqi-export   # name of the source in raw.* (default: file)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cartera.errors import BadInputError
from cartera.sources.files.header_synonyms import SYNONYMS

DATE_FORMATS = {"dd/mm/yyyy": "dmy", "mm/dd/yyyy": "mdy", "yyyy-mm-dd": "ymd", "dmy": "dmy", "mdy": "mdy", "ymd": "ymd"}


class FileMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str] = Field(default_factory=dict)
    date_format: str | None = None
    decimal: Literal[",", "."] | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}$")
    encoding: str | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    sheet: str | int | None = None
    source: str = Field(default="file", pattern=r"^[A-Za-z0-9_.:-]+$")
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    invoice_numbers: Literal["normalised", "exact"] = "normalised"

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(columns) - set(SYNONYMS))
        if unknown:
            raise ValueError(f"unknown fields {unknown}; known: {', '.join(SYNONYMS)}")
        return columns

    @field_validator("date_format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in DATE_FORMATS:
            raise ValueError(f"date_format must be one of {sorted(set(DATE_FORMATS))}")
        return None if value is None else DATE_FORMATS[value.lower()]


def with_options(mapping: FileMapping, *, currency: str | None = None, country: str | None = None) -> FileMapping:
    """`mapping` with the command line's `--currency` / `--country` (they win over the mapping's
    own `currency:` / `country:`); BadInputError naming the option for a value that is not a code."""
    updates = {"currency": currency, "country": country}
    updates = {key: value.strip() for key, value in updates.items() if value is not None}
    if not updates:
        return mapping
    try:
        return FileMapping.model_validate({**mapping.model_dump(), **updates})
    except ValidationError as exc:
        first = exc.errors()[0]
        option = str(first["loc"][0])
        expected = "a three-letter code such as MXN" if option == "currency" else "a two-letter code such as MX"
        raise BadInputError(f"--{option} expects {expected}", field=option) from exc


def load_mapping(path: Path | str | None) -> FileMapping:
    """The mapping in `path` (a YAML file), or an empty one; BadInputError naming the file and field."""
    if path is None:
        return FileMapping()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BadInputError(f"cannot read the mapping: {exc}", file=path.name) from exc
    try:
        return FileMapping.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInputError(f"invalid mapping: {first['msg']}", file=path.name, field=where) from exc
