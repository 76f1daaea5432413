"""The real Firebase Auth Emulator (npm package firebase-tools), started once per test session.

It runs offline from tools/firebase/node_modules in a temporary folder with a generated
firebase.json (auth, hub and logging on free ports, no UI), in its own process group so that
stopping it also stops any child processes it spawns. Helpers sign users up and in
through the emulator's REST API (the same Identity Toolkit calls the client SDKs make) and drive
firebase-admin against it (revoke, disable), as an operator would.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import firebase_admin
import httpx
import pytest
from firebase_admin import auth as firebase_auth

from tests.fixtures.env import service_missing

ROOT = Path(__file__).resolve().parents[2]
FIREBASE_BIN = ROOT / "tools" / "firebase" / "node_modules" / ".bin" / "firebase"
NPM_LOG = Path("/tmp/npm_tools.log")
# A "demo-" project id: the emulator serves it without credentials and never calls Google.
PROJECT_ID = "demo-companion"
PASSWORD = "correct-horse-battery"
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for_npm_install(timeout: float = 180.0) -> None:
    """`npm ci --prefix tools/firebase` may still be running (it logs `done` when finished)."""
    if not NPM_LOG.exists():
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "done" in NPM_LOG.read_text(errors="replace"):
            return
        time.sleep(1)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass(frozen=True)
class Emulator:
    host: str  # "127.0.0.1:PORT", the value of FIREBASE_AUTH_EMULATOR_HOST
    project_id: str

    @property
    def url(self) -> str:
        return f"http://{self.host}"


@pytest.fixture(scope="session")
def firebase_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    if not FIREBASE_BIN.exists():
        _wait_for_npm_install()
    if not FIREBASE_BIN.exists():
        service_missing("Firebase Auth Emulator", "run `npm ci --prefix tools/firebase`")
    workdir = tmp_path_factory.mktemp("firebase-emulator")
    auth_port, hub_port, logging_port = free_port(), free_port(), free_port()
    config = {
        "emulators": {
            "auth": {"host": "127.0.0.1", "port": auth_port},
            "hub": {"host": "127.0.0.1", "port": hub_port},
            "logging": {"host": "127.0.0.1", "port": logging_port},
            "ui": {"enabled": False},
        }
    }
    (workdir / "firebase.json").write_text(json.dumps(config))
    env = {
        **os.environ,
        # Keep firebase-tools' own state (config store, update checks) out of the user's home.
        "XDG_CONFIG_HOME": str(workdir / "config"),
        "NO_UPDATE_NOTIFIER": "1",
        "FIREBASE_CLI_DISABLE_UPDATE_CHECK": "true",
    }
    log_path = workdir / "emulator.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(FIREBASE_BIN), "emulators:start", "--only", "auth", "--project", PROJECT_ID],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as a whole below
    )
    emulator = Emulator(host=f"127.0.0.1:{auth_port}", project_id=PROJECT_ID)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(emulator.url + "/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                service_missing(
                    "Firebase Auth Emulator",
                    f"did not start (exit code {proc.poll()}): {tail}",
                )
            time.sleep(0.2)
        yield emulator
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


# ---------------------------------------------------------------------------- client side


@dataclass
class FirebaseUser:
    uid: str
    email: str
    password: str
    id_token: str
    display_name: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.id_token}"}


class IdentityToolkit:
    """The emulator's Identity Toolkit REST API, as the Firebase client SDKs call it."""

    def __init__(self, emulator: Emulator, http: httpx.AsyncClient) -> None:
        self.emulator = emulator
        self.http = http
        self._base = f"{emulator.url}/identitytoolkit.googleapis.com/v1"

    async def _call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.http.post(f"{self._base}/accounts:{method}?key=any", json=body)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    async def sign_up(
        self, *, email: str | None = None, display_name: str | None = None
    ) -> FirebaseUser:
        email = email or f"fb-{uuid.uuid4().hex[:12]}@example.com"
        body: dict[str, Any] = {"email": email, "password": PASSWORD, "returnSecureToken": True}
        if display_name:
            body["displayName"] = display_name
        data = await self._call("signUp", body)
        return FirebaseUser(
            uid=data["localId"],
            email=email,
            password=PASSWORD,
            id_token=data["idToken"],
            display_name=display_name,
        )

    async def sign_in(self, user: FirebaseUser) -> str:
        """A fresh ID token for the user (signInWithPassword)."""
        data = await self._call(
            "signInWithPassword",
            {"email": user.email, "password": user.password, "returnSecureToken": True},
        )
        token: str = data["idToken"]
        user.id_token = token
        return token


@pytest.fixture
async def identity(firebase_emulator: Emulator) -> AsyncIterator[IdentityToolkit]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield IdentityToolkit(firebase_emulator, http)


# ---------------------------------------------------------------------------- admin side


class FirebaseAdmin:
    """firebase-admin against the emulator, as an operator's script would use it."""

    def __init__(self, app: firebase_admin.App) -> None:
        self.app = app

    def revoke(self, uid: str) -> None:
        firebase_auth.revoke_refresh_tokens(uid, app=self.app)

    def disable(self, uid: str) -> None:
        firebase_auth.update_user(uid, disabled=True, app=self.app)

    def delete(self, uid: str) -> None:
        firebase_auth.delete_user(uid, app=self.app)


@pytest.fixture
def firebase_admin_client(
    firebase_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FirebaseAdmin]:
    # firebase-admin finds the emulator only through the process environment.
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", firebase_emulator.host)
    app = firebase_admin.initialize_app(
        options={"projectId": firebase_emulator.project_id},
        name=f"test-admin-{uuid.uuid4().hex[:8]}",
    )
    try:
        yield FirebaseAdmin(app)
    finally:
        firebase_admin.delete_app(app)


# ---------------------------------------------------------------------------- tokens


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def part(segment: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        )
        return data

    header, payload, _signature = token.split(".")
    return part(header), part(payload)


def emulator_token(claims: dict[str, Any]) -> str:
    """An ID token in the emulator's exact shape: an unsigned JWT (alg "none", empty signature).

    firebase-admin accepts such tokens only while FIREBASE_AUTH_EMULATOR_HOST is set; against
    real Firebase its verifier demands RS256 with a `kid` from Google's certificates, so a
    token crafted like this is rejected as invalid there (and check_production refuses the
    emulator setting in production).
    """
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
