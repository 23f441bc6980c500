"""Runner kind ``text-linear-probe``: a frozen pre-trained encoder plus a linear head.

Everything but the training method is :mod:`.text_finetune`'s: the same spec
model, checks, evidence-id parts and result.
"""

from __future__ import annotations

from .text_finetune import TextFinetune


class TextLinearProbe(TextFinetune):
    name = "text-linear-probe"
    description = "Frozen transformer encoder plus a linear head (torch)."
    result_version = "1"
    method = "linear_probe"


KIND = TextLinearProbe()
