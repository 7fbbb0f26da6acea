"""Tests: unit/providers."""
