"""The finance and data-health dashboard served inside Airflow (see plugins/cartera_plugin.py)."""
