r"""Each utterance's pre-processed waveform, kept in memory after its first pass.

A recipe's ``preprocess`` module (DC removal, noise reduction, silence
trimming) is deterministic and works on each utterance alone, so what it
makes of an utterance is the same in every epoch: :class:`PreprocessCache`
keeps it, keyed by the utterance ID, and later batches are assembled from
the kept pieces instead of being pre-processed again. The assembled batch
is the one the module would have made, bit for bit on the CPU: the same
samples, zero padding to the longest piece, and relative lengths
``count / longest`` in float32 (the module's, and SpeechBrain's
``PaddedBatch``'s, for integer counts under 2**24). The recipe's Brain uses
it for its training and validation batches (``preprocess_cache_mb`` in the
YAML; ``docs/performance.md``, "The pre-processing cache").

What does not fit in the memory budget is pre-processed every time, as
without the cache. A ``preprocess`` module with trainable parameters is
refused: what it makes changes as it trains.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import torch
from torch import nn

from speechbrain_lstm_ser.dataio.audio import pad_waveforms
from speechbrain_lstm_ser.dataio.loader_augmentation import require_frozen
from speechbrain_lstm_ser.nnet.encoders import absolute_lengths

__all__ = ["PreprocessCache"]

Preprocess = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class PreprocessCache:
    """Pre-processes each utterance once and keeps the result for later batches.

    Arguments
    ---------
    max_mb : float
        Memory budget of the kept waveforms, in MiB (float32 samples, on the
        CPU). Utterances beyond it are pre-processed at every pass.

    Example
    -------
    >>> from speechbrain_lstm_ser.processing.level import RemoveDC
    >>> cache = PreprocessCache(max_mb=1)
    >>> wavs, lens = torch.ones(2, 4) + torch.arange(4.0), torch.tensor([1.0, 0.5])
    >>> out, out_lens = cache(RemoveDC(), ["a", "b"], wavs, lens)
    >>> out
    tensor([[-1.5000, -0.5000,  0.5000,  1.5000],
            [-0.5000,  0.5000,  0.0000,  0.0000]])
    >>> again, _ = cache(RemoveDC(), ["b", "a"], wavs.flip(0), lens.flip(0))
    >>> torch.equal(again, out.flip(0)), cache.hits, cache.misses
    (True, 2, 2)
    """

    def __init__(self, max_mb: float):
        if max_mb < 0:
            raise ValueError(
                f"preprocess_cache_mb: {max_mb} is negative; use 0 for no cache."
            )
        self.max_bytes = int(max_mb * 2**20)
        self.pieces: dict[Hashable, torch.Tensor] = {}
        self.stored_bytes = 0
        self.hits = 0
        self.misses = 0

    @staticmethod
    def check(preprocess: nn.Module) -> None:
        """Refuses a ``preprocess`` module whose output would change as it trains.

        Arguments
        ---------
        preprocess : torch.nn.Module
            The recipe's ``preprocess`` module.

        Raises
        ------
        ValueError
            When it has trainable parameters.
        """
        require_frozen(
            preprocess,
            "preprocess_cache_mb",
            "kept waveforms would go stale as it trains",
            "0",
        )

    def __call__(
        self,
        preprocess: Preprocess,
        keys: Sequence[Hashable],
        wavs: torch.Tensor,
        lens: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``preprocess(wavs, lens)``, from kept pieces where they are known.

        Arguments
        ---------
        preprocess : callable
            ``(wavs, lens) -> (wavs, lens)``, deterministic and applied to
            each utterance alone (as the project's ``WaveformPipeline``).
        keys : sequence
            One key per row (utterance IDs), unique among what this cache sees.
        wavs : torch.Tensor
            ``(batch, time)`` padded waveforms.
        lens : torch.Tensor
            ``(batch,)`` relative lengths in ``[0, 1]``.

        Returns
        -------
        wavs : torch.Tensor
            ``(batch, time')`` pre-processed waveforms, zero padded, on the
            device of the input.
        lens : torch.Tensor
            ``(batch,)`` their relative lengths (float32).
        """
        keys = list(keys)
        if len(keys) != wavs.shape[0]:
            raise ValueError(
                f"PreprocessCache: {len(keys)} keys for a batch of {wavs.shape[0]}."
            )
        missing = [i for i, key in enumerate(keys) if key not in self.pieces]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if len(missing) == len(keys):  # nothing kept: the module's own batch
            out, out_lens = preprocess(wavs, lens)
            if self.stored_bytes < self.max_bytes:
                self._keep(keys, self._rows(out, out_lens))
            return out, out_lens
        pieces = dict(zip(keys, map(self.pieces.get, keys), strict=True))
        if missing:
            index = torch.tensor(missing, device=wavs.device)
            fresh = self._rows(*preprocess(wavs[index], lens[index]))
            pieces.update(zip((keys[i] for i in missing), fresh, strict=True))
            self._keep([keys[i] for i in missing], fresh)
        # PaddedBatch's padding and lengths: the trimmer's count / longest,
        # equal in float32 (exact integer counts under 2**24).
        out, out_lens = pad_waveforms([pieces[key] for key in keys])
        return out.to(wavs.device), out_lens.to(wavs.device)

    def _rows(self, wavs: torch.Tensor, lens: torch.Tensor) -> list[torch.Tensor]:
        """Each row's real samples, on the CPU."""
        counts = absolute_lengths(lens, wavs.shape[1], wavs.shape[0]).tolist()
        cpu = wavs.detach().cpu()
        return [cpu[i, :count] for i, count in enumerate(counts)]

    def _keep(self, keys: list[Hashable], rows: list[torch.Tensor]) -> None:
        """Keeps pre-processed rows while the budget lasts."""
        for key, row in zip(keys, rows, strict=True):
            size = row.numel() * row.element_size()
            if self.stored_bytes + size > self.max_bytes:
                return
            self.pieces[key] = row.clone()  # not a view of the whole batch
            self.stored_bytes += size
