"""The production engine on one machine, without Docker: Airflow's API server, scheduler, DAG
processor and triggerer, and N Celery workers (Redis as the broker, Postgres for Airflow's
metadata and Celery's results), each its own process with its own log file.

`python -m cartera.local.celery_stack` starts it on fresh databases (a new warehouse and a new Airflow
metadata database on the server of CARTERA_SERVER_URL, default the machine's 127.0.0.1:5432),
prints where to look, and on Ctrl-C stops every process and drops both databases. The
`distributed` tests use `celery_stack()` to run a day of the DAGs on two workers.

What the compose file gives each container for free is set up by hand here, because every
process shares one machine: a worker log server port each (8793 is one per host), a node name
each (`worker1@host`), a hostname per worker for `task_instance.hostname` (the machine's name
would be the same for both), and a Celery queue of this stack's own so two stacks on one Redis
never take each other's tasks.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cartera.logs import get_logger

log = get_logger(__name__)

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
WORKER_HOSTNAME_VAR = "CARTERA_WORKER_HOSTNAME"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0


def worker_hostname() -> str:
    """Airflow's `[core] hostname_callable` for the workers of this runner: the worker's own name
    (`worker1@host`), recorded in `task_instance.hostname`. All the workers share one machine, so
    the machine's name alone would not tell them apart; in the compose stack each container has
    its own hostname and Airflow's default applies."""
    return os.environ.get(WORKER_HOSTNAME_VAR) or socket.getfqdn()


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class CeleryStack:
    """The running processes of one stack and what a client needs to talk to it."""

    env: dict[str, str]
    api_url: str
    log_dir: Path
    queue: str
    broker_url: str
    worker_names: tuple[str, ...]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def airflow_home(self) -> Path:
        return Path(self.env["AIRFLOW_HOME"])

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, name: str, args: list[str], extra_env: Mapping[str, str] | None = None) -> None:
        """Start `airflow <args>` as `name`, in its own process group, output to its log file."""
        exe = str(Path(sys.executable).parent / "airflow")
        with self.log_file(name).open("ab") as out:
            self.processes[name] = subprocess.Popen(
                [exe, *args],
                env={**os.environ, **self.env, **(extra_env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: stop() ends its children (task runners) too
            )

    def check_alive(self) -> None:
        """Raise, naming the log, when a process of the stack has exited."""
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode}; see {self.log_file(name)}")

    def stop(self) -> None:
        """SIGTERM each process group (workers first, the API server last), SIGKILL what is left
        after STOP_TIMEOUT_S, and remove this stack's queue from the broker."""
        for name in reversed(list(self.processes)):
            proc = self.processes[name]
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for name, proc in self.processes.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s: killing its process group", name, STOP_TIMEOUT_S)
            _signal_group(proc, signal.SIGKILL)  # children left behind by a stopped leader, too
            proc.wait(timeout=10)
        _forget_queue(self.broker_url, self.queue)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group id is the leader's pid (start_new_session)
    except (ProcessLookupError, PermissionError):
        pass


def _forget_queue(broker_url: str, queue: str) -> None:
    """Delete the queue's lists and kombu's bindings for it (every key naming this stack's unique
    queue): a failed run leaves no task behind."""
    try:
        import redis

        client = redis.Redis.from_url(broker_url, socket_timeout=5)
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
        client.close()
    except Exception as exc:  # noqa: BLE001 - tidying up; the stack is already stopped
        log.warning("could not remove queue %s from the broker: %s", queue, exc)


def check_broker(broker_url: str) -> None:
    """Raise a clear error when the Redis broker does not answer."""
    import redis

    try:
        redis.Redis.from_url(broker_url, socket_timeout=5).ping()
    except Exception as exc:
        raise RuntimeError(f"the Celery broker at {broker_url} does not answer ({exc}); start Redis") from exc


def celery_env(
    base: Mapping[str, str], *, airflow_db: str, api_port: int, broker_url: str, queue: str
) -> dict[str, str]:
    """What the stack adds to local_env.prepare()'s environment: the CeleryExecutor on `broker_url`
    with Celery's results beside Airflow's metadata, one JWT secret for the API server and the
    workers, and the execution API the workers report to."""
    from cartera.db import sqlalchemy_url

    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join([venv_bin, *(p for p in os.environ.get("PATH", "").split(os.pathsep) if p)])
    return {
        **base,
        # Airflow starts parts of itself as `airflow ...` from PATH: this virtualenv's first.
        "PATH": path,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        # Celery's database backend goes through SQLAlchemy: `db+` and the psycopg 3 dialect.
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sqlalchemy_url(airflow_db),
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT": str(free_port()),
        # Celery redelivers a task still unacknowledged after this long: above the longest task's
        # execution_timeout (training, 2 h), or a slow task would run twice.
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
    }


def _wait_for_api(stack: CeleryStack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{stack.api_url}/api/v2/monitor/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        stack.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the API server did not answer in {timeout:.0f} s; see {stack.log_file('api-server')}")
        time.sleep(1)


def _wait_for_workers(stack: CeleryStack, timeout: float) -> None:
    """Each worker logs `<node name> ready.` once it consumes from the broker."""
    deadline = time.monotonic() + timeout
    waiting = set(stack.worker_names)
    while waiting:
        for name in list(waiting):
            if " ready." in stack.log_file(name).read_text(encoding="utf-8", errors="replace"):
                waiting.discard(name)
        stack.check_alive()
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"workers {sorted(waiting)} not ready in {timeout:.0f} s; see {stack.log_dir}")
        time.sleep(1)


def start_processes(
    env: dict[str, str],
    *,
    airflow_db: str,
    log_dir: Path,
    workers: int = 2,
    concurrency: int = 2,
    broker_url: str = DEFAULT_BROKER_URL,
) -> CeleryStack:
    """Migrate Airflow's metadata and start every process of the stack on `env` (what
    local_env.prepare() returned); returns once the API server answers and every worker is
    ready. On a failure to start, what was started is stopped again."""
    from cartera.local import env as local_env

    check_broker(broker_url)
    log_dir.mkdir(parents=True, exist_ok=True)
    api_port = free_port()
    queue = f"cartera-{uuid.uuid4().hex[:8]}"
    full_env = celery_env(env, airflow_db=airflow_db, api_port=api_port, broker_url=broker_url, queue=queue)
    local_env.airflow(["db", "migrate"], full_env, log_file=log_dir / "airflow-db-migrate.log")
    host = socket.gethostname()
    stack = CeleryStack(
        env=full_env,
        api_url=f"http://127.0.0.1:{api_port}",
        log_dir=log_dir,
        queue=queue,
        broker_url=broker_url,
        worker_names=tuple(f"worker{i}" for i in range(1, workers + 1)),
    )
    try:
        stack.start("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1"])
        _wait_for_api(stack, START_TIMEOUT_S)
        stack.start("scheduler", ["scheduler"])
        stack.start("dag-processor", ["dag-processor"])
        stack.start("triggerer", ["triggerer"])
        for name in stack.worker_names:
            node = f"{name}@{host}"
            stack.start(
                name,
                ["celery", "worker", "--celery-hostname", node, "--concurrency", str(concurrency)]
                + ["--queues", queue, "--pid", str(log_dir / f"{name}.pid")],
                {
                    WORKER_HOSTNAME_VAR: node,
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_hostname",
                    # One log server per worker: the default port 8793 can be bound only once.
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                },
            )
        _wait_for_workers(stack, START_TIMEOUT_S)
    except BaseException:
        stack.stop()
        raise
    return stack


