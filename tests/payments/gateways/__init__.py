"""Tests of the instrument gateways' books."""
