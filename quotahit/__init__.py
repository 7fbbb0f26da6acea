"""QuotaHit: AI sales coaching, practice, call analysis and outbound automation."""
