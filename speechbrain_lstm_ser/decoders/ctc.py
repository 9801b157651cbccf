"""CTC prefix beam search over token IDs, with the lengths greedy decoding uses.

:class:`CTCPrefixBeamSearch` is the exact CTC prefix beam search of Graves
(2012) and Hannun et al. (2014): every hypothesis is a token prefix with two
log-probabilities, of the paths that end in a blank and of those that end in
its last token, and all the paths of a prefix are summed, so the search
ranks label sequences by their CTC probability (not by the probability of
their single best frame alignment, as greedy decoding does). It returns
token IDs, as SpeechBrain's ``ctc_greedy_decode`` does, so both searchers
are turned into text by the same tokenizer call and differ only in the
search.

Why not SpeechBrain's ``CTCBeamSearcher``: it reads relative lengths as
``int(lens * frames)`` (truncation) where ``ctc_greedy_decode`` and the CTC
loss round, so the last frame of about half the utterances of a padded
batch is dropped before the search starts (docs/asr.md#beam-search), and it
works on text, not tokens, so its score cannot be compared with the CTC
loss of a token sequence. The frame counts here are
``round(lens * frames)``, as in ``ctc_greedy_decode``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "CTCPrefixBeamSearch",
    "CTCSearchResult",
    "CTCTextSearch",
    "frame_counts",
    "speechbrain_lengths",
]


def frame_counts(lens: torch.Tensor | None, num_frames: int, batch: int) -> list[int]:
    """Frames of each utterance: ``round(lens * num_frames)``, as greedy decoding.

    Arguments
    ---------
    lens : torch.Tensor, optional
        ``(batch,)`` relative lengths in [0, 1]; None: every frame.
    num_frames : int
        Frames of the padded batch.
    batch : int
        Utterances in the batch (used when ``lens`` is None).

    Returns
    -------
    list of int

    Example
    -------
    >>> frame_counts(torch.tensor([1.0, 0.99, 0.5]), 30, 3)
    [30, 30, 15]
    """
    if lens is None:
        return [num_frames] * batch
    return [int(n) for n in torch.round(lens.detach().cpu() * num_frames).long()]


def speechbrain_lengths(lens: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Relative lengths SpeechBrain's CTC searchers read as the rounded frame counts.

    ``CTCBeamSearcher`` and ``CTCPrefixBeamSearcher`` (SpeechBrain 1.1) take
    ``int(lens * num_frames)`` frames: a truncation, one frame fewer than
    ``ctc_greedy_decode`` and the CTC loss for about half the utterances.
    Half a frame past the rounded count truncates to it.

    Arguments
    ---------
    lens : torch.Tensor
        ``(batch,)`` relative lengths.
    num_frames : int
        Frames of the padded batch.

    Returns
    -------
    torch.Tensor
        ``(batch,)`` lengths to pass to SpeechBrain's searchers.

    Example
    -------
    >>> lens = torch.tensor([1.0, 0.99, 0.5])
    >>> (lens * 30).numpy().astype(int).tolist()  # what the searcher would keep
    [30, 29, 15]
    >>> (speechbrain_lengths(lens, 30) * 30).numpy().astype(int).tolist()
    [30, 30, 15]
    """
    counts = torch.round(lens * num_frames)
    return (counts + 0.5) / num_frames


@dataclass
class CTCSearchResult:
    """One hypothesis: its token IDs and their CTC log-probability.

    Arguments
    ---------
    tokens : list of int
        Token IDs (no blank, repeats collapsed).
    log_prob : float
        Natural log of the summed probability of every frame alignment of
        ``tokens`` the search kept (the exact CTC log-likelihood when no
        alignment of the prefix was pruned).
    """

    tokens: list[int]
    log_prob: float


