-- Each athlete's date of birth, when known.
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
WITH born AS (
  SELECT *, date_format(try_cast(birth_date AS DATE), 'd MMMM yyyy') AS born_on
  FROM athlete_named
  WHERE birth_date RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND try_cast(birth_date AS DATE) IS NOT NULL
)
SELECT
  'athlete_birth_date' AS relation,
  code AS fact_key,
  athlete AS subject,
  born_on AS answer_value,
  concat(athlete, ', who competed at Paris 2024, was born on ', born_on, '.') AS answer,
  athlete,
  country,
  first_discipline AS discipline
FROM born
ORDER BY code
