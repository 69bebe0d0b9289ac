"""Optional text-to-speech for ward slots: run the configured command once per slot, then write an .m3u playlist.

The subprocess edge of broadcasting; a missing or failing engine is reported, never raised.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from worker.publish_queue import SlotScript

if TYPE_CHECKING:
    from worker.config import TtsConfig


@dataclass(frozen=True)
class AudioFile:
    stem: str  # YYYY-MM-DD_HHMM, as the slot's .txt
    path: Path
    seconds: float  # measured from the WAV the engine wrote
    estimate: int  # the script's syllable estimate


@dataclass(frozen=True)
class TtsResult:
    files: tuple[AudioFile, ...] = ()
    playlist: Path | None = None
    errors: tuple[str, ...] = ()


def words_per_minute(rate: float, calibration: float = 1.0) -> int:
    """Vietnamese writes one syllable per word: words/min = syllables/s × 60, times the engine's calibration."""
    return round(rate * 60 * calibration)


def build_command(template: str, *, wpm: int, out: Path, text_file: Path) -> list[str]:
    """Split first, then fill each argument, so paths with spaces stay one argument."""
    values = {"{wpm}": str(wpm), "{out}": str(out), "{in}": str(text_file)}
    args = []
    for token in shlex.split(template):
        for placeholder, value in values.items():
            token = token.replace(placeholder, value)
        args.append(token)
    return args


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / float(audio.getframerate())


def _encoder(which: Callable[[str], str | None]) -> list[str] | None:
    if which("ffmpeg"):
        return ["ffmpeg", "-y", "-loglevel", "error", "-i", "{wav}", "-codec:a", "libmp3lame", "-q:a", "4", "{mp3}"]
    if which("lame"):
        return ["lame", "--quiet", "{wav}", "{mp3}"]
    return None


def render_audio(
    scripts: Sequence[SlotScript],
    folder: Path,
    tts: TtsConfig,
    rate: float,
    *,
    titles: dict[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> TtsResult:
    """One audio file per slot in `folder` (MP3 when ffmpeg or lame exists, else WAV) and `playlist.m3u`."""
    folder.mkdir(parents=True, exist_ok=True)
    encoder = _encoder(which)
    files: list[AudioFile] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="loa-tts-") as scratch:
        for script in scripts:
            text_file = Path(scratch) / f"{script.stem}.txt"
            text_file.write_text(script.spoken, encoding="utf-8")
            wav = folder / f"{script.stem}.wav"
            args = build_command(tts.command, wpm=words_per_minute(rate, tts.calibration), out=wav, text_file=text_file)
            try:
                subprocess.run(args, check=True, capture_output=True, timeout=tts.timeout_seconds)
                seconds = wav_seconds(wav)
            except FileNotFoundError:
                errors.append(f"{script.stem}: {args[0]} is not installed")
                break  # the engine is missing: the other slots would fail the same way
            except subprocess.CalledProcessError as exc:
                detail = exc.stderr.decode("utf-8", "replace").strip()[:200] if exc.stderr else ""
                errors.append(f"{script.stem}: {args[0]} exited with {exc.returncode} {detail}".strip())
                continue
            except subprocess.TimeoutExpired:
                errors.append(f"{script.stem}: {args[0]} took longer than {tts.timeout_seconds:.0f}s")
                continue
            except (OSError, wave.Error, EOFError) as exc:
                errors.append(f"{script.stem}: no readable WAV at {wav} ({exc})")
                continue
            path = wav
            if encoder:
                mp3 = wav.with_suffix(".mp3")
                encode = [a.replace("{wav}", str(wav)).replace("{mp3}", str(mp3)) for a in encoder]
                try:
                    subprocess.run(encode, check=True, capture_output=True, timeout=tts.timeout_seconds)
                    wav.unlink()
                    path = mp3
                except (OSError, subprocess.SubprocessError) as exc:
                    errors.append(f"{script.stem}: MP3 encoding failed, kept the WAV ({exc})")
                    with contextlib.suppress(OSError):
                        mp3.unlink()
            files.append(AudioFile(stem=script.stem, path=path, seconds=seconds, estimate=script.seconds))
    playlist = None
    if files:
        playlist = folder / "playlist.m3u"
        lines = ["#EXTM3U"]
        for audio in files:
            title = (titles or {}).get(audio.stem, audio.stem)
            lines += [f"#EXTINF:{round(audio.seconds)},{title}", audio.path.name]
        playlist.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return TtsResult(files=tuple(files), playlist=playlist, errors=tuple(errors))
