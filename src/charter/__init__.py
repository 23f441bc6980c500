"""Charter: governance-as-code for an organisation's ML and AI use cases."""

__version__ = "0.1.0"
