"""The tagging pipeline: mask personal numbers, normalise, predict, attach evidence.

Text flows ``Call → masked Call → Turns → Predictions → Tags``. Masking comes first, so nothing
downstream (tagger, store, logs, reports) ever sees a full card, ID or phone number. Normalisation
is length-preserving, so a prediction's character span indexes the stored (masked) text as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from convmine.errors import ConvmineError, InputError
from convmine.schema import Call, Evidence, Failure, Prediction, Tag, TaggedCall, Turn, Utterance
from convmine.tagging.base import Tagger
from convmine.text import Masker, normalize

ErrorHandler = Callable[[Call, Exception], None]


def _raise(call: Call, exc: Exception) -> None:
    raise exc


def _as_call(item: Call | str) -> Call:
    """A call, or one customer utterance given as text made into one; anything else is refused."""
    if isinstance(item, Call):
        return item
    if isinstance(item, str):
        return Call(call_id="text", customer_id=None, utterances=[Utterance(0, "customer", item)])
    if isinstance(item, Failure):
        raise ConvmineError(
            f"cannot tag a Failure ({item.source}: {item.reason}); "
            "filter read_calls' output with isinstance(item, convmine.Call) or use convmine.batch.tag_paths"
        )
    raise ConvmineError(f"a pipeline tags a Call or a str, got {type(item).__name__}")


class Pipeline:
    """A tagger wrapped with masking and normalisation; tags one call, one text, or a stream."""

    def __init__(self, tagger: Tagger, *, masker: Masker | None = None, context_turns: int = 4):
        self.tagger = tagger
        self.taxonomy = tagger.taxonomy
        self.masker = masker or Masker()
        #: How many of the agent's preceding turns a tagger sees with each customer turn.
        self.context_turns = context_turns

    @property
    def version(self) -> str:
        return f"{self.tagger.name}@{self.tagger.version}"

    def __repr__(self) -> str:
        return f"Pipeline({self.version!r}, taxonomy={self.taxonomy.name!r} {self.taxonomy.version})"

    def __call__(self, item: Call | str) -> TaggedCall:
        """Tag one call, or one customer utterance given as text."""
        return next(self.pipe([item]))

    def predict(self, turns: Sequence[Turn]) -> list[list[Prediction]]:
        """Mask and normalise turns (text and context), then run the tagger on them as one batch."""
        prepared = [
            Turn(self.prepare(t.text), tuple(self.prepare(c) for c in t.context[-self.context_turns :]))
            for t in turns
        ]
        return self.tagger.predict(prepared) if prepared else []

    def pipe(
        self, calls: Iterable[Call | str], *, batch_size: int = 64, on_error: ErrorHandler | None = None
    ) -> Iterator[TaggedCall]:
        """Tag a stream of calls, ``batch_size`` calls per tagger batch, in input order.

        A call that fails is handed to ``on_error`` (default: re-raise) and left out; a tagger's failure
        hands over the call as masked. An item that is neither a call nor a text raises
        :class:`ConvmineError` once the calls before it are yielded.
        """
        if isinstance(calls, str):
            raise InputError("pipe tags a stream of calls or texts; to tag one text, call the pipeline")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InputError(f"batch_size must be a whole number of at least 1, got {batch_size!r}")
        handler = on_error or _raise
        batch: list[Call] = []
        for item in calls:
            try:
                batch.append(_as_call(item))
            except ConvmineError:
                yield from self._tag_batch(batch, handler)
                raise
            if len(batch) == batch_size:
                yield from self._tag_batch(batch, handler)
                batch = []
        yield from self._tag_batch(batch, handler)

    def prepare(self, text: str) -> str:
        """A text as the tagger reads it: personal numbers masked, then normalised."""
        return normalize(self.masker.mask(text))

    def _tag_batch(self, calls: list[Call], on_error: ErrorHandler) -> Iterator[TaggedCall]:
        masked: list[Call] = []
        for call in calls:
            try:
                masked.append(self.masker.mask_call(call))
            except Exception as exc:  # handed to the caller's error handler
                on_error(call, exc)
        turns: list[Turn] = []
        owners: list[tuple[int, Utterance]] = []
        for n, call in enumerate(masked):
            turns += call.turns([normalize(u.text) for u in call.utterances], self.context_turns)
            owners += [(n, u) for u in call.customer_turns()]
        try:
            predictions = self.tagger.predict(turns) if turns else []
        except Exception as exc:  # one bad call must not sink the batch
            if len(masked) == 1:
                on_error(masked[0], exc)
                return
            for call in masked:  # find the culprit: retry call by call
                yield from self._tag_batch([call], on_error)
            return
        results = [TaggedCall(call) for call in masked]
        for (n, utterance), preds in zip(owners, predictions, strict=True):
            results[n].tags.extend(self._to_tag(utterance, p) for p in preds)
        yield from results

    def _to_tag(self, utterance: Utterance, prediction: Prediction) -> Tag:
        span = prediction.span
        quote = utterance.text[span[0] : span[1]] if span else utterance.text
        return Tag(
            label=prediction.label,
            confidence=round(prediction.confidence, 4),
            source=prediction.source or self.tagger.source,
            evidence=Evidence(utterance.index, span, quote, utterance.start, utterance.end),
            value=prediction.value,
            taxonomy_version=self.taxonomy.version,
            model_version=self.version,
        )
