"""QuotaHit outbox module."""
