"""The Databricks bundle (sql/databricks): files exist, SQL parses, parameters line up,
and verify.sql keeps exactly the paraphrases Podium's own check keeps."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest.mock import MagicMock

import duckdb
import pytest
import sqlglot
import yaml
from sqlglot import exp

from podium.adapters.databricks import FACTS_SUFFIX
from podium.dataset.facts import FACT_COLUMNS, FACT_SQL_DIR, relation_names, view_names
from podium.dataset.pairs import verify_paraphrase
from podium.dataset.records import Fact
from podium.dataset.tables import TABLES

BUNDLE = Path(__file__).resolve().parents[2] / "sql" / "databricks"


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return yaml.safe_load((BUNDLE / "databricks.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tasks(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    job = bundle["resources"]["jobs"]["podium_generate"]
    return {task["task_key"]: task for task in job["tasks"]}


def _statements(name: str) -> list[exp.Expression]:
    return [s for s in sqlglot.parse((BUNDLE / name).read_text(encoding="utf-8"), read="databricks") if s]


def _placeholders(name: str) -> set[str]:
    return {p.name for s in _statements(name) for p in s.find_all(exp.Placeholder)}


def test_job_parameters_are_what_the_generator_sends(bundle: dict[str, Any]) -> None:
    job = bundle["resources"]["jobs"]["podium_generate"]
    assert {p["name"] for p in job["parameters"]} == {"run_id", "output_table"}
    assert job["max_concurrent_runs"] == 1


def test_every_referenced_file_exists(bundle: dict[str, Any], tasks: dict[str, dict[str, Any]]) -> None:
    referenced = []
    for task in tasks.values():
        if "sql_task" in task:
            referenced.append(task["sql_task"]["file"]["path"])
        if "spark_python_task" in task:
            referenced.append(task["spark_python_task"]["python_file"])
    assert referenced, "the job has no file tasks"
    for path in referenced:
        assert (BUNDLE / path).is_file(), f"databricks.yml references {path}, which does not exist"
    # The fact SQL is synced with the bundle and run as is, not copied into it.
    assert "../facts" in bundle["sync"]["paths"]
    assert (BUNDLE / "../facts").resolve() == FACT_SQL_DIR
    assert not list(BUNDLE.glob("*fact*.sql"))


def test_tasks_run_in_order(tasks: dict[str, dict[str, Any]]) -> None:
    upstream = {key: [d["task_key"] for d in task.get("depends_on", [])] for key, task in tasks.items()}
    assert upstream == {"load": [], "facts": ["load"], "paraphrase": ["facts"], "verify": ["paraphrase"]}


@pytest.mark.parametrize("name", ["load.sql", "paraphrase.sql", "verify.sql"])
def test_sql_parses_with_the_databricks_dialect(name: str) -> None:
    assert _statements(name)


@pytest.mark.parametrize("task_key", ["load", "verify"])
def test_sql_parameters_match_the_task(tasks: dict[str, dict[str, Any]], task_key: str) -> None:
    sql_task = tasks[task_key]["sql_task"]
    used = _placeholders(Path(sql_task["file"]["path"]).name)
    given = set(sql_task["parameters"])
    assert used == given, f"{task_key}: SQL uses {sorted(used)}, task gives {sorted(given)}"


def test_the_paraphrase_task_binds_every_marker_of_its_sql(
    tasks: dict[str, dict[str, Any]], paraphrase_task: ModuleType
) -> None:
    arguments = tasks["paraphrase"]["spark_python_task"]["parameters"]
    assert tasks["paraphrase"]["spark_python_task"]["python_file"] == "./paraphrase_task.py"
    parsed = paraphrase_task.parse_args([str(a) for a in arguments])
    assert parsed.endpoint == "${var.ai_endpoint}" and parsed.paraphrases_per_fact == "${var.paraphrases_per_fact}"
    bound = {"run_id", "facts_table", "paraphrase_table", "paraphrases_per_fact"}  # main()'s spark.sql args
    assert _placeholders("paraphrase.sql") == bound


def test_derived_table_names_agree_with_the_generator(tasks: dict[str, dict[str, Any]]) -> None:
    output = "{{job.parameters.output_table}}"
    arguments = tasks["facts"]["spark_python_task"]["parameters"]
    assert arguments[arguments.index("--facts-table") + 1] == output + FACTS_SUFFIX
    paraphrase = tasks["paraphrase"]["spark_python_task"]["parameters"]
    assert paraphrase[paraphrase.index("--facts-table") + 1] == output + FACTS_SUFFIX
    assert (
        paraphrase[paraphrase.index("--paraphrase-table") + 1]
        == tasks["verify"]["sql_task"]["parameters"]["paraphrase_table"]
    )
    assert tasks["verify"]["sql_task"]["parameters"]["output_table"] == output


def test_load_creates_every_table_the_fact_sql_may_read() -> None:
    created = {s.this.name for s in _statements("load.sql") if isinstance(s, exp.Create)}
    assert created == set(TABLES)
    text = (BUNDLE / "load.sql").read_text(encoding="utf-8")
    for name in TABLES:
        assert f"'/{name}.csv'" in text


def test_paraphrase_prompt_only_rephrases() -> None:
    text = (BUNDLE / "paraphrase.sql").read_text(encoding="utf-8")
    assert "ai_query(" in text and "'AI_ENDPOINT'" in text
    assert "must contain this exact phrase" in text and "must not contain" in text
    assert "substr(f.relation, 1, 8) <> 'unknown_'" in text  # refusal questions have no fact to rephrase


def _verify_on_duckdb(rows: list[tuple[str, str, str]]) -> list[str]:
    """Run verify.sql's SELECT on DuckDB over (subject, answer_value, question) rows."""
    text = (
        (BUNDLE / "verify.sql")
        .read_text(encoding="utf-8")
        .replace("IDENTIFIER(:paraphrase_table)", "paraphrases")
        .replace("IDENTIFIER(:output_table)", "qa_pairs")
        .replace(":run_id", "'r1'")
    )
    insert = sqlglot.parse(text, read="databricks")[-1]
    assert isinstance(insert, exp.Insert)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE paraphrases (run_id VARCHAR, fact_id VARCHAR, relation VARCHAR, subject VARCHAR, "
        "answer_value VARCHAR, answer VARCHAR, variant INT, question VARCHAR, error VARCHAR)"
    )
    for n, (subject, answer_value, question) in enumerate(rows):
        con.execute(
            "INSERT INTO paraphrases VALUES ('r1', ?, 'rel', ?, ?, 'A.', 1, ?, NULL)",
            [f"rel:{n}", subject, answer_value, question],
        )
    con.execute("INSERT INTO paraphrases VALUES ('r2', 'rel:x', 'rel', 'France', '16', 'A.', 1, 'France?', NULL)")
    con.execute("INSERT INTO paraphrases VALUES ('r1', 'rel:y', 'rel', 'France', '16', 'A.', 1, NULL, 'rate limited')")
    return [row[3] for row in con.execute(insert.expression.sql("duckdb")).fetchall()]


