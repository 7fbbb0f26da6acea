"""QuotaHit audit module."""
