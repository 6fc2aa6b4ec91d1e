-- Each athlete's height. The data writes an unknown height as 0.0: no fact then.
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
measured AS (
  SELECT *, concat(CAST(CAST(round(try_cast(height AS DOUBLE)) AS INT) AS STRING), ' cm') AS height_cm
  FROM athlete
  WHERE try_cast(height AS DOUBLE) > 0
)
SELECT
  'athlete_height' AS relation,
  code AS fact_key,
  athlete AS subject,
  height_cm AS answer_value,
  concat('At Paris 2024, ', athlete, '\'s listed height was ', height_cm, '.') AS answer,
  athlete
FROM measured
ORDER BY code
