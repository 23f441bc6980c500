"""Kinds: each kind of thing a spec can declare lives in one module, registered in one table.

``kinds.runners`` holds one module per runner kind (its spec model, what it
reads, what it depends on, its cross-reference checks, its run function, its
typed result and how ``charter show`` prints it); ``kinds.requirements`` one
module per requirement kind (its spec model, cross-reference check, loosening
rule, description, location and judge). The planner, the validator, the
executor, the gates, ``show``, ``diff`` and the site dispatch through them.

Nothing here imports the planner, the validator or the CLI, and nothing heavy:
a kind imports pandas, scikit-learn, pandera or torch only inside ``run``.
"""
