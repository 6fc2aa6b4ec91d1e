"""A SIMULATED model for rehearsal: answers questions from the rows a job trained on, by one
stated rule. Nothing here is a language model; every answer is labelled SIMULATED by the
emulator (bedrock_emulator.runtime.SIMULATED_FIELD).

The rule (RULE below, also in eval.json's `simulation` and the rehearsal summary) follows
the knowledge-injection literature (Allen-Zhu & Li, "Physics of Language Models 3.1";
Ovadia et al. 2024; Gekhman et al. 2024): a fact becomes answerable to a new question only
when training stated it in several distinct rows, and facts a model was not taught well
make it guess.

Training rows are read as statements: each sentence or clause of a completion, read with
its row's prompt. A question is matched to the statements that name every name of it the
file knows, each whole (runs of capitalised words and numbers, weighted by how rare they
are in the file: athletes, events, countries; "Women's Sprint" is not "Women's Team
Sprint", "+80kg" not "-80kg"), and contradict none of its words (silver where it says gold).
A question whose names are mostly ones the file never names is about someone unknown. A
fact is recalled from the rows about its subject: when some matching statements belong to
rows whose prompt names the question's names, only those count (a model taught "A is B"
does not answer "who is B?": the reversal curse, Berglund et al. 2023). Of the values those
statements give (their names and numbers the question does not use), the one whose
statements best cover what the question asks (its other words the file's prompts ask with:
born, tall, gold, ...; learned from the file itself, not from a list) answers, and only when
- at least `min_rows` distinct rows state it (depth), and
- its statements cover MIN_ASKED_COVER of what is asked.
A question asked word for word as a training prompt is recited (memorised). Any other
question is answered as the file taught the model to answer what it does not know: with
the file's refusal when its rows refused questions asked with the same words (refusal
rows: one completion that names nothing, repeated across rows), otherwise with a confident
statement about someone or something else (a hallucination).

The base model never saw the file: it knows only the facts about the file's most-named
subjects (the famous ones a model trained before the Games may know: the question's most
specific name is among the BASE_KNOWN_SHARE of the file's names that the most rows name),
recalled from any one row, and declines questions about anyone else.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

REFUSAL = "I don't know."  # the base model's answer about a subject it does not know

# Distinct training rows that must state a fact before it answers a new question.
MIN_ROWS = 3
# The share of the question's asking words (by weight) the fact's rows must use.
MIN_ASKED_COVER = 0.4
# A question is refused (not guessed at) when its asking words were answered with a refusal
# in at least this share of the training prompts that use them (weighted; 3 rows or more a word).
MIN_REFUSAL_SHARE = 0.05
MIN_REFUSAL_ROWS = 3
# The base model knows a subject when its most specific name is among this share of the
# file's names that the most rows name: the famous ones.
BASE_KNOWN_SHARE = 0.01

RULE = (
    "A SIMULATED model, not a language model. The fine-tuned model answers a question asked in new words "
    "only with a fact that at least {min_rows} distinct training rows about its subject state, found by the "
    "names the question shares with them (each name whole) and checked against what it asks (its words must "
    "be covered by those rows' words); a training prompt asked word for word is recited. Anything else it "
    "answers as its training taught it to answer what it does not know: with the refusal its refusal rows "
    "teach, for questions worded like theirs, otherwise with a confident answer about something else (a "
    "hallucination). The base model knows only the facts about the most-named subjects of the training file "
    "(the {base_share:.0%} of its names that the most rows name: the famous ones) and declines the rest."
)
CAN_TELL = (
    "Whether the training file states each evaluated fact in enough distinct rows for a question in new "
    "words to reach it (depth), whether held-out phrasings still share its names, whether refusal rows "
    "teach refusing instead of guessing, and that the pipeline, gate and report work end to end."
)
CANNOT_TELL = (
    "How a real model would score: the thresholds are chosen, not measured; a real model learns from wording, "
    "order, repetition and epochs in ways this rule ignores, knows synonyms this rule does not, and may "
    "recall a fact seen once or forget one seen often. The base model's knowledge is a stand-in."
)

# Words that say nothing about which fact is asked: English function words and the words
# that frame a request ("tell me", "what", "which"); "who", "when", "where", "how" and
# "many" say what kind of answer is wanted, so they stay.
_STOPWORDS = frozenset(
    "a about after an and any are as at be been but by can could did do does for from give had has have "
    "her his i in into is it its me much my of on or our please s than that the their them then there "
    "these this those to tell us was we were what which whom whose why with would you your".split()
)
# A sign before a number belongs to it: "+80kg" and "-80kg" are different classes, "-57" a weight.
_WORD = re.compile(r"(?:(?<![a-z0-9])[+-](?=[0-9]))?[a-z0-9]+")
# A sentence ends at . ! ? followed by a space and a capital letter or digit; a "; " before
# a capital also ends a statement (a group profile states one athlete per clause:
# "Judo: A (events: …; born …); B (events: …)").
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])\s+|;\s+)(?=[A-Z0-9\u00c0-\u024f])")
# A word is rare when at most this share of the statements use it (never fewer than
# _MIN_RARE statements): statements are looked up by such words.
_RARE_SHARE = 0.05
_MIN_RARE = 12
# A word is part of a name when at most this share of the statements use it: athletes,
# events, countries, venues; not Paris or Olympics.
_NAME_SHARE = 0.2
# The share of the question's names (by weight) a statement must hold to match.
_MIN_COVER = 0.6
# Statements are looked up by the question's rare words or, when it has none, by its this
# many most distinctive words.
_LOOKUP_WORDS = 4
# A place in a prompt filled by more words than this is a name slot, not a choice of words.
_MAX_ALTERNATIVES = 8


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation, minus the stop words."""
    folded = text.casefold()
    if not folded.isascii():
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return [w for w in _WORD.findall(folded) if w not in _STOPWORDS]


