"""Export of a trained model as an inference folder (what goes to the Hub).

An inference folder holds everything ``from_hparams(source=folder)`` needs
and nothing else: ``hyperparams.yaml`` (only the modules inference runs, and
a ``Pretrainer`` with *no* ``paths``: each loadable ``<name>`` is then fetched
as ``<name>.ckpt`` from whatever ``source`` the user passes, a folder or a
Hub repo id; a path in the YAML would pin one location), one checkpoint per
module with state, the label encoder, extra files (e.g. a tokenizer), an
``example.wav``
synthesised for the occasion (never a recording from the training data),
and a ``README.md`` model card with Hub metadata.

The modules exported are the parts of the recipe's task model
(``UtteranceClassifierModel.MODULES`` or ``CTCModel.MODULES`` of
:mod:`speechbrain_lstm_ser.nnet.models`, one ``<name>.ckpt`` each) and the
optional ``preprocess``; the inference interface rebuilds the task model from
them. Their definitions are taken from the training run's own resolved
``hyperparams.yaml`` (SpeechBrain writes it into the output folder with every
override applied), so whatever encoder, pooling or pre-processing a user
chose in their YAML is what the inference folder rebuilds.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import ruamel.yaml
import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.utils.checkpoints import DEFAULT_SAVE_HOOKS, get_default_hook

from speechbrain_lstm_ser.dataio.audio import write_audio
from speechbrain_lstm_ser.hub.legacy import CLASSIFIER_TRAINED
from speechbrain_lstm_ser.hub.load import HYPERPARAMS
from speechbrain_lstm_ser.nnet.models import (
    PREPROCESS,
    CTCModel,
    TaskModel,
    UtteranceClassifierModel,
)
from speechbrain_lstm_ser.nnet.normalization import reference_mode

logger = logging.getLogger(__name__)

__all__ = [
    "EXAMPLE_TEXT",
    "describe_model",
    "export_classifier",
    "export_recognizer",
    "export_model",
    "exported_modules",
    "inference_yaml",
    "save_module",
]

#: How exported YAML files build a label encoder and a tokenizer.
LABEL_ENCODER_TAG = "!new:speechbrain.dataio.encoder.CategoricalEncoder"
TOKENIZER_TAG = "!new:sentencepiece.SentencePieceProcessor"

#: What the synthesised example clip says.
EXAMPLE_TEXT = "This is an example recording for the model card."


def _is_plain(value) -> bool:
    """Whether a value is YAML data (no objects), safe to write as a literal."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _evaluate(node):
    """The value of an ``!apply:`` node of the (trusted) training YAML, or None."""
    yaml = ruamel.yaml.YAML()
    stream = io.StringIO()
    yaml.dump({"value": node}, stream)
    try:
        value = load_hyperpyyaml(stream.getvalue())["value"]
    except Exception:  # not evaluable on its own: keep the node as it is
        return None
    return list(value) if isinstance(value, tuple) else value


def _clean(node):
    """A plain copy of a resolved node: no comments, ``!apply:`` calls folded.

    Exporting runs inside the training run, on the user's own YAML, so its
    ``!apply:`` calls (e.g. ``num_classes: !apply:len [...]``) are evaluated
    here and written as values: the inference YAML then needs none.
    """
    tag = getattr(getattr(node, "tag", None), "value", None) or ""
    if tag.startswith("!apply:"):
        value = _evaluate(node)
        if _is_plain(value):
            return value
    if isinstance(node, dict):
        copy = ruamel.yaml.comments.CommentedMap()
        for key, value in node.items():
            copy[key] = _clean(value)
    elif isinstance(node, list):
        copy = ruamel.yaml.comments.CommentedSeq(_clean(v) for v in node)
    else:
        return node
    if tag:
        copy.yaml_set_ctag(node.tag)
    return copy


#: The YAML function that builds an optional head only when it is switched on.
OPTIONAL_HEAD_TAG = "!apply:speechbrain_lstm_ser.nnet.heads.optional_head"


def _built_node(node):
    """A module's definition as an inference YAML writes it.

    A head that the training YAML builds only when switched on
    (``!apply:...optional_head [weight, !name:Head {...}]``) is exported as
    what it built: ``!new:Head {...}`` (no switch, no ``!apply:``).
    """
    tag = getattr(getattr(node, "tag", None), "value", None) or ""
    if tag != OPTIONAL_HEAD_TAG:
        return _clean(node)
    factory = node[1]
    built = _clean(factory)
    factory_tag = factory.tag.value
    built.yaml_set_ctag(ruamel.yaml.comments.Tag(suffix="!new:" + factory_tag[6:]))
    return built


