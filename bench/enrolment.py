"""Accuracy of a speaker-normalised model against how much of the speaker it has.

Three ways to give the model its speaker, as users would (see
``UtteranceClassifier``):

- **enrolment**: ``enrol(speaker, k clips)`` then ``classify_file(path,
  speaker=...)``: for every test utterance, ``k`` other utterances of its
  speaker drawn at random (``k`` = 1, 3, 5, 10), and **all** of the
  speaker's test utterances (itself included: transductive, what
  ``sb-lstm-ser predict --speakers list.csv`` does);
- **running**: the speaker's utterances arrive one after another (a shuffled
  order, as in a call or a stream) and each is measured against all of them
  so far, itself included (what ``timeline(adapt=True)`` does within a
  recording): accuracy of the n-th utterance of each speaker;
- **none**: each utterance alone.

It measures the model's reference normalisation: a late fusion with
functionals (``functionals_fusion``), which needs the speaker's name and
at least its ``min_clips`` clips, is switched off (the recipe's test report
gives the fused figures in its ``fusion`` section).

The statistics of every clip are computed once with
``UtteranceClassifier.clip_statistics``, the method ``enrol`` uses (and
``tests/inference/test_speaker_normalization.py`` checks that ``enrol`` then
``classify_file`` equals ``classify_batch(reference=...)``). UA is the mean
of the per-class recalls, over the test split of a recipe run::

    python -m bench.enrolment results/emotion_lstm/1986 --threads 1

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import torch

from bench.options import add_trusted_key_option
from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.manifest import read_manifest
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences
from speechbrain_lstm_ser.training.hparams import load_settings
from speechbrain_lstm_ser.training.references import enrolment_reference

__all__ = ["evaluate_enrolment", "main"]

#: Enrolment clip counts measured.
CLIPS = (1, 3, 5, 10)
#: Ranges of positions in a speaker's stream reported by the running mode
#: (``None``: to the end).
POSITION_RANGES = ((1, 1), (2, 5), (6, 10), (11, 20), (21, None))
#: Random orders of each speaker's utterances averaged by the running mode.
ORDERS = 5


def _range_name(bounds: tuple[int, int | None]) -> str:
    low, high = bounds
    if high == low:
        return str(low)
    return f"{low}-{high}" if high else f"{low}+"


def _ua(references: list[str], predictions: list[str], labels: list[str]) -> float:
    return classification_report(references, predictions, labels)["unweighted_accuracy"]


def evaluate_enrolment(model: EmotionRecognizer, rows: list[dict], seed: int = 0):
    """UA with no, some and all enrolment clips, and along a running stream.

    Arguments
    ---------
    model : EmotionRecognizer
        A speaker-normalised model (with a ``reference_norm``).
    rows : list of dict
        Test manifest rows with ``ID``, ``wav`` (a readable path), ``spk_id``
        and ``emo``.
    seed : int
        Seeds the draws of enrolment clips and stream orders.

    Returns
    -------
    dict
        ``{"none": UA, "enrolment": {k: UA, "all": UA}, "running": {positions:
        UA}}`` (positions ``"1"``, ``"2-5"``, ...).
    """
    refs = SpeakerReferences()
    wavs = {}
    for row in rows:
        wav = read_audio(row["wav"], model.sample_rate).unsqueeze(0)
        refs.add(row["ID"], row["spk_id"], *model.clip_statistics(wav[0]))
        wavs[row["ID"]] = wav

    def classify(uid: str, reference: torch.Tensor | None) -> str:
        if reference is not None:
            reference = reference.unsqueeze(0)
        out = model.classify_batch(wavs[uid], torch.ones(1), reference=reference)
        return out[3][0]

    labels = model.labels
    truth = [row["emo"] for row in rows]
    results: dict = {
        "none": _ua(truth, [classify(r["ID"], None) for r in rows], labels)
    }
    enrolment = {}
    for clips in CLIPS:
        kept, predicted = [], []
        for row in rows:
            reference = enrolment_reference(refs, row["ID"], row["spk_id"], clips, seed)
            if reference is not None:
                kept.append(row["emo"])
                predicted.append(classify(row["ID"], reference))
        enrolment[clips] = _ua(kept, predicted, labels) if kept else None
    enrolment["all"] = _ua(
        truth,
        [classify(r["ID"], refs.speaker_reference(r["spk_id"])) for r in rows],
        labels,
    )
    results["enrolment"] = enrolment
    # Each speaker's utterances in ORDERS random orders; utterance n of the
    # stream is measured against utterances 1..n. Positions are pooled in
    # ranges (a test split has few speakers: one position alone is noise).
    by_range: dict[str, tuple[list, list]] = {
        _range_name(r): ([], []) for r in POSITION_RANGES
    }
    emotion = {row["ID"]: row["emo"] for row in rows}
    rng = random.Random(seed)
    for _ in range(ORDERS):
        for speaker in refs.speakers:
            order = refs.utterances(speaker)
            rng.shuffle(order)
            for position, uid in enumerate(order, start=1):
                for low, high in POSITION_RANGES:
                    if low <= position <= (high or position):
                        truth, predicted = by_range[_range_name((low, high))]
                        truth.append(emotion[uid])
                        reference = refs.reference(order[:position])
                        predicted.append(classify(uid, reference))
    results["running"] = {
        name: _ua(t, p, labels) for name, (t, p) in by_range.items() if t
    }
    return results


def _data_folder(run: Path) -> str:
    """The ``data_folder`` of a run's resolved ``hyperparams.yaml``."""
    folder = load_settings(run / "hyperparams.yaml").get("data_folder")
    if not folder:
        raise SystemExit(f"error: {run}/hyperparams.yaml names no data_folder")
    return str(folder)


def main(argv: list[str] | None = None) -> dict:
    """Command line: ``python -m bench.enrolment RUN_FOLDER``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a recipe run folder (with model/, manifests/)")
    parser.add_argument(
        "--data_folder", help="the corpus folder (default: the run's data_folder)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", help="also write the results as JSON here")
    add_trusted_key_option(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    run = Path(args.run)
    model = EmotionRecognizer.from_hparams(
        source=str(run / "model"), trusted_keys=args.trusted_key
    )
    if model.model.reference_norm is None:
        sys.exit(f"error: {run / 'model'} has no reference normalisation")
    if getattr(model.model, "fusion", None) is not None:
        model.model.fusion.weights.fill_(1.0)  # the model's references alone
    data_root = args.data_folder or _data_folder(run)
    rows = read_manifest(run / "manifests" / "test.csv")
    for row in rows:
        row["wav"] = row["wav"].replace("$data_root", str(data_root))
    results = evaluate_enrolment(model, rows, args.seed)
    print(f"threads: {args.threads}; test utterances: {len(rows)}")
    print(f"no speaker information: UA {results['none']:.3f}")
    for clips, ua in results["enrolment"].items():
        print(f"enrolment {clips!s:>3} clips: UA {'-' if ua is None else f'{ua:.3f}'}")
    for position, ua in results["running"].items():
        print(f"running, utterances {position:>5} of the speaker: UA {ua:.3f}")
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
