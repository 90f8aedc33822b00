"""Tests of ecservice.satisfaction."""
