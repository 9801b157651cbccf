"""A small ctypes binding to the espeak-ng speech synthesiser.

The shared library and its voice data come from the ``espeakng-loader``
package (PyPI), so no system installation and no download is needed. The
binding is used to *generate* the embedded default corpora: speech from
espeak-ng is intelligible but far from natural, which makes it fine for demos,
tests and smoke runs, and useless as a measure of accuracy on human speech.

espeak-ng keeps global state, so the library is initialised once per process
and every synthesis call is serialised with a lock. Some of that state is
static and survives even re-initialisation, so the exact samples of a call
depend on the calls made before it in the same process (only slightly: a few
samples of length, phase). :func:`synthesize_isolated` therefore runs a list
of requests in a fresh worker process: its output depends on those requests
alone, which is what makes generated corpora byte-for-byte reproducible.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import ctypes
import dataclasses
import io
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

__all__ = [
    "EspeakError",
    "EspeakSynthesizer",
    "Prosody",
    "SynthesisRequest",
    "VoiceVariant",
    "synthesize_isolated",
]

# Constants from espeak-ng's speak_lib.h
_NATIVE_SAMPLE_RATE = 22050
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_RATE = 1
_ESPEAK_VOLUME = 2
_ESPEAK_PITCH = 3
_ESPEAK_RANGE = 4
_ESPEAK_WORDGAP = 7
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_ENDPAUSE = 0x1000
_EE_OK = 0

#: The C functions called (besides the callback's setter): name ->
#: (argument types, return type).
_SIGNATURES = {
    "espeak_Initialize": (
        [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int],
        ctypes.c_int,
    ),
    "espeak_SetVoiceByName": ([ctypes.c_char_p], ctypes.c_int),
    "espeak_SetParameter": ([ctypes.c_int, ctypes.c_int, ctypes.c_int], ctypes.c_int),
    # text, size, position, position type, end position, flags, id, user data
    "espeak_Synth": (
        [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ],
        ctypes.c_int,
    ),
    "espeak_ng_SetRandSeed": ([ctypes.c_long], ctypes.c_int),
}

_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class EspeakError(RuntimeError):
    """Raised when espeak-ng cannot be loaded or refuses a request."""


@dataclasses.dataclass(frozen=True)
class VoiceVariant:
    """An espeak-ng voice variant (``voices/!v/<name>``) and its gender."""

    name: str
    gender: str


@dataclasses.dataclass(frozen=True)
class Prosody:
    """Prosody settings for one synthesis call, in espeak-ng's own units.

    Arguments
    ---------
    rate : int
        Speaking rate in words per minute (espeak-ng accepts 80 to 450).
    pitch : int
        Base pitch, 0 to 100, relative to the voice's own pitch (50 = default).
    pitch_range : int
        Pitch range, 0 (monotone) to 100, 50 being the default.
    volume : int
        Amplitude, 0 to 200, 100 being the default.
    word_gap : int
        Extra pause between words, in units of 10 ms.
    """

    rate: int = 175
    pitch: int = 50
    pitch_range: int = 50
    volume: int = 100
    word_gap: int = 0


@dataclasses.dataclass(frozen=True)
class SynthesisRequest:
    """One utterance to synthesise: text, voice and prosody."""

    text: str
    voice: str
    prosody: Prosody = Prosody()
    seed: int = 0


class EspeakSynthesizer:
    """Synthesises English speech with espeak-ng through ctypes.

    Arguments
    ---------
    library_path : str, optional
        Path of ``libespeak-ng.so``; by default the one bundled by
        ``espeakng-loader``.
    data_path : str, optional
        Path of ``espeak-ng-data``; by default the bundled one.

    Example
    -------
    >>> tts = EspeakSynthesizer()
    >>> wav, sr = tts.synthesize("Hello there.", "en+m3", Prosody(rate=170))
    >>> sr
    22050
    >>> wav.dtype, wav.ndim, 0.3 < len(wav) / sr < 2.0
    (dtype('int16'), 1, True)
    """

    #: espeak-ng's output rate (fixed by the library), known without loading it.
    native_sample_rate = _NATIVE_SAMPLE_RATE
    _lib = None
    _lock = threading.Lock()
    _sample_rate = 0
    _chunks: list[np.ndarray] = []
    _callback = None

    def __init__(self, library_path: str | None = None, data_path: str | None = None):
        if library_path is None or data_path is None:
            try:
                import espeakng_loader
            except ImportError as err:  # pragma: no cover - a pinned dependency
                raise EspeakError(
                    "espeakng-loader is not installed; run "
                    "`pip install espeakng-loader` (it bundles libespeak-ng)."
                ) from err
            library_path = library_path or espeakng_loader.get_library_path()
            data_path = data_path or espeakng_loader.get_data_path()
        self.data_path = Path(data_path)
        with EspeakSynthesizer._lock:
            if EspeakSynthesizer._lib is None:
                EspeakSynthesizer._init_library(library_path, str(data_path))

    @classmethod
    def _init_library(cls, library_path: str, data_path: str) -> None:
        try:
            lib = ctypes.CDLL(library_path)
        except OSError as err:
            raise EspeakError(
                f"cannot load espeak-ng from {library_path}: {err}"
            ) from None
        for name, (argtypes, restype) in _SIGNATURES.items():
            function = getattr(lib, name)
            function.argtypes, function.restype = argtypes, restype
        sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0
        )
        if sample_rate != _NATIVE_SAMPLE_RATE:
            raise EspeakError(
                f"espeak_Initialize failed or gave an unexpected rate "
                f"({sample_rate}) with data at {data_path}"
            )

        def _collect(wav, num_samples, _events):
            if num_samples > 0:
                cls._chunks.append(
                    np.ctypeslib.as_array(wav, shape=(num_samples,)).copy()
                )
            return 0

        cls._callback = _CALLBACK(_collect)  # keep a reference alive
        lib.espeak_SetSynthCallback(cls._callback)
        cls._lib = lib
        cls._sample_rate = sample_rate

    @property
    def sample_rate(self) -> int:
        """The native sample rate of espeak-ng's output (22050 Hz)."""
        return EspeakSynthesizer._sample_rate

    def variants(self) -> list[VoiceVariant]:
        """Lists the bundled voice variants that declare a gender.

        Returns
        -------
        list of VoiceVariant
            Sorted by name; gender is ``"male"`` or ``"female"``.
        """
        found = []
        for path in sorted((self.data_path / "voices" / "!v").iterdir()):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                fields = line.split()
                if len(fields) >= 2 and fields[0].lower() == "gender":
                    gender = fields[1].lower()
                    if gender in ("male", "female"):
                        found.append(VoiceVariant(path.name, gender))
                    break
        return found

    def synthesize(
        self, text: str, voice: str, prosody: Prosody = Prosody(), seed: int = 0
    ) -> tuple[np.ndarray, int]:
        """Synthesises ``text`` with a voice and prosody settings.

        Arguments
        ---------
        text : str
            The text to speak (plain UTF-8, no SSML).
        voice : str
            A voice name such as ``"en"`` or ``"en+f3"`` (language + variant).
        prosody : Prosody
            Rate, pitch, pitch range, volume and word gap.
        seed : int
            Seed of espeak-ng's noise generator (breathy and rough voices use
            it; unseeded it follows the clock).

        Returns
        -------
        wav : numpy.ndarray
            int16 samples, mono.
        sample_rate : int
            The sample rate of ``wav`` (espeak-ng's native rate).
        """
        if "+" in voice:
            variant = voice.split("+", 1)[1]
            if not (self.data_path / "voices" / "!v" / variant).is_file():
                # espeak-ng silently ignores unknown variants: refuse instead.
                raise EspeakError(f"unknown espeak-ng voice variant {variant!r}")
        data = text.encode("utf-8") + b"\0"
        cls = EspeakSynthesizer
        with cls._lock:
            lib = cls._lib
            lib.espeak_ng_SetRandSeed(seed)
            if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise EspeakError(f"espeak-ng has no voice {voice!r}")
            for param, value in (
                (_ESPEAK_RATE, prosody.rate),
                (_ESPEAK_VOLUME, prosody.volume),
                (_ESPEAK_PITCH, prosody.pitch),
                (_ESPEAK_RANGE, prosody.pitch_range),
                (_ESPEAK_WORDGAP, prosody.word_gap),
            ):
                lib.espeak_SetParameter(param, int(value), 0)
            cls._chunks = []
            status = lib.espeak_Synth(
                data,
                len(data),
                0,
                _POS_CHARACTER,
                0,
                _ESPEAK_CHARS_UTF8 | _ESPEAK_ENDPAUSE,
                None,
                None,
            )
            chunks, cls._chunks = cls._chunks, []
        if status != _EE_OK:
            raise EspeakError(f"espeak_Synth failed ({status}) for {text!r}")
        if not chunks:
            raise EspeakError(f"espeak-ng produced no audio for {text!r}")
        return np.concatenate(chunks), self.sample_rate


