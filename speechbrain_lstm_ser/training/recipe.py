"""The steps of a recipe's ``__main__`` that every recipe takes the same way.

Each ``recipes/*/train.py`` reads top to bottom, as SpeechBrain's templates
do, and calls these for the steps that are the same for every task::

    hparams_file, run_opts, overrides = sb.parse_arguments(sys.argv[1:])
    hparams = load_experiment(hparams_file, run_opts, overrides)
    prepare_on_main(prepare_emotion_data, hparams)  # data_folder, prepare: ...
    check_manifests(hparams, EMOTION_MANIFEST, allowed={"emo": emotions})
    with one_line_errors(hparams):
        datasets, label_encoder = dataio_prepare(hparams)  # manifest_datasets
    brain = EmotionBrain(modules=..., hparams=hparams, ...)
    fit_and_test(brain, datasets)  # and, with `calibrate: True`, calibration
    export_on_main(export_classifier, hparams, label_encoder, title=...)

A problem with the user's data or settings (a malformed override, a corpus
folder that is not there, a manifest naming a missing audio file or an
unknown label, an unreadable audio file met in training) ends the run with
exit status 1 and one clear error on stderr, never a traceback; where one
helps, the traceback goes to the experiment's ``log.txt``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import speechbrain as sb
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.dataio.audio import AudioError
from speechbrain_lstm_ser.dataio.loader_augmentation import AugmentingCollate
from speechbrain_lstm_ser.dataio.manifest import (
    ManifestError,
    ManifestSchema,
    read_manifest,
)
from speechbrain_lstm_ser.dataio.splits import SPLITS
from speechbrain_lstm_ser.evaluation.privacy import load_or_create_salt
from speechbrain_lstm_ser.nnet.models import PREPROCESS
from speechbrain_lstm_ser.processing.preprocess_cache import PreprocessCache
from speechbrain_lstm_ser.threads import configure_threads
from speechbrain_lstm_ser.training.brain import RecipeOptions, training_summary
from speechbrain_lstm_ser.training.hparams import HparamsError, load_hparams

__all__ = [
    "SPLITS",
    "check_manifests",
    "check_preprocess_settings",
    "data_roots",
    "export_on_main",
    "fit_and_test",
    "load_experiment",
    "manifest_datasets",
    "one_line_errors",
    "prepare_on_main",
]

logger = get_logger(__name__)


@contextmanager
def one_line_errors(
    hparams: Mapping,
    what: str = "error",
    errors: tuple[type[BaseException], ...] = (ValueError, OSError),
) -> Iterator[None]:
    """Turns ``errors`` raised inside the block into one line and exit status 1.

    The line is ``<what>: <the error> (traceback in <output_folder>/log.txt)``;
    the traceback goes to that log file.

    Arguments
    ---------
    hparams : mapping
        The loaded hyperparameters (``output_folder``).
    what : str
        What failed, first on the line.
    errors : tuple of exception classes
        What is the user's to fix (other exceptions keep their traceback).

    Yields
    ------
    None

    Example
    -------
    >>> with one_line_errors({"output_folder": "results/x"}):
    ...     raise ValueError("sorting must be random, ascending or descending")
    Traceback (most recent call last):
    ...
    SystemExit: error: sorting must be random, ascending or descending (traceback in results/x/log.txt)
    """  # noqa: E501
    try:
        yield
    except errors as err:
        log_file = os.path.join(hparams["output_folder"], "log.txt")
        logger.debug(what, exc_info=True)
        sys.exit(f"{what}: {err} (traceback in {log_file})")


def load_experiment(hparams_file: str, run_opts, overrides: str) -> dict:
    """Loads the YAML with checked overrides and creates the experiment folder.

    Also starts the DDP group (under ``torchrun``) and, with
    ``pseudonymize_speakers``, creates the pseudonym salt, once, on the main
    process. ``num_threads`` (``auto`` or a number; absent or null: PyTorch's
    default) sets PyTorch's threads with
    :func:`speechbrain_lstm_ser.threads.configure_threads`. A typo in an
    override key, a malformed or wrongly typed value ends the run with one
    ``error:`` line naming the override.

    Arguments
    ---------
    hparams_file : str
        The recipe's YAML.
    run_opts : speechbrain.utils.run_opts.RunOptions or dict
        From ``speechbrain.parse_arguments``.
    overrides : str
        YAML overrides, from ``speechbrain.parse_arguments``.

    Returns
    -------
    dict
        The loaded hyperparameters.
    """
    sb.utils.distributed.ddp_init_group(run_opts)
    try:
        hparams = load_hparams(hparams_file, overrides)
    except HparamsError as err:
        sys.exit(f"error: {err}")
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )
    _keep_recipe_script(hparams["output_folder"])
    options = RecipeOptions.from_hparams(hparams)
    if options.num_threads is not None:
        try:
            choice = configure_threads(options.num_threads, loader_cores(hparams))
        except ValueError as err:
            sys.exit(f"error: num_threads: {err}")
        logger.info("PyTorch threads: %d (%s)", choice.num_threads, choice.detail)
    try:  # the Brain and its loader refuse these too, later, with a traceback
        check_preprocess_settings(hparams, options)
    except ValueError as err:
        sys.exit(f"error: {err}")
    if options.pseudonymize_speakers:
        sb.utils.distributed.run_on_main(
            load_or_create_salt, args=[options.pseudonym_salt_file]
        )
    return hparams


def check_preprocess_settings(hparams: Mapping, options: RecipeOptions) -> None:
    """Refuses the pre-processing settings the Brain would refuse, before any run.

    The checks of :class:`PreprocessCache` (a negative budget; with a budget,
    a ``preprocess`` module with trainable parameters) and of the training
    loader's :class:`AugmentingCollate` (such a module where
    :meth:`RecipeOptions.training_collate` says the loader runs it), the same
    messages.

    Arguments
    ---------
    hparams : mapping
        The loaded hyperparameters (``modules``, ``augment``,
        ``dataloader_options``).
    options : RecipeOptions
        Their optional keys.

    Raises
    ------
    ValueError
        Naming the setting and the value that switches it off.

    Example
    -------
    >>> import torch
    >>> hparams = {"modules": {"preprocess": torch.nn.Linear(2, 2)}}
    >>> check_preprocess_settings(hparams, RecipeOptions(preprocess_cache_mb=0))
    >>> check_preprocess_settings(hparams, RecipeOptions(preprocess_cache_mb=64))
    Traceback (most recent call last):
    ...
    ValueError: preprocess_cache_mb: the preprocess module has trainable parameters (weight, bias); kept waveforms would go stale as it trains. Set preprocess_cache_mb: 0.
    """  # noqa: E501
    PreprocessCache(options.preprocess_cache_mb)
    preprocess = (hparams.get("modules") or {}).get(PREPROCESS)
    if preprocess is None:
        return
    if options.preprocess_cache_mb != 0:
        PreprocessCache.check(preprocess)
    augmenting = options.training_collate(
        hparams.get("augment", False), True, hparams.get("dataloader_options") or {}
    )
    if augmenting is not None:
        AugmentingCollate.check(preprocess, augmenting)


def loader_cores(hparams: Mapping) -> int:
    """Cores the training loader's workers keep busy: one each if they augment.

    With ``augment_in_loader`` the workers pre-process and augment every
    training batch (:mod:`~speechbrain_lstm_ser.dataio.loader_augmentation`);
    ``num_threads: auto`` leaves them their cores. Workers that only read
    audio wait most of the time and are not counted.

    Arguments
    ---------
    hparams : mapping
        The loaded hyperparameters.

    Returns
    -------
    int

    Example
    -------
    >>> loader_cores({"augment": True, "augment_in_loader": True,
    ...               "dataloader_options": {"num_workers": 2}})
    2
    >>> loader_cores({"augment": True, "dataloader_options": {"num_workers": 2}})
    0
    """
    options = RecipeOptions.from_hparams(hparams)
    if not (options.augment_in_loader and hparams.get("augment", False)):
        return 0
    return int((hparams.get("dataloader_options") or {}).get("num_workers", 0) or 0)


def _keep_recipe_script(folder: str | os.PathLike) -> None:
    """Keeps a copy of the recipe script in the experiment folder.

    ``create_experiment_directory`` copies the file that called it, which is
    this module: the experiment's script is the recipe run (``__main__``).
    """
    if not sb.utils.distributed.if_main_process():
        return
    copied = Path(folder) / Path(__file__).name
    if copied.is_file() and filecmp.cmp(copied, __file__, shallow=False):
        copied.unlink()
    script = getattr(sys.modules["__main__"], "__file__", None)
    if script:
        shutil.copy(os.path.realpath(script), folder)


def prepare_on_main(prepare: Callable, hparams: Mapping, **kwargs) -> None:
    """Runs a data preparation on the main process (unless ``skip_prep``).

    A preparation that fails on the user's data (a missing corpus folder, a
    file that cannot be read, ...) ends the run with one line
    ``Data preparation failed: ...``; the traceback goes to ``log.txt``.

    Arguments
    ---------
    prepare : callable
        E.g. ``prepare_emotion_data``: every task's preparation takes
        ``data_folder``, ``manifest_folder`` and ``options``.
    hparams : mapping
        The loaded hyperparameters (``skip_prep``, ``output_folder``, and
        the preparation's arguments: ``data_folder``, ``manifest_folder``,
        and ``prepare``, the ``prepare:`` block, checked by the task's
        options dataclass inside the one-line error handling).
    **kwargs
        Arguments given instead of those read from ``hparams``.
    """
    if hparams["skip_prep"]:
        return
    arguments = {
        "data_folder": hparams["data_folder"],
        "manifest_folder": hparams["manifest_folder"],
        "options": hparams["prepare"],
        **kwargs,
    }
    with one_line_errors(hparams, "Data preparation failed"):
        sb.utils.distributed.run_on_main(prepare, kwargs=arguments)


def data_roots(hparams: Mapping) -> dict:
    """The ``$name`` folders a manifest's paths may start with.

    Arguments
    ---------
    hparams : mapping
        ``data_folder`` (``$data_root``) and, where the recipe has one,
        ``audio_cache_folder`` (``$audio_cache``).

    Returns
    -------
    dict
        The ``replacements`` of ``DynamicItemDataset.from_csv``.

    Example
    -------
    >>> data_roots({"data_folder": "/data/corpus"})
    {'data_root': '/data/corpus'}
    """
    roots = {"data_root": hparams["data_folder"]}
    if "audio_cache_folder" in hparams:
        roots["audio_cache"] = hparams["audio_cache_folder"]
    return roots


def manifest_datasets(
    hparams: Mapping, dynamic_items: Sequence, output_keys: Sequence[str]
) -> dict[str, sb.dataio.dataset.DynamicItemDataset]:
    """The train, valid and test datasets of a recipe, read from its manifests.

    Arguments
    ---------
    hparams : mapping
        The loaded hyperparameters (``<split>_annotation``, and the folders
        of :func:`data_roots`).
    dynamic_items : sequence
        The recipe's data pipelines (``@takes`` / ``@provides`` functions).
    output_keys : sequence of str
        What a batch holds.

    Returns
    -------
    dict
        ``train``, ``valid`` and ``test`` ``DynamicItemDataset`` objects.
    """
    return {
        split: sb.dataio.dataset.DynamicItemDataset.from_csv(
            csv_path=hparams[f"{split}_annotation"],
            replacements=data_roots(hparams),
            dynamic_items=dynamic_items,
            output_keys=output_keys,
        )
        for split in SPLITS
    }


def check_manifests(
    hparams: Mapping,
    schema: ManifestSchema,
    allowed: Mapping[str, Collection[str]] | None = None,
) -> dict[str, list[dict]]:
    """Validates the train, valid and test manifests before training starts.

    Every problem of a manifest (a missing column or audio file, an unknown
    label, a duplicate ID, an empty transcript, ...) is listed at once, and
    the run ends with an ``error:`` naming the manifest.

    Arguments
    ---------
    hparams : mapping
        The loaded hyperparameters (``<split>_annotation``, ``data_folder``).
    schema : speechbrain_lstm_ser.dataio.manifest.ManifestSchema
        The task's manifest schema (its columns and the ones that must not
        be empty), e.g. ``EMOTION_MANIFEST``.
    allowed : mapping, optional
        Column -> allowed values (e.g. ``{"emo": emotions}``).

    Returns
    -------
    dict
        Split -> the manifest's rows.
    """
    rows = {}
    for split in SPLITS:
        try:
            rows[split] = read_manifest(
                hparams[f"{split}_annotation"],
                schema=schema,
                check_files=True,
                replacements=data_roots(hparams),
                allowed=allowed,
            )
        except ManifestError as err:
            sys.exit(f"error: {err}")
    return rows


def _audio_error(err: Exception) -> str | None:
    """The message of an ``AudioError``, also when a loader worker raised it."""
    if isinstance(err, AudioError):
        return str(err)
    text = str(err).strip()
    if isinstance(err, RuntimeError) and text.startswith("Caught AudioError"):
        return text.splitlines()[-1].split("AudioError: ", 1)[-1]
    return None


def fit_and_test(brain: sb.Brain, datasets: Mapping) -> None:
    """Trains (resuming from the checkpoints), then tests the best checkpoint.

    Training and testing use the YAML's ``epoch_counter``,
    ``dataloader_options`` and ``test_dataloader_options``; the checkpoint
    tested is the best by the Brain's ``best_key``. Before testing, the
    summary of the whole training is kept in ``brain.trained`` (testing
    reloads the best checkpoint, and the history as it was then) and, when
    the YAML says ``calibrate: True`` (``brain.options``), the temperature of
    that checkpoint is fitted on the validation split
    (:meth:`~speechbrain_lstm_ser.training.classification.ClassifierBrain.calibrate`).
    An audio file that cannot be read ends the run with one ``error:`` line
    naming it.

    Arguments
    ---------
    brain : speechbrain_lstm_ser.training.brain.Brain
        The recipe's Brain.
    datasets : mapping
        ``train``, ``valid`` and ``test`` datasets.
    """
    hparams = brain.hparams
    best = {("max_key" if brain.best_max else "min_key"): brain.best_key}
    calibrate = brain.options.calibrate
    if calibrate and getattr(brain, "calibrator", None) is None:
        sys.exit(
            "error: calibrate: True needs a classification recipe whose model's "
            "`classifier` is a speechbrain_lstm_ser.nnet.heads.ClassificationHead "
            "(it holds the temperature); set calibrate: False"
        )
    try:
        # Speaker normalisation: every split's speaker statistics, once (and
        # the speaker adversary); a setting they refuse ends the run in a line.
        with one_line_errors(vars(hparams)):
            brain.prepare_references(datasets, hparams.test_dataloader_options)
        brain.fit(
            epoch_counter=hparams.epoch_counter,
            train_set=datasets["train"],
            valid_set=datasets["valid"],
            train_loader_kwargs=hparams.dataloader_options,
            valid_loader_kwargs=hparams.test_dataloader_options,
        )
        brain.trained = training_summary(hparams.history)
        if calibrate:
            brain.calibrate(datasets["valid"], hparams.test_dataloader_options, **best)
        brain.evaluate(
            test_set=datasets["test"],
            test_loader_kwargs=hparams.test_dataloader_options,
            **best,
        )
    except (AudioError, RuntimeError) as err:
        message = _audio_error(err)
        if message is None:
            raise
        logger.debug("Unreadable audio", exc_info=True)
        log_file = os.path.join(hparams.output_folder, "log.txt")
        sys.exit(f"error: {message} (traceback in {log_file})")


def export_on_main(export: Callable, hparams: Mapping, *args, **kwargs) -> None:
    """Exports the tested model as an inference folder, on the main process.

    Nothing happens when ``export_folder`` is null. All processes wait for
    the export.

    Arguments
    ---------
    export : callable
        ``export_classifier`` or ``export_recognizer``
        (:mod:`speechbrain_lstm_ser.export.folder`): called as
        ``export(hparams, *args, <output_folder>/test_report.json, **kwargs)``.
    hparams : mapping
        The loaded hyperparameters.
    *args
        The export's arguments between ``hparams`` and the report.
    **kwargs
        Its keyword arguments.
    """
    if not hparams["export_folder"]:
        return
    report = os.path.join(hparams["output_folder"], "test_report.json")
    sb.utils.distributed.run_on_main(
        export, args=[hparams, *args, report], kwargs=kwargs
    )
