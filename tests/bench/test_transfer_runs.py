"""bench.transfer_runs: mean ± std of cross-domain tables over seeds."""

import json

from bench.transfer_runs import main, transfer_runs_table


def _run(ua_clean, ua_noise, ua_domain):
    return {
        "conditions": {
            "clean": {
                "utterance": {"UA": ua_clean, "unchanged": 1.0},
                "speaker": {"UA": ua_clean + 0.2, "unchanged": 1.0},
            },
            "white noise 10 dB": {
                "utterance": {"UA": ua_noise, "unchanged": 0.7},
                "speaker": {"UA": ua_noise + 0.1, "unchanged": 0.8},
            },
        },
        "domains": {"flite": {"utterance": {"UA": ua_domain, "unchanged": None}}},
    }


def test_rows_in_order_with_mean_and_population_std(tmp_path, capsys):
    runs = [_run(0.6, 0.5, 0.3), _run(0.7, 0.6, 0.4)]
    table = transfer_runs_table(runs).splitlines()
    assert table[0].startswith("| condition (2 runs) |")
    assert (
        table[2]
        == "| clean | 0.650 ± 0.050 | 100.0 ± 0.0 % | 0.850 ± 0.050 | 100.0 ± 0.0 % |"
    )
    assert table[3].startswith("| white noise 10 dB | 0.550 ± 0.050 | 70.0 ± 0.0 % |")
    # a domain has no "unchanged" (nothing to compare with) and no speaker mode here
    assert table[4] == "| flite | 0.350 ± 0.050 | – | – | – |"
    paths = []
    for i, run in enumerate(runs):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(run))
    main([str(p) for p in paths])
    assert capsys.readouterr().out.strip() == "\n".join(table)


def _predicted_run(test_pred, domain_pred, ids=None):
    labels = ["a", "b"] * 20
    ids = ids or [f"u{i}" for i in range(40)]
    return {
        "references": {
            "test": {"ids": ids, "labels": labels},
            "flite": {"ids": [f"f{i}" for i in range(40)], "labels": labels},
        },
        "conditions": {"clean": {"utterance": {"UA": 0.0, "predicted": test_pred}}},
        "domains": {"flite": {"speaker": {"UA": 0.0, "predicted": domain_pred}}},
    }


def test_against_pairs_the_seeds_utterance_by_utterance(tmp_path, capsys):
    right = ["a", "b"] * 20
    half = ["a"] * 40  # every "b" wrong: UA 0.5
    candidate = [_predicted_run(right, right), _predicted_run(right, half)]
    default = [_predicted_run(half, half), _predicted_run(right, half)]
    paths = {}
    for name, runs in (("cand", candidate), ("def", default)):
        paths[name] = []
        for i, run in enumerate(runs):
            paths[name].append(str(tmp_path / f"{name}{i}.json"))
            (tmp_path / f"{name}{i}.json").write_text(json.dumps(run))
    main([*paths["cand"], "--against", *paths["def"], "--resamples", "200"])
    means, differences = capsys.readouterr().out.strip().split("\n\n")
    assert means.startswith("| condition (2 runs) |")
    table = differences.splitlines()
    assert table[0].startswith("| condition (2 pairs of runs) | ΔUA (utterance)")
    # (0.5 + 0) / 2 over the two seeds; every resample keeps the gain positive
    clean = next(line for line in table if line.startswith("| clean | +"))
    low = float(clean.split("[")[1].split(",")[0])
    assert clean.startswith("| clean | +0.250 [") and low > 0
    assert clean.endswith(" | – |")  # no speaker mode on the test split
    assert table[3].startswith("| flite | – | +0.250 [")


def test_against_one_classic_baseline_pairs_it_with_every_run(tmp_path, capsys):
    right = ["a", "b"] * 20
    half = ["a"] * 40
    runs = [_predicted_run(right, right), _predicted_run(right, half)]
    paths = []
    for i, run in enumerate(runs):
        paths.append(str(tmp_path / f"run{i}.json"))
        (tmp_path / f"run{i}.json").write_text(json.dumps(run))
    # bench.classic --output: its table under "transfer", among other keys
    classic = {"kind": "classic", "UA": 0.5, "transfer": _predicted_run(half, half)}
    (tmp_path / "svm.json").write_text(json.dumps(classic))
    main([*paths, "--against", str(tmp_path / "svm.json"), "--resamples", "200"])
    table = capsys.readouterr().out.strip().split("\n\n")[1].splitlines()
    assert table[0].startswith("| condition (2 pairs of runs) |")
    assert next(x for x in table if x.startswith("| clean |")).startswith(
        "| clean | +0.500 ["
    )
    # flite: run 1 gains 0.5 over the SVM, run 2 predicts as it does: +0.25
    assert next(x for x in table if x.startswith("| flite |")).startswith(
        "| flite | – | +0.250 ["
    )


def test_point_estimate_is_the_reports_ua_difference():
    import numpy as np

    from bench.compare import paired_runs_bootstrap
    from speechbrain_lstm_ser.evaluation.classification import classification_report

    rng = np.random.default_rng(3)
    classes = ["ang", "hap", "neu", "sad"]
    pairs, expected = [], []
    for n in (37, 53):
        refs = list(rng.choice(classes, n))
        base, other = list(rng.choice(classes, n)), list(rng.choice(classes, n))
        pairs.append(([f"u{i}" for i in range(n)], refs, base, other))

        def ua(p, refs=refs):
            return classification_report(refs, p, classes)["unweighted_accuracy"]

        expected.append(ua(other) - ua(base))
    delta, low, high = paired_runs_bootstrap(pairs, resamples=300)
    assert abs(delta - float(np.mean(expected))) < 1e-6
    assert low < delta < high


def test_runs_that_cannot_be_paired_are_one_clear_error(tmp_path):
    import pytest

    from bench.transfer_runs import transfer_runs_differences

    right = ["a", "b"] * 20
    run = _predicted_run(right, right)
    other_split = _predicted_run(right, right, ids=[f"v{i}" for i in range(40)])
    with pytest.raises(ValueError, match="other utterances.*same seed"):
        transfer_runs_differences([run], [other_split], names=["c.json"])
    old = json.loads(json.dumps(run))
    del old["conditions"]["clean"]["utterance"]["predicted"]
    with pytest.raises(ValueError, match="old.json: 'clean' has no per-utterance"):
        transfer_runs_differences([run], [old], names=["old.json"])
    with pytest.raises(ValueError, match="2 runs against 1"):
        transfer_runs_differences([run, run], [run])


def test_a_missing_or_broken_run_file_is_one_line_naming_it(tmp_path):
    import pytest

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for path in (tmp_path / "absent.json", broken):
        with pytest.raises(SystemExit, match=f"{path.name}: cannot read this run"):
            main([str(path)])
