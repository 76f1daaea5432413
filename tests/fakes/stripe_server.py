"""A loopback server that speaks the part of Stripe's API the app uses, for tests and benchmarks.

The official SDK reaches it over real HTTP (STRIPE_API_BASE): form-encoded requests with nested
keys (`line_items[0][price_data][currency]=usd`), Bearer secret keys, Idempotency-Key headers,
Stripe's JSON error shape. Tests then act as the customer, the merchant and Stripe's clock
(`pay`, `renew`, `cancel`, `expire`, `refund`), get the events Stripe would send, and deliver them
signed exactly as Stripe signs: header `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" keyed
by the secret>`.

Payments make what Stripe makes: a PaymentIntent and its Charge. A package's charge carries the
PaymentIntent's metadata (Stripe copies it when the PaymentIntent is confirmed); a subscription
invoice's charge carries none, and is linked to its invoice by an InvoicePayment (API versions
since 2025-03-31 have no `invoice` field on the charge or the PaymentIntent).
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import hashlib
import hmac
import re
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from aiohttp import web

from app.kit.clock import utcnow
from tests.fakes.loopback import serve

API_VERSION = "2026-10-28.endive"
WEBHOOK_PATH = "/api/v1/market/webhooks/stripe"


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload`, as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    secret: str,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST an event to the app's webhook endpoint the way Stripe does."""
    payload = orjson.dumps(event)
    header = signature if signature is not None else sign(payload, secret, timestamp=timestamp)
    return await client.post(
        WEBHOOK_PATH,
        content=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"},
    )


def _add_months(start: dt.datetime, months: int) -> dt.datetime:
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return start.replace(year=year, month=month0 + 1, day=day)


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Decode Stripe's form encoding: a[b][0][c]=v -> {"a": {"b": [{"c": "v"}]}}."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: listify(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    result: dict[str, Any] = listify(root)
    return result


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{uuid.uuid4().hex[:24]}"


