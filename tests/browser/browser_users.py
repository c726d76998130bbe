"""The Airflow users of the browser tests, one per dashboard role, with known passwords (written
to SimpleAuthManager's password file). A module with a unique name, imported by the tests here."""

PASSWORDS = {"admin": "admin-pass-0001", "cobranza": "cobranza-pass-0002", "finanzas": "finanzas-pass-0003"}
USERS = "admin:admin,cobranza:user,finanzas:viewer"
