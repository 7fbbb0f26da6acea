"""QuotaHit team module: members and invitations."""
