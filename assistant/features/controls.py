"""The everyday controls of a speaking device: help, cancel, guest mode, volume, speed.

Volume and speaking rate change the live voice at once (when the speaker can)
and are kept in ``config.toml`` so they survive a restart; both stay within
ranges a person can still hear and follow. Guest mode is a flag in the store
that the features read (``ctx.privacy``) before reading anything private aloud.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from ..config import write_setting
from ..conversation import Utterance
from ..handlers import Context, Handler
from ..replies import Replies, reply

log = logging.getLogger(__name__)

VOLUME_STEP = 0.15
VOLUME_RANGE = (0.2, 1.0)  # never so quiet that a reply goes unheard
RATE_STEP = 20  # words per minute
RATE_RANGE = (110, 240)  # espeak-ng is hard to follow outside this

def help_(ctx: Context, heard: Utterance) -> None:
    ctx.say(reply(ctx, "controls.help"))


def help_texts(replies: Replies) -> dict[str, str]:
    """What ``tandem help`` prints after the commands: the spoken help, and plainly what Tandem is not."""
    return {"What you can say": replies.say("controls.help"), "What Tandem is not": replies.say("controls.care")}


def cancel(ctx: Context, heard: Utterance) -> None:
    ctx.say(reply(ctx, "controls.cancel"))


def privacy_on(ctx: Context, heard: Utterance) -> None:
    ctx.store.set_meta("privacy", True)
    ctx.say(reply(ctx, "controls.privacy_on"))


def privacy_off(ctx: Context, heard: Utterance) -> None:
    ctx.store.set_meta("privacy", False)
    ctx.say(reply(ctx, "controls.privacy_off"))


def volume_up(ctx: Context, heard: Utterance) -> None:
    _change_volume(ctx, +VOLUME_STEP, "controls.louder", "controls.loudest")


def volume_down(ctx: Context, heard: Utterance) -> None:
    _change_volume(ctx, -VOLUME_STEP, "controls.quieter", "controls.quietest")


def slower(ctx: Context, heard: Utterance) -> None:
    _change_rate(ctx, -RATE_STEP, "controls.slower", "controls.slowest")


def faster(ctx: Context, heard: Utterance) -> None:
    _change_rate(ctx, +RATE_STEP, "controls.faster", "controls.fastest")


def _change_volume(ctx: Context, step: float, done: str, limit: str) -> None:
    current = ctx.settings.voice.volume
    new = round(min(VOLUME_RANGE[1], max(VOLUME_RANGE[0], current + step)), 2)
    if new == current:
        ctx.say(reply(ctx, limit))
        return
    _apply(ctx, "volume", "set_volume", new)
    ctx.say(reply(ctx, done))  # said at the new volume, so they hear the difference


def _change_rate(ctx: Context, step: int, done: str, limit: str) -> None:
    current = ctx.settings.voice.rate
    new = int(min(RATE_RANGE[1], max(RATE_RANGE[0], current + step)))
    if new == current:
        ctx.say(reply(ctx, limit))
        return
    _apply(ctx, "rate", "set_rate", new)
    ctx.say(reply(ctx, done))


def _apply(ctx: Context, key: str, method: str, value: Any) -> None:
    """Change the live voice, the settings the context carries, and config.toml."""
    setter = live_control(ctx.speaker, method)
    if setter is not None:
        setter(value)
    ctx.settings = dataclasses.replace(ctx.settings, voice=dataclasses.replace(ctx.settings.voice, **{key: value}))
    try:
        write_setting(ctx.settings.home, "voice", key, value)
    except (OSError, ValueError) as exc:
        # The change holds until the next restart; the reason goes to the log, not to the couple.
        log.warning("could not keep voice.%s in the config file: %s", key, exc)


def live_control(speaker: Any, method: str) -> Any:
    """The speaker's ``method`` (set_volume / set_rate), looking through wrapping speakers (``.inner``)."""
    seen = 0
    while speaker is not None and seen < 8:  # bounded: wrappers are few
        fn = getattr(type(speaker), method, None)
        if callable(fn):
            return getattr(speaker, method)
        speaker = getattr(speaker, "inner", None)
        seen += 1
    return None


HANDLERS: dict[str, Handler] = {
    "help": help_,
    "cancel": cancel,
    "privacy.on": privacy_on,
    "privacy.off": privacy_off,
    "volume.up": volume_up,
    "volume.down": volume_down,
    "voice.slower": slower,
    "voice.faster": faster,
}
