"""TTS with Debian's espeak-ng: one WAV per slot, a playlist, the measured duration near the estimate; failures reported."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.test_publish_queue import CONFIG, WARD, queue
from worker.config import TtsConfig
from worker.publish_queue import slot_scripts
from worker.tts import build_command, render_audio, wav_seconds, words_per_minute

ESPEAK = TtsConfig(command="espeak-ng -v vi -s {wpm} -w {out} -f {in}")


def test_espeak_is_installed() -> None:
    # .ci/run installs espeak-ng; without it the tests below would only prove the failure path.
    assert shutil.which("espeak-ng") is not None


def test_command_is_split_before_filling() -> None:
    args = build_command(ESPEAK.command, wpm=173, out=Path("/tmp/a b/x.wav"), text_file=Path("/tmp/in.txt"))
    assert args == ["espeak-ng", "-v", "vi", "-s", "173", "-w", "/tmp/a b/x.wav", "-f", "/tmp/in.txt"]
    assert words_per_minute(4.0) == 240 and words_per_minute(4.0, 0.72) == 173


def test_espeak_renders_each_slot_and_a_playlist(tmp_path: Path) -> None:
    scripts = slot_scripts(WARD, queue(), CONFIG)
    result = render_audio(scripts, tmp_path, ESPEAK, CONFIG.rate, which=lambda name: None)  # no MP3 encoder: WAV
    assert result.errors == ()
    (audio,) = result.files
    assert audio.path == tmp_path / "2023-07-10_0600.wav"
    assert audio.seconds == wav_seconds(audio.path)
    # The calibrated rate keeps the real reading within a quarter of the syllable estimate.
    assert 0.75 <= audio.seconds / audio.estimate <= 1.25, (audio.seconds, audio.estimate)
    assert result.playlist is not None
    lines = result.playlist.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U" and lines[2] == "2023-07-10_0600.wav"
    assert lines[1].startswith("#EXTINF:") and lines[1].endswith(",2023-07-10_0600")


def test_a_missing_engine_is_reported_not_raised(tmp_path: Path) -> None:
    scripts = slot_scripts(WARD, queue(), CONFIG)
    result = render_audio(scripts, tmp_path, TtsConfig(command="no-such-tts-engine {in} {out}"), 4.0)
    assert result.files == () and result.playlist is None
    assert result.errors == ("2023-07-10_0600: no-such-tts-engine is not installed",)


def test_a_failing_engine_is_reported(tmp_path: Path) -> None:
    scripts = slot_scripts(WARD, queue(), CONFIG)
    result = render_audio(scripts, tmp_path, TtsConfig(command="false {in} {out}"), 4.0)
    assert result.files == ()
    assert len(result.errors) == 1 and result.errors[0].startswith("2023-07-10_0600: false exited with 1")
