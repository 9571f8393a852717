"""The tables, as SQLAlchemy Core. The schema itself is created by Alembic migrations
(``store/migrations``); this module only describes it for queries."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

humans = Table(
    "humans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("totp_secret", String(64), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("last_totp_step", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
)

human_sessions = Table(
    "human_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("human_id", Integer, ForeignKey("humans.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("at", Float, nullable=False),
)

agent_tokens = Table(
    "agent_tokens", metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("agent", String(128), nullable=False),
    Column("scope", String(128), nullable=True),
    Column("owner", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    # added by migration 0002_broker (airlock.broker.tokens): JSON list of allow patterns
    # (NULL: no API grants) and the token this one was attenuated from.
    Column("allow", Text, nullable=True),
    Column("parent_id", String(32), nullable=True),
)

provider_secrets = Table(
    "provider_secrets", metadata,
    Column("name", String(128), primary_key=True),
    Column("ciphertext", Text, nullable=False),  # Fernet token; the key is not in the DB
    Column("created_at", Float, nullable=False),
    Column("created_by", String(64), nullable=False),
)

requests = Table(
    "requests", metadata,
    Column("id", String(32), primary_key=True),
    Column("agent", String(128), nullable=False),
    Column("owner", String(64), nullable=True),
    Column("token_id", String(32), nullable=True),
    Column("fingerprint", String(64), nullable=False, index=True),
    Column("action_json", Text, nullable=False),
    Column("decision_json", Text, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("confirm_name", Text, nullable=False),
    Column("environment", String(128), nullable=False),
    Column("required_approvers", Integer, nullable=False),
    Column("cooldown_seconds", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("pending_until", Float, nullable=False),
    Column("cooldown_until", Float, nullable=True),
    Column("expires_at", Float, nullable=True),
    Column("claimed_at", Float, nullable=True),
    Column("ended_by", String(64), nullable=True),
)

approvals = Table(
    "approvals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(32), ForeignKey("requests.id"), nullable=False, index=True),
    Column("human_id", Integer, ForeignKey("humans.id"), nullable=False),
    Column("username", String(64), nullable=False),
    Column("at", Float, nullable=False),
    UniqueConstraint("request_id", "human_id", name="uq_approval_once_per_human"),
)

ledger = Table(
    "ledger", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("request_id", String(32), nullable=True, index=True),
    Column("actor", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

ledger_head = Table(
    "ledger_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

checkpoints = Table(
    "ledger_checkpoints", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)
