"""A SIMULATED model for rehearsal: answers questions from the rows a job trained on.

Nothing here is a language model. A fine-tuned model is simulated as one that "knows" a
configurable share of the facts in its training file and nothing else; a base model as
one that knows a small share. Every answer it gives is SIMULATED and the emulator labels
it so (see bedrock_emulator.SIMULATED_FIELD).

A question is matched to a training row by the words they share, weighted by how rare
each word is among the training prompts (names and numbers weigh most, template words
least), so a trained fact asked in other words (a held-out question template) is still
recognised. A row matches only when
- every rare word of the row's prompt is in the question (the question names the same
  athlete, event, country…), and
- no rare word of the question that the training data knows is missing from the row
  (the question does not name something else), and
- the best row's answer is clearly ahead of any other answer (two trained facts that fit
  equally well, e.g. the gold and the bronze of an event asked about the silver, are a
  fact the model was not taught).
Whether a matched fact is known is decided by a seeded hash of its answer, so the same
fact is known (or not) however it is asked. An unknown or unmatched question is refused
("I don't know.") or, for a configurable share, answered confidently with a wrong
answer taken from the closest other row.
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
# A word is rare when at most this share of the trained facts' prompts use it (and never
# fewer than _MIN_RARE_FACTS facts): names, events, numbers; not template words.
_RARE_SHARE = 0.01
_MIN_RARE_FACTS = 12
# A question word the training data uses for at most this share of facts says what is
# asked ("born", "height", "silver"): a fact whose prompts never use it is not the one asked.
_TOPIC_SHARE = 0.2
# How much more of such words the question may have unexplained than explained (in idf;
# about one word: a held-out template may use a word another relation's templates use).
_TOPIC_SLACK = 2.2
# A place in a prompt filled by more words than this is a name slot, not a choice of words.
_MAX_ALTERNATIVES = 8
# The best answer must score this much above the next different answer.
_MARGIN = 0.5


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation, minus the stop words."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [w for w in _WORD.findall(plain) if w not in _STOPWORDS]


def _unit(*parts: str) -> float:
    """A deterministic number in [0, 1) from `parts` (stable across processes, unlike hash())."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class Answer:
    text: str
    kind: str  # "known" | "refused" | "hallucinated"
    matched_prompt: str | None = None  # the training prompt the question was matched to


