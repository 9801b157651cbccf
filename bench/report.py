"""The benchmark's report: its tables, the notes to read them by, and its files.

Every sentence the benchmark writes about its results is a template of
:data:`NOTES`, filled from the measurements; the tables are Markdown.
:class:`Report` turns the results of every model into ``bench.md`` (and
prints it) and writes everything, with the command and the machine, to
``bench.json``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.transfer import format_transfer_table

__all__ = ["NOTES", "Report", "machine"]

#: The comparison table's columns.
COLUMNS = (
    "model",
    "params",
    "size (MB)",
    "x smaller",
    "train (audio s/s)",
    "RTF b1",
    "RTF b16",
    "peak RSS (MB)",
    "UA",
    "ΔUA vs ref [95% CI]",
    "macro-F1",
    "UA per speaker",
    "epochs",
)
#: The robustness table's conditions, the first the one the others change.
CONDITIONS = ("0 dB", "-20 dB", "-10 dB", "+6 dB", "DC")
#: The CCC table's reference modes, and how they are named there.
MODES = {"speaker": "per speaker", "utterance": "single utterance"}
#: The sentences under the tables, filled with :meth:`str.format`.
NOTES = {
    "breakdown": "Latency of {reference} at batch 1 (one thread), as a real-time "
    "factor per stage: {stages}. Features -> head: {pipeline_over_bare_lstm:.2f}x "
    "a bare nn.LSTM of the same size on the same frames "
    "({end_to_end_over_bare_lstm:.2f}x with silence trimming); end to end, "
    "{end_to_end_over_bare_lstm_10ms:.2f}x the bare nn.LSTM on 10 ms frames.",
    "onnx": "{name}: max |onnxruntime - PyTorch| on probabilities "
    "{onnx_max_abs_diff:.1e}.",
    "int8": "{name}: max |int8 onnxruntime - float32 PyTorch| on probabilities "
    "{int8_max_abs_diff:.1e}.",
    "ssl": "{name}: SSL front end {ssl_source}{tiny}; training throughput is the "
    "head's, from the feature cache; RTF and robustness run the SSL model live.",
    "tiny_ssl": " (a tiny randomly initialised WavLM: the row checks the pipeline, "
    "its accuracy means nothing; --ssl_source names a real one)",
    "fused": "{name}: the recipe's test of the model fused with the functionals "
    "(w: speaker {speaker_w}, utterance {utterance_w}): UA {single:.1f} single "
    "utterance, {speaker:.1f} per speaker; the table's columns measure the model "
    "alone.",
    "classic": "{name}: {features} features ({feature_set}), {normalisation} "
    "z-scoring, RBF SVM C={C:g} gamma={gamma:.3g} (validation UA {valid_UA:.1f}); "
    "size and params are the SVM's (support vectors); its RTF includes the "
    "features.",
    "classic_regression": "{name}: {features} features ({feature_set}), "
    "{normalisation} z-scoring, one RBF SVR per dimension, C, gamma and epsilon "
    "chosen by validation CCC ({chosen}); size and params are the SVRs' "
    "(support vectors).",
    "ccc": "CCC: Lin's concordance correlation on the test utterances, per "
    "dimension; per speaker: each utterance against its speaker's reference "
    "made of that speaker's test utterances (transductive, labels unused; a "
    "classic row: features z-scored within each speaker); single utterance: no "
    "speaker information. ΔCCC: row - {reference} in the same mode, with a 95% "
    "paired bootstrap interval over the test utterances.",
    "egemaps": "{name}: eGeMAPSv02 computed by openSMILE, under audEERING's "
    "research licence (not for commercial use).",
    "rss": "Peak RSS is that of the measuring process; Python, PyTorch and "
    "SpeechBrain take {rss_after_imports_mb:.0f} MB of it.",
}
#: The parity notes: which result key each of them reports.
PARITY = {"onnx": "onnx_max_abs_diff", "int8": "int8_max_abs_diff"}


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(value, template: str, scale: float = 1.0) -> str:
    """``template`` filled with ``scale * value``; ``-`` for no value.

    Example
    -------
    >>> _cell(0.5123, "{:.1f}", 100), _cell(None, "{:.1f}")
    ('51.2', '-')
    """
    return "-" if value is None else template.format(scale * value)


class Report:
    """The tables and notes of a benchmark's results.

    Arguments
    ---------
    reference : str
        The model the others are compared with.
    tiny_ssl : bool
        Whether the SSL rows ran a tiny random model (no ``--ssl_source``).
    dimension_reference : str, optional
        The model whose CCCs the others' are compared with.

    Example
    -------
    >>> result = {"params": 12000, "size_bytes": 48000, "rtf_batch1": 0.01,
    ...           "rtf_batch16": 0.002, "peak_rss_mb": 700, "UA": 0.5,
    ...           "macro_F1": 0.4, "rss_after_imports_mb": 580,
    ...           "description": "a model"}
    >>> text = Report("m", tiny_ssl=True).markdown({"m": result})
    >>> print(text.splitlines()[2])  # doctest: +NORMALIZE_WHITESPACE
    | m | 12k | 0.05 | 1.0 | - | 0.0100 | 0.0020 | 700 | 50.0 | reference | 40.0
    | - | - |
    >>> print(text.splitlines()[-1])
    - **m**: a model
    """

    def __init__(
        self, reference: str, tiny_ssl: bool, dimension_reference: str | None = None
    ):
        self.reference = reference
        self.tiny_ssl = tiny_ssl
        self.dimension_reference = dimension_reference

    def markdown(self, results: dict[str, dict]) -> str:
        """``bench.md``: the tables, the notes and the models' descriptions."""
        table = self.table(results) + "\n\n" + self.robustness_table(results)
        for extra in (self.dimension_table(results), self.transfer_tables(results)):
            if extra:
                table += "\n\n" + extra
        return f"{table}\n\n{self.notes(results)}\n\n{self.descriptions(results)}\n"

    def table(self, results: dict[str, dict]) -> str:
        """The comparison as a Markdown table (``-`` where a row has no value)."""
        lines = [_row(COLUMNS), "|" + "---|" * len(COLUMNS)]
        for name, r in results.items():
            delta = r.get("delta_UA_vs_reference")
            delta_text = (
                f"{100 * delta[0]:+.1f} [{100 * delta[1]:+.1f}, {100 * delta[2]:+.1f}]"
                if delta and name != self.reference
                else "reference"
                if name == self.reference
                else "-"
            )
            train = r.get("training", {}).get("audio_seconds_per_second")
            cells = [
                name,
                _cell(r.get("params"), "{:.0f}k", 1e-3),
                _cell(r.get("size_bytes"), "{:.2f}", 1e-6),
                # 1 for the reference; none without the reference's result
                _cell(
                    r.get("size_ratio", 1 if name == self.reference else None), "{:.1f}"
                ),
                _cell(train, "{:.0f}"),
                _cell(r.get("rtf_batch1"), "{:.4f}"),
                _cell(r.get("rtf_batch16"), "{:.4f}"),
                _cell(r.get("peak_rss_mb"), "{:.0f}"),
                _cell(r.get("UA"), "{:.1f}", 100),
                delta_text,
                _cell(r.get("macro_F1"), "{:.1f}", 100),
                _cell(r.get("UA_speaker"), "{:.1f}", 100),
                str(r.get("epochs_trained", "-")),
            ]
            lines.append(_row(cells))
        return "\n".join(lines)

    def dimension_table(self, results: dict[str, dict]) -> str:
        """CCC per dimension and reference mode, and its difference, as Markdown.

        One line per row and mode it has (:data:`MODES`); a row without
        dimensions gets one line of ``-``. Empty when no row has dimensions.
        """
        if not any(r.get("dimensions") for r in results.values()):
            return ""
        ref = self.dimension_reference or "reference"
        head = [
            "model",
            "mode",
            *(f"CCC {d}" for d in DIMENSIONS),
            *(f"ΔCCC {d} vs {ref} [95% CI]" for d in DIMENSIONS),
        ]
        lines = [_row(head), "|" + "---|" * len(head)]
        for name, r in results.items():
            reports = r.get("dimensions") or {}
            if not reports:
                lines.append(_row([name, *["-"] * (len(head) - 1)]))
            for mode in (m for m in MODES if m in reports):
                overall = reports[mode]["overall"]
                deltas = (r.get("delta_CCC_vs_reference") or {}).get(mode, {})
                lines.append(
                    _row(
                        [
                            name,
                            MODES[mode],
                            *(_cell(overall[d]["ccc"], "{:.3f}") for d in DIMENSIONS),
                            *(self._ccc_delta(name, deltas.get(d)) for d in DIMENSIONS),
                        ]
                    )
                )
        return "\n".join(lines)

    def _ccc_delta(self, name: str, delta) -> str:
        """A ΔCCC cell: ``+0.012 [-0.004, +0.030]``, ``reference`` or ``-``."""
        if name == self.dimension_reference:
            return "reference"
        if not delta or delta[0] is None:
            return "-"
        if delta[1] is None:
            return f"{delta[0]:+.3f}"
        return f"{delta[0]:+.3f} [{delta[1]:+.3f}, {delta[2]:+.3f}]"

    def robustness_table(self, results: dict[str, dict]) -> str:
        """UA (%) of every row with the test waveforms perturbed, as Markdown.

        ``unchanged`` is the smallest share of labels unchanged from 0 dB
        over the perturbed conditions; ``criterion``: UA within 2 points of
        0 dB and at least 90 % unchanged in each.
        """
        head = [
            "model",
            *(f"UA {c}" for c in CONDITIONS),
            "unchanged (min)",
            "criterion",
        ]
        lines = [_row(head), "|" + "---|" * len(head)]
        for name, r in results.items():
            rob = r.get("robustness")
            if not rob:
                lines.append(f"| {name} |" + " - |" * (len(CONDITIONS) + 2))
                continue
            cells = [
                f"{100 * rob[c]['UA']:.1f}" if c in rob else "-" for c in CONDITIONS
            ]
            unchanged = min(rob[c]["unchanged"] for c in CONDITIONS[1:] if c in rob)
            met = "met" if not r.get("robustness_failures") else "not met"
            lines.append(_row([name, *cells, f"{100 * unchanged:.1f} %", met]))
        return "\n".join(lines)

    def transfer_tables(self, results: dict[str, dict]) -> str:
        """Every row's cross-domain table (``--conditions``, ``--domain``)."""
        return "\n\n".join(
            f"**{name}**: cross-domain and corrupted conditions\n\n"
            + format_transfer_table(r["transfer"])
            for name, r in results.items()
            if r.get("transfer")
        )

    def notes(self, results: dict[str, dict]) -> str:
        """What the table needs to be read right, one :data:`NOTES` line each."""
        lines = []
        ref = results.get(self.reference, {})
        breakdown = ref.get("latency_breakdown")
        if breakdown:
            stages = ", ".join(
                f"{k[4:]} {v:.5f}" for k, v in breakdown.items() if k.startswith("rtf_")
            )
            lines.append(
                NOTES["breakdown"].format(
                    **{**breakdown, "reference": self.reference, "stages": stages}
                )
            )
        for name, r in results.items():
            lines += [
                NOTES[note].format(**{**r, "name": name})
                for note, key in PARITY.items()
                if key in r
            ]
        for name, r in results.items():
            lines += self._row_notes(name, r)
        if any(r.get("dimensions") for r in results.values()):
            reference = self.dimension_reference or "the reference"
            lines.append(NOTES["ccc"].format(reference=reference))
        if ref.get("rss_after_imports_mb") is not None:
            lines.append(NOTES["rss"].format(**ref))
        return "\n".join(f"- {line}" for line in lines)

    def _row_notes(self, name: str, r: dict) -> list[str]:
        """The notes of a fused, an SSL or a classic row."""
        lines = []
        if "ssl_source" in r:
            tiny = NOTES["tiny_ssl"] if self.tiny_ssl else ""
            lines.append(NOTES["ssl"].format(**{**r, "name": name, "tiny": tiny}))
        if r.get("fused"):
            fused = r["fused"]
            lines.append(
                NOTES["fused"].format(
                    name=name,
                    speaker_w=fused["weights"].get("speaker"),
                    utterance_w=fused["weights"].get("utterance"),
                    single=100 * fused.get("single_utterance", float("nan")),
                    speaker=100 * fused.get("speaker", float("nan")),
                )
            )
        if r.get("kind") == "classic":
            chosen = {**r["chosen"], "valid_UA": 100 * r["chosen"]["valid_UA"]}
            lines.append(NOTES["classic"].format(**{**r, **chosen, "name": name}))
        if r.get("kind") == "classic_regression":
            chosen = "; ".join(
                f"{d} C={c['C']:g} gamma={c['gamma']:.3g} epsilon={c['epsilon']:g}"
                for d, c in r["chosen"].items()
            )
            lines.append(
                NOTES["classic_regression"].format(
                    **{**r, "chosen": chosen, "name": name}
                )
            )
        classic = r.get("kind", "").startswith("classic")
        if classic and r["feature_set"].startswith("egemaps"):
            lines.append(NOTES["egemaps"].format(name=name))
        return lines

    def descriptions(self, results: dict[str, dict]) -> str:
        """Each model's ``description``, as a list."""
        return "\n".join(f"- **{n}**: {r['description']}" for n, r in results.items())

    def write(self, out: Path, summary: dict) -> str:
        """Writes ``summary`` to ``out/bench.json``, its tables to ``bench.md``.

        Returns
        -------
        str
            The text of ``bench.md``.
        """
        write_json(out / "bench.json", summary)
        text = self.markdown(summary["models"])
        (out / "bench.md").write_text(text, encoding="utf-8")
        return text


def machine(device: str) -> dict:
    """The CPU, cores, Python, PyTorch, onnxruntime and device of a run.

    Example
    -------
    >>> machine("cpu")["cores"] == os.cpu_count()
    True
    """
    import onnxruntime
    import torch

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "device": device,
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(device)
    return info
