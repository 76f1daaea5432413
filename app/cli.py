"""Operator commands.

python -m app.cli dev-token --email alice@example.com   # a development ID token
python -m app.cli audit-ledger                          # ledger == wallets, no negatives
python -m app.cli billing-job refresh-daily             # or expire-subscriptions, sweep-holds
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

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
        async with db.sessionmaker() as session:
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
            result: object = await jobs.refresh_daily_allowances(db.sessionmaker)
        elif name == "expire-subscriptions":
            result = await jobs.expire_subscriptions(db.sessionmaker)
        else:
            result = await jobs.sweep_expired_holds(db.sessionmaker)
    finally:
        await db.dispose()
    print(json.dumps({"job": name, "result": str(result)}))
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
    args = parser.parse_args(argv)
    if args.command == "dev-token":
        return _dev_token(args)
    if args.command == "audit-ledger":
        return asyncio.run(_audit())
    if args.command == "billing-job":
        return asyncio.run(_billing_job(args.name))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
