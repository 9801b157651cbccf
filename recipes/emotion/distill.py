#!/usr/bin/env python3
r"""Recipe for distilling a trained emotion recogniser into a smaller one.

The student is the model of the emotion recipe's YAML (any setting of it,
e.g. a smaller ``lstm_hidden``), trained exactly as ``train.py`` trains it,
except that its loss mixes the hard-label loss with the teacher's softened
class distribution (``DistillationLoss``, weighted by ``distill_alpha`` at
temperature ``distill_temperature``; Hinton et al., 2015):

> python recipes/emotion/distill.py hparams/lstm.yaml \
>     --teacher results/emotion_lstm/1986 --lstm_hidden 48 \
>     --output_folder results/student48

``teacher`` (a key of the YAML, so it is recorded in the run's
``hyperparams.yaml``) is either

- a run folder of ``train.py`` (or its ``hyperparams.yaml``): unless the
  command line says otherwise, the student trains, validates and tests on
  the teacher's manifests, classes and audio cache, so the teacher has
  never heard the student's test speakers; or
- an exported model folder or Hub repo (``EmotionRecognizer``): the student
  prepares its data as ``train.py`` does.

The student uses the teacher's feature normalisation, frozen, so both see
the same normalised features (keep the teacher's feature settings). It
writes what ``train.py`` writes: checkpoints, ``test_report.json`` (with the
throughput of each epoch), the ``model`` folder, ...

To read the code, start from the bottom ("Recipe begins!").

Authors
 * speechbrain-lstm-ser developers 2026
"""

import io
import sys
from pathlib import Path

import ruamel.yaml
import speechbrain as sb
import torch
from train import EmotionBrain, configure_class_weights, dataio_prepare, prepare_data

from speechbrain_lstm_ser.compression.distillation import DistillationLoss
from speechbrain_lstm_ser.compression.pruning import copy_normalizer
from speechbrain_lstm_ser.dataio.manifest import EMOTION_MANIFEST
from speechbrain_lstm_ser.export.folder import export_classifier
from speechbrain_lstm_ser.inference.load import load_model
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.training.hparams import load_trained_modules
from speechbrain_lstm_ser.training.recipe import (
    check_manifests,
    export_on_main,
    fit_and_test,
    load_experiment,
    one_line_errors,
)

#: What a student takes from a teacher run unless the command line sets it.
TEACHER_DATA = (
    "data_folder",
    "audio_cache_folder",
    "emotions",
    "train_annotation",
    "valid_annotation",
    "test_annotation",
)


