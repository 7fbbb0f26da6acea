"""QuotaHit public pages: landing and not-found."""
