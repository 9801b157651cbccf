"""CTC prefix beam search: exact on small problems, never below greedy decoding."""

import itertools

import pytest
import torch
from speechbrain.decoders.ctc import ctc_greedy_decode

from speechbrain_lstm_ser.decoders.ctc import CTCPrefixBeamSearch


def ctc_log_likelihood(log_probs: torch.Tensor, tokens: list[int]) -> float:
    """log P(tokens | log_probs) by PyTorch's CTC loss (blank last)."""
    blank = log_probs.shape[-1] - 1
    loss = torch.nn.functional.ctc_loss(
        log_probs.double().unsqueeze(1),
        torch.tensor([tokens], dtype=torch.long),
        torch.tensor([log_probs.shape[0]]),
        torch.tensor([len(tokens)]),
        blank=blank,
        reduction="sum",
        zero_infinity=False,
    )
    return -float(loss)


def random_log_probs(generator, frames, symbols, sharpness):
    return (torch.randn(frames, symbols, generator=generator) * sharpness).log_softmax(
        -1
    )


def test_a_wide_beam_finds_the_most_probable_label_sequence():
    generator = torch.Generator().manual_seed(0)
    frames, vocab = 5, 2
    search = CTCPrefixBeamSearch(blank_index=-1, beam_size=1000)
    for _ in range(20):
        log_probs = random_log_probs(generator, frames, vocab + 1, 1.5)
        candidates = [
            list(seq)
            for length in range(frames + 1)
            for seq in itertools.product(range(vocab), repeat=length)
        ]
        scores = {
            tuple(seq): ctc_log_likelihood(log_probs, seq)
            for seq in candidates
            if len(seq) + sum(a == b for a, b in zip(seq[:-1], seq[1:], strict=True))
            <= frames
        }
        best = search.search(log_probs)[0]
        assert best.log_prob == pytest.approx(max(scores.values()), abs=1e-9)
        assert best.log_prob == pytest.approx(scores[tuple(best.tokens)], abs=1e-9)


@pytest.mark.parametrize("sharpness", [1.0, 4.0])
def test_the_beam_is_never_less_likely_than_greedy(sharpness):
    generator = torch.Generator().manual_seed(1)
    search = CTCPrefixBeamSearch(
        blank_index=-1, beam_size=10, token_prune_min_logp=-8.0
    )
    log_probs = torch.stack(
        [random_log_probs(generator, 40, 8, sharpness) for _ in range(20)]
    )
    lens = torch.linspace(0.5, 1.0, 20)
    greedy = ctc_greedy_decode(log_probs, lens, blank_id=-1)
    beam = search.search_batch(log_probs, lens)
    for seq, hyps, rel in zip(log_probs, beam, lens, strict=True):
        count = int(torch.round(rel * 40))
        hyp_ll = ctc_log_likelihood(seq[:count], hyps[0].tokens)
        # alignments of the prefix pruned on the way: the score is a lower bound
        assert hyp_ll >= hyps[0].log_prob - 1e-9
    gains = [
        ctc_log_likelihood(seq[: int(torch.round(rel * 40))], hyps[0].tokens)
        - ctc_log_likelihood(seq[: int(torch.round(rel * 40))], g)
        for seq, hyps, g, rel in zip(log_probs, beam, greedy, lens, strict=True)
    ]
    assert min(gains) >= -1e-9


def test_lengths_are_rounded_as_greedy_decoding_rounds_them():
    generator = torch.Generator().manual_seed(2)
    log_probs = (torch.randn(3, 30, 6, generator=generator) * 8).log_softmax(-1)
    lens = torch.tensor([1.0, 0.99, 0.66])  # 29.7 and 19.8 frames: rounded up
    greedy = ctc_greedy_decode(log_probs, lens, blank_id=-1)
    # Very peaked frames: the best alignment carries nearly all the mass, so
    # the prefix search and greedy decoding agree, last frame included.
    assert CTCPrefixBeamSearch(-1, beam_size=1)(log_probs, lens) == greedy


def test_bad_settings_and_shapes_are_refused():
    with pytest.raises(ValueError, match="beam_size"):
        CTCPrefixBeamSearch(-1, beam_size=0)
    with pytest.raises(ValueError, match="batch, frames"):
        CTCPrefixBeamSearch(-1).search_batch(torch.zeros(4, 3))
