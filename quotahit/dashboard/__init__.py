"""QuotaHit dashboard module."""
