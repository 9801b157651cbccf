"""Embedded synthetic corpora (espeak-ng): emotion, ASR and spoken commands."""
