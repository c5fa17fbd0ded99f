"""stockpipe driven by Apache Airflow: ingest, validate, load and the data-quality report.

Every task is one bounded stockpipe command that does the work there is and exits, so no task
runs forever and a retry never starts a second feed:

    stockpipe ingest --once      stage what the source has now (a replay to its end, one round
                                 of Finnhub quotes); a rerun stages nothing twice
    stockpipe validate --drain   staging -> stock_data | bad_stock_data, until no lag is left
    stockpipe load --drain       stock_data and bad_stock_data -> the store, until no lag is left
    stockpipe quality-report     exits 3 when a threshold (quality.* settings) is broken

Each stage commits its position only after its output is durable, so a task killed mid-way and
retried continues where it stopped, and a whole run repeated changes nothing.

stockpipe reads its settings from the environment of the Airflow worker (STOCKPIPE_CONFIG, or
STOCKPIPE_DATA_DIR, STOCKPIPE_LOG, STOCKPIPE_BROKERS, STOCKPIPE_STORE, ...), as it does anywhere.
Set STOCKPIPE_BIN if the binary is not on the worker's PATH, and STOCKPIPE_DAG_SCHEDULE to change
the schedule (a cron expression; default every five minutes).
"""

import os
from datetime import datetime, timedelta

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

STOCKPIPE = os.environ.get("STOCKPIPE_BIN", "stockpipe")

with DAG(
    dag_id="stockpipe",
    description="Bounded stockpipe runs: ingest, validate, load, data-quality report",
    schedule=os.environ.get("STOCKPIPE_DAG_SCHEDULE", "*/5 * * * *"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    # Runs never overlap: the next waits for this one, as the built-in scheduler's jobs do.
    max_active_runs=1,
    default_args={
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(minutes=10),
    },
    tags=["stockpipe"],
) as dag:
    ingest = BashOperator(task_id="ingest", bash_command=f"{STOCKPIPE} ingest --once")
    validate = BashOperator(task_id="validate", bash_command=f"{STOCKPIPE} validate --drain")
    load = BashOperator(task_id="load", bash_command=f"{STOCKPIPE} load --drain")
    # A broken threshold is a finding about the data, not a failure a retry could mend.
    quality = BashOperator(task_id="quality_report", bash_command=f"{STOCKPIPE} quality-report", retries=0)

    ingest >> validate >> load >> quality
