"""Load test: realistic companion-app users against a running server with the offline LLM.

    make run                                   # in one terminal (or any server, see below)
    .venv/bin/locust -f tests/load/locustfile.py --host http://127.0.0.1:8000 \
        --headless -u 50 -r 10 -t 2m --only-summary

Each simulated user signs in (development token + login), lists the characters, opens a session
with one of the free characters, then chats with think time between messages and checks the
balance now and then. Users are new each run, so their wallets start with the free daily
credits; a user who runs out of credits (402) or hits the per-minute limit (429) is counted as
an expected outcome, not a failure. The server must allow the sign-ins: run it with
AUTH_RATE_LIMIT_PER_MINUTE=0 when every simulated user comes from one address.
"""

from __future__ import annotations

import random
import uuid

from locust import HttpUser, between, task

MESSAGES = [
    "Hi! How was your day?",
    "I just got back from a long walk by the river.",
    "My cat Pixel knocked a plant off the shelf again.",
    "Tell me something you love about the night sky.",
    "What would you cook for a rainy evening?",
    "I have an interview tomorrow and I'm nervous.",
    "Do you remember what I told you about my sister?",
    "Recommend me a book for the weekend.",
]


class CompanionUser(HttpUser):
    wait_time = between(2, 6)  # think time between actions, seconds

    def on_start(self) -> None:
        email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        r = self.client.post("/api/v1/auth/dev/token", json={"email": email}, name="auth/dev/token")
        token = r.json()["id_token"]
        self.client.post("/api/v1/auth/login", json={"id_token": token}, name="auth/login")
        self.headers = {"Authorization": f"Bearer {token}"}
        characters = self.client.get("/api/v1/config/characters", name="config/characters").json()
        free = [c["id"] for c in characters["items"] if c["tier_required"] == "free"]
        r = self.client.post(
            "/api/v1/chat/sessions",
            json={"character_id": random.choice(free)},
            headers=self.headers,
            name="chat/sessions [create]",
        )
        self.session_id = r.json()["id"]

    @task(10)
    def chat(self) -> None:
        with self.client.post(
            "/api/v1/chat/completions",
            json={"session_id": self.session_id, "message": random.choice(MESSAGES)},
            headers=self.headers,
            name="chat/completions",
            catch_response=True,
        ) as r:
            if r.status_code in (402, 429):
                r.success()  # out of credits / over the tier's limit: the product working

    @task(2)
    def balance(self) -> None:
        self.client.get("/api/v1/wallet/balance", headers=self.headers, name="wallet/balance")

    @task(1)
    def history(self) -> None:
        self.client.get(
            f"/api/v1/chat/sessions/{self.session_id}/messages",
            headers=self.headers,
            name="chat/sessions/{id}/messages",
        )

    @task(1)
    def sessions(self) -> None:
        self.client.get("/api/v1/chat/sessions", headers=self.headers, name="chat/sessions [list]")
