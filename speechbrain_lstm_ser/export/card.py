"""Model cards: the ``README.md`` of an inference folder, with Hub metadata.

The front matter carries what the Hugging Face Hub indexes
(``library_name: speechbrain``, ``pipeline_tag``, ``tags``, ``datasets``,
``metrics``, ``language``, ``license`` and a ``model-index`` with the test
results); the body says how to load the model, what it was trained on and
what it is not good for. Only aggregate metrics go in: no file path, speaker
ID or transcript of the training data. When the report says how the test set
was split (``protocol``, ``leakage``: shared speakers and identical
recordings, counts only), the card says it too, and flags a speaker-dependent
split as not comparable with speaker-independent results.

:func:`render_card` fills the package's ``templates/model_card.md`` (a
``string.Template``) from one :class:`CardOptions` record.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import string
from collections.abc import Mapping, Sequence
from pathlib import Path

import ruamel.yaml

from speechbrain_lstm_ser.evaluation.reports import variant_label

__all__ = [
    "CARD_TEMPLATE",
    "REQUIRED_METADATA",
    "CardOptions",
    "read_front_matter",
    "render_card",
    "usage_snippet",
]

#: The card's Markdown, with ``string.Template`` placeholders (package data).
CARD_TEMPLATE = Path(__file__).with_name("templates") / "model_card.md"

#: Front matter keys a card must have (checked before publishing).
REQUIRED_METADATA = (
    "library_name",
    "pipeline_tag",
    "tags",
    "datasets",
    "metrics",
    "language",
    "license",
)

_SNIPPET_START = "<!-- usage:begin -->"
_SNIPPET_END = "<!-- usage:end -->"

SYNTHETIC_WARNING = (
    "**Trained on synthetic speech.** The embedded corpus is generated with "
    "espeak-ng and rule-based emotional prosody: these figures show that the "
    "pipeline learns, not how the model does on human speech. Do not use this "
    "model on real recordings; train on a real corpus instead."
)


#: What the card of a model trained on its dimensions alone says instead of
#: its classes.
DIMENSIONS_ONLY = (
    "**Dimensions only.** Trained for arousal, valence and dominance alone "
    "(`category_weight: 0`): its classifier was never trained, so it gives no "
    "label; read the dimensions (`predict_file(...).dimensions`)."
)

#: The method each inference interface runs on a model's ``example.wav`` (the
#: card's usage snippet, and the check before publishing).
EXAMPLE_METHODS = {
    "speechbrain_lstm_ser.inference.EmotionRecognizer": "classify_file",
    "speechbrain_lstm_ser.inference.CommandRecognizer": "classify_file",
    "speechbrain_lstm_ser.inference.SpeechRecognizer": "transcribe_file",
}


def example_method(interface: str, classifier_trained: bool = True) -> str:
    """The method a model card's usage snippet calls on ``example.wav``.

    Arguments
    ---------
    interface : str
        Dotted path of the interface class.
    classifier_trained : bool
        False for a classifier trained on its dimensions alone
        (``classifier_trained: false`` in its folder): ``classify_file``
        refuses it, ``predict_file`` gives its dimensions.

    Returns
    -------
    str

    Example
    -------
    >>> example_method("speechbrain_lstm_ser.inference.SpeechRecognizer")
    'transcribe_file'
    >>> example_method("speechbrain_lstm_ser.inference.EmotionRecognizer", False)
    'predict_file'
    """
    if interface not in EXAMPLE_METHODS:
        raise ValueError(
            f"{interface} is not an interface of speechbrain_lstm_ser.inference; "
            f"expected one of {sorted(EXAMPLE_METHODS)}"
        )
    method = EXAMPLE_METHODS[interface]
    return (
        "predict_file"
        if method == "classify_file" and not classifier_trained
        else method
    )


def usage_snippet(interface: str, source: str, call: str) -> str:
    """The Python snippet that loads the model and runs its example clip.

    Arguments
    ---------
    interface : str
        Dotted path of the interface class.
    source : str
        A local folder or a Hub repo id.
    call : str
        The method call on the example clip, with ``{example}`` where its
        path goes, e.g. ``classify_file({example})``.

    Returns
    -------
    str
        Markdown (a fenced Python block between markers).

    Example
    -------
    >>> print(usage_snippet("pkg.mod.Model", "me/model", "run({example})"))
    <!-- usage:begin -->
    ```python
    from pkg.mod import Model
    <BLANKLINE>
    model = Model.from_hparams(source="me/model", savedir="pretrained_models/model")
    print(model.run("me/model/example.wav"))
    ```
    <!-- usage:end -->
    """
    module, name = interface.rsplit(".", 1)
    savedir = "pretrained_models/" + source.rstrip("/").split("/")[-1]
    example = f'"{source.rstrip("/")}/example.wav"'
    return "\n".join(
        [
            _SNIPPET_START,
            "```python",
            f"from {module} import {name}",
            "",
            f'model = {name}.from_hparams(source="{source}", savedir="{savedir}")',
            f"print(model.{call.format(example=example)})",
            "```",
            _SNIPPET_END,
        ]
    )


def replace_usage(card: str, snippet: str) -> str:
    """Swaps the usage snippet of a card (e.g. for the Hub repo id)."""
    pattern = re.compile(
        re.escape(_SNIPPET_START) + ".*?" + re.escape(_SNIPPET_END), re.S
    )
    if not pattern.search(card):
        raise ValueError("the card has no usage snippet markers")
    return pattern.sub(lambda _: snippet, card)


def extract_snippet_code(card: str) -> str:
    """The Python code of a card's usage snippet."""
    match = re.search(
        re.escape(_SNIPPET_START)
        + r"\s*```python\n(.*?)```\s*"
        + re.escape(_SNIPPET_END),
        card,
        re.S,
    )
    if not match:
        raise ValueError("the card has no usage snippet")
    return match.group(1)