class FakeStripe:
    def __init__(
        self,
        *,
        api_key: str = "sk_test_loopback",
        now: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.api_key = api_key
        self.now = now
        self.sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.invoice_payments: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.failures: deque[int] = deque()  # HTTP statuses to answer the next API calls with
        self._idempotent: dict[str, tuple[dict[str, Any], int, dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/v1/checkout/sessions", self._create_session)
        app.router.add_get("/v1/checkout/sessions/{id}", self._get_session)
        app.router.add_get("/v1/subscriptions/{id}", self._get_subscription)
        app.router.add_get("/v1/invoice_payments", self._list_invoice_payments)
        self._runner, self.url = await serve(app, host, port)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    @property
    def session_creates(self) -> list[dict[str, Any]]:
        return [
            r for r in self.requests if r["method"] == "POST" and r["path"].endswith("/sessions")
        ]

    # ------------------------------------------------------------------ API
    def _error(self, status: int, kind: str, message: str) -> web.Response:
        return web.json_response({"error": {"type": kind, "message": message}}, status=status)

    async def _guard(self, request: web.Request, params: dict[str, Any]) -> web.Response | None:
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "params": params,
                "headers": dict(request.headers),
            }
        )
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(401, "invalid_request_error", "Invalid API Key provided.")
        if self.failures:
            return self._error(self.failures.popleft(), "api_error", "Scripted failure.")
        return None

    async def _create_session(self, request: web.Request) -> web.Response:
        params = _nest(list((await request.post()).items()))  # type: ignore[arg-type]
        refused = await self._guard(request, params)
        if refused is not None:
            return refused
        key = request.headers.get("Idempotency-Key")
        if key and key in self._idempotent:
            first_params, status, body = self._idempotent[key]
            if first_params != params:
                return self._error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            return web.json_response(body, status=status, headers={"Idempotent-Replayed": "true"})
        mode = params.get("mode")
        items = params.get("line_items") or []
        if mode not in ("payment", "subscription") or not items:
            return self._error(400, "invalid_request_error", "mode and line_items are required.")
        price = items[0]["price_data"]
        amount = int(price["unit_amount"]) * int(items[0].get("quantity", 1))
        sid = _new_id("cs")
        created = int(self.now().timestamp())
        session = {
            "id": sid,
            "object": "checkout.session",
            "mode": mode,
            "status": "open",
            "payment_status": "unpaid",
            "amount_subtotal": amount,
            "amount_total": amount,
            "currency": price["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata") or {},
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.url}/pay/{sid}",
            "payment_intent": None,
            "subscription": None,
            "created": created,
            "expires_at": created + 24 * 3600,
            "livemode": False,
        }
        self.sessions[sid] = {
            "object": session,
            "recurring": price.get("recurring"),
            "subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
            "payment_intent_metadata": (params.get("payment_intent_data") or {}).get("metadata")
            or {},
        }
        if key:
            self._idempotent[key] = (params, 200, session)
        return web.json_response(session)

    async def _get_session(self, request: web.Request) -> web.Response:
        refused = await self._guard(request, {})
        if refused is not None:
            return refused
        found = self.sessions.get(request.match_info["id"])
        if found is None:
            return self._error(404, "invalid_request_error", "No such checkout.session.")
        return web.json_response(found["object"])

    async def _get_subscription(self, request: web.Request) -> web.Response:
        refused = await self._guard(request, {})
        if refused is not None:
            return refused
        found = self.subscriptions.get(request.match_info["id"])
        if found is None:
            return self._error(404, "invalid_request_error", "No such subscription.")
        return web.json_response(found)

    async def _list_invoice_payments(self, request: web.Request) -> web.Response:
        params = _nest(list(request.query.items()))
        refused = await self._guard(request, params)
        if refused is not None:
            return refused
        payment = params.get("payment") or {}
        found = [
            p
            for p in self.invoice_payments
            if not payment.get("payment_intent")
            or p["payment"]["payment_intent"] == payment["payment_intent"]
        ][: int(params.get("limit", 10))]
        expand = params.get("expand") or []
        data = []
        for p in found:
            item = copy.deepcopy(p)
            if "data.invoice" in expand:
                item["invoice"] = copy.deepcopy(self.invoices[p["invoice"]])
            data.append(item)
        return web.json_response(
            {"object": "list", "url": "/v1/invoice_payments", "has_more": False, "data": data}
        )

    # ------------------------------------------------------------------ what Stripe does
    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(self.now().timestamp()),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": copy.deepcopy(obj)},
        }

    def pay(self, session_id: str) -> list[dict[str, Any]]:
        """The customer pays on the Checkout page: the events Stripe then sends, in its usual
        order (tests deliver them in any order)."""
        entry = self.sessions[session_id]
        session = entry["object"]
        session["status"] = "complete"
        session["payment_status"] = "paid"
        if session["mode"] == "payment":
            charge = self._charge(
                session["amount_total"], session["currency"], entry["payment_intent_metadata"]
            )
            session["payment_intent"] = charge["payment_intent"]
            return [self.event("checkout.session.completed", session)]
        interval = (entry["recurring"] or {}).get("interval", "month")
        start = self.now().replace(microsecond=0)
        end = _add_months(start, 1 if interval == "month" else 12)
        sub_id = _new_id("sub")
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "object": "subscription",
            "status": "active",
            "metadata": dict(entry["subscription_metadata"]),
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": _new_id("si"),
                        "object": "subscription_item",
                        "current_period_start": int(start.timestamp()),
                        "current_period_end": int(end.timestamp()),
                        "price": {"recurring": {"interval": interval}},
                    }
                ],
            },
            "latest_invoice": None,
        }
        session["subscription"] = sub_id
        invoice = self._invoice(sub_id, "subscription_create", start, end, session["amount_total"])
        return [
            self.event("checkout.session.completed", session),
            self.event("invoice.paid", invoice),
        ]

    def renew(self, sub_id: str) -> dict[str, Any]:
        """The subscription renews for its next period: Stripe's invoice.paid event."""
        sub = self.subscriptions[sub_id]
        item = sub["items"]["data"][0]
        interval = item["price"]["recurring"]["interval"]
        start = dt.datetime.fromtimestamp(item["current_period_end"], dt.UTC)
        end = _add_months(start, 1 if interval == "month" else 12)
        item["current_period_start"] = int(start.timestamp())
        item["current_period_end"] = int(end.timestamp())
        first = self.invoices[sub["latest_invoice"]]
        invoice = self._invoice(sub_id, "subscription_cycle", start, end, first["amount_paid"])
        return self.event("invoice.paid", invoice)

    def cancel(self, sub_id: str) -> dict[str, Any]:
        sub = self.subscriptions[sub_id]
        sub["status"] = "canceled"
        return self.event("customer.subscription.deleted", sub)

    def expire(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]["object"]
        session["status"] = "expired"
        return self.event("checkout.session.expired", session)

    def _invoice(
        self, sub_id: str, reason: str, start: dt.datetime, end: dt.datetime, amount: int
    ) -> dict[str, Any]:
        sub = self.subscriptions[sub_id]
        inv_id = _new_id("in")
        invoice = {
            "id": inv_id,
            "object": "invoice",
            "status": "paid",
            "billing_reason": reason,
            "amount_paid": amount,
            "currency": "usd",
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "subscription": sub_id,
                    "metadata": dict(sub["metadata"]),
                },
            },
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": _new_id("il"),
                        "object": "line_item",
                        "amount": amount,
                        "period": {"start": int(start.timestamp()), "end": int(end.timestamp())},
                    }
                ],
            },
        }
        self.invoices[inv_id] = invoice
        sub["latest_invoice"] = inv_id
        # The invoice's payment: a PaymentIntent without metadata, linked by an InvoicePayment.
        charge = self._charge(amount, "usd", {})
        self.invoice_payments.append(
            {
                "id": _new_id("inpay"),
                "object": "invoice_payment",
                "amount_paid": amount,
                "amount_requested": amount,
                "currency": "usd",
                "invoice": inv_id,
                "is_default": True,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": charge["payment_intent"]},
                "status": "paid",
            }
        )
        return invoice

    def _charge(self, amount: int, currency: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """A confirmed PaymentIntent and its succeeded charge (the PaymentIntent's metadata is
        copied onto the charge, as Stripe does)."""
        pi_id, charge_id = _new_id("pi"), _new_id("ch")
        self.payment_intents[pi_id] = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": currency,
            "status": "succeeded",
            "latest_charge": charge_id,
            "metadata": dict(metadata),
        }
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": 0,
            "captured": True,
            "currency": currency,
            "metadata": dict(metadata),
            "paid": True,
            "payment_intent": pi_id,
            "refunded": False,
            "status": "succeeded",
            "created": int(self.now().timestamp()),
            "livemode": False,
        }
        self.charges[charge_id] = charge
        return charge

    def charge_of_session(self, session_id: str) -> str:
        """The charge of a paid package's Checkout Session."""
        pi = self.sessions[session_id]["object"]["payment_intent"]
        return str(self.payment_intents[pi]["latest_charge"])

    def charge_of_invoice(self, invoice_id: str) -> str:
        """The charge that paid a subscription invoice."""
        (pi,) = [
            p["payment"]["payment_intent"]
            for p in self.invoice_payments
            if p["invoice"] == invoice_id
        ]
        return str(self.payment_intents[pi]["latest_charge"])

    def refund(self, charge_id: str, amount: int | None = None) -> list[dict[str, Any]]:
        """The merchant refunds `amount` (default: what is left) of a charge: the events Stripe
        sends, `charge.refunded` (the charge with its cumulative amount_refunded) and
        `refund.created` (the one refund)."""
        charge = self.charges[charge_id]
        left = charge["amount"] - charge["amount_refunded"]
        amount = left if amount is None else amount
        if not 0 < amount <= left:
            raise ValueError(f"cannot refund {amount} of a charge with {left} left")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge_id,
            "currency": charge["currency"],
            "payment_intent": charge["payment_intent"],
            "reason": "requested_by_customer",
            "status": "succeeded",
            "metadata": {},
            "created": int(self.now().timestamp()),
        }
        return [self.event("charge.refunded", charge), self.event("refund.created", refund)]