#: The folder holding the ``speechbrain_lstm_ser`` package (the workers' cwd).
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


def synthesize_isolated(
    jobs: list[list[SynthesisRequest]], num_workers: int = 2
) -> list[list[np.ndarray]]:
    """Synthesises lists of requests, each list in its own fresh process.

    The samples returned for a list depend only on that list, never on what
    else was synthesised before, in this process or another one.

    Arguments
    ---------
    jobs : list of list of SynthesisRequest
        Typically one list per speaker.
    num_workers : int
        How many worker processes run at once.

    Returns
    -------
    list of list of numpy.ndarray
        int16 waveforms at :attr:`EspeakSynthesizer.sample_rate`, in the
        order of ``jobs`` and of the requests within each job.

    Example
    -------
    >>> req = SynthesisRequest("Good morning.", "en+f2", Prosody(rate=160))
    >>> first, second = synthesize_isolated([[req], [req]])
    >>> bool((first[0] == second[0]).all())
    True
    """
    with ThreadPoolExecutor(max_workers=max(1, num_workers)) as pool:
        return list(pool.map(_run_worker, jobs))


def _run_worker(requests: list[SynthesisRequest]) -> list[np.ndarray]:
    """Runs one fresh worker process over ``requests``."""
    payload = json.dumps([dataclasses.asdict(r) for r in requests])
    proc = subprocess.run(
        [sys.executable, "-m", __name__],
        input=payload.encode("utf-8"),
        capture_output=True,
        check=False,
        # "-m" puts the working folder first on sys.path: run where the package
        # lies, so a user's select.py or json.py beside the recipe cannot
        # shadow the standard library in the worker.
        cwd=_PACKAGE_ROOT,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise EspeakError(message[-1] if message else "espeak-ng worker failed")
    with np.load(io.BytesIO(proc.stdout)) as arrays:
        return [arrays[str(i)] for i in range(len(requests))]


def _worker_main() -> None:
    """Worker entry point: JSON requests on stdin, an ``.npz`` on stdout."""
    requests = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    tts = EspeakSynthesizer()
    out = {}
    try:
        for i, req in enumerate(requests):
            wav, _ = tts.synthesize(
                req["text"], req["voice"], Prosody(**req["prosody"]), req["seed"]
            )
            out[str(i)] = wav
    except EspeakError as err:
        sys.stderr.write(f"{err}\n")
        sys.exit(1)
    buffer = io.BytesIO()
    np.savez(buffer, **out)
    sys.stdout.buffer.write(buffer.getvalue())


if __name__ == "__main__":
    _worker_main()