class DistillationBrain(EmotionBrain):
    """The emotion recipe's Brain whose training loss also follows a teacher.

    The teacher reads the student encoder's inputs (normalised features
    and lengths, after augmentation), captured by a forward pre-hook, so
    the recipe's ``compute_forward`` is used unchanged; the teacher model
    runs its own forward from there (``forward_features``).

    Arguments
    ---------
    *args, **kwargs
        As for ``EmotionBrain``.
    teacher : UtteranceClassifierModel
        The teacher's trained model.
    distillation : DistillationLoss
        Mixes the recipe's loss with the distillation term.
    """

    def __init__(
        self,
        *args,
        teacher: UtteranceClassifierModel,
        distillation: DistillationLoss,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.teacher = teacher.eval()
        # Soft labels from the teacher's logits: distill_temperature is their
        # only temperature (a calibrated teacher's own one is not applied).
        if hasattr(teacher.classifier, "set_temperature"):
            teacher.classifier.set_temperature(1.0)
        self.teacher.requires_grad_(False)
        self.distillation = distillation
        self._encoder_inputs = None
        self._hook = None

    def on_fit_start(self):
        """Moves the teacher to the device; starts capturing encoder inputs."""
        super().on_fit_start()
        self.teacher.to(self.device)
        if self._hook is None:
            # The student model itself (not its DDP wrapper, if any).
            encoder = self.hparams.model.encoder
            self._hook = encoder.register_forward_pre_hook(self._capture)

    def _capture(self, module, args):
        self._encoder_inputs = args

    def compute_objectives(self, predictions, batch, stage):
        """The recipe's loss, mixed with the teacher's soft labels in training."""
        loss = super().compute_objectives(predictions, batch, stage)
        if stage != sb.Stage.TRAIN:
            return loss
        feats, lens = self._encoder_inputs
        with torch.no_grad():
            teacher = self.teacher.forward_features(feats, lens)
        if isinstance(predictions, tuple):  # with other outputs: classes first
            predictions = predictions[0]
        return self.distillation(predictions, teacher, loss)


#: The YAML keys that say which teacher and how far it is trusted.
TEACHER_KEYS = ("teacher", "teacher_verify", "teacher_trusted_keys")


def teacher_settings(hparams_file, overrides):
    """:data:`TEACHER_KEYS` from the command line, or else from the YAML.

    Read before the YAML is loaded, as a run teacher's data settings become
    the student's defaults; ``teacher`` is None when neither sets it.
    """
    yaml = ruamel.yaml.YAML()
    try:
        given = yaml.load(overrides or "{}") or {}
    except ruamel.yaml.YAMLError:
        given = {}  # load_experiment names the malformed override
    with open(hparams_file, encoding="utf-8") as handle:
        defaults = yaml.load(handle)
    settings = {key: given.get(key, defaults.get(key)) for key in TEACHER_KEYS}
    settings["teacher_verify"] = settings["teacher_verify"] or "auto"
    settings["teacher_trusted_keys"] = list(settings["teacher_trusted_keys"] or [])
    return settings


def load_teacher(source, verify="auto", trusted_keys=()):
    """The teacher's trained model, its classes and, for a run, its data.

    Arguments
    ---------
    source : str
        A ``train.py`` run folder or its ``hyperparams.yaml``; otherwise an
        exported model folder or Hub repo.
    verify : str
        A model folder's signature policy (``auto``, ``required``, ``off``),
        as for inference; a run folder is the user's own training.
    trusted_keys : sequence of path
        Signers' public keys; with any pinned, an unsigned or foreign model
        is refused before it is built.

    Returns
    -------
    model : UtteranceClassifierModel
        The teacher's trained model.
    labels : list of str
        The teacher's classes, in output order.
    data : dict
        For a run, the ``TEACHER_DATA`` settings; otherwise empty.
    """
    path = Path(source)
    if not path.exists() and (path.is_absolute() or str(source).count("/") != 1):
        raise FileNotFoundError("no such run folder, model folder or Hub repo")
    if path.is_file() or (path / "save").is_dir():
        run_yaml = path if path.is_file() else path / "hyperparams.yaml"
        run = load_trained_modules(run_yaml)
        return run["model"], list(run["emotions"]), {k: run[k] for k in TEACHER_DATA}
    recognizer = load_model(source, verify=verify, trusted_keys=list(trusted_keys))
    return recognizer.model, list(recognizer.labels), {}


def student_overrides(overrides, data):
    """The command line's overrides; unset data settings are the teacher's."""
    yaml = ruamel.yaml.YAML()
    yaml.default_flow_style, yaml.width = None, 1 << 20  # one line per key
    merged = yaml.load(overrides or "{}") or {}
    for key, value in data.items():
        merged.setdefault(key, value)
    if data:
        merged.setdefault("skip_prep", True)  # the teacher's manifests
    buffer = io.StringIO()
    yaml.dump(merged, buffer)
    return buffer.getvalue()


# Recipe begins!
if __name__ == "__main__":
    # Reading command line arguments; the teacher is loaded first, as a run
    # teacher's data settings become the student's defaults.
    hparams_file, run_opts, overrides = sb.parse_arguments(sys.argv[1:])
    settings = teacher_settings(hparams_file, overrides)
    source = settings["teacher"]
    if not source:
        sys.exit("error: distillation needs a teacher: --teacher <run folder or model>")
    try:
        teacher, teacher_labels, teacher_data = load_teacher(
            source, settings["teacher_verify"], settings["teacher_trusted_keys"]
        )
    except (OSError, ValueError, RuntimeError) as err:
        sys.exit(f"error: cannot load the teacher {source}: {err}")
    overrides = student_overrides(overrides, teacher_data)

    # Loading the YAML with the overrides (one-line errors), creating the
    # experiment directory.
    hparams = load_experiment(hparams_file, run_opts, overrides)
    if list(hparams["emotions"]) != teacher_labels:
        sys.exit(
            f"error: the student's emotions {list(hparams['emotions'])} are not "
            f"the teacher's {teacher_labels}"
        )

    if getattr(hparams["model"], "regressor", None) is not None:
        sys.exit(
            "error: distillation trains the classes only; set dimension_weight: 0 "
            "(a regression head is trained with recipes/emotion/train.py)"
        )

    # Data preparation, unless the student reads the teacher's manifests.
    prepare_data(hparams)

    # Every problem of the manifests is reported at once, before training.
    check_manifests(hparams, EMOTION_MANIFEST, allowed={"emo": hparams["emotions"]})

    # Create dataset objects "train", "valid", and "test".
    with one_line_errors(hparams):
        datasets, label_encoder = dataio_prepare(hparams)
        configure_class_weights(hparams, datasets["train"])
        distillation = DistillationLoss(
            hparams["distill_temperature"], hparams["distill_alpha"]
        )

    # The student normalises its features with the teacher's statistics.
    student_norm = hparams["model"].mean_var_norm
    copy_normalizer(teacher.mean_var_norm, student_norm)
    student_norm.update_until_epoch = 0
    student_brain = DistillationBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
        teacher=teacher,
        distillation=distillation,
    )

    # Training (resumed from the checkpoints where a run stopped), then the
    # test of the checkpoint with the best validation UA.
    fit_and_test(student_brain, datasets)

    # Export the best student as an inference folder, on the main process.
    export_on_main(
        export_classifier,
        hparams,
        label_encoder,
        title="LSTM speech emotion recognition (distilled student)",
        task="Speech Emotion Recognition",
        interface="speechbrain_lstm_ser.inference.EmotionRecognizer",
    )
