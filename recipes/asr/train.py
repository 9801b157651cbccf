#!/usr/bin/env python3
"""Recipe for training an LSTM speech recogniser with CTC.

The waveform is augmented during training, turned into normalised
filterbanks (with time and frequency masking during training), encoded by a
CRDNN-style stack (CNN front end with time downsampling, bidirectional LSTM,
DNN) and mapped frame by frame to sentencepiece units plus the CTC blank.
The sentencepiece model is trained on the training transcripts and saved
with the model. Validation decodes greedily; the test decodes with greedy
CTC and with SpeechBrain's CTC beam search.

Out of the box it trains on the embedded synthetic corpus, generated on
first use (no download):

> python recipes/asr/train.py hparams/asr_lstm.yaml

After testing with the best checkpoint (lowest validation WER), it writes
``test_report.json`` (WER / CER of both searchers, by gender and speaker),
``wer_test.txt`` (beam search: SpeechBrain's per-utterance alignments),
``wer_test_greedy.txt``, ``transcripts.csv`` and ``train_curves.png``.

To read the code, start from the bottom ("Recipe begins!").

Authors
 * speechbrain-lstm-ser developers 2026
"""

import json
import os
import sys
import time

import speechbrain as sb
import torch
from speechbrain.decoders.ctc import ctc_greedy_decode
from speechbrain.tokenizers.SentencePiece import SentencePiece
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.prepare_asr import prepare_asr_data
from speechbrain_lstm_ser.evaluation.reports import format_asr_summary, write_asr_report
from speechbrain_lstm_ser.evaluation.transcription import TranscriptionMetrics
from speechbrain_lstm_ser.export.folder import export_recognizer
from speechbrain_lstm_ser.nnet.models import preprocess_waveforms
from speechbrain_lstm_ser.training.brain import (
    Brain,
    end_validation_epoch,
    run_facts,
    training_summary,
)
from speechbrain_lstm_ser.training.hparams import HparamsError, load_hparams

logger = get_logger(__name__)


