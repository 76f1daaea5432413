"""/metrics: Prometheus exposition that prometheus-client's own parser reads."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import Api


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def value(data: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(
        v for lab, v in data.get(name, []) if all(lab.get(k) == x for k, x in labels.items())
    )


async def test_scrape_parses_and_counts_what_users_wait_on(api: Api) -> None:
    before = samples((await api.client.get("/metrics")).text)
    user = await api.new_user()
    session = await api.new_session(user)
    r = await api.chat(user, session["id"], "Hello, how are you?")
    charged = r.json()["credits_charged_micro"]
    await api.client.get("/api/v1/nope")
    r = await api.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    after = samples(r.text)
    route = "/api/v1/chat/completions"
    assert (
        value(after, "http_requests_total", route=route, status="200")
        - value(before, "http_requests_total", route=route, status="200")
        == 1
    )
    assert value(after, "http_request_duration_seconds_count", route=route) >= 1
    assert value(after, "http_requests_total", route="unmatched", status="404") >= 1
    assert (
        value(after, "credits_charged_micro_total", tier="free")
        - value(before, "credits_charged_micro_total", tier="free")
        == charged
    )
    assert value(after, "llm_requests_total", provider="offline", outcome="ok") > value(
        before, "llm_requests_total", provider="offline", outcome="ok"
    )
    assert value(after, "llm_tokens_total", kind="completion") > 0
    assert value(after, "chat_active_sessions") >= 1
    assert "llm_request_duration_seconds_bucket" in after
