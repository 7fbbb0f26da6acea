"""Tests: unit/fakes."""
