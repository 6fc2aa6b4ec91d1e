-- Athletes whose date of birth the tables do not hold (empty or not a date): the questions
-- a model should answer with a refusal. Not a fact about the athlete but about the tables;
-- the `deep` recipe trains a share of them as refusal rows ("I don't have that
-- information."). They are never facts kept out for the evaluation: those have a value.
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
SELECT
  'unknown_birth_date' AS relation,
  code AS fact_key,
  athlete AS subject,
  'not in the tables' AS answer_value,
  'I don\'t have that information.' AS answer,
  athlete,
  country,
  first_discipline AS discipline
FROM athlete_named
WHERE NOT coalesce(birth_date RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND try_cast(birth_date AS DATE) IS NOT NULL, false)
ORDER BY code
