"""Speech recognition with a trained CTC model: files, batches, long recordings.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os

import torch
from speechbrain.decoders.ctc import ctc_greedy_decode

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.decoders.ctc import CTCTextSearch
from speechbrain_lstm_ser.inference.interface import AudioInterface
from speechbrain_lstm_ser.nnet.models import CTCModel
from speechbrain_lstm_ser.processing.vad import default_vad

__all__ = ["SpeechRecognizer"]


class SpeechRecognizer(AudioInterface):
    """Transcribes speech with an LSTM-CTC model, from a folder or a Hub repo.

    Decoding is the CTC beam search the model was tested with (its
    ``test_searcher``, through
    :class:`~speechbrain_lstm_ser.decoders.ctc.CTCTextSearch`: the frame
    counts greedy decoding uses) or greedy (``decoding="greedy"``). Audio of any sample
    rate and channel count is converted inside; recordings longer than
    ``max_duration`` are cut at pauses (Silero VAD) and transcribed piece by
    piece, so memory stays bounded.

    Arguments
    ---------
    decoding : str
        ``"beam"`` (default when the model has a searcher) or ``"greedy"``.
    *args, **kwargs
        See ``Pretrained``; build with ``from_hparams(source=...)``.

    Example
    -------
    >>> asr = SpeechRecognizer.from_hparams(  # doctest: +SKIP
    ...     source="results/asr_lstm/1986/model")
    >>> asr.transcribe_file("command.wav")  # doctest: +SKIP
    'turn on the kitchen lights'
    """

    MODEL_CLASS = CTCModel
    MODULES_NEEDED = list(CTCModel.MODULES)
    HPARAMS_NEEDED = ["sample_rate", "tokenizer", "blank_index"]
    #: Longer files are transcribed segment by segment (seconds).
    max_duration = 30.0

    def __init__(self, *args, decoding: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        sp = self.hparams.tokenizer
        self.vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
        has_beam = hasattr(self.hparams, "test_searcher")
        decoding = decoding or ("beam" if has_beam else "greedy")
        if decoding not in ("beam", "greedy") or (decoding == "beam" and not has_beam):
            raise ValueError(
                f"decoding must be 'greedy' or (for models with a searcher) "
                f"'beam', got {decoding!r}"
            )
        self.decoding = decoding
        if decoding == "beam":
            self.searcher = CTCTextSearch(
                self.hparams.test_searcher, sp, self.hparams.blank_index
            )

    def encode_batch(
        self, wavs: torch.Tensor, wav_lens: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame token log-probabilities: the folder's ``CTCModel``.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms at the model's sample rate.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.

        Returns
        -------
        log_probs : torch.Tensor
            ``(batch, frames, vocab + 1)``, the blank last.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.
        """
        wavs, wav_lens = self.prepare_batch(wavs, wav_lens)
        with torch.no_grad():
            return self.model(wavs, wav_lens), wav_lens

    def transcribe_batch(
        self, wavs: torch.Tensor, wav_lens: torch.Tensor | None = None
    ) -> tuple[list[str], list[list[int]]]:
        """Transcribes a batch of waveforms.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms at the model's sample rate.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.

        Returns
        -------
        texts : list of str
            One transcript per waveform.
        tokens : list of list of int
            The token IDs behind each transcript (greedy decoding) or an empty
            list (beam search).
        """
        log_probs, lens = self.encode_batch(wavs, wav_lens)
        if self.decoding == "beam":
            texts = self.searcher(log_probs, lens)
            return texts, [[] for _ in texts]
        tokens = ctc_greedy_decode(log_probs, lens, self.hparams.blank_index)
        texts = [
            self.hparams.tokenizer.decode_ids(seq) if seq else "" for seq in tokens
        ]
        return texts, tokens

    def transcribe_file(self, path: str | os.PathLike) -> str:
        """Transcribes an audio file (any rate, any channels, any length).

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.

        Returns
        -------
        str
            The transcript (segments of long files joined by spaces).
        """
        local, duration = self.audio_file(path)
        if duration > self.max_duration:
            vad = default_vad(self.sample_rate, max_segment=self.max_duration)
            texts = [
                self.transcribe_segment(local, s, e) for s, e in vad.segments(local)
            ]
            return " ".join(t for t in texts if t)
        return self.transcribe_segment(local)

    def transcribe_segment(
        self,
        path: str | os.PathLike,
        start: float | None = None,
        end: float | None = None,
    ) -> str:
        """Transcribes the part of a file between ``start`` and ``end`` seconds.

        Arguments
        ---------
        path : str or os.PathLike
            A local file.
        start : float, optional
            Where the part starts (None: at the start of the file).
        end : float, optional
            Where it ends (None: at the end of the file).

        Returns
        -------
        str
        """
        wav = read_audio(path, self.sample_rate, start=start, stop=end)
        return self.transcribe_batch(wav.unsqueeze(0), torch.ones(1))[0][0]
