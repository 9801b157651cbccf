r"""Fitting a trained classifier's functionals fusion: the heads, then the weights.

After training, the recipe fits the model's
:class:`~speechbrain_lstm_ser.nnet.fusion.FunctionalsFusion` through the
exported model's inference interface (so the fit sees what inference does:
the same pre-processing, enrolment and log-probabilities):

1. the prosodic functionals of the training and validation splits;
2. per mode (``speaker``: z-scored over each speaker's utterances, as the
   recipe's transductive test; ``utterance``: the level-invariant ones), a
   class-balanced logistic regression (L2, ``C`` as scikit-learn's: the
   loss is ``C * sum(weighted cross-entropy) + ||W||^2 / 2``) fitted on the
   training split for each ``C`` of the grid, the best by validation UA kept;
3. per mode, the model's weight ``w`` (0: the functionals alone, 1: the
   model alone) chosen by UA on a **selection** set: the validation split,
   or another domain's corpus folder (never the test split or a test-only
   domain). Ties go to the first weight of the grid.

:func:`fit_fusion` does all three and returns what it chose and measured.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.robustness import (
    LabelledAudio,
    log_probability_predictor,
)
from speechbrain_lstm_ser.nnet.fusion import MODES, speaker_statistics

logger = logging.getLogger(__name__)

__all__ = [
    "fit_fusion",
    "fuse_exported_model",
    "fuses",
    "selection_source",
    "fit_logistic",
    "functionals_of",
    "speaker_statistics_rows",
    "speaker_zscores",
    "evaluate_fused",
]


def functionals_of(classifier, data: LabelledAudio) -> torch.Tensor:
    """``(utterances, features)`` functionals, pre-processed as inference does.

    Arguments
    ---------
    classifier : UtteranceClassifier
        A loaded classifier whose model has a ``fusion``.
    data : LabelledAudio
        The utterances.

    Returns
    -------
    torch.Tensor
        float64.
    """
    fusion = classifier.model.fusion
    rows = [fusion.extract(*classifier.prepare_batch(wav))[0] for wav in data.wavs]
    return torch.stack(rows)


def speaker_zscores(functionals: torch.Tensor, speakers: Sequence[str]) -> torch.Tensor:
    """Each functional z-scored over its speaker's utterances.

    Example
    -------
    >>> x = torch.tensor([[1.0], [3.0], [10.0], [30.0]], dtype=torch.float64)
    >>> speaker_zscores(x, ["a", "a", "b", "b"]).ravel().tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    mean, std = speaker_statistics_rows(functionals, speakers)
    return (functionals.double() - mean) / std


