"""The late-payment model: features, labels, training, scoring, the registry and the backtest."""

import os

# XGBoost's OpenMP threads spin while they wait for each other. On a machine whose cores are busy
# with other work (an Airflow worker beside Postgres and dbt), a spinning thread holds a core its
# partner needs: a 275-round fit on 100k rows took 23-29 s with two spinning threads against 3-4 s
# with one, and 2-4 s with two threads that sleep while they wait (2 cores, load ~8). libgomp reads
# the policy once, when XGBoost's library loads (lazily, inside ml's functions), so it is set on
# importing ml unless the environment already chose one.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