class ASRBrain(Brain):
    """Trains and evaluates the CTC recogniser. See ``speechbrain.core.Brain``."""

    def compute_forward(self, batch, stage):
        """Waveforms -> per-frame log-probabilities ``(batch, time, vocab + 1)``."""
        batch = batch.to(self.device)
        wavs, lens = preprocess_waveforms(self.modules, *batch.sig)
        feature_augment = None
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            wavs, lens = self.hparams.wav_augment(wavs, lens)
            feature_augment = self.hparams.feature_augment
        log_probs = self.modules.model(
            wavs,
            lens,
            epoch=self.hparams.epoch_counter.current,
            feature_augment=feature_augment,
        )
        return log_probs, lens

    def compute_objectives(self, predictions, batch, stage):
        """CTC loss against the token sequences; decodes outside training."""
        log_probs, lens = predictions
        tokens, tokens_lens = batch.tokens
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            tokens = self.hparams.wav_augment.replicate_labels(tokens)
            tokens_lens = self.hparams.wav_augment.replicate_labels(tokens_lens)
        loss = self.hparams.ctc_cost(log_probs, tokens, lens, tokens_lens)
        if stage != sb.Stage.TRAIN:
            targets = [words.split() for words in batch.wrd]
            groups = {"gender": batch.gender, "speaker": batch.spk_id}
            greedy = ctc_greedy_decode(log_probs, lens, self.hparams.blank_index)
            self.metrics["greedy"].append(
                batch.id,
                [self.tokenizer.sp.decode_ids(seq).split() for seq in greedy],
                targets,
                **groups,
            )
            if stage == sb.Stage.TEST:
                hyps = self.searcher(log_probs, lens)
                self.metrics["beam"].append(
                    batch.id, [h[0].text.split() for h in hyps], targets, **groups
                )
        return loss

    def on_stage_start(self, stage, epoch=None):
        """Sets up the metric trackers of validation and test stages."""
        if stage == sb.Stage.TRAIN:
            self.epoch_start = time.time()
        else:
            searchers = ["greedy", "beam"] if stage == sb.Stage.TEST else ["greedy"]
            self.metrics = {name: TranscriptionMetrics() for name in searchers}

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Logs, anneals the learning rate, checkpoints, and writes the report."""
        if stage == sb.Stage.TRAIN:
            self.train_loss = stage_loss
            return
        stats = {"loss": stage_loss}
        for name, metric in self.metrics.items():
            stats[f"WER_{name}"] = metric.summarize("WER")
            stats[f"CER_{name}"] = metric.summarize("CER")
        if stage == sb.Stage.VALID:
            stats["WER"] = stats["WER_greedy"]
            end_validation_epoch(
                self,
                epoch,
                stats,
                annealing_value=stats["loss"],
                curve_stats={
                    "valid_word_error": stats["WER"] / 100,
                    "valid_WER": stats["WER"],
                    "valid_CER": stats["CER_greedy"],
                },
                plot_metric="valid_word_error",
                keep={"min_keys": ["WER"]},
            )
        elif stage == sb.Stage.TEST:
            self.hparams.train_logger.log_stats(
                stats_meta={"Epoch loaded": self.hparams.epoch_counter.current},
                test_stats=stats,
            )
            if sb.utils.distributed.if_main_process():
                path = write_asr_report(
                    self.metrics,
                    self.hparams.output_folder,
                    primary="beam",
                    extra={
                        **run_facts(self.hparams, self.trained),
                        "test_loss": stage_loss,
                        "tokenizer": {
                            "type": self.hparams.token_type,
                            "vocab_size": self.hparams.vocab_size,
                        },
                        "decoding": {"beam_size": self.hparams.beam_size},
                    },
                )
                with open(path, encoding="utf-8") as handle:
                    report = json.load(handle)
                logger.info("Test results\n" + format_asr_summary(report))


def train_tokenizer(hparams):
    """Trains (or reloads) the sentencepiece model on the training transcripts.

    Arguments
    ---------
    hparams : dict
        The loaded hyperparameters.

    Returns
    -------
    speechbrain.tokenizers.SentencePiece.SentencePiece
        The model lives in ``save_folder``; a resumed run reloads it.
    """
    return SentencePiece(
        model_dir=hparams["save_folder"],
        vocab_size=hparams["vocab_size"],
        annotation_train=hparams["train_annotation"],
        annotation_read="wrd",
        model_type=hparams["token_type"],
        character_coverage=hparams["character_coverage"],
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
    )


def dataio_prepare(hparams, tokenizer):
    """Creates the datasets and their data pipelines.

    Expects the manifests of ``prepare_asr_data``. Audio of any sample rate or
    channel count is converted to ``sample_rate`` mono when loaded.

    Arguments
    ---------
    hparams : dict
        The loaded hyperparameters.
    tokenizer : SentencePiece
        Turns transcripts into token IDs.

    Returns
    -------
    datasets : dict
        ``train``, ``valid`` and ``test`` ``DynamicItemDataset`` objects.
    """

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("sig")
    def audio_pipeline(wav):
        """Loads a waveform as mono float at the recipe's sample rate."""
        return read_audio(wav, hparams["sample_rate"])

    @sb.utils.data_pipeline.takes("wrd")
    @sb.utils.data_pipeline.provides("wrd", "tokens")
    def text_pipeline(wrd):
        """The transcript and its sentencepiece IDs."""
        yield wrd
        yield torch.LongTensor(tokenizer.sp.encode_as_ids(wrd))

    datasets = {}
    for split in ("train", "valid", "test"):
        datasets[split] = sb.dataio.dataset.DynamicItemDataset.from_csv(
            csv_path=hparams[f"{split}_annotation"],
            replacements={"data_root": hparams["data_folder"]},
            dynamic_items=[audio_pipeline, text_pipeline],
            output_keys=["id", "sig", "wrd", "tokens", "spk_id", "gender"],
        )
        # Evaluation batches of similar durations: less padding, same result.
        if split != "train":
            datasets[split] = datasets[split].filtered_sorted(sort_key="duration")
    if hparams["sorting"] in ("ascending", "descending"):
        datasets["train"] = datasets["train"].filtered_sorted(
            sort_key="duration", reverse=hparams["sorting"] == "descending"
        )
        hparams["dataloader_options"]["shuffle"] = False
    elif hparams["sorting"] == "random":
        hparams["dataloader_options"]["shuffle"] = True
    else:
        raise ValueError(
            f"sorting must be random, ascending or descending, "
            f"got {hparams['sorting']!r}"
        )
    return datasets


