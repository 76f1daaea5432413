"""The application: create_app() wires settings, components, routers, middleware, handlers."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from app.auth.router import dev_router
from app.auth.router import router as auth_router
from app.auth.service import AuthService
from app.auth.verifier import CachedVerifier, DevTokenVerifier, FirebaseTokenVerifier, TokenVerifier
from app.billing.router import router as wallet_router
from app.characters.router import router as characters_router
from app.characters.service import CharacterService
from app.chat.hot_repository import create_hot_path
from app.chat.router import router as chat_router
from app.chat.service import ChatService
from app.health.router import router as health_router
from app.kit import background, metrics
from app.kit.db import create_database, row_level_security_status
from app.kit.handlers import install_exception_handlers
from app.kit.logging import configure_logging
from app.kit.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.kit.redis import create_redis
from app.llm.factory import create_llm_provider
from app.market.providers import create_payment_provider
from app.market.router import router as market_router
from app.market.service import MarketService
from app.memory.router import router as memory_router
from app.memory.service import create_memory_service
from app.moderation import create_moderation_service
from app.ratelimit.limiter import create_rate_limiter
from app.settings import Settings, get_settings
from app.skins.config import load_skins
from app.skins.middleware import SkinMiddleware
from app.skins.service import check_skin_characters
from app.tasks.inprocess import start_in_process_jobs

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


def create_verifier(settings: Settings) -> TokenVerifier:
    if settings.auth_mode == "firebase":
        log.info(
            "auth: Firebase project %s%s",
            settings.FIREBASE_PROJECT_ID,
            " (emulator)" if settings.FIREBASE_AUTH_EMULATOR_HOST else "",
        )
        return FirebaseTokenVerifier(settings)
    log.info("auth: development tokens (FIREBASE_PROJECT_ID is not set)")
    return DevTokenVerifier.from_settings(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production()
    skins = load_skins(settings)  # a bad skins configuration refuses the start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = await create_database(settings)
        redis = create_redis(settings)
        ratelimiter = create_rate_limiter(settings, redis)
        llm = create_llm_provider(settings)
        verifier = create_verifier(settings)
        characters = CharacterService(db.sessionmaker)
        moderation = create_moderation_service(settings, db.sessionmaker)
        # Long-term memory (Premium/VIP): lazy, imports no vector DB or model here.
        memory = create_memory_service(
            settings, db.sessionmaker, llm=llm, jobs_sessionmaker=db.jobs_sessionmaker
        )
        await memory.start()
        app.state.settings = settings
        app.state.skins = skins
        await check_skin_characters(skins, db.sessionmaker)
        app.state.db = db
        app.state.redis = redis
        app.state.llm = llm
        app.state.characters = characters
        app.state.auth = AuthService(
            CachedVerifier(verifier, recheck_seconds=settings.AUTH_REVOCATION_CHECK_SECONDS),
            db.sessionmaker,
        )
        app.state.chat = ChatService(
            hot=create_hot_path(db.engine, db.raw_pool),
            llm=llm,
            characters=characters,
            sessionmaker=db.sessionmaker,
            settings=settings,
            ratelimiter=ratelimiter,
            moderation=moderation,
            memory=memory,
        )
        app.state.moderation = moderation
        app.state.market = MarketService(create_payment_provider(settings))
        app.state.health_checks = {}
        app.state.ratelimiter = ratelimiter
        app.state.health_checks["ratelimit"] = ratelimiter.health_check
        app.state.memory = memory
        app.state.health_checks["memory"] = memory.health_check
        if db.dialect == "postgresql":
            app.state.health_checks["row_level_security"] = partial(row_level_security_status, db)
            try:
                log.info("database: %s", await row_level_security_status(db))
            except Exception as exc:  # a misconfigured role is a warning, not a refusal to serve
                log.warning("database: %s", exc)
        log.info(
            "started",
            extra={
                "env": settings.APP_ENV.value,
                "database": db.dialect,
                "llm": llm.name,
                "auth": verifier.mode,
                "redis": bool(redis),
            },
        )
        # Everything made at start-up lives as long as the process: keep it out of the cyclic
        # garbage collector's scans (fewer, shorter pauses on the request path).
        gc.collect()
        gc.freeze()
        # A request allocates a few thousand short-lived objects: collect the young generation
        # every 10,000 allocations rather than every 700 (fewer, still short, pauses).
        gc.set_threshold(10_000, 20, 20)
        pool_sampler = asyncio.create_task(metrics.sample_pools_forever(db))
        # Periodic jobs without Celery beat (docs/OPERATIONS.md); None when JOBS_IN_PROCESS is off.
        app.state.jobs = start_in_process_jobs(settings, db.jobs_sessionmaker)
        try:
            yield
        finally:
            pool_sampler.cancel()
            if app.state.jobs is not None:
                await app.state.jobs.stop()
            await background.drain()  # let in-flight settlements finish before closing the DB
            await app.state.memory.aclose()  # finish queued memory writes (or keep them)
            await llm.aclose()
            await moderation.aclose()
            await app.state.market.aclose()
            if redis is not None:
                await redis.aclose()
            if isinstance(verifier, FirebaseTokenVerifier):
                verifier.close()
            await db.dispose()

    app = FastAPI(
        title="Companion API",
        version="0.1.0",
        description=(
            "Backend of an AI companion platform: characters, chat billed in credits by the "
            "tokens used, wallets, market, and long-term memory for Premium and VIP. Errors are "
            '`{"error": {"code", "message", "details"}}` with a stable machine code.'
        ),
        lifespan=lifespan,
    )
    install_exception_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SkinMiddleware, registry=skins)  # X-App-Id and CORS per skin
    app.add_middleware(
        RequestContextMiddleware,
        log_requests=settings.REQUEST_LOG,
        metrics=settings.HTTP_METRICS,
    )

    # Routes are matched in order: the chat routes (the hot loop) first.
    app.include_router(chat_router)
    app.include_router(health_router)
    app.include_router(auth_router)
    if settings.auth_mode == "dev" and not settings.is_production:
        app.include_router(dev_router)
    app.include_router(characters_router)
    app.include_router(wallet_router)
    app.include_router(market_router)
    app.include_router(memory_router)
    return app


def _app_from_env() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, settings.LOG_JSON, settings.LOG_FLUSH_SECONDS)
    return create_app(settings.for_serving())  # for_serving: in-process jobs without Redis


app = _app_from_env()
