"""QuotaHit accounts module."""