def test_verify_keeps_what_podium_keeps() -> None:
    cases = [
        ("France", "16 gold medals", "How many gold medals did FRANCE  win at Paris 2024?"),
        ("France", "16 gold medals", "Did France win 16 gold medals at Paris 2024?"),
        (
            "gold medal in Men's Marathon (Athletics)",
            "Tamirat TOLA of Ethiopia",
            "Who won the marathon in Paris?",
        ),
        (
            "gold medal in Men's Marathon (Athletics)",
            "Tamirat TOLA of Ethiopia",
            "At Paris 2024, who took the gold medal in Men's Marathon (Athletics)?",
        ),
    ]
    kept = _verify_on_duckdb(cases)
    podium_keeps = [
        question
        for subject, answer_value, question in cases
        if verify_paraphrase(question, Fact("rel", "k", subject, answer_value, "A.")) is None
    ]
    assert sorted(kept) == sorted(podium_keeps) == sorted([cases[0][2], cases[3][2]])


# -- the tasks' pure helpers (the tasks themselves need Spark) -------------------------------


def _load_task(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BUNDLE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def facts_task() -> ModuleType:
    return _load_task("facts_task")


@pytest.fixture(scope="module")
def paraphrase_task() -> ModuleType:
    return _load_task("paraphrase_task")


def _ai_query_endpoints(sql: str) -> list[exp.Expression]:
    calls = [
        call
        for statement in sqlglot.parse(sql, read="databricks")
        if statement
        for call in statement.find_all(exp.Anonymous)
        if call.name.lower() == "ai_query"
    ]
    return [call.expressions[0] for call in calls]


def test_ai_query_gets_the_endpoint_as_a_string_literal(paraphrase_task: ModuleType) -> None:
    """The ai_query reference: the endpoint is "a STRING literal"; a parameter marker is not one (before
    Databricks Runtime 18, and on SQL warehouses)."""
    sql = paraphrase_task.with_endpoint(
        (BUNDLE / "paraphrase.sql").read_text(encoding="utf-8"), "databricks-meta-llama-3-3-70b-instruct"
    )
    (endpoint,) = _ai_query_endpoints(sql)
    assert isinstance(endpoint, exp.Literal) and endpoint.is_string
    assert endpoint.this == "databricks-meta-llama-3-3-70b-instruct"
    assert "'AI_ENDPOINT'" not in sql
    markers = {p.name for s in sqlglot.parse(sql, read="databricks") if s for p in s.find_all(exp.Placeholder)}
    assert "endpoint" not in markers


@pytest.mark.parametrize("name", ["x'; DROP TABLE t; --", "a b", "", "-leading", "x" * 64])
def test_the_paraphrase_task_refuses_what_is_not_an_endpoint_name(paraphrase_task: ModuleType, name: str) -> None:
    with pytest.raises(SystemExit, match="--endpoint"):
        paraphrase_task.with_endpoint("SELECT ai_query('AI_ENDPOINT', 'hi')", name)
    with pytest.raises(SystemExit, match="exactly once"):
        paraphrase_task.with_endpoint("SELECT 1", "my-endpoint")


def test_the_paraphrase_task_runs_each_statement_with_its_markers(
    paraphrase_task: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, str]]] = []
    spark = MagicMock()
    spark.sql.side_effect = lambda text, args: calls.append((text, args))
    session = MagicMock()
    session.builder.getOrCreate.return_value = spark
    pyspark_sql = ModuleType("pyspark.sql")
    pyspark_sql.SparkSession = session  # type: ignore[attr-defined]
    pyspark = ModuleType("pyspark")
    pyspark.sql = pyspark_sql  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyspark", pyspark)
    monkeypatch.setitem(sys.modules, "pyspark.sql", pyspark_sql)
    paraphrase_task.main(
        ["--run-id", "r1", "--facts-table", "a.b.t_facts", "--paraphrase-table", "a.b.t_paraphrases",
         "--endpoint", "my-endpoint", "--paraphrases-per-fact", "2"]
    )  # fmt: skip
    parsed = [s for s in sqlglot.parse((BUNDLE / "paraphrase.sql").read_text(encoding="utf-8"), read="databricks") if s]
    assert [type(sqlglot.parse_one(text, read="databricks")) for text, _ in calls] == [type(s) for s in parsed]
    assert [type(s) for s in parsed] == [exp.Create, exp.Delete, exp.Insert]
    assert all(args["paraphrase_table"] == "a.b.t_paraphrases" and args["run_id"] == "r1" for _, args in calls)
    assert "ai_query(\n      'my-endpoint'," in calls[-1][0]
    with pytest.raises(SystemExit, match="--paraphrase-table"):
        paraphrase_task.main(
            ["--run-id", "r1", "--facts-table", "a.b.t_facts", "--paraphrase-table", "t; DROP TABLE x",
             "--endpoint", "my-endpoint", "--paraphrases-per-fact", "2"]
        )  # fmt: skip


