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
    "ref": _result(
        robustness=ROBUST,
        robustness_failures=[],
        epochs_trained=6,
        fused={
            "weights": {"speaker": 0.2, "utterance": 1.0},
            "speaker": 0.875,
            "single_utterance": 0.5,
        },
    ),
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
        "- ref: the recipe's test of the model fused with the functionals (w: "
        "speaker 0.2, utterance 1.0): UA 50.0 single utterance, 87.5 per speaker; "
        "the table's columns measure the model alone.",
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


def _dimensions(a, v, d):
    return {"overall": {"arousal": {"ccc": a}, "valence": {"ccc": v},
                        "dominance": {"ccc": d}}}  # fmt: skip


DIMENSIONAL = {
    "ref": _result(),
    "lstm": _result(
        dimensions={
            "utterance": _dimensions(0.871, 0.551, 0.655),
            "speaker": _dimensions(0.938, 0.845, None),
        },
    ),
    "svr": {
        "kind": "classic_regression",
        "description": "an SVR",
        "features": 88,
        "feature_set": "functionals",
        "normalisation": "speaker",
        "params": 30000,
        "size_bytes": 250000,
        "size_ratio": 0.192,
        "peak_rss_mb": 650,
        "chosen": {
            d: {"C": 10.0, "gamma": 0.0114, "epsilon": 0.05}
            for d in ("arousal", "valence", "dominance")
        },
        "dimensions": {"speaker": _dimensions(0.968, 0.904, 0.929)},
        "delta_CCC_vs_reference": {
            "speaker": {
                "arousal": [0.03, 0.021, 0.039],
                "valence": [0.059, 0.04, 0.08],
                "dominance": [None, None, None],
            }
        },
    },
}


def test_the_ccc_table_has_a_line_per_row_and_mode():
    report = Report("ref", tiny_ssl=True, dimension_reference="lstm")
    table = report.dimension_table(DIMENSIONAL).splitlines()
    assert table[0] == (
        "| model | mode | CCC arousal | CCC valence | CCC dominance | "
        "ΔCCC arousal vs lstm [95% CI] | ΔCCC valence vs lstm [95% CI] | "
        "ΔCCC dominance vs lstm [95% CI] |"
    )
    assert table[2:] == [
        "| ref | - | - | - | - | - | - | - |",  # no dimensions: empty cells
        "| lstm | per speaker | 0.938 | 0.845 | - | reference | reference | "
        "reference |",
        "| lstm | single utterance | 0.871 | 0.551 | 0.655 | reference | "
        "reference | reference |",
        "| svr | per speaker | 0.968 | 0.904 | 0.929 | +0.030 [+0.021, +0.039] | "
        "+0.059 [+0.040, +0.080] | - |",
    ]
    # no row with dimensions: no table
    assert Report("ref", tiny_ssl=True).dimension_table(RESULTS) == ""


def test_a_row_without_classes_leaves_the_accuracy_cells_empty():
    report = Report("ref", tiny_ssl=True, dimension_reference="lstm")
    text = report.markdown(DIMENSIONAL)
    assert ("| svr | 30k | 0.25 | 0.2 | - | - | - | 650 | - | - | - | - | - |") in text
    assert "| CCC arousal |" in text
    notes = report.notes(DIMENSIONAL)
    assert (
        "- svr: 88 features (functionals), speaker z-scoring, one RBF SVR per "
        "dimension, C, gamma and epsilon chosen by validation CCC (arousal C=10 "
        "gamma=0.0114 epsilon=0.05; valence"
    ) in notes
    assert "ΔCCC: row - lstm in the same mode" in notes