def inference_yaml(
    training_yaml: str | os.PathLike,
    module_keys: Sequence[str],
    checkpoints: Sequence[str],
    meta: Mapping[str, object],
    objects: Mapping[str, str] | None = None,
    hparam_keys: Sequence[str] = (),
    arguments: Mapping[str, Mapping[str, object]] | None = None,
) -> str:
    """Builds the inference ``hyperparams.yaml`` from a resolved training YAML.

    Arguments
    ---------
    training_yaml : str or os.PathLike
        The ``hyperparams.yaml`` SpeechBrain wrote into the training output
        folder (references and overrides already resolved).
    module_keys : sequence of str
        Top-level keys of the modules inference runs, in order.
    checkpoints : sequence of str
        The module keys that have a ``<key>.ckpt`` to load.
    meta : mapping
        Plain top-level values to record (e.g. ``sample_rate``, the interface).
    objects : mapping, optional
        Other loadable objects: name -> YAML tag that builds it (e.g.
        ``{"label_encoder": "!new:speechbrain.dataio.encoder.CategoricalEncoder"}``),
        each loaded from ``<name>.ckpt``.
    hparam_keys : sequence of str
        Other top-level keys to copy from the training YAML (e.g. a searcher).
    arguments : mapping, optional
        Module key -> plain arguments that replace those of its definition
        (what a module's ``inference_arguments()`` returns, e.g. an SSL front
        end's configuration instead of its Hub id).

    Returns
    -------
    str
        The YAML text.
    """
    objects = dict(objects or {})
    yaml = ruamel.yaml.YAML()
    with open(training_yaml, encoding="utf-8") as handle:
        tree = yaml.load(handle)
    # A part of the task model may also be written inside its `model:` node.
    model_node = tree.get("model")
    parts = model_node if isinstance(model_node, dict) else {}
    nodes = {key: tree[key] for key in (*module_keys, *hparam_keys) if key in tree}
    nodes.update({k: parts[k] for k in module_keys if k not in tree and k in parts})
    missing = [key for key in (*module_keys, *hparam_keys) if key not in nodes]
    if missing:
        raise KeyError(f"{training_yaml} defines no {missing}")
    subset = ruamel.yaml.comments.CommentedMap()
    for key, value in meta.items():
        subset[key] = value
    for key in (*hparam_keys, *module_keys):
        subset[key] = _built_node(nodes[key])
        for name, value in (arguments or {}).get(key, {}).items():
            subset[key][name] = value
    out = io.StringIO()
    out.write(
        "# ############################################################\n"
        "# Inference hyperparameters, exported from a training run of\n"
        "# speechbrain-lstm-ser. Load with the interface named below:\n"
        "#   Interface.from_hparams(source=<this folder or a Hub repo id>)\n"
        "# ############################################################\n\n"
    )
    yaml.dump(subset, out)
    for name, tag in objects.items():
        out.write(f"\n{name}: {tag}\n")
    out.write("\nmodules:\n")
    for key in module_keys:
        out.write(f"    {key}: !ref <{key}>\n")
    loadables = [k for k in module_keys if k in checkpoints] + list(objects)
    out.write(
        "\n# No `paths:` on purpose: every loadable <name> is fetched as\n"
        "# <name>.ckpt from the `source` given to from_hparams.\n"
    )
    out.write("pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer\n")
    out.write("    loadables:\n")
    for key in loadables:
        out.write(f"        {key}: !ref <{key}>\n")
    return out.getvalue()


def save_module(module, path: str | os.PathLike) -> bool:
    """Saves a module's state with SpeechBrain's checkpoint hooks.

    Arguments
    ---------
    module : object
        A ``torch.nn.Module`` or any object with SpeechBrain checkpoint hooks
        (e.g. ``InputNormalization``).
    path : str or os.PathLike
        Destination file.

    Returns
    -------
    bool
        False when the module has no state to save (nothing written).
    """
    hook = get_default_hook(module, DEFAULT_SAVE_HOOKS)
    if hook is None:
        raise TypeError(f"don't know how to save a {type(module).__name__}")
    plain_module = hook is DEFAULT_SAVE_HOOKS.get(torch.nn.Module)
    if plain_module and not module.state_dict():
        return False
    hook(module, path)
    return True