@contextmanager
def celery_stack(
    server_url: str = DEFAULT_SERVER_URL,
    state_dir: Path | None = None,
    *,
    workers: int = 2,
    concurrency: int = 2,
    broker_url: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[CeleryStack]:
    """A whole stack on fresh databases of the server at `server_url`: a warehouse with cartera's
    tables and an empty Airflow metadata database, both dropped on exit, after every process
    stopped. `extra_env` reaches every process (providers' hosts and keys, scheduler settings).
    The broker is `broker_url`, else CARTERA_CELERY_BROKER_URL, else the machine's Redis."""
    import tempfile

    from cartera.config import get_settings
    from cartera.db import scratch_database
    from cartera.local import env as local_env

    state = state_dir or Path(tempfile.mkdtemp(prefix="cartera-celery-"))
    with (
        scratch_database(server_url, "cartera_celery") as warehouse,
        scratch_database(server_url, "cartera_celery_airflow", with_tables=False) as airflow_db,
    ):
        env = _prepared_env(local_env, warehouse, airflow_db, state)
        env.update(extra_env or {})
        get_settings.cache_clear()
        stack = start_processes(
            env,
            airflow_db=airflow_db,
            log_dir=state / "logs",
            workers=workers,
            concurrency=concurrency,
            broker_url=broker_url or os.environ.get("CARTERA_CELERY_BROKER_URL", DEFAULT_BROKER_URL),
        )
        try:
            yield stack
        finally:
            stack.stop()


def _prepared_env(local_env: Any, warehouse: str, airflow_db: str, state: Path) -> dict[str, str]:
    """local_env.prepare() on the given databases (it reads them from the environment)."""
    keys = ("CARTERA_DATABASE_URL", "CARTERA_AIRFLOW_DATABASE_URL")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict(zip(keys, (warehouse, airflow_db), strict=True)))
    try:
        env: dict[str, str] = local_env.prepare(state)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return env


