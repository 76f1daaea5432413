"""Stateful property test of the credits engine: Hypothesis drives random sequences of refreshes,
purchases, subscriptions, chats (answered, failed upstream, partial streams), crashed requests,
sweeps, late settles, day changes and subscription expiry against the real app, and after every
step checks it against an exact model of the wallet and against the invariants:

- the wallet equals the model, bucket by bucket (daily, bonus, purchased, held);
- the ledger sums equal the wallet; no bucket is negative; no overdraft;
- held == the sum of the open holds;
- no money is created: per kind, the ledger equals what the model granted (allowances, top-ups,
  purchases, bonuses) and took (charges, expiries), and total = grants - charges - expiries.

Hypothesis' RuleBasedStateMachine is synchronous, so it runs in a worker thread and each rule
runs its coroutine on the test's event loop (where the app lives) and waits for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from app.billing.errors import InsufficientCredits
from app.billing.jobs import expire_subscriptions, refresh_daily_allowances, sweep_expired_holds
from app.billing.tiers import TIERS, effective_tier
from app.chat.service import PreparedTurn
from app.kit import clock
from app.kit.clock import utcnow
from app.llm.base import Usage
from app.market.catalog import PRODUCTS
from app.models import CreditHold, LedgerEntry, UserWallet
from tests.billing.conftest import principal_of
from tests.fakes.openai_server import Fail, FakeOpenAI, Reply
from tests.helpers import Api, TestUser

T = TypeVar("T")
HOLD_TTL = 120
KINDS = ("daily_refresh", "expiry", "purchase", "subscription_bonus", "chat_charge")


@pytest.fixture
def settings_overrides(llm_settings: dict[str, Any]) -> dict[str, Any]:
    return {**llm_settings, "PAYMENT_PROVIDER": "sandbox", "HOLD_TTL_SECONDS": HOLD_TTL}


@dataclass
class Crashed:
    turn: PreparedTurn
    amount: int
    expires_at: dt.datetime


class WalletModel:
    """What the wallet must be: the product rules, written independently of the app's code."""

    def __init__(self, today: dt.date) -> None:
        self.daily = TIERS["free"].daily_micro
        self.bonus = self.purchased = self.held = 0
        self.daily_date = today
        self.tier = "free"
        self.tier_expires_at: dt.datetime | None = None
        self.by_kind = dict.fromkeys(KINDS, 0)
        self.by_kind["daily_refresh"] = self.daily
        self.admin = 0

    @property
    def total(self) -> int:
        return self.daily + self.bonus + self.purchased

    @property
    def available(self) -> int:
        return self.total - self.held

    def tier_now(self, now: dt.datetime) -> str:
        return effective_tier(self.tier, self.tier_expires_at, now)

    def refresh_if_due(self, now: dt.datetime) -> None:
        if self.daily_date >= now.date():
            return
        allowance = TIERS[self.tier_now(now)].daily_micro
        # Daily credits still reserved by open holds survive; the rest of yesterday's expire.
        kept = min(max(self.held - self.bonus - self.purchased - allowance, 0), self.daily)
        self.by_kind["expiry"] -= self.daily - kept
        self.by_kind["daily_refresh"] += allowance
        self.daily = kept + allowance
        self.daily_date = now.date()

    def charge(self, cost: int) -> int:
        """Charge `cost` (the charged request's own hold already given back), capped to what
        the wallet can pay besides other open holds; daily first, then bonus, then purchased."""
        charge = min(cost, self.available)
        take_daily = min(self.daily, charge)
        take_bonus = min(self.bonus, charge - take_daily)
        self.daily -= take_daily
        self.bonus -= take_bonus
        self.purchased -= charge - take_daily - take_bonus
        self.by_kind["chat_charge"] -= charge
        return charge


