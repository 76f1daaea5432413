"""A loopback server that speaks Pinecone's data-plane REST protocol for one dense index.

Enough of the protocol for the official SDK to run unchanged against it: upsert, query (with
metadata filters), delete (by ids, by filter, everything in a namespace), fetch, list and
describe_index_stats, with namespaces, the index dimension enforced and the Api-Key checked.
Scores are cosine similarities computed exactly (no approximate index). Tests read back the
requests it received.
"""

from __future__ import annotations

import math
import time
from typing import Any

import orjson
from aiohttp import web

from tests.fakes.loopback import serve


def _error(status: int, code: int, message: str) -> web.Response:
    return web.Response(
        body=orjson.dumps({"code": code, "message": message, "details": []}),
        status=status,
        content_type="application/json",
    )


def matches_filter(metadata: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    """Pinecone's metadata filter language: $eq $ne $gt $gte $lt $lte $in $nin $exists $and
    $or; a bare value means $eq; several keys in one object are ANDed."""
    if not flt:
        return True
    for key, cond in flt.items():
        if key == "$and":
            if not all(matches_filter(metadata, c) for c in cond):
                return False
            continue
        if key == "$or":
            if not any(matches_filter(metadata, c) for c in cond):
                return False
            continue
        if not isinstance(cond, dict):
            cond = {"$eq": cond}
        present = key in metadata
        value = metadata.get(key)
        for op, arg in cond.items():
            ok: bool
            if op == "$eq":
                ok = present and (arg in value if isinstance(value, list) else value == arg)
            elif op == "$ne":
                ok = not present or value != arg
            elif op == "$in":
                ok = present and value in arg
            elif op == "$nin":
                ok = not present or value not in arg
            elif op == "$exists":
                ok = present == bool(arg)
            elif op in ("$gt", "$gte", "$lt", "$lte"):
                if not present or not isinstance(value, int | float):
                    ok = False
                elif op == "$gt":
                    ok = value > arg
                elif op == "$gte":
                    ok = value >= arg
                elif op == "$lt":
                    ok = value < arg
                else:
                    ok = value <= arg
            else:
                raise ValueError(f"unsupported filter operator {op}")
            if not ok:
                return False
    return True


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


class FakePinecone:
    def __init__(self, *, dimension: int, api_key: str = "pc-test-key") -> None:
        self.dimension = dimension
        self.api_key = api_key
        # namespace -> id -> {"id", "values", "metadata"}
        self.namespaces: dict[str, dict[str, dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.fail_next: int = 0  # answer this many next requests with 503
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[self._middleware])
        app.router.add_post("/vectors/upsert", self._upsert)
        app.router.add_post("/query", self._query)
        app.router.add_post("/vectors/delete", self._delete)
        app.router.add_get("/vectors/fetch", self._fetch)
        app.router.add_get("/vectors/list", self._list)
        app.router.add_post("/describe_index_stats", self._stats)
        app.router.add_delete("/namespaces/{namespace}", self._delete_namespace)
        self._runner, self.url = await serve(app, host, port)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def ids(self, namespace: str) -> set[str]:
        return set(self.namespaces.get(namespace, {}))

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "body": orjson.loads(body) if body else None,
                "at": time.time(),
            }
        )
        if request.headers.get("Api-Key") != self.api_key:
            return _error(401, 16, "Invalid API Key")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(503, 14, "scripted outage")
        response: web.StreamResponse = await handler(request)
        return response

    async def _json(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        data: dict[str, Any] = orjson.loads(raw) if raw else {}
        return data

    @staticmethod
    def _ok(payload: dict[str, Any]) -> web.Response:
        return web.Response(body=orjson.dumps(payload), content_type="application/json")

    async def _upsert(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        ns = body.get("namespace", "")
        vectors = body.get("vectors") or []
        for v in vectors:
            if len(v.get("values") or []) != self.dimension:
                return _error(
                    400,
                    3,
                    f"Vector dimension {len(v.get('values') or [])} does not match the "
                    f"dimension of the index {self.dimension}",
                )
            for value in (v.get("metadata") or {}).values():
                if value is None:
                    return _error(400, 3, "Metadata values must not be null")
        space = self.namespaces.setdefault(ns, {})
        for v in vectors:
            space[v["id"]] = {
                "id": v["id"],
                "values": [float(x) for x in v["values"]],
                "metadata": dict(v.get("metadata") or {}),
            }
        return self._ok({"upsertedCount": len(vectors)})

    async def _query(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        ns = body.get("namespace", "")
        top_k = int(body["topK"])
        space = self.namespaces.get(ns, {})
        vector = body.get("vector")
        if vector is None and body.get("id") is not None:
            stored = space.get(body["id"])
            vector = stored["values"] if stored else None
        if vector is None:
            return _error(400, 3, "No query provided")
        if len(vector) != self.dimension:
            return _error(
                400,
                3,
                f"Query vector dimension {len(vector)} does not match the dimension of the "
                f"index {self.dimension}",
            )
        candidates = [
            v for v in space.values() if matches_filter(v["metadata"], body.get("filter"))
        ]
        scored = sorted(
            ((_cosine(vector, v["values"]), v) for v in candidates),
            key=lambda x: x[0],
            reverse=True,
        )[:top_k]
        matches = []
        for score, v in scored:
            match: dict[str, Any] = {"id": v["id"], "score": score, "values": []}
            if body.get("includeValues"):
                match["values"] = v["values"]
            if body.get("includeMetadata"):
                match["metadata"] = v["metadata"]
            matches.append(match)
        return self._ok(
            {"results": [], "matches": matches, "namespace": ns, "usage": {"readUnits": 1}}
        )

    async def _delete(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        ns = body.get("namespace", "")
        if body.get("deleteAll"):
            if ns not in self.namespaces:
                return _error(404, 5, "Namespace not found")
            self.namespaces[ns].clear()
            return self._ok({})
        space = self.namespaces.get(ns, {})
        if body.get("ids"):
            for vid in body["ids"]:
                space.pop(vid, None)
        elif body.get("filter"):
            for vid in [
                k for k, v in space.items() if matches_filter(v["metadata"], body["filter"])
            ]:
                del space[vid]
        else:
            return _error(400, 3, "Delete request needs ids, filter or deleteAll")
        return self._ok({})

    async def _delete_namespace(self, request: web.Request) -> web.Response:
        ns = request.match_info["namespace"]
        if self.namespaces.pop(ns, None) is None:
            return _error(404, 5, "Namespace not found")
        return self._ok({})

    async def _fetch(self, request: web.Request) -> web.Response:
        ns = request.query.get("namespace", "")
        ids = request.query.getall("ids", [])
        space = self.namespaces.get(ns, {})
        found = {i: space[i] for i in ids if i in space}
        return self._ok({"vectors": found, "namespace": ns, "usage": {"readUnits": 1}})

    async def _list(self, request: web.Request) -> web.Response:
        ns = request.query.get("namespace", "")
        prefix = request.query.get("prefix", "")
        limit = int(request.query.get("limit", "100"))
        start = int(request.query.get("paginationToken", "0") or 0)
        ids = sorted(i for i in self.namespaces.get(ns, {}) if i.startswith(prefix))
        page = ids[start : start + limit]
        payload: dict[str, Any] = {
            "vectors": [{"id": i} for i in page],
            "namespace": ns,
            "usage": {"readUnits": 1},
        }
        if start + limit < len(ids):
            payload["pagination"] = {"next": str(start + limit)}
        return self._ok(payload)

    async def _stats(self, request: web.Request) -> web.Response:
        namespaces = {
            ns: {"vectorCount": len(space)} for ns, space in self.namespaces.items() if space
        }
        return self._ok(
            {
                "namespaces": namespaces,
                "dimension": self.dimension,
                "indexFullness": 0.0,
                "totalVectorCount": sum(len(s) for s in self.namespaces.values()),
                "metric": "cosine",
                "vectorType": "dense",
            }
        )
