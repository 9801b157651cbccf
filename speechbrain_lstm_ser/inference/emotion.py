"""Emotion recognition with a trained model.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from speechbrain_lstm_ser.inference.classifier import UtteranceClassifier

__all__ = ["EmotionRecognizer"]


class EmotionRecognizer(UtteranceClassifier):
    """Recognises the emotion of speech, from an exported folder or a Hub repo.

    ``classify_file``, ``classify_batch`` and ``timeline`` are those of
    :class:`~speechbrain_lstm_ser.inference.classifier.UtteranceClassifier`,
    with SpeechBrain's ``EncoderClassifier`` return convention.

    Example
    -------
    >>> model = EmotionRecognizer.from_hparams(  # doctest: +SKIP
    ...     source="results/emotion_lstm/1986/model")
    >>> out_prob, score, index, label = model.classify_file(  # doctest: +SKIP
    ...     "speech.wav")
    """
