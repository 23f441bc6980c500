"""Job models of the generative runner kinds (``generative-eval``, ``generative-compare``).

They join the ``Job`` union in :mod:`charter.spec.usecase`. An eval set and each
system version's recorded outputs are data sources (JSONL files pinned by
sha256); the system version that produced the outputs is declared here so that
it enters the evidence id and the record.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .common import Id, Model, NonEmpty, Number, Sha256, Text

Scalar = str | int | float | bool | None


class SystemVersion(Model):
    """What produced a recorded-outputs file: every part of it that can change an answer."""

    model: NonEmpty
    """Model id as the provider names it (every output line must record the same)."""
    prompt_version: NonEmpty
    """Prompt version label (every output line must record the same)."""
    prompt_template_sha256: Sha256
    """sha256 of the prompt template text."""
    decoding: dict[NonEmpty, Scalar] = {}
    """Decoding parameters: temperature, topP, maxTokens..."""
    retrieval_snapshot: NonEmpty | None = None
    """Identifier of the retrieval index snapshot the contexts came from."""


class SystemOutputs(Model):
    outputs: Id
    """Data source holding the recorded outputs (JSONL: id, output, latencyMs, inputTokens, outputTokens, model, promptVersion, error)."""
    system: SystemVersion


class Grounding(Model):
    """How an answer sentence counts as supported by the retrieved context."""

    similarity_threshold: Number = Field(default=0.6, gt=0, le=1)
    """Cosine similarity (MiniLM sentence embeddings) to the closest context sentence."""
    overlap_threshold: Number = Field(default=0.6, gt=0, le=1)
    """Share of the sentence's content words found in the context."""
    rule: Literal["either", "both", "embedding", "lexical"] = "either"
    """A sentence is supported when either test passes, both do, or only the one named."""


class ReviewSample(Model):
    """The stratified sample of eval items given to reviewers (drawn reproducibly by Charter)."""

    size: int = Field(gt=0)
    strata: list[NonEmpty] = []
    """Slice keys whose value combinations are sampled in proportion."""
    seed: int = 0


class HumanReview(Model):
    ratings: Id
    """Data source of ratings (JSONL: id, reviewer, rating)."""
    sample: ReviewSample
    scale: list[int] = Field(default=[1, 2, 3, 4, 5], min_length=2)
    """Allowed rating values."""
    min_kappa: Number | None = Field(default=None, ge=-1, le=1)
    """Inter-rater agreement below this makes the mean rating undefined (ratings do not count)."""


class Bootstrap(Model):
    replicates: int = Field(default=1000, ge=0, le=100_000)
    confidence: Number = Field(default=0.95, gt=0, lt=1)
    seed: int = 0


class _GenJob(Model):
    id: Id
    description: Text | None = None


class GenerativeEvalJob(_GenJob):
    """Evaluate a generative system's recorded outputs: quality, groundedness, format, safety, operations, review."""

    runner: Literal["generative-eval"]
    eval_set: Id
    """Data source of the eval set (JSONL: id, input, context, references, slices, groups, format)."""
    red_team: Id | None = None
    """Eval set of attacks (each item with a `category`); every answer should be a refusal."""
    benign: Id | None = None
    """Eval set of legitimate requests near the refusal boundary; none should be refused."""
    candidate: SystemOutputs
    encoder: Id = "all-minilm-l6-v2"
    """Allowlisted model source used for semantic similarity and groundedness."""
    grounding: Grounding = Grounding()
    output_schema: dict[NonEmpty, Any] | None = None
    """JSON Schema every output of an item with `format: json` must satisfy."""
    slices: list[NonEmpty] | None = None
    """Slice keys reported (default: every key found in the eval set)."""
    groups: list[NonEmpty] | None = None
    """Group attributes reported (default: every key found)."""
    review: HumanReview | None = None
    currency: NonEmpty = "EUR"
    bootstrap: Bootstrap = Bootstrap()


class GenerativeCompareJob(_GenJob):
    """Champion against challenger on the same eval set, item by item, with paired significance tests."""

    runner: Literal["generative-compare"]
    eval_set: Id
    red_team: Id | None = None
    """Red-team suite both versions answered (attack success is compared too)."""
    benign: Id | None = None
    """Benign suite both versions answered (over-refusal is compared too)."""
    champion: SystemOutputs
    challenger: SystemOutputs
    encoder: Id = "all-minilm-l6-v2"
    grounding: Grounding = Grounding()
    output_schema: dict[NonEmpty, Any] | None = None
    alpha: Number = Field(default=0.05, gt=0, lt=1)
    """Significance level of the paired tests."""
    currency: NonEmpty = "EUR"
    bootstrap: Bootstrap = Bootstrap()


class ChatCompletionsJob(_GenJob):
    """Produce recorded outputs by calling an OpenAI-compatible chat endpoint declared under `governance/`.

    The spec names the endpoint by its key; the base URL comes from the environment or the
    allowlist's `endpoints`, never from a use case, and so does the name of the variable
    holding the API key. The outputs are written, once every item is answered, as the
    job's `outputs` artifact in the format `generative-eval` reads.
    """

    runner: Literal["chat-completions"]
    endpoint: Id
    """Key of an endpoint declared in the allowlist's `endpoints`."""
    eval_sets: list[Id] = Field(min_length=1)
    """Data sources whose items are sent (eval set, red-team and benign suites); ids must be unique across them."""
    prompt_template: Id
    """Data source holding the prompt template; its sha256 must be the system's `promptTemplateSha256`.
    `{{context}}` and `{{input}}` are replaced by the item's; a template without `{{input}}` is sent
    as the system message, followed by the item's input as the user message."""
    system: SystemVersion
    """The system version the outputs are recorded as (model id sent to the endpoint, decoding parameters)."""
    budget: Number = Field(gt=0)
    """Most the run may spend, in the currency of the model's price under `governance/`. Before every
    request the worst case (input bytes as tokens, `maxTokens` output tokens) is checked against what
    is left: the run stops before it could exceed the budget."""
