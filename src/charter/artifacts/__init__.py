"""Every file and JSON output Charter persists or publishes, as one versioned pydantic model each.

============================  ==========================================  ==================
Artifact                      Model                                       Published schema
============================  ==========================================  ==================
evidence record               :class:`.record.EvidenceRecord`             evidence-record
ledger entry (run, decision)  :class:`.ledger.LedgerEntry`, ``RunEntry``  ledger-entry
gate decision                 :class:`.decision.DecisionRecord`           gate-decision
``charter show --format json``  :class:`.show.ShowReport`                 show
``charter diff --format json``  :class:`.diff.DiffReport`                 diff
============================  ==========================================  ==================

One key style on disk: snake_case. Each model has a ``schema_version`` checked
on read (:mod:`.versioning`): a newer one asks to upgrade Charter, an older one
that cannot be read says how to re-record it.
"""