def read_front_matter(card: str) -> dict:
    """Parses a card's YAML front matter (between the leading ``---`` lines).

    Arguments
    ---------
    card : str
        The README text.

    Returns
    -------
    dict
        The metadata (empty when the card has none).
    """
    match = re.match(r"---\n(.*?)\n---\n", card, re.S)
    if not match:
        return {}
    data = ruamel.yaml.YAML(typ="safe").load(match.group(1))
    return data if isinstance(data, dict) else {}


def _metric_rows(
    report: Mapping, categorical: bool = True
) -> list[tuple[str, str, float]]:
    """UA, WA and macro-F1 (unless ``categorical`` is False), then the CCCs."""
    if not categorical:  # an untrained classifier: its figures mean nothing
        return _dimension_rows(report)
    return [
        (
            "unweighted-accuracy",
            "UA (mean per-class recall)",
            report["unweighted_accuracy"],
        ),
        ("accuracy", "WA (accuracy)", report["accuracy"]),
        ("f1", "macro-F1", report["macro_f1"]),
        *_dimension_rows(report),
    ]


def _dimension_rows(report: Mapping) -> list[tuple[str, str, float]]:
    """The test CCC of each dimension, when the report has a ``dimensions`` section.

    Example
    -------
    >>> _dimension_rows({"dimensions": {"names": ["arousal"],
    ...                                 "overall": {"arousal": {"ccc": 0.8}}}})
    [('ccc', 'CCC arousal', 0.8)]
    """
    section = report.get("dimensions") or {}
    overall = section.get("overall") or {}
    return [
        ("ccc", f"CCC {name}", overall[name]["ccc"])
        for name in section.get("names", ())
        if (overall.get(name) or {}).get("ccc") is not None
    ]


