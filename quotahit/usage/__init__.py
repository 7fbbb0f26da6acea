"""QuotaHit usage module: metering every provider call."""