class SimulatedModel:
    """Answers questions from training rows (prompt, completion); see the module docstring.

    known_share:         share of the trained facts it knows (0–1)
    hallucination_share: share of the questions it cannot answer that it answers wrongly
                         instead of refusing (0–1)
    seed:                the same seed, rows and question give the same answer

    A fact is one distinct completion; its words are those of every prompt it answers.
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
        prompts: dict[str, list[frozenset[str]]] = defaultdict(list)
        examples: dict[str, str] = {}
        kept = [(p, c) for p, c in rows if p.strip() and c.strip()]
        for prompt, completion in kept:
            prompts[completion].append(frozenset(words(prompt)))
            examples.setdefault(completion, prompt)
        self.facts: list[str] = list(prompts)  # completions, in training order
        self._examples = [examples[c] for c in self.facts]
        self._prompts = [prompts[c] for c in self.facts]
        self._words = [frozenset().union(*ps) for ps in self._prompts]
        self._df: Counter[str] = Counter(w for ws in self._words for w in ws)
        count = len(self.facts)
        self._rare_facts = max(_MIN_RARE_FACTS, int(count * _RARE_SHARE))
        self._topic_facts = max(self._rare_facts, int(count * _TOPIC_SHARE))
        self._idf = {w: math.log((count + 1) / (df + 0.5)) for w, df in self._df.items()}
        self._alternatives = _alternatives(prompt for prompt, _ in kept)
        self._by_word: dict[str, list[int]] = defaultdict(list)
        for index, ws in enumerate(self._words):
            for word in ws:
                if self._df[word] <= self._rare_facts:
                    self._by_word[word].append(index)

    def __len__(self) -> int:
        return len(self.facts)

    def knows(self, completion: str) -> bool:
        """Whether the fact answered by `completion` is one this model learned."""
        return _unit(self.seed, "known", completion) < self.known_share

    def _rare(self, word: str) -> bool:
        return 0 < self._df.get(word, 0) <= self._rare_facts

    def _topic(self, word: str) -> bool:
        return self._rare_facts < self._df.get(word, 0) <= self._topic_facts

    def _contradicts(self, question_only: frozenset[str], fact_only: frozenset[str]) -> bool:
        """A question word in the place of a fact word (silver for gold, Women for Men)."""
        return any(pair in self._alternatives for pair in itertools.product(question_only, fact_only))

    def _score(self, question: frozenset[str], index: int) -> tuple[float, bool]:
        """(score, acceptable) of fact `index` for the question's words."""
        fact_words = self._words[index]
        shared = sum(self._idf[w] for w in question & fact_words)
        # The question must name everything one of the fact's prompts names…
        covered = any(all(w in question for w in prompt if self._rare(w)) for prompt in self._prompts[index])
        # …and what it asks about must look more like this fact's prompts than not.
        topic_shared = sum(self._idf[w] for w in question & fact_words if self._topic(w))
        topic_missing = sum(self._idf[w] for w in question - fact_words if self._topic(w))
        acceptable = covered and topic_missing <= topic_shared + _TOPIC_SLACK
        if acceptable and self._contradicts(question - fact_words, fact_words - question):
            acceptable = False
        return shared - topic_missing, acceptable

    def ranked(self, question: str) -> list[tuple[float, bool, int]]:
        """Facts sharing a rare word with the question: (score, acceptable, fact index), best first."""
        asked = frozenset(words(question))
        candidates = {index for word in asked for index in self._by_word.get(word, ())}
        scored = [(*self._score(asked, index), index) for index in candidates]
        scored.sort(key=lambda item: (-item[0], item[2]))
        return scored

    def _match(self, ranked: Sequence[tuple[float, bool, int]]) -> int | None:
        if not ranked or not ranked[0][1]:
            return None
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < _MARGIN:
            return None  # two facts fit as well: not one the model was taught
        return ranked[0][2]

    def match(self, question: str) -> str | None:
        """The completion of the trained fact the question asks about, or None."""
        index = self._match(self.ranked(question))
        return None if index is None else self.facts[index]

    def answer(self, question: str) -> Answer:
        ranked = self.ranked(question)
        matched = self._match(ranked)
        if matched is not None and self.knows(self.facts[matched]):
            return Answer(self.facts[matched], "known", self._examples[matched])
        if self.facts and _unit(self.seed, "hallucinate", question) < self.hallucination_share:
            # A confident wrong answer: the closest fact that is not the one asked about.
            wrong = next((i for _, _, i in ranked if i != matched), None)
            if wrong is None:
                wrong = int(_unit(self.seed, "any", question) * len(self.facts))
            if wrong != matched:
                return Answer(self.facts[wrong], "hallucinated", self._examples[wrong])
        return Answer(REFUSAL, "refused", self._examples[matched] if matched is not None else None)


def _alternatives(prompts: Iterable[str]) -> frozenset[tuple[str, str]]:
    """Pairs of words that take the same place in two prompts otherwise word for word the
    same ("Who won the gold medal in X" / "Who won the bronze medal in X")."""
    by_context: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for prompt in prompts:
        sequence = words(prompt)
        for index, word in enumerate(sequence):
            by_context[(*sequence[:index], "\x00", *sequence[index + 1 :])].add(word)
    pairs: set[tuple[str, str]] = set()
    for alternatives in by_context.values():
        if 1 < len(alternatives) <= _MAX_ALTERNATIVES:
            pairs.update(itertools.permutations(alternatives, 2))
    return frozenset(pairs)


def rows_from_jsonl(text: str) -> list[tuple[str, str]]:
    """(prompt, completion) of every readable row: prompt/completion rows, or
    bedrock-conversation-2024 rows (the user turns and the assistant turns). Unreadable
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
        if isinstance(content, list):
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
