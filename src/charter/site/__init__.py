"""The governance site: view model, pages, charts, exports and the MkDocs build.

``build_site(root)`` is what ``charter build`` runs: load the specs, read the
evidence and the gates' decisions, render every page to Markdown (Jinja2), and
build the static site with MkDocs-Material (offline, searchable, small at scale).
"""

from .build import BuildReport, SiteError, build_site

__all__ = ["BuildReport", "SiteError", "build_site"]
