"""Execution backends of the runner kinds: one module per runner, each a pure function of its declared inputs.

Which runner exists, what it reads and how it is checked is the business of
:mod:`charter.kinds.runners`; a kind imports its backend here by name when a job
runs. Each backend exposes ``run(ctx: JobContext) -> JobOutput`` (see :mod:`.base`)
and returns its kind's typed result model. This package imports nothing heavy: a
backend imports pandas, scikit-learn, pandera or torch only when it runs.
"""
