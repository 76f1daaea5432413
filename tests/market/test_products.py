from __future__ import annotations

from tests.helpers import Api


async def test_products_list_the_packages_and_plans(api: Api) -> None:
    r = await api.client.get("/api/v1/market/products")
    assert r.status_code == 200
    body = r.json()
    packages = {p["id"]: (p["credits"], p["price"]) for p in body["credit_packages"]}
    assert packages == {
        "credits_10": ("10.000000", "0.99"),
        "credits_50": ("50.000000", "4.99"),
        "credits_100": ("100.000000", "8.99"),
        "credits_500": ("550.000000", "39.99"),
        "credits_1000": ("1200.000000", "69.99"),
    }
    plans = {p["id"]: (p["tier"], p["bonus_credits"], p["price"]) for p in body["plans"]}
    assert plans == {
        "premium_monthly": ("premium", "200.000000", "9.99"),
        "premium_yearly": ("premium", "2500.000000", "99.99"),
        "vip_monthly": ("vip", "1000.000000", "29.99"),
        "vip_yearly": ("vip", "13000.000000", "299.99"),
    }
