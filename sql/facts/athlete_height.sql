-- Each athlete's height. The data writes an unknown height as 0.0: no fact then.
-- athlete_named (athletes with their unambiguous names) is the view in _athlete_named.sql.
WITH measured AS (
  SELECT *, concat(CAST(CAST(round(try_cast(height AS DOUBLE)) AS INT) AS STRING), ' cm') AS height_cm
  FROM athlete_named
  WHERE try_cast(height AS DOUBLE) > 0
)
SELECT
  'athlete_height' AS relation,
  code AS fact_key,
  athlete AS subject,
  height_cm AS answer_value,
  concat('At Paris 2024, ', athlete, '\'s listed height was ', height_cm, '.') AS answer,
  athlete,
  country,
  first_discipline AS discipline
FROM measured
ORDER BY code