def export_model(
    output_dir: str | os.PathLike,
    training_yaml: str | os.PathLike,
    modules: Mapping[str, object],
    interface: str,
    card: str,
    objects: Mapping[str, tuple[str, Callable[[Path], object]]] | None = None,
    hparam_keys: Sequence[str] = (),
    meta: Mapping[str, object] | None = None,
    sample_rate: int = 16000,
) -> Path:
    """Writes an inference folder for a trained model.

    Arguments
    ---------
    output_dir : str or os.PathLike
        The folder to (re)create; only files this function writes are put
        there, and an existing folder is replaced only if it is an export.
    training_yaml : str or os.PathLike
        The resolved training ``hyperparams.yaml`` of the run.
    modules : mapping
        Module key -> trained module, in the order inference runs them.
    interface : str
        Dotted path of the ``Pretrained`` subclass that loads the folder.
    card : str
        The model card (``README.md``) text.
    objects : mapping, optional
        Other loadables: name -> (YAML tag that builds it, function writing
        its ``<name>.ckpt``), e.g. a label encoder or a tokenizer.
    hparam_keys : sequence of str
        Other keys of the training YAML that inference needs (a searcher).
    meta : mapping, optional
        More plain values for the top of ``hyperparams.yaml``.
    sample_rate : int
        Sample rate the model expects (recorded in the YAML).

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(output_dir)
    if folder.exists():
        if not (folder / HYPERPARAMS).is_file():
            raise FileExistsError(
                f"{folder} exists and is not an exported model folder; refusing "
                "to replace it"
            )
        shutil.rmtree(folder)
    tmp = folder.with_name(f".{folder.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    checkpoints = [
        key
        for key, module in modules.items()
        if save_module(module, tmp / f"{key}.ckpt")
    ]
    objects = dict(objects or {})
    for name, (_, write) in objects.items():
        write(tmp / f"{name}.ckpt")
    values = {"interface": interface, "sample_rate": sample_rate, **(meta or {})}
    text = inference_yaml(
        training_yaml,
        list(modules),
        checkpoints,
        values,
        {name: tag for name, (tag, _) in objects.items()},
        hparam_keys,
        {
            key: module.inference_arguments()
            for key, module in modules.items()
            if hasattr(module, "inference_arguments")
        },
    )
    (tmp / HYPERPARAMS).write_text(text, encoding="utf-8")
    _check_export(tmp, modules, checkpoints)
    _write_example(tmp / "example.wav", sample_rate)
    (tmp / "README.md").write_text(card, encoding="utf-8")
    os.replace(tmp, folder)
    logger.info(f"Exported the model for inference to {folder}")
    return folder


def _check_export(folder: Path, modules: Mapping[str, object], checkpoints) -> None:
    """Rebuilds the exported modules and loads their weights strictly.

    A module the YAML rebuilds differently from the trained one (a wrong
    size, a missing layer) fails the export here, not a user's load later.
    """
    from speechbrain.utils.checkpoints import DEFAULT_SAVE_HOOKS

    text = (folder / HYPERPARAMS).read_text(encoding="utf-8")
    pretrainer_at = text.index("\nmodules:\n")
    built = load_hyperpyyaml(text[:pretrainer_at])
    plain = DEFAULT_SAVE_HOOKS.get(torch.nn.Module)
    for key in checkpoints:
        module = modules[key]
        if get_default_hook(module, DEFAULT_SAVE_HOOKS) is not plain:
            continue  # custom state (e.g. normalisation statistics)
        state = torch.load(
            folder / f"{key}.ckpt", map_location="cpu", weights_only=True
        )
        try:
            built[key].load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise RuntimeError(
                f"the exported {HYPERPARAMS} rebuilds `{key}` differently from the "
                f"trained module: {err}"
            ) from None


def _write_example(path: Path, sample_rate: int) -> None:
    """A short synthetic clip that the card's usage snippet and checks use."""
    from speechbrain_lstm_ser.dataio.audio import resample
    from speechbrain_lstm_ser.dataio.synthetic.espeak import (
        EspeakSynthesizer,
        SynthesisRequest,
        synthesize_isolated,
    )

    [[raw]] = synthesize_isolated([[SynthesisRequest(EXAMPLE_TEXT, "en+f3")]])
    wav = torch.from_numpy(raw.astype("float32") / 32768.0)
    wav = resample(wav, EspeakSynthesizer.native_sample_rate, sample_rate)
    write_audio(path, wav, sample_rate)


def describe_model(modules: Mapping[str, object]) -> str:
    """One sentence on a model's parts and size, for its card.

    Arguments
    ---------
    modules : mapping
        Module key -> module.

    Returns
    -------
    str
    """
    parts = [
        _describe_part(key, m)
        for key, m in modules.items()
        if isinstance(m, torch.nn.Module) and key != "preprocess"
    ]
    params = sum(
        p.numel()
        for m in modules.values()
        if isinstance(m, torch.nn.Module)
        for p in m.parameters()
    )
    return f"{' -> '.join(parts)}; {params / 1e6:.2f} M parameters."


