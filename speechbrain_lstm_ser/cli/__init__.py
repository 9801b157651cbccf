r"""The ``sb-lstm-ser`` command line: every user-facing command of the package.

::

    sb-lstm-ser predict  --model MODEL audio.wav more/ ... [--labels happy,sad]
    sb-lstm-ser predict  --model MODEL corpus/ --output preds.csv [--shard 0/4]
    sb-lstm-ser merge-shards preds.csv
    sb-lstm-ser serve    --model MODEL [--streaming-model SMODEL] [--port 8000]
    sb-lstm-ser timeline --model MODEL --window 3 --hop 1.5 long.wav
    sb-lstm-ser transcribe --model ASR_MODEL audio.wav more/ ...
    sb-lstm-ser analyze  --asr-model ASR_MODEL --emotion-model MODEL meeting.wav
    arecord -q -f S16_LE -r 16000 -c 1 -t raw | sb-lstm-ser stream --model MODEL
    sb-lstm-ser keygen   keys/me.pem                 # writes me.pem and me.pem.pub
    sb-lstm-ser sign     MODEL_FOLDER --key keys/me.pem
    sb-lstm-ser verify   MODEL_FOLDER --trusted-key keys/me.pem.pub
    sb-lstm-ser publish  MODEL_FOLDER --repo-id user/name [--dry-run]
    sb-lstm-ser export-onnx RUN/hyperparams.yaml --onnx model.onnx [--int8]
    sb-lstm-ser prune    RUN/hyperparams.yaml hparams/lstm.yaml --lstm_hidden 48 ...
    sb-lstm-ser report   RUN/test_report.json [--markdown]
    sb-lstm-ser robustness --model MODEL --manifest test.csv [--json out.json]
    sb-lstm-ser robustness --model MODEL --manifest test.csv --conditions all \
        --domain data/emotion_flite

``MODEL`` is an exported model folder or a Hugging Face Hub repo id. Inputs
are files or folders (searched recursively for audio). Output is JSON lines
(default) or a table. ``--threads N`` sets PyTorch's threads (default
``auto``: :func:`speechbrain_lstm_ser.threads.configure_threads`, applied
before PyTorch loads so that waiting threads sleep). An unreadable file gets
one line on stderr and the others are still processed; the exit status is
then 1. A file without speech is an answer, not an error: ``"label": null,
"speech": false`` and the reason (``--no-speech-gate`` classifies it
anyway). A file classified with a warning (narrowband audio, a truncated
WAV) gets a ``warning:`` line on stderr and a ``"warnings"`` field. File
names are printed with backslash escapes (``\\``, ``\n``, ``\t``, and
``\xNN`` for bytes that are not UTF-8:
:func:`~speechbrain_lstm_ser.cli.output.display_name`), which
``codecs.escape_decode`` maps back to the file's bytes.

``export-onnx``, ``prune`` and ``report`` hand their arguments to the module
that does the work (:mod:`speechbrain_lstm_ser.export.onnx`,
:mod:`speechbrain_lstm_ser.compression.pruning`,
:mod:`speechbrain_lstm_ser.evaluation.reports`); ``sb-lstm-ser VERB -h``
prints that module's options. Any error ends the command with one
``error:`` line on stderr and a non-zero exit status.

Each verb is one handler, ``run_VERB(args) -> int``, beside the builder of
its options, in a module named for its verb group: ``predict`` (and
``merge-shards``), ``timeline``, ``transcribe`` (and ``analyze``),
``stream``, ``serve``, ``keys`` (``keygen``, ``sign``, ``verify``),
``publish``, ``robustness``, ``delegated`` (``export-onnx``, ``prune``,
``report``). :mod:`~speechbrain_lstm_ser.cli.parser` puts the verbs
together, :mod:`~speechbrain_lstm_ser.cli.entry` runs one; the verbs share
``arguments`` (options), ``inputs`` (audio files), ``loading`` (models),
``per_file`` (the file-by-file loop) and ``output`` (what is printed).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from speechbrain_lstm_ser.cli.entry import main
from speechbrain_lstm_ser.cli.inputs import AUDIO_EXTENSIONS, expand_inputs
from speechbrain_lstm_ser.cli.output import display_name
from speechbrain_lstm_ser.cli.parser import build_parser

__all__ = ["AUDIO_EXTENSIONS", "build_parser", "display_name", "expand_inputs", "main"]
