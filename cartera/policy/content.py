"""What a rendered message must and must not say, checked on the final text (pure, no I/O).

The packs hold the rules (``kind: content_required`` / ``content_prohibited``, each with its
source): MX requires the creditor's legal name and RFC, the amount owed with its calculation
date and the contact of the creditor's complaints unit (UNE), and prohibits threats, mentions of
the debtor's employer, family or other third parties and false legal claims, as reviewed phrase
lists per language; US requires opt-out instructions in every electronic message.

Matching is on a folded copy of the text (accents removed, case folded, blanks collapsed), so
"PRISIÓN", "prision" and "Prisión" are one phrase. A required element is checked against the
caller's exact value when the caller passes it as a fact (e.g. ``creditor_rfc``), else against
the rule's patterns for the language. A rule that has nothing for the message's language cannot
be checked and counts as a violation: an unchecked message is never let through.

The caller renders the message, calls :func:`check_content` (or
``PolicyEngine.check_content``), and passes the report to ``PolicyEngine.decide(content=...)``:
violations become denials with their rule ids, and the text's SHA-256 is stored with the
decision (``ops.contact_decisions.content_sha256``), so the audit shows which version of the text
was judged. The report never holds the text itself.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from cartera.policy import inputs
from cartera.policy.models import CHANNELS
from cartera.policy.rules import ContentRule, RuleMeta, RulePack

DEBTOR_TYPES = ("consumer", "business")


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _bare(run: re.Match[str]) -> str:
    return _bare_form(run.group(0))


@functools.lru_cache(maxsize=4096)
def _bare_form(chars: str) -> str:
    """A run of non-ASCII characters without its combining marks (a message's runs repeat)."""
    decomposed = unicodedata.normalize("NFKD", chars)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _strip_accents(text: str) -> str:
    """NFKD without the combining marks. Only runs of non-ASCII characters are decomposed (NFKD
    works character by character and ASCII is its own decomposition): a message is checked at
    build and again at send, and most of its characters are ASCII, so this is ~4x faster than
    walking every character. A run's bare form is kept (the same few runs recur in every
    message)."""
    return text if text.isascii() else _NON_ASCII.sub(_bare, text)


def fold(text: str) -> str:
    """Accents removed, case folded, runs of blanks made one space: the form phrases match on."""
    return " ".join(_strip_accents(text).casefold().split())


def _cased_beyond_ascii(folded: str) -> bool:
    """Whether a folded text holds a non-ASCII character with a case mapping (``ı``, ``ø``…).
    Its ASCII characters are lowercase already (folding casefolds)."""
    if folded.isascii():
        return False
    return any(_has_case(char) for run in _NON_ASCII.findall(folded) for char in run)


@functools.lru_cache(maxsize=4096)
def _has_case(char: str) -> bool:
    return not (char.lower() == char == char.upper())


def _lowercase_ascii_source(source: str) -> bool:
    """An ASCII pattern with no capital letter, and no character given by its code (``\\x41``
    could be one); escapes such as ``\\S`` or ``\\B`` are classes and anchors, not letters."""
    if not source.isascii():
        return False
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            escaped = source[index + 1 : index + 2]
            if escaped in ("x", "u", "U", "N") or escaped.isdigit():
                return False
            index += 2
            continue
        if "A" <= char <= "Z":
            return False
        index += 1
    return True


@functools.lru_cache(maxsize=256)
def _case_sensitive_twin(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """`pattern` compiled without IGNORECASE, when that matches exactly as it does on any
    folded text without cased characters beyond ASCII; None when it might not.

    Why it is exact: a folded text's ASCII letters are lowercase, and a character with no case
    mapping is case-equivalent to no other character, so on such a text IGNORECASE can only
    matter for a capital letter in the pattern (none here). It matters for a cased non-ASCII
    character: ``ı`` matches ``i`` ignoring case, so such texts keep the IGNORECASE pattern.
    The case-sensitive pattern is about twice as fast (Python's ``re`` compares case-insensitive
    literals one character at a time)."""
    if not pattern.flags & re.IGNORECASE:
        return pattern
    if not _lowercase_ascii_source(pattern.pattern):
        return None
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def _found(pattern: re.Pattern[str], folded: str, caseless: bool) -> bool:
    """Whether `pattern` matches `folded`; `caseless`: the text has no cased character beyond
    ASCII, so the pattern's case-sensitive twin, where it has one, answers the same, faster."""
    if caseless:
        pattern = _case_sensitive_twin(pattern) or pattern
    return pattern.search(folded) is not None


def compile_patterns(patterns: Mapping[str, tuple[str, ...]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Per language, one case-insensitive alternation of the regular expressions (accents removed,
    as the text is matched folded)."""
    return tuple(
        (language, re.compile("|".join(f"(?:{_strip_accents(p)})" for p in items), re.IGNORECASE))
        for language, items in sorted(patterns.items())
    )


def folded_phrases(phrases: Mapping[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Per language, the folded phrases, longest first: what :func:`compile_phrases` matches."""
    return tuple(
        (language, tuple(sorted({fold(phrase) for phrase in items}, key=len, reverse=True)))
        for language, items in sorted(phrases.items())
    )


def compile_phrases(phrases: Mapping[str, tuple[str, ...]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Per language, one whole-word alternation of the folded phrases (longest first)."""
    compiled = []
    for language, folded in folded_phrases(phrases):
        alternation = "|".join(re.escape(phrase).replace(r"\ ", " ") for phrase in folded)
        compiled.append((language, re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")))
    return tuple(compiled)


def content_sha256(text: str) -> str:
    """The version of a rendered text: SHA-256 (hex) of its exact UTF-8 bytes."""
    return hashlib.sha256(inputs.text("check_content", "text", text, empty=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ContentViolation:
    """One content rule the text breaks. `item` is the element's name (a missing one) or the
    listed phrase found (a prohibited one): words from the pack, not the text around them."""

    code: str  # "content_missing" | "content_prohibited" | "content_unchecked_language"
    rule_id: str
    verification: str
    item: str


@dataclass(frozen=True, slots=True)
class ContentReport:
    """The check of one rendered text against one pack, for one channel and language."""

    content_sha256: str
    language: str
    channel: str
    debtor_type: str
    rule_pack_id: str
    rule_pack_version: str
    violations: tuple[ContentViolation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def _item(meta: RuleMeta) -> str:
    return meta.id.rsplit("/", 1)[-1]


def _check_facts(facts: Mapping[str, str] | None) -> Mapping[str, str]:
    if facts is None:
        return {}
    if not isinstance(facts, Mapping):
        raise inputs.PolicyInputError("check_content", "facts", "a mapping of fact name to text", facts)
    for name, value in facts.items():
        inputs.text("check_content", "facts", name)
        inputs.text("check_content", f"facts[{name!r}]", value)
    return facts


def _violation(
    rule: ContentRule, folded: str, language: str, facts: Mapping[str, str], *, caseless: bool = False
) -> ContentViolation | None:
    meta = rule.meta
    if rule.requirement == "required":
        fact = facts.get(rule.fact) if rule.fact else None
        if fact is not None:
            found = fold(fact) in folded
        else:
            pattern = rule.pattern_for(language)
            if pattern is None:
                return ContentViolation("content_unchecked_language", meta.id, meta.verification, language)
            found = _found(pattern, folded, caseless)
        return None if found else ContentViolation("content_missing", meta.id, meta.verification, _item(meta))
    pattern = rule.pattern_for(language)
    if pattern is None:
        return ContentViolation("content_unchecked_language", meta.id, meta.verification, language)
    listed = rule.phrases_for(language)
    # A whole-word match of a listed phrase is a substring first: substring tests (C, no
    # backtracking) clear most texts at about a third of the pattern's cost.
    if listed is not None and not any(phrase in folded for phrase in listed):
        return None
    match = pattern.search(folded)
    return None if match is None else ContentViolation("content_prohibited", meta.id, meta.verification, match.group(0))


def check_content(
    text: str,
    language: str,
    pack: RulePack,
    *,
    channel: str = "email",
    debtor_type: str = "consumer",
    facts: Mapping[str, str] | None = None,
) -> ContentReport:
    """Every content rule of `pack` for (`debtor_type`, `channel`) that the rendered `text` breaks.

    `language` is a code such as "es" or "es-MX" (the primary subtag is used). `facts` are the
    exact values the text must show where a rule names a fact (``creditor_legal_name``,
    ``creditor_rfc``, ``amount_owed``, ``calculation_date``, ``une_contact``); without them the
    rules' patterns are used. Raises PolicyInputError on malformed arguments. Pure."""
    name = "check_content"
    digest = content_sha256(text)
    lang = inputs.code(name, "language", language).replace("_", "-").split("-")[0]
    chan = inputs.code(name, "channel", channel, CHANNELS)
    kind = inputs.code(name, "debtor_type", debtor_type, DEBTOR_TYPES)
    given = _check_facts(facts)
    folded = fold(text)
    caseless = not _cased_beyond_ascii(folded)
    found = tuple(
        violation
        for rule in pack.rules_for(kind, chan).content
        if (violation := _violation(rule, folded, lang, given, caseless=caseless)) is not None
    )
    return ContentReport(digest, lang, chan, kind, pack.id, pack.version, found)
