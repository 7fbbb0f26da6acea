"""Voice practice: mode, engine, patience, coaching, opt-in audio, context and end of a call.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:55:52.368119
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mode",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="text",
            )
        )
        batch_op.add_column(
            sa.Column("engine", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("patience_s", sa.Float(), nullable=False, server_default="6"))
        batch_op.add_column(
            sa.Column("coaching", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("keep_audio", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("context_json", sa.Text(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("duration_s", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_session", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
        batch_op.drop_column("duration_s")
        batch_op.drop_column("context_json")
        batch_op.drop_column("keep_audio")
        batch_op.drop_column("coaching")
        batch_op.drop_column("patience_s")
        batch_op.drop_column("engine")
        batch_op.drop_column("mode")
