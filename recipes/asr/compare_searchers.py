#!/usr/bin/env python3
r"""Compares CTC searchers on one model's test log-probabilities.

Greedy decoding, SpeechBrain's ``CTCBeamSearcher`` (called as the recipe
called it until this script was written, and with the frame counts greedy
decoding uses) and this package's exact prefix beam search
(``speechbrain_lstm_ser.decoders.ctc.CTCPrefixBeamSearch``) all decode the
same log-probabilities, batch by batch as the recipe's test does (manifest
sorted by duration). Per searcher: WER, CER, utterances whose transcript
differs from greedy's, and (for the searchers that return tokens) the mean
CTC log-likelihood of the hypotheses.

Usage::

    python recipes/asr/compare_searchers.py results/asr_lstm/1986/model \\
        results/asr_lstm/1986/manifests/test.csv --data_folder data/embedded_asr

Authors
 * speechbrain-lstm-ser developers 2026
"""

import argparse
import sys

import torch
from speechbrain.decoders.ctc import CTCBeamSearcher, ctc_greedy_decode

from speechbrain_lstm_ser.dataio.audio import pad_waveforms
from speechbrain_lstm_ser.decoders.ctc import (
    CTCPrefixBeamSearch,
    frame_counts,
    speechbrain_lengths,
)
from speechbrain_lstm_ser.evaluation.robustness import read_labelled_audio
from speechbrain_lstm_ser.evaluation.transcription import error_rates
from speechbrain_lstm_ser.inference import SpeechRecognizer


def ctc_log_likelihood(log_probs: torch.Tensor, tokens: list[int], blank: int) -> float:
    """The log-probability of ``tokens`` given the frames (PyTorch's CTC loss)."""
    return -float(
        torch.nn.functional.ctc_loss(
            log_probs.double().unsqueeze(1),
            torch.tensor([tokens or [0]], dtype=torch.long)[:, : len(tokens)],
            torch.tensor([log_probs.shape[0]]),
            torch.tensor([len(tokens)]),
            blank=blank,
            reduction="sum",
        )
    )


def main(argv=None) -> int:
    """Prints the table of every searcher; 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="exported ASR model folder")
    parser.add_argument("manifest", help="test manifest (ID, wav, duration, wrd)")
    parser.add_argument("--data_folder", help="corpus folder ($data_root)")
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--beam_sizes", default="1,10", help="comma-separated")
    parser.add_argument("--token_prune_min_logp", type=float, default=-8.0)
    args = parser.parse_args(argv)

    asr = SpeechRecognizer.from_hparams(source=args.model, decoding="greedy")
    sp, blank = asr.hparams.tokenizer, asr.hparams.blank_index
    data = read_labelled_audio(args.manifest, args.data_folder, asr.sample_rate, "wrd")
    order = sorted(range(len(data.ids)), key=lambda i: len(data.wavs[i]))
    references = [data.labels[i] for i in order]
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab += [f"<unused {i}>" for i in range(len(vocab), blank)] + ["<blank>"]
    beams = [int(b) for b in args.beam_sizes.split(",")]

    def decode_ids(seqs):
        return [" ".join(sp.decode_ids(seq).split()) if seq else "" for seq in seqs]

    searchers = {"greedy": lambda lp, lens: ctc_greedy_decode(lp, lens, blank)}
    for size in beams:
        sb = CTCBeamSearcher(
            blank_index=blank,
            vocab_list=vocab,
            beam_size=size,
            token_prune_min_logp=args.token_prune_min_logp,
            prune_history=True,
        )
        truncated = f"SpeechBrain beam {size}, lens truncated"
        searchers[truncated] = lambda lp, lens, sb=sb: [h[0].text for h in sb(lp, lens)]
        searchers[f"SpeechBrain beam {size}, lens rounded"] = lambda lp, lens, sb=sb: [
            h[0].text for h in sb(lp, speechbrain_lengths(lens, lp.shape[1]))
        ]
        searchers[f"prefix beam {size}"] = CTCPrefixBeamSearch(
            blank, size, args.token_prune_min_logp
        )
    texts = {name: [] for name in searchers}
    likelihoods = {name: [] for name in searchers}
    for start in range(0, len(order), args.batch_size):
        wavs, lens = pad_waveforms(
            [data.wavs[i] for i in order[start : start + args.batch_size]]
        )
        log_probs, lens = asr.encode_batch(wavs, lens)
        counts = frame_counts(lens, log_probs.shape[1], len(lens))
        for name, search in searchers.items():
            out = search(log_probs, lens)
            if out and isinstance(out[0], list):  # token IDs
                texts[name] += decode_ids(out)
                likelihoods[name] += [
                    ctc_log_likelihood(lp[:n], seq, blank)
                    for lp, n, seq in zip(log_probs, counts, out, strict=True)
                ]
            else:
                texts[name] += [" ".join(t.split()) for t in out]
    print("| searcher | WER % | CER % | differs from greedy | mean log P(hyp) |")
    print("|---|---|---|---|---|")
    for name, hyps in texts.items():
        rates = error_rates(references, hyps)
        differs = sum(h != g for h, g in zip(hyps, texts["greedy"], strict=True))
        ll = likelihoods[name]
        mean_ll = f"{sum(ll) / len(ll):.3f}" if ll else "n/a (text)"
        print(
            f"| {name} | {rates['WER']:.2f} | {rates['CER']:.2f} | "
            f"{differs}/{len(hyps)} | {mean_ll} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
