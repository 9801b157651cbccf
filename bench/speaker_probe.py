"""How much of the speaker's identity a model's utterance embeddings still hold.

A linear probe: for each mode of the model (``single_utterance``: each
utterance its own reference; ``speaker``: the speaker's reference, from all
of that speaker's utterances in the manifest), the utterance embeddings
(the heads' input, ``EmotionRecognizer.encode_batch``) of every other
utterance of each speaker train a standardised logistic regression, which
names the speaker of the remaining ones. Its accuracy against chance (one
over the number of speakers) says how much identity is left; the adversary
of speaker-adversarial training (docs/emotion.md) measures the same thing,
but online, while the encoder moves::

    python -m bench.speaker_probe --model RUN/model \
        --manifest RUN/manifests/train.csv --data_folder data/embedded_emotion

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.robustness import read_labelled_audio
from speechbrain_lstm_ser.inference.load import load_model

__all__ = ["alternate_halves", "embed_utterances", "probe_accuracy", "speaker_probe"]


def alternate_halves(ids: Sequence[str], speakers: Sequence[str]) -> np.ndarray:
    """Which utterances train the probe: every other one of each speaker, by ID.

    Arguments
    ---------
    ids : sequence of str
        Utterance IDs.
    speakers : sequence of str
        Their speakers.

    Returns
    -------
    numpy.ndarray
        Boolean, True for the training half.

    Example
    -------
    >>> alternate_halves(["b", "a", "c", "d"], ["s1", "s1", "s2", "s2"]).tolist()
    [False, True, True, False]
    """
    train = np.zeros(len(ids), dtype=bool)
    for speaker in set(speakers):
        rows = sorted(
            (i for i, s in enumerate(speakers) if s == speaker), key=ids.__getitem__
        )
        train[rows[::2]] = True
    return train


def probe_accuracy(
    embeddings: np.ndarray, speakers: Sequence[str], train: np.ndarray
) -> float:
    """The share of held-out utterances a linear probe names the speaker of.

    Arguments
    ---------
    embeddings : numpy.ndarray
        ``(utterances, size)``.
    speakers : sequence of str
        The speaker of each.
    train : numpy.ndarray
        Boolean: the probe's training utterances (the rest are scored).

    Returns
    -------
    float

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> speakers = ["a", "b", "c"] * 20
    >>> centres = {"a": 0.0, "b": 5.0, "c": 10.0}
    >>> x = np.array([[centres[s]] for s in speakers]) + rng.normal(0, 0.5, (60, 1))
    >>> train = alternate_halves([f"{i:02d}" for i in range(60)], speakers)
    >>> probe_accuracy(x, speakers, train)
    1.0
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels = np.asarray(speakers)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    probe.fit(embeddings[train], labels[train])
    return float((probe.predict(embeddings[~train]) == labels[~train]).mean())


def embed_utterances(recognizer, wavs, speakers, mode: str) -> np.ndarray:
    """``(utterances, size)`` embeddings, each utterance alone, in ``mode``.

    Arguments
    ---------
    recognizer : speechbrain_lstm_ser.inference.EmotionRecognizer
        The model.
    wavs : sequence of torch.Tensor
        ``(time,)`` waveforms at its sample rate.
    speakers : sequence of str
        Their speakers (enrolled with all their utterances in ``speaker``
        mode).
    mode : str
        ``single_utterance`` or ``speaker``.

    Returns
    -------
    numpy.ndarray
    """
    if mode == "speaker":
        recognizer.forget()
        for speaker in sorted(set(speakers)):
            recognizer.enrol_waveforms(
                speaker,
                [w for w, s in zip(wavs, speakers, strict=True) if s == speaker],
            )
    rows = []
    for wav, speaker in zip(wavs, speakers, strict=True):
        reference = None
        if mode == "speaker":
            reference = recognizer.speaker_reference(speaker, 1)
        rows.append(recognizer.encode_batch(wav, reference=reference).reshape(-1))
    return torch.stack(rows).numpy()


def speaker_probe(model: str, manifest: str, data_folder: str | None) -> dict:
    """The probe's accuracy per mode on a manifest's utterances.

    Arguments
    ---------
    model : str
        An exported emotion model folder.
    manifest : str
        A manifest with ``spk_id`` (e.g. the run's ``train.csv``: the
        speakers an adversary was trained against).
    data_folder : str, optional
        Substituted for ``$data_root`` in the manifest.

    Returns
    -------
    dict
        ``speakers``, ``utterances``, ``chance`` and ``<mode>`` accuracies.
    """
    recognizer = load_model(model)
    audio = read_labelled_audio(manifest, data_folder, recognizer.sample_rate)
    if len(set(audio.speakers)) < 2 or "" in audio.speakers:
        raise SystemExit(f"error: {manifest} needs a spk_id column with 2+ speakers")
    train = alternate_halves(audio.ids, audio.speakers)
    modes = ["single_utterance"]
    if recognizer.speaker_normalized:
        modes.append("speaker")
    result = {
        "model": str(model),
        "manifest": str(manifest),
        "speakers": len(set(audio.speakers)),
        "utterances": len(audio.ids),
        "chance": 1.0 / len(set(audio.speakers)),
    }
    for mode in modes:
        embeddings = embed_utterances(recognizer, audio.wavs, audio.speakers, mode)
        result[mode] = probe_accuracy(embeddings, audio.speakers, train)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """The command line: prints the accuracies, optionally writes them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="an exported model folder")
    parser.add_argument("--manifest", required=True, help="a manifest with spk_id")
    parser.add_argument("--data_folder", help="substituted for $data_root")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch threads")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = speaker_probe(args.model, args.manifest, args.data_folder)
    print(
        f"{result['utterances']} utterances of {result['speakers']} speakers "
        f"(chance {result['chance']:.3f}, {args.threads} thread(s))"
    )
    for mode in ("single_utterance", "speaker"):
        if mode in result:
            print(f"{mode}: the probe names the speaker of {result[mode]:.3f}")
    if args.json is not None:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