def test_the_bundle_requires_a_cli_that_takes_environment_version(bundle: dict[str, Any]) -> None:
    """databricks/cli: the bundle schema documents environment_version from v0.256.0 (client deprecated), and
    the Terraform provider it deploys with (1.83.0, CLI v0.257.0) first takes it without `client`. The
    constraint is checked by the CLI itself (bundle/config/mutator/verify_cli_version.go: ">= x.y.z")."""
    constraint = bundle["bundle"]["databricks_cli_version"]
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)\.(\d+)", constraint)
    assert match, constraint
    assert tuple(int(part) for part in match.groups()) >= (0, 257, 0)
    environments = bundle["resources"]["jobs"]["podium_generate"]["environments"]
    assert all("environment_version" in e["spec"] and "client" not in e["spec"] for e in environments)
    readme = (BUNDLE / "README.md").read_text(encoding="utf-8")
    assert f"Databricks CLI {constraint}" in readme  # what the README tells people to install


def test_facts_task_finds_the_shared_fact_sql(facts_task: ModuleType) -> None:
    assert facts_task.default_facts_dir() == FACT_SQL_DIR
    relation_files = facts_task.fact_files(FACT_SQL_DIR)
    view_files = facts_task.view_files(FACT_SQL_DIR)
    # The same split as the built-in generator's: _<view>.sql files are views, the rest relations.
    assert [p.stem for p in relation_files] == relation_names()
    assert [p.stem for p in view_files] == [f"_{v}" for v in view_names()]
    assert view_files, "the athlete relations read a shared view"
    assert sorted(relation_files + view_files) == sorted(FACT_SQL_DIR.glob("*.sql"))


