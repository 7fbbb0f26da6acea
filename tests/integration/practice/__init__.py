"""Tests: integration of the practice module with the real embedding model."""