def _describe_part(key: str, module: torch.nn.Module) -> str:
    """A part's class name, with its noise floor and voicing gates where it has them.

    The features' floor lies under the utterance's loudest frame; a running
    reference's (the streaming model's) under the loudest frame so far.
    """
    name = type(module).__name__
    floor = getattr(module, "noise_floor_db", None)
    gate = getattr(module, "voicing_gate_db", None)
    notes = []
    if floor is not None:
        so_far = "" if key == "compute_features" else " so far"
        note = f"floor {floor:g} dB under the loudest frame{so_far}"
        margin = getattr(module, "noise_floor_margin_db", None)
        if margin is not None:
            note += f" or {margin:g} dB over the noise level"
        notes.append(note)
    noise_gate = getattr(module, "voicing_noise_gate_db", None)
    gates = []
    if gate is not None:
        under = "it" if notes else "the loudest frame"
        gates.append(f"{gate:g} dB under {under}")
    if noise_gate is not None:
        gates.append(f"within {noise_gate:g} dB of the noise level")
    if gates:
        notes.append(f"unvoiced {' or '.join(gates)}")
    return f"{name} ({'; '.join(notes)})" if notes else name


def _load_report(report: Mapping | str | os.PathLike) -> Mapping:
    """``report`` itself, or the JSON file it names."""
    if isinstance(report, Mapping):
        return report
    with open(report, encoding="utf-8") as handle:
        return json.load(handle)


def exported_modules(
    hparams: Mapping, kind: type[TaskModel]
) -> dict[str, torch.nn.Module]:
    """What an inference folder holds: the task model's parts and the pre-processing.

    Arguments
    ---------
    hparams : mapping
        The recipe's loaded hyperparameters: ``model`` is the task model,
        ``modules`` may hold a ``preprocess``.
    kind : type
        The task model class the folder's interface rebuilds
        (:class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel`
        or :class:`~speechbrain_lstm_ser.nnet.models.CTCModel`).

    Returns
    -------
    dict
        Name -> module, in the order inference runs them: ``preprocess``
        (if any), then ``kind.MODULES``.
    """
    model = hparams["model"]
    if not isinstance(model, kind):
        raise TypeError(
            f"hparams['model'] is a {type(model).__name__}, not a {kind.__name__}: "
            f"define `model: !new:{kind.__module__}.{kind.__name__}` in the YAML"
        )
    modules = {}
    if PREPROCESS in hparams["modules"]:
        modules[PREPROCESS] = hparams["modules"][PREPROCESS]
    modules.update(model.parts())
    return modules


def export_classifier(
    hparams: Mapping,
    label_encoder,
    report: Mapping | str | os.PathLike,
    *,
    title: str,
    task: str,
    interface: str,
    classifier_trained: bool = True,
) -> Path:
    """Exports an utterance classifier (emotion, spoken command) from a recipe.

    Reads from ``hparams``: ``model`` (an
    :class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel`),
    ``modules`` (its optional ``preprocess``), ``export_folder``,
    ``output_folder`` (for the resolved ``hyperparams.yaml``),
    ``sample_rate``, ``dataset`` and the optional ``model_card`` mapping
    (``language``, ``license``, ``tags``).

    Arguments
    ---------
    hparams : mapping
        The recipe's loaded hyperparameters (the model holds the weights to
        export, e.g. the best checkpoint after ``evaluate``).
    label_encoder : speechbrain.dataio.encoder.CategoricalEncoder
        Class names.
    report : mapping, str or os.PathLike
        The test report (aggregate metrics go in the card), or the path of
        its JSON file.
    title : str
        Card title.
    task : str
        Task name for the card's model index.
    interface : str
        Dotted path of the interface class.
    classifier_trained : bool
        False for a model trained on its dimensions alone (``category_weight:
        0``): its folder records ``classifier_trained: false``, inference
        then gives no label, and the card no categorical figure. The model
        must have a regressor.

    Returns
    -------
    Path
        The export folder.
    """
    if not classifier_trained and hparams["model"].regressor is None:
        raise ValueError(
            "classifier_trained=False but the model has no regressor: nothing of "
            "it was trained (category_weight: 0 needs dimension_weight > 0)"
        )
    return _export_recipe_model(
        hparams,
        UtteranceClassifierModel,
        interface,
        summary=f"{task} with an LSTM",
        card={
            "title": title,
            "task": task,
            "pipeline_tag": "audio-classification",
            "labels": [label_encoder.ind2lab[i] for i in range(len(label_encoder))],
            "report": _load_report(report),
            "classifier_trained": classifier_trained,
        },
        objects={"label_encoder": (LABEL_ENCODER_TAG, label_encoder.save)},
        meta={} if classifier_trained else {CLASSIFIER_TRAINED: False},
    )


