"""Tests: integration/accounts."""
