"""The floor for the chat route: a bare FastAPI POST endpoint on the same models.

    uvicorn bench.bare_app:app --workers 1 --loop uvloop --http httptools --log-level warning

POST /bare parses a body of the same shape as a chat completion request with the app's own
Pydantic model (app.chat.schemas.CompletionRequest, validators included) and returns the app's
CompletionResponse with content of the same size as a real reply: FastAPI's request parsing,
validation and response-model serialization, and nothing else (no auth, middleware, database,
Redis or model call). bench/chat_overhead.py divides the chat route's requests/s by this one's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from fastapi import FastAPI

from app.chat.schemas import CompletionRequest, CompletionResponse, MessageOut, UsageOut

app = FastAPI(title="bare")

# The same reply the loopback upstream gives (bench/upstream.py, 20 words).
REPLY = "The sky is clear enough to see Orion over the harbour, so grab a coat and come to the roof"


@app.post("/bare", response_model=CompletionResponse)
async def bare(body: CompletionRequest) -> CompletionResponse:
    """Echo a completion-shaped answer: parse, validate, build and serialize, nothing else."""
    now = dt.datetime.now(dt.UTC)
    return CompletionResponse(
        session_id=body.session_id,
        user_message=MessageOut(
            id=uuid.uuid4(),
            role="user",
            content=body.message,
            status="complete",
            token_count=len(body.message) // 3 + 1,
            created_at=now,
        ),
        message=MessageOut(
            id=uuid.uuid4(),
            role="assistant",
            content=REPLY,
            status="complete",
            token_count=20,
            credits_charged=Decimal("0.081400"),
            created_at=now,
        ),
        usage=UsageOut(prompt_tokens=794, completion_tokens=20, total_tokens=814),
        credits_charged=Decimal("0.081400"),
        credits_charged_micro=81400,
        balance_available=Decimal("999.537200"),
        model="bench-model",
        finish_reason="stop",
    )
