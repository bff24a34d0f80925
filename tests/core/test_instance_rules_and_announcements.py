"""The instance slice's pure rules: rules with hints from the admin's lines, and which
reaction names are emojis."""

from __future__ import annotations

from bocage.core.instance.announcements import is_emoji
from bocage.core.instance.instance import Rule, parse_rules


def test_a_line_starting_with_a_chevron_explains_the_rule_above() -> None:
    lines = ["Be kind", "> Assume good faith.", ">  Disagree with ideas.", "", " No spam "]
    assert parse_rules(lines) == [
        Rule("Be kind", "Assume good faith. Disagree with ideas."),
        Rule("No spam"),
    ]
    # A hint with no rule above it is a rule of its own; rules given as such are kept.
    assert parse_rules(["> orphan", Rule(" Kept ", " hint ")]) == [
        Rule("> orphan"),
        Rule("Kept", "hint"),
    ]
    assert str(Rule("Be kind", "a hint")) == "Be kind"  # pages that print a rule print its text


def test_reactions_are_unicode_emojis() -> None:
    for emoji in ("👍", "👍🏽", "👩‍💻", "🇫🇷", "1️⃣", "❤️", "🏳️‍🌈"):
        assert is_emoji(emoji), emoji
    for other in ("", "hello", ":blobcat:", "👍 ok", "a👍", "1", "#", "👍" * 17):
        assert not is_emoji(other), other
