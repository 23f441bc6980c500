"""Promotion gates: evidence + approvals + waivers + policy → a decision per stage."""
