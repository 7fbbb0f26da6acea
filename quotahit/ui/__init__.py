"""QuotaHit ui module."""
