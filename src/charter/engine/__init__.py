"""The job engine: plan what each use case needs, run what is out of date, record evidence.

* :mod:`.plan` – pure planning: which jobs, in which order, under which evidence id;
* :mod:`.store` – evidence records (committed) and artifacts (local), written atomically;
* :mod:`.ledger` – the append-only, hash-chained ledger of runs and decisions;
* :mod:`.executor` – runs planned jobs on a swappable executor (a local process pool
  by default) and records their evidence.

Nothing here imports pandas, scikit-learn or torch at module level: planning and
cache look-ups stay fast; runners import what they need when they run.
"""

from __future__ import annotations
