"""Which front-end stage makes an emotion model change its label in noise.

An exported emotion model (``FbankProsody`` features, a
``ReferenceNormalization``) reads each utterance of a manifest clean and
with additive noise (the robustness CLI's
:class:`~speechbrain_lstm_ser.evaluation.conditions.NoiseCondition`, the
same seeds). Each row of the table takes the noisy path and puts back ONE
stage's clean output (``noisy + clean X``), or takes the clean path and puts
in one stage's noisy output (``clean + noisy X``), and reports the share of
labels unchanged from the clean prediction, and UA. The stages:

- ``trim bounds``: the silence trimmer's cut (the noisy waveform cut where
  the clean one was; the rows below use these frames, so the channels align);
- ``filterbanks``, ``log-F0``, ``voicing``, ``log-energy``: channels of the
  features;
- ``reference``: the statistic that ``ReferenceNormalization`` subtracts
  (the clean utterance's, or the speaker's from clean utterances).

Single utterance (each its own reference) and per speaker (every speaker's
utterances of the same condition make its reference, as ``sb-lstm-ser
robustness --by-speaker``). Run it on a validation manifest, never on test
(``R``: a run folder of the recipe, e.g. ``results/emotion_lstm/1986``)::

    OMP_NUM_THREADS=1 python -m bench.noise_stages --model R/model
        --manifest R/manifests/valid.csv --data_folder data/embedded_emotion
        --noise white --snr 20

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import torch

from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.conditions import build_conditions
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.robustness import read_labelled_audio
from speechbrain_lstm_ser.inference.load import load_model
from speechbrain_lstm_ser.nnet.features import PROSODY_CHANNELS
from speechbrain_lstm_ser.processing.trim import SilenceTrimmer

__all__ = ["channel_stages", "main", "swap_channels"]


def channel_stages(n_mels: int) -> dict[str, list[int]]:
    """The channel stages of ``FbankProsody`` features: name -> channel indices.

    Arguments
    ---------
    n_mels : int
        Filterbank channels (the prosody channels follow them).

    Returns
    -------
    dict

    Example
    -------
    >>> {name: len(c) for name, c in channel_stages(80).items()}
    {'filterbanks': 80, 'log-F0': 1, 'voicing': 1, 'log-energy': 1}
    """
    names = ("log-F0", "voicing", "log-energy")
    assert len(names) == len(PROSODY_CHANNELS)
    stages = {"filterbanks": list(range(n_mels))}
    stages.update({name: [n_mels + i] for i, name in enumerate(names)})
    return stages


def swap_channels(
    into: torch.Tensor, source: torch.Tensor, channels: Sequence[int]
) -> torch.Tensor:
    """``into`` with some channels taken from ``source`` (same frames).

    Arguments
    ---------
    into, source : torch.Tensor
        ``(frames, channels)`` features of the same frames.
    channels : sequence of int
        The channels to take from ``source``.

    Returns
    -------
    torch.Tensor
        A copy of ``into``.

    Example
    -------
    >>> swap_channels(torch.zeros(2, 3), torch.ones(2, 3), [1])
    tensor([[0., 1., 0.],
            [0., 1., 0.]])
    """
    if into.shape != source.shape:
        raise ValueError(
            f"swap_channels: features of other frames ({tuple(into.shape)} and "
            f"{tuple(source.shape)}): cut both at the same bounds"
        )
    out = into.clone()
    out[:, list(channels)] = source[:, list(channels)]
    return out


class _FrontEnd:
    """An exported model's stages, one utterance at a time."""

    def __init__(self, recognizer):
        self.recognizer = recognizer
        self.model = recognizer.model
        steps = recognizer.mods.preprocess.steps
        self.trimmer = next(s for s in steps if isinstance(s, SilenceTrimmer))
        steps = list(steps)
        self.before_trim = steps[: steps.index(self.trimmer)]
        self.one = torch.ones(1)

    def bounds(self, wav: torch.Tensor) -> tuple[int, int]:
        """Where the model's trimmer cuts ``wav`` (after the steps before it)."""
        wav = self._cleaned(wav)
        if not self.trimmer.enabled:
            return 0, wav.numel()
        start, size = (int(t) for t in self.trimmer.cuts(wav[None], self.one))
        return start, start + size

    def features(self, wav: torch.Tensor, bounds: tuple[int, int]) -> torch.Tensor:
        """``(frames, channels)`` raw features of ``wav`` cut at ``bounds``."""
        wav = self._cleaned(wav)[bounds[0] : bounds[1]]
        with torch.no_grad():
            return self.model.raw_features(wav.unsqueeze(0), self.one)[0]

    def _cleaned(self, wav: torch.Tensor) -> torch.Tensor:
        wav = wav.float().unsqueeze(0)
        for step in self.before_trim:
            wav, _ = step(wav, self.one)
        return wav[0]

    def statistics(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        total, count = self.model.reference_norm.statistics(feats[None], self.one)
        return total[0], count[0]

    def label(self, feats: torch.Tensor, reference: torch.Tensor | None) -> int:
        reference = None if reference is None else reference[None]
        with torch.no_grad():
            x = self.model.reference_norm(feats[None], self.one, reference)
            x = self.model.mean_var_norm(x, self.one)
            return int(self.model.forward_features(x, self.one).squeeze().argmax())


def _references(front, feats, speakers, reference_feats):
    """Each utterance's reference: its own (None) or its speaker's."""
    if speakers is None:
        if reference_feats is None:
            return [None] * len(feats)
        return [t / c for t, c in map(front.statistics, reference_feats)]
    source = feats if reference_feats is None else reference_feats
    sums: dict[str, list] = {}
    for f, speaker in zip(source, speakers, strict=True):
        total, count = front.statistics(f)
        acc = sums.setdefault(speaker, [0.0, 0.0])
        acc[0], acc[1] = acc[0] + total, acc[1] + count
    return [sums[s][0] / sums[s][1] for s in speakers]


def stage_table(front, clean_wavs, noisy_wavs, labels, speakers) -> dict:
    """Labels unchanged and UA per row, single utterance and per speaker."""
    cut = [front.bounds(w) for w in clean_wavs]
    clean = [front.features(w, b) for w, b in zip(clean_wavs, cut, strict=True)]
    noisy_at_clean = [
        front.features(w, b) for w, b in zip(noisy_wavs, cut, strict=True)
    ]
    noisy = [front.features(w, front.bounds(w)) for w in noisy_wavs]
    n_mels = clean[0].shape[1] - len(PROSODY_CHANNELS)
    rows = {"clean": (clean, None), "noisy": (noisy, None)}
    rows["noisy + clean trim bounds"] = (noisy_at_clean, None)
    for name, channels in channel_stages(n_mels).items():
        pairs = zip(noisy_at_clean, clean, strict=True)
        rows[f"noisy + clean {name}"] = (
            [swap_channels(n, c, channels) for n, c in pairs],
            None,
        )
        pairs = zip(clean, noisy_at_clean, strict=True)
        rows[f"clean + noisy {name}"] = (
            [swap_channels(c, n, channels) for c, n in pairs],
            None,
        )
    rows["noisy + clean reference"] = (noisy_at_clean, clean)
    classes = front.recognizer.labels
    table = {}
    for mode, spk in (("utterance", None), ("speaker", speakers)):
        base = None
        for name, (feats, reference_feats) in rows.items():
            refs = _references(front, feats, spk, reference_feats)
            predicted = [
                classes[front.label(f, r)] for f, r in zip(feats, refs, strict=True)
            ]
            base = base or predicted
            same = float(
                np.mean([a == b for a, b in zip(predicted, base, strict=True)])
            )
            report = classification_report(labels, predicted, classes)
            table[f"{mode}: {name}"] = {
                "unchanged": same,
                "UA": report["unweighted_accuracy"],
            }
    return table


def main(argv: Sequence[str] | None = None) -> dict:
    """Runs the measurement and prints the table; returns it.

    Arguments
    ---------
    argv : sequence of str, optional
        Command-line arguments (``--help`` lists them).

    Returns
    -------
    dict
        Row name -> ``unchanged`` and ``UA``.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="exported emotion model folder")
    parser.add_argument("--manifest", required=True, help="a VALIDATION manifest")
    parser.add_argument("--data_folder", help="corpus folder ($data_root)")
    parser.add_argument("--noise", default="white", choices=("white", "pink", "babble"))
    parser.add_argument("--snr", type=float, default=20.0, help="dB: 20, 10 or 5")
    parser.add_argument("--seed", type=int, default=0, help="the robustness CLI's seed")
    parser.add_argument("--json", help="also write the table here")
    args = parser.parse_args(argv)
    recognizer = load_model(args.model)
    data = read_labelled_audio(args.manifest, args.data_folder, recognizer.sample_rate)
    name = f"{args.noise} noise {args.snr:g} dB"
    conditions = build_conditions(
        ["noise"], recognizer.sample_rate, data.speakers, args.seed
    )
    if name not in conditions:
        parser.error(f"--snr {args.snr:g}: the noise conditions are {list(conditions)}")
    noisy = conditions[name].apply_all(data.wavs)
    table = stage_table(
        _FrontEnd(recognizer), data.wavs, noisy, data.labels, data.speakers
    )
    print(f"{name}, {args.manifest}: labels unchanged from clean, UA")
    for row, values in table.items():
        unchanged, ua = 100 * values["unchanged"], 100 * values["UA"]
        print(f"{row:45s} {unchanged:5.1f} %  UA {ua:5.1f}")
    if args.json:
        write_json(args.json, table)
    return table


if __name__ == "__main__":
    main()
