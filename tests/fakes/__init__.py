"""Loopback fakes of the outside services QuotaHit talks to (real protocols on 127.0.0.1)."""
