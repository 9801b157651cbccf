"""Spoken-command recognition with a trained model.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from speechbrain_lstm_ser.inference.classifier import UtteranceClassifier

__all__ = ["CommandRecognizer"]


class CommandRecognizer(UtteranceClassifier):
    """Recognises spoken commands ("yes", "stop", ..., unknown, silence).

    The interface of
    :class:`~speechbrain_lstm_ser.inference.classifier.UtteranceClassifier`;
    ``timeline`` spots commands along a long recording.

    Example
    -------
    >>> model = CommandRecognizer.from_hparams(  # doctest: +SKIP
    ...     source="results/commands_lstm/1986/model")
    >>> model.classify_file("yes.wav")[3]  # doctest: +SKIP
    ['yes']
    """

    #: Off: the model has its own "silence" and "unknown" classes, trained on
    #: background noise, which the speech gate would keep it from answering.
    gate_speech = False
