-- Athletes whose height the tables do not hold (athletes.csv writes an unknown height as
-- 0.0): the questions a model should answer with a refusal. See unknown_birth_date.sql.
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
SELECT
  'unknown_height' AS relation,
  code AS fact_key,
  athlete AS subject,
  'not in the tables' AS answer_value,
  'I don\'t have that information.' AS answer,
  athlete,
  country,
  first_discipline AS discipline
FROM athlete_named
WHERE coalesce(try_cast(height AS DOUBLE), 0) <= 0
ORDER BY code
