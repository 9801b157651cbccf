"""Knowledge distillation with the emotion recipe's Brain and data.

Trains a student (any recipe YAML + overrides, e.g. a smaller
``lstm_hidden``) on the teacher's data, with the hard-label loss mixed with
the teacher's softened class distribution
(:class:`speechbrain_lstm_ser.compression.distillation.DistillationLoss`)::

    python -m bench.distill hparams/lstm.yaml \
        --teacher results/emotion_lstm/1986/hyperparams.yaml \
        --output_folder results/student48 --lstm_hidden 48

The student reads the teacher's manifests and uses the teacher's (frozen)
feature normalisation, so both see the same normalised features; any other
``--key value`` overrides the student's YAML as in the recipe. It writes what
the recipe writes (checkpoints, ``test_report.json``, the ``model`` folder
that ``EmotionRecognizer.from_hparams`` loads, ...).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Mapping
from pathlib import Path

import ruamel.yaml
import speechbrain as sb
import torch

from bench.recipe import emotion_recipe
from speechbrain_lstm_ser.compression.distillation import DistillationLoss
from speechbrain_lstm_ser.compression.pruning import copy_normalizer
from speechbrain_lstm_ser.export.folder import export_classifier
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.training.brain import training_summary
from speechbrain_lstm_ser.training.hparams import (
    HparamsError,
    load_hparams,
    load_trained_modules,
)

__all__ = ["DistillationBrain", "main"]


class DistillationBrain(emotion_recipe().EmotionBrain):
    """The recipe's Brain whose training loss also follows a teacher.

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
        return self.distillation(predictions, teacher, loss)


def _student_overrides(teacher: Mapping, overrides: str) -> str:
    """The user's overrides, defaulting the data to the teacher's."""
    yaml = ruamel.yaml.YAML()
    merged = yaml.load(overrides or "{}") or {}
    defaults = {
        "data_folder": teacher["data_folder"],
        "skip_prep": True,
        **{
            f"{s}_annotation": teacher[f"{s}_annotation"]
            for s in ("train", "valid", "test")
        },
    }
    for key, value in defaults.items():
        merged.setdefault(key, value)
    buffer = io.StringIO()
    yaml.dump(merged, buffer)
    return buffer.getvalue()


def build_brain(
    hparams: dict,
    teacher: dict,
    run_opts: dict | None = None,
    temperature: float = 2.0,
    alpha: float = 0.5,
) -> DistillationBrain:
    """A ``DistillationBrain`` for loaded student and teacher hyperparameters.

    The student's normalisation takes the teacher's statistics, frozen.

    Arguments
    ---------
    hparams : dict
        The student's loaded YAML.
    teacher : dict
        The teacher's, with its trained ``model`` (see ``load_trained_modules``).
    run_opts : dict, optional
        SpeechBrain run options.
    temperature : float
        Distillation temperature.
    alpha : float
        Weight of the distillation term.

    Returns
    -------
    DistillationBrain
    """
    student_norm = hparams["model"].mean_var_norm
    copy_normalizer(teacher["model"].mean_var_norm, student_norm)
    student_norm.update_until_epoch = 0
    return DistillationBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
        teacher=teacher["model"],
        distillation=DistillationLoss(temperature, alpha),
    )


def main(argv: list[str]) -> None:
    """Trains and tests a distilled student (see the module docstring)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--teacher", required=True, help="teacher's hyperparams.yaml")
    parser.add_argument("--temperature", type=float, default=2.0, help="softening T")
    parser.add_argument(
        "--alpha", type=float, default=0.5, help="weight of the distillation term"
    )
    args, rest = parser.parse_known_args(argv)
    hparams_file, run_opts, overrides = sb.parse_arguments(rest)
    sb.utils.distributed.ddp_init_group(run_opts)

    teacher = load_trained_modules(args.teacher)
    overrides = _student_overrides(teacher, overrides)
    try:
        hparams = load_hparams(hparams_file, overrides)
    except HparamsError as err:
        sys.exit(f"error: {err}")
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )
    recipe = emotion_recipe()
    datasets, label_encoder = recipe.dataio_prepare(hparams)
    recipe.configure_class_weights(hparams, datasets["train"])
    brain = build_brain(hparams, teacher, run_opts, args.temperature, args.alpha)
    brain.fit(
        epoch_counter=hparams["epoch_counter"],
        train_set=datasets["train"],
        valid_set=datasets["valid"],
        train_loader_kwargs=hparams["dataloader_options"],
        valid_loader_kwargs=hparams["test_dataloader_options"],
    )
    brain.trained = training_summary(hparams["history"])
    brain.evaluate(
        test_set=datasets["test"],
        max_key="UA",
        test_loader_kwargs=hparams["test_dataloader_options"],
    )
    if hparams["export_folder"]:
        export_classifier(
            hparams,
            label_encoder,
            Path(hparams["output_folder"]) / "test_report.json",
            title="LSTM speech emotion recognition (distilled student)",
            task="Speech Emotion Recognition",
            interface="speechbrain_lstm_ser.inference.EmotionRecognizer",
        )


if __name__ == "__main__":
    main(sys.argv[1:])
