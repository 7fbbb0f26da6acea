"""QuotaHit keys module: the bring-your-own-key vault."""
