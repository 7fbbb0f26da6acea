"""QuotaHit providers module."""
