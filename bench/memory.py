"""Memory benchmark: embedding throughput on the CPU, and retrieval latency in one user's
namespace of the embedded ChromaDB at 1k, 10k and 100k memories.

    python -m bench.memory                      # the full run (a few minutes on 2 cores)
    python -m bench.memory --sizes 1000 10000   # quicker

Figures printed:
- embedding: texts/s of the bundled all-MiniLM-L6-v2 (batches of 64), 1 and 2 PyTorch threads,
  and the latency of one query embedding;
- store query p50/p95 (top 30 of the user's namespace, the character filter on: what
  build_context asks), excluding and including the query embedding;
- build_context p50/p95 end to end, Premium and VIP (VIP adds its SQL reads, stale filter and
  MMR), at the sizes up to 10k.
Memories are synthetic chat lines from templates. Up to --real of them (default 10,000) are
embedded for real; larger namespaces are filled with those vectors plus small noise, so the
index holds realistic clusters without hours of embedding.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

NAMES = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Greta", "Hugo", "Ines", "Jonas"]
PLACES = ["Lisbon", "Berlin", "Osaka", "Toronto", "Nairobi", "Lyon", "Dublin", "Quito", "Oslo"]
THINGS = [
    "my garden",
    "the new job",
    "my sister",
    "the cat",
    "our trip",
    "the exam",
    "my bike",
    "the concert",
    "my back pain",
    "the landlord",
    "a recipe",
    "the weather",
    "my project",
]
VERBS = ["loved", "hated", "talked about", "worried about", "laughed at", "finished", "started"]
TIMES = ["yesterday", "last week", "this morning", "on Sunday", "in May", "at night", "today"]
TEMPLATES = [
    "I {verb} {thing} {time}, honestly.",
    "{name} and I {verb} {thing} {time}.",
    "We went to {place} {time} and {verb} {thing}.",
    "Do you remember when {name} {verb} {thing} in {place}?",
    "{time} I {verb} {thing}; {name} thinks I'm crazy.",
    "My friend {name} from {place} {verb} {thing}.",
]
QUERIES = [
    "What did I say about my sister?",
    "Where did we go on our trip?",
    "Who thinks I'm crazy?",
    "What happened with the landlord?",
    "Do you remember my friend from Osaka?",
    "How is my garden doing?",
    "What did I finish last week?",
    "Tell me about the concert.",
]


def synthetic(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        t = rnd.choice(TEMPLATES)
        out.append(
            t.format(
                name=rnd.choice(NAMES),
                place=rnd.choice(PLACES),
                thing=rnd.choice(THINGS),
                verb=rnd.choice(VERBS),
                time=rnd.choice(TIMES),
            )
            + f" ({i})"
        )
    return out


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    import chromadb
    import sentence_transformers
    import torch

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem} RAM, load {load[0]:.2f}; "
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"sentence-transformers {sentence_transformers.__version__}, "
        f"chromadb {chromadb.__version__}"
    )


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def fmt(values: list[float]) -> str:
    return f"p50 {statistics.median(values):7.2f} ms   p95 {pct(values, 95):7.2f} ms"


async def run(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    from app.memory.embeddings import LocalEmbedder, create_embedder
    from app.settings import Settings

    print("machine:", machine())
    embedder = create_embedder(Settings(_env_file=None))
    assert isinstance(embedder, LocalEmbedder)
    embedder.warm_up()

    # ------------------------------------------------------------- embedding throughput
    sample = synthetic(2048, seed=1)
    print("\nembedding (all-MiniLM-L6-v2, CPU, batches of 64)")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        await embedder.embed(sample[:64])
        t = time.perf_counter()
        await embedder.embed(sample)
        rate = len(sample) / (time.perf_counter() - t)
        singles = []
        for q in QUERIES * 8:
            t = time.perf_counter()
            await embedder.embed([q])
            singles.append((time.perf_counter() - t) * 1000)
        print(f"  {threads} thread(s): {rate:8.0f} texts/s   one query: {fmt(singles)}")
    torch.set_num_threads(1)  # the app's default (EMBEDDING_CPU_THREADS=1)

    # ------------------------------------------------------------- vectors for the namespace
    biggest = max(args.sizes)
    n_real = min(args.real, biggest)
    texts = synthetic(biggest)
    t = time.perf_counter()
    real = np.array(await embedder.embed(texts[:n_real]), dtype=np.float32)
    print(f"\nembedded {n_real} memories in {time.perf_counter() - t:.1f} s")
    rng = np.random.default_rng(3)
    if biggest > n_real:
        extra = real[rng.integers(0, n_real, biggest - n_real)]
        extra = extra + rng.normal(0, 0.05, extra.shape).astype(np.float32)
        extra /= np.linalg.norm(extra, axis=1, keepdims=True)
        vectors = np.concatenate([real, extra])
    else:
        vectors = real
    query_vectors = await embedder.embed(QUERIES)

    await store_and_context(args, embedder, texts, vectors, query_vectors)


async def store_and_context(
    args: argparse.Namespace,
    embedder: Any,
    texts: list[str],
    vectors: Any,
    query_vectors: list[list[float]],
) -> None:
    from alembic import command

    from app.kit.db import create_database
    from app.memory.records import QueryFilter, VectorRecord
    from app.memory.service import create_memory_service
    from app.memory.stores.chroma import ChromaStore
    from app.models import MemoryFact, User
    from app.settings import Settings
    from tests.conftest import alembic_config

    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    db_url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    await asyncio.to_thread(command.upgrade, alembic_config(db_url), "heads")

    print("\nretrieval in one user's namespace (embedded ChromaDB, top 30, character filter)")
    for size in sorted(args.sizes):
        folder = workdir / f"chroma-{size}"
        settings = Settings(_env_file=None, DATABASE_URL=db_url, CHROMA_PATH=str(folder))
        store = ChromaStore(path=str(folder), url=None, embedding_model=embedder.model)
        db = await create_database(settings)
        async with db.sessionmaker() as session:
            users = {}
            for tier in ("premium", "vip"):
                user = User(firebase_uid=f"bench-{uuid.uuid4().hex}", tier=tier)
                session.add(user)
                users[tier] = user
            await session.commit()
        now = time.time()
        t = time.perf_counter()
        for tier, user in users.items():
            if tier == "vip" and size > 10_000:
                continue
            records = [
                VectorRecord(
                    id=f"{uuid.uuid4()}:0",
                    vector=vectors[i].tolist(),
                    user_id=user.id,
                    session_id=uuid.UUID(int=i % 200),
                    message_id=uuid.uuid4(),
                    character_id="luna" if i % 4 else "kai",
                    role="user" if i % 2 else "assistant",
                    content=texts[i],
                    timestamp=now - (size - i) * 60,
                    kind="message",
                    embedding_model=embedder.model,
                )
                for i in range(size)
            ]
            for start in range(0, size, 2000):
                await store.upsert(user.id, records[start : start + 2000])
        print(f"  {size:>7} memories: ingested in {time.perf_counter() - t:6.1f} s")
        user_id = users["premium"].id
        flt = QueryFilter(embedding_model=embedder.model, character_id="luna", kinds=("message",))
        for qv in query_vectors:  # warm the index
            await store.query(user_id, qv, top_k=30, flt=flt)
        bare, full = [], []
        for _ in range(args.repeat):
            for q, qv in zip(QUERIES, query_vectors, strict=True):
                t0 = time.perf_counter()
                await store.query(user_id, qv, top_k=30, flt=flt)
                bare.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                v = (await embedder.embed([q]))[0]
                await store.query(user_id, v, top_k=30, flt=flt)
                full.append((time.perf_counter() - t0) * 1000)
        print(f"    query, without embedding: {fmt(bare)}")
        print(f"    query, with embedding:    {fmt(full)}")

        if size <= 10_000:
            memory = create_memory_service(settings, db.sessionmaker)
            memory.store = store
            if memory.indexer is not None:
                memory.indexer.store = store
            async with db.sessionmaker() as session:
                vip = users["vip"]
                for i in range(40):
                    session.add(
                        MemoryFact(
                            user_id=vip.id,
                            character_id="luna",
                            key=f"bench.fact{i}",
                            category="other",
                            value=f"value {i}",
                            statement=f"The user mentioned detail number {i}.",
                            status="current" if i % 2 else "superseded",
                            source="rules",
                            observed_at=dt.datetime.now(dt.UTC),
                        )
                    )
                await session.commit()
            for tier in ("premium", "vip"):
                user = users[tier]
                timings = []
                for _ in range(args.repeat):
                    for q in QUERIES:
                        t0 = time.perf_counter()
                        await memory.build_context(
                            user_id=user.id,
                            tier=tier,
                            session_id=uuid.uuid4(),
                            character_id="luna",
                            query=q,
                            recent_texts=texts[:20],
                            token_budget=600,
                        )
                        timings.append((time.perf_counter() - t0) * 1000)
                print(f"    build_context ({tier:>7}): {fmt(timings)}")
            await memory.aclose()
        else:
            await store.aclose()
        await db.dispose()
    print(f"\n(work folder: {workdir})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--real", type=int, default=10_000, help="memories embedded for real")
    parser.add_argument("--repeat", type=int, default=25, help="rounds of the 8 queries")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