# Recipe begins!
if __name__ == "__main__":
    # Reading command line arguments.
    hparams_file, run_opts, overrides = sb.parse_arguments(sys.argv[1:])

    # Initialize ddp (useful only for multi-GPU DDP training).
    sb.utils.distributed.ddp_init_group(run_opts)

    # Load hyperparameters file with command-line overrides (typos, malformed
    # or wrongly typed overrides are refused with a one-line error).
    try:
        hparams = load_hparams(hparams_file, overrides)
    except HparamsError as err:
        sys.exit(f"error: {err}")

    # Create experiment directory
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )

    # Data preparation (corpus generation for the embedded default), on the
    # main process only.
    if not hparams["skip_prep"]:
        sb.utils.distributed.run_on_main(
            prepare_asr_data,
            kwargs={
                "dataset": hparams["dataset"],
                "data_folder": hparams["data_folder"],
                "manifest_folder": hparams["manifest_folder"],
                "split": hparams["split"],
                "valid_speakers": hparams["valid_speakers"],
                "test_speakers": hparams["test_speakers"],
                "seed": hparams["split_seed"],
                "subsets": {
                    "train": hparams["train_subsets"],
                    "valid": hparams["valid_subsets"],
                    "test": hparams["test_subsets"],
                },
                "max_duration": hparams["max_duration"],
                "corpus_options": hparams["embedded_corpus"]
                if hparams["dataset"] == "embedded"
                else {},
                "csv_file": hparams["csv_file"],
            },
        )

    # The tokenizer learns its units from the training transcripts.
    sb.utils.distributed.run_on_main(train_tokenizer, args=[hparams])
    tokenizer = train_tokenizer(hparams)  # every process loads the saved model

    # Create dataset objects "train", "valid", and "test".
    datasets = dataio_prepare(hparams, tokenizer)

    asr_brain = ASRBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )
    asr_brain.tokenizer = tokenizer
    # The beam searcher needs the units: the tokenizer's pieces, then the blank.
    vocab = [tokenizer.sp.id_to_piece(i) for i in range(tokenizer.sp.vocab_size())]
    asr_brain.searcher = hparams["test_searcher"](vocab_list=vocab + ["<blank>"])

    # Training: everything with changing state is in the Checkpointer, so a
    # run that is stopped at any point resumes where it left off.
    asr_brain.fit(
        epoch_counter=asr_brain.hparams.epoch_counter,
        train_set=datasets["train"],
        valid_set=datasets["valid"],
        train_loader_kwargs=hparams["dataloader_options"],
        valid_loader_kwargs=hparams["test_dataloader_options"],
    )

    # Testing reloads the best checkpoint (and the history as it was then).
    asr_brain.trained = training_summary(hparams["history"])

    # Test with the checkpoint of the lowest validation WER.
    asr_brain.evaluate(
        test_set=datasets["test"],
        min_key="WER",
        test_loader_kwargs=hparams["test_dataloader_options"],
    )

    # Export the best model with its tokenizer as an inference folder
    # (loadable with SpeechRecognizer.from_hparams, publishable to the Hub).
    # On the main process only, and all processes wait for it.
    if hparams["export_folder"]:
        sb.utils.distributed.run_on_main(
            export_recognizer,
            args=[
                hparams,
                tokenizer.prefix_model_file + ".model",
                os.path.join(hparams["output_folder"], "test_report.json"),
            ],
        )
