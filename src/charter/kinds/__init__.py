"""Kinds: each runner kind and each requirement kind lives in one module, registered in one table."""