def dimension_lines(report: Mapping) -> list[str]:
    r"""The card's "Dimensions" section: CCC per dimension, with the protocol.

    Arguments
    ---------
    report : mapping
        A classification ``test_report.json``; nothing is said without its
        ``dimensions`` section (a model without a regression head).

    Returns
    -------
    list of str
        Markdown lines.

    Example
    -------
    >>> scores = {"ccc": 0.81, "ccc_ci": [0.75, 0.86], "pearson": 0.83, "mae": 0.1}
    >>> report = {"dimensions": {
    ...     "reference": "speaker", "names": ["arousal"],
    ...     "bootstrap": {"resamples": 1000, "unit": "utterance", "level": 0.95},
    ...     "overall": {"arousal": scores},
    ...     "speaker_summary": {"arousal": {"ccc_mean": 0.7}},
    ...     "variants": {"single_utterance": {"overall": {"arousal": {"ccc": 0.6}}}}}}
    >>> print("\n".join(dimension_lines(report)))
    ## Dimensions
    <BLANKLINE>
    Arousal, valence and dominance in [0, 1], from a regression head beside the classifier's.
    <BLANKLINE>
    | dimension | CCC | 95% interval | Pearson | MAE | CCC per speaker (mean) | CCC, single utterance |
    |---|---|---|---|---|---|---|
    | arousal | 0.8100 | [0.7500, 0.8600] | 0.8300 | 0.1000 | 0.7000 | 0.6000 |
    <BLANKLINE>
    Features relative to the speaker; intervals: 1000 bootstrap resamples of utterances.
    <BLANKLINE>
    """  # noqa: E501
    section = (report or {}).get("dimensions")
    if not section:
        return []
    single = ((section.get("variants") or {}).get("single_utterance") or {}).get(
        "overall", {}
    )
    speakers = section.get("speaker_summary") or {}
    boot = section.get("bootstrap") or {}
    level = f"{100 * boot.get('level', 0.95):.0f}%"
    lines = [
        "## Dimensions",
        "",
        "Arousal, valence and dominance in [0, 1], from a regression head beside "
        "the classifier's.",
        "",
        f"| dimension | CCC | {level} interval | Pearson | MAE "
        "| CCC per speaker (mean) | CCC, single utterance |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in section["names"]:
        scores = section["overall"][name]
        interval = scores.get("ccc_ci")
        lines.append(
            f"| {name} | {_number(scores.get('ccc'))} | "
            + (f"[{interval[0]:.4f}, {interval[1]:.4f}]" if interval else "n/a")
            + f" | {_number(scores.get('pearson'))} | {_number(scores.get('mae'))}"
            f" | {_number((speakers.get(name) or {}).get('ccc_mean'))}"
            f" | {_number((single.get(name) or {}).get('ccc'))} |"
        )
    resampled = (
        f"{boot['resamples']} bootstrap resamples of {boot.get('unit', 'utterance')}s"
        if boot.get("resamples")
        else "none"
    )
    lines += [
        "",
        f"Features relative to the {section.get('reference', 'utterance')}; "
        f"intervals: {resampled}.",
        "",
    ]
    return lines


def _number(value) -> str:
    """A metric in a card's table (``n/a`` where undefined)."""
    return "n/a" if value is None else f"{value:.4f}"


def _test_set(dataset: str, report: Mapping | None) -> str:
    """The sentence saying what the test set is."""
    leakage = (report or {}).get("leakage")
    if not leakage:
        return f"Test set of `{dataset}` (speakers unseen in training)."
    if leakage["speaker_independent"]:
        return f"Test set of `{dataset}`: speakers unseen in training."
    shared = leakage["shared_speakers"]["train-test"]
    return (
        f"Test set of `{dataset}`: {shared} of its speakers also train "
        "(**speaker-dependent split: not comparable with speaker-independent "
        "results**)."
    )


def protocol_lines(report: Mapping) -> list[str]:
    r"""The card's "Evaluation protocol" section, from a test report.

    Arguments
    ---------
    report : mapping
        A ``test_report.json`` with ``protocol``, ``leakage`` and, for a
        fine-tuned model, ``init_from``.

    Returns
    -------
    list of str
        Markdown lines (empty when the report says nothing about them).

    Example
    -------
    >>> report = {"protocol": "EmoBox partitions of emodb", "fold": 1,
    ...           "leakage": {"speaker_independent": False,
    ...                       "shared_speakers": {"train-test": 10, "train-valid": 2,
    ...                                           "valid-test": 2},
    ...                       "identical_recordings": {"train-test": 0,
    ...                                                "train-valid": 0,
    ...                                                "valid-test": 0},
    ...                       "warnings": ["speaker-dependent split: not comparable "
    ...                                    "with speaker-independent results"]}}
    >>> print("\n".join(protocol_lines(report)))
    ## Evaluation protocol
    <BLANKLINE>
    EmoBox partitions of emodb, fold 1.
    <BLANKLINE>
    | splits | shared speakers | identical recordings |
    |---|---|---|
    | train-test | 10 | 0 |
    | train-valid | 2 | 0 |
    | valid-test | 2 | 0 |
    <BLANKLINE>
    - **speaker-dependent split: not comparable with speaker-independent results**
    <BLANKLINE>
    """
    leakage, protocol = report.get("leakage"), report.get("protocol")
    source = (report.get("init_from") or {}).get("source")
    if not (leakage or protocol or source):
        return []
    lines = ["## Evaluation protocol", ""]
    if protocol:
        fold = report.get("fold")
        text = (
            f"{protocol[:1].upper()}{protocol[1:]}{f', fold {fold}' if fold else ''}."
        )
        lines += [text, ""]
    if leakage:
        identical = leakage.get("identical_recordings") or {}
        lines += [
            "| splits | shared speakers | identical recordings |",
            "|---|---|---|",
        ]
        for pair, count in leakage["shared_speakers"].items():
            lines.append(f"| {pair} | {count} | {identical.get(pair, 'not checked')} |")
        lines.append("")
        lines += [f"- **{warning}**" for warning in leakage["warnings"]]
        if leakage["warnings"]:
            lines.append("")
    if source:
        # A Hub repo id is worth naming; a local folder path is not published.
        named = f"`{source}`" if not os.path.isabs(source) else "a local model"
        lines += [
            f"Fine-tuned from {named} ({report['init_from'].get('head', '')}).",
            "",
        ]
    return lines


def calibration_lines(report: Mapping) -> list[str]:
    r"""What the card says about the confidence: the temperature and the test ECE.

    Arguments
    ---------
    report : mapping
        A classification ``test_report.json``, with its ``calibration``
        section (nothing is said without one).

    Returns
    -------
    list of str
        Markdown lines.

    Example
    -------
    >>> report = {"calibration": {"temperature": 1.5, "num_bins": 15,
    ...                           "fitted_on": "valid", "before": {"ece": 0.12},
    ...                           "after": {"ece": 0.04}}}
    >>> print("\n".join(calibration_lines(report)))
    Confidences are temperature-scaled (T = 1.500, fitted on the validation split): expected calibration error on the test split 0.040 (15 bins; 0.120 without scaling).
    <BLANKLINE>
    """  # noqa: E501
    calibration = (report or {}).get("calibration")
    if not calibration:
        return []
    ece, bins = calibration["after"]["ece"], calibration["num_bins"]
    if calibration.get("fitted_on"):
        split = {"valid": "validation"}.get(calibration["fitted_on"], "held-out")
        text = (
            f"Confidences are temperature-scaled (T = {calibration['temperature']:.3f}"
            f", fitted on the {split} split): expected calibration error on the "
            f"test split {ece:.3f} ({bins} bins; "
            f"{calibration['before']['ece']:.3f} without scaling)."
        )
    else:
        text = (
            f"Confidences are not temperature-scaled (T = "
            f"{calibration['temperature']:.3f}): expected calibration error on the "
            f"test split {ece:.3f} ({bins} bins)."
        )
    return [text, ""]


def fusion_lines(report: Mapping) -> list[str]:
    r"""The card's "Late fusion" section: the fused model's weights and test figures.

    Arguments
    ---------
    report : mapping
        A classification ``test_report.json``; its ``fusion`` section is what
        the recipe's late-fusion step wrote.

    Returns
    -------
    list of str
        Markdown lines (empty without a ``fusion`` section).

    Example
    -------
    >>> report = {"unweighted_accuracy": 0.8, "fusion": {
    ...     "weights": {"speaker": 0.1, "utterance": 1.0}, "selection": "valid",
    ...     "min_clips": 10,
    ...     "test": {"speaker": {"unweighted_accuracy": 0.88, "accuracy": 0.88},
    ...              "single_utterance": {"unweighted_accuracy": 0.7,
    ...                                   "accuracy": 0.7}}}}
    >>> print("\n".join(fusion_lines(report)))
    ## Late fusion with prosodic functionals
    <BLANKLINE>
    The model's class log-probabilities are fused with a linear classifier over prosodic functionals of the waveform: `log_softmax(w log p_model + (1 - w) log p_functionals)`, `w` chosen on `valid`: 0.1 for an enrolled speaker (10 clips or more), 1.0 for a single utterance (1: the model alone).
    <BLANKLINE>
    | test | UA | WA |
    |---|---|---|
    | enrolled speaker (all their test clips), fused | 0.8800 | 0.8800 |
    | single utterance, fused | 0.7000 | 0.7000 |
    | enrolled speaker, the LSTM alone | 0.8000 | – |
    <BLANKLINE>
    """  # noqa: E501
    fusion = report.get("fusion")
    if not fusion:
        return []
    weights = fusion["weights"]
    lines = [
        "## Late fusion with prosodic functionals",
        "",
        "The model's class log-probabilities are fused with a linear classifier "
        "over prosodic functionals of the waveform: `log_softmax(w log p_model "
        f"+ (1 - w) log p_functionals)`, `w` chosen on `{fusion['selection']}`: "
        f"{weights['speaker']} for an enrolled speaker ({fusion['min_clips']} "
        "clips or more), "
        f"{weights['utterance']} for a single utterance (1: the model alone).",
        "",
        "| test | UA | WA |",
        "|---|---|---|",
    ]
    names = {
        "speaker": "enrolled speaker (all their test clips), fused",
        "single_utterance": "single utterance, fused",
    }
    for name, scores in fusion["test"].items():
        ua, wa = scores["unweighted_accuracy"], scores["accuracy"]
        lines.append(f"| {names[name]} | {ua:.4f} | {wa:.4f} |")
    alone = report["unweighted_accuracy"]
    lines += [f"| enrolled speaker, the LSTM alone | {alone:.4f} | – |", ""]
    return lines


def normalization_lines(report: Mapping) -> list[str]:
    r"""The card's "Normalisation" section: what the figures were measured with.

    Arguments
    ---------
    report : mapping
        A classification ``test_report.json`` with a ``normalization`` entry.

    Returns
    -------
    list of str
        Markdown lines (empty when the report says nothing about it).

    Example
    -------
    >>> report = {"normalization": {"reference": "speaker", "note": "transductive",
    ...     "variants": {"single_utterance": {"UA": 0.8, "WA": 0.8, "utterances": 4},
    ...                  "enrolment_3": {"UA": 0.85, "WA": 0.86, "utterances": 4}}}}
    >>> print("\n".join(normalization_lines(report)))
    ## Normalisation
    <BLANKLINE>
    Features relative to the **speaker**: transductive.
    <BLANKLINE>
    | speaker information | UA | WA |
    |---|---|---|
    | no speaker information (single utterance) | 0.8000 | 0.8000 |
    | 3 enrolment clips | 0.8500 | 0.8600 |
    <BLANKLINE>
    """
    norm = report.get("normalization")
    if not norm:
        return []
    lines = [
        "## Normalisation",
        "",
        f"Features relative to the **{norm['reference']}**: {norm.get('note', '')}.",
        "",
    ]
    variants = norm.get("variants") or {}
    if variants:
        lines += ["| speaker information | UA | WA |", "|---|---|---|"]
        for name, scores in variants.items():
            what = variant_label(name)
            lines.append(f"| {what} | {scores['UA']:.4f} | {scores['WA']:.4f} |")
        lines.append("")
    return lines


@dataclasses.dataclass(frozen=True)
class CardOptions:
    """What a model card says: built once by the export, read by :func:`render_card`.

    Example
    -------
    >>> options = CardOptions(
    ...     title="t", task="Speech Emotion Recognition",
    ...     pipeline_tag="audio-classification",
    ...     interface="speechbrain_lstm_ser.inference.EmotionRecognizer",
    ...     source="me/model", call="classify_file({example})",
    ...     labels=["sad", "happy"], dataset="embedded", synthetic=True,
    ...     description="An LSTM.",
    ... )
    >>> card = render_card(options)
    >>> read_front_matter(card)["pipeline_tag"], "Classes: `sad`, `happy`." in card
    ('audio-classification', True)
    """

    #: Card title.
    title: str
    #: Task name for the model index (e.g. "Speech Emotion Recognition").
    task: str
    #: Hub pipeline tag (``audio-classification``,
    #: ``automatic-speech-recognition``).
    pipeline_tag: str
    #: Dotted path of the interface class.
    interface: str
    #: Where the usage snippet loads from (local folder or repo id).
    source: str
    #: Interface call in the snippet (see :func:`usage_snippet`).
    call: str
    #: Output classes (empty for speech recognition).
    labels: Sequence[str]
    #: Training corpus name.
    dataset: str
    #: Whether the training corpus is the synthetic embedded one.
    synthetic: bool
    #: One paragraph on the model (architecture, features).
    description: str
    #: A classification ``test_report.json``: WA, UA, macro-F1, by gender,
    #: and the temperature and test ECE of its ``calibration`` section.
    report: Mapping | None = None
    #: ``(hub metric type, display name, value)`` rows, instead of or in
    #: addition to those derived from ``report``.
    metrics: Sequence[tuple[str, str, float]] = ()
    #: Extra Hub tags.
    tags: Sequence[str] = ()
    #: Language code.
    language: str = "en"
    #: License identifier.
    license: str = "apache-2.0"
    #: False for a model trained on its dimensions alone (``category_weight:
    #: 0``): the card then shows no categorical figure (UA, WA, F1,
    #: calibration, by gender) and says that the model gives no label.
    classifier_trained: bool = True

    @property
    def metric_rows(self) -> list[tuple[str, str, float]]:
        """The report's metrics, then :attr:`metrics`."""
        rows = _metric_rows(self.report, self.classifier_trained) if self.report else []
        return [*rows, *(self.metrics or ())]

    @property
    def dataset_id(self) -> str:
        """The dataset as the Hub metadata names it."""
        return "synthetic-espeak-ng" if self.synthetic else self.dataset


def _front_matter(options: CardOptions) -> str:
    """The card's YAML front matter (Hub metadata and model index)."""
    rows, dataset_id = options.metric_rows, options.dataset_id
    tag = options.pipeline_tag
    front = {
        "language": options.language,
        "license": options.license,
        "library_name": "speechbrain",
        "pipeline_tag": tag,
        "tags": ["speechbrain", "lstm", "speechbrain-lstm-ser", tag, *options.tags],
        "datasets": [dataset_id],
        "metrics": sorted({kind for kind, _, _ in rows}),
        "model-index": [
            {
                "name": options.title,
                "results": [
                    {
                        "task": {"type": tag, "name": options.task},
                        "dataset": {
                            "name": dataset_id,
                            "type": dataset_id,
                            "split": "test",
                        },
                        "metrics": [
                            {"type": kind, "name": name, "value": round(float(v), 4)}
                            for kind, name, v in rows
                        ],
                    }
                ],
            }
        ],
    }
    stream = io.StringIO()
    yaml = ruamel.yaml.YAML()
    yaml.default_flow_style = False
    yaml.dump(front, stream)
    return stream.getvalue().rstrip()


def _results_lines(options: CardOptions) -> list[str]:
    """The "Results" table (nothing without metrics)."""
    rows = options.metric_rows
    if not rows:
        return []
    lines = ["## Results", "", _test_set(options.dataset, options.report), ""]
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {name} | {value:.4f} |" for _, name, value in rows]
    return [*lines, ""]


def _gender_lines(report: Mapping | None) -> list[str]:
    """The table of UA and WA by gender (nothing without one)."""
    if not report or not report.get("by_gender"):
        return []
    lines = ["| gender | utterances | UA | WA |", "|---|---|---|---|"]
    for gender, scores in report["by_gender"].items():
        lines.append(
            f"| {gender} | {scores['num_utterances']} | "
            f"{scores['unweighted_accuracy']:.4f} | {scores['accuracy']:.4f} |"
        )
    return [*lines, ""]


def _block(lines: Sequence[str]) -> str:
    """Lines of an optional section, as the template's placeholder takes them."""
    return "\n".join(lines) + "\n" if lines else ""


def render_card(options: CardOptions) -> str:
    """Renders a model card from the package's template (``templates/model_card.md``).

    Arguments
    ---------
    options : CardOptions
        What the card says.

    Returns
    -------
    str
        The card (Markdown with YAML front matter).
    """
    report = options.report
    labels = ", ".join(f"`{x}`" for x in options.labels)
    classes = [f"Classes: {labels}.", ""] if options.labels else []
    categorical = report
    if not options.classifier_trained:
        classes = [DIMENSIONS_ONLY, ""]
        categorical = None  # no figure of the untrained classifier
        if report and report.get("normalization"):
            norm = {k: v for k, v in report["normalization"].items() if k != "variants"}
            report = {**report, "normalization": norm}
    template = string.Template(CARD_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        front_matter=_front_matter(options),
        title=options.title,
        description=options.description,
        synthetic_warning=_block([SYNTHETIC_WARNING, ""] if options.synthetic else []),
        usage=usage_snippet(options.interface, options.source, options.call),
        classes=_block(classes),
        results=_block(_results_lines(options)),
        calibration=_block(calibration_lines(categorical) if categorical else []),
        by_gender=_block(_gender_lines(categorical)),
        normalization=_block(normalization_lines(report) if report else []),
        fusion=_block(fusion_lines(categorical) if categorical else []),
        dimensions=_block(dimension_lines(report) if report else []),
        protocol=_block(protocol_lines(report) if report else []),
    )
