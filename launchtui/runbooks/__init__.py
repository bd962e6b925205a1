"""Incident runbooks: ordered steps over probes, with a verdict naming the likely cause."""