def speaker_statistics_rows(
    functionals: torch.Tensor, speakers: Sequence[str]
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(n, features)`` mean and std of each row's speaker (transductive)."""
    stats = {
        s: speaker_statistics(functionals[torch.tensor([t == s for t in speakers])])
        for s in dict.fromkeys(speakers)
    }
    return (
        torch.stack([stats[s][0] for s in speakers]),
        torch.stack([stats[s][1] for s in speakers]),
    )


def fit_logistic(
    x: torch.Tensor, y: torch.Tensor, num_classes: int, c: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """A class-balanced L2 logistic regression, by L-BFGS (deterministic).

    Minimises ``C * sum_i b(y_i) CE_i + ||W||^2 / 2`` (the bias is not
    penalised), with ``b(k) = n / (classes * n_k)`` as scikit-learn's
    ``class_weight="balanced"``.

    Arguments
    ---------
    x : torch.Tensor
        ``(n, features)`` standardised inputs.
    y : torch.Tensor
        ``(n,)`` class indices.
    num_classes : int
        The classes (a class without training example gets no weight).
    c : float
        Inverse regularisation strength.

    Returns
    -------
    weight, bias : torch.Tensor
        ``(classes, features)`` and ``(classes,)``, float64.

    Example
    -------
    >>> x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]], dtype=torch.float64)
    >>> w, b = fit_logistic(x, torch.tensor([0, 0, 1, 1]), 2, c=10.0)
    >>> (x @ w.T + b).argmax(-1).tolist()
    [0, 0, 1, 1]
    """
    x = x.double()
    counts = torch.bincount(y, minlength=num_classes).double()
    balance = torch.where(counts > 0, len(y) / (num_classes * counts), 0.0)
    weight = torch.zeros(
        num_classes, x.shape[1], dtype=torch.float64, requires_grad=True
    )
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [weight, bias], max_iter=500, tolerance_grad=1e-9, line_search_fn="strong_wolfe"
    )

    def closure():
        optimiser.zero_grad()
        ce = torch.nn.functional.cross_entropy(
            x @ weight.T + bias, y, weight=balance, reduction="none"
        )
        # cross_entropy's weight scales each term by b(y_i) already
        loss = (c * ce.sum() + 0.5 * (weight**2).sum()) / len(y)
        loss.backward()
        return loss

    optimiser.step(closure)
    return weight.detach(), bias.detach()


def _ua(
    log_probs: torch.Tensor, labels: Sequence[str], classes: Sequence[str]
) -> float:
    return _scores(log_probs, labels, classes)["unweighted_accuracy"]


def _mode_inputs(
    fusion, mode: str, functionals: torch.Tensor, speakers
) -> torch.Tensor:
    """The unstandardised inputs of a mode's head."""
    if mode == "speaker":
        return speaker_zscores(functionals, speakers)
    return functionals[:, fusion.utterance_index.cpu()].double()


def _fit_head(
    fusion, mode: str, train, valid, f_train, f_valid, classes, c_grid
) -> dict:
    """Fits a mode's head and scaler for each ``C``; keeps the best on ``valid``."""
    x_train = _mode_inputs(fusion, mode, f_train, train.speakers)
    x_valid = _mode_inputs(fusion, mode, f_valid, valid.speakers)
    mean, std = speaker_statistics(x_train)
    y = torch.tensor([classes.index(label) for label in train.labels])
    tried = []
    best = None
    for c in c_grid:
        weight, bias = fit_logistic((x_train - mean) / std, y, len(classes), c)
        ua = _ua((x_valid - mean) / std @ weight.T + bias, valid.labels, classes)
        tried.append({"C": float(c), "valid_UA": ua})
        if best is None or ua > best[0]:
            best = (ua, weight, bias, float(c))
    with torch.no_grad():
        getattr(fusion, f"{mode}_weight").copy_(best[1])
        getattr(fusion, f"{mode}_bias").copy_(best[2])
        getattr(fusion, f"{mode}_mean").copy_(mean)
        getattr(fusion, f"{mode}_std").copy_(std)
    return {"C": best[3], "valid_UA": best[0], "tried": tried}


def _choose_weight(
    fusion, mode: str, model_log_probs, f_selection, selection, classes, weights
) -> dict:
    """The model's weight in ``mode`` with the best UA on the selection set."""
    if mode == "speaker":
        mean, std = speaker_statistics_rows(f_selection, selection.speakers)
        head = fusion.head_log_probs(f_selection, (mean, std))
    else:
        head = fusion.head_log_probs(f_selection)
    head = head.double().cpu()
    scores = {}
    for w in weights:
        fused = w * model_log_probs + (1.0 - w) * head
        scores[float(w)] = _ua(fused, selection.labels, classes)
    chosen = max(scores, key=lambda w: (scores[w], -list(scores).index(w)))
    return {"weight": chosen, "UA": scores[chosen], "tried": scores}


def fit_fusion(
    classifier,
    train: LabelledAudio,
    valid: LabelledAudio,
    selection: LabelledAudio,
    c_grid: Sequence[float],
    weights: Sequence[float],
    batch_size: int = 8,
) -> dict:
    """Fits the heads of ``classifier.model.fusion``, then chooses its weights.

    Arguments
    ---------
    classifier : UtteranceClassifier
        The exported model, loaded (its model's ``fusion`` is changed in place).
    train, valid : LabelledAudio
        The training and validation splits (the heads and their ``C``).
    selection : LabelledAudio
        Where the weights are chosen (the validation split or another domain).
    c_grid : sequence of float
        The ``C`` values tried.
    weights : sequence of float
        The model's weights tried, each in ``[0, 1]``.
    batch_size : int
        Waveforms per forward pass of the model.

    Returns
    -------
    dict
        Per mode: the chosen ``C`` and its validation UA, the chosen weight
        and its selection UA, with everything tried.
    """
    fusion = classifier.model.fusion
    if fusion is None:
        raise ValueError("the model has no fusion (functionals_fusion: False)")
    bad = [w for w in weights if not 0.0 <= float(w) <= 1.0]
    if bad or not weights:
        raise ValueError(
            f"fusion_weights must be values in [0, 1], got {list(weights)}"
        )
    classes = list(classifier.labels)
    fusion.weights.fill_(1.0)  # the model alone while its outputs are read
    f_train, f_valid = (
        functionals_of(classifier, train),
        functionals_of(classifier, valid),
    )
    # the validation split as the selection set: its functionals once
    same = selection is valid
    f_selection = f_valid if same else functionals_of(classifier, selection)
    report = {}
    # Without a reference normalisation the model has no speaker mode.
    modes = MODES if classifier.model.reference_norm is not None else ("utterance",)
    for mode in modes:
        report[mode] = _fit_head(
            fusion, mode, train, valid, f_train, f_valid, classes, c_grid
        )
        speakers = selection.speakers if mode == "speaker" else None
        predict = log_probability_predictor(classifier, speakers, batch_size)
        model_log_probs = torch.tensor(predict(selection.wavs), dtype=torch.float64)
        report[mode].update(
            _choose_weight(
                fusion, mode, model_log_probs, f_selection, selection, classes, weights
            )
        )
    with torch.no_grad():
        for mode in modes:
            fusion.weights[MODES.index(mode)] = report[mode]["weight"]
    return report


def _scores(log_probs: torch.Tensor, labels: Sequence[str], classes) -> dict:
    """UA, WA and macro-F1 of log-probabilities against ``labels``."""
    predicted = [classes[i] for i in log_probs.argmax(-1).tolist()]
    report = classification_report(list(labels), predicted, list(classes))
    keys = ("unweighted_accuracy", "accuracy", "macro_f1")
    return {key: report[key] for key in keys} | {"utterances": len(labels)}


def evaluate_fused(classifier, test: LabelledAudio, batch_size: int = 8) -> dict:
    """The fused model's test figures, per speaker (transductive) and single utterance.

    Arguments
    ---------
    classifier : UtteranceClassifier
        With its fusion fitted.
    test : LabelledAudio
        The test split.
    batch_size : int
        Waveforms per forward pass.

    Returns
    -------
    dict
        ``speaker`` (when the model has a reference normalisation) and
        ``single_utterance``: UA, WA, macro-F1 and the utterance count.
    """
    classes = list(classifier.labels)
    out = {}
    if classifier.model.reference_norm is not None:
        predict = log_probability_predictor(classifier, test.speakers, batch_size)
        out["speaker"] = _scores(torch.tensor(predict(test.wavs)), test.labels, classes)
    predict = log_probability_predictor(classifier, None, batch_size)
    out["single_utterance"] = _scores(
        torch.tensor(predict(test.wavs)), test.labels, classes
    )
    return out


def selection_source(hparams: Mapping) -> str:
    """Where the fusion's weights are chosen: ``valid``, or a domain folder or manifest.

    ``fusion_selection: auto`` is the ``validation_domain`` (held-out
    espeak-ng voices and accents, generated there on first use) for the
    embedded corpus, and the validation split for any other corpus (a
    synthetic domain says little about a corpus of human speech).

    Arguments
    ---------
    hparams : mapping
        ``fusion_selection``, ``dataset`` and (for ``auto``)
        ``validation_domain``.

    Returns
    -------
    str

    Example
    -------
    >>> selection_source({"fusion_selection": "auto", "dataset": "iemocap"})
    'valid'
    >>> selection_source({"fusion_selection": "data/other", "dataset": "embedded"})
    'data/other'
    """
    where = str(hparams["fusion_selection"])
    if where != "auto":
        return where
    if hparams["dataset"] != "embedded":
        return "valid"
    from speechbrain_lstm_ser.dataio.synthetic.domains import (
        DomainOptions,
        generate_domain_corpus,
    )

    folder = os.path.normpath(hparams["validation_domain"])
    generate_domain_corpus(folder, DomainOptions(domain="validation"))  # idempotent
    return folder


def fuse_exported_model(hparams: Mapping) -> dict:
    """The recipe's late-fusion step: fit, test, and copy into the task model.

    Loads the exported model (``export_folder``), fits its fusion
    (:func:`fit_fusion`: the training and validation manifests, the weights
    chosen on :func:`selection_source`), tests the fused model on the test
    manifest, copies the fitted fusion into ``hparams["model"]`` (so that
    the next export writes it), and adds a ``fusion`` section to
    ``test_report.json``.

    Arguments
    ---------
    hparams : mapping
        The recipe's loaded hyperparameters (``export_folder``,
        ``train_annotation``, ``valid_annotation``, ``test_annotation``,
        ``data_folder``, ``sample_rate``, ``fusion_selection``, ``dataset``,
        ``validation_domain``, ``fusion_c``, ``fusion_weights``,
        ``output_folder``).

    Returns
    -------
    dict
        The ``fusion`` section.
    """
    from speechbrain_lstm_ser.evaluation.reports import write_json
    from speechbrain_lstm_ser.evaluation.robustness import read_labelled_audio
    from speechbrain_lstm_ser.evaluation.transfer import read_domain
    from speechbrain_lstm_ser.inference.load import load_model

    start = time.perf_counter()
    rate, root = int(hparams["sample_rate"]), hparams["data_folder"]

    def split(name):
        return read_labelled_audio(hparams[f"{name}_annotation"], root, rate, "emo")

    classifier = load_model(hparams["export_folder"])
    train, valid = split("train"), split("valid")
    where = selection_source(hparams)
    selection = valid if where == "valid" else read_domain(where, rate)
    unknown = sorted(set(selection.labels) - set(classifier.labels))
    if unknown:
        raise ValueError(
            f"fusion_selection {where}: labels {unknown} are not among the model's "
            f"classes {list(classifier.labels)}; give a domain of these classes "
            "or fusion_selection: valid"
        )
    fit = fit_fusion(
        classifier,
        train,
        valid,
        selection,
        hparams["fusion_c"],
        hparams["fusion_weights"],
    )
    section = {
        "weights": {mode: classifier.model.fusion.weight(mode) for mode in MODES},
        "selection": where,
        "min_clips": classifier.model.fusion.min_clips,
        "test": evaluate_fused(classifier, split("test")),
        "fit": fit,
    }
    section["seconds"] = round(time.perf_counter() - start, 1)  # fit and test
    hparams["model"].fusion.load_state_dict(classifier.model.fusion.state_dict())
    path = Path(hparams["output_folder"]) / "test_report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    write_json(path, {**report, "fusion": section})
    return section


def fuses(hparams: Mapping, classifier_trained: bool = True) -> bool:
    """Whether the recipe fits its model's fusion (:func:`fuse_exported_model`).

    The model must have one (``functionals_fusion: True``), a trained
    classifier and an ``export_folder`` (the fit reads the exported model);
    a fusion that cannot be fitted is said in the log and stays off (w = 1).

    Example
    -------
    >>> fuses({"model": None, "export_folder": "m"})
    False
    """
    if getattr(hparams.get("model"), "fusion", None) is None:
        return False
    if not classifier_trained or not hparams.get("export_folder"):
        logger.warning(
            "functionals_fusion is on but the model is not fused: it needs a "
            "trained classifier and an export_folder (w stays 1, the model alone)"
        )
        return False
    return True
