"""Data: corpora -> manifests (:mod:`.prepare`), audio, splits, schemas."""
