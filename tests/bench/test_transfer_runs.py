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
