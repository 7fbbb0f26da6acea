"""QuotaHit brain module: what the local engine knows and understands without a language model."""