def write_env_file(stack: CeleryStack) -> Path:
    """Write <state>/airflow-celery.env (``export`` lines, mode 0600: it holds this throwaway
    stack's JWT secret) so another shell can run the `airflow` and `celery` CLIs against it."""
    keys = sorted(k for k in stack.env if k.startswith(("AIRFLOW", "CARTERA_")) or k == "PATH")
    path = Path(stack.env["CARTERA_STATE_DIR"]) / "airflow-celery.env"
    path.touch(mode=0o600)
    path.write_text("".join(f"export {k}='{stack.env[k]}'\n" for k in keys), encoding="utf-8")
    return path


def read_passwords(stack: CeleryStack) -> dict[str, str]:
    """The SimpleAuthManager passwords Airflow generated for the local users at its first start."""
    path = stack.airflow_home / "simple_auth_manager_passwords.json.generated"
    passwords: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return passwords


def main(argv: list[str] | None = None) -> None:
    """Start the stack, print where everything is, and keep it up until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m cartera.local.celery_stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (default 2)")
    parser.add_argument("--concurrency", type=int, default=2, help="task slots per worker (default 2)")
    parser.add_argument("--server-url", default=os.environ.get("CARTERA_SERVER_URL", DEFAULT_SERVER_URL))
    parser.add_argument("--broker-url", default=os.environ.get("CARTERA_CELERY_BROKER_URL", DEFAULT_BROKER_URL))
    parser.add_argument("--state-dir", type=Path, default=None, help="logs and AIRFLOW_HOME (default: a temp dir)")
    args = parser.parse_args(argv)

    def _stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        with celery_stack(
            args.server_url,
            args.state_dir,
            workers=args.workers,
            concurrency=args.concurrency,
            broker_url=args.broker_url,
        ) as stack:
            print(f"Airflow API server and UI: {stack.api_url}/ (users {', '.join(read_passwords(stack))})")
            print(f"passwords: {stack.airflow_home / 'simple_auth_manager_passwords.json.generated'}")
            print(f"workers: {', '.join(stack.worker_names)} on queue {stack.queue}; logs in {stack.log_dir}")
            print(f"the airflow CLI in another shell: source {write_env_file(stack)}")
            print("warehouse and metadata databases are dropped on exit; Ctrl-C stops everything")
            while True:
                stack.check_alive()
                time.sleep(5)
    except KeyboardInterrupt:
        print("stopped; databases dropped")


if __name__ == "__main__":
    main()
