-- Ask an LLM (ai_query) for extra wordings of each fact's question. The LLM only
-- REPHRASES: it gets the fact's subject and its answer sentence (true by construction,
-- from the tables) and must write a question that names the subject and does not
-- contain the answer. It never supplies an answer: the answer stays the fact's own
-- sentence. verify.sql then keeps only the paraphrases that obey those rules.
--
-- Parameters: run_id, facts_table, paraphrase_table (this run's candidates), paraphrases_per_fact.
-- The model serving endpoint is a STRING literal, as ai_query requires: paraphrase_task.py runs this
-- file with the bundle's ai_endpoint variable written in place of the AI_ENDPOINT literal.
CREATE TABLE IF NOT EXISTS IDENTIFIER(:paraphrase_table) AS
SELECT
  CAST(NULL AS STRING) AS run_id,
  CAST(NULL AS STRING) AS fact_id,
  CAST(NULL AS STRING) AS relation,
  CAST(NULL AS STRING) AS subject,
  CAST(NULL AS STRING) AS answer_value,
  CAST(NULL AS STRING) AS answer,
  CAST(NULL AS INT) AS variant,
  CAST(NULL AS STRING) AS question,
  CAST(NULL AS STRING) AS error
LIMIT 0;

-- A retried run replaces its own candidates only.
DELETE FROM IDENTIFIER(:paraphrase_table) WHERE run_id = :run_id;

INSERT INTO IDENTIFIER(:paraphrase_table) BY NAME
SELECT
  run_id,
  fact_id,
  relation,
  subject,
  answer_value,
  answer,
  variant,
  -- Models like to add a label or wrap their reply in quotes; strip both.
  trim(regexp_replace(regexp_replace(trim(reply.result), '(?i)^question:\\s*', ''), '^"+|"+$', '')) AS question,
  reply.errorMessage AS error
FROM (
  SELECT
    f.run_id,
    concat(f.relation, ':', f.fact_key) AS fact_id,
    f.relation,
    f.subject,
    f.answer_value,
    f.answer,
    v.variant,
    ai_query(
      'AI_ENDPOINT',
      concat(
        'Rewrite a fact about the Paris 2024 Olympic Games as one quiz question.\n',
        'Rules:\n',
        '- The question must contain this exact phrase, unchanged: "', f.subject, '"\n',
        '- The question must not contain "', f.answer_value, '" and must not give the answer away.\n',
        '- The answer to the question must be the fact below, and nothing else.\n',
        '- Mention Paris 2024 or the 2024 Olympics. End with a question mark.\n',
        '- Reply with the question only.\n',
        'Wording ', CAST(v.variant AS STRING), ': vary the sentence structure from the plainest form.\n',
        'Fact: ', f.answer
      ),
      modelParameters => named_struct('temperature', 0.8, 'max_tokens', 120),
      failOnError => false
    ) AS reply
  FROM IDENTIFIER(:facts_table) AS f
  LATERAL VIEW explode(sequence(1, CAST(:paraphrases_per_fact AS INT))) v AS variant
  -- unknown_* rows are questions the tables hold no value for (answered with a refusal by the
  -- built-in templates): there is no fact for the LLM to rephrase.
  WHERE f.run_id = :run_id AND substr(f.relation, 1, 8) <> 'unknown_'
) AS asked;
