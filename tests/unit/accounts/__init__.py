"""Tests: unit/accounts."""
