-- Keep an LLM paraphrase only if it can stand for its fact: it names the fact's subject
-- (so the question has one answer), does not contain the answer value (so it does not
-- give the answer away), and is one reasonable question. The answer written is the
-- fact's own sentence, never LLM text. Podium re-checks every row with the same rule
-- (podium.dataset.pairs.verify_paraphrase) when it reads them back; adding the built-in
-- template questions is done there too.
--
-- Parameters: run_id, paraphrase_table (from paraphrase.sql), output_table.
CREATE TABLE IF NOT EXISTS IDENTIFIER(:output_table) AS
SELECT
  CAST(NULL AS STRING) AS run_id,
  CAST(NULL AS STRING) AS fact_id,
  CAST(NULL AS STRING) AS relation,
  CAST(NULL AS STRING) AS question,
  CAST(NULL AS STRING) AS answer,
  CAST(NULL AS STRING) AS source
LIMIT 0;

-- A retried run replaces its own rows only.
DELETE FROM IDENTIFIER(:output_table) WHERE run_id = :run_id;

INSERT INTO IDENTIFIER(:output_table) BY NAME
SELECT DISTINCT
  run_id,
  fact_id,
  relation,
  question,
  answer,
  'ai_query' AS source
FROM (
  SELECT
    *,
    -- Compared the way Podium compares: case-folded, whitespace collapsed.
    lower(regexp_replace(trim(question), '\\s+', ' ')) AS question_norm,
    lower(regexp_replace(trim(subject), '\\s+', ' ')) AS subject_norm,
    lower(regexp_replace(trim(answer_value), '\\s+', ' ')) AS answer_norm
  FROM IDENTIFIER(:paraphrase_table)
  WHERE run_id = :run_id AND error IS NULL AND question IS NOT NULL
) AS candidates
WHERE length(question) BETWEEN 10 AND 400
  AND question LIKE '%?'
  AND instr(question_norm, subject_norm) > 0
  -- The subject may itself contain the answer's words; only the rest may not.
  AND instr(replace(question_norm, subject_norm, ' '), answer_norm) = 0;
