"""broker: token grants (allow patterns, parent for attenuation), provider secrets

Revision ID: 0002_broker
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_broker"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agent_tokens", sa.Column("allow", sa.Text, nullable=True))
    op.add_column("agent_tokens", sa.Column("parent_id", sa.String(32), nullable=True))
    op.create_table(
        "provider_secrets",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("provider_secrets")
    with op.batch_alter_table("agent_tokens") as batch:
        batch.drop_column("parent_id")
        batch.drop_column("allow")
