#!/bin/bash
# First start of the Postgres container: the warehouse database and its owner, beside Airflow's.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
create role cartera login password '${CARTERA_DB_PASSWORD}';
create database cartera owner cartera;
SQL
