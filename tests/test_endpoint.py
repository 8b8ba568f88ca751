from __future__ import annotations

from assistant.speech.endpoint import COMMAND_ENDPOINT, DICTATION_ENDPOINT, FRAME_S, Endpointer, EndpointSettings

from .speech_helpers import frames, needs_tts, noisy, pink, silence, speech, trimmed


def decisions(pcm: bytes, settings: EndpointSettings = COMMAND_ENDPOINT) -> list[tuple[float, str]]:
    ep = Endpointer(settings)
    out = []
    for i, f in enumerate(frames(pcm)):
        d = ep.feed(f)
        if d:
            out.append((round(i * FRAME_S, 2), d if d != "end" else f"end:{ep.ended_by}"))
    return out


def test_silence_and_room_noise_never_start() -> None:
    assert decisions(noisy(silence(5.0))) == []
    assert "end:silence" not in [d for _, d in decisions(pink(5.0, level=400))]


def test_a_click_is_not_speech() -> None:
    pcm = bytearray(noisy(silence(3.0)))
    pcm[32000:32000 + 160] = b"\xff\x7f\x01\x80" * 40  # 5 ms of full-scale clatter
    assert all(d != "end:silence" for _, d in decisions(bytes(pcm)))


@needs_tts
def test_real_speech_with_gaps_starts_and_ends() -> None:
    one = trimmed(speech("start our gratitude moment", pad_s=0.0))
    pcm = noisy(silence(1.0) + one + silence(0.3) + one + silence(2.0) + one + silence(2.0))
    got = decisions(pcm)
    kinds = [d for _, d in got]
    # the short 0.3 s gap is not an end; the 2 s gaps are: two command utterances
    assert kinds == ["start", "end:silence", "start", "end:silence"], got
    assert 0.95 <= got[0][0] <= 1.3
    # dictation needs 1.5 s of silence: the same audio is still two utterances, ending later
    dict_got = decisions(pcm, DICTATION_ENDPOINT)
    assert [d for _, d in dict_got] == kinds
    assert dict_got[1][0] > got[1][0] + 0.5


@needs_tts
def test_max_bounds_a_long_window() -> None:
    s = EndpointSettings(max_utterance_s=2.0)
    pcm = noisy(speech("we went to the market and then walked all the way home along the river", pad_s=0.2))
    assert ("end:max" in [d for _, d in decisions(pcm, s)])