def machine_for(api: Api, llm: FakeOpenAI, loop: asyncio.AbstractEventLoop) -> type[Any]:
    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)

    sm = api.app.state.db.jobs_sessionmaker
    chat_service = api.app.state.chat

    class CreditsMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            clock.set_offset(dt.timedelta(0))
            self.user: TestUser = run(api.new_user())
            self.session_id: str = run(api.new_session(self.user))["id"]
            self.principal = run(principal_of(api, self.user))
            self.model = WalletModel(utcnow().date())
            self.crashed: list[Crashed] = []
            self.swept: list[Crashed] = []
            self.keys: list[tuple[str, str, dict[str, Any]]] = []

        # ------------------------------------------------------------------ setup
        @initialize(
            daily=st.integers(0, 300_000),
            bonus=st.integers(0, 300_000),
            purchased=st.integers(0, 300_000),
        )
        def small_balance(self, daily: int, bonus: int, purchased: int) -> None:
            """Start near empty, so that refusals and capped charges happen."""
            run(api.set_balance(self.user, daily=daily, bonus=bonus, purchased=purchased))
            m = self.model
            m.admin += daily + bonus + purchased - m.total
            m.daily, m.bonus, m.purchased = daily, bonus, purchased

        # ------------------------------------------------------------------ time
        def move_to(self, when: dt.datetime) -> None:
            assert when > utcnow()
            clock.set_offset(clock.get_offset() + (when - utcnow()))

        @rule(seconds=st.sampled_from([0, 1, 59, 3600, 43200]))
        def next_day(self, seconds: int) -> None:
            today = utcnow().date()
            midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
            self.move_to(midnight + dt.timedelta(seconds=seconds))

        @rule()
        def one_second_to_midnight(self) -> None:
            target = dt.datetime.combine(utcnow().date(), dt.time(23, 59, 59), dt.UTC)
            if target > utcnow():
                self.move_to(target)

        # ------------------------------------------------------------------ daily refresh
        @rule()
        def midnight_job(self) -> None:
            run(refresh_daily_allowances(sm, batch_size=50))
            self.model.refresh_if_due(utcnow())

        @rule()
        def look_at_balance(self) -> None:
            r = run(api.client.get("/api/v1/wallet/balance", headers=self.user.headers))
            assert r.status_code == 200, r.text
            now = utcnow()
            self.model.refresh_if_due(now)
            body = r.json()
            assert body["available_micro"] == self.model.available
            assert body["tier"] == self.model.tier_now(now)

        # ------------------------------------------------------------------ market
        @rule(product=st.sampled_from(["credits_10", "credits_50", "credits_100"]))
        def purchase(self, product: str) -> None:
            key = uuid.uuid4().hex
            r = run(self._post("buy_credits", product, key))
            assert r.status_code == 201, r.text
            self.model.refresh_if_due(utcnow())
            credits = PRODUCTS[product].credits_micro
            self.model.purchased += credits
            self.model.by_kind["purchase"] += credits
            self.keys.append(("buy_credits", key, r.json()))

        @precondition(lambda self: bool(self.keys))
        @rule(data=st.data())
        def replay(self, data: st.DataObject) -> None:
            path, key, first = data.draw(st.sampled_from(self.keys))
            r = run(self._post(path, first["payment"]["product_id"], key))
            assert r.status_code == 201
            assert r.json() == first  # the first response, nothing granted again

        @rule(plan=st.sampled_from(["premium_monthly", "vip_monthly", "premium_yearly"]))
        def subscribe(self, plan: str) -> None:
            key = uuid.uuid4().hex
            r = run(self._post("subscribe", plan, key))
            m, now = self.model, utcnow()
            if m.tier_expires_at is not None and m.tier_expires_at > now:
                assert r.status_code == 409, r.text
                return
            assert r.status_code == 201, r.text
            before = m.tier_now(now)
            m.refresh_if_due(now)
            product = PRODUCTS[plan]
            assert product.tier is not None
            m.tier = product.tier
            m.tier_expires_at = dt.datetime.fromisoformat(
                r.json()["subscription"]["current_period_end"]
            )
            top_up = TIERS[product.tier].daily_micro - TIERS[before].daily_micro
            m.daily += top_up
            m.by_kind["daily_refresh"] += top_up
            m.bonus += product.bonus_micro
            m.by_kind["subscription_bonus"] += product.bonus_micro
            self.keys.append(("subscribe", key, r.json()))

        @precondition(lambda self: self.model.tier_expires_at is not None)
        @rule()
        def subscription_ends(self) -> None:
            assert self.model.tier_expires_at is not None
            if self.model.tier_expires_at > utcnow():
                self.move_to(self.model.tier_expires_at + dt.timedelta(seconds=1))
            run(expire_subscriptions(sm))
            self.model.tier, self.model.tier_expires_at = "free", None

        async def _post(self, path: str, product: str, key: str) -> Any:
            return await api.client.post(
                f"/api/v1/market/{path}",
                json={"product_id": product},
                headers={**self.user.headers, "Idempotency-Key": key},
            )

        # ------------------------------------------------------------------ chat
        def _refused(self, needed: int, available: int) -> None:
            event("refused: 402")
            assert available == self.model.available
            assert needed > self.model.available

        @rule(completion=st.integers(1, 400))
        def chat_answered(self, completion: int) -> None:
            llm.script.clear()
            llm.push(Reply(text="Sure thing, here is my answer.", completion_tokens=completion))
            r = run(api.chat(self.user, self.session_id, "Tell me about your day"))
            llm.script.clear()
            now = utcnow()
            self.model.refresh_if_due(now)
            if r.status_code == 402:
                details = r.json()["error"]["details"]
                self._refused(details["needed_micro"], details["available_micro"])
                return
            assert r.status_code == 200, r.text
            body = r.json()
            rate = TIERS[self.model.tier_now(now)].micro_per_token
            expected = self.model.charge(body["usage"]["total_tokens"] * rate)
            assert body["credits_charged_micro"] == expected

        @rule()
        def chat_upstream_fails(self) -> None:
            llm.script.clear()
            llm.push(Fail(status=500))
            r = run(api.chat(self.user, self.session_id, "Are you there?"))
            llm.script.clear()
            self.model.refresh_if_due(utcnow())
            if r.status_code == 402:
                details = r.json()["error"]["details"]
                self._refused(details["needed_micro"], details["available_micro"])
                return
            assert r.status_code == 502, r.text  # nothing charged: checked by the invariants

        async def _prepare(self, text: str) -> PreparedTurn | InsufficientCredits:
            try:
                turn: PreparedTurn = await chat_service.prepare(
                    self.principal,
                    session_id=uuid.UUID(self.session_id),
                    text=text,
                    max_tokens=None,
                )
            except InsufficientCredits as exc:
                return exc
            return turn

        def _prepared(self, text: str) -> PreparedTurn | None:
            result = run(self._prepare(text))
            self.model.refresh_if_due(utcnow())
            if isinstance(result, InsufficientCredits):
                self._refused(result.details["needed_micro"], result.details["available_micro"])
                return None
            return result

        def _settle(self, turn: PreparedTurn, prompt: int, generated: int, own_hold: int) -> None:
            result = run(
                chat_service.settle(
                    turn,
                    content="partial repl" if generated else "",
                    usage=Usage(prompt_tokens=prompt, completion_tokens=generated),
                    model="fake-model",
                    finish_reason=None,
                    status="incomplete",
                )
            )
            cost = (prompt + generated) * turn.rate_micro_per_token
            self.model.held -= own_hold
            charged = self.model.charge(cost)
            event("settle capped" if charged < cost else "settle in full")
            assert result.settled.charged_micro == charged

        @rule(prompt=st.integers(1, 5000), generated=st.integers(0, 600))
        def partial_stream(self, prompt: int, generated: int) -> None:
            """The client went away mid-stream: settle what was generated."""
            turn = self._prepared("Tell me a long story")
            if turn is None:
                return
            amount, _ = run(self._hold_of(turn))
            self.model.held += amount
            self._settle(turn, prompt, generated, own_hold=amount)

        @rule()
        def crash_after_hold(self) -> None:
            """The process dies after placing the hold: nobody settles or releases it."""
            turn = self._prepared("Hello?")
            if turn is None:
                return
            amount, expires_at = run(self._hold_of(turn))
            self.model.held += amount
            self.crashed.append(Crashed(turn, amount, expires_at))

        async def _hold_of(self, turn: PreparedTurn) -> tuple[int, dt.datetime]:
            async with sm() as session:
                hold = await session.get(CreditHold, turn.hold_id)
                assert hold is not None
                assert hold.status == "open"
                return int(hold.amount_micro), hold.expires_at

        @rule()
        def sweep(self) -> None:
            self.move_to(utcnow() + dt.timedelta(seconds=HOLD_TTL + 1))
            run(sweep_expired_holds(sm, batch_size=20))
            now = utcnow()
            for c in [c for c in self.crashed if c.expires_at <= now]:
                self.crashed.remove(c)
                self.swept.append(c)
                self.model.held -= c.amount

        @precondition(lambda self: bool(self.crashed))
        @rule(prompt=st.integers(1, 3000), generated=st.integers(0, 600))
        def slow_settle(self, prompt: int, generated: int) -> None:
            """Not crashed after all, just slow: it settles before the sweeper came."""
            c = self.crashed.pop(0)
            self._settle(c.turn, prompt, generated, own_hold=c.amount)

        @precondition(lambda self: bool(self.swept))
        @rule(prompt=st.integers(1, 3000), generated=st.integers(0, 600))
        def late_settle(self, prompt: int, generated: int) -> None:
            """Settled after the sweeper released its hold: only what is available."""
            c = self.swept.pop(0)
            self._settle(c.turn, prompt, generated, own_hold=0)

        # ------------------------------------------------------------------ invariants
        @invariant()
        def money_is_exact(self) -> None:
            run(self._check())

        async def _check(self) -> None:
            m = self.model
            async with sm() as session:
                wallet = await session.get(UserWallet, self.user.id, populate_existing=True)
                assert wallet is not None
                rows = (
                    await session.execute(
                        select(
                            LedgerEntry.kind,
                            func.sum(LedgerEntry.delta_daily_micro),
                            func.sum(LedgerEntry.delta_bonus_micro),
                            func.sum(LedgerEntry.delta_purchased_micro),
                            func.sum(LedgerEntry.amount_micro),
                        )
                        .where(LedgerEntry.user_id == self.user.id)
                        .group_by(LedgerEntry.kind)
                    )
                ).all()
                open_held = await session.scalar(
                    select(func.coalesce(func.sum(CreditHold.amount_micro), 0)).where(
                        CreditHold.user_id == self.user.id, CreditHold.status == "open"
                    )
                )
            buckets = (wallet.daily_micro, wallet.bonus_micro, wallet.purchased_micro)
            assert (*buckets, wallet.held_micro) == (m.daily, m.bonus, m.purchased, m.held)
            assert tuple(sum(int(r[i]) for r in rows) for i in (1, 2, 3)) == buckets
            assert min(*buckets, wallet.held_micro) >= 0
            assert sum(buckets) >= wallet.held_micro
            assert wallet.held_micro == open_held
            by_kind = {r[0]: int(r[4]) for r in rows}
            for kind in KINDS:
                assert by_kind.get(kind, 0) == m.by_kind[kind], kind
            assert by_kind.get("admin_adjustment", 0) == m.admin
            grants = m.admin + sum(
                m.by_kind[k] for k in KINDS if k not in ("chat_charge", "expiry")
            )
            taken = -(m.by_kind["chat_charge"] + m.by_kind["expiry"])
            assert sum(buckets) == grants - taken

    return CreditsMachine


async def test_money_invariants_hold_for_any_sequence_of_operations(
    api: Api, llm_server: FakeOpenAI, no_chat_rate_limit: None
) -> None:
    machine = machine_for(api, llm_server, asyncio.get_running_loop())
    config = settings(
        max_examples=25,
        stateful_step_count=15,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=config)
