"""The "do we even need AI?" answer can be part of the definition requirement."""

from __future__ import annotations

from charter.gates.checks import judge_definition
from charter.spec.requirements import DefinitionRequirement


class _Ctx:
    def __init__(self, uc: object) -> None:
        self.uc = uc
        self.origin = "policy"


class _UC:
    def __init__(self, need: object) -> None:
        self.need_for_ai = need

    def definition_gaps(self) -> list[str]:
        return []


def test_need_for_ai_is_required_only_when_asked() -> None:
    plain = DefinitionRequirement(id="d", kind="definition")
    strict = DefinitionRequirement.model_validate({"id": "d", "kind": "definition", "needForAi": True})
    assert judge_definition(_Ctx(_UC(None)), plain).status == "pass"  # type: ignore[arg-type]
    out = judge_definition(_Ctx(_UC(None)), strict)  # type: ignore[arg-type]
    assert out.status == "fail" and "needForAi" in out.reason
    assert judge_definition(_Ctx(_UC(object())), strict).status == "pass"  # type: ignore[arg-type]