class CTCPrefixBeamSearch:
    """Exact CTC prefix beam search, for per-frame log-probabilities.

    Arguments
    ---------
    blank_index : int
        Index of the blank in the last dimension (negative: from the end).
    beam_size : int
        Prefixes kept after each frame.
    token_prune_min_logp : float, optional
        At each frame, tokens below this log-probability are not tried
        (the frame's most probable token always is); None: all tokens.
        The blank is always tried.
    topk : int
        Hypotheses returned per utterance by :meth:`search` (at most
        ``beam_size``).

    Example
    -------
    Two frames, tokens 0 and 1 at 0.3 each, the blank (last) at 0.4: the best
    alignment is blank-blank (greedy decodes nothing, P = 0.16), but token 0
    has three alignments (0 0, 0 blank, blank 0: P = 0.33).

    >>> log_probs = torch.tensor([[0.3, 0.3, 0.4], [0.3, 0.3, 0.4]]).log()
    >>> search = CTCPrefixBeamSearch(blank_index=-1, beam_size=4)
    >>> best = search.search(log_probs)[0]
    >>> best.tokens, round(best.log_prob, 4), round(float(np.log(0.33)), 4)
    ([0], -1.1087, -1.1087)
    >>> search(log_probs.unsqueeze(0), torch.tensor([1.0]))
    [[0]]
    """

    def __init__(
        self,
        blank_index: int,
        beam_size: int = 10,
        token_prune_min_logp: float | None = None,
        topk: int = 1,
    ):
        if beam_size < 1 or topk < 1:
            raise ValueError(
                f"beam_size and topk must be >= 1, got {beam_size}, {topk}"
            )
        self.blank_index = blank_index
        self.beam_size = beam_size
        self.token_prune_min_logp = token_prune_min_logp
        self.topk = min(topk, beam_size)

    def __call__(
        self, log_probs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> list[list[int]]:
        """The best token sequence of each utterance of a batch.

        Arguments
        ---------
        log_probs : torch.Tensor
            ``(batch, frames, vocab + 1)`` log-probabilities.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths; None: every frame counts.

        Returns
        -------
        list of list of int
            Token IDs per utterance (the output shape of
            ``speechbrain.decoders.ctc.ctc_greedy_decode``).
        """
        return [hyps[0].tokens for hyps in self.search_batch(log_probs, lens)]

    def search_batch(
        self, log_probs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> list[list[CTCSearchResult]]:
        """The ``topk`` hypotheses of each utterance of a batch, best first.

        Arguments
        ---------
        log_probs : torch.Tensor
            ``(batch, frames, vocab + 1)`` log-probabilities.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths; None: every frame counts.

        Returns
        -------
        list of list of CTCSearchResult
        """
        if log_probs.dim() != 3:
            raise ValueError(
                "log_probs must be (batch, frames, vocab + 1), got "
                f"{tuple(log_probs.shape)}"
            )
        batch, num_frames, _ = log_probs.shape
        counts = frame_counts(lens, num_frames, batch)
        return [
            self.search(seq[:count])
            for seq, count in zip(log_probs, counts, strict=True)
        ]

    def search(self, log_probs: torch.Tensor) -> list[CTCSearchResult]:
        """The ``topk`` hypotheses of one utterance, best first.

        Arguments
        ---------
        log_probs : torch.Tensor
            ``(frames, vocab + 1)`` log-probabilities of the utterance's frames.

        Returns
        -------
        list of CTCSearchResult
        """
        frames = log_probs.detach().cpu().double().numpy()
        blank = self.blank_index % frames.shape[-1]
        # prefix -> [log P(paths ending in blank), log P(paths ending in last token)]
        beams: dict[tuple[int, ...], list[float]] = {(): [0.0, -np.inf]}
        for frame in frames:
            tokens = self._tokens(frame, blank)
            grown: dict[tuple[int, ...], list[float]] = {}
            for prefix, (p_blank, p_token) in beams.items():
                total = np.logaddexp(p_blank, p_token)
                same = grown.setdefault(prefix, [-np.inf, -np.inf])
                same[0] = np.logaddexp(same[0], total + frame[blank])
                last = prefix[-1] if prefix else None
                for token in tokens:
                    longer = grown.setdefault(prefix + (token,), [-np.inf, -np.inf])
                    if token == last:  # a repeat collapses unless a blank separates
                        same[1] = np.logaddexp(same[1], p_token + frame[token])
                        longer[1] = np.logaddexp(longer[1], p_blank + frame[token])
                    else:
                        longer[1] = np.logaddexp(longer[1], total + frame[token])
            beams = dict(self._best(grown, self.beam_size))
        return [
            CTCSearchResult(list(prefix), float(np.logaddexp(*scores)))
            for prefix, scores in self._best(beams, self.topk)
        ]

    def _tokens(self, frame: np.ndarray, blank: int) -> list[int]:
        """The non-blank tokens tried at a frame (the most probable always)."""
        if self.token_prune_min_logp is None:
            kept = np.arange(frame.shape[0])
        else:
            kept = np.flatnonzero(frame > self.token_prune_min_logp)
        kept = set(kept.tolist()) | {int(frame.argmax())}
        return sorted(kept - {blank})

    @staticmethod
    def _best(beams: dict, size: int) -> list[tuple[tuple[int, ...], list[float]]]:
        """The ``size`` most probable prefixes (ties: the shorter, then lower IDs)."""
        ranked = sorted(
            beams.items(),
            key=lambda item: (-np.logaddexp(*item[1]), len(item[0]), item[0]),
        )
        return ranked[:size]


class CTCTextSearch:
    """A ``test_searcher`` of a YAML as ``(log_probs, lens) -> texts``.

    Either :class:`CTCPrefixBeamSearch` (token IDs, turned into text by the
    tokenizer, as greedy decoding's are) or one of SpeechBrain's CTC
    searchers (``CTCBeamSearcher``, ``CTCPrefixBeamSearcher``: built with the
    tokenizer's pieces plus the blank as ``vocab_list``, and given the frame
    counts greedy decoding uses, see :func:`speechbrain_lengths`).

    Arguments
    ---------
    factory : callable
        The YAML's ``!name:`` searcher (a class or a partial of one).
    tokenizer : sentencepiece.SentencePieceProcessor
        The model's tokenizer.
    blank_index : int
        The blank's output index (after the tokenizer's pieces).

    Example
    -------
    >>> from functools import partial
    >>> from speechbrain.decoders.ctc import CTCBeamSearcher
    >>> class Pieces:  # a stand-in for a sentencepiece model
    ...     pieces = ["<unk>", "▁TURN", "▁OFF"]
    ...     def get_piece_size(self): return 3
    ...     def id_to_piece(self, i): return self.pieces[i]
    ...     def decode_ids(self, ids):
    ...         return "".join(self.pieces[i] for i in ids).replace("▁", " ").strip()
    >>> log_probs = torch.tensor([[[0, .9, 0, .1], [0, 0, 0, 1], [0, 0, .8, .2],
    ...                            [0, .9, 0, .1]]]).add(1e-6).log()
    >>> for factory in (partial(CTCBeamSearcher, blank_index=3),
    ...                 partial(CTCPrefixBeamSearch, blank_index=3)):
    ...     print(CTCTextSearch(factory, Pieces(), 3)(log_probs, torch.tensor([0.75])))
    ['TURN OFF']
    ['TURN OFF']
    """

    def __init__(self, factory, tokenizer, blank_index: int):
        target = getattr(factory, "func", factory)
        self.returns_tokens = isinstance(target, type) and issubclass(
            target, CTCPrefixBeamSearch
        )
        self.tokenizer = tokenizer
        if self.returns_tokens:
            self.searcher = factory()
        else:
            size = tokenizer.get_piece_size()
            pieces = [tokenizer.id_to_piece(i) for i in range(size)]
            pieces += [f"<unused {i}>" for i in range(size, blank_index)]
            self.searcher = factory(vocab_list=pieces + ["<blank>"])

    def __call__(self, log_probs: torch.Tensor, lens: torch.Tensor) -> list[str]:
        """The best transcript of each utterance (words separated by one space).

        Arguments
        ---------
        log_probs : torch.Tensor
            ``(batch, frames, vocab + 1)`` log-probabilities.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.

        Returns
        -------
        list of str
        """
        if self.returns_tokens:
            texts = [
                self.tokenizer.decode_ids(seq) for seq in self.searcher(log_probs, lens)
            ]
        else:
            hyps = self.searcher(
                log_probs, speechbrain_lengths(lens, log_probs.shape[1])
            )
            texts = [h[0].text for h in hyps]
        return [" ".join(text.split()) for text in texts]
