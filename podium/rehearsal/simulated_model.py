"""A SIMULATED model for rehearsal: answers questions from the rows a job trained on.

Nothing here is a language model. A fine-tuned model is simulated as one that "knows" a
configurable share of the facts in its training file and nothing else; a base model as
one that knows a small share. Every answer it gives is SIMULATED and the emulator labels
it so (see bedrock_emulator.runtime.SIMULATED_FIELD).

Training rows are split into passages: each sentence of a completion, read together with
its row's prompt (a profile row "Tell me about X" names X once and states many facts about
X, one sentence or clause after another). A question is matched to the passage sharing
its most distinctive words, each weighted by how rare it is among the passages (names,
events, countries and numbers weigh most, template words least), so a trained fact asked
in other words (a held-out question template) is still recognised. A passage matches only
when
- it holds most of the question's names (by weight: the question names the same athlete,
  event, country…; a capitalised word the training data never uses is a name it lacks), and
- no word of the question stands in the place of one of the passage's words (silver for
  gold, Women for Men: a fact the model was not taught).
Whether a matched passage is known is decided by a seeded hash of its text, so the same
passage is known (or not) however it is asked. The answer is the passage's sentence. An
unknown or unmatched question is refused ("I don't know.") or, for a configurable share,
answered confidently with the closest other passage (a wrong answer).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

REFUSAL = "I don't know."

# Words that say nothing about which fact is asked ("who", "when", "where" do: they stay).
_STOPWORDS = frozenset(
    "a an and are as at by did do does for from had has have in is it of on or the to was were".split()
)
_WORD = re.compile(r"[a-z0-9]+")
# A sentence ends at . ! ? followed by a space and a capital letter or digit; a "; " before
# a capital also ends a passage (a group profile states one athlete per clause:
# "Judo: A (events: …; born …); B (events: …)").
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])\s+|;\s+)(?=[A-Z0-9\u00c0-\u024f])")
# A word is rare when at most this share of the passages use it (never fewer than
# _MIN_RARE passages): passages are looked up by such words.
_RARE_SHARE = 0.05
_MIN_RARE = 12
# A capitalised word is part of a name when at most this share of the passages use it:
# athletes, events, countries, venues; not Paris or Olympics.
_NAME_SHARE = 0.2
# The share of the question's names (by weight) a passage must hold to match.
_MIN_COVER = 0.6
# Passages are looked up by the question's rare words or, when it has none, by its this
# many most distinctive words.
_LOOKUP_WORDS = 4
# A place in a sentence filled by more words than this is a name slot, not a choice of words.
_MAX_ALTERNATIVES = 8
# What a question asks for, by its words: a passage can answer only if it speaks of the same
# thing (asked an athlete's birth date, a sentence about their medals is no answer).
_ASKS_FOR = (
    (frozenset({"born", "birth", "birthday", "old", "age"}), frozenset({"born", "birth"})),
    (frozenset({"tall", "height", "cm"}), frozenset({"tall", "height", "cm"})),
)


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation, minus the stop words."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [w for w in _WORD.findall(plain) if w not in _STOPWORDS]


def _terms(text: str) -> list[str]:
    """`words`, with a plural's final s dropped (medals asks what medal states)."""
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words(text)]


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _unit(*parts: str) -> float:
    """A deterministic number in [0, 1) from `parts` (stable across processes, unlike hash())."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Answer:
    text: str
    kind: str  # "known" | "refused" | "hallucinated"
    matched_prompt: str | None = None  # the training prompt of the passage the question was matched to


class SimulatedModel:
    """Answers questions from training rows (prompt, completion); see the module docstring.

    known_share:         share of the trained passages (facts) it knows (0–1)
    hallucination_share: share of the questions it cannot answer that it answers wrongly
                         instead of refusing (0–1)
    seed:                the same seed, rows and question give the same answer
    """

    def __init__(
        self,
        rows: Iterable[tuple[str, str]],
        *,
        known_share: float,
        hallucination_share: float = 0.0,
        seed: str = "0",
    ) -> None:
        for name, share in (("known_share", known_share), ("hallucination_share", hallucination_share)):
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {share}")
        self.known_share, self.hallucination_share, self.seed = known_share, hallucination_share, str(seed)
        passages: dict[tuple[str, str], frozenset[str]] = {}
        for prompt, completion in rows:
            if not (prompt.strip() and completion.strip()):
                continue
            prompt_words = frozenset(_terms(prompt))
            for sentence in sentences(completion):
                passages.setdefault((sentence, prompt), prompt_words | frozenset(_terms(sentence)))
        self.passages: list[str] = [sentence for sentence, _ in passages]  # answers, in training order
        self._prompts = [prompt for _, prompt in passages]
        self._words = list(passages.values())
        self._df: Counter[str] = Counter(w for ws in self._words for w in ws)
        count = len(self._words)
        self._rare_count = max(_MIN_RARE, int(count * _RARE_SHARE))
        self._name_count = max(_MIN_RARE, int(count * _NAME_SHARE))
        self._idf = {w: math.log((count + 1) / (df + 0.5)) for w, df in self._df.items()}
        self._unseen_idf = math.log(count + 2)  # a name the training data never uses
        self._alternatives = _alternatives(itertools.chain(self._prompts, self.passages))
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for index, ws in enumerate(self._words):
            for word in ws:
                self._by_word[word].append(index)

    def __len__(self) -> int:
        return len(self.passages)

    def knows(self, passage: str) -> bool:
        """Whether the fact stated by `passage` is one this model learned."""
        return _unit(self.seed, "known", passage) < self.known_share

    def _contradicts(self, question_only: Iterable[str], passage_only: Iterable[str]) -> bool:
        """A question word in the place of a passage word (silver for gold, Women for Men)."""
        return any(pair in self._alternatives for pair in itertools.product(question_only, passage_only))

    def _names(self, question: str) -> dict[str, float]:
        """The question's names with their weights (idf; a word the training data never uses
        weighs most, one most passages use, like Paris, not at all). A name is a run of
        capitalised words (or numbers: Men's 100m) past the first word; a run without a rare word the training data
        knows ("2024 Summer Olympics" in other words) counts only when the question names
        nothing the training data knows."""
        runs: list[list[str]] = [[]]
        for index, token in enumerate(question.split()):
            bare = token.lstrip("(\"'")
            if index and (bare[:1].isupper() or bare[:1].isdigit()):
                runs[-1].extend(_terms(bare))
                if bare[-1:] in ",.;:?!)":
                    runs.append([])
            elif runs[-1]:
                runs.append([])
        known_runs = [run for run in runs if any(0 < self._df.get(w, 0) <= self._name_count for w in run)]
        names: dict[str, float] = {}
        for word in itertools.chain.from_iterable(known_runs or runs):
            df = self._df.get(word, 0)
            if df <= self._name_count:
                names[word] = self._idf[word] if df else self._unseen_idf
        return names

    def ranked(self, question: str) -> list[tuple[float, bool, int]]:
        """Passages sharing a distinctive word with the question: (score, holds its names, index), best first."""
        asked = frozenset(_terms(question))
        known = sorted((w for w in asked if w in self._df), key=lambda w: (-self._idf[w], w))
        lookup = [w for w in known if self._df[w] <= self._rare_count] or known[:_LOOKUP_WORDS]
        candidates = {index for word in lookup for index in self._by_word[word]}
        names = self._names(question)
        names_weight = sum(names.values())
        scored = []
        for index in candidates:
            passage_words = self._words[index]
            score = sum(self._idf[w] for w in asked & passage_words)
            covered = sum(weight for w, weight in names.items() if w in passage_words)
            scored.append((score, covered >= _MIN_COVER * names_weight, index))
        scored.sort(key=lambda item: (-item[0], item[2]))
        return scored

    def _match(self, question: str, ranked: Sequence[tuple[float, bool, int]]) -> int | None:
        """The best passage that holds the question's names and contradicts none of its words."""
        asked = frozenset(_terms(question))
        wanted = [answers for cues, answers in _ASKS_FOR if asked & cues]
        for _, covers_names, index in ranked:
            passage_words = self._words[index]
            if not covers_names or any(not (passage_words & answers) for answers in wanted):
                continue
            if not self._contradicts(asked - passage_words, passage_words - asked):
                return index
        return None

    def match(self, question: str) -> str | None:
        """The passage (sentence of a trained completion) the question asks about, or None."""
        index = self._match(question, self.ranked(question))
        return None if index is None else self.passages[index]

    def answer(self, question: str) -> Answer:
        ranked = self.ranked(question)
        matched = self._match(question, ranked)
        if matched is not None and self.knows(self.passages[matched]):
            return Answer(self.passages[matched], "known", self._prompts[matched])
        if self.passages and _unit(self.seed, "hallucinate", question) < self.hallucination_share:
            # A confident wrong answer: the closest passage about something else.
            wrong = next((i for _, acceptable, i in ranked if not acceptable), None)
            if wrong is None:
                wrong = int(_unit(self.seed, "any", question) * len(self.passages))
            if wrong != matched:
                return Answer(self.passages[wrong], "hallucinated", self._prompts[wrong])
        return Answer(REFUSAL, "refused", self._prompts[matched] if matched is not None else None)


def _alternatives(prompts: Iterable[str]) -> frozenset[tuple[str, str]]:
    """Pairs of words that take the same place in two prompts otherwise word for word the
    same ("Who won the gold medal in X" / "Who won the bronze medal in X")."""
    by_context: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for prompt in prompts:
        sequence = _terms(prompt)
        for index, word in enumerate(sequence):
            by_context[(*sequence[:index], "\x00", *sequence[index + 1 :])].add(word)
    pairs: set[tuple[str, str]] = set()
    for alternatives in by_context.values():
        if 1 < len(alternatives) <= _MAX_ALTERNATIVES:
            pairs.update(itertools.permutations(alternatives, 2))
    return frozenset(pairs)


def rows_from_jsonl(text: str) -> list[tuple[str, str]]:
    """(prompt, completion) of every readable row: prompt/completion rows, or messages rows
    (bedrock-conversation-2024's content blocks, or Claude 3 Haiku's plain-string contents):
    the user turns and the assistant turns. Unreadable
    lines are skipped: the job's validation phase has already judged the file."""
    import json

    rows: list[tuple[str, str]] = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        if isinstance(row.get("prompt"), str) and isinstance(row.get("completion"), str):
            rows.append((row["prompt"], row["completion"]))
            continue
        messages = row.get("messages")
        if isinstance(messages, list):
            user = _texts(m for m in messages if isinstance(m, dict) and m.get("role") == "user")
            assistant = _texts(m for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
            if user and assistant:
                rows.append((user, assistant))
    return rows


def _texts(messages: Iterable[dict]) -> str:
    parts: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):  # Claude 3 Haiku's training rows
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                item["text"] for item in content if isinstance(item, dict) and isinstance(item.get("text"), str)
            )
    return "\n".join(parts)


def question_text(messages: Sequence[object]) -> str:
    """The text of the last user message of a Converse request."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _texts([message])
    return ""
