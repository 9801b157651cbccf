"""bench.report.Report: the benchmark's tables and notes (fast: made-up results)."""

from bench.report import Report


def _result(**extra):
    return {
        "params": 12000,
        "size_bytes": 48000,
        "rtf_batch1": 0.01,
        "rtf_batch16": 0.002,
        "peak_rss_mb": 700,
        "UA": 0.5,
        "macro_F1": 0.4,
        "rss_after_imports_mb": 584.2,
        "description": "a model",
        **extra,
    }


ROBUST = {c: {"UA": 0.5, "unchanged": 0.95} for c in ("0 dB", "-20 dB", "DC")}
RESULTS = {
    "ref": _result(robustness=ROBUST, robustness_failures=[], epochs_trained=6),
    "int8": _result(
        delta_UA_vs_reference=[-0.003, -0.02, 0.01],
        size_ratio=4.0,
        onnx_max_abs_diff=1.2e-7,
        int8_max_abs_diff=3e-3,
    ),
    "ssl": _result(ssl_source="ssl_models/tiny_wavlm_16x1"),
    "svm": _result(
        kind="classic",
        features=88,
        feature_set="egemaps",
        normalisation="speaker",
        chosen={"C": 10.0, "gamma": 0.0113636, "valid_UA": 0.6543},
    ),
}


def test_the_tables_have_a_row_per_model():
    text = Report("ref", tiny_ssl=True).markdown(RESULTS)
    table, robustness = text.split("\n\n")[:2]
    assert table.splitlines()[0].startswith("| model | params | size (MB) |")
    assert "| int8 | 12k | 0.05 | 4.0 | - |" in table
    assert "| 50.0 | -0.3 [-2.0, +1.0] | 40.0 | - | - |" in table
    assert "| ref | 12k | 0.05 | 1.0 | - |" in table and "| reference |" in table
    assert "| ref | 50.0 | 50.0 | - | - | 50.0 | 95.0 % | met |" in robustness
    assert "| int8 | - | - | - | - | - | - | - |" in robustness


def test_every_note_is_filled_from_the_results():
    notes = Report("ref", tiny_ssl=True).notes(RESULTS).splitlines()
    assert notes == [
        "- int8: max |onnxruntime - PyTorch| on probabilities 1.2e-07.",
        "- int8: max |int8 onnxruntime - float32 PyTorch| on probabilities 3.0e-03.",
        "- ssl: SSL front end ssl_models/tiny_wavlm_16x1 (a tiny randomly "
        "initialised WavLM: the row checks the pipeline, its accuracy means "
        "nothing; --ssl_source names a real one); training throughput is the "
        "head's, from the feature cache; RTF and robustness run the SSL model live.",
        "- svm: 88 features (egemaps), speaker z-scoring, RBF SVM C=10 "
        "gamma=0.0114 (validation UA 65.4); size and params are the SVM's "
        "(support vectors); its RTF includes the features.",
        "- svm: eGeMAPSv02 computed by openSMILE, under audEERING's research "
        "licence (not for commercial use).",
        "- Peak RSS is that of the measuring process; Python, PyTorch and "
        "SpeechBrain take 584 MB of it.",
    ]
    real = Report("ref", tiny_ssl=False).notes(RESULTS)
    assert "SSL front end ssl_models/tiny_wavlm_16x1; training" in real
