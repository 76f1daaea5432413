"""Operator commands.

python -m app.cli dev-token --email alice@example.com   # a development ID token
python -m app.cli audit-ledger                          # ledger == wallets, no negatives
python -m app.cli billing-job refresh-daily             # or expire-subscriptions, sweep-holds
python -m app.cli jobs                                  # the periodic jobs and their schedules
python -m app.cli run-job chat.archive_idle_sessions    # run one periodic job once, now
python -m app.cli usage --day 2026-11-26 [--aggregate]  # usage_daily rows (recomputed first)
python -m app.cli adjust-credits --user alice@example.com --bucket purchased \
    --amount -2.5 --reason "duplicate purchase, ticket 123"   # one admin_adjustment ledger row
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import cast

from app.settings import get_settings


def _dev_token(args: argparse.Namespace) -> int:
    from app.auth.router import dev_uid_for
    from app.auth.verifier import DevTokenVerifier

    settings = get_settings()
    if settings.is_production or settings.auth_mode != "dev":
        print(
            "dev tokens are refused: APP_ENV=production or FIREBASE_PROJECT_ID is set",
            file=sys.stderr,
        )
        return 2
    verifier = DevTokenVerifier.from_settings(settings)
    token, _ = verifier.issue(args.uid or dev_uid_for(args.email), email=args.email, name=args.name)
    print(token)
    return 0


async def _audit() -> int:
    from app.billing.service import wallet_service
    from app.kit.db import create_database

    db = await create_database(get_settings())
    try:
        async with db.jobs_sessionmaker() as session:
            offenders = await wallet_service.audit(session)
    finally:
        await db.dispose()
    if offenders:
        print(json.dumps({"ok": False, "offenders": offenders}, indent=2))
        return 1
    print(json.dumps({"ok": True, "offenders": []}))
    return 0


async def _billing_job(name: str) -> int:
    from app.billing import jobs
    from app.kit.db import create_database

    db = await create_database(get_settings())
    try:
        if name == "refresh-daily":
            result: object = await jobs.refresh_daily_allowances(db.jobs_sessionmaker)
        elif name == "expire-subscriptions":
            result = await jobs.expire_subscriptions(db.jobs_sessionmaker)
        else:
            result = await jobs.sweep_expired_holds(db.jobs_sessionmaker)
    finally:
        await db.dispose()
    print(json.dumps({"job": name, "result": str(result)}))
    return 0


def _micro(text: str) -> int:
    """Decimal credits -> exact micro-credits (ValueError if not exact to 6 places)."""
    from decimal import Decimal, InvalidOperation

    from app.billing.tiers import MICRO

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"--amount {text!r}: expected a decimal number of credits") from None
    if not value.is_finite():
        raise ValueError(f"--amount {text!r}: expected a finite number")
    micro = value * MICRO
    if micro != micro.to_integral_value():
        raise ValueError(f"--amount {text!r}: at most 6 decimal places (1 micro-credit)")
    if micro == 0:
        raise ValueError("--amount must not be zero")
    if abs(micro) >= 10**18:  # the ledger's BIGINT; no real correction comes near it
        raise ValueError(f"--amount {text!r}: too large")
    return int(micro)


def _adjust_credits(args: argparse.Namespace) -> int:
    """Check the operator's input (exit 2 before touching the database), then apply."""
    try:
        amount = _micro(args.amount)
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    reason = " ".join(args.reason.split())
    if not reason:
        print("refused: --reason must say why (it goes into the ledger)", file=sys.stderr)
        return 2
    return asyncio.run(_apply_adjustment(args.user, args.bucket, amount, reason))


async def _apply_adjustment(ident: str, bucket: str, amount: int, reason: str) -> int:
    """One admin_adjustment ledger row with the wallet change, in one transaction on the jobs
    path (the operator acts on any user's wallet). Exit 2, nothing changed, if refused."""
    from app.billing.service import Bucket, wallet_service
    from app.billing.tiers import to_credits
    from app.kit.db import create_database
    from app.kit.errors import AppError
    from app.kit.ids import uuid7

    reference_id = f"admin:{uuid7()}"
    db = await create_database(get_settings())
    try:
        async with db.jobs_sessionmaker() as session:
            try:
                user = await wallet_service.find_user(session, ident)
                entry = await wallet_service.adjust(
                    session,
                    user,
                    bucket=cast("Bucket", bucket),  # argparse's choices
                    amount_micro=amount,
                    reason=reason,
                    reference_id=reference_id,
                )
            except AppError as exc:
                await session.rollback()
                print(f"refused: {exc.detail_message}", file=sys.stderr)
                return 2
            wallet = await wallet_service.get_balance(session, user)
            report = {
                "ok": True,
                "user_id": str(user.id),
                "bucket": bucket,
                "amount": str(to_credits(amount)),
                "amount_micro": amount,
                "reference_id": reference_id,
                "ledger_id": str(entry.id),
                "balance": {
                    "daily": str(to_credits(wallet.daily_micro)),
                    "bonus": str(to_credits(wallet.bonus_micro)),
                    "purchased": str(to_credits(wallet.purchased_micro)),
                    "held": str(to_credits(wallet.held_micro)),
                },
            }
            await session.commit()
    finally:
        await db.dispose()
    print(json.dumps(report))
    return 0


