"""QuotaHit admin module."""
