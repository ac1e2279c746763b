"""`make replicas N=4`: N app processes on 127.0.0.1 and nginx in front of them, on this machine.

    python -m bench.replicas --replicas 4 --port 8080 --db data/scorecard.duckdb \\
        --secrets .streamlit/secrets.toml

Each replica is ``streamlit run app.py`` on its own port (8601, 8602, ... by default), hosted (an
``[auth]`` section is required: behind a proxy the app never serves data without a login) and
reading the same database. nginx (Debian's package) listens on 127.0.0.1:PORT with the project's
configuration (``deploy/scorecard-http.conf`` and ``deploy/scorecard-proxy.conf``, the same files
``deploy/nginx.conf`` includes for a real server): sticky sessions by a cookie, websocket upgrade,
long read timeouts. Its pid file, logs and temporary folders are in the run folder (default
``data/replicas/``), so it needs no root and touches nothing of a system nginx. Ctrl-C stops all.

One writer: only the first replica watches the inbox folder (``scorecard/inbox.py``); the others
are started with ``SCORECARD_INBOX_WATCH=false``. Loads otherwise come from ``scorecard ingest`` or
the Upload page, one at a time (the store's writer lock orders them).

The load test (``bench/loadtest.py``) and the browser test of the proxy use :func:`start_replicas`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = "/usr/sbin/nginx"
DEFAULT_RUN_DIR = ROOT / "data" / "replicas"
FIRST_APP_PORT = 8601


class ReplicasError(RuntimeError):
    pass


@dataclass
class Replicas:
    url: str
    """The proxy's public address on this machine (what ``redirect_uri`` names)."""
    app_urls: list[str]
    """Each replica's own address, behind the proxy (for warming caches or looking at one)."""
    run_dir: Path
    apps: list[subprocess.Popen[bytes]] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """Stop nginx first (no new requests), then every replica; each by its own process id."""
        processes = ([self.nginx] if self.nginx is not None else []) + list(self.apps)
        for process in processes:
            if process.poll() is None:
                process.terminate()  # nginx: fast shutdown; streamlit: stops its server
        deadline = time.monotonic() + 15
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quote(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def nginx_config(app_ports: Sequence[int], port: int, run_dir: Path, *, as_root: bool | None = None) -> str:
    """The nginx configuration of a local run: the project's two include files, an upstream of
    ``app_ports`` hashed on the routing cookie, and everything nginx writes kept in ``run_dir``."""
    if as_root is None:
        as_root = os.geteuid() == 0
    tmp = run_dir / "tmp"
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;" for p in app_ports)
    # Started by root (CI), nginx's workers drop to an unprivileged user; they then could not write
    # in a private folder, so responses and uploads are streamed, never spooled to temporary files.
    user = "user nobody nogroup;\n" if as_root else ""
    return f"""# Written by bench/replicas.py for a local run; deploy/nginx.conf is the template for a server.
daemon off;
worker_processes 1;
{user}pid {_quote(run_dir / "nginx.pid")};
error_log {_quote(run_dir / "nginx-error.log")} warn;

events {{
    worker_connections 2048;
}}

http {{
    log_format replicas '$remote_addr [$time_local] "$request" $status $body_bytes_sent'
                        ' replica=$upstream_addr route=$scorecard_route seconds=$request_time';
    access_log {_quote(run_dir / "nginx-access.log")} replicas;
    client_body_temp_path {_quote(tmp / "body")};
    proxy_temp_path {_quote(tmp / "proxy")};
    fastcgi_temp_path {_quote(tmp / "fastcgi")};
    uwsgi_temp_path {_quote(tmp / "uwsgi")};
    scgi_temp_path {_quote(tmp / "scgi")};
    proxy_max_temp_file_size 0;

    include {_quote(DEPLOY / "scorecard-http.conf")};

    upstream scorecard {{
        hash $scorecard_route consistent;
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};
        server_name localhost;

        location / {{
            include {_quote(DEPLOY / "scorecard-proxy.conf")};
            # which replica answered: the load test and the proxy's test read it
            add_header X-Scorecard-Replica $upstream_addr;
        }}
    }}
}}
"""


def check_secrets(secrets: Path, public_url: str) -> None:
    """The replicas need an ``[auth]`` section whose ``redirect_uri`` is the proxy's address."""
    if not secrets.is_file():
        raise ReplicasError(f"{secrets} does not exist: copy .streamlit/secrets.toml.example and fill in the"
                            " [auth] section (docs/hosting.md)")
    with secrets.open("rb") as fh:
        auth = tomllib.load(fh).get("auth")
    if not isinstance(auth, dict):
        raise ReplicasError(f"{secrets} has no [auth] section: behind a proxy the app shows nothing without a"
                            " login (docs/hosting.md)")
    redirect = str(auth.get("redirect_uri", ""))
    want, got = urlsplit(public_url), urlsplit(redirect)
    if (got.scheme, got.netloc) != (want.scheme, want.netloc) or got.path.rstrip("/") != "/oauth2callback":
        raise ReplicasError(f"redirect_uri in {secrets} is {redirect!r}: behind the proxy it must be"
                            f" {public_url}/oauth2callback (the proxy's address, not a replica's)")


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path, deadline: float, what: str) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise ReplicasError(f"{what} did not start ({url}); its log ends:\n{tail}")


