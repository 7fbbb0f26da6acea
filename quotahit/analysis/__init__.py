"""QuotaHit analysis module: measured call metrics and AI coaching scores."""
