-- Each athlete's date of birth, when known.
WITH -- Athletes are named by athletes.name_tv ("Given FAMILY", the Olympic TV style).
-- A name shared by athletes of different countries gets the country added; a name
-- shared within one country would be ambiguous either way, so those athletes are left out.
people AS (
  SELECT
    code,
    name_tv AS name,
    CASE
      WHEN country_code = 'AIN' THEN 'Individual Neutral Athletes'
      WHEN country = country_code THEN country_long
      ELSE country
    END AS country,
    `function` AS role,
    height,
    birth_date,
    disciplines,
    events
  FROM athletes
  WHERE name_tv IS NOT NULL AND code IS NOT NULL AND country IS NOT NULL
),
name_counts AS (
  SELECT
    *,
    count(*) OVER (PARTITION BY name) AS name_count,
    count(*) OVER (PARTITION BY name, country) AS name_country_count
  FROM people
),
athlete AS (
  SELECT
    *,
    CASE WHEN name_count = 1 THEN name ELSE concat(name, ' of ', country) END AS athlete
  FROM name_counts
  WHERE name_country_count = 1
),
born AS (
  SELECT *, date_format(try_cast(birth_date AS DATE), 'd MMMM yyyy') AS born_on
  FROM athlete
  WHERE birth_date RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' AND try_cast(birth_date AS DATE) IS NOT NULL
)
SELECT
  'athlete_birth_date' AS relation,
  code AS fact_key,
  athlete AS subject,
  born_on AS answer_value,
  concat(athlete, ', who competed at Paris 2024, was born on ', born_on, '.') AS answer,
  athlete
FROM born
ORDER BY code
