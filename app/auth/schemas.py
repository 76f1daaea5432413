from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.billing.schemas import Balance


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_token: str = Field(min_length=1, max_length=8192, description="A Firebase ID token.")


class UserProfile(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    display_name: str | None
    tier: str
    tier_expires_at: dt.datetime | None
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class LoginResponse(BaseModel):
    user: UserProfile
    balance: Balance
    created: bool = Field(description="True when this login created the account.")


class MeResponse(BaseModel):
    user: UserProfile
    balance: Balance


class DevTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    display_name: str | None = Field(None, max_length=100)
    uid: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="Defaults to one derived from the email, so the same email is the same user.",
    )


class DevTokenResponse(BaseModel):
    id_token: str
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_at: dt.datetime
