"""Reporters: turn results into text for people and machines. They never print."""
