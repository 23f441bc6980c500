"""`charter approve` edits specs people wrote: their layout must survive."""

from __future__ import annotations

from charter.editing import append_approval


def test_blank_line_before_the_next_key_stays_there() -> None:
    text = "id: x\napprovals: []\n\nwaivers:\n  - a: 1\n"
    once = append_approval(text, {"stage": "p", "by": "a"})
    twice = append_approval(once, {"stage": "p", "by": "b"})
    assert twice == ("id: x\napprovals:\n  - stage: p\n    by: a\n  - stage: p\n    by: b\n\n"
                     "waivers:\n  - a: 1\n")


def test_comment_before_the_next_key_stays_there() -> None:
    text = "id: x\napprovals:\n  - stage: p\n    by: z\n\n# waivers below\nwaivers:\n  - a: 1\n"
    out = append_approval(text, {"stage": "p", "by": "b"})
    assert out.endswith("    by: b\n\n# waivers below\nwaivers:\n  - a: 1\n")