def start_app(port: int, *, db: Path, secrets: Path, log: Path, watch_inbox: bool = True,
              env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """One hosted app process (``streamlit run app.py``) on 127.0.0.1:``port``, never without a login
    (``SCORECARD_HOSTED=1``); its output goes to ``log``. Returns at once (see :func:`wait_until_serving`)."""
    app_env = {**os.environ, **(env or {}), "SCORECARD_DB": str(Path(db).resolve()), "SCORECARD_HOSTED": "1"}
    if not watch_inbox:
        app_env["SCORECARD_INBOX_WATCH"] = "false"
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--secrets.files", str(Path(secrets).resolve())],
        cwd=ROOT, env=app_env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def start_replicas(count: int, *, db: Path, secrets: Path, run_dir: Path = DEFAULT_RUN_DIR, port: int = 8080,
                   app_ports: Sequence[int] | None = None, host: str = "127.0.0.1",
                   env: Mapping[str, str] | None = None, timeout: float = 180) -> Replicas:
    """Start ``count`` replicas against ``db`` and nginx on ``host:port`` in front of them; return
    once the proxy answers for every replica. On a failure everything started is stopped."""
    if not 1 <= count <= 16:
        raise ReplicasError("between 1 and 16 replicas (two cores serve about two)")
    if not Path(NGINX).exists():
        raise ReplicasError(f"{NGINX} is missing: apt-get install nginx")
    ports = list(app_ports) if app_ports is not None else [FIRST_APP_PORT + i for i in range(count)]
    if len(ports) != count:
        raise ReplicasError("one port per replica")
    public_url = f"http://{host}:{port}"
    check_secrets(secrets, public_url)
    run_dir = run_dir.resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(run_dir / "tmp", ignore_errors=True)
    (run_dir / "tmp").mkdir()
    replicas = Replicas(public_url, [f"http://127.0.0.1:{p}" for p in ports], run_dir)
    deadline = time.monotonic() + timeout
    try:
        for index, app_port in enumerate(ports):
            # one inbox watcher (one writer): the first replica
            replicas.apps.append(start_app(app_port, db=db, secrets=secrets, log=run_dir / f"replica-{app_port}.log",
                                           watch_inbox=index == 0, env=env))
        for app_url, app_port, process in zip(replicas.app_urls, ports, replicas.apps, strict=True):
            wait_until_serving(f"{app_url}/_stcore/health", process, run_dir / f"replica-{app_port}.log",
                                deadline, f"the replica on port {app_port}")
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config(ports, port, run_dir), encoding="utf-8")
        nginx_log = run_dir / "nginx-error.log"
        replicas.nginx = subprocess.Popen(
            [NGINX, "-p", str(run_dir), "-c", str(conf), "-e", str(nginx_log)],
            stdout=(run_dir / "nginx.out").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_serving(f"{public_url}/_stcore/health", replicas.nginx, nginx_log, deadline, "nginx")
    except BaseException:
        replicas.stop()
        raise
    return replicas


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", "-n", type=int, default=2, help="how many app processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the proxy's port on 127.0.0.1 (default 8080)")
    parser.add_argument("--first-app-port", type=int, default=FIRST_APP_PORT,
                        help=f"the first replica's port; the others follow (default {FIRST_APP_PORT})")
    parser.add_argument("--db", type=Path,
                        default=Path(os.environ.get("SCORECARD_DB", ROOT / "data" / "scorecard.duckdb")))
    parser.add_argument("--secrets", type=Path, default=ROOT / ".streamlit" / "secrets.toml",
                        help="a secrets.toml with an [auth] section whose redirect_uri is the proxy's address")
    parser.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR,
                        help="nginx's configuration, pid, logs and temporary files, and the replicas' logs")
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(f"{args.db} does not exist: load data first (make demo, or scorecard ingest)", file=sys.stderr)
        return 2
    try:
        replicas = start_replicas(args.replicas, db=args.db, secrets=args.secrets, run_dir=args.run_dir,
                                  port=args.port,
                                  app_ports=[args.first_app_port + i for i in range(args.replicas)])
    except ReplicasError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{args.replicas} replicas behind nginx: open {replicas.url}", flush=True)
    for app_url in replicas.app_urls:
        print(f"  replica {app_url}", flush=True)
    print(f"logs, pid and nginx.conf in {replicas.run_dir}; Ctrl-C stops everything", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background, where SIGINT is ignored
    try:
        while True:
            time.sleep(1)
            gone = [p for p in [replicas.nginx, *replicas.apps] if p is not None and p.poll() is not None]
            if gone:
                print(f"a process stopped by itself (exit {gone[0].returncode}): see the logs in"
                      f" {replicas.run_dir}", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        print("stopping", flush=True)
        return 0
    finally:
        replicas.stop()


if __name__ == "__main__":
    sys.exit(main())
