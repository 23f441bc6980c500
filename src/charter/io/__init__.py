"""Plumbing with one implementation each: git (:mod:`.git`) and the file system (:mod:`.fs`)."""
