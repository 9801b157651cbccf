#!/usr/bin/env python3
"""Recipe for training an LSTM speech recogniser with CTC.

The waveform is augmented during training, turned into normalised
filterbanks (with time and frequency masking during training), encoded by a
CRDNN-style stack (CNN front end with time downsampling, bidirectional LSTM,
DNN) and mapped frame by frame to sentencepiece units plus the CTC blank.
The sentencepiece model is trained on the training transcripts and saved
with the model. Validation decodes greedily; the test decodes with greedy
CTC and with SpeechBrain's CTC beam search (given the frame counts greedy
decoding uses: ``speechbrain_lstm_ser.decoders.ctc.CTCTextSearch``).

Out of the box it trains on the embedded synthetic corpus, generated on
first use (no download):

> python recipes/asr/train.py hparams/asr_lstm.yaml

After testing with the best checkpoint (lowest validation WER), it writes
``test_report.json`` (WER / CER of both searchers, by gender and speaker),
``wer_test.txt`` (beam search: SpeechBrain's per-utterance alignments),
``wer_test_greedy.txt``, ``transcripts.csv`` and ``train_curves.png``.

Each epoch logs its duration and its training throughput (seconds of
audio per second) to ``train_log.txt``; bad data or settings end the run
with one error line.

To read the code, start from the bottom ("Recipe begins!").

Authors
 * speechbrain-lstm-ser developers 2026
"""

import json
import sys

import speechbrain as sb
import torch
from speechbrain.decoders.ctc import ctc_greedy_decode
from speechbrain.tokenizers.SentencePiece import SentencePiece
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.manifest import ASR_MANIFEST
from speechbrain_lstm_ser.dataio.prepare_asr import prepare_asr_data
from speechbrain_lstm_ser.decoders.ctc import CTCTextSearch
from speechbrain_lstm_ser.evaluation.reports import format_asr_summary, write_asr_report
from speechbrain_lstm_ser.evaluation.transcription import TranscriptionMetrics
from speechbrain_lstm_ser.export.folder import export_recognizer
from speechbrain_lstm_ser.training.brain import Brain, run_facts
from speechbrain_lstm_ser.training.recipe import (
    check_manifests,
    export_on_main,
    fit_and_test,
    load_experiment,
    manifest_datasets,
    one_line_errors,
    prepare_on_main,
)

logger = get_logger(__name__)


class ASRBrain(Brain):
    """Trains and evaluates the CTC recogniser.

    The epoch bookkeeping (timing, logging, learning-rate annealing on the
    validation loss, checkpointing, curves, the test report on the main
    process) is the shared ``speechbrain_lstm_ser.training.brain.Brain``'s.
    """

    best_key, best_max, plot_metric = "WER", False, "valid_word_error"
    anneal_with = "loss"  # NewBobScheduler follows the validation loss

    def compute_forward(self, batch, stage):
        """Waveforms -> per-frame log-probabilities ``(batch, time, vocab + 1)``."""
        batch = batch.to(self.device)
        wavs, lens = self.model_waveforms(batch, stage)  # augmented in training
        feature_augment = None
        if stage == sb.Stage.TRAIN and self.hparams.augment:
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
        replicate = self.label_replicator(batch, stage)
        if replicate is not None:  # the batch this step augmented
            tokens, tokens_lens = replicate(tokens), replicate(tokens_lens)
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
                beam = self.searcher(log_probs, lens)
                self.metrics["beam"].append(
                    batch.id, [text.split() for text in beam], targets, **groups
                )
        return loss

    def new_metrics(self, stage):
        """Greedy decoding in validation; greedy and beam search in the test."""
        searchers = ["greedy", "beam"] if stage == sb.Stage.TEST else ["greedy"]
        return {name: TranscriptionMetrics() for name in searchers}

    def stage_stats(self, stage, stage_loss):
        """Loss, WER and CER of each searcher; in validation WER is greedy's."""
        stats = {"loss": stage_loss}
        for name, metric in self.metrics.items():
            stats[f"WER_{name}"] = metric.summarize("WER")
            stats[f"CER_{name}"] = metric.summarize("CER")
        if stage == sb.Stage.VALID:
            stats["WER"] = stats["WER_greedy"]
        return stats

    def curve_stats(self, stats):
        """Validation WER (also as a fraction, for the curves) and CER."""
        return {
            "valid_word_error": stats["WER"] / 100,
            "valid_WER": stats["WER"],
            "valid_CER": stats["CER_greedy"],
        }

    def write_test_report(self, stats, stage_loss):
        """``test_report.json``, ``wer_test*.txt`` and ``transcripts.csv``."""
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

    datasets = manifest_datasets(
        hparams,
        dynamic_items=[audio_pipeline, text_pipeline],
        output_keys=["id", "sig", "wrd", "tokens", "spk_id", "gender"],
    )
    # Evaluation batches of similar durations: less padding, same result.
    for split in ("valid", "test"):
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
    # Reading command line arguments, loading the YAML with the overrides
    # (typos, malformed or wrongly typed overrides are refused with a one-line
    # error), creating the experiment directory.
    hparams_file, run_opts, overrides = sb.parse_arguments(sys.argv[1:])
    hparams = load_experiment(hparams_file, run_opts, overrides)

    # Data preparation (corpus generation for the embedded default), on the
    # main process only. Bad data gives a one-line error, not a traceback.
    prepare_on_main(prepare_asr_data, hparams)

    # Every problem of the manifests (missing audio file, empty transcript,
    # duplicate ID, ...) is reported at once, before training starts.
    check_manifests(hparams, ASR_MANIFEST)

    # The tokenizer learns its units from the training transcripts (too
    # large a vocab_size for the corpus is a one-line error too).
    with one_line_errors(hparams, errors=(ValueError, OSError, RuntimeError)):
        sb.utils.distributed.run_on_main(train_tokenizer, args=[hparams])
    tokenizer = train_tokenizer(hparams)  # every process loads the saved model

    # Create dataset objects "train", "valid", and "test".
    with one_line_errors(hparams):
        datasets = dataio_prepare(hparams, tokenizer)

    asr_brain = ASRBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )
    asr_brain.tokenizer = tokenizer
    # The beam search, with the frame counts greedy decoding uses, as text.
    asr_brain.searcher = CTCTextSearch(
        hparams["test_searcher"], tokenizer.sp, hparams["blank_index"]
    )

    # Training (resumed from the checkpoints where a run stopped), then the
    # test of the checkpoint with the lowest validation WER.
    fit_and_test(asr_brain, datasets)

    # Export the best model with its tokenizer as an inference folder
    # (loadable with SpeechRecognizer.from_hparams, publishable to the Hub),
    # on the main process.
    export_on_main(export_recognizer, hparams, tokenizer.prefix_model_file + ".model")
