"""The SSL front ends of the benchmark's ``ssl`` rows.

A row with an ``ssl`` entry trains ``hparams/ssl_lstm.yaml`` on a frozen
self-supervised model: ``--ssl_source`` (a Hub id or a local folder, of
``--ssl_hidden_size``), or by default a tiny random WavLM written once into
``<output>/ssl_models`` (it tests the plumbing; its accuracy means nothing).
Every SSL row caches its layers in ``<output>/ssl_feature_cache``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

__all__ = ["TINY_SSL", "SSLModels"]

#: The tiny random SSL model of ``ssl`` rows without ``--ssl_source``.
TINY_SSL = {"model_type": "wavlm", "hidden_size": 32, "num_layers": 2}


class SSLModels:
    """The SSL model of each ``ssl`` row, as the recipe's overrides.

    Arguments
    ---------
    out : str or os.PathLike
        The benchmark's output folder.
    source : str, optional
        ``--ssl_source``; without it, a tiny random model.
    hidden_size : int
        The width of ``source``.

    Example
    -------
    >>> models = SSLModels("out", "microsoft/wavlm-base-plus", 768)
    >>> models.overrides(None)
    {}
    >>> models.overrides({})["ssl_hidden_size"], models.reported({})
    (768, 'microsoft/wavlm-base-plus')
    """

    def __init__(
        self, out: str | os.PathLike, source: str | None, hidden_size: int = 768
    ):
        self.out = Path(out)
        self.source = source
        self.hidden_size = hidden_size
        self._lock = threading.Lock()

    def overrides(self, spec: Mapping | None) -> dict:
        """The overrides of a row whose ``ssl`` entry is ``spec`` (None: no SSL).

        The tiny model (``spec``'s ``tiny`` changes :data:`TINY_SSL`) is
        written the first time a row needs it.
        """
        if spec is None:
            return {}
        if self.source:
            source, width = self.source, self.hidden_size
            if Path(source).exists():  # a local folder: the recipes run from ROOT
                source = Path(source).resolve()
        else:
            tiny = {**TINY_SSL, **(spec.get("tiny") or {})}
            folder_name = "tiny_{model_type}_{hidden_size}x{num_layers}".format(**tiny)
            folder = self.out / "ssl_models" / folder_name
            with self._lock:  # rows train side by side
                if not (folder / "config.json").is_file():
                    from speechbrain_lstm_ser.nnet.ssl import save_tiny_ssl_model

                    save_tiny_ssl_model(folder, **tiny)
            source, width = folder, tiny["hidden_size"]
        return {
            "ssl_source": source,
            "ssl_hidden_size": width,
            "ssl_cache_folder": self.out / "ssl_feature_cache",
        }

    def reported(self, spec: Mapping | None) -> str | None:
        """The SSL model of a row as reported (a tiny one: in the output folder)."""
        ssl = self.overrides(spec)
        if not ssl:
            return None
        if self.source:
            return str(ssl["ssl_source"])
        return str(Path(ssl["ssl_source"]).relative_to(self.out))