def export_recognizer(
    hparams: Mapping,
    tokenizer_file: str | os.PathLike,
    report: Mapping | str | os.PathLike,
    *,
    title: str = "LSTM-CTC speech recognition",
    interface: str = "speechbrain_lstm_ser.inference.SpeechRecognizer",
    hparam_keys: Sequence[str] = ("blank_index", "test_searcher"),
) -> Path:
    """Exports a CTC speech recogniser (the ASR recipe) with its tokenizer.

    Reads from ``hparams``: ``model`` (a
    :class:`~speechbrain_lstm_ser.nnet.models.CTCModel`), ``modules`` (its
    optional ``preprocess``), ``export_folder``, ``output_folder``,
    ``sample_rate``, ``dataset`` and the optional ``model_card`` mapping.

    Arguments
    ---------
    hparams : mapping
        The recipe's loaded hyperparameters (the model holds the weights).
    tokenizer_file : str or os.PathLike
        The trained sentencepiece ``.model``.
    report : mapping, str or os.PathLike
        The ASR test report (WER and CER go in the card), or the path of its
        JSON file.
    title : str
        Card title.
    interface : str
        Dotted path of the interface class.
    hparam_keys : sequence of str
        Other keys inference needs (the blank index, the beam searcher).

    Returns
    -------
    Path
        The export folder.
    """
    report = _load_report(report)
    return _export_recipe_model(
        hparams,
        CTCModel,
        interface,
        summary="Speech recognition with an LSTM and CTC",
        card={
            "title": title,
            "task": "Speech Recognition",
            "pipeline_tag": "automatic-speech-recognition",
            "labels": (),
            "metrics": [
                ("wer", "WER (%)", report["WER"]),
                ("cer", "CER (%)", report["CER"]),
            ],
        },
        objects={
            "tokenizer": (
                TOKENIZER_TAG,
                lambda path: shutil.copyfile(tokenizer_file, path),
            )
        },
        hparam_keys=hparam_keys,
    )


def _export_recipe_model(
    hparams: Mapping,
    kind: type[TaskModel],
    interface: str,
    summary: str,
    card: Mapping[str, object],
    objects: Mapping[str, tuple[str, Callable[[Path], object]]],
    hparam_keys: Sequence[str] = (),
    meta: Mapping[str, object] | None = None,
) -> Path:
    """:func:`export_model` with what every recipe's export reads from its YAML.

    ``meta``: more plain values for the top of the folder's YAML.
    The modules are :func:`exported_modules` (``kind``: the task model);
    the card's description is ``summary`` and :func:`describe_model`.
    ``export_folder``, ``output_folder``, ``sample_rate``, ``dataset`` and the
    optional ``model_card`` mapping (``language``, ``license``, ``tags``) of
    ``hparams`` complete ``card``, the task-specific fields of the card's
    :class:`~speechbrain_lstm_ser.export.card.CardOptions`.
    """
    from speechbrain_lstm_ser.export.card import (
        CardOptions,
        example_method,
        render_card,
    )

    modules = exported_modules(hparams, kind)
    folder = str(hparams["export_folder"])
    options = dict(hparams.get("model_card") or {})
    card_options = CardOptions(
        interface=interface,
        source=folder,
        call=example_method(interface, card.get("classifier_trained", True))
        + "({example})",
        dataset=str(hparams["dataset"]),
        synthetic=hparams["dataset"] == "embedded",
        tags=options.get("tags", ()),
        language=options.get("language", "en"),
        license=options.get("license", "apache-2.0"),
        description=f"{summary}: {describe_model(modules)}",
        **card,
    )
    text = render_card(card_options)
    meta = dict(meta or {})
    mode = reference_mode(hparams["model"], hparams.get("normalization_reference"))
    if mode != "global":
        # What the features were measured against in training: inference
        # asks for a speaker when it was the speaker.
        meta["normalization_reference"] = mode
    return export_model(
        folder,
        Path(hparams["output_folder"]) / HYPERPARAMS,
        modules,
        interface,
        text,
        objects=objects,
        hparam_keys=hparam_keys,
        meta=meta,
        sample_rate=int(hparams["sample_rate"]),
    )
