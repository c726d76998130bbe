"""A demo creditor for the rendering tests (a module with a unique name, imported by the tests here)."""

from __future__ import annotations

from cartera.campaigns.creditor import Creditor

CREDITOR = Creditor(
    legal_name="Distribuidora Ejemplo S.A. de C.V.",
    short_name="Distribuidora Ejemplo",
    rfc="DEJ200101AA0",
    bank_name="Banco Ejemplo (demo)",
    clabe="002180000000000009",
    contact_name="Mesa de Cobranza",
    contact_phone="55 0000 0000",
    contact_hours_es="lunes a viernes de 9:00 a 18:00",
    contact_hours_en="Monday to Friday, 9:00 to 18:00",
    disputes_email="aclaraciones@example.com",
    une_phone="55 0000 0001",
    une_email="une@example.com",
)
