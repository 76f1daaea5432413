"""/api/v1/market: products, purchases, subscriptions, payment webhooks."""

from __future__ import annotations

from fastapi import APIRouter

from app.market.catalog import PRODUCTS
from app.market.schemas import ProductList, ProductOut

router = APIRouter(prefix="/api/v1/market", tags=["market"])


@router.get("/products", response_model=ProductList)
async def list_products() -> ProductList:
    """Credit packages and subscription plans, with prices, credits and bonus credits."""
    products = [ProductOut.of(p) for p in PRODUCTS.values()]
    return ProductList(
        credit_packages=[p for p in products if p.kind == "credits"],
        plans=[p for p in products if p.kind == "subscription"],
    )
