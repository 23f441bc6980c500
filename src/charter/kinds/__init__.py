"""Kinds: each kind of thing a spec can declare lives in one module.

``kinds.runners`` holds one module per runner kind (its spec model, what it
reads, what it depends on, its cross-reference checks, its run function, its
typed result and how ``charter show`` prints it) and the one table the planner,
the validator, the executor, ``show`` and the site dispatch through.

Nothing here imports the planner, the validator or the CLI, and nothing heavy:
a kind imports pandas, scikit-learn, pandera or torch only inside ``run``.
"""