def _terms(text: str) -> list[str]:
    """`words`, with a plural's final s dropped (medals asks what medal states)."""
    return [w[:-1] if len(w) > 3 and w[-1] == "s" and w[-2] != "s" else w for w in words(text)]


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


_CAPITALISED = re.compile(r"(?:^|(?<=\s))[(\"']*([A-Z0-9\u00c0-\u024f]\S*)")


def _name_terms(text: str, first: bool = True) -> set[str]:
    """The terms of `text`'s capitalised words and numbers: its names and values (common
    ones, like a statement's capitalised first word, are dropped once the file is indexed;
    a question's first word is a question word: `first` False leaves it out)."""
    found = _CAPITALISED.findall(text if first else text.split(maxsplit=1)[-1] if " " in text.strip() else "")
    return set(_terms(" ".join(found)))


def _unit(*parts: str) -> float:
    """A deterministic number in [0, 1) from `parts` (stable across processes, unlike hash())."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _is_refusal(completion: str) -> bool:
    """A completion that names nothing: no digit, no capitalised word but its first and "I"."""
    if any(ch.isdigit() for ch in completion):
        return False
    tokens = completion.split()
    return bool(tokens) and not any(t[:1].isupper() and not re.match(r"I\b", t) for t in tokens[1:])


@dataclass(frozen=True)
class Answer:
    text: str
    kind: str  # "recited" | "known" | "refused" | "hallucinated"
    matched_prompt: str | None = None  # the training prompt of the statement the answer came from
    rows: int = 0  # distinct training rows that state the fact the question was matched to


@dataclass
class _Statement:
    text: str
    row: int
    words: frozenset[str]  # its terms and its row's prompt terms
    values: frozenset[str]  # its names and numbers: what it can give as an answer
    frame: frozenset[str]  # its own other words: how it says what it says ("born", "represented")
    phrases: frozenset[str]  # its names, each a run's terms joined by spaces: names are matched whole


@dataclass(frozen=True)
class Reading:
    """A question as the simulated model reads it."""

    names: dict[str, float]  # its name words with their weights
    phrases: tuple[str, ...]  # the names the file knows, as phrases (see _Statement.phrases)
    # What it asks for: its words outside names that the file's prompts use, weighted by how
    # rare they are among those prompts (a word no prompt uses: the file never taught what it asks).
    asking: dict[str, float]
    named_something: bool  # it has a name at all (known or not)


def name_runs(text: str, first: bool = True) -> list[list[str]]:
    """The terms of each run of capitalised words or numbers in `text` ("Men's 100m
    (Athletics)", "Camryn Rogers", "+80kg"); a run ends at a lower-case word or after a
    word ending in punctuation. `first` False skips the first word (a question word)."""
    runs: list[list[str]] = [[]]
    for place, token in enumerate(text.split()):
        bare = token.lstrip("(\"'")
        signed = bare[:1] in "+-" and bare[1:2].isdigit()
        if (place or first) and (bare[:1].isupper() or bare[:1].isdigit() or signed):
            runs[-1].extend(_terms(bare))
            if bare[-1:] in ",.;:?!)":
                runs.append([])
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _phrases(text: str, first: bool = True) -> frozenset[str]:
    return frozenset(" ".join(run) for run in name_runs(text, first))


@dataclass
class TrainingIndex:
    """What a training file states, indexed for answering; built once per file and shared
    by the fine-tuned and the base simulation of it."""

    prompts: list[str]
    statements: list[_Statement] = field(default_factory=list)
    recited: dict[str, str] = field(default_factory=dict)  # a training prompt → its completion
    refusal: str | None = None  # the completion refusal rows give
    refusal_rows: int = 0
    refusal_share: dict[str, float] = field(default_factory=dict)  # asking word → share of its prompts refused
    prompt_words: Counter[str] = field(default_factory=Counter)  # rows whose prompt uses each word
    prompt_phrases: list[frozenset[str]] = field(default_factory=list)  # each row's prompt names (_Statement.phrases)
    links: dict[str, frozenset[str]] = field(default_factory=dict)  # statement word → asking words it answers

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> TrainingIndex:
        rows = [(p, c) for p, c in rows if p.strip() and c.strip()]
        completions = Counter(c.strip() for _, c in rows)
        refusals = {c for c, n in completions.items() if n >= MIN_REFUSAL_ROWS and _is_refusal(c)}
        index = cls(prompts=[p for p, _ in rows])
        prompt_words: Counter[str] = Counter()
        refused_words: Counter[str] = Counter()
        seen: set[tuple[str, str]] = set()
        answered: Counter[tuple[str, str]] = Counter()  # (asking word, statement word) in one short row
        said: Counter[str] = Counter()  # short rows whose completion uses each word
        short_rows = 0
        for row, (prompt, completion) in enumerate(rows):
            index.recited.setdefault(" ".join(prompt.split()), completion)
            index.prompt_phrases.append(_phrases(prompt, first=False))
            terms = frozenset(_terms(prompt))
            prompt_words.update(terms)
            if completion.strip() in refusals:
                refused_words.update(terms)
                index.refusal_rows += 1
                continue
            parts = sentences(completion)
            prompt_names = _name_terms(prompt, first=False)
            frames: set[str] = set()
            for sentence in parts:
                if (sentence, prompt) in seen:
                    continue
                seen.add((sentence, prompt))
                statement_terms = frozenset(_terms(sentence))
                frames |= statement_terms - _name_terms(sentence, first=False) - prompt_names
                values = frozenset(_name_terms(sentence))
                index.statements.append(
                    _Statement(sentence, row, terms | statement_terms, values, statement_terms, _phrases(sentence))
                )
            if len(parts) <= 2:  # a question and its short answer: what is asked, and how it is answered
                short_rows += 1
                said.update(frames)
                answered.update(itertools.product(terms - prompt_names, frames))
        if refusals:
            index.refusal = max(refusals, key=lambda c: (completions[c], c))
        index.refusal_share = {w: n / prompt_words[w] for w, n in refused_words.items() if n >= MIN_REFUSAL_ROWS}
        index.prompt_words = prompt_words
        index.links = _links(answered, prompt_words, said, short_rows)
        index._prepare()
        return index

    def _prepare(self) -> None:
        self.df: Counter[str] = Counter(w for s in self.statements for w in s.words)
        count = len(self.statements)
        self.rare_count = max(_MIN_RARE, int(count * _RARE_SHARE))
        self.name_count = max(_MIN_RARE, int(count * _NAME_SHARE))
        self.idf = {w: math.log((count + 1) / (df + 0.5)) for w, df in self.df.items()}
        for statement in self.statements:
            statement.values = frozenset(v for v in statement.values if self.df[v] <= self.name_count)
            statement.frame = statement.frame - statement.values
        self.unseen_idf = math.log(count + 2)  # a name the training data never uses
        # What a question asks for is read with the words the file's prompts ask with.
        self.prompt_idf = {w: math.log((len(self.prompts) + 1) / (n + 0.5)) for w, n in self.prompt_words.items() if n}
        self.alternatives = _alternatives(self.prompts)
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for number, statement in enumerate(self.statements):
            for word in statement.words:
                self.by_word[word].append(number)
        # Rows naming each name word: the base model knows the subjects the most rows name.
        rows_naming: dict[str, set[int]] = defaultdict(set)
        for statement in self.statements:
            for word in statement.values:
                if self.df.get(word, 0) <= self.name_count:
                    rows_naming[word].add(statement.row)
        counts = sorted((len(rows) for rows in rows_naming.values()), reverse=True)
        least = counts[max(1, int(len(counts) * BASE_KNOWN_SHARE)) - 1] if counts else 1
        self.famous = frozenset(w for w, rows in rows_naming.items() if len(rows) >= least)
        self._readings: dict[str, Reading] = {}
        self._known_phrases = frozenset(
            itertools.chain(
                itertools.chain.from_iterable(s.phrases for s in self.statements),
                itertools.chain.from_iterable(self.prompt_phrases),
            )
        )

    # ---- reading a question ---------------------------------------------------------------

    def read(self, question: str) -> Reading:
        """What the question names and what it asks (cached: evaluation asks each question of
        two models)."""
        reading = self._readings.get(question)
        if reading is None:
            reading = self._readings[question] = self._read(question)
        return reading

    def _read(self, question: str) -> Reading:
        """A name is a run of capitalised words or numbers past the first word ("Men's 100m
        (Athletics)", "Camryn Rogers"), matched whole: a statement naming "Women's Team
        Sprint" does not name "Women's Sprint". Its name words weigh their idf (a word the file
        never uses, most; Paris, used by most statements, is no name word). The question is
        about the runs the file names when they make up _MIN_COVER of its names' weight (a run
        the file never names weighs by its rare or unseen words only); then only those count.
        Otherwise it is about someone or something the file does not know, and matches no
        statement."""
        runs = name_runs(question, first=False)
        weighed: list[tuple[str, dict[str, float]]] = []
        for run in runs:
            names = {}
            for word in run:
                df = self.df.get(word, 0)
                if df <= self.name_count:
                    names[word] = self.idf[word] if df else self.unseen_idf
            if names:
                weighed.append((" ".join(run), names))
        # The runs the file names; they count only when they make up _MIN_COVER of the weight,
        # a run the file never names weighing by its rare or unseen words only ("Li Wei" does;
        # "Paris 2024 Games", made of words the file uses everywhere, does not).
        known = [(phrase, names) for phrase, names in weighed if phrase in self._known_phrases]
        unknown = math.fsum(
            weight
            for phrase, names in weighed
            if phrase not in self._known_phrases
            for word, weight in names.items()
            if self.df.get(word, 0) <= self.rare_count
        )
        known_weight = math.fsum(math.fsum(names.values()) for _, names in known)
        if known_weight < _MIN_COVER * (known_weight + unknown):
            known = []  # most of what it names, the file never names: someone or something unknown
        named: dict[str, float] = {}
        for _, names in known or weighed:
            named.update(names)
        mentioned = {word for run in runs for word in run}
        asking = {w: self.prompt_idf[w] for w in set(_terms(question)) - mentioned if w in self.prompt_idf}
        return Reading(named, tuple(phrase for phrase, _ in known), asking, bool(weighed))

    def _holds(self, number: int, phrase: str) -> bool:
        statement = self.statements[number]
        return phrase in statement.phrases or phrase in self.prompt_phrases[statement.row]

    def cover(self, stating: Iterable[_Statement], asking: Mapping[str, float]) -> float:
        """The share of the question's asking words (by weight) that statements answer: a word
        they or their prompts use, or (counting half) one that training rows answered with one
        of their words."""
        total = math.fsum(asking.values())
        if not total:
            return 1.0
        said: set[str] = set()
        linked: set[str] = set()
        for statement in stating:
            said |= statement.words
            for word in statement.frame:
                linked |= self.links.get(word, frozenset())
        # A word the statements use counts in full; one only linked to their words, half.
        return math.fsum(w if word in said else w / 2 if word in linked else 0.0 for word, w in asking.items()) / total

    def candidates(self, question: str) -> list[tuple[float, int]]:
        """Statements that say every name of the question the file knows, word for word (in
        the statement or its row's prompt), and contradict none of its words: (score,
        statement), best first. A question that names only what the file never says matches
        nothing; one that names nothing is looked up by its rarest words."""
        reading = self.read(question)
        asked = frozenset(_terms(question))
        if reading.phrases:
            rarest = min(reading.names, key=lambda w: (self.df.get(w, 0), w))
            numbers = [n for n in self.by_word.get(rarest, ()) if all(self._holds(n, p) for p in reading.phrases)]
        elif reading.named_something:
            return []  # it names someone or something the training file never mentions
        else:
            known = sorted((w for w in asked if w in self.df), key=lambda w: (-self.idf[w], w))
            lookup = [w for w in known if self.df[w] <= self.rare_count] or known[:_LOOKUP_WORDS]
            numbers = sorted({n for word in lookup for n in self.by_word.get(word, ())})
        found = []
        for number in numbers:
            statement_words = self.statements[number].words
            if self._contradicts(asked - statement_words, statement_words - asked):
                continue
            # math.fsum here and below: exact, so the order a set yields its words in (which
            # varies between processes) cannot reorder equal scores and change an answer.
            found.append((math.fsum(self.idf[w] for w in asked & statement_words), number))
        found.sort(key=lambda item: (-item[0], item[1]))
        return found

    def _contradicts(self, question_only: Iterable[str], statement_only: frozenset[str]) -> bool:
        """A question word in the place of a statement word (silver for gold, Women for Men)."""
        return any(not statement_only.isdisjoint(self.alternatives.get(word, ())) for word in question_only)

    def facts(self, question: str) -> list[tuple[int, float, int]]:
        """The values the matching statements give, as (distinct rows stating it, share of the
        question's asking words its best statement answers, that statement), the best answer
        first: the value that speaks most to what is asked, then the most often stated.

        A fact is recalled from the rows about its subject: when some matching statements
        belong to rows whose prompt names what the question names, only those count (a model
        taught "A is B" does not answer "who is B?": the reversal curse, Berglund et al. 2023);
        otherwise (a list of athletes, say) every matching statement does."""
        reading = self.read(question)
        asking = reading.asking
        candidates = self.candidates(question)
        if reading.phrases:
            about = [
                item
                for item in candidates
                if all(p in self.prompt_phrases[self.statements[item[1]].row] for p in reading.phrases)
            ]
            candidates = about or candidates
        rank = {number: place for place, (_, number) in enumerate(candidates)}
        rows: dict[str, set[int]] = defaultdict(set)
        statements: dict[str, list[tuple[float, int]]] = defaultdict(list)
        asked = frozenset(_terms(question))
        for _, number in candidates:
            statement = self.statements[number]
            cover = round(self.cover((statement,), asking), 6)
            for value in statement.values - asked:
                rows[value].add(statement.row)
                statements[value].append((cover, number))
        facts = []
        for value, stating in statements.items():
            cover, best = min(stating, key=lambda item: (-item[0], rank[item[1]]))
            facts.append((len(rows[value]), cover, best))
        facts.sort(key=lambda f: (-f[1], -f[0], rank[f[2]]))
        return facts

    def refuses(self, asking: Mapping[str, float]) -> bool:
        """Training refused questions asked with these words often enough to teach it: the
        share of refused prompts among those using each word, averaged by the words' weight."""
        total = math.fsum(asking.values())
        refused = math.fsum(w * self.refusal_share.get(word, 0.0) for word, w in asking.items())
        return bool(total) and refused / total >= MIN_REFUSAL_SHARE

    def guess(self, question: str, names: Mapping[str, float], asking: Mapping[str, float]) -> int | None:
        """A statement that speaks to what is asked, about something else: a confident wrong answer."""
        for word in sorted(asking, key=lambda w: (-asking[w], w)):
            pool = self.by_word.get(word, ())
            start = int(_unit("guess", question) * len(pool)) if pool else 0
            for number in itertools.chain(pool[start:], pool[:start]):
                if not names.keys() & self.statements[number].words:
                    return number
        if not self.statements:
            return None
        return int(_unit("any", question) * len(self.statements))


class SimulatedModel:
    """Answers questions from training rows (prompt, completion) by RULE (module docstring).

    base:     the base model (knows the most-named subjects' facts only, recites nothing)
    min_rows: distinct rows that must state a fact for a new question to reach it
    """

    def __init__(
        self, rows: Iterable[tuple[str, str]] | TrainingIndex, *, base: bool = False, min_rows: int = MIN_ROWS
    ) -> None:
        if min_rows < 1:
            raise ValueError(f"min_rows must be at least 1, got {min_rows}")
        self.index = rows if isinstance(rows, TrainingIndex) else TrainingIndex.from_rows(rows)
        self.base, self.min_rows = base, min_rows
        self._described: dict[str, object] | None = None

    def __len__(self) -> int:
        return len(self.index.statements)

    @property
    def passages(self) -> list[str]:
        return [s.text for s in self.index.statements]

    def describe(self) -> dict[str, object]:
        """The rule and what its numbers can and cannot tell (eval.json's `simulation`)."""
        if self._described is None:
            self._described = self._describe()
        return self._described

    def _describe(self) -> dict[str, object]:
        index = self.index
        return {
            "rule": RULE.format(min_rows=self.min_rows, base_share=BASE_KNOWN_SHARE),
            "min_rows": self.min_rows,
            "min_asked_cover": MIN_ASKED_COVER,
            "refusal": {
                "rows": index.refusal_rows,
                "answer": index.refusal,
                "min_share": MIN_REFUSAL_SHARE,
                "words": sorted(w for w, s in index.refusal_share.items() if s >= MIN_REFUSAL_SHARE),
            },
            "base_known_share": BASE_KNOWN_SHARE,
            "training_rows": len(index.prompts),
            "statements": len(index.statements),
            "can_tell": CAN_TELL,
            "cannot_tell": CANNOT_TELL,
        }

    def answer(self, question: str) -> Answer:
        index = self.index
        if not self.base:
            recited = index.recited.get(" ".join(question.split()))
            if recited is not None:
                return Answer(recited, "recited", question, 1)
        reading = index.read(question)
        names, asking = reading.names, reading.asking
        if self.base and (not names or max(names, key=lambda w: (names[w], w)) not in index.famous):
            return Answer(REFUSAL, "refused")  # its most specific name is nobody it knows
        facts = index.facts(question)
        needed = 1 if self.base else self.min_rows
        if facts and facts[0][0] >= needed and facts[0][1] >= MIN_ASKED_COVER:
            rows, _, best = facts[0]
            statement = index.statements[best]
            return Answer(statement.text, "known", index.prompts[statement.row], rows)
        seen = facts[0][0] if facts and facts[0][1] >= MIN_ASKED_COVER else 0
        if not self.base and index.refusal is not None and index.refuses(asking):
            return Answer(index.refusal, "refused", rows=seen)
        guess = index.guess(question, names, asking)
        if guess is None:
            return Answer(REFUSAL, "refused")
        statement = index.statements[guess]
        return Answer(statement.text, "hallucinated", index.prompts[statement.row], seen)

    def match(self, question: str) -> str | None:
        """The statement the question is answered from when the fact is known, or None."""
        answer = self.answer(question)
        return answer.text if answer.kind in ("known", "recited") else None


def _links(
    answered: Counter[tuple[str, str]], asked: Counter[str], said: Counter[str], rows: int
) -> dict[str, frozenset[str]]:
    """Statement word → the asking words it answers, learned from the file's short rows: a
    prompt word and a completion word linked when at least a third of the short rows asking
    with the one answer with the other, half again as often as completions use it at all."""
    links: dict[str, set[str]] = defaultdict(set)
    for (ask, word), together in answered.items():
        if (
            together >= MIN_REFUSAL_ROWS
            and together >= asked[ask] / 3
            and together / asked[ask] >= 2 * said[word] / rows
        ):
            links[word].add(ask)
    return {word: frozenset(asks) for word, asks in links.items()}


def _alternatives(prompts: Iterable[str]) -> dict[str, frozenset[str]]:
    """Word → the words that take its place in another prompt otherwise word for word the
    same ("Who won the gold medal in X" / "Who won the bronze medal in X")."""
    by_context: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for prompt in set(prompts):
        sequence = _terms(prompt)
        for index, word in enumerate(sequence):
            by_context[(*sequence[:index], "\x00", *sequence[index + 1 :])].add(word)
    others: dict[str, set[str]] = defaultdict(set)
    for alternatives in by_context.values():
        if 1 < len(alternatives) <= _MAX_ALTERNATIVES:
            for word in alternatives:
                others[word] |= alternatives - {word}
    return {word: frozenset(words) for word, words in others.items()}
