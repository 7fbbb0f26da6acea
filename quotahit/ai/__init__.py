"""QuotaHit ai module: the provider layer every AI feature calls."""
