"""A private TLS MariaDB for the probe tests, plus a silent TCP server and a refused port.

Fixtures:
- `mariadb_server` (session): one real MariaDB 10.11 on a free loopback port, TLS from a
  throwaway `trustme` CA, `require_secure_transport=ON`, user `app` with database `appdb`.
- `mariadb` (function): the same server; globals changed with `set_global` are restored
  after the test.
- `silent_tcp_server` (function): a loopback TCP server that accepts and never speaks.
- `refused_port` (function): a loopback port nothing listens on.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# mariadbd lives in /usr/sbin, which is not on every user's PATH.
_SEARCH_PATH = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"))
_INSTALL_HINT = "apt-get install -y mariadb-server mariadb-client"
_START_TIMEOUT_S = 30.0
# Loopback addresses the server listens on; its certificate names only the first.
_HOST = "127.0.0.1"
_UNNAMED_HOST = "127.0.0.2"
# Small buffers; a 16 MB redo log instead of 96 MB makes mariadb-install-db about 3x faster.
_INNODB_SIZES = ("--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M")


def _tool(name: str) -> str:
    path = shutil.which(name, path=_SEARCH_PATH)
    if path is None:
        pytest.fail(
            f"{name} is not installed, so the MariaDB probe tests cannot run: {_INSTALL_HINT}",
            pytrace=False,
        )
    return path


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((_HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class MariaDB:
    """A running private MariaDB and the ways a test talks to it."""

    host: str
    port: int
    socket: str
    ca_pem: Path
    wrong_ca_pem: Path
    # An address the server listens on that its certificate does not name.
    unnamed_host: str
    user: str
    password: str
    database: str
    datadir: Path
    startup_s: float
    _changed_globals: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # keep the password out of pytest's failure output
        return f"MariaDB({self.host}:{self.port}, socket={self.socket})"

    @property
    def url(self) -> str:
        """The app's verified SQLAlchemy URL (checks the certificate and the host name)."""
        return self.url_for()

    def url_for(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        query: str | None = None,
    ) -> str:
        """A `mysql+pymysql://` URL, by default the app's, with any part replaced."""
        q = f"ssl_ca={self.ca_pem}" if query is None else query
        return (
            f"mysql+pymysql://{user or self.user}:{self.password if password is None else password}"
            f"@{host or self.host}:{port or self.port}/{database or self.database}"
            + (f"?{q}" if q else "")
        )

    def root_sql(self, sql: str, args: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement as root over the Unix socket; the rows it returns."""
        import pymysql

        conn = pymysql.connect(
            unix_socket=self.socket, user="root", connect_timeout=5, read_timeout=30
        )
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                rows = list(cur.fetchall())
            conn.commit()
            return rows
        finally:
            conn.close()

    def create_database(self, prefix: str = "db", *, grant_to: str | None = None) -> str:
        """A fresh, uniquely named database the app user (or `grant_to`) may use."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.root_sql(f"CREATE DATABASE `{name}`")
        self.root_sql(f"GRANT ALL ON `{name}`.* TO '{grant_to or self.user}'@'%'")
        return name

    def drop_database(self, name: str) -> None:
        self.root_sql(f"DROP DATABASE IF EXISTS `{name}`")

    def create_user(self, name: str, password: str, databases: Sequence[str] = ()) -> None:
        """A user that may connect from anywhere, with all rights on `databases` ("*": all)."""
        # `%%` is a literal `%` once PyMySQL interpolates the password argument.
        self.root_sql(f"CREATE USER '{name}'@'%%' IDENTIFIED BY %s", (password,))
        for db in databases:
            scope = "*.*" if db == "*" else f"`{db}`.*"
            self.root_sql(f"GRANT ALL ON {scope} TO '{name}'@'%'")

    def set_global(self, var: str, value: Any) -> None:
        """SET GLOBAL a server variable (restored after the test by the `mariadb` fixture)."""
        if not var.replace("_", "").isalnum():
            raise ValueError(f"not a variable name: {var!r}")
        if var not in self._changed_globals:
            self._changed_globals[var] = self.root_sql(f"SELECT @@GLOBAL.{var}")[0][0]
        self.root_sql(f"SET GLOBAL {var} = %s", (value,))

    def restore_globals(self) -> None:
        for var, value in self._changed_globals.items():
            self.root_sql(f"SET GLOBAL {var} = %s", (value,))
        self._changed_globals.clear()


def _write_tls(d: Path) -> dict[str, Path]:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(_HOST, "localhost")
    wrong_ca = trustme.CA()
    paths = {name: d / f"{name}.pem" for name in ("ca", "cert", "key", "wrong_ca")}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    cert.private_key_pem.write_to_path(str(paths["key"]))
    paths["cert"].write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    wrong_ca.cert_pem.write_to_path(str(paths["wrong_ca"]))
    return paths


def _ping(admin: str, sock: str) -> bool:
    done = subprocess.run(
        [admin, "--no-defaults", f"--socket={sock}", "-uroot", "--connect-timeout=2", "ping"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return done.returncode == 0


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no error log)"


def _stop(admin: str, sock: str, proc: subprocess.Popen[bytes]) -> None:
    """A clean shutdown, waited for on the process itself; kill only if it hangs."""
    if proc.poll() is not None:
        return
    import pymysql

    try:
        # The SQL SHUTDOWN returns at once; `mariadb-admin shutdown` polls its pid file each second.
        conn = pymysql.connect(unix_socket=sock, user="root", connect_timeout=5, read_timeout=10)
        with contextlib.suppress(pymysql.err.MySQLError):
            conn.query("SHUTDOWN")
        with contextlib.suppress(Exception):
            conn.close()
    except pymysql.err.MySQLError:
        subprocess.run(
            [admin, "--no-defaults", f"--socket={sock}", "-uroot", "shutdown"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=20,
            check=False,
        )
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _start(
    mariadbd: str, admin: str, root_flag: list[str], d: Path, sock: str, tls: dict[str, Path]
) -> tuple[subprocess.Popen[bytes], int]:
    """Start mariadbd on a free port and wait until it answers; retry if the port was taken."""
    for attempt in range(3):
        port = free_port()
        log = d / f"error{attempt}.log"
        proc = subprocess.Popen(
            [
                mariadbd,
                "--no-defaults",
                *root_flag,
                f"--datadir={d / 'data'}",
                f"--port={port}",
                f"--bind-address={_HOST},{_UNNAMED_HOST}",
                f"--socket={sock}",
                f"--pid-file={d / 'mysqld.pid'}",
                f"--log-error={log}",
                f"--ssl-ca={tls['ca']}",
                f"--ssl-cert={tls['cert']}",
                f"--ssl-key={tls['key']}",
                "--require-secure-transport=ON",
                "--skip-name-resolve",
                *_INNODB_SIZES,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not _ping(admin, sock):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.03)  # poll interval of the readiness loop, not a wait for a result
        else:
            return proc, port
        _stop(admin, sock, proc)
        # Another process may have taken the port between free_port() and the bind.
        if "Address already in use" not in _tail(log):
            break
    pytest.fail(f"mariadbd did not start (exit {proc.poll()}):\n{_tail(log)}", pytrace=False)


@contextlib.contextmanager
def running_mariadb() -> Iterator[MariaDB]:
    """Start a private TLS MariaDB in a temporary datadir; stop it and remove it after."""
    install_db = _tool("mariadb-install-db")
    mariadbd = _tool("mariadbd")
    admin = _tool("mariadb-admin")
    t0 = time.perf_counter()
    # A short directory under /tmp keeps the Unix socket path under its 108-byte limit.
    d = Path(tempfile.mkdtemp(prefix="ltdb", dir="/tmp"))
    sock = str(d / "s.sock")
    proc: subprocess.Popen[bytes] | None = None
    try:
        tls = _write_tls(d)
        root_flag = ["--user=root"] if os.geteuid() == 0 else []
        install = subprocess.run(
            [
                install_db,
                "--no-defaults",
                f"--datadir={d / 'data'}",
                *root_flag,
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *_INNODB_SIZES,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if install.returncode != 0:
            pytest.fail(f"mariadb-install-db failed:\n{install.stderr[-2000:]}", pytrace=False)
        proc, port = _start(mariadbd, admin, root_flag, d, sock, tls)
        server = MariaDB(
            host=_HOST,
            port=port,
            socket=sock,
            ca_pem=tls["ca"],
            wrong_ca_pem=tls["wrong_ca"],
            unnamed_host=_UNNAMED_HOST,
            user="app",
            password="Pw" + secrets.token_hex(12),
            database="appdb",
            datadir=d,
            startup_s=0.0,
        )
        server.root_sql("CREATE DATABASE appdb")
        server.create_user(server.user, server.password, [server.database])
        server.startup_s = time.perf_counter() - t0
        yield server
    finally:
        if proc is not None:
            _stop(admin, sock, proc)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDB]:
    """One private TLS MariaDB for the whole test session."""
    with running_mariadb() as server:
        yield server


@pytest.fixture
def mariadb(mariadb_server: MariaDB) -> Iterator[MariaDB]:
    """The session's MariaDB; server globals a test changes are put back afterwards."""
    yield mariadb_server
    mariadb_server.restore_globals()


@dataclass
class SilentServer:
    """A loopback TCP server that accepts connections and never sends a byte."""

    host: str
    port: int
    accepted: int = 0


@pytest.fixture
def silent_tcp_server() -> Iterator[SilentServer]:
    """A server that completes the TCP handshake, then stays silent (at most 60 s)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((_HOST, 0))
    listener.listen(16)
    listener.settimeout(0.1)
    server = SilentServer(_HOST, int(listener.getsockname()[1]))
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        deadline = time.monotonic() + 60.0
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            server.accepted += 1

    thread = threading.Thread(target=serve, name="silent-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def refused_port() -> int:
    """A loopback port with nothing listening on it: connections are refused."""
    return free_port()
