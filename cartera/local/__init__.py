"""The local runner: the embedded Postgres (`postgres`), the environment every tool gets from one DSN
(`env`), and the CeleryExecutor stack on one machine without Docker (`celery_stack`). Used by `make demo`,
`make up`, the tests and the benchmarks; never by the DAGs."""
