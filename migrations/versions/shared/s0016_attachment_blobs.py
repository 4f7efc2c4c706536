"""Attachments' bytes (附件内容), kept once for every level: ``public.attachment_blobs``, by SHA-256.

Revision ID: s0016
Revises: s0015
Create Date: 2026-12-03

A town's reply photo is read by the town, the district and the city reviewers: each level keeps its own
``attachments`` row (its order, who sent it) and every row points here by the content's SHA-256, so the bytes
travel in no message and are stored once however many levels, orders or uploads name them. No foreign key from
the tenants' rows: one per tenant schema would put thousands of triggers on this table.

Revises s0014: s0015 is reserved for the seat's work (issue 27); if it lands first, this one follows it.
The bytes are stored uncompressed out of line (STORAGE EXTERNAL): photos and Office files are compressed
already, and PostgreSQL's attempt would only cost CPU.
"""

from alembic import op

revision = "s0016"
down_revision = "s0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE public.attachment_blobs (
          sha256 text NOT NULL,
          content bytea NOT NULL,
          size_bytes bigint NOT NULL,
          content_type text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_attachment_blobs PRIMARY KEY (sha256),
          CONSTRAINT ck_attachment_blobs_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$'),
          CONSTRAINT ck_attachment_blobs_size CHECK (size_bytes = octet_length(content))
        )""")
    op.execute("ALTER TABLE public.attachment_blobs ALTER COLUMN content SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("DROP TABLE public.attachment_blobs")
