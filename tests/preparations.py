"""The preparations called with their options as keywords, for compact tests.

``prepare_emotion("embedded", folder, out, emotions=[...], seed=1,
corpus_options={...})`` builds the task's options object (the corpus options
given for ``dataset`` only) and runs the preparation, as the recipes do with
the object their YAML built.
"""

from dataclasses import asdict

from speechbrain_lstm_ser.dataio.prepare_asr import ASRPrepOptions, prepare_asr_data
from speechbrain_lstm_ser.dataio.prepare_commands import (
    CommandsPrepOptions,
    prepare_commands_data,
)
from speechbrain_lstm_ser.dataio.prepare_emotion import (
    EmotionPrepOptions,
    prepare_emotion_data,
)


def _run(prepare, options_class, dataset, data_folder, manifest_folder, **options):
    corpus = options.pop("corpus_options", None) or {}  # for `dataset`
    built = options_class(dataset=dataset, corpora={dataset: corpus}, **options)
    return prepare(data_folder, manifest_folder, built)


def prepare_emotion(dataset, data_folder, manifest_folder, **options):
    """:func:`prepare_emotion_data` with :class:`EmotionPrepOptions` keywords."""
    return _run(
        prepare_emotion_data,
        EmotionPrepOptions,
        dataset,
        data_folder,
        manifest_folder,
        **options,
    )


def prepare_commands(dataset, data_folder, manifest_folder, commands, **options):
    """:func:`prepare_commands_data` with :class:`CommandsPrepOptions` keywords."""
    return _run(
        prepare_commands_data,
        CommandsPrepOptions,
        dataset,
        data_folder,
        manifest_folder,
        commands=commands,
        **options,
    )


def prepare_asr(dataset, data_folder, manifest_folder, **options):
    """:func:`prepare_asr_data` with :class:`ASRPrepOptions` keywords."""
    return _run(
        prepare_asr_data,
        ASRPrepOptions,
        dataset,
        data_folder,
        manifest_folder,
        **options,
    )


def prepare_tiny_corpus(tiny_corpus, manifest_folder, **options):
    """The manifests of the ``tiny_corpus`` fixture, as most tests want them.

    Four emotions; one validation and one test speaker of the six; any
    ``options`` (``seed=``, ``fold=``, ...) added or overriding.
    """
    folder, corpus = tiny_corpus
    args = dict(
        dataset="embedded",
        data_folder=folder,
        manifest_folder=manifest_folder,
        emotions=["neutral", "happy", "sad", "angry"],
        valid_speakers=1,
        test_speakers=1,
        corpus_options=asdict(corpus),
    )
    return prepare_emotion(**{**args, **options})
