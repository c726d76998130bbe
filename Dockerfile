# The production image: the official Airflow image plus cartera's locked dependencies and code.
# requirements.txt is exported from uv.lock (closed set), so it installs with --no-deps; it pins
# celery below 5.7, whose removal of celery.backends.database.retry breaks the Celery provider.
ARG AIRFLOW_VERSION=3.2.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

USER airflow
WORKDIR /opt/cartera
COPY --chown=airflow:root requirements.txt ./
RUN pip install --no-cache-dir --no-deps -r requirements.txt

COPY --chown=airflow:root pyproject.toml README.md ./
COPY --chown=airflow:root cartera ./cartera
COPY --chown=airflow:root ml ./ml
COPY --chown=airflow:root expectations ./expectations
RUN pip install --no-cache-dir --no-deps -e .

COPY --chown=airflow:root dbt_project ./dbt_project
COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
# Render the Cosmos task groups from a manifest (no `dbt ls` while parsing DAGs).
RUN cd dbt_project && CARTERA_PGHOST=unused dbt parse --profiles-dir . --target local >/dev/null

# Local state (the import drop folder, outbox files) under AIRFLOW_HOME, which the airflow user
# owns: the default, /opt/cartera/.cartera, sits in a directory WORKDIR created as root.
ENV CARTERA_DBT_PROJECT_DIR=/opt/cartera/dbt_project \
    CARTERA_STATE_DIR=/opt/airflow/cartera \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False