def test_facts_task_view_files_are_temporary_views_spark_can_run(facts_task: ModuleType) -> None:
    for path in facts_task.view_files(FACT_SQL_DIR):
        statements = [s for s in sqlglot.parse(path.read_text(encoding="utf-8"), read="databricks") if s]
        assert len(statements) == 1, path.name
        create = statements[0]
        assert isinstance(create, exp.Create) and create.args["kind"] == "VIEW", path.name
        assert create.args.get("replace") and create.find(exp.TemporaryProperty) is not None, path.name
        assert path.stem == "_" + create.this.name
        assert not path.read_text(encoding="utf-8").rstrip().endswith(";"), path.name


def _fake_pyspark(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand-ins for the pyspark modules main() imports; returns the SQL texts spark.sql runs."""
    ran: list[str] = []

    def sql(text: str, **kwargs: Any) -> MagicMock:
        ran.append(text)
        return MagicMock(columns=[*FACT_COLUMNS, "slot"])

    spark = MagicMock()
    spark.sql.side_effect = sql
    session = MagicMock()
    session.builder.getOrCreate.return_value = spark
    pyspark_sql = ModuleType("pyspark.sql")
    pyspark_sql.SparkSession = session  # type: ignore[attr-defined]
    pyspark_sql.DataFrame = MagicMock()  # type: ignore[attr-defined]
    pyspark_sql.functions = MagicMock()  # type: ignore[attr-defined]
    pyspark = ModuleType("pyspark")
    pyspark.sql = pyspark_sql  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyspark", pyspark)
    monkeypatch.setitem(sys.modules, "pyspark.sql", pyspark_sql)
    return ran


def test_facts_task_creates_the_views_before_any_relation(
    facts_task: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = _fake_pyspark(monkeypatch)
    facts_task.main(["--run-id", "r1", "--facts-table", "a.b.c_facts", "--catalog", "a", "--schema", "b"])
    views = [p.read_text(encoding="utf-8") for p in facts_task.view_files(FACT_SQL_DIR)]
    relations = [p.read_text(encoding="utf-8") for p in facts_task.fact_files(FACT_SQL_DIR)]
    assert ran[:2] == ["USE CATALOG `a`", "USE SCHEMA `b`"]
    # Each file verbatim, views first (in name order), then every relation once.
    assert ran[2 : 2 + len(views) + len(relations)] == views + relations
    assert ran[-2].startswith("CREATE TABLE IF NOT EXISTS a.b.c_facts")
    assert ran[-1].startswith("DELETE FROM a.b.c_facts")


def test_facts_task_refuses_unsafe_names_and_incomplete_queries(facts_task: ModuleType, tmp_path: Path) -> None:
    args = facts_task.parse_args(["--run-id", "r1", "--facts-table", "a.b.c_facts", "--catalog", "a", "--schema", "b"])
    assert args.facts_table == "a.b.c_facts"
    with pytest.raises(SystemExit, match="--facts-table"):
        facts_task.checked("a.b.c; DROP TABLE x", facts_task._TABLE, "--facts-table")
    with pytest.raises(SystemExit, match="answer_value"):
        facts_task.slot_columns("x.sql", ["relation", "fact_key", "subject", "answer"])
    assert facts_task.slot_columns("x.sql", ["relation", "fact_key", "subject", "answer_value", "answer", "kind"]) == [
        "kind"
    ]
    with pytest.raises(SystemExit, match="no fact SQL files"):
        facts_task.fact_files(tmp_path)
    # Views alone are no facts.
    (tmp_path / "_v.sql").write_text("CREATE OR REPLACE TEMPORARY VIEW v AS SELECT 1", encoding="utf-8")
    assert facts_task.view_files(tmp_path) == [tmp_path / "_v.sql"]
    with pytest.raises(SystemExit, match="no fact SQL files"):
        facts_task.fact_files(tmp_path)