def _jobs() -> int:
    from app.tasks.registry import PERIODIC_JOBS

    for job in PERIODIC_JOBS:
        print(f"{job.name:30} {job.schedule.describe():22} {job.summary}")
    return 0


async def _run_job(name: str) -> int:
    from app.kit.db import create_database
    from app.tasks.registry import JOBS
    from app.tasks.runner import run_in_process

    settings = get_settings()
    db = await create_database(settings)
    try:
        result = await run_in_process(JOBS[name], db.jobs_sessionmaker, settings)
    finally:
        await db.dispose()
    print(json.dumps({"job": name, "ok": result is not None, "result": result}))
    return 0 if result is not None else 1


async def _usage(day_text: str, aggregate: bool) -> int:
    import datetime as dt

    from app.analytics.jobs import aggregate_usage, read_usage
    from app.billing.tiers import to_credits
    from app.kit.db import create_database

    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        print(f"--day {day_text!r}: expected YYYY-MM-DD", file=sys.stderr)
        return 2
    db = await create_database(get_settings())
    try:
        if aggregate:
            await aggregate_usage(db.jobs_sessionmaker, days=[day])
        async with db.jobs_sessionmaker() as session:
            rows = await read_usage(session, day)
    finally:
        await db.dispose()
    if not rows:
        print(f"no usage rows for {day} (--aggregate computes them from the messages)")
        return 0
    header = ("day", "tier", "character", "messages", "users", "prompt", "completion", "credits")
    print("{:10} {:8} {:16} {:>9} {:>6} {:>10} {:>10} {:>14}".format(*header))
    for r in rows:
        print(
            f"{r.day.isoformat():10} {r.tier:8} {r.character_id:16} {r.messages:>9} "
            f"{r.active_users:>6} {r.prompt_tokens:>10} {r.completion_tokens:>10} "
            f"{to_credits(r.credits_micro):>14}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    tok = sub.add_parser("dev-token", help="print a development ID token (not in production)")
    tok.add_argument("--email", required=True)
    tok.add_argument("--name", default=None)
    tok.add_argument("--uid", default=None)
    sub.add_parser("audit-ledger", help="check that every wallet equals the sum of its ledger")
    job = sub.add_parser("billing-job", help="run a billing job once (app/billing/jobs.py)")
    job.add_argument("name", choices=["refresh-daily", "expire-subscriptions", "sweep-holds"])
    sub.add_parser("jobs", help="list the periodic jobs and their schedules (UTC)")
    run = sub.add_parser("run-job", help="run one periodic job once (docs/OPERATIONS.md)")
    run.add_argument("name", choices=_job_names())
    usage = sub.add_parser("usage", help="print a day's usage_daily rows")
    usage.add_argument("--day", required=True, help="UTC day, YYYY-MM-DD")
    usage.add_argument(
        "--aggregate", action="store_true", help="recompute the day from the messages first"
    )
    adjust = sub.add_parser(
        "adjust-credits",
        help="add or remove credits by hand: one admin_adjustment ledger row (docs/BILLING.md)",
    )
    adjust.add_argument("--user", required=True, help="user id, Firebase uid or email")
    adjust.add_argument("--bucket", required=True, choices=["purchased", "bonus", "daily"])
    adjust.add_argument(
        "--amount", required=True, help="decimal credits, negative to remove (e.g. -2.5)"
    )
    adjust.add_argument("--reason", required=True, help="why (written into the ledger row)")
    args = parser.parse_args(argv)
    if args.command == "dev-token":
        return _dev_token(args)
    if args.command == "audit-ledger":
        return asyncio.run(_audit())
    if args.command == "billing-job":
        return asyncio.run(_billing_job(args.name))
    if args.command == "jobs":
        return _jobs()
    if args.command == "run-job":
        return asyncio.run(_run_job(args.name))
    if args.command == "usage":
        return asyncio.run(_usage(args.day, args.aggregate))
    if args.command == "adjust-credits":
        return _adjust_credits(args)
    return 2


def _job_names() -> list[str]:
    from app.tasks.registry import JOBS

    return sorted(JOBS)


if __name__ == "__main__":
    raise SystemExit(main())
