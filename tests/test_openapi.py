"""The OpenAPI document lists every endpoint with its schemas and error responses."""

from __future__ import annotations

from tests.helpers import Api


async def test_openapi_lists_every_endpoint_with_schemas_and_errors(api: Api) -> None:
    r = await api.client.get("/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    paths = spec["paths"]
    for route in api.app.routes:
        path = getattr(route, "path", "")
        if path.startswith(("/api/", "/health")) and getattr(route, "include_in_schema", True):
            assert path in paths, f"{path} missing from OpenAPI"
    for path, ops in paths.items():
        for method, op in ops.items():
            assert op.get("description") or op.get("summary"), f"{method} {path} has no text"
            assert "200" in op["responses"] or "201" in op["responses"] or "204" in op["responses"]
            if path.startswith("/api/v1/") and method in ("post", "put", "patch", "delete"):
                assert "422" in op["responses"], f"{method} {path} documents no 422"
    completions = paths["/api/v1/chat/completions"]["post"]
    for status in ("402", "404", "422", "502", "503", "504"):
        assert status in completions["responses"], status
    assert "text/event-stream" in completions["responses"]["200"]["content"]
    assert "ErrorResponse" in spec["components"]["schemas"]
    for page in ("/docs", "/redoc"):
        assert (await api.client.get(page)).status_code == 200
